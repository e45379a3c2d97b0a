//! Interoperability with a real repository writer: python-tuf (`tests/python/repo.py`, the
//! Metadata API with securesystemslib's `CryptoSigner`) writes the repositories, a small file
//! server serves them on 127.0.0.1, and the real `tuf-client` binary refreshes and downloads
//! from them. python-tuf's own client (`tests/python/client.py`, `tuf.ngclient.Updater`) runs
//! against the same server; every attack must be refused by both, and both must keep the
//! metadata they trusted before.
//!
//! The Python with python-tuf comes from `SWIFTOS_TUF_PYTHON`, which `cargo xtask test` sets to
//! the virtual environment `cargo xtask setup` makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use swiftos_tests::python_tuf::{python, repo_py, script, serve};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a client printed and its exit status.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stderr: String,
}

impl Outcome {
    fn of(out: Output) -> Self {
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The trusted top-level metadata a client keeps in its metadata directory.
type Trusted = BTreeMap<&'static str, Option<Vec<u8>>>;

/// One repository written by python-tuf, served over HTTP, and the two clients that read it.
struct Interop {
    tmp: tempfile::TempDir,
    base: String,
}

impl Interop {
    /// `repo.py DIR new ARGS...`, served from `DIR/repo`.
    fn new(args: &[&str]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let me = Interop {
            base: serve(tmp.path().join("peer/repo")),
            tmp,
        };
        me.py(&[&["new"], args].concat());
        me
    }

    fn peer(&self) -> PathBuf {
        self.tmp.path().join("peer")
    }

    fn rust_dir(&self) -> PathBuf {
        self.tmp.path().join("rust-client")
    }

    fn python_dir(&self) -> PathBuf {
        self.tmp.path().join("python-client")
    }

    /// Run `repo.py DIR ARGS...`; a failure panics with the script's stderr.
    fn py(&self, args: &[&str]) {
        repo_py(&self.peer(), args);
    }

    /// The metadata URL and the target URL.
    fn urls(&self) -> (String, String) {
        (
            format!("{}/metadata", self.base),
            format!("{}/targets", self.base),
        )
    }

    /// Both clients start from `1.root.json`, obtained out of band.
    fn init(&self) {
        let root = self.peer().join("repo/metadata/1.root.json");
        let rust = self.rust(&["init", s(&root)]);
        assert_eq!(rust.code, 0, "tuf-client init: {}", rust.stderr);
        let py = self.python_client(&["init", s(&root)]);
        assert_eq!(py.code, 0, "python-tuf init: {}", py.stderr);
    }

    fn rust(&self, cmd: &[&str]) -> Outcome {
        let out = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
            .args(["--metadata-dir", s(&self.rust_dir())])
            .args(cmd)
            .output()
            .unwrap();
        Outcome::of(out)
    }

    fn python_client(&self, cmd: &[&str]) -> Outcome {
        let out = Command::new(python())
            .arg(script("client.py"))
            .args(["--metadata-dir", s(&self.python_dir())])
            .args(cmd)
            .output()
            .unwrap();
        Outcome::of(out)
    }

    /// `refresh` with both clients: (Rust, python-tuf).
    fn refresh(&self) -> (Outcome, Outcome) {
        let (meta, _) = self.urls();
        let args = ["--metadata-url", meta.as_str(), "refresh"];
        (self.rust(&args), self.python_client(&args))
    }

    /// Both clients refresh successfully.
    fn refresh_ok(&self) {
        let (rust, py) = self.refresh();
        assert_eq!(rust.code, 0, "tuf-client refresh failed: {}", rust.stderr);
        assert_eq!(py.code, 0, "python-tuf refresh failed: {}", py.stderr);
    }

    /// `download NAMES` with both clients into `OUT/rust` and `OUT/python`.
    fn download(&self, out: &str, names: &[&str]) -> (Outcome, Outcome) {
        let (meta, targets) = self.urls();
        let dir = self.tmp.path().join(out);
        let (rust_out, py_out) = (dir.join("rust"), dir.join("python"));
        let mut rust_args = vec![
            "--metadata-url",
            &meta,
            "--target-base-url",
            &targets,
            "--target-dir",
            s(&rust_out),
        ];
        for n in names {
            rust_args.extend(["--target-name", n]);
        }
        rust_args.push("download");
        let mut py_args = vec![
            "--metadata-url",
            &meta,
            "--target-base-url",
            &targets,
            "--target-dir",
            s(&py_out),
            "download",
        ];
        py_args.extend(names);
        (self.rust(&rust_args), self.python_client(&py_args))
    }

    /// Both clients download `expected` (name, bytes) and write exactly those bytes.
    fn download_ok(&self, out: &str, expected: &[(&str, &[u8])]) {
        let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
        let (rust, py) = self.download(out, &names);
        assert_eq!(rust.code, 0, "tuf-client download failed: {}", rust.stderr);
        assert_eq!(py.code, 0, "python-tuf download failed: {}", py.stderr);
        for (client, sub) in [("tuf-client", "rust"), ("python-tuf", "python")] {
            for (name, bytes) in expected {
                let file = self
                    .tmp
                    .path()
                    .join(out)
                    .join(sub)
                    .join(name.replace('/', "%2F"));
                let got = std::fs::read(&file)
                    .unwrap_or_else(|e| panic!("{client} wrote no {}: {e}", file.display()));
                assert_eq!(&got, bytes, "{client}: {name} has other bytes");
            }
        }
    }

    /// The trusted top-level metadata of (Rust, python-tuf).
    fn trusted(&self) -> (Trusted, Trusted) {
        let read = |dir: PathBuf| -> Trusted {
            ["root", "timestamp", "snapshot", "targets"]
                .into_iter()
                .map(|r| (r, std::fs::read(dir.join(format!("{r}.json"))).ok()))
                .collect()
        };
        (read(self.rust_dir()), read(self.python_dir()))
    }

    /// The `version` of the trusted `role` of both clients.
    fn trusted_versions(&self, role: &str) -> (u64, u64) {
        let version = |dir: PathBuf| {
            let bytes = std::fs::read(dir.join(format!("{role}.json")))
                .unwrap_or_else(|e| panic!("no trusted {role} in {}: {e}", dir.display()));
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["signed"]["version"].as_u64().unwrap()
        };
        (version(self.rust_dir()), version(self.python_dir()))
    }

    /// The attack made by `repo.py DIR attack ARGS` is refused by both clients on `refresh`
    /// (or on `download` of `target`), each with its own words, and neither replaces the
    /// trusted metadata of the roles in `kept`.
    fn refused(
        &self,
        attack: &[&str],
        target: Option<&str>,
        rust_words: &[&str],
        python_words: &[&str],
        kept: &[&str],
    ) {
        let before = self.trusted();
        self.py(&[&["attack"], attack].concat());
        let (rust, py) = match target {
            None => self.refresh(),
            Some(t) => self.download("attacked", &[t]),
        };
        for (client, outcome, words) in [
            ("tuf-client", &rust, rust_words),
            ("python-tuf", &py, python_words),
        ] {
            assert_eq!(
                outcome.code, 1,
                "{client} did not refuse attack {attack:?}; stderr: {}",
                outcome.stderr
            );
            for w in words {
                assert!(
                    outcome.stderr.contains(w),
                    "{client} refused attack {attack:?} without saying {w:?}: {}",
                    outcome.stderr
                );
            }
        }
        let after = self.trusted();
        for role in kept {
            assert_eq!(
                before.0[role], after.0[role],
                "tuf-client replaced its trusted {role} under attack {attack:?}"
            );
            assert_eq!(
                before.1[role], after.1[role],
                "python-tuf replaced its trusted {role} under attack {attack:?}"
            );
        }
        if let Some(t) = target {
            for sub in ["rust", "python"] {
                let file = self
                    .tmp
                    .path()
                    .join("attacked")
                    .join(sub)
                    .join(t.replace('/', "%2F"));
                assert!(!file.exists(), "{} was written", file.display());
            }
        }
    }
}

const HELLO: &[u8] = b"hello from python-tuf\n";

fn data_bin() -> Vec<u8> {
    (0..4).flat_map(|_| 0..=255u8).collect()
}

/// A repository with `keys`, both clients initialised and refreshed, and the files of
/// `repo.py new` downloaded by both.
fn refresh_and_download(keys: &str, consistent: bool) -> Interop {
    let mut args = vec!["--keys", keys];
    if consistent {
        args.push("--consistent-snapshot");
    }
    let r = Interop::new(&args);
    // The root python-tuf wrote carries the key types asked for.
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.peer().join("repo/metadata/1.root.json")).unwrap())
            .unwrap();
    let mut schemes: Vec<String> = root["signed"]["keys"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| {
            format!(
                "{}/{}",
                k["keytype"].as_str().unwrap(),
                k["scheme"].as_str().unwrap()
            )
        })
        .collect();
    schemes.sort();
    schemes.dedup();
    let expected: &[&str] = match keys {
        "ed25519" => &["ed25519/ed25519"],
        "ecdsa" => &["ecdsa/ecdsa-sha2-nistp256"],
        "rsa" => &["rsa/rsassa-pss-sha256"],
        _ => &[
            "ecdsa/ecdsa-sha2-nistp256",
            "ed25519/ed25519",
            "rsa/rsassa-pss-sha256",
        ],
    };
    assert_eq!(schemes, expected, "key types of the root python-tuf wrote");
    r.init();
    r.refresh_ok();
    r.download_ok(
        "out",
        &[("hello.txt", HELLO), ("dir/data.bin", &data_bin())],
    );
    r
}

