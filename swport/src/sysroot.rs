//! Builds the SwiftOS C sysroot: newlib from its verified source, cross-compiled with Debian's
//! `gcc-aarch64-linux-gnu`, plus crt0, the syscall glue, the generated `<swiftos/abi.h>`, extra
//! POSIX headers, the linker script and the `aarch64-swiftos-{cc,ar,ranlib,...}` wrappers.
//!
//! The result lives in `<cache>/sysroot/<hash>/` (`<cache>`: the per-user cache directory of
//! [`crate::cache::user_cache_dir`]), where `<hash>` covers every input (the files
//! under `sysroot/`, the generated header, the build flags and the cross compiler's version);
//! when that directory is complete a build is a no-op. The tree is assembled in a private work
//! directory and renamed into place only when complete, so a failed build leaves nothing.

use crate::fetch::{FetchError, Fetcher, SourceSpec};
use crate::header;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cross compiler driver (Debian package `gcc-aarch64-linux-gnu`).
pub const CROSS: &str = "aarch64-linux-gnu-";

/// Flags every SwiftOS C object is compiled with (newlib itself, the glue and the ports).
/// See DESIGN.md "Facts established by trial".
pub const TARGET_CFLAGS: &[&str] = &[
    "-fno-pie",
    "-mno-outline-atomics",
    "-U__linux__",
    "-Ulinux",
    "-U__gnu_linux__",
    "-Uunix",
    "-U__unix",
    "-U__unix__",
    "-D__swiftos__",
    "-nostdinc",
];

/// The parts of `sysroot/` that go into the sysroot (and so into its hash); `tests/` does not.
const HASHED_INPUTS: [&str; 4] = ["newlib.toml", "swiftos.ld", "src", "include"];

/// Feature macros for compiling newlib itself (what libgloss ports set in configure.host):
/// `_rename` and `_fcntl` exist, and `struct stat` has a meaningful `st_blksize`.
pub const NEWLIB_FEATURES: &[&str] = &["-DHAVE_RENAME", "-DHAVE_FCNTL", "-DHAVE_BLKSIZE"];

/// Bumped whenever the build procedure below changes in a way the inputs do not show.
const RECIPE_REVISION: &str = "sysroot-build-3";

/// newlib's own POSIX sources that `--target=aarch64-none-elf` leaves out (it builds neither
/// `libc/posix` nor `libc/unix`), compiled from the same verified tree into `libswiftos.a`.
/// `pread`/`pwrite` are newlib's lseek + read/write + lseek-back: correct for a single-threaded
/// process (SwiftOS has no threads sharing a file offset).
const NEWLIB_POSIX_SOURCES: &[&str] = &[
    "posix/regcomp.c",
    "posix/regerror.c",
    "posix/regexec.c",
    "posix/regfree.c",
    "posix/fnmatch.c",
    "posix/collate.c",
    "posix/collcmp.c",
    "posix/execl.c",
    "posix/execle.c",
    "posix/execlp.c",
    "posix/execv.c",
    "posix/execvp.c",
    "unix/basename.c",
    "unix/dirname.c",
    "unix/pread.c",
    "unix/pwrite.c",
];

/// `sysroot/newlib.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewlibSpec {
    pub name: String,
    pub version: String,
    pub license: String,
    pub source: NewlibSource,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewlibSource {
    pub url: String,
    pub sha256: String,
    pub debian_package: Option<String>,
    pub debian_version: Option<String>,
}

/// Sysroot build failures.
#[derive(Debug, thiserror::Error)]
pub enum SysrootError {
    #[error("{path}: {message}")]
    Spec { path: PathBuf, message: String },
    #[error("fetching newlib: {0}")]
    Fetch(#[from] FetchError),
    #[error("sysroot build step `{step}` failed; see the log {log}")]
    Step { step: String, log: PathBuf },
    #[error(
        "`{tool}` is not usable ({message}); install the Debian package gcc-aarch64-linux-gnu"
    )]
    Toolchain { tool: String, message: String },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SysrootError + '_ {
    move |source| SysrootError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Where things are.
#[derive(Clone, Debug)]
pub struct SysrootConfig {
    /// The `sysroot/` source folder.
    pub source_dir: PathBuf,
    /// The cache root (normally [`crate::cache::user_cache_dir`]); sources go to `sources/`,
    /// sysroots to `sysroot/`.
    pub cache_dir: PathBuf,
    /// `make -j`.
    pub jobs: usize,
}

