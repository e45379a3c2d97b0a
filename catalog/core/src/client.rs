//! The TUF client update workflow (specification §5), written once against the small
//! [`Platform`] trait so that the host tools and the in-OS `pkg` client share it.
//!
//! Order of a [`Client::refresh`]: update root through `N+1.root.json`, … (each signed by a
//! threshold of the old and of the new root keys, at most `max_root_rotations` steps), check the
//! final root for a freeze attack, drop trusted timestamp/snapshot whose keys were rotated
//! (fast-forward recovery), then timestamp (signatures, rollback of its version and of the
//! snapshot version it pins, expiry), snapshot (length/hashes from timestamp, signatures, no
//! targets version goes back, version equals the pin, expiry), targets (length/hashes and version
//! from snapshot, signatures, expiry). Trusted metadata is written to the store only after it
//! passed every check, so a failed refresh never replaces trusted state with untrusted bytes.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{Error, KeySource, Role};
use crate::keys::KeyRing;
use crate::metadata::{
    check_expiry, check_pinned, check_root, parse, verify_threshold, verify_with_root, Envelope,
    MetaFile, PinnedCheck, RoleKeys, Root, Snapshot, TargetFile, Targets, Timestamp,
};

/// A transport failure reported by the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The server has no such file (HTTP 403/404 or a missing file); ends the root chain.
    NotFound,
    /// The body exceeded the allowed length; the platform stopped reading.
    TooLarge,
    /// Any other failure.
    Other(String),
}

/// What the client needs from its host: downloads, a trusted-metadata store, and a clock.
pub trait Platform {
    /// Download `url`, reading at most `max_len` bytes; answer [`FetchError::TooLarge`] if the
    /// body is longer (the client re-checks the length as well).
    fn fetch(&mut self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError>;
    /// The stored trusted metadata of a role, if any.
    fn load(&mut self, role: Role) -> Result<Option<Vec<u8>>, String>;
    /// Atomically replace the stored trusted metadata of a role.
    fn store(&mut self, role: Role, bytes: &[u8]) -> Result<(), String>;
    /// Delete the stored trusted metadata of a role (no error if absent).
    fn remove(&mut self, role: Role) -> Result<(), String>;
    /// Current time in Unix seconds.
    fn now(&self) -> i64;
    /// The stored trusted metadata of a delegated targets role, if any. The default keeps
    /// none (delegated metadata is then downloaded on every refresh).
    fn load_delegated(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let _ = name;
        Ok(None)
    }
    /// Atomically replace the stored trusted metadata of a delegated targets role.
    fn store_delegated(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let _ = (name, bytes);
        Ok(())
    }
}

/// Percent-encode every byte outside `A-Za-z0-9-._~` (Python's `quote(s, safe="")`): how
/// delegated role names become file names and URL path segments.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Client settings: repository locations and the size limits applied to every download.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of the metadata files.
    pub metadata_base: String,
    /// Base URL of the target files.
    pub targets_base: String,
    /// Maximum number of root versions followed in one refresh.
    pub max_root_rotations: u64,
    /// Maximum size of a root metadata file.
    pub root_max_length: u64,
    /// Maximum size of timestamp metadata.
    pub timestamp_max_length: u64,
    /// Maximum size of snapshot metadata when the timestamp does not pin its length.
    pub snapshot_max_length: u64,
    /// Maximum size of targets metadata when the snapshot does not pin its length.
    pub targets_max_length: u64,
    /// Maximum number of delegated roles visited while looking for one target.
    pub max_delegations: u64,
}

impl Config {
    /// Defaults (the limits of the reference implementation).
    pub fn new(metadata_base: &str, targets_base: &str) -> Config {
        Config {
            metadata_base: metadata_base.into(),
            targets_base: targets_base.into(),
            max_root_rotations: 256,
            root_max_length: 512_000,
            timestamp_max_length: 16_384,
            snapshot_max_length: 2_000_000,
            targets_max_length: 5_000_000,
            max_delegations: 32,
        }
    }
}

/// Join a base URL and a relative path with exactly one `/`.
pub fn join_url(base: &str, path: &str) -> String {
    if base.is_empty() {
        return path.into();
    }
    let b = base.trim_end_matches('/');
    format!("{b}/{}", path.trim_start_matches('/'))
}

