//! Publishing a static-hostable web root (`swport repo publish`).
//!
//! Order of the writes, so that a reader (a client, or a web server serving the directory while
//! we publish) never sees metadata that points at a missing file: package files under their
//! plain and hash-prefixed names plus their sidecars first, then the browser pages,
//! `hosted-repo.json` and `repo-root.pub`, then `N.targets.json` and `N.snapshot.json`, and
//! `timestamp.json` last (each file written to a temporary name and renamed into place, so a
//! file is either absent, or old, or complete). Older versioned files are kept: a client that
//! read the previous timestamp finds everything it pins.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use catalog_core::index::{valid_name, PackageMeta, PACKAGE_KEY};
use catalog_core::metadata::sha256_hex;
use catalog_core::{Compat, Role};
use catalog_signer::{Expiry, Repository};
use swpkg_core::Manifest;

use crate::browser::{self, BrowserPackage};
use crate::error::HostedError;
use crate::keys::{PublisherKeys, SignerSet};
use crate::layout::{
    package_target, sidecar_text, Compatibility, HostedRepo, HOSTED_FORMAT, HOSTED_REPO_JSON,
    METADATA_DIR, PACKAGES_SUBDIR, REPO_ROOT_PUB, SIDECAR_EXT, TARGETS_DIR,
};

/// What to publish, and where.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Directory holding the `.swpkg` files to add (not recursive; may be empty to re-sign).
    pub packages: PathBuf,
    /// Key directory (see [`crate::keys`]).
    pub keys: PathBuf,
    /// The web root to create or extend.
    pub out: PathBuf,
    /// Repository name (`[a-z0-9][a-z0-9+._-]*`).
    pub name: String,
    /// Channel name (same characters).
    pub channel: String,
    /// Metadata lifetimes.
    pub expiry: Expiry,
    /// Signing time in Unix seconds (`None`: now).
    pub now: Option<i64>,
    /// The system the repository serves (declared in its root when created; packages must
    /// match it). Another value only makes deliberately foreign repositories for tests.
    pub compat: Compat,
    /// Accept packages signed with the root key. Off: the root key is meant to stay offline, so
    /// such a package is refused with a message naming package.key; this is the named opt-in
    /// (`swport repo publish --allow-root-signed-packages`, [`crate::PackageSigner::RootKey`]).
    pub root_signed_packages: bool,
}

impl PublishOptions {
    /// Defaults: repository `swiftos`, channel `stable`, default lifetimes, signed now, serving
    /// this SwiftOS ([`Compat::swiftos`]).
    pub fn new(packages: &Path, keys: &Path, out: &Path) -> PublishOptions {
        PublishOptions {
            packages: packages.into(),
            keys: keys.into(),
            out: out.into(),
            name: "swiftos".into(),
            channel: "stable".into(),
            expiry: Expiry::default(),
            now: None,
            compat: Compat::swiftos(),
            root_signed_packages: false,
        }
    }
}

/// What a publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Whether the root was created by this call.
    pub created: bool,
    /// Target paths of the packages added now.
    pub added: Vec<String>,
    /// Target paths of packages given again with identical contents.
    pub unchanged: Vec<String>,
    /// Number of packages the repository now serves.
    pub total_packages: usize,
    /// Root version.
    pub root_version: u64,
    /// New targets version.
    pub targets_version: u64,
    /// New snapshot version.
    pub snapshot_version: u64,
    /// New timestamp version.
    pub timestamp_version: u64,
}

impl Published {
    /// The one-line summary the commands print for a publication into `out`.
    pub fn summary(&self, out: &Path) -> String {
        format!(
            "published {} ({} new, {} unchanged, {} packages served): root v{}, targets v{}, snapshot v{}, timestamp v{}",
            out.display(),
            self.added.len(),
            self.unchanged.len(),
            self.total_packages,
            self.root_version,
            self.targets_version,
            self.snapshot_version,
            self.timestamp_version
        )
    }
}

/// Write `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostedError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(HostedError::io("cannot create", parent))?;
    }
    atomic_write::write(path, bytes).map_err(HostedError::io("cannot write", path))
}

fn check_label(what: &str, v: &str) -> Result<(), HostedError> {
    if valid_name(v) {
        Ok(())
    } else {
        Err(HostedError::Usage(format!(
            "invalid {what} {v:?}: use lower-case letters, digits and + . _ - (at most 64 bytes)"
        )))
    }
}

