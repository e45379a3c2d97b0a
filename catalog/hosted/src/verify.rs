//! Verifying a hosted repository URL from the host (`swport repo verify-url URL`): fetch over
//! HTTP everything a client would, verify the whole TUF chain with the client's own code
//! (`catalog-core`), then every target against the metadata, every package against its
//! `.sha256` sidecar and its signature, and the unsigned descriptors against the signed facts.
//! Every problem found is collected; the check goes on wherever it still can.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use catalog_core::client::{join_url, FetchError, Platform};
use catalog_core::index::{PackageMeta, RepoMeta, PACKAGE_KEY, REPO_KEY, REPO_TARGET};
use catalog_core::metadata::{sha256_hex, Key};
use catalog_core::{Client, Compat, Config, Index, Role};
use ed25519_dalek::VerifyingKey;
use swpkg_core::{NullSink, StreamError};

use crate::error::HostedError;
use crate::layout::{parse_sidecar, HostedRepo, HOSTED_REPO_JSON, REPO_ROOT_PUB, SIDECAR_EXT};

/// Largest descriptor, key or sidecar file fetched.
const SMALL_FILE: u64 = 1 << 20;
/// Largest HTML page fetched.
const PAGE_FILE: u64 = 16 << 20;

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// A root key file to pin (the format of `repo-root.pub`). Without it the served
    /// `repo-root.pub` is trusted (trust on first use) and only checked for consistency.
    pub root_key: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            root_key: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What was checked: a file, target or package.
    pub subject: String,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.detail)
    }
}

/// The outcome of [`verify_url`].
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// The root URL checked.
    pub url: String,
    /// Versions of the verified metadata (root, timestamp, snapshot, targets), if the chain held.
    pub versions: Option<[u64; 4]>,
    /// Targets whose bytes matched the signed metadata.
    pub targets_ok: usize,
    /// Packages that passed every check (metadata, sidecar, plain file, signature, facts).
    pub packages_ok: usize,
    /// Packages listed by the metadata.
    pub packages_total: usize,
    /// Every problem found.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing was wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, subject: impl Into<String>, detail: impl Into<String>) {
        self.problems.push(Problem {
            subject: subject.into(),
            detail: detail.into(),
        });
    }
}

/// Blocking HTTP fetches with a size limit.
struct Http {
    client: reqwest::blocking::Client,
}

impl Http {
    fn get(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        let resp = self
            .client
            .get(url)
            .send()
            .map_err(|e| FetchError::Other(format!("{e}")))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::FORBIDDEN {
            return Err(FetchError::NotFound);
        }
        if !status.is_success() {
            return Err(FetchError::Other(format!("HTTP status {status}")));
        }
        if resp.content_length().is_some_and(|n| n > max_len) {
            return Err(FetchError::TooLarge);
        }
        catalog_signer::host::read_limited(resp, max_len)
    }
}

fn fetch_err(e: &FetchError) -> String {
    match e {
        FetchError::NotFound => "not found (HTTP 404/403)".into(),
        FetchError::TooLarge => "larger than allowed".into(),
        FetchError::Other(s) => s.clone(),
    }
}

/// A TUF client platform with trusted metadata in memory.
struct MemTufPlatform {
    http: Http,
    store: BTreeMap<&'static str, Vec<u8>>,
    now: i64,
}

