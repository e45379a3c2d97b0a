//! Library and CLI tests of `swiftos-image`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use swiftos_image::{
    build, build_to_file, list, mode_string, verify, AddSpec, BuildOptions, DirSpec,
};

fn write(p: &Path, data: &[u8], mode: u32) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An AArch64 ELF header stub (e_machine = 183).
fn arm_elf(tag: u8) -> Vec<u8> {
    let mut v = vec![0u8; 64];
    v[..4].copy_from_slice(b"\x7fELF");
    v[18] = 183;
    v[63] = tag;
    v
}

fn tree(dir: &Path) -> BuildOptions {
    let base = dir.join("base");
    write(&base.join("etc/passwd"), b"root:0\n", 0o644);
    write(&base.join("etc/shadow"), b"root:hash\n", 0o644);
    write(&base.join("www/index.html"), b"<h1>hi</h1>", 0o644);
    write(&base.join("empty/.gitkeep"), b"", 0o644);
    write(
        &base.join(".image-attrs"),
        b"# overrides\n/etc/shadow 0600 0 0\n/www 0755 33 33\n",
        0o644,
    );
    let bin = dir.join("bin");
    write(&bin.join("sh"), &arm_elf(1), 0o755);
    write(&bin.join("ls"), &arm_elf(2), 0o700);
    write(&bin.join("sh.d"), b"deps", 0o644);
    write(&bin.join("swiftos-kernel"), &arm_elf(3), 0o755);
    std::fs::create_dir_all(bin.join("subdir")).unwrap();
    BuildOptions {
        base: Some(base),
        bins: vec![bin],
        exclude: vec!["swiftos-kernel".into()],
        adds: vec![],
        mkdirs: vec![],
        mtime: Some(1_234),
        strip: false,
    }
}

#[test]
fn builds_the_expected_tree() {
    let d = tempfile::tempdir().unwrap();
    let opts = tree(d.path());
    let out = d.path().join("out/base.img");
    let s = build_to_file(&opts, &out).unwrap();
    assert_eq!(s.image_bytes % 512, 0);
    assert_eq!(s.image_bytes, std::fs::metadata(&out).unwrap().len());
    let entries = list(&out).unwrap();
    let lines: Vec<(String, String, u32)> = entries
        .iter()
        .map(|e| (e.path.clone(), mode_string(e.mode), e.uid))
        .collect();
    let expect = [
        ("/", "drwxr-xr-x", 0),
        ("/bin", "drwxr-xr-x", 0),
        ("/bin/ls", "-rwxr-xr-x", 0),
        ("/bin/sh", "-rwxr-xr-x", 0),
        ("/dev", "drwxr-xr-x", 0),
        ("/empty", "drwxr-xr-x", 0),
        ("/etc", "drwxr-xr-x", 0),
        ("/etc/passwd", "-rw-r--r--", 0),
        ("/etc/shadow", "-rw-------", 0),
        ("/tmp", "drwxrwxrwt", 0),
        ("/www", "drwxr-xr-x", 33),
        ("/www/index.html", "-rw-r--r--", 0),
    ];
    let expect: Vec<(String, String, u32)> = expect
        .iter()
        .map(|(p, m, u)| (p.to_string(), m.to_string(), *u))
        .collect();
    assert_eq!(lines, expect);
    let v = verify(&out).unwrap();
    assert_eq!(v.files_checked, 5);
    assert!(!d.path().join("out/base.img.tmp").exists());
}

#[test]
fn builds_are_reproducible() {
    let d = tempfile::tempdir().unwrap();
    let opts = tree(d.path());
    let a = build(&opts).unwrap();
    let b = build(&opts).unwrap();
    assert_eq!(a, b);
    let mut later = opts.clone();
    later.mtime = Some(99);
    assert_ne!(build(&later).unwrap(), a);
}

