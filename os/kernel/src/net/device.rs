//! The virtio-net device as a smoltcp [`phy::Device`], counting packets and bytes.

use crate::drivers::net::{Nic, QUEUE};
use alloc::vec::Vec;
use smoltcp::phy::{self, DeviceCapabilities, Medium};

#[derive(Default, Clone, Copy)]
pub struct Counters {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// The virtio-net device as a smoltcp [`phy::Device`].
pub struct NetDev {
    pub nic: Nic,
    pub counters: Counters,
}

pub struct RxTok(Vec<u8>);
pub struct TxTok<'a> {
    nic: &'a mut Nic,
    counters: &'a mut Counters,
}

impl phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxTok<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut tx = self.nic.new_tx_buffer(len);
        let r = f(tx.packet_mut());
        if self.nic.send(tx).is_ok() {
            self.counters.tx_packets += 1;
            self.counters.tx_bytes += len as u64;
        }
        r
    }
}

impl phy::Device for NetDev {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok<'a>;

    fn receive(
        &mut self,
        _t: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let buf = self.nic.receive().ok()?;
        // Copy the frame out so the descriptor goes straight back to the device.
        let frame = buf.packet().to_vec();
        let _ = self.nic.recycle_rx_buffer(buf);
        self.counters.rx_packets += 1;
        self.counters.rx_bytes += frame.len() as u64;
        Some((
            RxTok(frame),
            TxTok {
                nic: &mut self.nic,
                counters: &mut self.counters,
            },
        ))
    }

    fn transmit(&mut self, _t: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        if !self.nic.can_send() {
            return None;
        }
        Some(TxTok {
            nic: &mut self.nic,
            counters: &mut self.counters,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = 1514;
        c.max_burst_size = Some(QUEUE / 2);
        c
    }
}
