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
use catalog_core::metadata::{sha256_hex, Key, TargetFile, Targets};
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
    // 1. The unsigned descriptors, and the root key to start from.
    let hosted = fetch_hosted(&http, url, &mut rep);
    let Some(root_key) = root_key(&http, url, pinned, &mut rep) else {
        return Ok(rep);
    };
    if let Some(h) = &hosted {
        check_descriptor(h, &root_key, &mut rep);
    }
    let bases = Bases::of(url, hosted.as_ref());
    // 2. The TUF chain, from 1.root.json, with the client's own code.
    let Some(mut client) = signed_chain(http, &root_key, &bases, &mut rep) else {
        return Ok(rep);
    };
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
    let consistent = client.root().consistent_snapshot;
    let signed_keys = check_index(hosted.as_ref(), consistent, &targets, &mut rep);
    // 3. Every target, and every package in depth, against the keys clients trust: the root
    // key and the package keys the signed metadata lists.
    let mut package_keys: Vec<VerifyingKey> = vec![root_key];
    package_keys.extend(signed_keys);
    for (name, info) in &targets.targets {
        check_target(&mut client, &bases, (name, info), &package_keys, &mut rep);
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

/// Where metadata and targets are, below the repository URL.
struct Bases {
    metadata: String,
    targets: String,
}

impl Bases {
    fn of(url: &str, hosted: Option<&HostedRepo>) -> Bases {
        let (meta_rel, targets_rel) = hosted.map_or(("metadata/", "targets/"), |h| {
            (h.metadata.as_str(), h.targets.as_str())
        });
        Bases {
            metadata: join_url(url, meta_rel),
            targets: join_url(url, targets_rel),
        }
    }
}

/// `hosted-repo.json`, if it is there and parses (a problem otherwise).
fn fetch_hosted(http: &Http, url: &str, rep: &mut VerifyReport) -> Option<HostedRepo> {
    match http.get(&join_url(url, HOSTED_REPO_JSON), SMALL_FILE) {
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
    }
}

/// The root key to start from: the pinned one, else the served `repo-root.pub` (trust on first
/// use); a served key that differs from the pinned one is a problem.
fn root_key(
    http: &Http,
    url: &str,
    pinned: Option<VerifyingKey>,
    rep: &mut VerifyReport,
) -> Option<VerifyingKey> {
    let served = match http.get(&join_url(url, REPO_ROOT_PUB), SMALL_FILE) {
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
    if let (Some(p), Some(s)) = (&pinned, &served) {
        if p != s {
            rep.problem(
                REPO_ROOT_PUB,
                "differs from the pinned root key given with --root-key",
            );
        }
    }
    let key = pinned.or(served);
    if key.is_none() {
        rep.problem(
            "trust",
            "no root key to start from; nothing more can be verified",
        );
    }
    key
}

/// The descriptor's claims that need no signed metadata: the root key id and the platform.
fn check_descriptor(h: &HostedRepo, root_key: &VerifyingKey, rep: &mut VerifyReport) {
    let root_keyid = Key::ed25519(root_key.as_bytes()).keyid();
    if h.root_keyid != root_keyid {
        rep.problem(
            HOSTED_REPO_JSON,
            format!(
                "root_keyid {} is not the root key's id {root_keyid}",
                h.root_keyid
            ),
        );
    }
    let this = Compat::swiftos();
    if h.compatibility.arch != this.arch || h.compatibility.abi != this.abi {
        rep.problem(
            HOSTED_REPO_JSON,
            format!(
                "serves {} ABI {}, this host's SwiftOS is {} ABI {}",
                h.compatibility.arch, h.compatibility.abi, this.arch, this.abi
            ),
        );
    }
}

/// `1.root.json` lists the root key and is self-signed; then the client's update workflow
/// (§5) from it. The client, or `None` with the problem reported.
fn signed_chain(
    http: Http,
    root_key: &VerifyingKey,
    bases: &Bases,
    rep: &mut VerifyReport,
) -> Option<Client<MemTufPlatform>> {
    let root_keyid = Key::ed25519(root_key.as_bytes()).keyid();
    let root1 = match http.get(&join_url(&bases.metadata, "1.root.json"), 512_000) {
        Ok(b) => b,
        Err(e) => {
            rep.problem("metadata/1.root.json", fetch_err(&e));
            return None;
        }
    };
    let listed = match catalog_core::client::verify_self_signed_root(&root1) {
        Ok(env) => env
            .signed
            .roles
            .get(Role::Root.name())
            .is_some_and(|r| r.keyids.contains(&root_keyid)),
        Err(e) => {
            rep.problem("metadata/1.root.json", e.to_string());
            return None;
        }
    };
    if !listed {
        rep.problem(
            "metadata/1.root.json",
            format!(
                "the pinned root key {} is not a root key of this repository",
                &root_keyid[..16]
            ),
        );
        return None;
    }
    let mut platform = MemTufPlatform {
        http,
        store: BTreeMap::new(),
        now: now(),
    };
    if let Err(e) = Client::init(&mut platform, &root1) {
        rep.problem("metadata/1.root.json", e.to_string());
        return None;
    }
    let mut client = match Client::new(platform, Config::new(&bases.metadata, &bases.targets)) {
        Ok(c) => c,
        Err(e) => {
            rep.problem("metadata", e.to_string());
            return None;
        }
    };
    if let Err(e) = client.refresh() {
        rep.problem("metadata", format!("the signed chain does not verify: {e}"));
        return None;
    }
    Some(client)
}

/// The package index and the signed contract, against the descriptor. Returns the package keys
/// the signed metadata lists (what clients trust besides the root key).
fn check_index(
    hosted: Option<&HostedRepo>,
    consistent_snapshot: bool,
    targets: &Targets,
    rep: &mut VerifyReport,
) -> Vec<VerifyingKey> {
    if hosted.is_some_and(|h| h.consistent_snapshot != consistent_snapshot) {
        rep.problem(
            HOSTED_REPO_JSON,
            "consistent_snapshot disagrees with the signed root",
        );
    }
    let mut signed_keys = Vec::new();
    match Index::from_targets(targets, &Compat::swiftos()) {
        Ok(i) => {
            for r in i.refused() {
                rep.problem(
                    format!("{} {}", r.name, r.version),
                    format!("built for {} ABI {}, refused by clients", r.arch, r.abi),
                );
            }
            signed_keys = i.package_keys().iter().filter_map(|k| key_of(k)).collect();
            if let Some(h) = hosted {
                if h.package_keys != i.package_keys() {
                    rep.problem(
                        HOSTED_REPO_JSON,
                        "package_keys differ from the package keys the signed targets metadata lists",
                    );
                }
            }
        }
        Err(e) => rep.problem("targets", e.to_string()),
    }
    let contract = targets
        .targets
        .get(REPO_TARGET)
        .and_then(|t| t.custom.as_ref())
        .and_then(|c| c.get(REPO_KEY))
        .and_then(|v| serde_json::from_value::<RepoMeta>(v.clone()).ok());
    if let (Some(h), Some(contract)) = (hosted, contract) {
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
    signed_keys
}

/// An ed25519 key written as 64 hex digits (the index has checked the form).
fn key_of(hex_key: &str) -> Option<VerifyingKey> {
    hex::decode(hex_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
}

/// One target through the client (length and hashes); for a package also its sidecar, its plain
/// (not hash-prefixed) copy, and the package itself against `package_keys` and its index facts.
fn check_target(
    client: &mut Client<MemTufPlatform>,
    bases: &Bases,
    (name, info): (&String, &TargetFile),
    package_keys: &[VerifyingKey],
    rep: &mut VerifyReport,
) {
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
    let Some(facts) = facts else { return };
    check_plain_copies(&client.platform().http, bases, (name, info), rep);
    if let Some(bytes) = bytes {
        match verify_package_bytes(&bytes, package_keys) {
            Ok(m) if !agrees(&m, &facts) => rep.problem(
                name.clone(),
                format!(
                    "its manifest ({} {}) disagrees with the signed index facts ({} {}, dependencies or platform)",
                    m.name, m.version, facts.name, facts.version
                ),
            ),
            Ok(_) => {}
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

/// The sha256 sidecar and the plain-named copy of a package agree with the signed metadata.
fn check_plain_copies(
    http: &Http,
    bases: &Bases,
    (name, info): (&String, &TargetFile),
    rep: &mut VerifyReport,
) {
    let want = info.hashes.get("sha256").cloned().unwrap_or_default();
    let file_name = name.rsplit('/').next().unwrap_or(name);
    let plain_url = join_url(&bases.targets, name);
    let sidecar_url = format!("{plain_url}.{SIDECAR_EXT}");
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
}

/// A package's manifest names what its index facts say: name, version, platform, dependencies.
fn agrees(m: &swpkg_core::Manifest, facts: &PackageMeta) -> bool {
    let deps: BTreeMap<String, String> = m
        .depends
        .iter()
        .map(|d| (d.name.clone(), d.req.to_string()))
        .collect();
    m.name == facts.name
        && m.version.to_string() == facts.version
        && m.arch == facts.arch
        && m.abi == facts.abi
        && deps.len() == facts.deps.len()
        && deps.iter().all(|(d, r)| {
            facts.deps.get(d).is_some_and(|fr| {
                semver::VersionReq::parse(fr).ok().map(|x| x.to_string()) == Some(r.clone())
            })
        })
}
