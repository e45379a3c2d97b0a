//! Shared helpers for the integration tests: staged trees, keys, raw package crafting.
#![allow(dead_code)]

use ed25519_dalek::{Signer, SigningKey};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use swpkg_core::{Entry, EntryKind, Limits, Manifest, Mode, Sha256};
use swpkg_host::build::{scan_tree, write_package, BuildOptions};
use swpkg_host::SourceManifest;

pub fn key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

pub fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub const SOURCE: &str = r#"
name = "lua"
version = "5.4.6"
description = "Lua interpreter"
license = "MIT"
provides = ["lua-interpreter"]
[depends]
zlib = "^1.2"
"#;

/// A small staged tree: dirs, an executable, a text file, a relative symlink, an empty dir and
/// a path too long for ustar name/prefix splitting (so a pax record is exercised).
pub fn stage(dir: &Path) -> PathBuf {
    let root = dir.join("stage");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("share/doc")).unwrap();
    fs::create_dir_all(root.join("share/empty")).unwrap();
    fs::write(root.join("bin/lua"), b"#!lua binary\x00\x01\x02").unwrap();
    fs::set_permissions(root.join("bin/lua"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::write(root.join("share/doc/README"), "Lua docs\n".repeat(1000)).unwrap();
    fs::set_permissions(
        root.join("share/doc/README"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::symlink("lua", root.join("bin/lua5.4")).unwrap();
    let long = "x".repeat(120);
    fs::create_dir_all(root.join("share").join(&long)).unwrap();
    fs::write(
        root.join("share").join(&long).join("y".repeat(110)),
        b"long",
    )
    .unwrap();
    root
}

pub fn manifest_file(dir: &Path) -> PathBuf {
    let p = dir.join("lua.toml");
    fs::write(&p, SOURCE).unwrap();
    p
}

/// Build the standard package into `dir/name` and return its path.
pub fn build(dir: &Path, name: &str, mtime: u64) -> PathBuf {
    let root = stage(dir);
    let m = manifest_file(dir);
    let out = dir.join(name);
    swpkg_host::build_package(&m, &root, &key(), BuildOptions { mtime }, &out).unwrap();
    out
}

/// A manifest for `files` with the standard metadata.
pub fn manifest_for(files: Vec<Entry>) -> Manifest {
    let src: SourceManifest = toml::from_str(SOURCE).unwrap();
    let mut m = src.to_manifest(Path::new("t.toml"), vec![]).unwrap();
    m.files = files;
    m
}

pub fn dir_entry(path: &str) -> Entry {
    Entry {
        kind: EntryKind::Dir,
        link: None,
        mode: Mode::DIR,
        path: path.into(),
        sha256: None,
        size: 0,
    }
}

pub fn file_entry(path: &str, data: &[u8]) -> Entry {
    Entry {
        kind: EntryKind::File,
        link: None,
        mode: Mode::FILE,
        path: path.into(),
        sha256: Some(Sha256::digest(data)),
        size: data.len() as u64,
    }
}

pub fn symlink_entry(path: &str, target: &str) -> Entry {
    Entry {
        kind: EntryKind::Symlink,
        link: Some(target.into()),
        mode: Mode::SYMLINK,
        path: path.into(),
        sha256: None,
        size: 0,
    }
}

/// One raw tar member: header fields written byte-for-byte (no path sanitising).
pub struct Member {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub size: u64,
    pub link: Vec<u8>,
    pub data: Vec<u8>,
}

impl Member {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Member {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            mode: 0o644,
            size: data.len() as u64,
            link: vec![],
            data: data.to_vec(),
        }
    }
    pub fn dir(name: &str) -> Self {
        Member {
            name: format!("{name}/").into_bytes(),
            kind: tar::EntryType::Directory,
            mode: 0o755,
            size: 0,
            link: vec![],
            data: vec![],
        }
    }
    pub fn symlink(name: &str, target: &str) -> Self {
        Member {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Symlink,
            mode: 0o777,
            size: 0,
            link: target.as_bytes().to_vec(),
            data: vec![],
        }
    }
    pub fn from_entry(e: &Entry, data: &[u8]) -> Self {
        match e.kind {
            EntryKind::Dir => Member::dir(&e.path),
            EntryKind::Symlink => Member::symlink(&e.path, e.link.as_deref().unwrap()),
            EntryKind::File => Member {
                mode: e.mode.0,
                ..Member::file(&e.path, data)
            },
        }
    }
}

pub fn raw_header(m: &Member) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    {
        let u = h.as_ustar_mut().unwrap();
        u.name[..m.name.len()].copy_from_slice(&m.name);
        u.linkname[..m.link.len()].copy_from_slice(&m.link);
    }
    h.set_mode(m.mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(m.size);
    h.set_entry_type(m.kind);
    h.set_cksum();
    h
}

/// Uncompressed tar bytes of the members plus the end-of-archive marker.
pub fn tar_bytes(members: &[Member]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        b.append(&raw_header(m), &m.data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

pub fn unzstd(data: &[u8]) -> Vec<u8> {
    zstd::decode_all(data).unwrap()
}

/// Manifest + signature members for `manifest_bytes` signed by `key`.
pub fn head(manifest_bytes: &[u8], key: &SigningKey) -> Vec<Member> {
    let sig = key.sign(manifest_bytes).to_bytes();
    vec![
        Member::file("+MANIFEST", manifest_bytes),
        Member::file("+SIGNATURE", &sig),
    ]
}

/// A complete signed package (compressed) with the given manifest and payload members.
pub fn craft(manifest: &Manifest, payload: Vec<Member>) -> Vec<u8> {
    let mut members = head(&manifest.to_canonical_bytes(), &key());
    members.extend(payload);
    zstd(&tar_bytes(&members))
}

/// Files in `dir` (names), sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Write `pkg` into a fresh directory, run verify and extract; both must fail with the same
/// error, and the directory must afterwards hold only the package file.
pub fn rejected(pkg: &[u8]) -> swpkg_host::Error {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("p.swpkg");
    fs::write(&file, pkg).unwrap();
    let vk = key().verifying_key();
    let e1 = swpkg_host::verify_package(&file, &vk).expect_err("verify accepted a bad package");
    let e2 = swpkg_host::extract_package(&file, &vk, &tmp.path().join("out"))
        .expect_err("extract accepted a bad package");
    assert_eq!(e1.to_string(), e2.to_string());
    assert_eq!(
        listing(tmp.path()),
        vec!["p.swpkg".to_string()],
        "extract left files behind"
    );
    e1
}

/// Default limits, for readability.
pub fn limits() -> Limits {
    Limits::DEFAULT
}

/// Scan helper re-exported for tests.
pub fn scan(root: &Path) -> Vec<swpkg_host::build::Staged> {
    scan_tree(root, &Limits::DEFAULT).unwrap()
}

/// Write a package from a manifest and staged entries (used to vary inputs).
pub fn write(m: &Manifest, staged: &[swpkg_host::build::Staged], out: &Path, mtime: u64) {
    write_package(m, staged, &key(), BuildOptions { mtime }, out).unwrap();
}
