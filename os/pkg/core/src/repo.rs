//! The repository side of the client: `/pkg/etc/repo.json`, the TUF metadata store under
//! `/pkg/etc/metadata/` (the catalog crate's update workflow runs over it), and the package
//! index read from the trusted, unexpired cached targets metadata.

use crate::error::{Error, Result};
use crate::layout;
use crate::platform::{Platform, Sink, Source};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use catalog_core::client::{join_url, FetchError as TufFetchError};
use catalog_core::keys::PublicKey;
use catalog_core::metadata::{check_expiry, parse, Snapshot, Targets, Timestamp};
use catalog_core::{Compat, Config, Index, Role};
use serde::{Deserialize, Serialize};
use swpkg_core::VerifyingKey;

/// Largest `repo.json` read.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;
/// Largest cached metadata file read.
pub const MAX_METADATA_BYTES: u64 = 8 << 20;

/// `/pkg/etc/repo.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// Base URL of the repository.
    pub url: String,
    /// Path of the metadata directory under `url`.
    pub metadata_path: String,
    /// Path of the targets directory under `url`.
    pub targets_path: String,
    /// Keys trusted to sign package manifests (64 hex digits each).
    pub package_keys: Vec<String>,
}

fn parse_key(hex: &str, source: &str) -> Result<VerifyingKey> {
    let text = format!("{}{hex}", swpkg_core::key::PUBLIC_KEY_PREFIX);
    swpkg_core::parse_public_key(&text)
        .map_err(|e| Error::Usage(format!("{source}: package key {hex}: {e}")))
}

impl RepoConfig {
    /// Metadata base URL.
    pub fn metadata_base(&self) -> String {
        join_url(&self.url, &self.metadata_path)
    }

    /// Targets base URL.
    pub fn targets_base(&self) -> String {
        join_url(&self.url, &self.targets_path)
    }

    /// Parse the trusted package keys.
    pub fn keys(&self) -> Result<Vec<VerifyingKey>> {
        self.package_keys
            .iter()
            .map(|k| parse_key(k, layout::REPO_CONFIG))
            .collect()
    }

    /// The keys trusted to sign packages: those `pkg repo set` recorded (the pinned root key,
    /// `--package-key`) and those the verified targets metadata lists (`index`), once each.
    pub fn keys_with(&self, index: &Index) -> Result<Vec<VerifyingKey>> {
        let mut keys = self.keys()?;
        for k in index.package_keys() {
            let k = parse_key(k, "the signed targets metadata")?;
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        Ok(keys)
    }
}

/// Read `/pkg/etc/repo.json`.
pub fn load_config<P: Platform>(p: &mut P) -> Result<RepoConfig> {
    let bytes = match p.read(layout::REPO_CONFIG, MAX_CONFIG_BYTES) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Err(Error::NoRepo),
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Record(crate::generation::RecordError::Syntax {
            path: layout::REPO_CONFIG.into(),
            reason: e.to_string(),
            hint: "run `pkg repo set URL --root-key FILE` again",
        })
    })
}

/// Atomically write a small file (write `path.tmp`, rename over `path`).
pub fn write_atomic<P: Platform>(p: &mut P, path: &str, bytes: &[u8]) -> Result<()> {
    let tmp = format!("{path}.tmp");
    let r = (|| -> Result<()> {
        let mut w = p.create(&tmp, 0o644)?;
        w.write_all(bytes)?;
        w.finish()?;
        p.rename(&tmp, path)?;
        Ok(())
    })();
    if r.is_err() {
        let _ = p.remove_file(&tmp);
    }
    r
}

/// Write `/pkg/etc/repo.json`.
pub fn save_config<P: Platform>(p: &mut P, c: &RepoConfig) -> Result<()> {
    p.create_dir_all(layout::ETC)?;
    let mut bytes = serde_json::to_vec_pretty(c).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(p, layout::REPO_CONFIG, &bytes)
}

/// Fetch a whole (small) file, refusing bodies longer than `max_len`.
pub fn fetch_small<P: Platform>(
    p: &mut P,
    url: &str,
    max_len: u64,
) -> core::result::Result<Vec<u8>, TufFetchError> {
    let resp = match p.get(url, 0) {
        Ok(r) => r,
        Err(crate::platform::FetchError::Status {
            status: 403 | 404, ..
        }) => return Err(TufFetchError::NotFound),
        Err(e) => return Err(TufFetchError::Other(e.to_string())),
    };
    if resp.length.is_some_and(|l| l > max_len) {
        return Err(TufFetchError::TooLarge);
    }
    let mut body = resp.body;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| TufFetchError::Other(e.to_string()))?;
        if n == 0 {
            return Ok(out);
        }
        if (out.len() + n) as u64 > max_len {
            return Err(TufFetchError::TooLarge);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// The catalog crate's TUF platform, over ours: fetches through [`Platform::get`], keeps
/// trusted metadata in `/pkg/etc/metadata/<role>.json`.
pub struct TufIo<'a, P: Platform> {
    /// The platform.
    pub p: &'a mut P,
}

