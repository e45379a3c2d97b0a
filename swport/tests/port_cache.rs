//! Port builds are cached by content hash in the per-user cache: an unchanged port is not built
//! again (by the library, by threads racing, by the `swport` command), and editing any file of
//! the port's folder gives a new hash and a new build.
//!
//! Hermetic and quick: a tiny port (a script build of a local tarball with one patch), a fake
//! cross compiler on PATH (the sysroot's input hash asks it for its version) and a fake sysroot
//! already in the cache under that hash. One test function, because it sets PATH for the
//! process.

use std::path::{Path, PathBuf};
use std::process::Command;
use swport::port::{self, PortEnv};

const RECIPE: &str = r#"
name = "hello"
version = "1.0.0"
license = "MIT"
summary = "a tiny port for the build cache tests"

[source]
url = "https://example.invalid/hello-1.0.tar.gz"
sha256 = "@SHA@"
patches = ["patches/greeting.patch"]

[build]
template = "script"
script = "echo built >> '@COUNTER@'; mkdir -p $STAGE/share; cp hello.txt $STAGE/share/hello.txt"

[package]
files = ["share/hello.txt"]
strip = false
"#;

const PATCH: &str = "--- a/hello.txt\n+++ b/hello.txt\n@@ -1 +1 @@\n-hello\n+hello, patched\n";

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    counter: PathBuf,
    path_var: String,
}

impl World {
    fn env(&self) -> PortEnv {
        let mut env = PortEnv::with_cache(&self.root, &self.cache);
        env.progress = false;
        env
    }