#[test]
fn ed25519_keys() {
    refresh_and_download("ed25519", false);
}

#[test]
fn ecdsa_keys() {
    refresh_and_download("ecdsa", false);
}

#[test]
fn rsa_keys() {
    refresh_and_download("rsa", false);
}

#[test]
fn mixed_keys_consistent_snapshots() {
    let r = refresh_and_download("mixed", true);
    // Only versioned metadata and hash-prefixed targets exist, so the downloads above used them.
    let meta = r.peer().join("repo/metadata");
    assert!(meta.join("1.snapshot.json").exists() && meta.join("1.targets.json").exists());
    for f in ["snapshot.json", "targets.json"] {
        assert!(!meta.join(f).exists(), "{f} should not be served");
    }
    assert!(!r.peer().join("repo/targets/hello.txt").exists());

    // A new version of every role is published; both clients follow.
    r.py(&["publish", "--target", "new.txt=published later\n"]);
    r.refresh_ok();
    assert_eq!(r.trusted_versions("targets"), (2, 2));
    r.download_ok("out2", &[("new.txt", b"published later\n")]);
}

#[test]
fn root_rotations_thresholds_and_removed_keys() {
    let r = Interop::new(&["--keys", "ed25519"]);
    r.init();
    r.refresh_ok();
    // v2 raises the root threshold to 2, v3 removes the first root key and replaces the
    // timestamp key, v4 lowers the threshold to 1 and replaces the snapshot key.
    r.py(&["rotations"]);
    r.refresh_ok();
    assert_eq!(r.trusted_versions("root"), (4, 4));
    assert_eq!(r.trusted_versions("timestamp"), (2, 2));
    r.download_ok("out", &[("rotated.txt", b"signed after four roots\n")]);

    // Root v5 signed only by the removed first root key is refused: v4 does not trust it.
    r.refused(
        &["removed-root-key"],
        None,
        &["root metadata version 5: 0 valid signature(s) from the trusted root, threshold is 1"],
        &["UnsignedMetadataError", "root was signed by 0/1 keys"],
        &["root", "timestamp", "snapshot", "targets"],
    );
    assert_eq!(r.trusted_versions("root"), (4, 4));
}