/// A TUF client: the trusted metadata set and the platform it runs on.
pub struct Client<P: Platform> {
    platform: P,
    config: Config,
    root: Envelope<Root>,
    timestamp: Option<Envelope<Timestamp>>,
    snapshot: Option<Envelope<Snapshot>>,
    targets: Option<Envelope<Targets>>,
    /// Verified delegated metadata of this refresh, by the path it was reached through.
    delegated: BTreeMap<RolePath, Envelope<Targets>>,
    /// Targets found through delegations by [`Client::find_target`] in this refresh.
    found: BTreeMap<String, TargetFile>,
}

/// The delegated role names leading from the top-level targets role to a delegated role, that
/// role last. Verified delegated metadata is cached by its path: a role is trusted only with the
/// keys and threshold of the delegator it was reached through.
type RolePath = Vec<String>;

/// Parse root bytes and check they are a structurally valid root signed by its own threshold.
pub fn verify_self_signed_root(bytes: &[u8]) -> Result<Envelope<Root>, Error> {
    let env = parse::<Root>(bytes)?;
    check_root(&env.signed)?;
    verify_with_root(&env, &env, Role::Root, KeySource::NewRoot)?;
    Ok(env)
}

impl<P: Platform> Client<P> {
    /// Store `root_bytes` (obtained out of band) as the trusted root, after checking it is a
    /// valid self-signed root. Expiry is not checked here; `refresh` checks the final root.
    pub fn init(platform: &mut P, root_bytes: &[u8]) -> Result<(), Error> {
        verify_self_signed_root(root_bytes)?;
        platform
            .store(Role::Root, root_bytes)
            .map_err(|detail| Error::Store { detail })
    }

    /// Load the trusted root (spec §5.2) from the platform store.
    pub fn new(mut platform: P, config: Config) -> Result<Self, Error> {
        let bytes = platform
            .load(Role::Root)
            .map_err(|detail| Error::Store { detail })?
            .ok_or(Error::NoTrustedRoot)?;
        let root = verify_self_signed_root(&bytes)?;
        Ok(Client {
            platform,
            config,
            root,
            timestamp: None,
            snapshot: None,
            targets: None,
            delegated: BTreeMap::new(),
            found: BTreeMap::new(),
        })
    }

    /// The platform (e.g. to inspect a test store).
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// Give back the platform.
    pub fn into_platform(self) -> P {
        self.platform
    }

    /// The trusted root.
    pub fn root(&self) -> &Root {
        &self.root.signed
    }