    fn builds(&self) -> usize {
        std::fs::read_to_string(&self.counter)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// `swport recipe package hello` with the cache in `$XDG_CACHE_HOME`; returns its stderr.
    fn swport_package(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_swport"))
            .args(["--root"])
            .arg(&self.root)
            .args(["recipe", "package", "hello", "--out"])
            .arg(self.root.join("out"))
            .env("PATH", &self.path_var)
            .env("XDG_CACHE_HOME", self.cache.parent().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    }
}

fn write_exec(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The source tarball, put in the fetcher's cache; returns its sha256.
fn source_tarball(tmp: &Path, cache: &Path) -> String {
    let src = tmp.join("src/hello-1.0");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hello.txt"), "hello\n").unwrap();
    let tarball = tmp.join("hello-1.0.tar.gz");
    let st = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(tmp.join("src"))
        .arg("hello-1.0")
        .status()
        .unwrap();
    assert!(st.success());
    let sha = swport::fetch::sha256_file(&tarball).unwrap();
    let dest = cache.join("sources").join(&sha);
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::copy(&tarball, dest.join("hello-1.0.tar.gz")).unwrap();
    sha
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().to_owned();
    // A fake cross compiler: the sysroot's input hash only asks for versions.
    let bin = t.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["gcc", "ld"] {
        let script = format!("#!/bin/sh\necho fake-{tool} 1.0\n");
        write_exec(&bin.join(format!("aarch64-linux-gnu-{tool}")), &script);
    }
    let path_var = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", &path_var);

    let root = t.join("root");
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(root.join("ports/hello/patches")).unwrap();
    std::os::unix::fs::symlink(real.join("sysroot"), root.join("sysroot")).unwrap();
    let cache = t.join("xdg/swiftos");
    let counter = t.join("builds.txt");
    let sha = source_tarball(&t, &cache);
    let recipe = RECIPE
        .replace("@SHA@", &sha)
        .replace("@COUNTER@", &counter.display().to_string());
    std::fs::write(root.join("ports/hello/recipe.toml"), recipe).unwrap();
    std::fs::write(root.join("ports/hello/patches/greeting.patch"), PATCH).unwrap();

    let w = World {
        _tmp: tmp,
        root,
        cache,
        counter,
        path_var,
    };
    // The fake sysroot, complete under the hash of its inputs.
    let hash = swport::sysroot::input_hash(&w.env().sysroot_config()).unwrap();
    let sysroot = w.cache.join("sysroot").join(hash);
    std::fs::create_dir_all(&sysroot).unwrap();
    std::fs::write(sysroot.join("swiftos-sysroot.json"), "{}").unwrap();
    w
}

fn a_second_build_of_an_unchanged_port_reuses_the_cache(w: &World) -> String {
    let env = w.env();
    let first = port::build(&env, "hello").unwrap();
    assert!(!first.cached);
    assert_eq!(w.builds(), 1);
    assert_eq!(first.dir, w.cache.join("ports/hello").join(&first.hash));
    let text = std::fs::read_to_string(first.pkgroot.join("share/hello.txt")).unwrap();
    assert_eq!(text, "hello, patched\n");
    assert!(std::fs::read_to_string(&first.log)
        .unwrap()
        .contains("==> script"));

    let second = port::build(&env, "hello").unwrap();
    assert!(second.cached, "the second build must come from the cache");
    assert_eq!(w.builds(), 1, "no build step may run for a cached build");
    assert_eq!(
        (second.hash.as_str(), &second.dir),
        (first.hash.as_str(), &first.dir)
    );
    // Only the finished build is left: the private build directory is gone.
    let entries: Vec<_> = std::fs::read_dir(w.cache.join("ports/hello"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, [std::ffi::OsString::from(&first.hash)]);
    first.hash
}

fn editing_a_patch_changes_the_hash_and_builds_again(w: &World, before: &str) -> String {
    let patch = w.root.join("ports/hello/patches/greeting.patch");
    std::fs::write(&patch, PATCH.replace("patched", "edited")).unwrap();
    let env = w.env();
    let hash = port::input_hash(&env, &env.ports().recipe("hello").unwrap()).unwrap();
    assert_ne!(hash, before, "a patch is an input");
    let b = port::build(&env, "hello").unwrap();
    assert!(!b.cached);
    assert_eq!(b.hash, hash);
    assert_eq!(w.builds(), 2);
    let text = std::fs::read_to_string(b.pkgroot.join("share/hello.txt")).unwrap();
    assert_eq!(text, "hello, edited\n");
    // Both builds are kept until gc, which keeps the most recently used one.
    let port_cache = w.cache.join("ports/hello");
    assert!(port_cache.join(before).is_dir());
    let removed = swport::build_cache::gc(&w.cache).unwrap();
    assert_eq!(removed, [port_cache.join(before)]);
    hash
}

fn threads_racing_build_once(w: &World) {
    std::fs::write(w.root.join("ports/hello/notes.txt"), "a new input\n").unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let h: Vec<_> = (0..2)
            .map(|_| s.spawn(|| port::build(&w.env(), "hello").unwrap()))
            .collect();
        h.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(w.builds(), 3, "one of the two threads built");
    let cached: Vec<bool> = results.iter().map(|b| b.cached).collect();
    assert!(
        cached.contains(&true) && cached.contains(&false),
        "{cached:?}"
    );
}

fn the_command_says_when_it_packages_a_cached_build(w: &World, hash: &str) {
    std::fs::remove_file(w.root.join("ports/hello/notes.txt")).unwrap();
    let err = w.swport_package();
    assert!(
        err.contains(&format!("swport: hello: cached build {hash}")),
        "{err}"
    );
    assert_eq!(w.builds(), 3);
    assert!(w.root.join("out/hello-1.0.0.swpkg").is_file());
    assert!(
        w.root.join("build/keys/swport-dev.key").is_file(),
        "the development key is made in the clone's build/keys/"
    );
}

#[test]
fn port_builds_are_cached_by_content_hash() {
    let w = world();
    let first = a_second_build_of_an_unchanged_port_reuses_the_cache(&w);
    let second = editing_a_patch_changes_the_hash_and_builds_again(&w, &first);
    threads_racing_build_once(&w);
    the_command_says_when_it_packages_a_cached_build(&w, &second);
}
