//! Device drivers for QEMU virt: the PL011 console ([`uart`], which also defines `kprint!` and
//! `kprintln!`), the GICv2 ([`gic`]), and the virtio-mmio devices: the shared transport and DMA
//! HAL ([`virtio`]), block devices ([`blk`]) and the network device probe ([`net`]).

#[macro_use]
pub mod uart;
pub mod blk;
pub mod gic;
pub mod net;
pub mod virtio;