/// A package file read and checked for publication.
struct Candidate {
    path: PathBuf,
    bytes: Vec<u8>,
    manifest: Manifest,
}

/// Read every `*.swpkg` in `dir` and verify it completely (signature by one of `keys`,
/// manifest rules, every payload byte).
fn read_candidates(
    opts: &PublishOptions,
    keys: &PublisherKeys,
) -> Result<Vec<Candidate>, HostedError> {
    let (dir, compat) = (&opts.packages, &opts.compat);
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(HostedError::io("cannot list packages in", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "swpkg") && p.is_file())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let mut manifest = None;
        let mut last_err = None;
        // The root key is first in the list.
        for (i, k) in keys.package_keys.iter().enumerate() {
            match swpkg_host::verify_package(&path, k) {
                Ok(_) if i == 0 && !opts.root_signed_packages => {
                    return Err(HostedError::Package {
                        path,
                        reason: crate::ROOT_SIGNED_PACKAGE_REFUSED.into(),
                    })
                }
                Ok(m) => {
                    manifest = Some(m);
                    break;
                }
                Err(
                    e @ swpkg_host::Error::Package(swpkg_core::PackageError::BadSignature {
                        ..
                    }),
                ) => last_err = Some(e),
                // Anything else (the compressed layer, the manifest, the payload) does not
                // depend on the key: say it as it is.
                Err(e) => {
                    return Err(HostedError::Package {
                        path,
                        reason: e.to_string(),
                    })
                }
            }
        }
        let manifest = manifest.ok_or_else(|| HostedError::Package {
            path: path.clone(),
            reason: format!(
                "does not verify with the root key or any package*.pub key of the key directory ({}); \
                 sign it with one of them or add its signer's public key as package-NAME.pub",
                last_err.map_or_else(String::new, |e| e.to_string())
            ),
        })?;
        if manifest.arch != compat.arch || manifest.abi != compat.abi {
            return Err(HostedError::Package {
                path,
                reason: format!(
                    "built for {} ABI {}, but this repository serves {} ABI {}; rebuild it",
                    manifest.arch, manifest.abi, compat.arch, compat.abi
                ),
            });
        }
        let bytes = fs::read(&path).map_err(HostedError::io("cannot read", &path))?;
        out.push(Candidate {
            path,
            bytes,
            manifest,
        });
    }
    Ok(out)
}

/// Publish the packages of `opts.packages` into the web root `opts.out` (created on first use),
/// re-sign targets, snapshot and timestamp (each version + 1), and rewrite the browser,
/// `hosted-repo.json` and `repo-root.pub`. Packages already published with identical bytes
/// are left alone; a package whose name and version are published with different bytes is
/// refused (bump its version).
pub fn publish(opts: &PublishOptions) -> Result<Published, HostedError> {
    let keys = PublisherKeys::load(&opts.keys)?;
    let candidates = read_candidates(opts, &keys)?;
    let _lock = lock_root(&opts.out)?;
    publish_locked(opts, &keys, &candidates)
}

/// Hold an exclusive `flock` on the web root directory (no file left behind), so that two
/// publications of the same root never interleave. Released when the file is dropped.
fn lock_root(out: &Path) -> Result<fs::File, HostedError> {
    fs::create_dir_all(out).map_err(HostedError::io("cannot create", out))?;
    let dir = fs::File::open(out).map_err(HostedError::io("cannot open", out))?;
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(&dir);
    // SAFETY: `fd` is an open descriptor owned by `dir`, which outlives the call; flock takes
    // no pointers.
    let r = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        return Err(HostedError::Output {
            path: out.into(),
            reason: if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                "another publication of this root is running; wait for it to finish".into()
            } else {
                format!("cannot lock: {e}")
            },
        });
    }
    Ok(dir)
}