#[test]
fn adds_mkdirs_and_errors() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = tree(d.path());
    let extra = d.path().join("extra.txt");
    write(&extra, b"x", 0o644);
    let models = d.path().join("models");
    write(&models.join("m1/model.bin"), b"weights", 0o644);
    opts.adds = vec![
        format!("{}:/etc/extra:0640", extra.display())
            .parse()
            .unwrap(),
        format!("{}:/models", models.display()).parse().unwrap(),
    ];
    opts.mkdirs = vec!["/pkg:0700".parse().unwrap()];
    let out = d.path().join("x.img");
    build_to_file(&opts, &out).unwrap();
    let entries = list(&out).unwrap();
    let find = |p: &str| entries.iter().find(|e| e.path == p).unwrap().mode & 0o7777;
    assert_eq!(find("/etc/extra"), 0o640);
    assert_eq!(find("/models/m1/model.bin"), 0o644);
    assert_eq!(find("/pkg"), 0o700);

    // Adding an existing path twice.
    let mut dup = tree(d.path());
    dup.adds = vec![format!("{}:/etc/passwd", extra.display()).parse().unwrap()];
    assert!(build(&dup).unwrap_err().to_string().contains("added twice"));
    // A host binary in a --bin directory.
    let mut wrong = tree(d.path());
    let hb = d.path().join("hostbin");
    let mut x86 = arm_elf(0);
    x86[18] = 62;
    write(&hb.join("tool"), &x86, 0o755);
    wrong.bins.push(hb);
    let e = build(&wrong).unwrap_err().to_string();
    assert!(e.contains("not an AArch64 ELF"), "{e}");
    // A bad .image-attrs line names file and line.
    let bad = tree(d.path());
    write(
        &d.path().join("base/.image-attrs"),
        b"/etc/nope 0644\n",
        0o644,
    );
    let e = build(&bad).unwrap_err().to_string();
    assert!(
        e.contains(".image-attrs:1") && e.contains("no such path"),
        "{e}"
    );
    write(
        &d.path().join("base/.image-attrs"),
        b"/etc/passwd rw\n",
        0o644,
    );
    assert!(build(&bad).unwrap_err().to_string().contains("octal"));
    // Spec parsing.
    assert!("nocolon".parse::<AddSpec>().is_err());
    assert!("a:relative".parse::<AddSpec>().is_err());
    assert!("a:/x:999".parse::<AddSpec>().is_err());
    assert!("rel".parse::<DirSpec>().is_err());
    assert_eq!("/d".parse::<DirSpec>().unwrap().mode, 0o755);
}

#[test]
fn verify_reports_corruption() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x.img");
    build_to_file(&tree(d.path()), &out).unwrap();
    let mut bytes = std::fs::read(&out).unwrap();
    let last_data = bytes.len() - 512;
    bytes[last_data] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    let e = verify(&out).unwrap_err().to_string();
    assert!(e.contains("corrupt data of inode"), "{e}");
    bytes[100] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    assert!(list(&out).unwrap_err().to_string().contains("checksum"));
    std::fs::write(&out, &bytes[..300]).unwrap();
    assert!(list(&out).unwrap_err().to_string().contains("truncated"));
}

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_swiftos-image"));
    c.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}

#[test]
fn cli_round_trip_and_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let opts = tree(d.path());
    let out = d.path().join("cli.img");
    let o = cli()
        .arg("build")
        .arg("--base")
        .arg(opts.base.as_ref().unwrap())
        .arg("--bin")
        .arg(&opts.bins[0])
        .args(["--exclude", "swiftos-kernel", "--mtime", "1234", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("12 entries"));
    // Same bytes as the library build.
    assert_eq!(std::fs::read(&out).unwrap(), build(&opts).unwrap());
    let o = cli().arg("list").arg(&out).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("-rw-------     0     0 10 /etc/shadow"),
        "{text}"
    );
    let o = cli().arg("verify").arg(&out).output().unwrap();
    assert!(o.status.success());
    std::fs::write(&out, b"garbage").unwrap();
    let o = cli().arg("verify").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated"));
    let o = cli().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("Examples:"));
    let o = cli().arg("build").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// A minimal ELF64 LE executable: header, two program headers, a "segment" and trailing junk
