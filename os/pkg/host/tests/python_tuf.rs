//! The host `pkg` against a repository whose TUF metadata python-tuf signed with ECDSA P-256
//! keys and whose targets are real SwiftOS packages and the package index a SwiftOS publisher
//! wrote (`catalog_hosted::publish`): python-tuf (`catalog/tuf-client/tests/python/repo.py
//! import-targets`) lists the publisher's targets, lengths, hashes and package facts unchanged,
//! under its own keys. The fixture (`swiftos_tests::python_tuf::PeerRepo`) is the one the QEMU
//! test of the in-OS `pkg` uses.
//!
//! Needs `SWIFTOS_TUF_PYTHON` (set by `cargo xtask test`; see the tuf-client interop tests).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use swiftos_tests::python_tuf::{serve, PeerRepo};
use swiftos_tests::repo_fixture::PkgFile;

struct Pkg {
    root: PathBuf,
}

impl Pkg {
    fn run<S: AsRef<str>>(&self, args: &[S]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_pkg"))
            .arg("--root")
            .arg(&self.root)
            .args(["--timeout", "5"])
            .args(args.iter().map(AsRef::as_ref))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok<S: AsRef<str> + std::fmt::Debug>(&self, args: &[S]) -> String {
        let (ok, so, se) = self.run(args);
        assert!(ok, "pkg {args:?} failed:\nstdout: {so}\nstderr: {se}");
        so
    }

    fn fails<S: AsRef<str> + std::fmt::Debug>(&self, args: &[S]) -> String {
        let (ok, so, se) = self.run(args);
        assert!(!ok, "pkg {args:?} should fail:\nstdout: {so}\nstderr: {se}");
        // Shown with `--nocapture`: the messages users see.
        let line: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        eprintln!("$ pkg {}\n{se}", line.join(" "));
        se
    }

    /// Every file under the system root with its bytes.
    fn tree(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(rd) = fs::read_dir(dir) else { return };
            for e in rd {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), fs::read(&p).unwrap_or_default()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out.sort();
        out
    }
}

/// Three packages (`hello` needs `libgreet`; `extra`) in a python-tuf repository with
/// `key_type` keys, served on 127.0.0.1; returns the repository and its URL.
fn peer(dir: &Path, key_type: &str) -> (PeerRepo, String) {
    let peer = PeerRepo::new(dir);
    peer.package(
        "libgreet",
        &[],
        &[PkgFile::data("lib/greet.txt", "hello from libgreet\n")],
    );
    peer.package(
        "hello",
        &[("libgreet", "^1")],
        &[PkgFile::exe("bin/hello", "#!/bin/sh\necho hello\n")],
    );
    peer.package(
        "extra",
        &[],
        &[PkgFile::exe("bin/extra", "#!/bin/sh\necho extra\n")],
    );
    assert_eq!(peer.publish(key_type), 3);
    let url = serve(peer.served());
    (peer, url)
}

#[test]
fn pkg_installs_from_a_python_tuf_repository_signed_with_ecdsa() {
    let tmp = tempfile::tempdir().unwrap();
    let (peer, base) = peer(tmp.path(), "ecdsa");
    for key in peer.root_keys() {
        assert_eq!(key.scheme, "ecdsa-sha2-nistp256", "{key:?}");
    }

    let pkg = Pkg {
        root: tmp.path().join("sysroot"),
    };
    pkg.ok(&[
        "repo",
        "set",
        &base,
        "--trusted-root",
        peer.root_json().to_str().unwrap(),
        "--package-key",
        peer.package_key().to_str().unwrap(),
    ]);
    let s = pkg.ok(&["update"]);
    assert!(s.contains("3 package(s) available"), "{s}");
    let s = pkg.ok(&["install", "hello"]);
    assert!(
        s.contains("+ hello 1.0.0") && s.contains("+ libgreet 1.0.0"),
        "{s}"
    );
    assert_eq!(
        pkg.ok(&["list"]),
        "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n"
    );
    assert_eq!(
        fs::read_to_string(pkg.root.join("pkg/store/hello-1.0.0/root/bin/hello")).unwrap(),
        "#!/bin/sh\necho hello\n"
    );

    // A package file that differs from what the ECDSA-signed targets pin is refused.
    peer.attack(&["target-hash", "--target", "packages/extra-1.0.0.swpkg"]);
    let before = pkg.tree();
    let e = pkg.fails(&["install", "extra"]);
    assert!(
        e.contains("extra-1.0.0.swpkg sha256 mismatch") && e.contains("nothing was changed"),
        "{e}"
    );
    assert!(
        pkg.tree() == before,
        "install of a tampered package changed the system"
    );

    // A freeze attack (a validly signed, expired timestamp) is refused; nothing changes.
    peer.attack(&["freeze"]);
    let e = pkg.fails(&["update"]);
    assert!(e.contains("timestamp") && e.contains("expired"), "{e}");
    assert!(pkg.tree() == before, "a refused update changed the system");
}

/// `--root-key FILE` with a PEM public key: the repository's ECDSA root key is accepted, another
/// ECDSA key is refused as not this repository's, and a file that is no usable key is refused in
/// words; the refusals change nothing.
#[test]
fn root_key_may_be_an_ecdsa_pem_public_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (peer, base) = peer(&tmp.path().join("a"), "ecdsa");
    let other = PeerRepo::new(&tmp.path().join("b"));
    other.publish("ecdsa");
    let pkg = Pkg {
        root: tmp.path().join("sysroot"),
    };
    let file = |name: &str, text: &str| {
        let f = tmp.path().join(name);
        fs::write(&f, text).unwrap();
        f
    };
    let before = pkg.tree();
    for (key, words) in [
        (
            file("other.pem", &other.root_key_pem()),
            &[
                "does not name the trusted root key (ecdsa-sha2-nistp256)",
                "it is not the repository this system trusts",
            ][..],
        ),
        (
            file("garbage.pem", "this is not a key\n"),
            &[
                "not a root key file",
                "or a PEM \"PUBLIC KEY\" block (SubjectPublicKeyInfo) of an ECDSA P-256 or RSA key",
            ][..],
        ),
        (
            file("p384.pem", &test_vector("ecdsa_p384_public")),
            &["not a usable root key", "not P-256, not RSA"][..],
        ),
    ] {
        let e = pkg.fails(&set_with_root_key(&base, &key, &peer));
        for w in words {
            assert!(e.contains(w), "expected {w:?} in:\n{e}");
        }
    }
    assert!(
        pkg.tree() == before,
        "a refused repo set changed the system"
    );

    pkg.ok(&set_with_root_key(
        &base,
        &file("root.pem", &peer.root_key_pem()),
        &peer,
    ));
    let s = pkg.ok(&["update"]);
    assert!(s.contains("3 package(s) available"), "{s}");
    let s = pkg.ok(&["install", "hello"]);
    assert!(s.contains("+ hello 1.0.0"), "{s}");
}

/// `repo set URL --root-key KEY --package-key (the publisher's)`.
fn set_with_root_key(url: &str, key: &Path, peer: &PeerRepo) -> Vec<String> {
    let (key, package_key) = (key.to_str().unwrap(), peer.package_key());
    let package_key = package_key.to_str().unwrap();
    [
        "repo",
        "set",
        url,
        "--root-key",
        key,
        "--package-key",
        package_key,
    ]
    .map(String::from)
    .to_vec()
}

/// A value of catalog-core's key test vectors (`catalog/core/testdata/keys.json`).
fn test_vector(name: &str) -> String {
    let path = swiftos_tests::repo_root().join("catalog/core/testdata/keys.json");
    let v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    v[name].as_str().unwrap().to_string()
}
