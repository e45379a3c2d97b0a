//! OLPC canonical JSON as TUF uses it (the bytes that are signed): objects with keys sorted by
//! their UTF-8 bytes, no insignificant whitespace, only `"` and `\` escaped inside strings, and
//! integers only (floating-point numbers cannot be represented and are refused).

use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

/// A value that has no canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value has no canonical JSON form: {0}")]
pub struct CanonicalError(pub String);

/// Encode `value` as canonical JSON.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Ok(out)
}

/// Serialize any `serde` value and encode it canonically (used when signing).
pub fn to_canonical_from<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let v = serde_json::to_value(value).map_err(|e| CanonicalError(alloc::format!("{e}")))?;
    to_canonical(&v)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.extend_from_slice(alloc::format!("{u}").as_bytes());
            } else if let Some(i) = n.as_i64() {
                out.extend_from_slice(alloc::format!("{i}").as_bytes());
            } else {
                return Err(CanonicalError(alloc::format!("non-integer number {n}")));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map may preserve insertion order if another crate in
            // the build enables its `preserve_order` feature.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_strips_whitespace() {
        let v = json!({"b": 1, "a": [true, null, "x\"y\\z\n"], "A": {"z": -3, "y": {}}});
        let c = to_canonical(&v).unwrap();
        assert_eq!(
            core::str::from_utf8(&c).unwrap(),
            "{\"A\":{\"y\":{},\"z\":-3},\"a\":[true,null,\"x\\\"y\\\\z\n\"],\"b\":1}"
        );
    }

    #[test]
    fn refuses_floats() {
        assert!(to_canonical(&json!({"a": 1.5})).is_err());
    }

    #[test]
    fn unicode_is_raw_utf8() {
        let c = to_canonical(&json!({"é": "ü"})).unwrap();
        assert_eq!(c, "{\"é\":\"ü\"}".as_bytes());
    }
}
