//! Host implementation of the client [`Platform`]: trusted metadata kept as `ROLE.json` files in
//! a directory (atomic replace), the system clock, and a pluggable fetch function (local files
//! here; HTTP in the `tuf-client` binary).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use catalog_core::client::{FetchError, Platform};
use catalog_core::Role;

/// Trusted metadata in a directory: `root.json`, `timestamp.json`, `snapshot.json`,
/// `targets.json`.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// Use `dir` (created on first store).
    pub fn new(dir: &Path) -> DirStore {
        DirStore {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, role: Role) -> PathBuf {
        self.dir.join(format!("{}.json", role.name()))
    }

    /// Read a role's trusted metadata.
    pub fn load(&self, role: Role) -> Result<Option<Vec<u8>>, String> {
        match fs::read(self.path(role)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", self.path(role).display())),
        }
    }

    /// Atomically replace a role's trusted metadata.
    pub fn store(&self, role: Role, bytes: &[u8]) -> Result<(), String> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let p = self.path(role);
        atomic_write::write(&p, bytes).map_err(|e| format!("cannot replace {}: {e}", p.display()))
    }

    fn delegated_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            catalog_core::client::percent_encode(name)
        ))
    }

    /// Read a delegated role's trusted metadata (`DIR/<percent-encoded name>.json`).
    pub fn load_delegated(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let p = self.delegated_path(name);
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", p.display())),
        }
    }

    /// Atomically replace a delegated role's trusted metadata.
    pub fn store_delegated(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let p = self.delegated_path(name);
        atomic_write::write(&p, bytes).map_err(|e| format!("cannot replace {}: {e}", p.display()))
    }

    /// Delete a role's trusted metadata.
    pub fn remove(&self, role: Role) -> Result<(), String> {
        match fs::remove_file(self.path(role)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove {}: {e}", self.path(role).display())),
        }
    }
}

/// Read a local file (path or `file://` URL) of at most `max_len` bytes.
pub fn fetch_file(url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    let f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FetchError::NotFound),
        Err(e) => return Err(FetchError::Other(e.to_string())),
    };
    read_limited(f, max_len)
}

/// Read at most `max_len` bytes from `r`; [`FetchError::TooLarge`] if there is more.
pub fn read_limited<R: Read>(r: R, max_len: u64) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    r.take(max_len.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| FetchError::Other(e.to_string()))?;
    if out.len() as u64 > max_len {
        return Err(FetchError::TooLarge);
    }
    Ok(out)
}

/// Host platform: a [`DirStore`], the system clock and a fetch function.
pub struct DirTufPlatform<F> {
    /// Trusted metadata.
    pub store: DirStore,
    fetch: F,
}

impl<F: FnMut(&str, u64) -> Result<Vec<u8>, FetchError>> DirTufPlatform<F> {
    /// Combine a store and a fetch function.
    pub fn new(store: DirStore, fetch: F) -> Self {
        DirTufPlatform { store, fetch }
    }
}

impl<F: FnMut(&str, u64) -> Result<Vec<u8>, FetchError>> Platform for DirTufPlatform<F> {
    fn fetch(&mut self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        (self.fetch)(url, max_len)
    }
    fn load(&mut self, role: Role) -> Result<Option<Vec<u8>>, String> {
        self.store.load(role)
    }
    fn store(&mut self, role: Role, bytes: &[u8]) -> Result<(), String> {
        self.store.store(role, bytes)
    }
    fn remove(&mut self, role: Role) -> Result<(), String> {
        self.store.remove(role)
    }
    fn load_delegated(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        self.store.load_delegated(name)
    }
    fn store_delegated(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        self.store.store_delegated(name, bytes)
    }
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}
