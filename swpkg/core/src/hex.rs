//! Lower-case hexadecimal encoding used for hashes and keys.

use alloc::string::String;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Encode bytes as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Decode exactly `N` bytes of lower-case hex (upper case is refused so every value has one
/// spelling, which the canonical manifest relies on).
pub fn decode<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        assert_eq!(encode(&[0x1a, 0x2b, 0xff]), "1a2bff");
        assert_eq!(decode::<3>("1a2bff"), Some([0x1a, 0x2b, 0xff]));
        assert_eq!(decode::<3>("1A2BFF"), None);
        assert_eq!(decode::<3>("1a2bf"), None);
        assert_eq!(decode::<2>("zz00"), None);
        assert_eq!(decode::<1>("é"), None);
    }
}
