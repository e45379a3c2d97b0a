//! The host `pkg` against a repository whose TUF metadata python-tuf signed with ECDSA P-256
//! keys and whose targets are real SwiftOS packages and the package index a SwiftOS publisher
//! wrote (`catalog_hosted::publish`): python-tuf (`catalog/tuf-client/tests/python/repo.py
//! import-targets`) lists the publisher's targets, lengths, hashes and package facts unchanged,
//! under its own keys. Served over HTTP on 127.0.0.1 by the tuf-client tests' file server.
//!
//! Needs `SWIFTOS_TUF_PYTHON` (set by `cargo xtask test`; see the tuf-client interop tests).

#[path = "../../../../catalog/tuf-client/tests/common/mod.rs"]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::SigningKey;

const PACKAGE_SEED: [u8; 32] = [7u8; 32];

/// A `.swpkg` in `out`, signed with the package key.
fn build_pkg(work: &Path, out: &Path, name: &str, deps: &[(&str, &str)], files: &[(&str, &str)]) {
    let stage = work.join(format!("stage-{name}"));
    for (p, content) in files {
        let f = stage.join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(&f, content).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut toml = format!(
        "name = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"the {name} test package\"\nlicense = \"MIT\"\n"
    );
    if !deps.is_empty() {
        toml.push_str("[depends]\n");
        for (d, r) in deps {
            toml.push_str(&format!("{d} = \"{r}\"\n"));
        }
    }
    let manifest = work.join(format!("{name}.toml"));
    fs::write(&manifest, toml).unwrap();
    let key = SigningKey::from_bytes(&PACKAGE_SEED);
    let file = out.join(format!("{name}-1.0.0.swpkg"));
    swpkg::build_package(
        &manifest,
        &stage,
        &key,
        swpkg::BuildOptions { mtime: 0 },
        &file,
    )
    .unwrap();
}

struct Pkg {
    root: PathBuf,
}

impl Pkg {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_pkg"))
            .arg("--root")
            .arg(&self.root)
            .args(["--timeout", "5"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, so, se) = self.run(args);
        assert!(ok, "pkg {args:?} failed:\nstdout: {so}\nstderr: {se}");
        so
    }

    fn fails(&self, args: &[&str]) -> String {
        let (ok, so, se) = self.run(args);
        assert!(!ok, "pkg {args:?} should fail:\nstdout: {so}\nstderr: {se}");
        // Shown with `--nocapture`: the messages users see.
        eprintln!("$ pkg {}\n{se}", args.join(" "));
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

#[test]
fn pkg_installs_from_a_python_tuf_repository_signed_with_ecdsa() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, packages, keys, web, peer) = (
        tmp.path().join("work"),
        tmp.path().join("packages"),
        tmp.path().join("keys"),
        tmp.path().join("web"),
        tmp.path().join("peer"),
    );
    for d in [&work, &packages, &keys] {
        fs::create_dir_all(d).unwrap();
    }

    // The publisher: real packages, its keys, and its web root with the package index.
    let package_pub = keys.join("package-dev.pub");
    fs::write(
        &package_pub,
        swpkg_core::format_public_key(&SigningKey::from_bytes(&PACKAGE_SEED).verifying_key()),
    )
    .unwrap();
    catalog_hosted::generate_keys(&keys).unwrap();
    build_pkg(
        &work,
        &packages,
        "libgreet",
        &[],
        &[("lib/greet.txt", "hello from libgreet\n")],
    );
    build_pkg(
        &work,
        &packages,
        "hello",
        &[("libgreet", "^1")],
        &[("bin/hello", "#!/bin/sh\necho hello\n")],
    );
    build_pkg(
        &work,
        &packages,
        "extra",
        &[],
        &[("bin/extra", "#!/bin/sh\necho extra\n")],
    );
    let published =
        catalog_hosted::publish(&catalog_hosted::PublishOptions::new(&packages, &keys, &web))
            .unwrap();
    assert_eq!(published.total_packages, 3);

    // python-tuf signs the same targets with ECDSA keys (consistent snapshots).
    common::repo_py(&peer, &["new", "--keys", "ecdsa", "--consistent-snapshot"]);
    common::repo_py(&peer, &["import-targets", web.to_str().unwrap()]);
    let root_json = peer.join("repo/metadata/1.root.json");
    let root: serde_json::Value = serde_json::from_slice(&fs::read(&root_json).unwrap()).unwrap();
    for key in root["signed"]["keys"].as_object().unwrap().values() {
        assert_eq!(key["scheme"], "ecdsa-sha2-nistp256", "{key}");
    }
    let base = common::serve(peer.join("repo"));

    let pkg = Pkg {
        root: tmp.path().join("sysroot"),
    };
    pkg.ok(&[
        "repo",
        "set",
        &base,
        "--trusted-root",
        root_json.to_str().unwrap(),
        "--package-key",
        package_pub.to_str().unwrap(),
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
    common::repo_py(
        &peer,
        &[
            "attack",
            "target-hash",
            "--target",
            "packages/extra-1.0.0.swpkg",
        ],
    );
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
    common::repo_py(&peer, &["attack", "freeze"]);
    let e = pkg.fails(&["update"]);
    assert!(e.contains("timestamp") && e.contains("expired"), "{e}");
    assert!(pkg.tree() == before, "a refused update changed the system");
}
