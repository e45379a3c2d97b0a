//! Fuzz the full target-side read path: the package opener (frame header, window, one frame and
//! nothing after it) over pure-Rust zstd decoding, feeding the verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swpkg_core::{NullSink, PackageReader, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    let key = VerifyingKey::from_bytes(&[
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
    ])
    .expect("RFC 8032 test vector 1 public key");
    if let Ok(r) = PackageReader::new(data) {
        let _ = swpkg_core::verify_stream(r, &key, &mut NullSink);
    }
});