/// standing in for debug sections and the section header table.
fn elf_with_debug() -> Vec<u8> {
    let mut v = vec![0u8; 4096];
    v[..4].copy_from_slice(b"\x7fELF");
    v[4] = 2; // ELFCLASS64
    v[5] = 1; // little endian
    v[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    v[18..20].copy_from_slice(&183u16.to_le_bytes());
    v[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    v[40..48].copy_from_slice(&3000u64.to_le_bytes()); // e_shoff
    v[54..56].copy_from_slice(&56u16.to_le_bytes());
    v[56..58].copy_from_slice(&2u16.to_le_bytes());
    v[60..62].copy_from_slice(&5u16.to_le_bytes()); // e_shnum
    v[62..64].copy_from_slice(&4u16.to_le_bytes()); // e_shstrndx
                                                    // PT_LOAD at 512, 1000 bytes; PT_GNU_STACK with no file bytes.
    let ph = 64;
    v[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    v[ph + 8..ph + 16].copy_from_slice(&512u64.to_le_bytes());
    v[ph + 32..ph + 40].copy_from_slice(&1000u64.to_le_bytes());
    let ph2 = ph + 56;
    v[ph2..ph2 + 4].copy_from_slice(&0x6474_e551u32.to_le_bytes());
    for (i, b) in v[512..1512].iter_mut().enumerate() {
        *b = i as u8;
    }
    v[1512..].fill(0xdb);
    v
}

#[test]
fn strip_elf_keeps_loadable_bytes_only() {
    let elf = elf_with_debug();
    let s = swiftos_image::strip_elf(&elf).unwrap();
    assert_eq!(s.len(), 1512);
    assert_eq!(&s[..40], &elf[..40]);
    assert_eq!(&s[40..48], &[0; 8]); // e_shoff
    assert_eq!(&s[60..64], &[0; 4]); // e_shnum, e_shstrndx
    assert_eq!(&s[64..1512], &elf[64..1512]);
    // Stripping is idempotent.
    assert_eq!(swiftos_image::strip_elf(&s).unwrap(), s);
    // Anything unusual is left alone.
    assert!(swiftos_image::strip_elf(b"\x7fELF").is_none());
    assert!(swiftos_image::strip_elf(b"#!/bin/sh\n").is_none());
    let mut dynamic = elf.clone();
    dynamic[16] = 3; // ET_DYN
    assert!(swiftos_image::strip_elf(&dynamic).is_none());
    let mut past_end = elf.clone();
    past_end[64 + 32..64 + 40].copy_from_slice(&10_000u64.to_le_bytes());
    assert!(swiftos_image::strip_elf(&past_end).is_none());
    let mut many = elf.clone();
    many[56..58].copy_from_slice(&1000u16.to_le_bytes());
    assert!(swiftos_image::strip_elf(&many).is_none());
    // Truncations never panic.
    for n in 0..elf.len() {
        let _ = swiftos_image::strip_elf(&elf[..n]);
    }
}

#[test]
fn strip_option_applies_to_bin_elfs_only() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = tree(d.path());
    write(&opts.bins[0].join("prog"), &elf_with_debug(), 0o755);
    write(
        &opts.base.as_ref().unwrap().join("etc/elf"),
        &elf_with_debug(),
        0o755,
    );
    let out = d.path().join("s.img");
    opts.strip = true;
    build_to_file(&opts, &out).unwrap();
    let entries = list(&out).unwrap();
    let size = |p: &str| entries.iter().find(|e| e.path == p).unwrap().size;
    assert_eq!(size("/bin/prog"), 1512);
    assert_eq!(size("/etc/elf"), 4096);
    assert_eq!(size("/bin/sh"), 64); // the stub has no program headers: left alone
}