impl<P: Platform> catalog_core::Platform for TufIo<'_, P> {
    fn fetch(&mut self, url: &str, max_len: u64) -> core::result::Result<Vec<u8>, TufFetchError> {
        fetch_small(self.p, url, max_len)
    }
    fn load(&mut self, role: Role) -> core::result::Result<Option<Vec<u8>>, String> {
        match self
            .p
            .read(&layout::metadata_file(role.name()), MAX_METADATA_BYTES)
        {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
    fn store(&mut self, role: Role, bytes: &[u8]) -> core::result::Result<(), String> {
        self.p
            .create_dir_all(layout::METADATA_DIR)
            .map_err(|e| e.to_string())?;
        write_atomic(self.p, &layout::metadata_file(role.name()), bytes).map_err(|e| e.to_string())
    }
    fn remove(&mut self, role: Role) -> core::result::Result<(), String> {
        match self.p.remove_file(&layout::metadata_file(role.name())) {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
    fn now(&self) -> i64 {
        self.p.now()
    }
}

/// A catalog TUF client over the platform, for the configured repository.
pub fn tuf_client<'a, P: Platform>(
    p: &'a mut P,
    c: &RepoConfig,
) -> Result<catalog_core::Client<TufIo<'a, P>>> {
    let config = Config::new(&c.metadata_base(), &c.targets_base());
    catalog_core::Client::new(TufIo { p }, config).map_err(Error::Metadata)
}

/// Run the TUF update workflow (`pkg update`) and return the new index.
pub fn update<P: Platform>(p: &mut P) -> Result<Index> {
    let c = load_config(p)?;
    let mut client = tuf_client(p, &c)?;
    client.refresh().map_err(Error::Metadata)?;
    let targets = client.targets().ok_or(Error::NotUpdated)?;
    Index::from_targets(targets, &Compat::swiftos()).map_err(Error::Index)
}

/// The trusted targets metadata of the last `pkg update`, after checking that the cached
/// timestamp, snapshot and targets have not expired since.
pub fn cached_targets<P: Platform>(p: &mut P) -> Result<Targets> {
    let now = p.now();
    let mut read = |role: Role| -> Result<Vec<u8>> {
        match p.read(&layout::metadata_file(role.name()), MAX_METADATA_BYTES) {
            Ok(b) => Ok(b),
            Err(e) if e.is_not_found() => Err(Error::NotUpdated),
            Err(e) => Err(e.into()),
        }
    };
    let ts = parse::<Timestamp>(&read(Role::Timestamp)?).map_err(Error::Metadata)?;
    let snap = parse::<Snapshot>(&read(Role::Snapshot)?).map_err(Error::Metadata)?;
    let targets = parse::<Targets>(&read(Role::Targets)?).map_err(Error::Metadata)?;
    check_expiry(&ts.signed, now).map_err(Error::Stale)?;
    check_expiry(&snap.signed, now).map_err(Error::Stale)?;
    check_expiry(&targets.signed, now).map_err(Error::Stale)?;
    Ok(targets.signed)
}

/// The package index of the last `pkg update`.
pub fn cached_index<P: Platform>(p: &mut P) -> Result<(Targets, Index)> {
    let targets = cached_targets(p)?;
    let index = Index::from_targets(&targets, &Compat::swiftos()).map_err(Error::Index)?;
    Ok((targets, index))
}

/// Check that a root metadata file is self-signed and, when `key` is given, that `key` is one of
/// its root keys (compared as parsed keys, so a PEM key matches whatever line width or point
/// encoding the metadata writes).
pub fn check_root(bytes: &[u8], key: Option<&PublicKey>) -> Result<()> {
    let env = catalog_core::client::verify_self_signed_root(bytes).map_err(Error::Metadata)?;
    let Some(key) = key else { return Ok(()) };
    let root = &env.signed;
    let ids = root
        .roles
        .get("root")
        .map(|r| r.keyids.clone())
        .unwrap_or_default();
    let found = ids
        .iter()
        .filter_map(|id| root.keys.get(id))
        .any(|k| PublicKey::parse(k).ok().flatten().as_ref() == Some(key));
    if found {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the repository's root metadata does not name the trusted root key {} (the pinned {}, \
         or the --root-key file) as a root key: it is not the repository this system trusts; \
         check the URL (or the key file)",
        describe_key(key),
        crate::layout::PINNED_ROOT_KEY
    )))
}

/// A key as an error message names it: the first bytes of an ed25519 key in hex, else its
/// scheme.
fn describe_key(key: &PublicKey) -> String {
    match key {
        PublicKey::Ed25519(k) => {
            let hex: String = k.as_bytes()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{hex}…")
        }
        other => format!("({})", other.scheme_name()),
    }
}

/// A root key file (`pkg repo set --root-key FILE`): a SwiftOS key file (`swpkg-ed25519-public-v1
/// HEX`, a hosted repository's `repo-root.pub`) or a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of
/// an ECDSA P-256 or RSA key, as OpenSSL and python-tuf's tools write them. The error says what
/// the file is not.
pub fn parse_root_key(text: &str) -> core::result::Result<PublicKey, String> {
    if text.trim_start().starts_with("-----BEGIN") {
        return PublicKey::from_pem(text).map_err(|e| {
            format!(
                "not a usable root key: {e} (ECDSA P-256 and RSA keys of at least 2048 bits work)"
            )
        });
    }
    swpkg_core::parse_public_key(text)
        .map(PublicKey::Ed25519)
        .map_err(|e| {
            format!(
                "not a root key file ({e}): expected a SwiftOS public key file \
                 (`swpkg-ed25519-public-v1 HEX`, a repository's repo-root.pub) or a PEM \
                 \"PUBLIC KEY\" block (SubjectPublicKeyInfo) of an ECDSA P-256 or RSA key"
            )
        })
}
