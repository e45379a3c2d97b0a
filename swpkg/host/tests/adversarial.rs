//! Adversarial fixtures: each asserts the exact error, and (through `rejected`) that
//! verification and extraction agree and extraction left nothing behind.

mod common;

use common::*;
use std::fs;
use swpkg_core::{Limits, NullSink, PackageError};

fn pkg_err(e: swpkg_host::Error) -> PackageError {
    match e {
        swpkg_host::Error::Package(p) => p,
        other => panic!("expected a package error, got: {other}"),
    }
}

/// The standard good package, uncompressed.
fn good_tar() -> (Vec<u8>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = build(tmp.path(), "lua.swpkg", 0);
    (unzstd(&fs::read(pkg).unwrap()), tmp)
}

fn small_manifest() -> (swpkg_core::Manifest, Vec<Member>) {
    let files = vec![dir_entry("bin"), file_entry("bin/lua", b"lua!")];
    let m = manifest_for(files);
    let payload = vec![Member::dir("bin"), Member::file("bin/lua", b"lua!")];
    (m, payload)
}

#[test]
fn crafted_good_package_is_accepted() {
    // Sanity: the crafting helpers make valid packages, so each rejection below is caused by
    // the one defect it introduces.
    let (m, payload) = small_manifest();
    let pkg = craft(&m, payload);
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("p.swpkg");
    fs::write(&f, pkg).unwrap();
    swpkg_host::extract_package(&f, &key().verifying_key(), &tmp.path().join("out")).unwrap();
    assert_eq!(fs::read(tmp.path().join("out/bin/lua")).unwrap(), b"lua!");
}

#[test]
fn tampered_payload_byte() {
    let (mut tar, _t) = good_tar();
    let pos = tar.windows(8).position(|w| w == b"Lua docs").unwrap();
    tar[pos + 3] ^= 0x20;
    let e = rejected(&zstd(&tar));
    let PackageError::HashMismatch {
        path,
        manifest,
        content,
    } = pkg_err(e)
    else {
        panic!()
    };
    assert_eq!(path, "share/doc/README");
    assert_ne!(manifest, content);
    // The message names the file and both hashes.
    let msg = PackageError::HashMismatch {
        path,
        manifest: manifest.clone(),
        content: content.clone(),
    }
    .to_string();
    assert_eq!(
        msg,
        format!("file share/doc/README: sha256 mismatch (manifest {manifest}, content {content})")
    );
}

#[test]
fn tampered_manifest() {
    let (mut tar, _t) = good_tar();
    let pos = tar.windows(5).position(|w| w == b"5.4.6").unwrap();
    tar[pos + 4] = b'7';
    let e = pkg_err(rejected(&zstd(&tar)));
    assert!(matches!(e, PackageError::BadSignature { .. }), "{e}");
}

#[test]
fn wrong_signer_key() {
    let (m, payload) = small_manifest();
    let mut members = head(&m.to_canonical_bytes(), &other_key());
    members.extend(payload);
    let e = pkg_err(rejected(&zstd(&tar_bytes(&members))));
    assert_eq!(
        e,
        PackageError::BadSignature {
            key: swpkg_core::hex::encode(key().verifying_key().as_bytes())
        }
    );
}

#[test]
fn unsigned_package() {
    let (m, payload) = small_manifest();
    let mut members = vec![Member::file("+MANIFEST", &m.to_canonical_bytes())];
    members.extend(payload);
    let e = pkg_err(rejected(&zstd(&tar_bytes(&members))));
    assert_eq!(
        e,
        PackageError::SignatureNotSecond {
            found: "bin".into()
        }
    );
}

#[test]
fn path_traversal_in_manifest() {
    for bad in ["../x", "/etc/x", "bin/../../x"] {
        let m = manifest_for(vec![file_entry(bad, b"x")]);
        let e = pkg_err(rejected(&craft(&m, vec![Member::file(bad, b"x")])));
        assert!(
            matches!(&e, PackageError::InvalidPath { path, .. } if path == bad),
            "{bad}: {e}"
        );
    }
}

#[test]
fn path_traversal_in_archive_only() {
    // Manifest is clean; the archive smuggles an extra `../x` entry.
    let (m, mut payload) = small_manifest();
    payload.insert(0, Member::file("../x", b"evil"));
    let e = pkg_err(rejected(&craft(&m, payload)));
    assert_eq!(
        e,
        PackageError::ExtraEntry {
            found: "../x".into()
        }
    );
}

