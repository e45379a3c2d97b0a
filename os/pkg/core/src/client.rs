//! The `pkg` commands, written once over [`Platform`]: repository set-up and update, search and
//! info, transactional install (repository or local file), remove, upgrade and rollback.

use crate::download::{self, Expected};
use crate::error::{Error, Result};
use crate::generation::{Generation, Installed};
use crate::layout;
use crate::platform::Platform;
use crate::repo::{self, RepoConfig};
use crate::store::{self, Staged, Store, Transaction};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use catalog_core::client::join_url;
use catalog_core::index::Package;
use catalog_core::keys::PublicKey;
use catalog_core::metadata::{parse, Root, Targets};
use catalog_core::Role;
use semver::{Version, VersionReq};
use swpkg_core::{Entry, PackageError, VerifyingKey};

/// How `pkg repo set` learns the trusted root.
#[derive(Debug, Clone)]
pub enum TrustedRoot {
    /// The root metadata bytes, obtained out of band (`--trusted-root root.json`).
    File(Vec<u8>),
    /// Download `1.root.json` from the repository and accept it only if this key is one of
    /// its root keys and it is properly self-signed (`--root-key FILE`: ed25519, ECDSA P-256
    /// or RSA; see [`repo::parse_root_key`]). An ed25519 root key of a SwiftOS repository also
    /// signs its packages, so it is added to the package keys.
    Key(PublicKey),
}

/// One line of `pkg search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Name.
    pub name: String,
    /// Newest version.
    pub version: Version,
    /// Description.
    pub description: String,
    /// Installed version, if any.
    pub installed: Option<Version>,
}

/// `pkg info NAME`.
#[derive(Debug, Clone)]
pub struct Info {
    /// Name.
    pub name: String,
    /// Published versions, newest first (empty if no repository index is available).
    pub published: Vec<Version>,
    /// Description.
    pub description: String,
    /// Dependencies of the newest (or installed) version.
    pub depends: Vec<(String, String)>,
    /// Download size of the newest version.
    pub download_size: Option<u64>,
    /// Installed record.
    pub installed: Option<Installed>,
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Generation before.
    pub from: u64,
    /// Generation after (equal to `from` when nothing needed doing).
    pub to: u64,
    /// Packages added or changed (`name version`).
    pub added: Vec<String>,
    /// Packages removed (`name version`).
    pub removed: Vec<String>,
    /// What happened to the system's package overlay after the commit.
    pub overlay: Overlay,
}

/// The package overlay after a command (see [`Platform::set_overlay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing was committed, the overlay was not touched.
    Unchanged,
    /// This system has no overlay (the host form).
    Unsupported,
    /// The overlay now shows this many package payload roots.
    Applied(usize),
    /// The commit is done but the overlay could not be switched (the message says why); the
    /// next `pkg activate` (at the latest the next boot) applies it.
    Failed(String),
}

/// What `pkg activate` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The generation `current` names (`None` when the pointer itself is unreadable).
    pub current: Option<u64>,
    /// The generation made visible (equal to `current` unless that one is damaged).
    pub used: u64,
    /// Every problem found, generation by generation (empty when `current` is intact).
    pub problems: Vec<String>,
    /// Generations checked and rejected before `used`, newest first.
    pub rejected: Vec<u64>,
    /// Package payload roots handed to the overlay (first wins).
    pub roots: Vec<String>,
    /// Packages of the generation in use (`name version`).
    pub packages: Vec<String>,
    /// The overlay outcome.
    pub overlay: Overlay,
}

/// The generation the commands work from: the one `current` names, or, when that one is
/// damaged, the one in use instead (the one `pkg activate` falls back to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// The generation in use.
    pub generation: Generation,
    /// Set when this is not the generation `current` names.
    pub recorded: Option<Recorded>,
}

/// The generation `current` names when it is not the one in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Its number (`None` when the pointer itself is unreadable).
    pub number: Option<u64>,
    /// Its packages (`name version`), when its file could be read.
    pub packages: Vec<String>,
    /// Why it is not used.
    pub problem: String,
}

/// One line saying a stored package is damaged and what happens now (`then`).
pub fn damaged_line(name: &str, version: &Version, problems: &[String], then: &str) -> String {
    let first = problems.first().map(String::as_str).unwrap_or("");
    let more = match problems.len() {
        0 | 1 => String::new(),
        n => format!(" and {} more problem(s)", n - 1),
    };
    format!("{name} {version} in the store is damaged ({first}{more}): {then}")
}