    /// The trusted timestamp of the last successful refresh.
    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.timestamp.as_ref().map(|e| &e.signed)
    }

    /// The trusted snapshot of the last successful refresh.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref().map(|e| &e.signed)
    }

    /// The trusted targets of the last successful refresh.
    pub fn targets(&self) -> Option<&Targets> {
        self.targets.as_ref().map(|e| &e.signed)
    }

    /// Run the whole update workflow (spec §5.3–§5.6).
    pub fn refresh(&mut self) -> Result<(), Error> {
        self.timestamp = None;
        self.snapshot = None;
        self.targets = None;
        self.delegated.clear();
        self.found.clear();
        self.update_root()?;
        self.update_timestamp()?;
        self.update_snapshot()?;
        self.update_targets()
    }

    fn fetch(&mut self, what: &str, url: String, max_len: u64) -> Result<Vec<u8>, Error> {
        match self.platform.fetch(&url, max_len) {
            Ok(b) if b.len() as u64 > max_len => Err(Error::TooLarge {
                what: what.into(),
                limit: max_len,
            }),
            Ok(b) => Ok(b),
            Err(FetchError::TooLarge) => Err(Error::TooLarge {
                what: what.into(),
                limit: max_len,
            }),
            Err(FetchError::NotFound) => Err(Error::Fetch {
                url,
                detail: "not found".into(),
            }),
            Err(FetchError::Other(detail)) => Err(Error::Fetch { url, detail }),
        }
    }

    fn store(&mut self, role: Role, bytes: &[u8]) -> Result<(), Error> {
        self.platform
            .store(role, bytes)
            .map_err(|detail| Error::Store { detail })
    }

    fn remove(&mut self, role: Role) -> Result<(), Error> {
        self.platform
            .remove(role)
            .map_err(|detail| Error::Store { detail })
    }

    /// §5.3: follow the root chain, check freeze, recover from fast-forward attacks.
    fn update_root(&mut self) -> Result<(), Error> {
        let original = self.root.signed.clone();
        for _ in 0..self.config.max_root_rotations {
            let next = self.root.signed.version + 1;
            let name = format!("{next}.root.json");
            let url = join_url(&self.config.metadata_base, &name);
            let bytes = match self.platform.fetch(&url, self.config.root_max_length) {
                Err(FetchError::NotFound) => break,
                Err(FetchError::TooLarge) => {
                    return Err(Error::TooLarge {
                        what: name,
                        limit: self.config.root_max_length,
                    })
                }
                Err(FetchError::Other(detail)) => return Err(Error::Fetch { url, detail }),
                Ok(b) if b.len() as u64 > self.config.root_max_length => {
                    return Err(Error::TooLarge {
                        what: name,
                        limit: self.config.root_max_length,
                    })
                }
                Ok(b) => b,
            };
            let new = parse::<Root>(&bytes)?;
            // §5.3.4: a threshold of the trusted root's root keys, then of the new root's own.
            verify_with_root(&new, &self.root, Role::Root, KeySource::TrustedRoot)?;
            check_root(&new.signed)?;
            verify_with_root(&new, &new, Role::Root, KeySource::NewRoot)?;
            // §5.3.5: exactly the next version.
            if new.signed.version != next {
                return Err(Error::VersionMismatch {
                    role: Role::Root,
                    expected: next,
                    found: new.signed.version,
                });
            }
            self.store(Role::Root, &bytes)?;
            self.root = new;
        }
        // §5.3.10: freeze attack.
        check_expiry(&self.root.signed, self.platform.now())?;
        // §5.3.11: fast-forward attack recovery.
        let changed =
            |role: Role| original.roles.get(role.name()) != self.root.signed.roles.get(role.name());
        if changed(Role::Timestamp) || changed(Role::Snapshot) {
            self.remove(Role::Timestamp)?;
            self.remove(Role::Snapshot)?;
        }
        Ok(())
    }

    /// Trusted local metadata of a role that still verifies against the current root (expiry
    /// and pins are not required: it serves as the rollback reference).
    fn load_local<T: crate::metadata::RoleMeta>(
        &mut self,
        role: Role,
    ) -> Option<(Envelope<T>, Vec<u8>)> {
        let bytes = self.platform.load(role).ok()??;
        let env = parse::<T>(&bytes).ok()?;
        verify_with_root(&env, &self.root, role, KeySource::TrustedRoot).ok()?;
        Some((env, bytes))
    }

    /// §5.4: timestamp.
    fn update_timestamp(&mut self) -> Result<(), Error> {
        let trusted = self
            .load_local::<Timestamp>(Role::Timestamp)
            .map(|(e, _)| e);
        let url = join_url(&self.config.metadata_base, "timestamp.json");
        let bytes = self.fetch("timestamp.json", url, self.config.timestamp_max_length)?;
        let new = parse::<Timestamp>(&bytes)?;
        verify_with_root(&new, &self.root, Role::Timestamp, KeySource::TrustedRoot)?;
        let new_snap = snapshot_pin(&new.signed)?.version;
        let mut keep_trusted = false;
        if let Some(old) = &trusted {
            if new.signed.version < old.signed.version {
                return Err(Error::Rollback {
                    role: Role::Timestamp,
                    trusted: old.signed.version,
                    found: new.signed.version,
                });
            }
            let old_snap = snapshot_pin(&old.signed)?.version;
            if new_snap < old_snap {
                return Err(Error::Rollback {
                    role: Role::Snapshot,
                    trusted: old_snap,
                    found: new_snap,
                });
            }
            // §5.4.3.2: an equal version is discarded in favour of the trusted one.
            keep_trusted = new.signed.version == old.signed.version;
        }
        let now = self.platform.now();
        if keep_trusted {
            let old = trusted.expect("keep_trusted implies a trusted timestamp");
            check_expiry(&old.signed, now)?;
            self.timestamp = Some(old);
        } else {
            check_expiry(&new.signed, now)?;
            self.store(Role::Timestamp, &bytes)?;
            self.timestamp = Some(new);
        }
        Ok(())
    }

    /// §5.5: snapshot.
    fn update_snapshot(&mut self) -> Result<(), Error> {
        let pin =
            snapshot_pin(&self.timestamp.as_ref().ok_or(Error::NotRefreshed)?.signed)?.clone();
        let now = self.platform.now();
        let trusted = self.load_local::<Snapshot>(Role::Snapshot).map(|(e, _)| e);
        if let Some(old) = &trusted {
            // A trusted snapshot that is still the pinned, unexpired one needs no download.
            if old.signed.version == pin.version && check_expiry(&old.signed, now).is_ok() {
                self.snapshot = trusted;
                return Ok(());
            }
        }
        let name = if self.root.signed.consistent_snapshot {
            format!("{}.snapshot.json", pin.version)
        } else {
            "snapshot.json".to_string()
        };
        let limit = pin.length.unwrap_or(self.config.snapshot_max_length);
        let url = join_url(&self.config.metadata_base, &name);
        let bytes = self.fetch(&name, url, limit)?;
        check_pinned(&name, &bytes, pin.length, pin.hashes.as_ref(), false)?;
        let new = parse::<Snapshot>(&bytes)?;
        verify_with_root(&new, &self.root, Role::Snapshot, KeySource::TrustedRoot)?;
        if let Some(old) = &trusted {
            // §5.5.5: no targets metadata listed before may disappear or go back.
            for (file, info) in &old.signed.meta {
                let Some(n) = new.signed.meta.get(file) else {
                    return Err(Error::MissingEntry {
                        role: Role::Snapshot,
                        entry: file.clone(),
                    });
                };
                if n.version < info.version {
                    return Err(Error::Rollback {
                        role: Role::Targets,
                        trusted: info.version,
                        found: n.version,
                    });
                }
            }
        }
        if new.signed.version != pin.version {
            return Err(Error::VersionMismatch {
                role: Role::Snapshot,
                expected: pin.version,
                found: new.signed.version,
            });
        }
        check_expiry(&new.signed, now)?;
        self.store(Role::Snapshot, &bytes)?;
        self.snapshot = Some(new);
        Ok(())
    }

    /// §5.6: top-level targets.
    fn update_targets(&mut self) -> Result<(), Error> {
        let snap = &self.snapshot.as_ref().ok_or(Error::NotRefreshed)?.signed;
        let pin = snap
            .meta
            .get("targets.json")
            .ok_or_else(|| Error::MissingEntry {
                role: Role::Snapshot,
                entry: "targets.json".into(),
            })?
            .clone();
        let now = self.platform.now();
        if let Some((old, bytes)) = self.load_local::<Targets>(Role::Targets) {
            if old.signed.version == pin.version
                && check_expiry(&old.signed, now).is_ok()
                && check_pinned(
                    "targets.json",
                    &bytes,
                    pin.length,
                    pin.hashes.as_ref(),
                    false,
                )
                .is_ok()
            {
                self.targets = Some(old);
                return Ok(());
            }
        }
        let name = if self.root.signed.consistent_snapshot {
            format!("{}.targets.json", pin.version)
        } else {
            "targets.json".to_string()
        };
        let limit = pin.length.unwrap_or(self.config.targets_max_length);
        let url = join_url(&self.config.metadata_base, &name);
        let bytes = self.fetch(&name, url, limit)?;
        check_pinned(&name, &bytes, pin.length, pin.hashes.as_ref(), false)?;
        let new = parse::<Targets>(&bytes)?;
        verify_with_root(&new, &self.root, Role::Targets, KeySource::TrustedRoot)?;
        if new.signed.version != pin.version {
            return Err(Error::VersionMismatch {
                role: Role::Targets,
                expected: pin.version,
                found: new.signed.version,
            });
        }
        check_expiry(&new.signed, now)?;
        self.store(Role::Targets, &bytes)?;
        self.targets = Some(new);
        Ok(())
    }

    /// The trusted description of a target: from the top-level targets role, or as found
    /// through the delegations by [`Client::find_target`] (requires a refresh).
    pub fn target_info(&self, name: &str) -> Result<&TargetFile, Error> {
        let t = self.targets.as_ref().ok_or(Error::NotRefreshed)?;
        t.signed
            .targets
            .get(name)
            .or_else(|| self.found.get(name))
            .ok_or_else(|| Error::UnknownTarget { name: name.into() })
    }

    /// Look a target up through the top-level targets role and then its delegations (spec
    /// §5.6.7: pre-order depth-first search, in listed order, only through roles whose paths
    /// match, stopping below a terminating role, at most `max_delegations` roles). Delegated
    /// metadata is verified like top-level targets, with the keys and threshold that the
    /// delegating role on the current search path gives it: a role reached through two
    /// delegators is trusted only as far as each of them trusts it.
    pub fn find_target(&mut self, name: &str) -> Result<TargetFile, Error> {
        let top = self.targets.as_ref().ok_or(Error::NotRefreshed)?;
        if let Some(t) = top.signed.targets.get(name) {
            return Ok(t.clone());
        }
        let mut stack: Vec<RolePath> = Vec::new();
        push_children(&top.signed, &[], name, &mut stack);
        let mut visited = BTreeSet::new();
        let mut count = 0u64;
        while let Some(path) = stack.pop() {
            let Some(role) = path.last().cloned() else {
                continue;
            };
            if count >= self.config.max_delegations {
                break;
            }
            if !visited.insert(role.clone()) {
                continue;
            }
            count += 1;
            self.load_delegated(&path).map_err(|e| Error::Delegated {
                name: role,
                source: Box::new(e),
            })?;
            let env = &self.delegated[&path];
            if let Some(t) = env.signed.targets.get(name) {
                let t = t.clone();
                self.found.insert(name.into(), t.clone());
                return Ok(t);
            }
            push_children(&env.signed, &path, name, &mut stack);
        }
        Err(Error::UnknownTarget { name: name.into() })
    }

    /// Load the delegated role at the end of `path` into the cache, verified against the keys
    /// and threshold its delegator (the role before it in `path`) gives it.
    fn load_delegated(&mut self, path: &[String]) -> Result<(), Error> {
        if self.delegated.contains_key(path) {
            return Ok(());
        }
        let Some((role, parent)) = path.split_last() else {
            return Err(Error::NotRefreshed);
        };
        let (keys, rk) = self.delegation(parent, role)?;
        let file = format!("{role}.json");
        let pin = self
            .snapshot
            .as_ref()
            .ok_or(Error::NotRefreshed)?
            .signed
            .meta
            .get(&file)
            .ok_or_else(|| Error::MissingEntry {
                role: Role::Snapshot,
                entry: file.clone(),
            })?
            .clone();
        let trusted = |env: &Envelope<Targets>| {
            verify_threshold(env, &keys, &rk, KeySource::Delegator).is_ok()
        };
        // The same metadata verified through another delegator in this refresh (already
        // checked against the snapshot), if this delegator trusts it too.
        let seen = self
            .delegated
            .iter()
            .find(|(p, e)| p.last() == Some(role) && trusted(e))
            .map(|(_, e)| e.clone());
        let env = match seen.or_else(|| self.stored_delegated(role, &pin, trusted)) {
            Some(env) => env,
            None => self.fetch_delegated(role, &pin, &keys, &rk)?,
        };
        self.delegated.insert(path.to_vec(), env);
        Ok(())
    }

    /// The keys and threshold the role at `parent` (empty: top-level targets) gives `role`.
    fn delegation(&self, parent: &[String], role: &str) -> Result<(KeyRing, RoleKeys), Error> {
        let parent_env = if parent.is_empty() {
            self.targets.as_ref()
        } else {
            self.delegated.get(parent)
        };
        let parent_env = parent_env.ok_or(Error::NotRefreshed)?;
        let missing = || Error::MissingEntry {
            role: Role::Targets,
            entry: format!("delegation to {role}"),
        };
        let delegations = parent_env.signed.delegations.as_ref().ok_or_else(missing)?;
        let dr = delegations
            .roles
            .iter()
            .find(|r| r.name == role)
            .ok_or_else(missing)?;
        Ok((parent_env.keys.clone(), dr.role_keys()))
    }

    /// The platform's stored copy of `role`, if it is still the pinned, unexpired version and
    /// `trusted` by the current delegator.
    fn stored_delegated(
        &mut self,
        role: &str,
        pin: &MetaFile,
        trusted: impl Fn(&Envelope<Targets>) -> bool,
    ) -> Option<Envelope<Targets>> {
        let bytes = self.platform.load_delegated(role).ok()??;
        let env = parse::<Targets>(&bytes).ok()?;
        let file = format!("{role}.json");
        let ok = trusted(&env)
            && env.signed.version == pin.version
            && check_expiry(&env.signed, self.platform.now()).is_ok()
            && check_pinned(&file, &bytes, pin.length, pin.hashes.as_ref(), false).is_ok();
        ok.then_some(env)
    }

    /// Download `role`'s metadata and verify it (pin, signatures by `keys`/`rk`, version,
    /// expiry); stores it with the platform.
    fn fetch_delegated(
        &mut self,
        role: &str,
        pin: &MetaFile,
        keys: &KeyRing,
        rk: &RoleKeys,
    ) -> Result<Envelope<Targets>, Error> {
        let name = if self.root.signed.consistent_snapshot {
            format!("{}.{}.json", pin.version, percent_encode(role))
        } else {
            format!("{}.json", percent_encode(role))
        };
        let limit = pin.length.unwrap_or(self.config.targets_max_length);
        let url = join_url(&self.config.metadata_base, &name);
        let bytes = self.fetch(&name, url, limit)?;
        check_pinned(&name, &bytes, pin.length, pin.hashes.as_ref(), false)?;
        let env = parse::<Targets>(&bytes)?;
        verify_threshold(&env, keys, rk, KeySource::Delegator)?;
        if env.signed.version != pin.version {
            return Err(Error::VersionMismatch {
                role: Role::Targets,
                expected: pin.version,
                found: env.signed.version,
            });
        }
        check_expiry(&env.signed, self.platform.now())?;
        self.platform
            .store_delegated(role, &bytes)
            .map_err(|detail| Error::Store { detail })?;
        Ok(env)
    }

    /// The URL a target is downloaded from: with consistent snapshots the file name is prefixed
    /// by its hash (`dir/HASH.file`, sha256 preferred).
    pub fn target_url(&self, name: &str) -> Result<String, Error> {
        let info = self.target_info(name)?;
        let path = target_path(name, info, self.root.signed.consistent_snapshot)?;
        Ok(join_url(&self.config.targets_base, &path))
    }

    /// A streaming checker for a target's length and hashes (for large downloads).
    pub fn target_check(&self, name: &str) -> Result<PinnedCheck, Error> {
        let info = self.target_info(name)?;
        PinnedCheck::new(name, Some(info.length), Some(&info.hashes), true)
    }

    /// Download a target completely and verify its length and hashes (spec §5.7).
    pub fn download_target(&mut self, name: &str) -> Result<Vec<u8>, Error> {
        let length = self.find_target(name)?.length;
        let mut check = self.target_check(name)?;
        let url = self.target_url(name)?;
        let bytes = self.fetch(name, url, length)?;
        check.update(&bytes)?;
        check.finish()?;
        Ok(bytes)
    }
}