#[test]
fn escaping_symlink() {
    for target in ["../../etc/passwd", "/etc/passwd", "../x"] {
        let m = manifest_for(vec![dir_entry("lib"), symlink_entry("lib/evil", target)]);
        if target == "../x" {
            // One level up from lib/ is the package root: allowed.
            let pkg = craft(
                &m,
                vec![Member::dir("lib"), Member::symlink("lib/evil", target)],
            );
            let tmp = tempfile::tempdir().unwrap();
            fs::write(tmp.path().join("p"), pkg).unwrap();
            swpkg_host::verify_package(&tmp.path().join("p"), &key().verifying_key()).unwrap();
            continue;
        }
        let pkg = craft(
            &m,
            vec![Member::dir("lib"), Member::symlink("lib/evil", target)],
        );
        let e = pkg_err(rejected(&pkg));
        assert_eq!(
            e,
            PackageError::SymlinkEscapes {
                path: "lib/evil".into(),
                target: target.into()
            }
        );
    }
    // A symlink used as a directory to escape: `s -> .` then `l -> s/..` is refused.
    let m = manifest_for(vec![symlink_entry("l", "s/.."), symlink_entry("s", ".")]);
    let e = pkg_err(rejected(&craft(
        &m,
        vec![Member::symlink("l", "s/.."), Member::symlink("s", ".")],
    )));
    assert!(matches!(e, PackageError::InvalidPath { .. }), "{e}");
    // Writing through a symlink: `lib -> /etc` then `lib/passwd` needs `lib` to be a directory.
    let m = manifest_for(vec![
        symlink_entry("lib", "."),
        file_entry("lib/passwd", b"x"),
    ]);
    let e = pkg_err(rejected(&craft(
        &m,
        vec![
            Member::symlink("lib", "."),
            Member::file("lib/passwd", b"x"),
        ],
    )));
    assert_eq!(
        e,
        PackageError::MissingParent {
            path: "lib/passwd".into()
        }
    );
}

#[test]
fn archive_symlink_target_differs_from_manifest() {
    let m = manifest_for(vec![symlink_entry("s", "ok")]);
    let e = pkg_err(rejected(&craft(
        &m,
        vec![Member::symlink("s", "/etc/shadow")],
    )));
    assert_eq!(
        e,
        PackageError::LinkMismatch {
            path: "s".into(),
            manifest: "ok".into(),
            archive: "/etc/shadow".into()
        }
    );
}

#[test]
fn device_fifo_and_hardlink_entries() {
    for (kind, name) in [
        (tar::EntryType::Char, "character device"),
        (tar::EntryType::Block, "block device"),
        (tar::EntryType::Fifo, "fifo"),
        (tar::EntryType::Link, "hard link"),
        (tar::EntryType::GNULongName, "GNU long name"),
    ] {
        let m = manifest_for(vec![file_entry("dev", b"")]);
        let mut member = Member::file("dev", b"");
        member.kind = kind;
        let e = pkg_err(rejected(&craft(&m, vec![member])));
        assert_eq!(
            e,
            PackageError::ForbiddenEntryType {
                path: "dev".into(),
                kind: name
            }
        );
    }
}

#[test]
fn device_file_in_staged_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let root = stage(tmp.path());
    let st = std::process::Command::new("mkfifo")
        .arg(root.join("bin/pipe"))
        .status();
    if !matches!(st, Ok(s) if s.success()) {
        eprintln!("mkfifo unavailable; skipping");
        return;
    }
    let out = tmp.path().join("x.swpkg");
    let e = swpkg_host::build_package(
        &manifest_file(tmp.path()),
        &root,
        &key(),
        Default::default(),
        &out,
    )
    .unwrap_err();
    assert!(
        matches!(&e, swpkg_host::Error::Staged { reason, .. } if reason.starts_with("fifos cannot")),
        "{e}"
    );
    assert!(!out.exists());
    assert!(!listing(tmp.path()).iter().any(|n| n.contains("tmp")));
}

