//! Extraction that never leaves a half-extracted tree: everything is written into a staging
//! directory next to the target and renamed into place only after the whole package verified.

use crate::error::Error;
use crate::read::verify_package_into;
use ed25519_dalek::VerifyingKey;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use swpkg_core::{Entry, Manifest, Sink};

/// Writes verified entries under a staging root.
struct FsSink {
    root: PathBuf,
    current: Option<(PathBuf, BufWriter<File>)>,
}

impl FsSink {
    fn at(&self, e: &Entry) -> PathBuf {
        // Paths are validated (relative, no `..`, parents are directories we created).
        self.root.join(&e.path)
    }
}

impl Sink for FsSink {
    type Error = Error;

    fn dir(&mut self, e: &Entry) -> Result<(), Error> {
        let p = self.at(e);
        fs::create_dir(&p).map_err(Error::io("cannot create directory", &p))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(e.mode.0))
            .map_err(Error::io("cannot set mode of", &p))
    }

    fn symlink(&mut self, e: &Entry) -> Result<(), Error> {
        let p = self.at(e);
        let target = e.link.as_deref().unwrap_or_default();
        std::os::unix::fs::symlink(target, &p).map_err(Error::io("cannot create symlink", &p))
    }

    fn file_start(&mut self, e: &Entry) -> Result<(), Error> {
        let p = self.at(e);
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&p)
            .map_err(Error::io("cannot create", &p))?;
        self.current = Some((p, BufWriter::with_capacity(256 << 10, f)));
        Ok(())
    }

    fn file_data(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if let Some((p, w)) = &mut self.current {
            w.write_all(chunk)
                .map_err(Error::io("cannot write", p.clone()))?;
        }
        Ok(())
    }

    fn file_end(&mut self, e: &Entry) -> Result<(), Error> {
        if let Some((p, w)) = self.current.take() {
            let f = w
                .into_inner()
                .map_err(|err| Error::io("cannot write", p.clone())(err.into_error()))?;
            f.set_permissions(fs::Permissions::from_mode(e.mode.0))
                .map_err(Error::io("cannot set mode of", &p))?;
        }
        Ok(())
    }
}

/// Removes the staging directory unless disarmed.
struct StagingGuard(Option<PathBuf>);

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// Verify `package` with `key` while extracting it to `to`, which must not exist (or be an
/// empty directory). On any error nothing is left at `to` (an empty directory given as `to`
/// is left as it was) and the staging directory is removed.
pub fn extract_package(package: &Path, key: &VerifyingKey, to: &Path) -> Result<Manifest, Error> {
    let replace_empty = match fs::symlink_metadata(to) {
        Ok(m) if m.is_dir() => {
            let mut rd = fs::read_dir(to).map_err(Error::io("cannot list", to))?;
            if rd.next().is_some() {
                return Err(Error::TargetExists { path: to.into() });
            }
            true
        }
        Ok(_) => return Err(Error::TargetExists { path: to.into() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io("cannot stat", to)(e)),
    };
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = to
        .file_name()
        .ok_or_else(|| Error::TargetExists { path: to.into() })?
        .to_string_lossy()
        .into_owned();
    let staging = parent.join(format!(".{name}.swpkg-staging-{}", std::process::id()));
    fs::create_dir(&staging).map_err(Error::io("cannot create staging directory", &staging))?;
    let mut guard = StagingGuard(Some(staging.clone()));
    fs::set_permissions(&staging, fs::Permissions::from_mode(0o755))
        .map_err(Error::io("cannot set mode of", &staging))?;
    let mut sink = FsSink {
        root: staging.clone(),
        current: None,
    };
    let manifest = verify_package_into(package, key, &mut sink)?;
    if replace_empty {
        fs::remove_dir(to).map_err(Error::io("cannot replace empty directory", to))?;
    }
    fs::rename(&staging, to).map_err(Error::io("cannot move extracted tree to", to))?;
    guard.0 = None;
    Ok(manifest)
}