/// The path a target is published under, relative to the targets base URL: `name` itself, or
/// with consistent snapshots `dir/HASH.file` (sha256 preferred, else the first listed hash).
/// Usable without a refreshed [`Client`], e.g. from cached, already verified targets metadata.
pub fn target_path(
    name: &str,
    info: &TargetFile,
    consistent_snapshot: bool,
) -> Result<String, Error> {
    if !consistent_snapshot {
        return Ok(name.to_string());
    }
    let hash = info
        .hashes
        .get("sha256")
        .or_else(|| info.hashes.values().next())
        .ok_or_else(|| Error::NoSupportedHash { what: name.into() })?;
    Ok(match name.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/{hash}.{file}"),
        None => format!("{hash}.{name}"),
    })
}

/// Push the roles `meta` (the role at `parent`) delegates `target` to onto the search stack
/// (first listed on top) as paths from the top-level targets role; a matching terminating role
/// ends the search below it, so the rest of the stack is dropped.
fn push_children(meta: &Targets, parent: &[String], target: &str, stack: &mut Vec<RolePath>) {
    let Some(d) = &meta.delegations else { return };
    let mut children = Vec::new();
    for r in &d.roles {
        if r.matches(target) {
            let mut path = parent.to_vec();
            path.push(r.name.clone());
            children.push(path);
            if r.terminating {
                stack.clear();
                break;
            }
        }
    }
    children.reverse();
    stack.extend(children);
}

fn snapshot_pin(ts: &Timestamp) -> Result<&MetaFile, Error> {
    ts.meta
        .get("snapshot.json")
        .ok_or_else(|| Error::MissingEntry {
            role: Role::Timestamp,
            entry: "snapshot.json".into(),
        })
}
