//! End to end: package Lua from a clean cache (sysroot built from verified newlib source, Lua
//! fetched from the apt configuration's Debian mirror), check the package verifies and holds
//! static AArch64 programs linked at 0x400000, and that packaging twice gives the same bytes.
//!
//! Needs the cross compiler and the Debian mirror, and takes a few minutes, so it is ignored by
//! default: `cargo test -p swport --test e2e_lua -- --ignored`.

use std::path::Path;
use swport::port::{self, PortEnv};

fn elf_entry_and_machine(b: &[u8]) -> (u64, u16, u16) {
    assert_eq!(&b[..4], b"\x7fELF");
    assert_eq!(b[4], 2, "ELF64");
    let e_type = u16::from_le_bytes([b[16], b[17]]);
    let machine = u16::from_le_bytes([b[18], b[19]]);
    let entry = u64::from_le_bytes(b[24..32].try_into().unwrap());
    (entry, machine, e_type)
}

#[test]
#[ignore = "slow (builds newlib and Lua) and needs the Debian mirror"]
fn package_lua_from_a_clean_cache_reproducibly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cache = tempfile::tempdir().unwrap();
    let mut env = PortEnv::new(&root);
    env.cache = cache.path().to_owned();
    env.progress = false;
    let (key, _) = port::signing_key(&env, None).unwrap();
    let out1 = cache.path().join("out1");
    let out2 = cache.path().join("out2");

    let t = std::time::Instant::now();
    let first = port::package(&env, "lua", &out1, &key).unwrap();
    eprintln!("cold: {:.1}s", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let second = port::package(&env, "lua", &out2, &key).unwrap();
    eprintln!("cached: {:.1}s", t.elapsed().as_secs_f64());
    assert_eq!(
        first.sha256, second.sha256,
        "packaging must be reproducible"
    );
    assert_eq!(first.path.file_name().unwrap(), "lua-5.4.4.swpkg");

    let pubkey = ed25519_dalek::SigningKey::verifying_key(&key);
    let m = swpkg::verify_package(&first.path, &pubkey).unwrap();
    let names: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["bin", "bin/lua", "bin/luac"]);

    let dir = cache.path().join("x");
    swpkg::extract_package(&first.path, &pubkey, &dir).unwrap();
    for prog in ["bin/lua", "bin/luac"] {
        let b = std::fs::read(dir.join(prog)).unwrap();
        let (entry, machine, e_type) = elf_entry_and_machine(&b);
        assert_eq!(machine, 183, "{prog}: EM_AARCH64");
        assert_eq!(e_type, 2, "{prog}: ET_EXEC (static, not PIE)");
        assert!(entry >= 0x40_0000, "{prog}: entry {entry:#x}");
        assert!(
            !b.windows(11).any(|w| w == b"ld-linux-aa"),
            "{prog}: no dynamic loader"
        );
    }
}