/// A finished sysroot.
#[derive(Clone, Debug)]
pub struct Sysroot {
    pub path: PathBuf,
    /// True when it was already built (the call was a no-op).
    pub cached: bool,
}

impl Sysroot {
    /// The compiler wrapper.
    pub fn cc(&self) -> PathBuf {
        self.path.join("bin/aarch64-swiftos-cc")
    }
    pub fn ar(&self) -> PathBuf {
        self.path.join("bin/aarch64-swiftos-ar")
    }
    pub fn ranlib(&self) -> PathBuf {
        self.path.join("bin/aarch64-swiftos-ranlib")
    }
}

/// Read and check `sysroot/newlib.toml`.
pub fn load_spec(path: &Path) -> Result<NewlibSpec, SysrootError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    toml::from_str(&text).map_err(|e| SysrootError::Spec {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn tool_output(tool: &str, args: &[&str]) -> Result<String, SysrootError> {
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| SysrootError::Toolchain {
            tool: tool.into(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(SysrootError::Toolchain {
            tool: tool.into(),
            message: format!("exit status {}", out.status),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// gcc's own include directory (for `-nostdinc -isystem ...`).
pub fn gcc_include_dir() -> Result<String, SysrootError> {
    tool_output(&format!("{CROSS}gcc"), &["-print-file-name=include"])
}

/// The content hash of every input of the sysroot.
pub fn input_hash(cfg: &SysrootConfig) -> Result<String, SysrootError> {
    let mut h = Sha256::new();
    let mut files = Vec::new();
    for part in HASHED_INPUTS {
        let p = cfg.source_dir.join(part);
        if p.is_dir() {
            collect_files(&cfg.source_dir, &p, &mut files)?;
        } else {
            files.push(PathBuf::from(part));
        }
    }
    files.sort();
    for rel in &files {
        let p = cfg.source_dir.join(rel);
        let data = std::fs::read(&p).map_err(io(&p))?;
        h.update(format!("file {} {}\n", rel.display(), data.len()).as_bytes());
        h.update(&data);
    }
    h.update(header::generate().as_bytes());
    h.update(RECIPE_REVISION.as_bytes());
    h.update(TARGET_CFLAGS.join(" ").as_bytes());
    h.update(NEWLIB_FEATURES.join(" ").as_bytes());
    h.update(tool_output(&format!("{CROSS}gcc"), &["--version"])?.as_bytes());
    h.update(tool_output(&format!("{CROSS}ld"), &["--version"])?.as_bytes());
    h.update(gcc_include_dir()?.as_bytes());
    Ok(hex::encode(h.finalize())[..24].to_owned())
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SysrootError> {
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let p = e.path();
        if p.is_dir() {
            collect_files(base, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_owned());
        }
    }
    Ok(())
}

/// Build (or reuse) the sysroot. `log` receives one-line progress messages.
pub fn build(cfg: &SysrootConfig, log: &mut dyn FnMut(&str)) -> Result<Sysroot, SysrootError> {
    let hash = input_hash(cfg)?;
    let root = cfg.cache_dir.join("sysroot");
    let dest = root.join(&hash);
    if dest.join("swiftos-sysroot.json").is_file() {
        return Ok(Sysroot {
            path: dest,
            cached: true,
        });
    }
    let spec = load_spec(&cfg.source_dir.join("newlib.toml"))?;
    log(&format!("fetching {} {}", spec.name, spec.version));
    let fetcher = Fetcher::from_system(cfg.cache_dir.join("sources"));
    let tarball = fetcher
        .fetch(&SourceSpec {
            url: spec.source.url.clone(),
            sha256: spec.source.sha256.clone(),
            debian_package: spec.source.debian_package.clone(),
            debian_version: spec.source.debian_version.clone(),
        })?
        .path;

    let work = root.join(format!(".build-{hash}-{}", std::process::id()));
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(io(&work))?;
    }
    let result = build_in(cfg, &spec, &tarball, &work, &hash, log);
    match result {
        Ok(stage) => {
            // Another clone sharing the cache may finish the same build first (before the
            // check or before the rename): theirs is identical and stays.
            if !dest.exists() {
                if let Err(e) = std::fs::rename(&stage, &dest) {
                    if !dest.join("swiftos-sysroot.json").is_file() {
                        return Err(io(&dest)(e));
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&work);
            Ok(Sysroot {
                path: dest,
                cached: false,
            })
        }
        Err(e) => Err(e),
    }
}

/// Remove every cached sysroot except the current one, and abandoned build directories.
/// Returns the removed paths.
pub fn gc(cfg: &SysrootConfig) -> Result<Vec<PathBuf>, SysrootError> {
    let keep = input_hash(cfg)?;
    let root = cfg.cache_dir.join("sysroot");
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(&root) else {
        return Ok(removed);
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && e.file_name().to_string_lossy() != keep {
            std::fs::remove_dir_all(&p).map_err(io(&p))?;
            removed.push(p);
        }
    }
    removed.sort();
    Ok(removed)
}

struct Runner {
    log: PathBuf,
}

impl Runner {
    fn run(&self, step: &str, cmd: &mut Command) -> Result<(), SysrootError> {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io(&self.log))?;
        let _ = writeln!(f, "\n==> {step}: {cmd:?}");
        let f2 = f.try_clone().map_err(io(&self.log))?;
        let status = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(f))
            .stderr(Stdio::from(f2))
            .status()
            .map_err(|e| SysrootError::Toolchain {
                tool: format!("{:?}", cmd.get_program()),
                message: e.to_string(),
            })?;
        if !status.success() {
            return Err(SysrootError::Step {
                step: step.into(),
                log: self.log.clone(),
            });
        }
        Ok(())
    }
}

fn build_in(
    cfg: &SysrootConfig,
    spec: &NewlibSpec,
    tarball: &Path,
    work: &Path,
    hash: &str,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, SysrootError> {
    let src = work.join("src");
    let bld = work.join("build");
    let inst = work.join("inst");
    let stage = work.join("stage");
    for d in [&src, &bld, &inst, &stage] {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    let r = Runner {
        log: work.join("build.log"),
    };
    let gccinc = gcc_include_dir()?;
    let mut cflags: Vec<String> = vec!["-O2".into(), "-g".into()];
    cflags.extend(TARGET_CFLAGS.iter().map(|s| s.to_string()));
    cflags.extend([
        "-isystem".into(),
        gccinc.clone(),
        "-ffunction-sections".into(),
        "-fdata-sections".into(),
    ]);
    cflags.extend(NEWLIB_FEATURES.iter().map(|s| s.to_string()));

    log("unpacking");
    r.run(
        "unpack",
        Command::new("tar")
            .arg("-xf")
            .arg(tarball)
            .arg("-C")
            .arg(&src)
            .arg("--strip-components=1"),
    )?;

    log("configuring newlib");
    let t = |tool: &str| format!("{CROSS}{tool}");
    r.run(
        "configure",
        Command::new(src.join("configure"))
            .current_dir(&bld)
            .args([
                "--target=aarch64-none-elf",
                "--prefix=/usr",
                "--disable-newlib-supplied-syscalls",
                "--disable-multilib",
                "--disable-nls",
                // C99 printf/scanf: %a, %hhd, %zu, %jd, %lld (Lua's "%a" needs them).
                "--enable-newlib-io-c99-formats",
                "--enable-newlib-io-long-long",
            ])
            .arg(format!("CC_FOR_TARGET={}", t("gcc")))
            .arg(format!("AR_FOR_TARGET={}", t("ar")))
            .arg(format!("AS_FOR_TARGET={}", t("as")))
            .arg(format!("LD_FOR_TARGET={}", t("ld")))
            .arg(format!("NM_FOR_TARGET={}", t("nm")))
            .arg(format!("RANLIB_FOR_TARGET={}", t("ranlib")))
            .arg(format!("CFLAGS_FOR_TARGET={}", cflags.join(" "))),
    )?;
    log(&format!("building newlib (make -j{})", cfg.jobs));
    r.run(
        "make",
        Command::new("make")
            .current_dir(&bld)
            .arg(format!("-j{}", cfg.jobs.max(1)))
            .arg("all-target-newlib"),
    )?;
    r.run(
        "install",
        Command::new("make")
            .current_dir(&bld)
            .arg("install-target-newlib")
            .arg(format!("DESTDIR={}", inst.display())),
    )?;

    log("assembling the sysroot");
    let triple_dir = inst.join("usr/aarch64-none-elf");
    copy_tree(&triple_dir.join("include"), &stage.join("include"))?;
    copy_tree(&triple_dir.join("lib"), &stage.join("lib"))?;
    // Our headers (dirent, mman, utsname, ...) replace newlib's stubs.
    copy_tree(&cfg.source_dir.join("include"), &stage.join("include"))?;
    let abi_h = stage.join("include/swiftos/abi.h");
    write(&abi_h, header::generate().as_bytes())?;
    let ld = stage.join("lib/swiftos.ld");
    std::fs::copy(cfg.source_dir.join("swiftos.ld"), &ld).map_err(io(&ld))?;

    // crt0 and the glue, compiled against the staged headers.
    let mut glue_flags: Vec<String> =
        vec!["-O2".into(), "-g".into(), "-Wall".into(), "-Werror".into()];
    glue_flags.extend(TARGET_CFLAGS.iter().map(|s| s.to_string()));
    glue_flags.extend([
        "-isystem".into(),
        stage.join("include").display().to_string(),
        "-isystem".into(),
        gccinc.clone(),
    ]);
    let obj = work.join("obj");
    std::fs::create_dir_all(&obj).map_err(io(&obj))?;
    r.run(
        "crt0",
        Command::new(t("gcc"))
            .args(&glue_flags)
            .arg("-c")
            .arg(cfg.source_dir.join("src/crt0.S"))
            .arg("-o")
            .arg(stage.join("lib/crt0.o")),
    )?;
    let mut objs = Vec::new();
    for name in ["start", "syscalls", "dirent", "socket", "uio"] {
        let o = obj.join(format!("{name}.o"));
        r.run(
            &format!("compile {name}.c"),
            Command::new(t("gcc"))
                .args(&glue_flags)
                .arg("-ffunction-sections")
                .arg("-c")
                .arg(cfg.source_dir.join(format!("src/{name}.c")))
                .arg("-o")
                .arg(&o),
        )?;
        objs.push(o);
    }
    objs.extend(compile_newlib_posix(&r, &src, &obj, &glue_flags)?);
    r.run(
        "libswiftos.a",
        Command::new(t("ar"))
            .arg("rcsD")
            .arg(stage.join("lib/libswiftos.a"))
            .args(&objs),
    )?;

    // Wrappers.
    let bin = stage.join("bin");
    std::fs::create_dir_all(&bin).map_err(io(&bin))?;
    write_exec(&bin.join("aarch64-swiftos-cc"), &cc_wrapper(&gccinc))?;
    for tool in [
        "ar", "ranlib", "strip", "objcopy", "objdump", "nm", "readelf", "size", "as", "ld",
    ] {
        let script = format!(
            "#!/bin/sh\n# aarch64-swiftos-{tool}: the SwiftOS name for {CROSS}{tool}.\nexec {CROSS}{tool} \"$@\"\n"
        );
        write_exec(&bin.join(format!("aarch64-swiftos-{tool}")), &script)?;
    }

    // Prove the toolchain links a program before publishing it.
    log("smoke-linking a test program");
    let probe = work.join("probe.c");
    write(
        &probe,
        b"#include <stdio.h>\n#include <dirent.h>\n#include <math.h>\nint main(int c, char **v){ printf(\"%s %g\\n\", v[0], sqrt((double)c)); return opendir(\".\") ? 0 : 1; }\n",
    )?;
    r.run(
        "smoke link",
        Command::new(bin.join("aarch64-swiftos-cc"))
            .arg("-O2")
            .arg(&probe)
            .arg("-lm")
            .arg("-o")
            .arg(work.join("probe")),
    )?;

    let meta = serde_json::json!({
        "hash": hash,
        "newlib": { "version": spec.version, "sha256": spec.source.sha256 },
        "cross": tool_output(&t("gcc"), &["-dumpfullversion"]).unwrap_or_default(),
        "abi_version": swiftos_abi::ABI_VERSION,
        "cflags": TARGET_CFLAGS,
    });
    let log_dest = stage.join("build.log");
    std::fs::copy(&r.log, &log_dest).map_err(io(&log_dest))?;
    write(
        &stage.join("swiftos-sysroot.json"),
        serde_json::to_string_pretty(&meta)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(stage)
}

/// Compiles [`NEWLIB_POSIX_SOURCES`] from the unpacked newlib tree `src`; returns the objects.
fn compile_newlib_posix(
    r: &Runner,
    src: &Path,
    obj: &Path,
    glue_flags: &[String],
) -> Result<Vec<PathBuf>, SysrootError> {
    let libc = src.join("newlib/libc");
    let mut objs = Vec::new();
    for rel in NEWLIB_POSIX_SOURCES {
        let stem = rel.trim_end_matches(".c").replace('/', "-");
        let o = obj.join(format!("newlib-{stem}.o"));
        r.run(
            &format!("compile newlib {rel}"),
            Command::new(format!("{CROSS}gcc"))
                .args(
                    glue_flags
                        .iter()
                        .filter(|f| *f != "-Werror" && *f != "-Wall"),
                )
                .args(NEWLIB_FEATURES)
                .args(["-ffunction-sections", "-fdata-sections", "-D_GNU_SOURCE"])
                .arg("-I")
                .arg(libc.join("posix"))
                .arg("-c")
                .arg(libc.join(rel))
                .arg("-o")
                .arg(&o),
        )?;
        objs.push(o);
    }
    Ok(objs)
}

/// The `aarch64-swiftos-cc` driver script. It locates the sysroot relative to itself, so the
/// cache directory can move.
fn cc_wrapper(gccinc: &str) -> String {
    format!(
        r#"#!/bin/sh
# aarch64-swiftos-cc: compile and link static AArch64 SwiftOS programs against newlib.
# Generated by `swport sysroot build`. Use as CC=aarch64-swiftos-cc (AR/RANLIB likewise).
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
link=1
inputs=0
for a in "$@"; do
	case "$a" in
	-c|-S|-E|-M|-MM|-fsyntax-only) link=0 ;;
	-*) ;;
	*) inputs=1 ;;
	esac
done
[ "$inputs" = 1 ] || link=0
set -- {cflags} -isystem "$here/include" -isystem {gccinc} "$@"
if [ "$link" = 1 ]; then
	exec {CROSS}gcc "$@" -static -no-pie -nostdlib -T "$here/lib/swiftos.ld" \
		-Wl,--build-id=sha1 -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
		"$here/lib/crt0.o" -L"$here/lib" \
		-Wl,--start-group -lc -lm -lswiftos -lgcc -Wl,--end-group
fi
exec {CROSS}gcc "$@"
"#,
        cflags = TARGET_CFLAGS.join(" "),
    )
}

fn write(path: &Path, data: &[u8]) -> Result<(), SysrootError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    atomic_write::write(path, data).map_err(io(path))
}

fn write_exec(path: &Path, text: &str) -> Result<(), SysrootError> {
    use std::os::unix::fs::PermissionsExt;
    write(path, text.as_bytes())?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io(path))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), SysrootError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for e in std::fs::read_dir(from).map_err(io(from))? {
        let e = e.map_err(io(from))?;
        let p = e.path();
        let d = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &d)?;
        } else {
            std::fs::copy(&p, &d).map_err(io(&d))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlib_spec_parses_and_rejects_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("newlib.toml");
        std::fs::write(
            &p,
            "name='newlib'\nversion='3.3.0'\nlicense='BSD'\n[source]\nurl='https://x/n.tar.gz'\nsha256='ab'\ndebian-package='newlib'\n",
        )
        .unwrap();
        let s = load_spec(&p).unwrap();
        assert_eq!(s.source.debian_package.as_deref(), Some("newlib"));
        std::fs::write(
            &p,
            "name='newlib'\nversion='3.3.0'\nlicense='BSD'\nbogus=1\n[source]\nurl='u'\nsha256='ab'\n",
        )
        .unwrap();
        let e = load_spec(&p).unwrap_err().to_string();
        assert!(e.contains("newlib.toml") && e.contains("bogus"), "{e}");
    }

    #[test]
    fn the_real_spec_is_valid() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sysroot/newlib.toml");
        let s = load_spec(&p).unwrap();
        assert!(s.source.sha256.starts_with("58dd9e3e") && s.source.sha256.ends_with("ef72c66"));
    }

    #[test]
    fn wrapper_links_only_with_inputs() {
        let w = cc_wrapper("/gcc/include");
        assert!(w.contains("-isystem /gcc/include"));
        assert!(w.contains("-T \"$here/lib/swiftos.ld\""));
        assert!(w.contains("-U__linux__"));
    }
}
