//! virtio-net over virtio-mmio: finding the network device. The stack that drives it lives in
//! `crate::net`.

use super::virtio::{self, KernelHal};
use virtio_drivers::device::net::VirtIONet;
use virtio_drivers::transport::mmio::MmioTransport;
use virtio_drivers::transport::{DeviceType, Transport};

/// Receive/transmit queue depth.
pub const QUEUE: usize = 64;
/// Receive buffer size per descriptor.
const BUF_LEN: usize = 2048;
/// virtio device id of a network card.
const VIRTIO_ID_NET: u32 = 1;

/// The virtio-net device.
pub type Nic = VirtIONet<KernelHal, MmioTransport<'static>, QUEUE>;

/// The first virtio-net device among the virtio-mmio `slots` (physical base, GIC irq), with
/// its interrupts enabled: the device and its interrupt id.
pub fn probe(slots: &[(u64, u32)]) -> Option<(Nic, u32)> {
    for &(base, irq) in slots {
        if virtio::device_id(base) != Some(VIRTIO_ID_NET) {
            continue;
        }
        let Some(transport) = virtio::transport(base) else {
            continue;
        };
        if transport.device_type() != DeviceType::Network {
            continue;
        }
        let mut nic = match Nic::new(transport, BUF_LEN) {
            Ok(n) => n,
            Err(e) => {
                kprintln!("kernel: virtio-net at {base:#x} failed: {e:?}");
                continue;
            }
        };
        nic.enable_interrupts();
        return Some((nic, irq));
    }
    None
}
