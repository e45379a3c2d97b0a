//! Streaming verification: signature first, then manifest rules, then every payload byte.

use crate::error::{PackageError, StreamError};
use crate::hex;
use crate::limits::Limits;
use crate::manifest::{Entry, EntryKind, Manifest, Sha256};
use crate::read::Read;
use crate::tar::{TarHeader, TarKind, TarReader};
use crate::{MANIFEST_NAME, SIGNATURE_LEN, SIGNATURE_NAME};
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::Digest;

/// Size of the buffer file data streams through.
pub const CHUNK: usize = 64 << 10;

/// Receives the payload while [`verify_stream`] checks it.
///
/// Calls arrive in manifest order. File bytes passed to [`Sink::file_data`] are *not yet
/// verified*: [`Sink::file_end`] is called only once the file's size and sha256 matched, and
/// the package as a whole is verified only when [`verify_stream`] returns `Ok`. A sink must
/// therefore stage what it receives and commit only after success (the host extractor writes
/// into a temporary directory and renames it into place).
pub trait Sink {
    /// The sink's own error.
    type Error;
    /// The verified, validated manifest, before any payload entry.
    fn manifest(&mut self, _manifest: &Manifest) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A directory (its parent has already been delivered).
    fn dir(&mut self, entry: &Entry) -> Result<(), Self::Error>;
    /// A symlink whose target passed validation (`entry.link`).
    fn symlink(&mut self, entry: &Entry) -> Result<(), Self::Error>;
    /// A file begins.
    fn file_start(&mut self, entry: &Entry) -> Result<(), Self::Error>;
    /// Next chunk of the current file (unverified until `file_end`).
    fn file_data(&mut self, chunk: &[u8]) -> Result<(), Self::Error>;
    /// The current file ended and its size and sha256 matched the manifest.
    fn file_end(&mut self, entry: &Entry) -> Result<(), Self::Error>;
}

/// A sink that discards everything (verification only).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl Sink for NullSink {
    type Error = Infallible;
    fn dir(&mut self, _: &Entry) -> Result<(), Infallible> {
        Ok(())
    }
    fn symlink(&mut self, _: &Entry) -> Result<(), Infallible> {
        Ok(())
    }
    fn file_start(&mut self, _: &Entry) -> Result<(), Infallible> {
        Ok(())
    }
    fn file_data(&mut self, _: &[u8]) -> Result<(), Infallible> {
        Ok(())
    }
    fn file_end(&mut self, _: &Entry) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The head of a package read *without* a key (for `swpkg inspect`).
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The manifest, parsed and validated but NOT authenticated.
    pub manifest: Manifest,
    /// The exact manifest bytes.
    pub manifest_bytes: Vec<u8>,
    /// The signature found (not checked).
    pub signature: Signature,
}

type Res<T, R, S> = Result<T, StreamError<<R as Read>::Error, S>>;

fn pkg<RE, S>(e: PackageError) -> StreamError<RE, S> {
    StreamError::Package(e)
}

/// Read the manifest and signature members (no interpretation of the manifest bytes).
fn read_head<R: Read, S>(
    tar: &mut TarReader<R>,
    limits: &Limits,
) -> Res<(Vec<u8>, Signature), R, S> {
    let h = tar.next_header()?.ok_or_else(|| {
        pkg(PackageError::Truncated {
            context: "the manifest (archive is empty)".to_string(),
        })
    })?;
    if h.path != MANIFEST_NAME || h.kind != TarKind::File {
        return Err(pkg(PackageError::ManifestNotFirst { found: h.path }));
    }
    if h.size > limits.max_manifest_bytes {
        return Err(pkg(PackageError::ManifestTooLarge {
            size: h.size,
            limit: limits.max_manifest_bytes,
        }));
    }
    let mut manifest = Vec::with_capacity(h.size as usize);
    let mut buf = vec![0u8; (h.size as usize).clamp(1, CHUNK)];
    tar.read_data(h.size, &mut buf, "the manifest", |c| {
        manifest.extend_from_slice(c);
        Ok(())
    })?;
    let h = tar.next_header()?.ok_or_else(|| {
        pkg(PackageError::SignatureNotSecond {
            found: "end of archive".to_string(),
        })
    })?;
    if h.path != SIGNATURE_NAME || h.kind != TarKind::File {
        return Err(pkg(PackageError::SignatureNotSecond { found: h.path }));
    }
    if h.size != SIGNATURE_LEN as u64 {
        return Err(pkg(PackageError::BadSignatureSize { size: h.size }));
    }
    let mut sig = [0u8; SIGNATURE_LEN];
    let mut at = 0;
    tar.read_data(h.size, &mut buf, "the signature", |c| {
        sig[at..at + c.len()].copy_from_slice(c);
        at += c.len();
        Ok(())
    })?;
    Ok((manifest, Signature::from_bytes(&sig)))
}

/// Read a package's manifest without verifying the signature or the payload. The result is
/// unauthenticated: show it to a person, never act on it.
pub fn inspect_stream<R: Read>(
    reader: R,
    limits: &Limits,
) -> Result<Inspected, StreamError<R::Error, Infallible>> {
    let mut tar = TarReader::new(reader);
    let (manifest_bytes, signature) = read_head(&mut tar, limits)?;
    let manifest = Manifest::from_canonical_bytes(&manifest_bytes, limits)?;
    Ok(Inspected {
        manifest,
        manifest_bytes,
        signature,
    })
}

