//! Streamed, resumable downloads into `/pkg/cache/<file>.part`, checked against the length and
//! hashes the signed repository metadata pins. The package is never held in memory.

use crate::error::{Error, Result};
use crate::layout;
use crate::platform::{Platform, Sink, Source};
use alloc::string::{String, ToString};
use alloc::vec;
use catalog_core::metadata::PinnedCheck;

/// Size of the copy buffer.
pub const CHUNK: usize = 64 << 10;

/// What the repository says about a file to download.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// File name, for messages.
    pub file: &'a str,
    /// Pinned length.
    pub length: u64,
    /// Pinned hashes by algorithm (hex).
    pub hashes: &'a alloc::collections::BTreeMap<String, String>,
}

/// Path of the partial download of a file.
pub fn part_path(file: &str) -> String {
    layout::join(layout::CACHE, &alloc::format!("{file}.part"))
}

/// Download `url` into its `.part` file (resuming what an earlier attempt left), then check
/// length and hashes. Returns the path of the complete, verified file. A transfer that stops
/// early keeps the `.part` file for the next attempt; a file that fails its check is deleted.
pub fn fetch_verified<P: Platform>(p: &mut P, url: &str, want: &Expected<'_>) -> Result<String> {
    p.create_dir_all(layout::CACHE)?;
    let part = part_path(want.file);
    let mut have = p.metadata(&part)?.map(|m| m.size).unwrap_or(0);
    if have > want.length {
        p.remove_file(&part)?;
        have = 0;
    }
    if have < want.length {
        let resp = p.get(url, have)?;
        // The pinned length/hash check runs as the bytes arrive (one pass, no re-reading the
        // file); a resumed download first feeds it the bytes already on disk.
        let mut check = PinnedCheck::new(want.file, Some(want.length), Some(want.hashes), true)
            .map_err(|e| pin_error(want, e))?;
        let mut w = if resp.resumed && have > 0 {
            feed_prefix(p, &part, have, &mut check, want)?;
            p.append(&part)?
        } else {
            have = 0;
            p.create(&part, 0o644)?
        };
        if have > 0 {
            let event = crate::event::Event::Resuming {
                file: want.file,
                at: have,
            };
            crate::report::tell(p, &event);
        }
        let mut body = resp.body;
        let mut buf = vec![0u8; CHUNK];
        p.progress(want.file, have, want.length);
        let outcome: Result<()> = loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(Error::from_source(e)),
            };
            if have + n as u64 > want.length {
                break Err(Error::LengthMismatch {
                    file: want.file.to_string(),
                    expected: want.length,
                    found: have + n as u64,
                    at_least: true,
                    sha256: pinned_sha256(want),
                });
            }
            if let Err(e) = check.update(&buf[..n]) {
                break Err(pin_error(want, e));
            }
            if let Err(e) = w.write_all(&buf[..n]) {
                break Err(e.into());
            }
            have += n as u64;
            p.progress(want.file, have, want.length);
        };
        // Keep what arrived: it is the resume point of the next attempt.
        let finished = w.finish();
        if let (Ok(()), Err(e)) = (&outcome, finished) {
            return Err(e.into());
        }
        match outcome {
            Err(e @ Error::LengthMismatch { .. }) => {
                let _ = p.remove_file(&part);
                return Err(e);
            }
            // A local write failure is reported as itself.
            Err(e @ Error::Fs(_)) => return Err(e),
            Err(e) => {
                return Err(Error::Incomplete {
                    file: want.file.to_string(),
                    got: have,
                    expected: want.length,
                    part,
                    cause: e.to_string(),
                });
            }
            Ok(()) if have < want.length => {
                return Err(Error::Incomplete {
                    file: want.file.to_string(),
                    got: have,
                    expected: want.length,
                    part,
                    cause: String::from("the server closed the connection early"),
                })
            }
            Ok(()) => {}
        }
        if let Err(e) = check.finish() {
            let _ = p.remove_file(&part);
            return Err(pin_error(want, e));
        }
        return Ok(part);
    }
    // Complete from an earlier attempt (stopped after the transfer): check it from disk.
    if let Err(e) = check_file(p, &part, want) {
        let _ = p.remove_file(&part);
        return Err(e);
    }
    Ok(part)
}

/// Feed the first `len` bytes of `path` (an earlier attempt's `.part`) to `check`.
fn feed_prefix<P: Platform>(
    p: &mut P,
    path: &str,
    len: u64,
    check: &mut PinnedCheck,
    want: &Expected<'_>,
) -> Result<()> {
    let mut f = p.open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut left = len;
    while left > 0 {
        let n = f.read(&mut buf).map_err(Error::from_source)?;
        if n == 0 {
            break;
        }
        let n = n.min(left as usize);
        check.update(&buf[..n]).map_err(|e| pin_error(want, e))?;
        left -= n as u64;
    }
    Ok(())
}

/// Stream a file from disk through the pinned length/hash check.
pub fn check_file<P: Platform>(p: &mut P, path: &str, want: &Expected<'_>) -> Result<()> {
    let mut check = PinnedCheck::new(want.file, Some(want.length), Some(want.hashes), true)
        .map_err(|e| pin_error(want, e))?;
    let mut f = p.open(path)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut buf).map_err(Error::from_source)?;
        if n == 0 {
            break;
        }
        check.update(&buf[..n]).map_err(|e| pin_error(want, e))?;
    }
    check.finish().map_err(|e| pin_error(want, e))
}

/// The sha256 the signed metadata pins for `want` (`?` when it gives none).
fn pinned_sha256(want: &Expected<'_>) -> String {
    want.hashes
        .get("sha256")
        .cloned()
        .unwrap_or_else(|| String::from("?"))
}

fn pin_error(want: &Expected<'_>, e: catalog_core::Error) -> Error {
    let file = want.file;
    match e {
        catalog_core::Error::HashMismatch {
            algorithm,
            expected,
            found,
            ..
        } => Error::HashMismatch {
            file: file.to_string(),
            algorithm,
            expected,
            found,
        },
        catalog_core::Error::LengthMismatch {
            expected, found, ..
        } => Error::LengthMismatch {
            file: file.to_string(),
            expected,
            found,
            at_least: false,
            sha256: pinned_sha256(want),
        },
        other => Error::Metadata(other),
    }
}
