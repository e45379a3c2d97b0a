//! `swiftos-image store ...`: build from a tree, list, check, damage detection.

use std::os::unix::fs::PermissionsExt;
use swiftos_image::store::{build, check, create, list, parse_size, StoreError};

#[test]
fn sizes() {
    assert_eq!(parse_size("64M").unwrap(), 64 << 20);
    assert_eq!(parse_size("1G").unwrap(), 1 << 30);
    assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
    for bad in ["", "M", "12345", "1K", "-1M", "99999999999999999G"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}

#[test]
fn build_list_check_and_detect_damage() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("pkg");
    std::fs::create_dir_all(src.join("store/lua-5.4.4/root/bin")).unwrap();
    let lua = src.join("store/lua-5.4.4/root/bin/lua");
    let payload: Vec<u8> = (0..20_000u64)
        .map(|i| ((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect();
    std::fs::write(&lua, &payload).unwrap();
    std::fs::set_permissions(&lua, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(src.join("current"), b"1\n").unwrap();
    let img = dir.path().join("store.img");
    let s = build(&src, &img, 8 << 20).unwrap();
    assert_eq!((s.files, s.dirs, s.size), (2, 4, 8 << 20));
    let text = list(&img).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("-0755")
            && l.contains(" 20000 ")
            && l.ends_with(" /store/lua-5.4.4/root/bin/lua")),
        "{text}"
    );
    assert!(check(&img).is_ok());

    // Damage one byte of the payload: check names the file and the block.
    let mut bytes = std::fs::read(&img).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w == &payload[4096..4160])
        .unwrap();
    bytes[at + 5] ^= 0x80;
    std::fs::write(&img, &bytes).unwrap();
    match check(&img) {
        Err(StoreError::Damaged(m)) => {
            assert!(
                m.contains("/store/lua-5.4.4/root/bin/lua: data block 1"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }

    // Symlinks are refused with the path.
    std::os::unix::fs::symlink("current", src.join("link")).unwrap();
    let e = build(&src, &dir.path().join("x.img"), 8 << 20).unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(!dir.path().join("x.img").exists());
}

#[test]
fn blank_store_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("b.img");
    let s = create(&img, 64 << 20).unwrap();
    assert_eq!((s.seq, s.files, s.dirs), (1, 0, 0));
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 64 << 20);
    assert!(check(&img).is_ok());
}