fn names(g: &Generation) -> Vec<String> {
    g.packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

/// The package client over a platform.
pub struct Pkg<P: Platform> {
    /// The platform.
    pub p: P,
}

fn ids(g: &Generation) -> BTreeMap<String, Version> {
    g.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn diff(old: &Generation, new: &Generation) -> (Vec<String>, Vec<String>) {
    let (o, n) = (ids(old), ids(new));
    let added = n
        .iter()
        .filter(|(k, v)| o.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let removed = o
        .iter()
        .filter(|(k, v)| n.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    (added, removed)
}

/// Does `g` satisfy dependency `name req` (by name or by a provided name)?
fn satisfied(g: &[Installed], name: &str, req: &VersionReq) -> bool {
    g.iter().any(|p| {
        (p.name == name && req.matches(&p.version)) || p.provides.iter().any(|v| v == name)
    })
}

impl<P: Platform> Pkg<P> {
    /// Wrap a platform.
    pub fn new(p: P) -> Self {
        Pkg { p }
    }

    fn lock(&mut self) -> Result<()> {
        self.p.lock().map_err(|e| match e.kind {
            crate::platform::FsErrorKind::AlreadyExists => Error::Locked(e.message),
            _ => Error::Fs(e),
        })
    }

    fn store(&mut self) -> Store<'_, P> {
        Store::new(&mut self.p)
    }

    /// Hand the payload roots of `g` to the platform's overlay; never fails the command (the
    /// commit already happened), the outcome is reported.
    fn publish(&mut self, g: &Generation) -> Overlay {
        let roots = payload_roots(g);
        match self.p.set_overlay(&roots) {
            Ok(true) => Overlay::Applied(roots.len()),
            Ok(false) => Overlay::Unsupported,
            Err(e) => Overlay::Failed(e.to_string()),
        }
    }

    /// `pkg activate`: check the active generation's files against their manifests and make it
    /// visible through the overlay. A damaged active generation is reported problem by problem
    /// and the newest older generation that verifies is used instead (nothing is deleted and
    /// `current` is not changed, so `pkg verify` and a repair still see the damage). With no
    /// generation intact the empty generation 0 is used.
    pub fn activate(&mut self) -> Result<Activation> {
        // Leftovers of an interrupted transaction go first (only when nobody else works here).
        let locked = self.lock().is_ok();
        if locked {
            if let Err(e) = self.store().recover() {
                self.p
                    .say(&format!("pkg activate: cleaning up the staging area: {e}"));
            }
        }
        let mut problems = Vec::new();
        let current = match self.store().current_number() {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(format!("{}: {e}", layout::CURRENT));
                None
            }
        };
        let mut rejected = Vec::new();
        let g = self.usable(current, &mut problems, &mut rejected);
        // Remember a fallback so the other commands describe (and start from) the generation
        // in use; only with the store lock (taken above), never racing a transaction.
        if locked {
            match current {
                Some(c) if c != g.generation => {
                    if let Err(e) = self.store().set_fallback(c, g.generation) {
                        self.p.say(&format!(
                            "pkg activate: cannot record the fallback in {}: {e}",
                            layout::FALLBACK
                        ));
                    }
                }
                _ => self.store().clear_fallback(),
            }
        }
        let overlay = self.publish(&g);
        Ok(Activation {
            current,
            used: g.generation,
            problems,
            rejected,
            roots: payload_roots(&g),
            packages: names(&g),
            overlay,
        })
    }

    /// The newest generation at or before `current` (every generation when `None`) that reads
    /// and verifies; generation 0 (empty) when none does. Problems and rejected numbers are
    /// appended.
    fn usable(
        &mut self,
        current: Option<u64>,
        problems: &mut Vec<String>,
        rejected: &mut Vec<u64>,
    ) -> Generation {
        let mut candidates: Vec<u64> = match self.store().generation_numbers() {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: {e}", layout::GENERATIONS));
                Vec::new()
            }
        };
        candidates.retain(|&n| current.is_none_or(|c| n < c));
        candidates.reverse();
        if let Some(c) = current {
            candidates.insert(0, c);
        }
        for n in candidates {
            if n == 0 {
                break;
            }
            let g = match self.store().generation(n) {
                Ok(g) => g,
                Err(e) => {
                    problems.push(format!("generation {n}: {e}"));
                    rejected.push(n);
                    continue;
                }
            };
            let found = match self.verify_generation(&g, None) {
                Ok(found) => found,
                Err(e) => alloc::vec![format!("{e}")],
            };
            if !found.is_empty() {
                problems.extend(found.into_iter().map(|p| format!("generation {n}: {p}")));
                rejected.push(n);
                continue;
            }
            return g;
        }
        // Generation 0 is empty and always intact.
        Generation::empty()
    }

    /// The generation the commands work from (see [`InUse`]): the one `current` names unless
    /// `pkg activate` fell back from it, or it (or the pointer) cannot be read; then the newest
    /// older one that is intact.
    pub fn in_use(&mut self) -> Result<InUse> {
        let (number, problem) = match self.store().current_number() {
            Ok(n) => match self.store().generation(n) {
                Ok(g) => {
                    if let Some((c, used)) = self.store().fallback() {
                        if c == n {
                            if let Ok(u) = self.store().generation(used) {
                                return Ok(InUse {
                                    generation: u,
                                    recorded: Some(Recorded {
                                        number: Some(n),
                                        packages: names(&g),
                                        problem: String::from(
                                            "`pkg activate` found it damaged; `pkg verify` shows why",
                                        ),
                                    }),
                                });
                            }
                        }
                    }
                    return Ok(InUse {
                        generation: g,
                        recorded: None,
                    });
                }
                Err(e) => (Some(n), e.to_string()),
            },
            Err(e) => (None, e.to_string()),
        };
        let (mut problems, mut rejected) = (Vec::new(), Vec::new());
        let g = self.usable(number, &mut problems, &mut rejected);
        Ok(InUse {
            generation: g,
            recorded: Some(Recorded {
                number,
                packages: Vec::new(),
                problem,
            }),
        })
    }

    /// The system's pinned repository root key ([`layout::PINNED_ROOT_KEY`]).
    pub fn pinned_root_key(&mut self) -> Result<VerifyingKey> {
        let path = layout::PINNED_ROOT_KEY;
        let shown = self.p.shown(path);
        let bytes = self.p.read(path, 4096).map_err(|e| {
            if e.is_not_found() {
                Error::Usage(format!(
                    "no pinned repository root key ({shown} is missing); give --root-key FILE \
                     (the repository's repo-root.pub) or --trusted-root ROOT_JSON"
                ))
            } else {
                Error::Fs(e)
            }
        })?;
        let text = core::str::from_utf8(&bytes)
            .map_err(|_| Error::Usage(format!("{path}: not a public key file (not text)")))?;
        swpkg_core::parse_public_key(text)
            .map_err(|e| Error::Usage(format!("{path}: not a public key file: {e}")))
    }

    /// `pkg update URL`: `pkg repo set URL` with the pinned root key, then `pkg update`.
    pub fn update_from(&mut self, url: &str) -> Result<usize> {
        let key = self.pinned_root_key()?;
        self.repo_set(url, TrustedRoot::Key(PublicKey::Ed25519(key)), &[])?;
        self.update()
    }

    // ---- repository -------------------------------------------------------------------

    /// `pkg repo set URL`: record the repository and its trusted root. Cached metadata of a
    /// previous repository is dropped.
    pub fn repo_set(
        &mut self,
        url: &str,
        root: TrustedRoot,
        package_keys: &[VerifyingKey],
    ) -> Result<()> {
        let Some(rest) = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
        else {
            return Err(Error::Usage(format!(
                "repository URL {url:?} has no http:// in front; e.g. http://{}/",
                url.trim_end_matches('/')
            )));
        };
        if rest.is_empty() || rest.starts_with('/') || rest.starts_with(':') {
            return Err(Error::Usage(format!(
                "repository URL {url:?} names no host; e.g. http://repo.swiftos.test:8080/"
            )));
        }
        self.lock()?;
        let mut keys: Vec<String> = package_keys.iter().map(|k| hex(k.as_bytes())).collect();
        let config = RepoConfig {
            url: url.trim_end_matches('/').to_string(),
            metadata_path: "metadata".into(),
            targets_path: "targets".into(),
            package_keys: Vec::new(),
        };
        let bytes = match root {
            TrustedRoot::File(bytes) => {
                repo::check_root(&bytes, None)?;
                bytes
            }
            TrustedRoot::Key(key) => {
                let u = join_url(&config.metadata_base(), "1.root.json");
                let bytes = repo::fetch_small(&mut self.p, &u, 512_000).map_err(|e| {
                    use catalog_core::client::FetchError as F;
                    Error::Usage(match e {
                        F::NotFound => format!(
                            "{u} does not exist (HTTP 404): is {url} a SwiftOS repository (URL/metadata, URL/targets)?"
                        ),
                        F::TooLarge => format!("{u} is larger than 512000 bytes: not a root metadata file"),
                        F::Other(m) => format!("cannot download the root metadata: {m}"),
                    })
                })?;
                repo::check_root(&bytes, Some(&key))?;
                if let PublicKey::Ed25519(key) = key {
                    let k = hex(key.as_bytes());
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                bytes
            }
        };
        let config = RepoConfig {
            package_keys: keys,
            ..config
        };
        // Replace the trust store: the new root, no cached metadata of the old repository.
        self.p.create_dir_all(layout::METADATA_DIR)?;
        for role in [Role::Timestamp, Role::Snapshot, Role::Targets] {
            match self.p.remove_file(&layout::metadata_file(role.name())) {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
        }
        repo::write_atomic(&mut self.p, &layout::metadata_file("root"), &bytes)?;
        repo::save_config(&mut self.p, &config)?;
        let n = config.package_keys.len();
        self.p.say(&format!(
            "repository set to {} ({n} package signing key(s) trusted)",
            config.url
        ));
        Ok(())
    }

    /// `pkg update`: refresh the signed metadata; returns the number of packages available.
    pub fn update(&mut self) -> Result<usize> {
        self.lock()?;
        let index = repo::update(&mut self.p)?;
        let n = index.packages().len();
        let refused = index.refused().len();
        let mut line = format!("repository metadata verified: {n} package(s) available");
        if refused > 0 {
            line.push_str(&format!(
                ", {refused} release(s) skipped as built for another system"
            ));
        }
        self.p.say(&line);
        Ok(n)
    }

    /// `pkg search TEXT`.
    pub fn search(&mut self, text: &str) -> Result<Vec<Hit>> {
        let (_, index) = repo::cached_index(&mut self.p)?;
        let g = self.in_use()?.generation;
        let hits: Vec<Hit> = index
            .search(text)
            .into_iter()
            .map(|p| Hit {
                name: p.meta.name.clone(),
                version: p.version.clone(),
                description: p.meta.description.clone(),
                installed: g.get(&p.meta.name).map(|i| i.version.clone()),
            })
            .collect();
        Ok(hits)
    }

    /// `pkg info NAME`: repository facts (when available) and the installed record.
    pub fn info(&mut self, name: &str) -> Result<Info> {
        let installed = self.in_use()?.generation.get(name).cloned();
        let index = match repo::cached_index(&mut self.p) {
            Ok((_, i)) => Some(i),
            Err(Error::NoRepo | Error::NotUpdated) if installed.is_some() => None,
            Err(e) if installed.is_none() => return Err(e),
            Err(_) => None,
        };
        let releases: &[Package] = match &index {
            Some(i) => i.versions(name).unwrap_or(&[]),
            None => &[],
        };
        if releases.is_empty() && installed.is_none() {
            return Err(Error::UnknownPackage {
                name: name.into(),
                where_: "in the repository or installed",
            });
        }
        let (description, depends, size) = match (releases.first(), &installed) {
            (Some(p), _) => (
                p.meta.description.clone(),
                p.meta
                    .deps
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                Some(p.length),
            ),
            (None, Some(i)) => (
                i.description.clone(),
                i.depends
                    .iter()
                    .map(|d| (d.name.clone(), d.req.clone()))
                    .collect(),
                None,
            ),
            (None, None) => (String::new(), Vec::new(), None),
        };
        Ok(Info {
            name: name.into(),
            published: releases.iter().map(|p| p.version.clone()).collect(),
            description,
            depends,
            download_size: size,
            installed,
        })
    }

    // ---- queries on the store ---------------------------------------------------------

    /// `pkg list`: the generation in use (see [`Pkg::in_use`] for the whole story).
    pub fn list(&mut self) -> Result<Generation> {
        Ok(self.in_use()?.generation)
    }

    /// All generations (number, parent, reason, package count), oldest first.
    pub fn generations(&mut self) -> Result<Vec<Generation>> {
        let nums = self.store().generation_numbers()?;
        nums.into_iter()
            .map(|n| self.store().generation(n))
            .collect()
    }

    /// `pkg files NAME`: the entries of an installed package, from its verified manifest.
    pub fn files(&mut self, name: &str) -> Result<(String, Vec<Entry>)> {
        let g = self.in_use()?.generation;
        let i = g.get(name).ok_or_else(|| Error::UnknownPackage {
            name: name.into(),
            where_: "installed",
        })?;
        let id = i.store.clone();
        let m = self.store().manifest(&id)?;
        Ok((
            layout::join(&layout::store_dir(&id), store::PAYLOAD_DIR),
            m.files,
        ))
    }

    /// `pkg verify [NAME]`: re-check installed files against their verified manifests (kind,
    /// size, sha256, symlink target). Returns one line per problem; empty means intact.
    pub fn verify(&mut self, name: Option<&str>) -> Result<Vec<String>> {
        let g = match self.store().current() {
            Ok(g) => g,
            Err(e) => {
                // The recorded generation is unreadable: that is the first problem; the
                // generation in use is checked too.
                let u = self.in_use()?;
                let mut problems = alloc::vec![format!(
                    "{e} (the generation {} names; generation {} is in use)",
                    layout::CURRENT,
                    u.generation.generation
                )];
                problems.extend(self.verify_generation(&u.generation, name)?);
                return Ok(problems);
            }
        };
        if let Some(n) = name {
            if g.get(n).is_none() {
                return Err(Error::UnknownPackage {
                    name: n.into(),
                    where_: "installed",
                });
            }
        }
        self.verify_generation(&g, name)
    }

    /// Check the packages of `g` (or only `name`) against their manifests; one line per problem.
    pub fn verify_generation(&mut self, g: &Generation, name: Option<&str>) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for p in g
            .packages
            .iter()
            .filter(|p| name.is_none_or(|n| n == p.name))
        {
            let who = format!("{} {}", p.name, p.version);
            for problem in self.check_store(&p.store)? {
                problems.push(format!("{who}: {problem}"));
            }
        }
        Ok(problems)
    }

    /// Check one store directory against its manifest (every entry present, of the right kind,
    /// files of the right size and sha256, symlinks pointing where they should). One line per
    /// problem, without the package name; empty means intact.
    pub fn check_store(&mut self, id: &str) -> Result<Vec<String>> {
        use crate::platform::{NodeKind, Source};
        use sha2::Digest;
        let mut problems = Vec::new();
        let mut buf = alloc::vec![0u8; 64 << 10];
        {
            if !self.store().has(id)? {
                problems.push(format!(
                    "{} is missing from the store",
                    layout::store_dir(id)
                ));
                return Ok(problems);
            }
            let m = match self.store().manifest(id) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(format!("{e}"));
                    return Ok(problems);
                }
            };
            let base = layout::join(&layout::store_dir(id), store::PAYLOAD_DIR);
            // The overlay layers this directory, even for a package without files.
            if self.p.metadata(&base)?.map(|m| m.kind) != Some(NodeKind::Dir) {
                problems.push(format!("its payload directory {base} is missing"));
                return Ok(problems);
            }
            for e in &m.files {
                let path = layout::join(&base, &e.path);
                let want = match e.kind {
                    swpkg_core::EntryKind::File => NodeKind::File,
                    swpkg_core::EntryKind::Dir => NodeKind::Dir,
                    swpkg_core::EntryKind::Symlink => NodeKind::Symlink,
                };
                let meta = match self.p.metadata(&path)? {
                    Some(meta) => meta,
                    None => {
                        problems.push(format!("/{} is missing", e.path));
                        continue;
                    }
                };
                if meta.kind != want {
                    problems.push(format!("/{} is not a {}", e.path, e.kind.as_str()));
                    continue;
                }
                match e.kind {
                    swpkg_core::EntryKind::File => {
                        if meta.size != e.size {
                            problems.push(format!(
                                "/{} is {} bytes, expected {}",
                                e.path, meta.size, e.size
                            ));
                            continue;
                        }
                        let mut h = sha2::Sha256::new();
                        let mut f = match self.p.open(&path) {
                            Ok(f) => f,
                            Err(err) => {
                                problems.push(format!("/{}: {err}", e.path));
                                continue;
                            }
                        };
                        let mut failed = None;
                        loop {
                            match f.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => h.update(&buf[..n]),
                                Err(err) => {
                                    failed = Some(err);
                                    break;
                                }
                            }
                        }
                        if let Some(err) = failed {
                            problems.push(format!("/{} cannot be read: {err}", e.path));
                            continue;
                        }
                        let got = swpkg_core::Sha256(h.finalize().into());
                        if Some(got) != e.sha256 {
                            problems.push(format!("/{} content changed (sha256 {got})", e.path));
                        }
                    }
                    swpkg_core::EntryKind::Symlink => {
                        let t = self.p.read_link(&path)?;
                        if Some(t.as_str()) != e.link.as_deref() {
                            problems.push(format!("/{} points to {t}", e.path));
                        }
                    }
                    swpkg_core::EntryKind::Dir => {}
                }
            }
        }
        Ok(problems)
    }

    // ---- transactions -----------------------------------------------------------------

    /// Run `body` as one transaction: on error every staged or created file is removed again
    /// and the active generation is untouched.
    fn transact(
        &mut self,
        body: impl FnOnce(&mut Self, &mut Transaction, &Generation) -> Result<Option<Generation>>,
    ) -> Result<Change> {
        self.lock()?;
        self.store().recover()?;
        let old = self.start_from()?;
        let mut tx = Transaction::new();
        let result = body(self, &mut tx, &old).and_then(|next| match next {
            None => Ok(None),
            Some(next) => {
                let mut st = Store::new(&mut self.p);
                tx.commit(&mut st, &next).map(|()| Some(next))
            }
        });
        match result {
            Ok(Some(next)) => {
                let (added, removed) = diff(&old, &next);
                let overlay = self.publish(&next);
                Ok(Change {
                    overlay,
                    from: old.generation,
                    to: next.generation,
                    added,
                    removed,
                })
            }
            Ok(None) => {
                tx.abort(&mut self.store());
                Ok(Change {
                    overlay: Overlay::Unchanged,
                    from: old.generation,
                    to: old.generation,
                    added: Vec::new(),
                    removed: Vec::new(),
                })
            }
            Err(e) => {
                tx.abort(&mut self.store());
                Err(e)
            }
        }
    }

    /// The generation a mutating command starts from ([`Pkg::in_use`]), saying so when it is
    /// not the one `current` names (the command's commit repairs `current`).
    fn start_from(&mut self) -> Result<Generation> {
        let u = self.in_use()?;
        if let Some(note) = crate::report::in_use_note(&u) {
            self.p.say(&note);
        }
        Ok(u.generation)
    }

    fn next_generation(
        &mut self,
        old: &Generation,
        packages: Vec<Installed>,
        reason: String,
    ) -> Result<Generation> {
        let mut packages = packages;
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &packages {
            for c in &p.conflicts {
                if let Some(q) = packages
                    .iter()
                    .find(|q| &q.name == c || q.provides.contains(c))
                {
                    if q.name != p.name {
                        return Err(Error::Conflict {
                            a: format!("{} {}", p.name, p.version),
                            b: q.name.clone(),
                        });
                    }
                }
            }
        }
        let n = self.store().next_number()?;
        Ok(Generation {
            format: crate::generation::GENERATION_FORMAT,
            generation: n,
            parent: old.generation,
            created: self.p.now(),
            reason,
            packages,
        })
    }

    /// `pkg install FILE --key KEY`: install a local package file whose manifest is signed by
    /// `key`. Its dependencies must already be installed.
    pub fn install_file(&mut self, file: &str, key: &VerifyingKey) -> Result<Change> {
        let file = file.to_string();
        let key = *key;
        self.transact(move |me, tx, old| {
            let staged = Store::new(&mut me.p).stage(&file, &key, true)?;
            let m = staged.manifest.clone();
            tx.staged.push(staged);
            // A copy of the same id already in the store is used only if it is intact.
            let damaged = if Store::new(&mut me.p).has(&m.id())? {
                Some(me.check_store(&m.id())?).filter(|p| !p.is_empty())
            } else {
                None
            };
            let mut pkgs: Vec<Installed> = old
                .packages
                .iter()
                .filter(|p| p.name != m.name)
                .cloned()
                .collect();
            for d in &m.depends {
                if !satisfied(&pkgs, &d.name, &d.req) {
                    return Err(Error::MissingDependency {
                        name: m.name.clone(),
                        dependency: d.name.clone(),
                        req: d.req.to_string(),
                    });
                }
            }
            if let Some(same) = old.get(&m.name) {
                // Exactly this version, from the repository or a file: nothing to do (and the
                // record, with its origin, stays as it is).
                if same.version == m.version && damaged.is_none() && same.store == m.id() {
                    me.p.say(&format!("{} {} is already installed", m.name, m.version));
                    return Ok(None);
                }
            }
            if let Some(problems) = damaged {
                me.p.say(&damaged_line(
                    &m.name,
                    &m.version,
                    &problems,
                    &format!("installing it again from {}", store::file_name(&file)),
                ));
                tx.replace.push(m.id());
            }
            pkgs.push(store::installed_from(&m, true, "file"));
            let next =
                me.next_generation(old, pkgs, format!("install {}", store::file_name(&file)))?;
            Ok(Some(next))
        })
    }

    /// `pkg install NAME…`: resolve against the repository index, download, verify, install.
    pub fn install(&mut self, names: &[String]) -> Result<Change> {
        let names: Vec<String> = names.to_vec();
        self.transact(move |me, tx, old| {
            let mut requests: Vec<(String, VersionReq)> = Vec::new();
            for n in &names {
                let (name, req) = parse_request(n)?;
                requests.push((name, req));
            }
            let requested: BTreeSet<String> = requests.iter().map(|(n, _)| n.clone()).collect();
            me.apply_resolution(
                tx,
                old,
                requests,
                &requested,
                true,
                &format!("install {}", names.join(" ")),
            )
        })
    }

    /// `pkg upgrade`: move every package that came from the repository to the newest version
    /// the index allows.
    pub fn upgrade(&mut self) -> Result<Change> {
        self.transact(|me, tx, old| {
            let requests = old
                .packages
                .iter()
                .filter(|p| p.explicit && p.origin == "repo")
                .map(|p| (p.name.clone(), VersionReq::STAR))
                .collect();
            me.apply_resolution(tx, old, requests, &BTreeSet::new(), false, "upgrade")
        })
    }

    /// Resolve `requests` together with the installed packages, stage whatever is missing from
    /// the store, and build the next generation.
    fn apply_resolution(
        &mut self,
        tx: &mut Transaction,
        old: &Generation,
        mut requests: Vec<(String, VersionReq)>,
        requested: &BTreeSet<String>,
        pin_installed: bool,
        reason: &str,
    ) -> Result<Option<Generation>> {
        let config = repo::load_config(&mut self.p)?;
        let (targets, index) = repo::cached_index(&mut self.p)?;
        let keys = config.keys_with(&index)?;
        for (name, _) in &requests {
            index
                .versions(name)
                .map_err(|e| Error::Index(e.to_string()))?;
        }
        // Keep what is installed: explicit repository packages stay at their version (install)
        // and local packages keep their dependencies.
        for p in &old.packages {
            if requested.contains(&p.name) {
                continue;
            }
            if p.origin == "repo"
                && p.explicit
                && pin_installed
                && index.get(&p.name, &p.version).is_some()
            {
                requests.push((p.name.clone(), exact(&p.version)));
            }
            if p.origin == "file" {
                for d in &p.depends {
                    if index.versions(&d.name).is_ok() {
                        if let Ok(req) = d.req.parse() {
                            requests.push((d.name.clone(), req));
                        }
                    }
                }
            }
        }
        let resolution = index
            .universe()
            .resolve(&requests)
            .map_err(|e| Error::Resolve(e.to_string()))?;
        let root = cached_root(&mut self.p)?;
        let mut pkgs: Vec<Installed> = Vec::new();
        // Installed packages whose damaged store copy was fetched again.
        let mut repaired = false;
        for (name, version) in &resolution.packages {
            let explicit = requested.contains(name) || old.get(name).is_some_and(|p| p.explicit);
            let id = layout::store_id(name, version);
            // A store directory is reused only if it is intact; a package already installed is
            // checked when it is named on the command line (`pkg install lua` repairs lua).
            let kept = old
                .get(name)
                .filter(|cur| &cur.version == version && cur.origin == "repo");
            let check = kept.is_none() || requested.contains(name);
            let problems = if check && Store::new(&mut self.p).has(&id)? {
                self.check_store(&id)?
            } else {
                Vec::new()
            };
            if let Some(cur) = kept {
                if problems.is_empty() {
                    let mut keep = cur.clone();
                    keep.explicit = explicit;
                    pkgs.push(keep);
                    continue;
                }
            }
            let pkg = index.get(name, version).ok_or_else(|| {
                Error::Index(format!(
                    "resolver chose {name} {version}, which is not published"
                ))
            })?;
            let reuse = problems.is_empty() && Store::new(&mut self.p).has(&id)?;
            let manifest = if reuse {
                Store::new(&mut self.p).manifest(&id)?
            } else {
                if !problems.is_empty() {
                    self.p
                        .say(&damaged_line(name, version, &problems, "fetching it again"));
                    tx.replace.push(id.clone());
                    repaired = true;
                }
                let staged = self.fetch_and_stage(&config, &root, &targets, pkg, &keys, tx)?;
                let m = staged.manifest.clone();
                tx.staged.push(staged);
                m
            };
            pkgs.push(store::installed_from(&manifest, explicit, "repo"));
        }
        // Local packages are kept as they are (the resolver does not know them).
        for p in &old.packages {
            if p.origin == "file" && !pkgs.iter().any(|q| q.name == p.name) {
                pkgs.push(p.clone());
            }
        }
        let unchanged = ids(old)
            == pkgs
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect()
            && old.packages.iter().all(|p| {
                pkgs.iter()
                    .any(|q| q.name == p.name && q.explicit == p.explicit)
            });
        if unchanged && !repaired {
            self.p
                .say("nothing to do: the requested packages are installed and up to date");
            return Ok(None);
        }
        let next = self.next_generation(old, pkgs, reason.to_string())?;
        Ok(Some(next))
    }

    fn fetch_and_stage(
        &mut self,
        config: &RepoConfig,
        root: &Root,
        targets: &Targets,
        pkg: &Package,
        keys: &[VerifyingKey],
        tx: &mut Transaction,
    ) -> Result<Staged> {
        let file = store::file_name(&pkg.target).to_string();
        let info = targets.targets.get(&pkg.target).ok_or_else(|| {
            Error::Index(format!(
                "target {} vanished from targets metadata",
                pkg.target
            ))
        })?;
        let url = target_url(
            &config.targets_base(),
            &pkg.target,
            root.consistent_snapshot,
            &info.hashes,
        )?;
        self.p
            .say(&format!("downloading {file} ({} bytes)", info.length));
        let want = Expected {
            file: &file,
            length: info.length,
            hashes: &info.hashes,
        };
        let path = download::fetch_verified(&mut self.p, &url, &want)?;
        tx.downloads.push(path.clone());
        if keys.is_empty() {
            return Err(Error::Usage(
                "no package signing key is trusted for this repository; run `pkg repo set URL --root-key FILE` \
                 or add `--package-key FILE`"
                    .into(),
            ));
        }
        let mut last = None;
        for key in keys {
            match Store::new(&mut self.p).stage(&path, key, false) {
                Ok(s) => {
                    if s.manifest.name != pkg.meta.name || s.manifest.version != pkg.version {
                        let _ = self.p.remove_dir_all(&s.dir);
                        let _ = self.p.remove_file(&path);
                        return Err(Error::Index(format!(
                            "{file} contains {} {}, but the repository lists it as {} {}",
                            s.manifest.name, s.manifest.version, pkg.meta.name, pkg.version
                        )));
                    }
                    return Ok(s);
                }
                Err(Error::Package {
                    source: PackageError::BadSignature { .. },
                    file: f,
                }) => {
                    last = Some(Error::Package {
                        file: f,
                        source: PackageError::BadSignature {
                            key: hex(key.as_bytes()),
                        },
                    });
                }
                Err(e) => {
                    let _ = self.p.remove_file(&path);
                    return Err(e);
                }
            }
        }
        let _ = self.p.remove_file(&path);
        Err(last.unwrap_or(Error::NoRepo))
    }

    /// `pkg remove NAME…`: a new generation without the named packages (and without
    /// dependencies nothing needs any more). Refuses while other installed packages depend on
    /// them unless `force`.
    pub fn remove(&mut self, names: &[String], force: bool) -> Result<Change> {
        let names: Vec<String> = names.to_vec();
        self.transact(move |me, _tx, old| {
            for n in &names {
                if old.get(n).is_none() {
                    return Err(Error::UnknownPackage {
                        name: n.clone(),
                        where_: "installed",
                    });
                }
                let dependents: Vec<String> = old
                    .dependents_of(n)
                    .into_iter()
                    .filter(|d| !names.contains(&d.name))
                    .map(|d| format!("{} {}", d.name, d.version))
                    .collect();
                if !dependents.is_empty() && !force {
                    return Err(Error::Needed {
                        name: n.clone(),
                        dependents: dependents.join(", "),
                    });
                }
            }
            let mut pkgs: Vec<Installed> = old
                .packages
                .iter()
                .filter(|p| !names.contains(&p.name))
                .cloned()
                .collect();
            // Drop dependencies that were pulled in automatically and are needed no more.
            loop {
                let g = Generation {
                    packages: pkgs.clone(),
                    ..Generation::empty()
                };
                let before = pkgs.len();
                pkgs.retain(|p| p.explicit || !g.dependents_of(&p.name).is_empty());
                if pkgs.len() == before {
                    break;
                }
            }
            let next = me.next_generation(old, pkgs, format!("remove {}", names.join(" ")))?;
            Ok(Some(next))
        })
    }

    /// `pkg gc --keep N`: delete all but the active generation and the `keep` generations on
    /// its parent chain, then every store directory no remaining generation uses. Returns
    /// (generations deleted, store directories deleted). The active generation is never touched;
    /// rollback keeps working `keep` steps back.
    pub fn gc(&mut self, keep: usize) -> Result<(usize, usize)> {
        self.lock()?;
        self.store().recover()?;
        let u = self.in_use()?;
        let cur = u.generation;
        let mut kept: BTreeSet<u64> = BTreeSet::new();
        kept.insert(cur.generation);
        // A damaged generation `current` still names is kept too, if its file reads (`pkg
        // verify` reports on it; the next commit moves `current` away from it).
        if let Some(n) = u.recorded.and_then(|r| r.number) {
            if self.store().generation(n).is_ok() {
                kept.insert(n);
            }
        }
        let mut at = cur.parent;
        while at != 0 && kept.len() <= keep {
            kept.insert(at);
            at = self.store().generation(at)?.parent;
        }
        // Read every kept generation first: a damaged one stops gc before anything is deleted.
        let mut used: BTreeSet<String> = BTreeSet::new();
        for &n in &kept {
            for p in self.store().generation(n)?.packages {
                used.insert(p.store);
            }
        }
        let mut gens = 0;
        for n in self.store().generation_numbers()? {
            if !kept.contains(&n) {
                self.p.remove_file(&layout::generation_file(n))?;
                gens += 1;
            }
        }
        let mut dirs = 0;
        let names = match self.p.list(layout::STORE) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for name in names {
            if !used.contains(&name) {
                self.p.remove_dir_all(&layout::store_dir(&name))?;
                dirs += 1;
            }
        }
        Ok((gens, dirs))
    }

    /// `pkg rollback`: make the previous generation active again (one atomic rename).
    pub fn rollback(&mut self) -> Result<Change> {
        self.lock()?;
        self.store().recover()?;
        let old = self.start_from()?;
        if old.generation == 0 {
            return Err(Error::NoPrevious(0));
        }
        if old.parent != 0
            && self
                .p
                .metadata(&layout::generation_file(old.parent))?
                .is_none()
        {
            return Err(Error::Usage(format!(
                "generation {} (the one before {}) was deleted by `pkg gc`; cannot roll back further",
                old.parent, old.generation
            )));
        }
        let prev = self.store().generation(old.parent)?;
        for p in &prev.packages {
            if !self.store().has(&p.store)? {
                return Err(Error::Usage(format!(
                    "generation {} needs {} which is no longer in the store; cannot roll back",
                    prev.generation, p.store
                )));
            }
        }
        // Never switch to a generation whose files are damaged.
        let problems = self.verify_generation(&prev, None)?;
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" and {} more problem(s)", n - 1),
            };
            return Err(Error::Damaged(format!(
                "cannot roll back to generation {}: it is damaged ({first}{more}); `pkg install` \
                 of that version fetches a damaged package again",
                prev.generation
            )));
        }
        self.store().point_current(prev.generation)?;
        let (added, removed) = diff(&old, &prev);
        let overlay = self.publish(&prev);
        Ok(Change {
            overlay,
            from: old.generation,
            to: prev.generation,
            added,
            removed,
        })
    }
}