#[test]
fn hashed_bin_delegations() {
    let r = Interop::new(&["--keys", "ed25519", "--consistent-snapshot"]);
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| {
            (
                format!("bins/file-{i}.txt"),
                format!("file {i}\n").into_bytes(),
            )
        })
        .collect();
    let mut args = vec!["hashed-bins", "--bin-key", "ecdsa"];
    let specs: Vec<String> = files
        .iter()
        .map(|(n, b)| format!("{n}={}", String::from_utf8_lossy(b)))
        .collect();
    for spec in &specs {
        args.extend(["--target", spec.as_str()]);
    }
    r.py(&args);
    r.init();
    r.refresh_ok();
    let expected: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    r.download_ok("out", &expected);

    // Both clients fetched and kept the same bins: several, not all 16.
    let bins = |dir: PathBuf| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == "00-0f.json".len() && n.as_bytes()[2] == b'-')
            .collect();
        v.sort();
        v
    };
    let (rust_bins, py_bins) = (bins(r.rust_dir()), bins(r.python_dir()));
    assert_eq!(rust_bins, py_bins, "the clients used different bins");
    assert!(
        (3..16).contains(&rust_bins.len()),
        "12 targets should fall into several bins: {rust_bins:?}"
    );

    // A name whose bin does not list it is not found by either client.
    let (rust, py) = r.download("missing", &["bins/not-there.txt"]);
    assert_eq!((rust.code, py.code), (1, 1), "{rust:?} {py:?}");
    assert!(rust.stderr.contains("is not listed"), "{}", rust.stderr);
    assert!(py.stderr.contains("TargetNotFound"), "{}", py.stderr);
}

