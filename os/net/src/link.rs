//! An in-memory Ethernet link: two [`QueueDevice`]s whose frames arrive at each other. Used by
//! the host tests to run two complete stacks against each other; also handy for fuzzing.

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of an in-memory link.
pub struct QueueDevice {
    rx: Queue,
    tx: Queue,
    mtu: usize,
    /// Frames sent by this end (for assertions).
    pub sent: usize,
}

/// Make a connected pair.
pub fn pair(mtu: usize) -> (QueueDevice, QueueDevice) {
    let a: Queue = Rc::default();
    let b: Queue = Rc::default();
    (
        QueueDevice {
            rx: a.clone(),
            tx: b.clone(),
            mtu,
            sent: 0,
        },
        QueueDevice {
            rx: b,
            tx: a,
            mtu,
            sent: 0,
        },
    )
}

impl QueueDevice {
    /// Frames waiting for this end.
    pub fn pending(&self) -> usize {
        self.rx.borrow().len()
    }
}

pub struct RxToken(Vec<u8>);
pub struct TxToken<'a> {
    tx: &'a Queue,
    sent: &'a mut usize,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.tx.borrow_mut().push_back(buf);
        *self.sent += 1;
        r
    }
}

impl Device for QueueDevice {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _t: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((
            RxToken(frame),
            TxToken {
                tx: &self.tx,
                sent: &mut self.sent,
            },
        ))
    }

    fn transmit(&mut self, _t: Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            tx: &self.tx,
            sent: &mut self.sent,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = self.mtu;
        c
    }
}
