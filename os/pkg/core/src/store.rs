//! The package store: reading the active generation, staging verified packages, and the one
//! atomic commit step (new generation file, then rename of `current`).

use crate::error::{Error, Result};
use crate::generation::{
    self, DepRecord, Generation, Installed, Origin, MAX_CURRENT_BYTES, MAX_GENERATION_BYTES,
};
use crate::layout::{self, join};
use crate::platform::{FsError, Platform, Sink as FileSink, Source, SourceError};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use swpkg_core::{Entry, Manifest, StreamError, VerifyingKey};

/// Largest manifest copy the store reads back.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Name of the manifest copy inside a store directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the payload tree inside a store directory.
pub const PAYLOAD_DIR: &str = "root";

/// Adapter from a platform [`Source`] to the swpkg reader trait.
pub struct Reader<S>(pub S);

impl<S: Source> swpkg_core::Read for Reader<S> {
    type Error = SourceError;
    fn read(&mut self, buf: &mut [u8]) -> core::result::Result<usize, SourceError> {
        self.0.read(buf)
    }
}

/// A package verified and extracted into the staging area, not yet in the store.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Its verified manifest.
    pub manifest: Manifest,
    /// Store id (`<name>-<version>`).
    pub id: String,
    /// Where it was staged.
    pub dir: String,
}

/// Writes a package's payload under a staging directory as the verifier delivers it.
struct Extract<'a, P: Platform> {
    p: &'a mut P,
    root: String,
    open: Option<P::Writer>,
}

impl<P: Platform> swpkg_core::verify::Sink for Extract<'_, P> {
    type Error = FsError;
    fn dir(&mut self, entry: &Entry) -> core::result::Result<(), FsError> {
        self.p.create_dir_all(&join(&self.root, &entry.path))
    }
    fn symlink(&mut self, entry: &Entry) -> core::result::Result<(), FsError> {
        let target = entry.link.as_deref().unwrap_or("");
        self.p.symlink(target, &join(&self.root, &entry.path))
    }
    fn file_start(&mut self, entry: &Entry) -> core::result::Result<(), FsError> {
        self.open = Some(
            self.p
                .create(&join(&self.root, &entry.path), entry.mode.0)?,
        );
        Ok(())
    }
    fn file_data(&mut self, chunk: &[u8]) -> core::result::Result<(), FsError> {
        match self.open.as_mut() {
            Some(w) => w.write_all(chunk),
            None => Ok(()),
        }
    }
    fn file_end(&mut self, _entry: &Entry) -> core::result::Result<(), FsError> {
        match self.open.take() {
            Some(w) => w.finish(),
            None => Ok(()),
        }
    }
}

/// Short file name of a path, for messages.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The store over a platform.
pub struct Store<'a, P: Platform> {
    /// The platform.
    pub p: &'a mut P,
}

impl<'a, P: Platform> Store<'a, P> {
    /// Wrap a platform.
    pub fn new(p: &'a mut P) -> Self {
        Store { p }
    }

    fn exists(&mut self, path: &str) -> Result<bool> {
        Ok(self.p.metadata(path)?.is_some())
    }