#[test]
fn terminating_delegation_stops_the_search() {
    let r = Interop::new(&["--keys", "ed25519"]);
    r.py(&["terminating"]);
    r.init();
    r.refresh_ok();
    // a/ok.txt comes from the terminating role team-a, b/ok.txt from "anyone".
    r.download_ok(
        "out",
        &[
            ("a/ok.txt", b"from team-a\n"),
            ("b/ok.txt", b"from anyone\n"),
        ],
    );
    // "anyone" also lists a/sneaky.txt, but the search for a/ ends at team-a.
    let (rust, py) = r.download("sneaky", &["a/sneaky.txt"]);
    assert_eq!((rust.code, py.code), (1, 1), "{rust:?} {py:?}");
    assert!(
        rust.stderr.contains("\"a/sneaky.txt\" is not listed"),
        "{}",
        rust.stderr
    );
    assert!(py.stderr.contains("TargetNotFound"), "{}", py.stderr);
}

#[test]
fn root_threshold_not_met() {
    let r = Interop::new(&[
        "--keys",
        "ed25519",
        "--root-keys",
        "2",
        "--root-threshold",
        "2",
    ]);
    r.init();
    r.refresh_ok();
    r.refused(
        &["root-threshold"],
        None,
        &["root metadata version 2: 1 valid signature(s) from the trusted root, threshold is 2"],
        &["UnsignedMetadataError", "root was signed by 1/2 keys"],
        &["root", "timestamp", "snapshot", "targets"],
    );
    assert_eq!(r.trusted_versions("root"), (1, 1));
}

/// The attacks on a repository at version 2 of every role (root included) that both clients
/// trust, for one key set: `ed25519` (plain names) or `mixed` (ecdsa root and targets keys,
/// ed25519 timestamp, rsa snapshot; consistent snapshots).
mod attacks {
    use super::*;

    const ALL: &[&str] = &["root", "timestamp", "snapshot", "targets"];

    pub fn trusted_at_v2(keys: &str) -> Interop {
        let mut args = vec!["--keys", keys];
        if keys == "mixed" {
            args.push("--consistent-snapshot");
        }
        let r = Interop::new(&args);
        r.py(&["publish"]);
        r.py(&["new-root"]);
        r.init();
        r.refresh_ok();
        for role in ALL {
            assert_eq!(r.trusted_versions(role), (2, 2), "{role}");
        }
        r
    }