#[test]
fn duplicate_entries() {
    // In the manifest.
    let m = manifest_for(vec![file_entry("a", b"1"), file_entry("a", b"1")]);
    let e = pkg_err(rejected(&craft(
        &m,
        vec![Member::file("a", b"1"), Member::file("a", b"1")],
    )));
    assert_eq!(e, PackageError::DuplicatePath { path: "a".into() });
    // In the archive only: the second copy arrives where `b` is expected.
    let m = manifest_for(vec![file_entry("a", b"1"), file_entry("b", b"2")]);
    let e = pkg_err(rejected(&craft(
        &m,
        vec![
            Member::file("a", b"1"),
            Member::file("a", b"1"),
            Member::file("b", b"2"),
        ],
    )));
    assert_eq!(
        e,
        PackageError::OutOfOrder {
            expected: "b".into(),
            found: "a".into()
        }
    );
}

#[test]
fn missing_extra_and_reordered_entries() {
    let m = manifest_for(vec![file_entry("a", b"1"), file_entry("b", b"2")]);
    let e = pkg_err(rejected(&craft(&m, vec![Member::file("a", b"1")])));
    assert_eq!(e, PackageError::MissingEntry { path: "b".into() });
    let e = pkg_err(rejected(&craft(
        &m,
        vec![
            Member::file("a", b"1"),
            Member::file("b", b"2"),
            Member::file("c", b"3"),
        ],
    )));
    assert_eq!(e, PackageError::ExtraEntry { found: "c".into() });
    let e = pkg_err(rejected(&craft(
        &m,
        vec![Member::file("b", b"2"), Member::file("a", b"1")],
    )));
    assert_eq!(
        e,
        PackageError::OutOfOrder {
            expected: "a".into(),
            found: "b".into()
        }
    );
    let mut exec = Member::file("a", b"1");
    exec.mode = 0o4755;
    let e = pkg_err(rejected(&craft(&m, vec![exec, Member::file("b", b"2")])));
    assert_eq!(
        e,
        PackageError::ModeMismatch {
            path: "a".into(),
            manifest: 0o644,
            archive: 0o4755
        }
    );
}

#[test]
fn oversized_entry_count() {
    // The builder refuses a tree over the limit ...
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("many");
    fs::create_dir(&root).unwrap();
    for i in 0..20 {
        fs::write(root.join(format!("f{i:02}")), b"x").unwrap();
    }
    let small = Limits {
        max_entries: 10,
        ..Limits::DEFAULT
    };
    let e = swpkg_host::build::scan_tree(&root, &small).unwrap_err();
    assert!(
        matches!(
            e.package(),
            Some(PackageError::TooManyEntries {
                count: 11,
                limit: 10
            })
        ),
        "{e}"
    );
    // ... and the reader refuses a manifest over it before reading any payload.
    let files: Vec<_> = (0..20)
        .map(|i| file_entry(&format!("f{i:02}"), b"x"))
        .collect();
    let m = manifest_for(files);
    let pkg = unzstd(&craft(&m, vec![]));
    let e = swpkg_core::verify_stream_with_limits(
        &pkg[..],
        &key().verifying_key(),
        &small,
        &mut NullSink,
    )
    .unwrap_err();
    assert!(matches!(
        e.package(),
        Some(PackageError::TooManyEntries {
            count: 20,
            limit: 10
        })
    ));
    // With default limits: 100 001 entries make a manifest over the 8 MiB manifest limit,
    // refused from the tar header before it is read.
    let files: Vec<_> = (0..100_001)
        .map(|i| file_entry(&format!("f{i:06}"), b"x"))
        .collect();
    let m = manifest_for(files);
    let e = pkg_err(rejected(&craft(&m, vec![])));
    assert!(
        matches!(e, PackageError::ManifestTooLarge { limit: 8388608, .. }),
        "{e}"
    );
}

/// Counts the decompressed bytes the verifier pulls.
struct Counting<'a> {
    inner: &'a [u8],
    pulled: u64,
}

impl swpkg_core::Read for Counting<'_> {
    type Error = std::convert::Infallible;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = swpkg_core::Read::read(&mut self.inner, buf)?;
        self.pulled += n as u64;
        Ok(n)
    }
}

