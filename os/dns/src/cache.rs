//! A small resolver cache: positive answers live for their TTL, NXDOMAIN for a short negative
//! TTL; the entry expiring first is evicted when the cache is full.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Longest time any answer is kept, seconds (also caps absurd TTLs).
pub const MAX_TTL: u32 = 3600;
/// How long "no such name" is remembered, seconds.
pub const NEGATIVE_TTL: u32 = 30;

/// A cached outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cached {
    Addrs(Vec<[u8; 4]>),
    NxDomain,
}

#[derive(Clone, Debug)]
struct Entry {
    value: Cached,
    expires_ms: u64,
}

/// Name → answer, with expiry on a caller-supplied millisecond clock.
#[derive(Clone, Debug)]
pub struct Cache {
    map: BTreeMap<String, Entry>,
    capacity: usize,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            map: BTreeMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// A live entry for `name` at time `now_ms`.
    pub fn get(&mut self, name: &str, now_ms: u64) -> Option<Cached> {
        let k = key(name);
        match self.map.get(&k) {
            Some(e) if e.expires_ms > now_ms => Some(e.value.clone()),
            Some(_) => {
                self.map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Remember `value` for `ttl` seconds (0 = do not cache).
    pub fn insert(&mut self, name: &str, value: Cached, ttl: u32, now_ms: u64) {
        let ttl = ttl.min(MAX_TTL);
        if ttl == 0 {
            return;
        }
        let k = key(name);
        if !self.map.contains_key(&k) && self.map.len() >= self.capacity {
            self.map.retain(|_, e| e.expires_ms > now_ms);
            if self.map.len() >= self.capacity {
                if let Some(victim) = self
                    .map
                    .iter()
                    .min_by_key(|(_, e)| e.expires_ms)
                    .map(|(k, _)| k.clone())
                {
                    self.map.remove(&victim);
                }
            }
        }
        self.map.insert(
            k,
            Entry {
                value,
                expires_ms: now_ms.saturating_add(u64::from(ttl) * 1000),
            },
        );
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn ttl_expiry_and_case() {
        let mut c = Cache::new(4);
        c.insert(
            "Repo.Swiftos.Test.",
            Cached::Addrs(vec![[10, 0, 2, 2]]),
            2,
            1000,
        );
        assert_eq!(
            c.get("repo.swiftos.test", 2999),
            Some(Cached::Addrs(vec![[10, 0, 2, 2]]))
        );
        assert_eq!(c.get("repo.swiftos.test", 3000), None);
        assert!(c.is_empty());
        c.insert("x", Cached::NxDomain, 0, 0);
        assert!(c.is_empty());
        c.insert("x", Cached::NxDomain, NEGATIVE_TTL, 0);
        assert_eq!(c.get("x", 29_999), Some(Cached::NxDomain));
        c.insert("huge", Cached::NxDomain, u32::MAX, 0);
        assert_eq!(c.get("huge", u64::from(MAX_TTL) * 1000), None);
    }

    #[test]
    fn evicts_soonest_expiring() {
        let mut c = Cache::new(2);
        c.insert("a", Cached::NxDomain, 10, 0);
        c.insert("b", Cached::NxDomain, 5, 0);
        c.insert("c", Cached::NxDomain, 20, 0);
        assert_eq!(c.len(), 2);
        assert!(c.get("b", 1).is_none());
        assert!(c.get("a", 1).is_some() && c.get("c", 1).is_some());
    }
}
