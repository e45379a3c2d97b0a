//! Round trip, reproducibility, plain-tar compatibility and the pure-Rust decoder.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use swpkg_core::{EntryKind, NullSink};

fn tree(root: &Path) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let desc = if m.file_type().is_symlink() {
                format!("l {}", fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                stack.push(p.clone());
                format!("d {:o}", m.permissions().mode() & 0o7777)
            } else {
                format!(
                    "f {:o} {}",
                    m.permissions().mode() & 0o7777,
                    sha(fs::read(&p).unwrap())
                )
            };
            out.push((rel, desc));
        }
    }
    out.sort();
    out
}

fn sha(b: Vec<u8>) -> String {
    swpkg_core::Sha256::digest(&b).to_hex()
}

#[test]
fn round_trip_build_verify_extract() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = build(tmp.path(), "lua.swpkg", 1_700_000_000);
    let vk = key().verifying_key();
    let m = swpkg_host::verify_package(&pkg, &vk).unwrap();
    assert_eq!(m.name, "lua");
    assert_eq!(m.depends[0].name, "zlib");
    assert_eq!(m.provides, vec!["lua-interpreter".to_string()]);
    let lua = m.entry("bin/lua").unwrap();
    assert_eq!(lua.mode.0, 0o755, "any execute bit normalises to 0755");
    assert_eq!(m.entry("share/doc/README").unwrap().mode.0, 0o644);
    assert_eq!(m.entry("bin/lua5.4").unwrap().kind, EntryKind::Symlink);
    let out = tmp.path().join("out");
    let m2 = swpkg_host::extract_package(&pkg, &vk, &out).unwrap();
    assert_eq!(m, m2);
    // Same content; modes normalised.
    let src: Vec<_> = tree(&tmp.path().join("stage"))
        .into_iter()
        .map(|(p, d)| (p, d.replace("f 750", "f 755").replace("f 600", "f 644")))
        .collect();
    assert_eq!(tree(&out), src);
    // Inspect agrees and exposes the exact manifest bytes.
    let i = swpkg_host::inspect_package(&pkg).unwrap();
    assert_eq!(i.manifest, m);
    assert_eq!(i.manifest_bytes, m.to_canonical_bytes());
    // Only the package and the outputs are left; no staging directories.
    assert_eq!(
        listing(tmp.path()),
        ["lua.swpkg", "lua.toml", "out", "stage"]
    );
}

#[test]
fn reproducible_bit_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let pa = build(a.path(), "lua.swpkg", 1_700_000_000);
    // Different directory, different mtimes and permission bits in the staged tree.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let pb = build(b.path(), "other-name.swpkg", 1_700_000_000);
    fs::set_permissions(
        b.path().join("stage/bin/lua"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    fs::set_permissions(
        b.path().join("stage/share/doc/README"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let pc = b.path().join("again.swpkg");
    swpkg_host::build_package(
        &b.path().join("lua.toml"),
        &b.path().join("stage"),
        &key(),
        swpkg_host::BuildOptions {
            mtime: 1_700_000_000,
        },
        &pc,
    )
    .unwrap();
    let (ba, bb, bc) = (
        fs::read(&pa).unwrap(),
        fs::read(&pb).unwrap(),
        fs::read(&pc).unwrap(),
    );
    assert_eq!(ba, bb);
    assert_eq!(ba, bc);
    // SOURCE_DATE_EPOCH is part of the input: another value gives other bytes.
    let d = tempfile::tempdir().unwrap();
    let pd = build(d.path(), "d.swpkg", 1);
    assert_ne!(ba, fs::read(pd).unwrap());
}

#[test]
fn plain_tar_lists_package() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = build(tmp.path(), "lua.swpkg", 0);
    let out = std::process::Command::new("tar")
        .arg("--zstd")
        .arg("-tvf")
        .arg(&pkg)
        .output();
    let Ok(out) = out else {
        eprintln!("tar not available; skipping");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().nth(5).unwrap())
        .collect();
    assert_eq!(names[0], "+MANIFEST");
    assert_eq!(names[1], "+SIGNATURE");
    assert!(names.contains(&"bin/lua"));
    let long = format!("share/{}/{}", "x".repeat(120), "y".repeat(110));
    assert!(
        names.contains(&long.as_str()),
        "pax path not understood by tar: {text}"
    );
    assert!(
        text.lines().all(|l| l.contains(" 0/0 ")),
        "owner not 0/0: {text}"
    );
}

#[test]
fn pure_rust_decoder_reads_host_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = build(tmp.path(), "lua.swpkg", 0);
    let bytes = fs::read(&pkg).unwrap();
    let z = swpkg_core::zstd::ZstdReader::new(&bytes[..]).unwrap();
    let m = swpkg_core::verify_stream(z, &key().verifying_key(), &mut NullSink).unwrap();
    assert_eq!(m.name, "lua");
    // And it rejects a tampered stream too.
    let mut tar = unzstd(&bytes);
    let pos = tar.windows(8).position(|w| w == b"Lua docs").unwrap();
    tar[pos] ^= 1;
    let z2 = zstd(&tar);
    let z = swpkg_core::zstd::ZstdReader::new(&z2[..]).unwrap();
    let e = swpkg_core::verify_stream(z, &key().verifying_key(), &mut NullSink).unwrap_err();
    assert!(
        matches!(e.package(), Some(swpkg_core::PackageError::HashMismatch { path, .. }) if path == "share/doc/README")
    );
}

#[test]
fn extract_refuses_non_empty_target_and_accepts_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = build(tmp.path(), "lua.swpkg", 0);
    let vk = key().verifying_key();
    let t = tmp.path().join("busy");
    fs::create_dir(&t).unwrap();
    fs::write(t.join("keep"), b"x").unwrap();
    let e = swpkg_host::extract_package(&pkg, &vk, &t).unwrap_err();
    assert!(matches!(e, swpkg_host::Error::TargetExists { .. }), "{e}");
    assert_eq!(listing(&t), ["keep"]);
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    swpkg_host::extract_package(&pkg, &vk, &empty).unwrap();
    assert!(empty.join("bin/lua").exists());
}