fn now_or(now: Option<i64>) -> i64 {
    now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// Rotate the keys of the published root `out` from `old_keys` to `new_keys`: root version
/// N+1 listing the new keys, signed by the old and the new root key (clients follow it from
/// any earlier root), then a publication signed by the new keys. `repo-root.pub` keeps the
/// key of `1.root.json`, where clients start their chain; the new root key is listed in
/// `hosted-repo.json` as a package key.
pub fn rotate_keys(opts: &PublishOptions, old_keys: &Path) -> Result<Published, HostedError> {
    let old = PublisherKeys::load(old_keys)?;
    let new = PublisherKeys::load(&opts.keys)?;
    let now = now_or(opts.now);
    let _lock = lock_root(&opts.out)?;
    let mut repo = Repository::open(&opts.out, opts.expiry)?;
    repo.rotate_root(&new.root_spec(), &[&old.root, &new.root], now)?;
    drop(repo);
    publish_locked(opts, &new, &[])
}

fn publish_locked(
    opts: &PublishOptions,
    keys: &PublisherKeys,
    candidates: &[Candidate],
) -> Result<Published, HostedError> {
    check_label("repository name", &opts.name)?;
    check_label("channel", &opts.channel)?;
    let now = now_or(opts.now);
    let out = &opts.out;
    let created = !out.join(METADATA_DIR).join("root.json").exists();
    let mut repo = if created {
        create_repository(opts, keys, now)?
    } else {
        open_repository(opts, keys)?
    };
    // The pinned key is the first root's: clients start their chain at 1.root.json.
    let pin_path = out.join(REPO_ROOT_PUB);
    let pinned = if pin_path.exists() {
        swpkg_keys::read_public_key(&pin_path).map_err(|e| HostedError::Output {
            path: out.clone(),
            reason: format!("{REPO_ROOT_PUB} is unreadable: {e}"),
        })?
    } else {
        keys.root_verifying_key()?
    };
    // The package keys besides the pinned root key, listed in the signed targets metadata
    // (clients learn them with `pkg update`) and in hosted-repo.json (for people).
    let package_keys: Vec<String> = keys
        .package_keys
        .iter()
        .filter(|k| **k != pinned)
        .map(|k| hex::encode(k.as_bytes()))
        .collect();
    repo.set_package_keys(&package_keys)?;
    let (added, unchanged) = add_candidates(&mut repo, out, candidates)?;
    let pkgs = browser_packages(&repo, out)?;
    let hosted = hosted_repo(opts, &pinned, package_keys);
    for (rel, html) in &browser::render(&hosted, &pkgs) {
        write_atomic(&out.join(rel), html.as_bytes())?;
    }
    let mut hosted_json = serde_json::to_vec_pretty(&hosted)?;
    hosted_json.push(b'\n');
    write_atomic(&out.join(HOSTED_REPO_JSON), &hosted_json)?;
    write_atomic(&pin_path, swpkg_core::format_public_key(&pinned).as_bytes())?;

    // Metadata last; catalog-signer writes timestamp.json after everything it pins.
    let signer_set = SignerSet::new(keys);
    repo.publish(&signer_set.signers(), now)?;
    let snapshot_version = read_version(&out.join(METADATA_DIR).join("snapshot.json"))?;
    let timestamp_version = read_version(&out.join(METADATA_DIR).join("timestamp.json"))?;
    Ok(Published {
        created,
        added,
        unchanged,
        total_packages: pkgs.len(),
        root_version: repo.root().version,
        targets_version: repo.targets().version,
        snapshot_version,
        timestamp_version,
    })
}

/// A new repository in the empty (or missing) directory `opts.out`.
fn create_repository(
    opts: &PublishOptions,
    keys: &PublisherKeys,
    now: i64,
) -> Result<Repository, HostedError> {
    let out = &opts.out;
    if fs::read_dir(out)
        .map_err(HostedError::io("cannot list", out))?
        .next()
        .is_some()
    {
        return Err(HostedError::Output {
            path: out.clone(),
            reason: "exists, is not empty and holds no repository (metadata/root.json); \
                     publish into a new or empty directory"
                .into(),
        });
    }
    Ok(Repository::create(
        out,
        &keys.root_spec(),
        &[&keys.root],
        true,
        opts.expiry,
        &opts.compat,
        now,
    )?)
}

/// The repository already in `opts.out`, if these keys may publish into it.
fn open_repository(opts: &PublishOptions, keys: &PublisherKeys) -> Result<Repository, HostedError> {
    let out = &opts.out;
    let repo = Repository::open(out, opts.expiry)?;
    let root_role = repo.root().roles.get(Role::Root.name());
    let ours = keys.root.keyid();
    if !root_role.is_some_and(|r| r.keyids.contains(&ours)) {
        return Err(HostedError::Output {
            path: out.clone(),
            reason: format!(
                "its root does not list the root key of {} (key id {}); use the keys \
                 this repository was created with, or rotate its root first",
                opts.keys.display(),
                &ours[..16]
            ),
        });
    }
    if !repo.root().consistent_snapshot {
        return Err(HostedError::Output {
            path: out.clone(),
            reason: "its root does not use consistent snapshots, which a hosted root needs \
                     for atomic updates"
                .into(),
        });
    }
    Ok(repo)
}

/// Add the candidates not yet published; one already published must have the same bytes.
/// Returns the target paths added and those given again unchanged.
fn add_candidates(
    repo: &mut Repository,
    out: &Path,
    candidates: &[Candidate],
) -> Result<(Vec<String>, Vec<String>), HostedError> {
    let targets_dir = out.join(TARGETS_DIR);
    let mut added = Vec::new();
    let mut unchanged = Vec::new();
    for c in candidates {
        let facts = catalog_signer::package_meta(&c.manifest);
        let target = package_target(&facts.name, &facts.version);
        let digest = sha256_hex(&c.bytes);
        if let Some(existing) = repo.targets().targets.get(&target) {
            if existing.hashes.get("sha256") == Some(&digest) {
                unchanged.push(target.clone());
            } else {
                return Err(HostedError::Package {
                    path: c.path.clone(),
                    reason: format!(
                        "{target} is already published with different contents; \
                         published files never change, so give the package a new version"
                    ),
                });
            }
        } else {
            let t = repo.add_package(&facts, &c.bytes)?;
            debug_assert_eq!(t, target);
            added.push(target.clone());
        }
        let file_name = target.rsplit('/').next().unwrap_or(&target);
        write_atomic(
            &targets_dir.join(format!("{target}.{SIDECAR_EXT}")),
            sidecar_text(&digest, file_name).as_bytes(),
        )?;
    }

    Ok((added, unchanged))
}

/// Every package the new targets will list, old and new, for the browser.
fn browser_packages(repo: &Repository, out: &Path) -> Result<Vec<BrowserPackage>, HostedError> {
    let targets_dir = out.join(TARGETS_DIR);
    let mut pkgs = Vec::new();
    for (target, info) in &repo.targets().targets {
        let Some(meta) = info
            .custom
            .as_ref()
            .and_then(|c| c.get(PACKAGE_KEY))
            .and_then(|v| serde_json::from_value::<PackageMeta>(v.clone()).ok())
        else {
            continue;
        };
        let file = targets_dir.join(target);
        let inspected = swpkg_host::inspect_package(&file).map_err(|e| HostedError::Package {
            path: file.clone(),
            reason: format!("published earlier but unreadable now: {e}"),
        })?;
        pkgs.push(BrowserPackage {
            target: target.clone(),
            meta,
            length: info.length,
            sha256: info.hashes.get("sha256").cloned().unwrap_or_default(),
            manifest: inspected.manifest,
        });
    }
    Ok(pkgs)
}

/// The unsigned descriptor `hosted-repo.json`.
fn hosted_repo(
    opts: &PublishOptions,
    pinned: &ed25519_dalek::VerifyingKey,
    package_keys: Vec<String>,
) -> HostedRepo {
    HostedRepo {
        format: HOSTED_FORMAT,
        name: opts.name.clone(),
        channel: opts.channel.clone(),
        metadata: format!("{METADATA_DIR}/"),
        targets: format!("{TARGETS_DIR}/"),
        packages: format!("{TARGETS_DIR}/{PACKAGES_SUBDIR}/"),
        consistent_snapshot: true,
        root_key: REPO_ROOT_PUB.into(),
        root_keyid: catalog_core::Key::ed25519(pinned.as_bytes()).keyid(),
        package_keys,
        compatibility: Compatibility {
            arch: opts.compat.arch.clone(),
            abi: opts.compat.abi,
            index_format: catalog_core::index::INDEX_FORMAT,
        },
        browser: "index.html".into(),
    }
}

fn read_version(path: &Path) -> Result<u64, HostedError> {
    let bytes = fs::read(path).map_err(HostedError::io("cannot read", path))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(v["signed"]["version"].as_u64().unwrap_or(0))
}
