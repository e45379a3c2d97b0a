//! C programs built with the newlib sysroot, run inside SwiftOS under QEMU: the sysroot's hello,
//! file-I/O, network and POSIX-conformance (`sysroot/tests/posix.c`) programs, and Lua (built from its recipe) with `lua -v`, a one-line
//! expression and `ports/lua/tests/smoke.lua`.
//!
//! Needs `cargo xtask build` first (kernel + `build/bin`), the cross compiler and the Debian
//! mirror (first run), so it is ignored by default:
//! `cargo test -p swport --test qemu_c_programs -- --ignored`. The kernel is taken from
//! `$SWIFTOS_KERNEL` if set, else from the harness's usual place.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use swiftos_image::{AddSpec, BuildOptions};
use swiftos_tests::{Guest, QemuConfig};
use swport::port::{self, PortEnv};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn add(src: &Path, dest: &str) -> AddSpec {
    AddSpec {
        src: src.to_owned(),
        dest: dest.into(),
        mode: None,
    }
}

#[test]
#[ignore = "needs the built image, QEMU and the cross toolchain; run by `cargo xtask test`"]
fn c_programs_and_lua_run_in_swiftos() {
    let root = root();
    let mut env = PortEnv::new(&root).unwrap();
    env.progress = false;
    let sysroot = env.sysroot(&mut |m| eprintln!("sysroot: {m}")).unwrap();
    let work = tempfile::tempdir().unwrap();
    let cbin = work.path().join("cbin");
    std::fs::create_dir_all(&cbin).unwrap();
    for prog in ["hello", "fileio", "net", "posix"] {
        let st = Command::new(sysroot.cc())
            .args(["-O2", "-Wall", "-o"])
            .arg(cbin.join(prog))
            .arg(root.join(format!("sysroot/tests/{prog}.c")))
            .status()
            .unwrap();
        assert!(st.success(), "compiling {prog}.c");
    }
    let pkgroot = port::build(&env, "lua").unwrap().pkgroot;
    for prog in ["lua", "luac"] {
        std::fs::copy(pkgroot.join("bin").join(prog), cbin.join(prog)).unwrap();
    }

    let image = work.path().join("c-programs.img");
    let opts = BuildOptions {
        base: Some(root.join("os/base")),
        bins: vec![root.join("build/bin"), cbin.clone()],
        adds: vec![add(
            &root.join("ports/lua/tests/smoke.lua"),
            "/share/lua/smoke.lua",
        )],
        strip: true,
        ..Default::default()
    };
    swiftos_image::build_to_file(&opts, &image).unwrap();

    let mut cfg = QemuConfig {
        base_image: Some(image),
        ..Default::default()
    };
    if let Some(k) = std::env::var_os("SWIFTOS_KERNEL") {
        cfg.kernel = PathBuf::from(k);
    }
    let mut g = Guest::boot("swport-c-programs", &cfg).unwrap();
    g.login("user", "user").unwrap();
    let t = Duration::from_secs(120);

    let out = g.run_within("hello a b", t).unwrap();
    assert!(
        out.contains("hello from SwiftOS C, argc=3 argv0="),
        "{out}\nlog: {}",
        g.log_path().display()
    );
    let out = g.run_within("fileio", t).unwrap();
    assert!(out.contains("fileio: ok"), "{out}");
    let out = g.run_within("net", t).unwrap();
    assert!(out.contains("net: ok"), "{out}");
    let out = g.run_within("posix", t).unwrap();
    assert!(!out.contains("FAIL"), "{out}");
    assert!(out.contains("posix: 66 checks, 0 failed"), "{out}");
    let out = g.run_within("lua -v", t).unwrap();
    assert!(
        out.contains("Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio"),
        "{out}"
    );
    let out = g
        .run_within("lua -e \"print(string.format('%d %.2f', 6*7, 1/3))\"", t)
        .unwrap();
    assert!(out.contains("42 0.33"), "{out}");
    // newlib's C99 formats: Lua's "%a" goes straight to the C library's printf.
    let out = g
        .run_within("lua -e \"print(string.format('%a', math.pi))\"", t)
        .unwrap();
    assert!(out.contains("0x1.921fb54442d18p+1"), "{out}");
    let out = g.run_within("lua /share/lua/smoke.lua", t).unwrap();
    assert!(out.contains("lua smoke: ok"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    let out = g.run_within("luac -v", t).unwrap();
    assert!(out.contains("Lua 5.4.4"), "{out}");
}