/// [`verify_stream_with_limits`] with [`Limits::DEFAULT`].
pub fn verify_stream<R: Read, S: Sink>(
    reader: R,
    key: &VerifyingKey,
    sink: &mut S,
) -> Result<Manifest, StreamError<R::Error, S::Error>> {
    verify_stream_with_limits(reader, key, &Limits::DEFAULT, sink)
}

/// Verify a package from its decompressed tar bytes, delivering each entry to `sink`.
///
/// Order of checks: the first two members must be `+MANIFEST` and `+SIGNATURE`; the signature
/// must verify (strict ed25519) over the exact manifest bytes *before* they are parsed; the
/// manifest must be canonical and pass [`Manifest::validate`]; then every archive entry must
/// match the next manifest entry (path, type, mode, size, link target, sha256) with no extra,
/// missing or reordered entry; then only the end-of-archive marker and bounded zero padding
/// may follow. Returns the verified manifest.
pub fn verify_stream_with_limits<R: Read, S: Sink>(
    reader: R,
    key: &VerifyingKey,
    limits: &Limits,
    sink: &mut S,
) -> Result<Manifest, StreamError<R::Error, S::Error>> {
    verify_stream_with_keys(reader, core::slice::from_ref(key), limits, sink)
}

/// Like [`verify_stream_with_limits`], accepting a signature by any of `keys` (for example
/// during a signing-key rotation). An empty slice accepts nothing.
pub fn verify_stream_with_keys<R: Read, S: Sink>(
    reader: R,
    keys: &[VerifyingKey],
    limits: &Limits,
    sink: &mut S,
) -> Result<Manifest, StreamError<R::Error, S::Error>> {
    let mut tar = TarReader::new(reader);
    let (bytes, signature) = read_head(&mut tar, limits)?;
    if !keys
        .iter()
        .any(|k| k.verify_strict(&bytes, &signature).is_ok())
    {
        let tried: Vec<String> = keys.iter().map(|k| hex::encode(k.as_bytes())).collect();
        return Err(pkg(PackageError::BadSignature {
            key: tried.join(", "),
        }));
    }
    let manifest = Manifest::from_canonical_bytes(&bytes, limits)?;
    drop(bytes);
    sink.manifest(&manifest).map_err(StreamError::Sink)?;
    let mut buf = vec![0u8; CHUNK];
    for entry in &manifest.files {
        let h = tar.next_header()?.ok_or_else(|| {
            pkg(PackageError::MissingEntry {
                path: entry.path.clone(),
            })
        })?;
        check_header(&manifest, entry, &h)?;
        match entry.kind {
            EntryKind::Dir => sink.dir(entry).map_err(StreamError::Sink)?,
            EntryKind::Symlink => sink.symlink(entry).map_err(StreamError::Sink)?,
            EntryKind::File => {
                sink.file_start(entry).map_err(StreamError::Sink)?;
                let mut hasher = sha2::Sha256::new();
                tar.read_data(h.size, &mut buf, "a payload file", |c| {
                    hasher.update(c);
                    sink.file_data(c)
                })?;
                let content = Sha256(hasher.finalize().into());
                let expected = entry.sha256.unwrap_or(Sha256([0; 32]));
                if content != expected {
                    return Err(pkg(PackageError::HashMismatch {
                        path: entry.path.clone(),
                        manifest: expected.to_hex(),
                        content: content.to_hex(),
                    }));
                }
                sink.file_end(entry).map_err(StreamError::Sink)?;
            }
        }
    }
    if let Some(h) = tar.next_header()? {
        return Err(pkg(PackageError::ExtraEntry { found: h.path }));
    }
    tar.finish(limits.max_trailing_bytes)?;
    Ok(manifest)
}

fn check_header(manifest: &Manifest, entry: &Entry, h: &TarHeader) -> Result<(), PackageError> {
    if h.path != entry.path {
        return Err(if manifest.entry(&h.path).is_some() {
            PackageError::OutOfOrder {
                expected: entry.path.clone(),
                found: h.path.clone(),
            }
        } else if h.path == entry.path.as_str().to_string() + "/" {
            PackageError::KindMismatch {
                path: entry.path.clone(),
                manifest: entry.kind.as_str(),
                archive: h.kind.as_str(),
            }
        } else {
            PackageError::ExtraEntry {
                found: h.path.clone(),
            }
        });
    }
    let kind_ok = matches!(
        (entry.kind, h.kind),
        (EntryKind::File, TarKind::File)
            | (EntryKind::Dir, TarKind::Dir)
            | (EntryKind::Symlink, TarKind::Symlink)
    );
    if !kind_ok {
        return Err(PackageError::KindMismatch {
            path: entry.path.clone(),
            manifest: entry.kind.as_str(),
            archive: h.kind.as_str(),
        });
    }
    if h.mode != entry.mode.0 {
        return Err(PackageError::ModeMismatch {
            path: entry.path.clone(),
            manifest: entry.mode.0,
            archive: h.mode,
        });
    }
    if h.size != entry.size {
        return Err(PackageError::SizeMismatch {
            path: entry.path.clone(),
            manifest: entry.size,
            archive: h.size,
        });
    }
    if let Some(link) = &entry.link {
        if *link != h.link {
            return Err(PackageError::LinkMismatch {
                path: entry.path.clone(),
                manifest: link.clone(),
                archive: h.link.clone(),
            });
        }
    }
    Ok(())
}
