//! QEMU `virt` machine facts: the fixed addresses the kernel needs before (or beside) the device
//! tree, and the device-tree reader ([`dt`]) that supplies everything else.

pub mod dt;

pub use dt::Platform;

/// Physical address where QEMU places the flattened device tree (the start of RAM).
pub const DTB_PHYS: u64 = 0x4000_0000;
/// Physical address of QEMU virt's PL011, used as the early console until the device tree
/// confirms it.
pub const EARLY_UART_PHYS: u64 = 0x0900_0000;
/// GIC interrupt id of the virtual timer when the device tree does not say (PPI 11).
pub const DEFAULT_TIMER_IRQ: u32 = 27;
/// GIC interrupt id of the PL011 when the device tree does not say (SPI 1).
pub const DEFAULT_UART_IRQ: u32 = 33;
/// Size of one virtio-mmio register window.
pub const VIRTIO_MMIO_SIZE: usize = 0x200;