    /// Number of the active generation (0 when nothing was ever installed).
    pub fn current_number(&mut self) -> Result<u64> {
        match self.p.read(layout::CURRENT, MAX_CURRENT_BYTES) {
            Ok(b) => Ok(generation::parse_current(&b)?),
            Err(e) if e.is_not_found() => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Load generation `n` (0 is the empty generation).
    pub fn generation(&mut self, n: u64) -> Result<Generation> {
        if n == 0 {
            return Ok(Generation::empty());
        }
        let bytes = self
            .p
            .read(&layout::generation_file(n), MAX_GENERATION_BYTES)?;
        Ok(Generation::parse(n, &bytes)?)
    }

    /// The active generation.
    pub fn current(&mut self) -> Result<Generation> {
        let n = self.current_number()?;
        self.generation(n)
    }

    /// Generation numbers that have a file, ascending.
    pub fn generation_numbers(&mut self) -> Result<Vec<u64>> {
        let names = match self.p.list(layout::GENERATIONS) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut v: Vec<u64> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".json"))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|n| n.parse().ok())
            .collect();
        v.sort_unstable();
        Ok(v)
    }

    /// Remove leftovers of an interrupted transaction (staging area, unrenamed pointer). Never
    /// touches anything the active generation uses.
    pub fn recover(&mut self) -> Result<()> {
        if self.exists(layout::STAGING)? {
            for name in self.p.list(layout::STAGING)? {
                self.p.remove_dir_all(&join(layout::STAGING, &name))?;
            }
        }
        if self.exists(layout::CURRENT_NEW)? {
            self.p.remove_file(layout::CURRENT_NEW)?;
        }
        Ok(())
    }

    /// Whether a package is already in the store (its manifest is there; whether its files
    /// are intact is [`crate::Pkg::check_store`]'s question).
    pub fn has(&mut self, id: &str) -> Result<bool> {
        self.exists(&join(&layout::store_dir(id), MANIFEST_FILE))
    }

    /// The manifest of a package in the store.
    pub fn manifest(&mut self, id: &str) -> Result<Manifest> {
        let path = join(&layout::store_dir(id), MANIFEST_FILE);
        let bytes = self.p.read(&path, MAX_MANIFEST_BYTES)?;
        Manifest::from_canonical_bytes(&bytes, &swpkg_core::Limits::DEFAULT)
            .map_err(|source| Error::Package { file: path, source })
    }

    /// Verify a `.swpkg` file against `key` and extract it into the staging area. On failure
    /// the staging directory is removed again. `user` marks a path the user named on the
    /// command line (opened with [`Platform::open_unpacked_user`]) rather than one in the root.
    pub fn stage(&mut self, package: &str, key: &VerifyingKey, user: bool) -> Result<Staged> {
        let file = file_name(package).to_string();
        // Messages name the package file, not its resumable download.
        let file = file.strip_suffix(".part").map(String::from).unwrap_or(file);
        let tmp = join(layout::STAGING, &format!("{file}.tmp"));
        if self.exists(&tmp)? {
            self.p.remove_dir_all(&tmp)?;
        }
        let result = self.stage_into(package, &file, &tmp, key, user);
        match result {
            Ok(manifest) => {
                let id = manifest.id();
                let dir = join(layout::STAGING, &id);
                let moved = (|| -> Result<()> {
                    if self.exists(&dir)? {
                        self.p.remove_dir_all(&dir)?;
                    }
                    self.p.rename(&tmp, &dir)?;
                    Ok(())
                })();
                if let Err(e) = moved {
                    let _ = self.p.remove_dir_all(&tmp);
                    return Err(e);
                }
                Ok(Staged { manifest, id, dir })
            }
            Err(e) => {
                let _ = self.p.remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    fn stage_into(
        &mut self,
        package: &str,
        file: &str,
        tmp: &str,
        key: &VerifyingKey,
        user: bool,
    ) -> Result<Manifest> {
        let payload = join(tmp, PAYLOAD_DIR);
        self.p.create_dir_all(&payload)?;
        let src = if user {
            self.p.open_unpacked_user(package)?
        } else {
            self.p.open_unpacked(package)?
        };
        let src = Reader(src);
        let mut sink = Extract {
            p: &mut *self.p,
            root: payload,
            open: None,
        };
        let manifest = swpkg_core::verify_stream(src, key, &mut sink).map_err(|e| match e {
            StreamError::Package(source) => Error::Package {
                file: file.to_string(),
                source,
            },
            StreamError::Read(e) => Error::from_source(e),
            StreamError::Sink(e) => Error::Fs(e),
        })?;
        let mut w = self.p.create(&join(tmp, MANIFEST_FILE), 0o644)?;
        w.write_all(&manifest.to_canonical_bytes())?;
        w.finish()?;
        Ok(manifest)
    }

    /// Write `g` as a new generation and make it current with one atomic rename. On error the
    /// new generation file is removed and `current` is unchanged.
    pub fn commit(&mut self, g: &Generation) -> Result<()> {
        self.p.create_dir_all(layout::GENERATIONS)?;
        let file = layout::generation_file(g.generation);
        let tmp = format!("{file}.tmp");
        let r = (|| -> Result<()> {
            let mut w = self.p.create(&tmp, 0o644)?;
            w.write_all(&g.to_bytes())?;
            w.finish()?;
            self.p.rename(&tmp, &file)?;
            self.point_current(g.generation)
        })();
        if r.is_err() {
            let _ = self.p.remove_file(&tmp);
            let _ = self.p.remove_file(&file);
        }
        r
    }

    /// Point `current` at an existing generation (write `current.new`, rename over `current`).
    pub fn point_current(&mut self, n: u64) -> Result<()> {
        let r = (|| -> Result<()> {
            let mut w = self.p.create(layout::CURRENT_NEW, 0o644)?;
            w.write_all(&generation::current_bytes(n))?;
            w.finish()?;
            self.p.rename(layout::CURRENT_NEW, layout::CURRENT)?;
            Ok(())
        })();
        if r.is_err() {
            let _ = self.p.remove_file(layout::CURRENT_NEW);
        } else {
            // `current` moved: a fallback `pkg activate` recorded for the old one is over.
            self.clear_fallback();
        }
        r
    }

    /// The fallback `pkg activate` recorded: (generation `current` names, generation in use).
    /// `None` when there is none or it is unreadable (it is only a hint).
    pub fn fallback(&mut self) -> Option<(u64, u64)> {
        let bytes = self.p.read(layout::FALLBACK, 64).ok()?;
        let text = core::str::from_utf8(&bytes).ok()?;
        let mut words = text.split_whitespace();
        let current = words.next()?.parse().ok()?;
        let used = words.next()?.parse().ok()?;
        (words.next().is_none() && used < current).then_some((current, used))
    }

    /// Record that `current` names generation `current` but `used` is the one in use.
    pub fn set_fallback(&mut self, current: u64, used: u64) -> Result<()> {
        let tmp = format!("{}.new", layout::FALLBACK);
        let r = (|| -> Result<()> {
            let mut w = self.p.create(&tmp, 0o644)?;
            w.write_all(format!("{current} {used}\n").as_bytes())?;
            w.finish()?;
            self.p.rename(&tmp, layout::FALLBACK)?;
            Ok(())
        })();
        if r.is_err() {
            let _ = self.p.remove_file(&tmp);
        }
        r
    }

    /// Forget a recorded fallback (best effort).
    pub fn clear_fallback(&mut self) {
        if let Ok(Some(_)) = self.p.metadata(layout::FALLBACK) {
            let _ = self.p.remove_file(layout::FALLBACK);
        }
    }

    /// Remove the staging and cache directories (and `/pkg` itself) when they are empty, so an
    /// idle store holds only the store, the generations and `current`, and a failed first
    /// install leaves no trace.
    pub fn tidy(&mut self) {
        for dir in [layout::STAGING, layout::CACHE, layout::PKG] {
            if let Ok(names) = self.p.list(dir) {
                if names.is_empty() {
                    let _ = self.p.remove_dir_all(dir);
                }
            }
        }
    }

    /// Next free generation number.
    pub fn next_number(&mut self) -> Result<u64> {
        // A damaged pointer does not block the next commit (which repairs it).
        let cur = self.current_number().unwrap_or(0);
        let max = self.generation_numbers()?.last().copied().unwrap_or(0);
        Ok(cur.max(max) + 1)
    }
}

/// The generation record of a verified manifest.
pub fn installed_from(manifest: &Manifest, explicit: bool, origin: Origin) -> Installed {
    Installed {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        explicit,
        store: manifest.id(),
        depends: manifest
            .depends
            .iter()
            .map(|d| DepRecord {
                name: d.name.clone(),
                req: d.req.to_string(),
            })
            .collect(),
        provides: manifest.provides.clone(),
        conflicts: manifest.conflicts.clone(),
        description: manifest.description.clone(),
        origin,
    }
}

/// A transaction: packages staged, then moved into the store, then one commit. Dropping it
/// without [`Transaction::commit`] succeeding is handled by [`Transaction::abort`].
pub struct Transaction {
    /// Staged packages not yet moved.
    pub staged: Vec<Staged>,
    /// Store directories this transaction created (removed again on abort).
    pub created: Vec<String>,
    /// Cache files to delete after a successful commit.
    pub downloads: Vec<String>,
    /// Store ids whose directory is damaged: their staged copy replaces it at commit.
    pub replace: Vec<String>,
}

impl Transaction {
    /// Empty transaction.
    pub fn new() -> Self {
        Transaction {
            staged: Vec::new(),
            created: Vec::new(),
            downloads: Vec::new(),
            replace: Vec::new(),
        }
    }

    /// Move the staged packages into the store, write `next` and switch `current` to it.
    pub fn commit<P: Platform>(
        &mut self,
        store: &mut Store<'_, P>,
        next: &Generation,
    ) -> Result<()> {
        store.p.create_dir_all(layout::STORE)?;
        // Entries leave `staged` only once moved, so an abort still finds the rest.
        while let Some(s) = self.staged.last().cloned() {
            let dest = layout::store_dir(&s.id);
            if store.has(&s.id)? && !self.replace.contains(&s.id) {
                store.p.remove_dir_all(&s.dir)?;
                self.staged.pop();
                continue;
            }
            if store.exists(&dest)? {
                // A damaged copy being replaced, or an incomplete directory without manifest
                // (a leftover of a crash).
                store.p.remove_dir_all(&dest)?;
            }
            store.p.rename(&s.dir, &dest)?;
            self.staged.pop();
            self.created.push(dest);
        }
        store.commit(next)?;
        for d in core::mem::take(&mut self.downloads) {
            let _ = store.p.remove_file(&d);
        }
        store.tidy();
        Ok(())
    }

    /// Undo everything: staged directories and store directories created by this transaction.
    pub fn abort<P: Platform>(&mut self, store: &mut Store<'_, P>) {
        for s in core::mem::take(&mut self.staged) {
            let _ = store.p.remove_dir_all(&s.dir);
        }
        for d in core::mem::take(&mut self.created) {
            let _ = store.p.remove_dir_all(&d);
        }
        store.tidy();
    }
}

impl Default for Transaction {
    fn default() -> Self {
        Self::new()
    }
}
