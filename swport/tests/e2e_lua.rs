//! End to end: package Lua from a clean cache (sysroot built from verified newlib source, Lua
//! fetched from the apt configuration's Debian mirror), check the package verifies and holds
//! static AArch64 programs linked at 0x400000, that building and packaging again gives the same
//! bytes, and that a third packaging reuses the cached build.
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
#[ignore = "slow (builds newlib and Lua from Debian sources); run by `cargo xtask test`"]
fn package_lua_from_a_clean_cache_reproducibly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cache = tempfile::tempdir().unwrap();
    let mut env = PortEnv::with_cache(&root, cache.path());
    env.keys = cache.path().join("keys");
    env.progress = false;
    let (key, _) = port::signing_key(&env, None).unwrap();
    let out1 = cache.path().join("out1");
    let out2 = cache.path().join("out2");
    let out3 = cache.path().join("out3");

    let t = std::time::Instant::now();
    let first = port::package(&env, "lua", &out1, &key).unwrap();
    eprintln!("cold: {:.1}s", t.elapsed().as_secs_f64());
    assert!(!first.cached);
    env.rebuild = true;
    let t = std::time::Instant::now();
    let second = port::package(&env, "lua", &out2, &key).unwrap();
    eprintln!(
        "rebuilt (sysroot cached): {:.1}s",
        t.elapsed().as_secs_f64()
    );
    assert!(!second.cached);
    assert_eq!(
        first.sha256, second.sha256,
        "building and packaging must be reproducible"
    );
    env.rebuild = false;
    let t = std::time::Instant::now();
    let third = port::package(&env, "lua", &out3, &key).unwrap();
    eprintln!("cached build: {:.1}s", t.elapsed().as_secs_f64());
    assert!(third.cached, "an unchanged port is not built again");
    assert_eq!(third.build_hash, first.build_hash);
    assert_eq!(first.sha256, third.sha256);
    assert_eq!(first.path.file_name().unwrap(), "lua-5.4.4.swpkg");

    let pubkey = ed25519_dalek::SigningKey::verifying_key(&key);
    let m = swpkg_host::verify_package(&first.path, &pubkey).unwrap();
    let names: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["bin", "bin/lua", "bin/luac"]);

    let dir = cache.path().join("x");
    swpkg_host::extract_package(&first.path, &pubkey, &dir).unwrap();
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

#[test]
#[ignore = "slow (builds Lua); run by `cargo xtask test`"]
fn repo_fixture_verifies_with_the_catalog_client() {
    use catalog_core::client::{Client, Config};
    use catalog_core::{Compat, Index};
    use catalog_signer::host::{fetch_file, DirStore, DirTufPlatform};
    type Fetch = fn(&str, u64) -> Result<Vec<u8>, catalog_core::FetchError>;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut env = PortEnv::new(&root).unwrap();
    env.progress = false;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("repo");
    let f = swport::fixture::repo_fixture(&env, &["lua".to_string()], &out).unwrap();
    assert_eq!(f.packages[0].0, "packages/lua-5.4.4.swpkg");

    let trusted = tmp.path().join("trusted");
    let root1 = std::fs::read(&f.root_json).unwrap();
    let mut p = DirTufPlatform::new(DirStore::new(&trusted), fetch_file as Fetch);
    Client::init(&mut p, &root1).unwrap();
    let platform = DirTufPlatform::new(DirStore::new(&trusted), fetch_file as Fetch);
    let meta = out.join("metadata");
    let targets = out.join("targets");
    let mut c = Client::new(
        platform,
        Config::new(meta.to_str().unwrap(), targets.to_str().unwrap()),
    )
    .unwrap();
    c.refresh().unwrap();
    let index = Index::from_targets(c.targets().unwrap(), &Compat::swiftos()).unwrap();
    assert_eq!(index.search("lua").len(), 1);
}

#[test]
#[ignore = "needs the sysroot and the Lua source; run by `cargo xtask test`"]
fn a_failing_build_names_the_step_and_the_log() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::os::unix::fs::symlink(real.join("sysroot"), root.join("sysroot")).unwrap();
    let lua = std::fs::read_to_string(real.join("ports/lua/recipe.toml")).unwrap();
    let start = lua.find("[build]").unwrap();
    let end = lua.find("[package]").unwrap();
    let broken = format!(
        "{}[build]\ntemplate = \"script\"\nscript = \"echo compiling; echo 'error: no compiler today' >&2; exit 3\"\n\n{}",
        &lua[..start],
        &lua[end..]
    )
    .replace("name = \"lua\"", "name = \"broken\"");
    std::fs::create_dir_all(root.join("ports/broken")).unwrap();
    std::fs::write(root.join("ports/broken/recipe.toml"), broken).unwrap();
    std::os::unix::fs::symlink(
        real.join("ports/lua/patches"),
        root.join("ports/broken/patches"),
    )
    .unwrap();

    // The user's cache: the real sysroot and the Lua source are (or will be) there.
    let mut env = PortEnv::new(root).unwrap();
    env.progress = false;
    let err = port::build(&env, "broken").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("port broken: step `script` failed"), "{msg}");
    let log = match err {
        port::PortError::Step { log, .. } => log,
        other => panic!("{other}"),
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("error: no compiler today"), "{text}");
    // Nothing half-built went into the cache: only the private build directory (kept for
    // its log) is there.
    let entries: Vec<String> = std::fs::read_dir(env.work_dir("broken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.len() == 1 && entries[0].starts_with(".build-"),
        "{entries:?}"
    );
    assert!(log.starts_with(env.work_dir("broken").join(&entries[0])));
    std::fs::remove_dir_all(env.work_dir("broken")).unwrap();
}
