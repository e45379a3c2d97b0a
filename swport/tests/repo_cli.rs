//! `swport repo keygen | publish | verify-url` as a user runs them: the real binary, real key
//! files, real signed packages.

use std::path::Path;
use std::process::{Command, Output};

fn swport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swport"))
        .args(args)
        .output()
        .expect("run swport")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn package(dir: &Path, keys: &Path, name: &str, deps: &str) {
    let stage = dir.join(format!("stage-{name}"));
    std::fs::create_dir_all(stage.join("bin")).unwrap();
    std::fs::write(stage.join("bin").join(name), format!("{name}\n")).unwrap();
    let mf = dir.join(format!("{name}.toml"));
    std::fs::write(
        &mf,
        format!("name = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"test {name}\"\nlicense = \"MIT\"\n{deps}"),
    )
    .unwrap();
    let key = swpkg_keys::read_secret_key(&keys.join("package.key")).unwrap();
    std::fs::create_dir_all(dir.join("pkgs")).unwrap();
    swpkg_host::build_package(
        &mf,
        &stage,
        &key,
        swpkg_host::BuildOptions { mtime: 0 },
        &dir.join(format!("pkgs/{name}-1.0.0.swpkg")),
    )
    .unwrap();
}

#[test]
fn keygen_publish_republish_and_refuse_garbage() {
    let t = tempfile::tempdir().unwrap();
    let keys = t.path().join("keys");
    let out = t.path().join("root");
    let o = swport(&["repo", "keygen", keys.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for role in ["root", "targets", "snapshot", "timestamp"] {
        assert!(keys.join(format!("{role}.key")).exists());
    }
    // A package signing key of its own: the root key is meant to stay offline.
    assert_ne!(
        std::fs::read(keys.join("package.pub")).unwrap(),
        std::fs::read(keys.join("root.pub")).unwrap()
    );
    // Never overwrites keys.
    let o = swport(&["repo", "keygen", keys.to_str().unwrap()]);
    assert!(!o.status.success());

    package(t.path(), &keys, "libgreet", "");
    let pkgs = t.path().join("pkgs");
    let args = [
        "repo",
        "publish",
        "--packages",
        pkgs.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let o = swport(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 new"), "{}", text(&o));
    for f in ["hosted-repo.json", "repo-root.pub", "index.html"] {
        assert!(out.join(f).exists(), "{f} missing");
    }

    package(t.path(), &keys, "hello", "[depends]\nlibgreet = \"^1\"\n");
    let o = swport(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 new, 1 unchanged, 2 packages served"),
        "{}",
        text(&o)
    );

    // A garbage "package" is refused and the published root is left as it was.
    let before = std::fs::read(out.join("metadata/timestamp.json")).unwrap();
    std::fs::write(pkgs.join("junk-1.0.0.swpkg"), b"not a package").unwrap();
    let o = swport(&args);
    assert!(!o.status.success());
    assert!(text(&o).contains("junk-1.0.0.swpkg"), "{}", text(&o));
    assert_eq!(
        std::fs::read(out.join("metadata/timestamp.json")).unwrap(),
        before
    );
}

#[test]
fn verify_url_reports_an_unreachable_repository() {
    // Port 9 (discard) on loopback: nothing listens there.
    let o = swport(&[
        "repo",
        "verify-url",
        "http://127.0.0.1:9/",
        "--timeout",
        "5",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("127.0.0.1:9"), "{}", text(&o));
}
