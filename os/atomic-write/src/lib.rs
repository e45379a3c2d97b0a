//! The one way host tools replace a file: write a temporary file in the same directory, `fsync`
//! it, rename it over the target, `fsync` the directory. A crash at any point leaves either the
//! old file or the complete new one under the name, and once [`write`] / [`AtomicFile::commit`]
//! returns the new file survives a power cut.
//!
//! `clippy.toml` disallows `std::fs::write` in the workspace, so a new writer lands here.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("timestamp.json");
//! atomic_write::write(&path, b"{}").unwrap();
//!
//! use std::io::Write;
//! let mut f = atomic_write::AtomicFile::create(&path).unwrap();
//! f.write_all(b"{\"version\": 2}").unwrap();
//! f.commit().unwrap(); // dropped without commit, the old file stays and the temporary goes
//! assert_eq!(std::fs::read(&path).unwrap(), b"{\"version\": 2}");
//! ```

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Replace `path` with `bytes` atomically and durably (see the crate docs). The file gets mode
/// 0644, set explicitly (`tempfile` creates 0600 and the umask does not apply).
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes.as_ref())?;
    f.commit()
}

/// A file being written that takes the place of `path` only on [`AtomicFile::commit`].
/// Dropped without a commit, the temporary file is removed and `path` is untouched.
pub struct AtomicFile {
    tmp: NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Start replacing `path`: a temporary `.NAME.XXXXXX.tmp` in the same directory (so the
    /// rename stays on one filesystem), mode 0644.
    pub fn create(path: impl AsRef<Path>) -> io::Result<AtomicFile> {
        Self::with_mode(path, 0o644)
    }

    /// As [`AtomicFile::create`], with the given permission bits (for example 0o600 for a
    /// secret, 0o755 for a program).
    pub fn with_mode(path: impl AsRef<Path>, mode: u32) -> io::Result<AtomicFile> {
        use std::os::unix::fs::PermissionsExt;
        let path = path.as_ref().to_path_buf();
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} names no file", path.display()),
            )
        })?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".tmp")
            .tempfile_in(parent(&path))?;
        tmp.as_file()
            .set_permissions(Permissions::from_mode(mode))?;
        Ok(AtomicFile { tmp, path })
    }

    /// The open temporary file (to seek, or to hand to a writer that wants a `File`).
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// `fsync` the data, rename it over the target, `fsync` the directory.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        let dir = parent(&self.path).to_path_buf();
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        File::open(&dir)?.sync_all()
    }

    /// As [`AtomicFile::commit`], but never replaces an existing file: if the target exists
    /// (even if it appeared while this file was being written) the error is `AlreadyExists`
    /// and nothing changes. For files that must not be overwritten, such as secret keys.
    pub fn commit_new(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        let dir = parent(&self.path).to_path_buf();
        self.tmp
            .persist_noclobber(&self.path)
            .map_err(|e| e.error)?;
        File::open(&dir)?.sync_all()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(d.path()), ["a.json"]);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn an_uncommitted_file_changes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a");
        write(&p, b"old").unwrap();
        let mut f = AtomicFile::with_mode(&p, 0o600).unwrap();
        f.write_all(b"half of the new").unwrap();
        assert_eq!(
            names(d.path()).len(),
            2,
            "the temporary is beside the target"
        );
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(names(d.path()), ["a"]);
    }

    #[test]
    fn commit_new_never_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k");
        let mut f = AtomicFile::with_mode(&p, 0o600).unwrap();
        f.write_all(b"first").unwrap();
        f.commit_new().unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"second").unwrap();
        assert_eq!(
            f.commit_new().unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"first");
        assert_eq!(names(d.path()), ["k"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_that_names_nothing_written() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("no/such/dir/a");
        let e = write(&p, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!p.exists());
    }

    #[test]
    fn a_relative_name_in_the_current_directory_works() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rel");
        // `parent` of a bare name is ".", not "".
        assert_eq!(parent(Path::new("rel")), Path::new("."));
        write(&p, b"x").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"x");
    }
}