/// Payload roots of the packages of `g`, in generation order.
pub fn payload_roots(g: &Generation) -> Vec<String> {
    g.packages
        .iter()
        .map(|p| layout::payload_root(&p.store))
        .collect()
}

fn exact(v: &Version) -> VersionReq {
    VersionReq::parse(&format!("={v}")).unwrap_or(VersionReq::STAR)
}

/// `name` or `name@REQ` (e.g. `lua@^5.4`).
pub fn parse_request(s: &str) -> Result<(String, VersionReq)> {
    let (name, req) = match s.split_once('@') {
        Some((n, r)) => {
            let req = r
                .parse()
                .map_err(|e| Error::Usage(format!("{s}: version requirement {r:?}: {e}")))?;
            (n, req)
        }
        None => (s, VersionReq::STAR),
    };
    if !crate::generation::valid_name(name) {
        return Err(Error::Usage(format!(
            "{name:?} is not a package name ([a-z0-9][a-z0-9._+-]*)"
        )));
    }
    Ok((name.to_string(), req))
}

fn cached_root<P: Platform>(p: &mut P) -> Result<Root> {
    let bytes = p
        .read(&layout::metadata_file("root"), repo::MAX_METADATA_BYTES)
        .map_err(|e| {
            if e.is_not_found() {
                Error::NoRepo
            } else {
                Error::Fs(e)
            }
        })?;
    Ok(parse::<Root>(&bytes).map_err(Error::Metadata)?.signed)
}

