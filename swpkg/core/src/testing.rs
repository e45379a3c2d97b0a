//! The adversarial package set (feature `testing`): one generator, used by the tests of every
//! package reader (`swpkg verify`/`extract`, publish, `verify-url`, the host `pkg`, the in-OS
//! `pkg`'s decoder), so that each reader is shown to refuse the same files with the same words.
//!
//! Packages are built here without a compressor: the tar stream is written as a zstd frame of
//! raw (stored) blocks, which every zstd decoder reads. Everything is deterministic.

use crate::manifest::{Entry, EntryKind, Manifest, Mode, Sha256};
use crate::{ABI_VERSION, ARCH, FORMAT_VERSION, MANIFEST_NAME, SIGNATURE_NAME};
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// Seed of the signing key of every package made here.
pub const KEY_SEED: [u8; 32] = [0x5e; 32];
/// Content of the one file (`bin/hello`) of the packages made here.
pub const HELLO: &[u8] = b"#!/bin/sh\necho hello\n";

/// The key that signs the packages made here.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&KEY_SEED)
}

/// Its public half (what a reader is given to verify with).
pub fn verifying_key() -> VerifyingKey {
    signing_key().verifying_key()
}

/// A valid manifest named `name` (not checked: pass a bad name to get a bad package) with a
/// `bin` directory and the executable `bin/hello`.
pub fn manifest(name: &str) -> Manifest {
    Manifest {
        abi: ABI_VERSION,
        arch: ARCH.to_string(),
        conflicts: vec![],
        depends: vec![],
        description: "adversarial test package".into(),
        files: vec![
            Entry {
                kind: EntryKind::Dir,
                link: None,
                mode: Mode::DIR,
                path: "bin".into(),
                sha256: None,
                size: 0,
            },
            Entry {
                kind: EntryKind::File,
                link: None,
                mode: Mode::EXEC,
                path: "bin/hello".into(),
                sha256: Some(Sha256::digest(HELLO)),
                size: HELLO.len() as u64,
            },
        ],
        format: FORMAT_VERSION,
        license: "MIT".into(),
        name: name.into(),
        provides: vec![],
        version: semver::Version::new(1, 0, 0),
    }
}

/// Append one ustar member (`typeflag` `b'0'` file or `b'5'` directory).
fn member(out: &mut Vec<u8>, name: &str, typeflag: u8, mode: u32, data: &[u8]) {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
        let s = alloc::format!("{v:0w$o}", w = len - 1);
        h[at..at + len - 1].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, u64::from(mode));
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, data.len() as u64);
    octal(&mut h, 136, 12, 0);
    h[148..156].copy_from_slice(b"        ");
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = alloc::format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
}

/// The tar stream of a package with manifest `m` signed by [`signing_key`] (the payload of
/// [`manifest`]: `bin/` and `bin/hello`).
pub fn package_tar(m: &Manifest) -> Vec<u8> {
    let bytes = m.to_canonical_bytes();
    let sig = signing_key().sign(&bytes).to_bytes();
    let mut out = Vec::new();
    member(&mut out, MANIFEST_NAME, b'0', 0o644, &bytes);
    member(&mut out, SIGNATURE_NAME, b'0', 0o644, &sig);
    member(&mut out, "bin/", b'5', 0o755, b"");
    member(&mut out, "bin/hello", b'0', 0o755, HELLO);
    out.resize(out.len() + 1024, 0);
    out
}

/// One zstd frame (no checksum, no content size) of raw blocks holding `data`, declaring a
/// window of `1 << window_log` bytes (10..=41).
pub fn zstd_frame(data: &[u8], window_log: u8) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xFD2F_B528u32.to_le_bytes()); // RFC 8878 magic number
    out.push(0); // descriptor: no content size, not single-segment, no checksum, no dictionary
    out.push((window_log - 10) << 3);
    let block = (1usize << window_log).min(128 << 10);
    let mut chunks = data.chunks(block).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0]); // one empty last raw block
    }
    while let Some(c) = chunks.next() {
        let last = u32::from(chunks.peek().is_none());
        let header = last | ((c.len() as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(c);
    }
    out
}

/// A valid package (`hello` 1.0.0), as a `.swpkg` file's bytes.
pub fn good_package() -> Vec<u8> {
    zstd_frame(&package_tar(&manifest("hello")), 22)
}

/// One adversarial package file.
#[derive(Debug, Clone)]
pub struct Case {
    /// Short name (usable as a file name stem).
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Words every reader's error message contains for this file.
    pub words: &'static str,
}

/// The set: a second frame appended, trailing garbage, a 16 MiB window, a truncated frame and a
/// bad package name in the (correctly signed) manifest.
pub fn adversarial_packages() -> Vec<Case> {
    let good = good_package();
    let mut second = good.clone();
    second.extend_from_slice(&zstd_frame(b"a second frame", 10));
    let mut garbage = good.clone();
    garbage.extend_from_slice(b"junk");
    vec![
        Case {
            name: "second-frame",
            bytes: second,
            words: "data after the end of the zstd frame: a second zstd frame (a package is exactly one frame)",
        },
        Case {
            name: "trailing-garbage",
            bytes: garbage,
            words: "data after the end of the zstd frame (a package is one zstd frame and nothing after it)",
        },
        Case {
            name: "window-16mib",
            bytes: zstd_frame(&package_tar(&manifest("hello")), 24),
            words: "the package's zstd frame needs a 16777216-byte window, over the 8 MiB limit (8388608 bytes)",
        },
        Case {
            name: "truncated",
            bytes: good[..good.len() / 2].to_vec(),
            words: "the package is truncated (its compressed data ends early)",
        },
        Case {
            name: "bad-name",
            bytes: zstd_frame(&package_tar(&manifest("Hello")), 22),
            words: "manifest field name: \"Hello\" must start with a lower-case letter or digit",
        },
    ]
}

/// The public key file text of [`verifying_key`] (`NAME.pub` format).
pub fn public_key_file() -> String {
    crate::format_public_key(&verifying_key())
}