    pub fn timestamp_rollback(keys: &str) {
        trusted_at_v2(keys).refused(
            &["timestamp-rollback"],
            None,
            &["timestamp rollback: version 1 is older than trusted version 2"],
            &["BadVersionNumberError", "timestamp version 1 must be >= 2"],
            ALL,
        );
    }

    pub fn snapshot_rollback(keys: &str) {
        trusted_at_v2(keys).refused(
            &["snapshot-rollback"],
            None,
            &["snapshot rollback: version 1 is older than trusted version 2"],
            &["BadVersionNumberError", "snapshot version must be >= 2"],
            ALL,
        );
    }

    pub fn targets_rollback(keys: &str) {
        // The new timestamp is valid and kept (spec §5.4); the snapshot that lists targets
        // version 1 is refused.
        trusted_at_v2(keys).refused(
            &["targets-rollback"],
            None,
            &["targets rollback: version 1 is older than trusted version 2"],
            // python-tuf's words: "Expected targets.json version 1, got 2."
            &["BadVersionNumberError", "targets.json version 1"],
            &["root", "snapshot", "targets"],
        );
    }

    pub fn root_rollback(keys: &str) {
        let r = trusted_at_v2(keys);
        r.refused(
            &["root-rollback"],
            None,
            &["root version mismatch: expected 3, found 1"],
            &[
                "BadVersionNumberError",
                "Expected root version 3 instead got version 1",
            ],
            ALL,
        );
        assert_eq!(r.trusted_versions("root"), (2, 2));
    }

    pub fn freeze(keys: &str) {
        trusted_at_v2(keys).refused(
            &["freeze"],
            None,
            &["timestamp metadata version 3 expired at"],
            &["ExpiredMetadataError", "timestamp.json is expired"],
            ALL,
        );
    }

    pub fn mix_and_match(keys: &str) {
        trusted_at_v2(keys).refused(
            &["mix-and-match"],
            None,
            &["targets version mismatch: expected 3, found 2"],
            &["BadVersionNumberError", "Expected targets v3, got v2"],
            &["root", "targets"],
        );
    }

    pub fn target_length(keys: &str) {
        trusted_at_v2(keys).refused(
            &["target-length", "--target", "hello.txt"],
            Some("hello.txt"),
            &[
                "download of \"hello.txt\" failed",
                "larger than the limit of 22 bytes",
            ],
            &["DownloadLengthMismatchError"],
            ALL,
        );
    }

    pub fn target_hash(keys: &str) {
        trusted_at_v2(keys).refused(
            &["target-hash", "--target", "dir/data.bin"],
            Some("dir/data.bin"),
            &["download of \"dir/data.bin\" failed", "sha256 is"],
            &["LengthOrHashMismatchError", "does not match expected hash"],
            ALL,
        );
    }
}

macro_rules! attack_tests {
    ($($keys:ident),*) => {$(
        mod $keys {
            #[test]
            fn timestamp_rollback() { super::attacks::timestamp_rollback(stringify!($keys)) }
            #[test]
            fn snapshot_rollback() { super::attacks::snapshot_rollback(stringify!($keys)) }
            #[test]
            fn targets_rollback() { super::attacks::targets_rollback(stringify!($keys)) }
            #[test]
            fn root_rollback() { super::attacks::root_rollback(stringify!($keys)) }
            #[test]
            fn freeze_with_expired_timestamp() { super::attacks::freeze(stringify!($keys)) }
            #[test]
            fn mix_and_match() { super::attacks::mix_and_match(stringify!($keys)) }
            #[test]
            fn target_length_differs() { super::attacks::target_length(stringify!($keys)) }
            #[test]
            fn target_hash_differs() { super::attacks::target_hash(stringify!($keys)) }
        }
    )*};
}

attack_tests!(ed25519, mixed);