/// URL of a target file; with consistent snapshots the file name is prefixed by its sha256.
fn target_url(
    base: &str,
    target: &str,
    consistent: bool,
    hashes: &BTreeMap<String, String>,
) -> Result<String> {
    let path = if consistent {
        let h = hashes
            .get("sha256")
            .or_else(|| hashes.values().next())
            .ok_or_else(|| Error::Index(format!("target {target} has no hash")))?;
        match target.rsplit_once('/') {
            Some((dir, f)) => format!("{dir}/{h}.{f}"),
            None => format!("{h}.{target}"),
        }
    } else {
        target.to_string()
    };
    Ok(join_url(base, &path))
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generation::current_bytes;
    use crate::mem::MemPlatform;

    fn gen_with(n: u64, parent: u64, pkgs: &[(&str, &str, &[&str])]) -> Generation {
        Generation {
            format: 1,
            generation: n,
            parent,
            created: 0,
            reason: "test".into(),
            packages: pkgs
                .iter()
                .map(|(name, v, deps)| Installed {
                    name: (*name).into(),
                    version: v.parse().unwrap(),
                    explicit: deps.is_empty() || name.starts_with('a'),
                    store: format!("{name}-{v}"),
                    depends: deps
                        .iter()
                        .map(|d| crate::generation::DepRecord {
                            name: (*d).into(),
                            req: "*".into(),
                        })
                        .collect(),
                    provides: Vec::new(),
                    conflicts: Vec::new(),
                    description: String::new(),
                    origin: "file".into(),
                })
                .collect(),
        }
    }

    fn platform_with(gens: &[Generation], current: u64) -> MemPlatform {
        let mut p = MemPlatform::new();
        for g in gens {
            p.put(&layout::generation_file(g.generation), &g.to_bytes());
            for i in &g.packages {
                let file = format!("bin/{}", i.name);
                store_package(
                    &mut p,
                    &i.name,
                    &i.version.to_string(),
                    &[(file.as_str(), i.store.as_bytes())],
                );
            }
        }
        p.put(layout::CURRENT, &current_bytes(current));
        p
    }

    #[test]
    fn remove_refuses_needed_then_drops_orphans_and_rollback_restores() {
        let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
        let mut pkg = Pkg::new(platform_with(core::slice::from_ref(&g1), 1));
        let snapshot = pkg.p.tree.borrow().clone();
        match pkg.remove(&["lib".into()], false) {
            Err(Error::Needed { name, dependents }) => {
                assert_eq!((name.as_str(), dependents.as_str()), ("lib", "app 1.0.0"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            *pkg.p.tree.borrow(),
            snapshot,
            "a refused remove changed the tree"
        );
        // `lib` is explicit here (no deps), so removing `app` keeps it.
        let c = pkg.remove(&["app".into()], false).unwrap();
        assert_eq!(
            (c.from, c.to, c.removed.clone()),
            (1, 2, alloc::vec![String::from("app 1.0.0")])
        );
        assert_eq!(pkg.list().unwrap().packages.len(), 1);
        let c = pkg.rollback().unwrap();
        assert_eq!((c.from, c.to), (2, 1));
        assert_eq!(pkg.list().unwrap(), g1);
        // Rolling back past the first generation gives the empty set; then there is nothing left.
        pkg.rollback().unwrap();
        assert!(pkg.list().unwrap().packages.is_empty());
        assert!(matches!(pkg.rollback(), Err(Error::NoPrevious(0))));
    }

    #[test]
    fn gc_keeps_the_active_generation_and_its_recent_parents() {
        let g1 = gen_with(1, 0, &[("lib", "1.0.0", &[])]);
        let g2 = gen_with(2, 1, &[("lib", "1.1.0", &[])]);
        let g3 = gen_with(3, 2, &[("lib", "1.2.0", &[])]);
        let mut pkg = Pkg::new(platform_with(&[g1, g2.clone(), g3.clone()], 3));
        pkg.p.put("/pkg/store/junk-0.1.0/manifest.json", b"{}");
        assert_eq!(pkg.gc(1).unwrap(), (1, 2));
        assert_eq!(
            pkg.generations().unwrap(),
            alloc::vec![g2.clone(), g3.clone()]
        );
        assert!(pkg.store().has("lib-1.1.0").unwrap() && pkg.store().has("lib-1.2.0").unwrap());
        assert!(!pkg.store().has("lib-1.0.0").unwrap() && !pkg.store().has("junk-0.1.0").unwrap());
        pkg.rollback().unwrap();
        assert_eq!(pkg.list().unwrap(), g2);
        match pkg.rollback() {
            Err(Error::Usage(m)) => assert!(m.contains("deleted by `pkg gc`"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(pkg.list().unwrap(), g2);
        // keep 0 from generation 2: only generation 2 and its package remain.
        assert_eq!(pkg.gc(0).unwrap(), (1, 1));
        assert_eq!(pkg.generations().unwrap(), alloc::vec![g2]);
    }

    #[test]
    fn forced_remove_and_unknown_names() {
        let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
        let mut pkg = Pkg::new(platform_with(&[g1], 1));
        assert!(matches!(
            pkg.remove(&["nope".into()], false),
            Err(Error::UnknownPackage { .. })
        ));
        let c = pkg.remove(&["lib".into()], true).unwrap();
        assert_eq!(c.removed, alloc::vec![String::from("lib 1.0.0")]);
    }

    #[test]
    fn damaged_store_records_are_errors_not_panics() {
        let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
        let good = g1.to_bytes();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..600 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = good.clone();
            let cut = (seed as usize) % (bytes.len() + 1);
            if round % 2 == 0 {
                bytes.truncate(cut);
            } else if !bytes.is_empty() {
                let i = cut % bytes.len();
                bytes[i] = (seed >> 40) as u8;
            }
            let mut p = platform_with(core::slice::from_ref(&g1), 1);
            p.put(&layout::generation_file(1), &bytes);
            if round % 5 == 0 {
                p.put(layout::CURRENT, &bytes[..bytes.len().min(3)]);
            }
            let mut pkg = Pkg::new(p);
            let before = pkg.p.tree.borrow().clone();
            let _ = pkg.list();
            let _ = pkg.files("app");
            let _ = pkg.info("app");
            let _ = pkg.generations();
            if pkg.remove(&["app".into()], false).is_err() {
                assert_eq!(
                    *pkg.p.tree.borrow(),
                    before,
                    "round {round}: failed remove changed the tree"
                );
            }
            let _ = pkg.rollback();
        }
    }

    /// Put a real (manifest + payload) package into the store of `p`.
    fn store_package(p: &mut MemPlatform, name: &str, version: &str, files: &[(&str, &[u8])]) {
        use swpkg_core::{Entry, EntryKind, Manifest, Mode, Sha256};
        let m = Manifest {
            abi: swpkg_core::ABI_VERSION,
            arch: swpkg_core::ARCH.into(),
            conflicts: alloc::vec![],
            depends: alloc::vec![],
            description: "test".into(),
            files: core::iter::once(Entry {
                kind: EntryKind::Dir,
                link: None,
                mode: Mode::DIR,
                path: "bin".into(),
                sha256: None,
                size: 0,
            })
            .chain(files.iter().map(|(path, data)| Entry {
                kind: EntryKind::File,
                link: None,
                mode: Mode::EXEC,
                path: (*path).into(),
                sha256: Some(Sha256::digest(data)),
                size: data.len() as u64,
            }))
            .collect(),
            format: 1,
            license: "MIT".into(),
            name: name.into(),
            provides: alloc::vec![],
            version: version.parse().unwrap(),
        };
        let dir = format!("/pkg/store/{name}-{version}");
        p.put(&format!("{dir}/manifest.json"), &m.to_canonical_bytes());
        for (path, data) in files {
            p.put(&format!("{dir}/root/{path}"), data);
        }
    }

    fn three_generations() -> MemPlatform {
        let g1 = gen_with(1, 0, &[("lua", "5.4.4", &[])]);
        let g2 = gen_with(2, 1, &[("lua", "5.4.6", &[])]);
        let g3 = gen_with(3, 2, &[("lua", "5.4.6", &[]), ("zed", "1.0.0", &[])]);
        let mut p = platform_with(&[g1, g2, g3], 3);
        store_package(&mut p, "lua", "5.4.4", &[("bin/lua", b"old lua")]);
        store_package(&mut p, "lua", "5.4.6", &[("bin/lua", b"new lua")]);
        store_package(&mut p, "zed", "1.0.0", &[("bin/zed", b"zed")]);
        p
    }

    #[test]
    fn activate_uses_an_intact_current_generation() {
        let mut pkg = Pkg::new(three_generations());
        let a = pkg.activate().unwrap();
        assert_eq!((a.current, a.used), (Some(3), 3));
        assert!(a.problems.is_empty() && a.rejected.is_empty(), "{a:?}");
        let roots = alloc::vec![
            String::from("/pkg/store/lua-5.4.6/root"),
            String::from("/pkg/store/zed-1.0.0/root"),
        ];
        assert_eq!(a.roots, roots);
        assert_eq!(a.overlay, Overlay::Applied(2));
        assert_eq!(pkg.p.overlays, alloc::vec![roots]);
        let text = crate::report::activation(&a, true).join("\n");
        assert!(
            text.contains(
                "this boot uses generation 3 (2 package(s): lua 5.4.6, zed 1.0.0), verified"
            ),
            "{text}"
        );
    }

    #[test]
    fn activate_falls_back_to_the_newest_older_intact_generation() {
        let mut p = three_generations();
        // zed's file changed on disk: generation 3 is damaged, 2 (lua 5.4.6 only) is intact.
        p.put("/pkg/store/zed-1.0.0/root/bin/zed", b"ZED");
        let before = p.tree.borrow().clone();
        let mut pkg = Pkg::new(p);
        let a = pkg.activate().unwrap();
        assert_eq!((a.current, a.used), (Some(3), 2), "{a:?}");
        assert_eq!(a.rejected, alloc::vec![3]);
        assert_eq!(a.problems.len(), 1, "{a:?}");
        assert!(
            a.problems[0].starts_with("generation 3: zed 1.0.0: /bin/zed content changed"),
            "{a:?}"
        );
        assert_eq!(
            pkg.p.overlays,
            alloc::vec![alloc::vec![String::from("/pkg/store/lua-5.4.6/root")]]
        );
        // Nothing deleted, `current` unchanged; the fallback is recorded, and the other
        // commands describe (and start from) the generation in use.
        let mut after = pkg.p.tree.borrow().clone();
        assert_eq!(
            after.remove(layout::FALLBACK),
            Some(crate::mem::Node::File(0o644, b"3 2\n".to_vec()))
        );
        assert_eq!(after, before);
        assert_eq!(pkg.list().unwrap().generation, 2);
        let u = pkg.in_use().unwrap();
        assert_eq!(u.recorded.as_ref().and_then(|r| r.number), Some(3));
        let note = crate::report::in_use_note(&u).unwrap();
        assert!(
            note.starts_with("note: /pkg/current names generation 3 (lua 5.4.6, zed 1.0.0), which is damaged (`pkg activate` found it damaged; `pkg verify` shows why); generation 2 (1 package(s)) is in use"),
            "{note}"
        );
        let text = crate::report::activation(&a, true).join("\n");
        assert!(
            text.contains("damaged: generation 3: zed 1.0.0: /bin/zed content changed"),
            "{text}"
        );
        assert!(text.contains("generation 3 is damaged (1 problem(s) above); falling back: this boot uses generation 2"), "{text}");

        // Generation 2's package damaged too (lua 5.4.6 missing a file): 1 is used.
        pkg.p
            .tree
            .borrow_mut()
            .remove("/pkg/store/lua-5.4.6/root/bin/lua");
        let a = pkg.activate().unwrap();
        assert_eq!(
            (a.used, a.rejected.clone()),
            (1, alloc::vec![3, 2]),
            "{a:?}"
        );
        assert!(
            a.problems
                .iter()
                .any(|p| p.contains("generation 2: lua 5.4.6: /bin/lua is missing")),
            "{a:?}"
        );
        assert_eq!(
            a.roots,
            alloc::vec![String::from("/pkg/store/lua-5.4.4/root")]
        );

        // A package whose payload directory vanished is damaged too (the overlay needs it).
        pkg.p
            .tree
            .borrow_mut()
            .remove("/pkg/store/lua-5.4.4/root/bin/lua");
        pkg.p
            .tree
            .borrow_mut()
            .remove("/pkg/store/lua-5.4.4/root/bin");
        pkg.p.tree.borrow_mut().remove("/pkg/store/lua-5.4.4/root");
        let a = pkg.activate().unwrap();
        assert_eq!(
            (a.used, a.rejected.clone()),
            (0, alloc::vec![3, 2, 1]),
            "{a:?}"
        );
        assert!(
            a.problems
                .iter()
                .any(|p| p.contains("payload directory /pkg/store/lua-5.4.4/root is missing")),
            "{a:?}"
        );

        // Nothing intact at all: the empty generation 0.
        pkg.p
            .tree
            .borrow_mut()
            .remove("/pkg/store/lua-5.4.4/manifest.json");
        let a = pkg.activate().unwrap();
        assert_eq!(
            (a.used, a.rejected.clone()),
            (0, alloc::vec![3, 2, 1]),
            "{a:?}"
        );
        assert!(a.roots.is_empty());
        assert!(
            a.problems
                .iter()
                .any(|p| p.contains("lua-5.4.4 is missing from the store")),
            "{a:?}"
        );
    }

    #[test]
    fn activate_survives_a_damaged_pointer_and_generation_files() {
        let mut p = three_generations();
        p.put(layout::CURRENT, b"garbage");
        p.put(&layout::generation_file(2), b"{not json");
        let mut pkg = Pkg::new(p);
        let a = pkg.activate().unwrap();
        // The pointer is unreadable: the newest generation that parses and verifies wins.
        assert_eq!((a.current, a.used), (None, 3), "{a:?}");
        assert!(a.problems[0].starts_with("/pkg/current"), "{a:?}");
        let text = crate::report::activation(&a, false).join("\n");
        assert!(
            text.contains("pointer is unreadable; falling back: now active: generation 3"),
            "{text}"
        );
        // Without a store at all: generation 0, empty overlay.
        let mut pkg = Pkg::new(MemPlatform::new());
        let a = pkg.activate().unwrap();
        assert_eq!((a.current, a.used, a.roots.len()), (Some(0), 0, 0));
        assert_eq!(pkg.p.overlays, alloc::vec![Vec::<String>::new()]);
    }

    #[test]
    fn a_missing_current_generation_does_not_block_commands() {
        // `current` names generation 5, whose file is gone (generations 1-3 exist).
        let mut p = three_generations();
        p.put(layout::CURRENT, b"5\n");
        let mut pkg = Pkg::new(p);
        let before = pkg.p.tree.borrow().clone();
        // list works and describes generation 3, the newest intact one.
        assert_eq!(pkg.list().unwrap().generation, 3);
        let u = pkg.in_use().unwrap();
        let note = crate::report::in_use_note(&u).unwrap();
        assert!(
            note.starts_with("note: /pkg/current names generation 5, which is damaged (")
                && note.contains("/pkg/generations/5.json")
                && note.contains("generation 3 (2 package(s)) is in use"),
            "{note}"
        );
        assert_eq!(pkg.files("zed").unwrap().0, "/pkg/store/zed-1.0.0/root");
        assert_eq!(*pkg.p.tree.borrow(), before, "queries changed the tree");
        // activate falls back to 3 and names it correctly.
        let a = pkg.activate().unwrap();
        assert_eq!((a.current, a.used), (Some(5), 3));
        // A rollback starts from generation 3 too (to its parent 2) and repairs `current`.
        let c = pkg.rollback().unwrap();
        assert_eq!((c.from, c.to), (3, 2));
        assert_eq!(pkg.store().current_number().unwrap(), 2);
        assert!(pkg.store().fallback().is_none());
        // A removal after the pointer broke again: from the newest intact generation below 5
        // (3, not the 2 that was last current), as generation 6.
        pkg.p.put(layout::CURRENT, b"5\n");
        let c = pkg.remove(&["lua".into()], false).unwrap();
        assert_eq!((c.from, c.to), (3, 6));
        assert!(
            pkg.p
                .said
                .iter()
                .any(|l| l.starts_with("note: /pkg/current names generation 5")),
            "{:?}",
            pkg.p.said
        );
        assert_eq!(pkg.store().current_number().unwrap(), 6);
        assert!(pkg.in_use().unwrap().recorded.is_none());
        // `pkg verify` names the damaged generation and checks the one in use (generations
        // newer than the one `current` names are not candidates, as for `pkg activate`).
        pkg.p.put(layout::CURRENT, b"5\n");
        let problems = pkg.verify(None).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("/pkg/generations/5.json")
                && problems[0].contains("generation 3 is in use"),
            "{problems:?}"
        );
    }

    #[test]
    fn commands_start_from_the_generation_activate_fell_back_to() {
        let p = three_generations();
        p.tree
            .borrow_mut()
            .remove("/pkg/store/zed-1.0.0/root/bin/zed");
        let mut pkg = Pkg::new(p);
        let a = pkg.activate().unwrap();
        assert_eq!((a.current, a.used), (Some(3), 2));
        // list, files, info describe generation 2 (zed is not visible).
        assert!(pkg.list().unwrap().get("zed").is_none());
        assert!(matches!(
            pkg.files("zed"),
            Err(Error::UnknownPackage { .. })
        ));
        assert!(pkg.info("zed").is_err());
        // The next commit starts from 2 and ends the fallback.
        let c = pkg.remove(&["lua".into()], false).unwrap();
        assert_eq!(
            (c.from, c.to, c.removed),
            (2, 4, alloc::vec![String::from("lua 5.4.6")])
        );
        assert!(pkg.p.metadata(layout::FALLBACK).unwrap().is_none());
        assert_eq!(pkg.in_use().unwrap().recorded, None);
        // A stale record (naming another `current`) is ignored.
        pkg.p.put(layout::FALLBACK, b"3 2\n");
        assert_eq!(pkg.list().unwrap().generation, 4);
    }

    #[test]
    fn rollback_refuses_a_damaged_generation() {
        let mut pkg = Pkg::new(three_generations());
        pkg.remove(&["zed".into()], false).unwrap();
        pkg.p
            .tree
            .borrow_mut()
            .remove("/pkg/store/zed-1.0.0/root/bin/zed");
        let before = pkg.p.tree.borrow().clone();
        match pkg.rollback() {
            Err(e @ Error::Damaged(_)) => {
                let m = crate::report::failure(&e);
                assert_eq!(
                    m,
                    "cannot roll back to generation 3: it is damaged (zed 1.0.0: /bin/zed is missing); `pkg install` \
                     of that version fetches a damaged package again; nothing was changed"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*pkg.p.tree.borrow(), before);
        assert_eq!(pkg.list().unwrap().generation, 4);
    }

    #[test]
    fn activation_text_of_an_empty_generation() {
        let a = Activation {
            current: Some(5),
            used: 4,
            problems: alloc::vec![String::from("generation 5: gone")],
            rejected: alloc::vec![5],
            roots: Vec::new(),
            packages: Vec::new(),
            overlay: Overlay::Unsupported,
        };
        let text = crate::report::activation(&a, false).join("\n");
        assert!(
            text.contains(
                "falling back: now active: generation 4 (no packages). Nothing was deleted"
            ),
            "{text}"
        );
    }

    #[test]
    fn every_commit_switches_the_overlay() {
        let mut pkg = Pkg::new(three_generations());
        let c = pkg.remove(&["zed".into()], false).unwrap();
        assert_eq!((c.from, c.to), (3, 4));
        assert_eq!(c.overlay, Overlay::Applied(1));
        let c = pkg.rollback().unwrap();
        assert_eq!((c.to, c.overlay.clone()), (3, Overlay::Applied(2)));
        assert_eq!(
            pkg.p.overlays,
            alloc::vec![
                alloc::vec![String::from("/pkg/store/lua-5.4.6/root")],
                alloc::vec![
                    String::from("/pkg/store/lua-5.4.6/root"),
                    String::from("/pkg/store/zed-1.0.0/root")
                ],
            ]
        );
        let lines = crate::report::change(&c);
        assert!(
            lines.iter().any(|l| l.contains("active now under /usr")),
            "{lines:?}"
        );
        // A refused command does not touch the overlay.
        assert!(pkg.remove(&["nope".into()], false).is_err());
        assert_eq!(pkg.p.overlays.len(), 2);
    }

    #[test]
    fn pinned_root_key_is_read_from_the_base_image() {
        let mut pkg = Pkg::new(MemPlatform::new());
        match pkg.pinned_root_key() {
            Err(Error::Usage(m)) => {
                assert!(m.contains("/etc/swos/repo-root.pub is missing"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        pkg.p.put(layout::PINNED_ROOT_KEY, b"garbage\n");
        assert!(matches!(pkg.pinned_root_key(), Err(Error::Usage(_))));
        let key = ed25519_key();
        pkg.p.put(
            layout::PINNED_ROOT_KEY,
            swpkg_core::format_public_key(&key).as_bytes(),
        );
        assert_eq!(pkg.pinned_root_key().unwrap(), key);
    }

    #[test]
    fn repo_set_names_what_is_wrong_with_the_url() {
        let mut pkg = Pkg::new(MemPlatform::new());
        for (url, want) in [
            (
                "repo.swiftos.test:8080",
                "has no http:// in front; e.g. http://repo.swiftos.test:8080/",
            ),
            ("http://", "names no host"),
            ("http:///metadata", "names no host"),
            ("https://:8080/", "names no host"),
        ] {
            match pkg.repo_set(
                url,
                TrustedRoot::Key(PublicKey::Ed25519(ed25519_key())),
                &[],
            ) {
                Err(Error::Usage(m)) => assert!(m.contains(want), "{url}: {m}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    fn ed25519_key() -> VerifyingKey {
        // A fixed valid point: the public key of the all-zero test seed.
        let text = "swpkg-ed25519-public-v1 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29\n";
        swpkg_core::parse_public_key(text).unwrap()
    }
}
