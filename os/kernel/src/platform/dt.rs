//! Platform description read from the flattened device tree QEMU passes at 0x4000_0000.

use core::fmt;

/// Maximum number of virtio-mmio slots we record.
pub const MAX_VIRTIO: usize = 32;

/// What the kernel needs to know about the machine.
#[derive(Clone, Copy)]
pub struct Platform {
    pub mem_base: u64,
    pub mem_size: u64,
    pub uart_base: u64,
    pub uart_irq: u32,
    pub gicd_base: u64,
    pub gicc_base: u64,
    /// Virtual-timer PPI as a GIC interrupt id (16 + PPI number).
    pub timer_irq: u32,
    pub rtc_base: Option<u64>,
    pub virtio: [(u64, u32); MAX_VIRTIO],
    pub virtio_count: usize,
    /// Kernel command line (`-append`), truncated to [`BOOTARGS_MAX`] bytes.
    pub bootargs: [u8; BOOTARGS_MAX],
    pub bootargs_len: usize,
}

/// Longest kernel command line kept.
pub const BOOTARGS_MAX: usize = 256;

impl Platform {
    /// The value of `key=` on the kernel command line, or `Some("")` for a bare `key`.
    pub fn arg(&self, key: &str) -> Option<&str> {
        let line = core::str::from_utf8(&self.bootargs[..self.bootargs_len]).ok()?;
        line.split_whitespace()
            .find_map(|w| match w.split_once('=') {
                Some((k, v)) if k == key => Some(v),
                None if w == key => Some(""),
                _ => None,
            })
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel: platform: RAM {:#x}+{} MiB, PL011 {:#x} irq {}, GICv2 {:#x}/{:#x}, timer irq {}, RTC {}, {} virtio-mmio slots",
            self.mem_base,
            self.mem_size >> 20,
            self.uart_base,
            self.uart_irq,
            self.gicd_base,
            self.gicc_base,
            self.timer_irq,
            if self.rtc_base.is_some() { "PL031" } else { "none" },
            self.virtio_count
        )
    }
}

/// Device-tree problems that stop the boot.
#[derive(Debug)]
pub enum DtError {
    Invalid,
    Missing(&'static str),
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtError::Invalid => write!(f, "no valid device tree at 0x40000000"),
            DtError::Missing(what) => write!(f, "device tree has no {what}"),
        }
    }
}

/// GIC SPI interrupt specifier (type, number, flags) → interrupt id.
fn irq_of(node: &fdt::node::FdtNode<'_, '_>) -> Option<u32> {
    let prop = node.property("interrupts")?;
    let v = prop.value;
    if v.len() < 8 {
        return None;
    }
    let kind = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
    let num = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
    Some(if kind == 1 { 16 + num } else { 32 + num })
}

/// Base address of the `index`-th `reg` entry, assuming 2 address and 2 size cells (QEMU virt).
fn reg_raw(node: &fdt::node::FdtNode<'_, '_>, index: usize) -> Option<u64> {
    let v = node.property("reg")?.value;
    let at = index * 16;
    let b: [u8; 8] = v.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

impl Platform {
    /// Parse the device tree at kernel virtual address `va`.
    pub fn parse(va: u64) -> Result<Platform, DtError> {
        // SAFETY: QEMU places the DTB at physical 0x4000_0000 (mapped by the linear map); the
        // `fdt` crate validates the header magic and sizes before reading.
        let fdt = unsafe { fdt::Fdt::from_ptr(va as *const u8) }.map_err(|_| DtError::Invalid)?;
        let mem = fdt.memory();
        let region = mem
            .regions()
            .next()
            .ok_or(DtError::Missing("memory node"))?;
        let mem_base = region.starting_address as u64;
        let mem_size = region.size.ok_or(DtError::Missing("memory size"))? as u64;

        let Devices {
            uart,
            gic,
            timer_irq,
            rtc_base,
            virtio,
            virtio_count,
        } = Devices::scan(&fdt);
        let (uart_base, uart_irq) = uart.ok_or(DtError::Missing("PL011 UART"))?;
        let uart_base = uart_base.ok_or(DtError::Missing("PL011 reg"))?;
        let uart_irq = uart_irq.unwrap_or(super::DEFAULT_UART_IRQ);
        let (gicd, gicc) = gic.ok_or(DtError::Missing("GICv2 (use the default gic-version)"))?;
        let gicd_base = gicd.ok_or(DtError::Missing("GICD"))?;
        let gicc_base = gicc.ok_or(DtError::Missing("GICC"))?;
        let mut bootargs = [0u8; BOOTARGS_MAX];
        let args = fdt.chosen().bootargs().unwrap_or("").as_bytes();
        let bootargs_len = args.len().min(BOOTARGS_MAX);
        bootargs[..bootargs_len].copy_from_slice(&args[..bootargs_len]);
        Ok(Platform {
            bootargs,
            bootargs_len,
            mem_base,
            mem_size,
            uart_base,
            uart_irq,
            gicd_base,
            gicc_base,
            timer_irq,
            rtc_base,
            virtio,
            virtio_count,
        })
    }
}

/// What one pass over the device-tree nodes found (each `reg`/interrupt may be missing).
struct Devices {
    uart: Option<(Option<u64>, Option<u32>)>,
    gic: Option<(Option<u64>, Option<u64>)>,
    timer_irq: u32,
    rtc_base: Option<u64>,
    virtio: [(u64, u32); MAX_VIRTIO],
    virtio_count: usize,
}

impl Devices {
    fn scan(fdt: &fdt::Fdt<'_>) -> Devices {
        // One pass over all nodes (the `fdt` crate's per-query searches are slow under TCG).
        // QEMU virt's root uses #address-cells = 2, so a device's first `reg` cell pair is a
        // big-endian u64 base address.
        let mut uart = None;
        let mut gic = None;
        let mut timer_irq = super::DEFAULT_TIMER_IRQ;
        let mut rtc_base = None;
        let mut virtio = [(0u64, 0u32); MAX_VIRTIO];
        let mut virtio_count = 0;
        for node in fdt.all_nodes() {
            let Some(compat) = node.compatible() else {
                continue;
            };
            let has = |name: &str| compat.all().any(|c| c == name);
            if has("virtio,mmio") {
                if let (Some(base), Some(irq)) = (reg_raw(&node, 0), irq_of(&node)) {
                    if virtio_count < MAX_VIRTIO {
                        virtio[virtio_count] = (base, irq);
                        virtio_count += 1;
                    }
                }
            } else if has("arm,pl011") && uart.is_none() {
                uart = Some((reg_raw(&node, 0), irq_of(&node)));
            } else if has("arm,cortex-a15-gic") || has("arm,gic-400") {
                gic = Some((reg_raw(&node, 0), reg_raw(&node, 1)));
            } else if has("arm,armv8-timer") || has("arm,armv7-timer") {
                // interrupts = <secure phys, non-secure phys, virt, hyp>: the virtual timer.
                if let Some(v) = node.property("interrupts").map(|p| p.value) {
                    if v.len() >= 36 {
                        timer_irq = 16 + u32::from_be_bytes([v[28], v[29], v[30], v[31]]);
                    }
                }
            } else if has("arm,pl031") {
                rtc_base = reg_raw(&node, 0);
            }
        }
        Devices {
            uart,
            gic,
            timer_irq,
            rtc_base,
            virtio,
            virtio_count,
        }
    }
}