impl Platform for MemTufPlatform {
    fn fetch(&mut self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        self.http.get(url, max_len)
    }
    fn load(&mut self, role: Role) -> Result<Option<Vec<u8>>, String> {
        Ok(self.store.get(role.name()).cloned())
    }
    fn store(&mut self, role: Role, bytes: &[u8]) -> Result<(), String> {
        self.store.insert(role.name(), bytes.to_vec());
        Ok(())
    }
    fn remove(&mut self, role: Role) -> Result<(), String> {
        self.store.remove(role.name());
        Ok(())
    }
    fn now(&self) -> i64 {
        self.now
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Verify a package's signature (by any of `keys`) and every payload byte; returns the manifest.
/// The bytes are opened with `swpkg_core`'s one package opener (one zstd frame, nothing after it,
/// window at most 8 MiB); errors are its words and the package errors' words, as `swpkg verify`
/// prints them.
pub fn verify_package_bytes(
    bytes: &[u8],
    keys: &[VerifyingKey],
) -> Result<swpkg_core::Manifest, String> {
    let mut last = String::from("no package key known");
    for k in keys {
        let r = swpkg_core::PackageReader::new(bytes).map_err(|e| e.to_string())?;
        match swpkg_core::verify_stream(r, k, &mut NullSink) {
            Ok(m) => return Ok(m),
            // The compressed layer does not depend on the key.
            Err(StreamError::Read(e)) => return Err(e.to_string()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// Fetch and verify the hosted repository at `url` (the web root: the directory holding
/// `hosted-repo.json`). Returns a report listing every problem; `Err` only when the check
/// cannot start (a malformed URL, an unreadable pinned key file, no HTTP client).
pub fn verify_url(url: &str, opts: &VerifyOptions) -> Result<VerifyReport, HostedError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(HostedError::Usage(format!(
            "{url:?} is not an http:// or https:// URL"
        )));
    }
    let pinned = match &opts.root_key {
        Some(p) => Some(
            swpkg_keys::read_public_key(p).map_err(|e| HostedError::Keys {
                path: p.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(opts.timeout)
        .build()
        .map_err(|e| HostedError::Usage(format!("cannot create an HTTP client: {e}")))?;
    let http = Http { client };
    let mut rep = VerifyReport {
        url: url.to_string(),
        ..VerifyReport::default()
    };

    // 1. The unsigned descriptors.
    let hosted_url = join_url(url, HOSTED_REPO_JSON);
    let hosted: Option<HostedRepo> = match http.get(&hosted_url, SMALL_FILE) {
        Ok(b) => match serde_json::from_slice(&b) {
            Ok(h) => Some(h),
            Err(e) => {
                rep.problem(HOSTED_REPO_JSON, format!("not a valid descriptor: {e}"));
                None
            }
        },
        Err(e) => {
            rep.problem(HOSTED_REPO_JSON, fetch_err(&e));
            None
        }
    };
    let served_key = match http.get(&join_url(url, REPO_ROOT_PUB), SMALL_FILE) {
        Ok(b) => match swpkg_core::parse_public_key(&String::from_utf8_lossy(&b)) {
            Ok(k) => Some(k),
            Err(e) => {
                rep.problem(REPO_ROOT_PUB, format!("not a public key: {e}"));
                None
            }
        },
        Err(e) => {
            rep.problem(REPO_ROOT_PUB, fetch_err(&e));
            None
        }
    };
    if let (Some(p), Some(s)) = (&pinned, &served_key) {
        if p != s {
            rep.problem(
                REPO_ROOT_PUB,
                "differs from the pinned root key given with --root-key",
            );
        }
    }
    let Some(root_key) = pinned.or(served_key) else {
        rep.problem(
            "trust",
            "no root key to start from; nothing more can be verified",
        );
        return Ok(rep);
    };
    let root_keyid = Key::ed25519(root_key.as_bytes()).keyid();
    if let Some(h) = &hosted {
        if h.root_keyid != root_keyid {
            rep.problem(
                HOSTED_REPO_JSON,
                format!(
                    "root_keyid {} is not the root key's id {root_keyid}",
                    h.root_keyid
                ),
            );
        }
        if h.compatibility.arch != Compat::swiftos().arch
            || h.compatibility.abi != Compat::swiftos().abi
        {
            rep.problem(
                HOSTED_REPO_JSON,
                format!(
                    "serves {} ABI {}, this host's SwiftOS is {} ABI {}",
                    h.compatibility.arch,
                    h.compatibility.abi,
                    Compat::swiftos().arch,
                    Compat::swiftos().abi
                ),
            );
        }
    }
    let (meta_rel, targets_rel) = hosted
        .as_ref()
        .map_or(("metadata/".to_string(), "targets/".to_string()), |h| {
            (h.metadata.clone(), h.targets.clone())
        });
    let metadata_base = join_url(url, &meta_rel);
    let targets_base = join_url(url, &targets_rel);

    // 2. The TUF chain, from 1.root.json, with the client's own code.
    let root1_url = join_url(&metadata_base, "1.root.json");
    let root1 = match http.get(&root1_url, 512_000) {
        Ok(b) => b,
        Err(e) => {
            rep.problem("metadata/1.root.json", fetch_err(&e));
            return Ok(rep);
        }
    };
    match catalog_core::client::verify_self_signed_root(&root1) {
        Ok(env) => {
            let listed = env
                .signed
                .roles
                .get(Role::Root.name())
                .is_some_and(|r| r.keyids.contains(&root_keyid));
            if !listed {
                rep.problem(
                    "metadata/1.root.json",
                    format!(
                        "the pinned root key {} is not a root key of this repository",
                        &root_keyid[..16]
                    ),
                );
                return Ok(rep);
            }
        }
        Err(e) => {
            rep.problem("metadata/1.root.json", e.to_string());
            return Ok(rep);
        }
    }
    let mut platform = MemTufPlatform {
        http,
        store: BTreeMap::new(),
        now: now(),
    };
    if let Err(e) = Client::init(&mut platform, &root1) {
        rep.problem("metadata/1.root.json", e.to_string());
        return Ok(rep);
    }
    let mut client = match Client::new(platform, Config::new(&metadata_base, &targets_base)) {
        Ok(c) => c,
        Err(e) => {
            rep.problem("metadata", e.to_string());
            return Ok(rep);
        }
    };
    if let Err(e) = client.refresh() {
        rep.problem("metadata", format!("the signed chain does not verify: {e}"));
        return Ok(rep);
    }
    let Some(targets) = client.targets().cloned() else {
        rep.problem("metadata", "no targets after refresh");
        return Ok(rep);
    };
    rep.versions = Some([
        client.root().version,
        client.timestamp().map_or(0, |t| t.version),
        client.snapshot().map_or(0, |s| s.version),
        targets.version,
    ]);
    if let Some(h) = &hosted {
        if h.consistent_snapshot != client.root().consistent_snapshot {
            rep.problem(
                HOSTED_REPO_JSON,
                "consistent_snapshot disagrees with the signed root",
            );
        }
    }
    let index = match Index::from_targets(&targets, &Compat::swiftos()) {
        Ok(i) => Some(i),
        Err(e) => {
            rep.problem("targets", e.to_string());
            None
        }
    };
    if let Some(i) = &index {
        for r in i.refused() {
            rep.problem(
                format!("{} {}", r.name, r.version),
                format!("built for {} ABI {}, refused by clients", r.arch, r.abi),
            );
        }
    }
    if let (Some(h), Some(contract)) = (
        &hosted,
        targets
            .targets
            .get(REPO_TARGET)
            .and_then(|t| t.custom.as_ref())
            .and_then(|c| c.get(REPO_KEY))
            .and_then(|v| serde_json::from_value::<RepoMeta>(v.clone()).ok()),
    ) {
        let c = &h.compatibility;
        if c.arch != contract.arch || c.abi != contract.abi || c.index_format != contract.format {
            rep.problem(
                HOSTED_REPO_JSON,
                format!(
                    "compatibility {} ABI {} format {} differs from the signed contract {} ABI {} format {}",
                    c.arch, c.abi, c.index_format, contract.arch, contract.abi, contract.format
                ),
            );
        }
    }

    // 3. Every target, and every package in depth.
    let mut package_keys: Vec<VerifyingKey> = vec![root_key];
    if let Some(h) = &hosted {
        for k in &h.package_keys {
            match hex::decode(k)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            {
                Some(v) => package_keys.push(v),
                None => rep.problem(HOSTED_REPO_JSON, format!("package key {k:?} is not a key")),
            }
        }
    }
    for (name, info) in &targets.targets {
        let facts = info
            .custom
            .as_ref()
            .and_then(|c| c.get(PACKAGE_KEY))
            .and_then(|v| serde_json::from_value::<PackageMeta>(v.clone()).ok());
        if facts.is_some() {
            rep.packages_total += 1;
        }
        let before = rep.problems.len();
        let bytes = match client.download_target(name) {
            Ok(b) => {
                rep.targets_ok += 1;
                Some(b)
            }
            Err(e) => {
                let at = client.target_url(name).unwrap_or_default();
                rep.problem(name.clone(), format!("{at}: {e}"));
                None
            }
        };
        let Some(facts) = facts else { continue };
        let want = info.hashes.get("sha256").cloned().unwrap_or_default();
        let file_name = name.rsplit('/').next().unwrap_or(name);
        let plain_url = join_url(&targets_base, name);
        let sidecar_url = format!("{plain_url}.{SIDECAR_EXT}");
        let http = &client.platform().http;
        match http.get(&sidecar_url, SMALL_FILE) {
            Ok(b) => match parse_sidecar(&String::from_utf8_lossy(&b), file_name) {
                Ok(h) if h == want => {}
                Ok(h) => rep.problem(
                    format!("{name}.{SIDECAR_EXT}"),
                    format!("says sha256 {h}, the signed metadata says {want}"),
                ),
                Err(e) => rep.problem(format!("{name}.{SIDECAR_EXT}"), format!("malformed: {e}")),
            },
            Err(e) => rep.problem(
                format!("{name}.{SIDECAR_EXT}"),
                format!("{sidecar_url}: {}", fetch_err(&e)),
            ),
        }
        match http.get(&plain_url, info.length) {
            Ok(b) if sha256_hex(&b) == want && b.len() as u64 == info.length => {}
            Ok(b) => rep.problem(
                name.clone(),
                format!(
                    "{plain_url}: {} bytes with sha256 {}, the signed metadata says {} bytes with sha256 {want}",
                    b.len(),
                    sha256_hex(&b),
                    info.length
                ),
            ),
            Err(e) => rep.problem(name.clone(), format!("{plain_url}: {}", fetch_err(&e))),
        }
        if let Some(bytes) = bytes {
            match verify_package_bytes(&bytes, &package_keys) {
                Ok(m) => {
                    let deps: BTreeMap<String, String> = m
                        .depends
                        .iter()
                        .map(|d| (d.name.clone(), d.req.to_string()))
                        .collect();
                    let same = m.name == facts.name
                        && m.version.to_string() == facts.version
                        && m.arch == facts.arch
                        && m.abi == facts.abi
                        && deps.len() == facts.deps.len()
                        && deps.iter().all(|(d, r)| {
                            facts.deps.get(d).is_some_and(|fr| {
                                semver::VersionReq::parse(fr).ok().map(|x| x.to_string())
                                    == Some(r.clone())
                            })
                        });
                    if !same {
                        rep.problem(
                            name.clone(),
                            format!(
                                "its manifest ({} {}) disagrees with the signed index facts ({} {}, dependencies or platform)",
                                m.name, m.version, facts.name, facts.version
                            ),
                        );
                    }
                }
                Err(e) => rep.problem(
                    name.clone(),
                    format!("the package itself does not verify with the repository's package keys: {e}"),
                ),
            }
        }
        if rep.problems.len() == before {
            rep.packages_ok += 1;
        }
    }

    // 4. The browser entry page.
    let browser = hosted.as_ref().map_or("index.html", |h| h.browser.as_str());
    if let Err(e) = client
        .platform()
        .http
        .get(&join_url(url, browser), PAGE_FILE)
    {
        rep.problem(browser.to_string(), fetch_err(&e));
    }
    Ok(rep)
}