#[test]
fn zip_bomb_declared_small_decompresses_huge() {
    // Manifest says 4 bytes; the tar header says 1 GiB of zeros (compresses to a few KiB).
    let m = manifest_for(vec![file_entry("bomb", b"tiny")]);
    let mut head_tar = tar_bytes(&head(&m.to_canonical_bytes(), &key()));
    head_tar.truncate(head_tar.len() - 1024); // drop end marker
    let mut h = raw_header(&Member::file("bomb", b""));
    h.set_size(1 << 30);
    h.set_cksum();
    let mut enc = zstd::Encoder::new(Vec::new(), 1).unwrap();
    use std::io::Write;
    enc.write_all(&head_tar).unwrap();
    enc.write_all(h.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        enc.write_all(&zeros).unwrap();
    }
    enc.write_all(&[0u8; 1024]).unwrap();
    let pkg = enc.finish().unwrap();
    assert!(
        pkg.len() < 200_000,
        "bomb is {} bytes compressed",
        pkg.len()
    );
    let e = pkg_err(rejected(&pkg));
    assert_eq!(
        e,
        PackageError::SizeMismatch {
            path: "bomb".into(),
            manifest: 4,
            archive: 1 << 30
        }
    );

    // Endless zero padding after the end marker is cut off at the trailing limit.
    let (m, payload) = small_manifest();
    let mut members = head(&m.to_canonical_bytes(), &key());
    members.extend(payload);
    let mut t = tar_bytes(&members);
    t.resize(t.len() + (64 << 20), 0);
    let mut c = Counting {
        inner: &t,
        pulled: 0,
    };
    let e = swpkg_core::verify_stream(&mut c, &key().verifying_key(), &mut NullSink).unwrap_err();
    assert!(matches!(
        e.package(),
        Some(PackageError::TrailingData { .. })
    ));
    assert!(c.pulled < 200_000, "pulled {} bytes", c.pulled);
    let e = pkg_err(rejected(&zstd(&t)));
    assert!(matches!(e, PackageError::TrailingData { .. }));

    // A manifest declaring more than the limits is refused before any payload is read.
    let mut big = file_entry("big", b"");
    big.size = (1 << 30) + 1;
    let e = pkg_err(rejected(&craft(&manifest_for(vec![big]), vec![])));
    assert!(
        matches!(
            e,
            PackageError::FileTooLarge {
                limit: 1073741824,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn truncated_file() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = fs::read(build(tmp.path(), "lua.swpkg", 0)).unwrap();
    for cut in [
        0,
        1,
        4,
        20,
        pkg.len() / 3,
        pkg.len() / 2,
        pkg.len() - 10,
        pkg.len() - 1,
    ] {
        let e = rejected(&pkg[..cut]);
        assert!(
            matches!(
                e,
                swpkg_host::Error::Decompress(_)
                    | swpkg_host::Error::Package(PackageError::Truncated { .. })
            ),
            "cut at {cut}: {e}"
        );
    }
    // Truncated inside the uncompressed tar (then validly compressed).
    let tar = unzstd(&pkg);
    for cut in [
        100,
        512,
        1500,
        tar.len() / 2,
        tar.len() - 1024,
        tar.len() - 600,
    ] {
        let e = pkg_err(rejected(&zstd(&tar[..cut])));
        assert!(
            matches!(e, PackageError::Truncated { .. }),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn garbage_bytes() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut garbage = vec![0u8; 4096];
    for b in garbage.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let e = rejected(&garbage);
    assert!(matches!(e, swpkg_host::Error::Decompress(_)), "{e}");
    // Validly compressed garbage: the tar reader refuses it.
    let e = pkg_err(rejected(&zstd(&garbage)));
    assert!(
        matches!(e, PackageError::BadHeader { offset: 0, .. }),
        "{e}"
    );
    // A plain tar that is not a package.
    let e = pkg_err(rejected(&zstd(&tar_bytes(&[Member::file(
        "README", b"hi",
    )]))));
    assert_eq!(
        e,
        PackageError::ManifestNotFirst {
            found: "README".into()
        }
    );
    // Random bit flips of a good package never panic, and are accepted only where a byte
    // is not covered by the format: zero padding, or unsigned header fields (mtime, owner names,
    // device numbers, the header tail).
    let (tar, _t) = good_tar();
    let headers: Vec<usize> = tar::Archive::new(&tar[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().raw_header_position() as usize)
        .collect();
    let vk = key().verifying_key();
    let mut rejected_flips = 0;
    for i in 0..400 {
        let mut t = tar.clone();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pos = (x as usize) % t.len();
        let old = t[pos];
        t[pos] ^= 1 << (i % 8);
        match swpkg_core::verify_stream(&t[..], &vk, &mut NullSink) {
            Err(_) => rejected_flips += 1,
            Ok(_) => {
                let field = pos % 512;
                let in_header = headers.contains(&(pos - field));
                let unsigned_field = in_header
                    && ((136..148).contains(&field) || (265..345).contains(&field) || field >= 500);
                assert!(
                    old == 0 || unsigned_field,
                    "flip at {pos} (old {old:#x}) accepted"
                );
            }
        }
    }
    assert!(rejected_flips > 50, "only {rejected_flips} flips rejected");
}

#[test]
fn data_after_the_zstd_frame() {
    let (m, payload) = small_manifest();
    let mut pkg = craft(&m, payload);
    let good_len = pkg.len();
    pkg.extend_from_slice(&zstd(b"a second frame"));
    let e = rejected(&pkg);
    assert!(
        e.to_string()
            .contains("data after the end of the zstd frame"),
        "{e}"
    );
    pkg.truncate(good_len);
    pkg.extend_from_slice(b"junk");
    let e = rejected(&pkg);
    assert!(
        e.to_string()
            .contains("data after the end of the zstd frame"),
        "{e}"
    );
    // The pure-Rust reader leaves the source just after the frame, so the caller can check.
    let mut z = swpkg_core::zstd::ZstdReader::new(&pkg[..]).unwrap();
    swpkg_core::verify_stream(&mut z, &key().verifying_key(), &mut NullSink).unwrap();
    assert_eq!(z.into_inner(), b"junk");
}

#[test]
fn non_canonical_and_unknown_format_manifest() {
    let (m, payload) = small_manifest();
    let mut bytes = m.to_canonical_bytes();
    bytes.push(b'\n');
    let mut members = head(&bytes, &key());
    members.extend(payload);
    let e = pkg_err(rejected(&zstd(&tar_bytes(&members))));
    assert_eq!(e, PackageError::NonCanonicalManifest);
    let (mut m, payload) = small_manifest();
    m.abi = 999;
    let e = pkg_err(rejected(&craft(&m, payload)));
    assert_eq!(
        e,
        PackageError::AbiMismatch {
            package: 999,
            system: swpkg_core::ABI_VERSION
        }
    );
}

#[test]
fn builder_refuses_what_readers_would_refuse() {
    for (name, make) in [
        (
            "abs",
            Box::new(|r: &std::path::Path| {
                std::os::unix::fs::symlink("/etc/passwd", r.join("bin/evil")).unwrap()
            }) as Box<dyn Fn(&std::path::Path)>,
        ),
        (
            "up",
            Box::new(|r: &std::path::Path| {
                std::os::unix::fs::symlink("../../x", r.join("bin/evil")).unwrap()
            }),
        ),
        (
            "reserved",
            Box::new(|r: &std::path::Path| fs::write(r.join("+MANIFEST"), b"x").unwrap()),
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = stage(tmp.path());
        make(&root);
        let out = tmp.path().join("x.swpkg");
        let e = swpkg_host::build_package(
            &manifest_file(tmp.path()),
            &root,
            &key(),
            Default::default(),
            &out,
        )
        .unwrap_err();
        match name {
            "reserved" => assert!(
                matches!(e.package(), Some(PackageError::InvalidPath { path, reason: "reserved name" }) if path == "+MANIFEST"),
                "{e}"
            ),
            _ => assert!(
                matches!(e.package(), Some(PackageError::SymlinkEscapes { path, .. }) if path == "bin/evil"),
                "{name}: {e}"
            ),
        }
        assert!(!out.exists());
        assert_eq!(listing(tmp.path()), ["lua.toml", "stage"]);
    }
}

#[test]
fn any_of_several_keys() {
    let (m, payload) = small_manifest();
    let tar = unzstd(&craft(&m, payload));
    let good = key().verifying_key();
    let other = other_key().verifying_key();
    let l = Limits::DEFAULT;
    swpkg_core::verify_stream_with_keys(&tar[..], &[other, good], &l, &mut NullSink).unwrap();
    let e = swpkg_core::verify_stream_with_keys(&tar[..], &[other], &l, &mut NullSink).unwrap_err();
    assert!(matches!(
        e.package(),
        Some(PackageError::BadSignature { .. })
    ));
    let e = swpkg_core::verify_stream_with_keys(&tar[..], &[], &l, &mut NullSink).unwrap_err();
    assert!(matches!(
        e.package(),
        Some(PackageError::BadSignature { .. })
    ));
}
