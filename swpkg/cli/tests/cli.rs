//! The `swpkg` binary end to end: commands, exit codes and one-line error messages.

// The package-crafting helpers are the library tests'; one copy.
#[path = "../../host/tests/common/mod.rs"]
mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn swpkg(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swpkg"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn keygen_build_inspect_verify_extract() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    stage(d);
    manifest_file(d);
    let o = swpkg(d, &["keygen", "--out", "keys"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = swpkg(d, &["keygen", "--out", "keys"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    let o = swpkg(
        d,
        &[
            "build",
            "--manifest",
            "lua.toml",
            "--root",
            "stage",
            "--key",
            "keys/swpkg.key",
            "-o",
            "lua-5.4.6.swpkg",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = swpkg(d, &["inspect", "lua-5.4.6.swpkg"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("package:     lua 5.4.6")
            && out.contains("bin/lua")
            && out.contains("NOT checked"),
        "{out}"
    );
    let o = swpkg(d, &["verify", "lua-5.4.6.swpkg", "--key", "keys/swpkg.pub"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("verify: lua-5.4.6.swpkg: OK"));
    let o = swpkg(
        d,
        &[
            "extract",
            "lua-5.4.6.swpkg",
            "--to",
            "out",
            "--key",
            "keys/swpkg.pub",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(d.join("out/bin/lua").is_file());

    // Tamper with a payload byte: one precise line on stderr, exit status 1.
    let mut tar = unzstd(&fs::read(d.join("lua-5.4.6.swpkg")).unwrap());
    let pos = tar.windows(8).position(|w| w == b"#!lua bi").unwrap();
    tar[pos + 2] = b'L';
    fs::write(d.join("bad.swpkg"), zstd(&tar)).unwrap();
    let o = swpkg(d, &["verify", "bad.swpkg", "--key", "keys/swpkg.pub"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("verify: bad.swpkg: file bin/lua: sha256 mismatch (manifest "),
        "{err}"
    );
    assert!(err.contains(", content "), "{err}");
    let o = swpkg(
        d,
        &[
            "extract",
            "bad.swpkg",
            "--to",
            "out2",
            "--key",
            "keys/swpkg.pub",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("extract: bad.swpkg: file bin/lua: sha256 mismatch"));
    assert!(!d.join("out2").exists());
    assert!(!listing(d).iter().any(|n| n.contains("staging")));

    // A bad key file says what the format is.
    fs::write(d.join("junk.pub"), "hello").unwrap();
    let o = swpkg(d, &["verify", "lua-5.4.6.swpkg", "--key", "junk.pub"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("swpkg-ed25519-public-v1"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn help_teaches_with_examples() {
    let o = swpkg(Path::new("."), &["--help"]);
    let h = text(&o.stdout);
    for needle in [
        "keygen",
        "build",
        "inspect",
        "verify",
        "extract",
        "Examples:",
        "tar --zstd -tvf",
    ] {
        assert!(h.contains(needle), "--help lacks {needle}: {h}");
    }
    let o = swpkg(Path::new("."), &["build", "--help"]);
    assert!(text(&o.stdout).contains("SOURCE_DATE_EPOCH"));
}
