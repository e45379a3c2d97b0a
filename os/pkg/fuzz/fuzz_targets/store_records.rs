//! Fuzz every store record the client reads (`current`, generation files, `repo.json`, cached
//! TUF metadata) through the real commands on the in-memory platform: no command may panic,
//! and a failed `remove` must leave the tree unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_pkg_core::mem::MemPlatform;
use swiftos_pkg_core::Pkg;

const FILES: [&str; 8] = [
    "/pkg/current",
    "/pkg/generations/1.json",
    "/pkg/generations/2.json",
    "/pkg/etc/repo.json",
    "/pkg/etc/metadata/root.json",
    "/pkg/etc/metadata/timestamp.json",
    "/pkg/etc/metadata/snapshot.json",
    "/pkg/etc/metadata/targets.json",
];

fuzz_target!(|data: &[u8]| {
    let mut p = MemPlatform::new();
    p.now = 1_764_000_000;
    // Records are separated by 0xff bytes (never valid inside UTF-8 JSON).
    for (path, bytes) in FILES.iter().zip(data.split(|&b| b == 0xff)) {
        p.put(path, bytes);
    }
    let mut pkg = Pkg::new(p);
    let _ = pkg.list();
    let _ = pkg.generations();
    let _ = pkg.files("a");
    let _ = pkg.info("a");
    let _ = pkg.search("a");
    let before = pkg.p.tree.borrow().clone();
    if pkg.remove(&["a".into()], false).is_err() {
        assert_eq!(*pkg.p.tree.borrow(), before);
    }
    let _ = pkg.install(&["a".into()]);
    let _ = pkg.upgrade();
    let _ = pkg.rollback();
});
