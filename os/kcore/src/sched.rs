//! Round-robin run queue of process ids.

use alloc::collections::VecDeque;

/// FIFO of runnable processes; each id appears at most once.
#[derive(Default)]
pub struct RunQueue {
    q: VecDeque<u32>,
}

impl RunQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Make `pid` runnable (no effect if already queued).
    pub fn push(&mut self, pid: u32) {
        if !self.q.contains(&pid) {
            self.q.push_back(pid);
        }
    }

    /// Next process to run, removed from the queue.
    pub fn pop(&mut self) -> Option<u32> {
        self.q.pop_front()
    }

    /// Drop `pid` (it blocked or exited).
    pub fn remove(&mut self, pid: u32) {
        self.q.retain(|&p| p != pid);
    }

    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_order_and_dedup() {
        let mut q = RunQueue::new();
        q.push(1);
        q.push(2);
        q.push(1);
        q.push(3);
        assert_eq!(q.len(), 3);
        let a = q.pop().unwrap();
        q.push(a);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), None);
        q.push(4);
        q.push(5);
        q.remove(4);
        assert_eq!(q.pop(), Some(5));
        assert!(q.is_empty());
    }
}
