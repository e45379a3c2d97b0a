//! Building a port: fetch → unpack → patch → build → stage → `.swpkg`, in a clean per-port work
//! directory (`<cache>/ports/<name>/`) with a log file. Errors name the failing step and the log.

use crate::fetch::{FetchError, Fetcher};
use crate::recipe::{Recipe, RecipeError, Template};
use crate::sysroot::{self, Sysroot, SysrootConfig, SysrootError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Port build failures.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Sysroot(#[from] SysrootError),
    #[error("port {port}: step `{step}` failed; see the log {log}")]
    Step {
        port: String,
        step: String,
        log: PathBuf,
    },
    #[error("port {port}: `package.files` entry `{file}` was not produced by the build (stage: {stage}; log: {log})")]
    MissingOutput {
        port: String,
        file: String,
        stage: PathBuf,
        log: PathBuf,
    },
    #[error("port {port}: packaging failed: {source}")]
    Package {
        port: String,
        #[source]
        source: swpkg::Error,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PortError + '_ {
    move |source| PortError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Settings shared by every port build.
#[derive(Clone, Debug)]
pub struct PortEnv {
    /// Repository root (holds `ports/` and `sysroot/`).
    pub root: PathBuf,
    /// Cache root (`<root>/.cache`).
    pub cache: PathBuf,
    /// Default parallel jobs.
    pub jobs: u32,
    /// Show progress bars.
    pub progress: bool,
}

impl PortEnv {
    pub fn new(root: &Path) -> Self {
        PortEnv {
            root: root.to_owned(),
            cache: root.join(".cache"),
            jobs: 2,
            progress: true,
        }
    }

    pub fn ports(&self) -> crate::recipe::Ports {
        crate::recipe::Ports::new(self.root.join("ports"))
    }

    pub fn fetcher(&self) -> Fetcher {
        Fetcher::from_system(self.cache.join("sources")).with_progress(self.progress)
    }

    /// The per-port work directory.
    pub fn work_dir(&self, name: &str) -> PathBuf {
        self.cache.join("ports").join(name)
    }

    /// The built sysroot (building it on first use).
    pub fn sysroot(&self, log: &mut dyn FnMut(&str)) -> Result<Sysroot, SysrootError> {
        sysroot::build(
            &SysrootConfig {
                source_dir: self.root.join("sysroot"),
                cache_dir: self.cache.clone(),
                jobs: self.jobs as usize,
            },
            log,
        )
    }
}

/// The result of `package`.
#[derive(Debug)]
pub struct Packaged {
    pub path: PathBuf,
    pub sha256: String,
    pub manifest: swpkg_core::Manifest,
    pub log: PathBuf,
}

struct Steps<'a> {
    port: &'a str,
    log: PathBuf,
    bar: ProgressBar,
}

impl Steps<'_> {
    fn run(&self, step: &str, cmd: &mut Command) -> Result<(), PortError> {
        self.bar.set_message(format!("{}: {step}", self.port));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io(&self.log))?;
        let _ = writeln!(f, "\n==> {step}: {cmd:?}");
        let f2 = f.try_clone().map_err(io(&self.log))?;
        let ok = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(f))
            .stderr(Stdio::from(f2))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Err(PortError::Step {
                port: self.port.into(),
                step: step.into(),
                log: self.log.clone(),
            });
        }
        Ok(())
    }
}

/// Expand `${VAR}` references from `vars`; unknown names are left as written.
pub fn expand(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) if vars.contains_key(&after[..j]) => {
                out.push_str(&vars[&after[..j]]);
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Build the files of `recipe` into `<work>/pkgroot` and return (recipe, pkgroot, log).
pub fn build(env: &PortEnv, name: &str) -> Result<(Recipe, PathBuf, PathBuf), PortError> {
    let ports = env.ports();
    let recipe = ports.recipe(name)?;
    let port_dir = ports.dir.join(name);
    let bar = if env.progress {
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        b
    } else {
        ProgressBar::hidden()
    };
    bar.set_message(format!("{name}: sysroot"));
    let sysroot = env.sysroot(&mut |m| bar.set_message(format!("sysroot: {m}")))?;
    bar.set_message(format!("{name}: fetch"));
    let tarball = env
        .fetcher()
        .with_progress(false)
        .fetch(&recipe.source_spec())?
        .path;

    let work = env.work_dir(name);
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(io(&work))?;
    }
    let src = work.join("src");
    let stage = work.join("stage");
    let pkgroot = work.join("pkgroot");
    for d in [&src, &stage, &pkgroot] {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    let steps = Steps {
        port: name,
        log: work.join("build.log"),
        bar: bar.clone(),
    };
    steps.run(
        "unpack",
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&src)
            .arg(format!(
                "--strip-components={}",
                recipe.source.strip_components
            )),
    )?;
    for p in &recipe.source.patches {
        steps.run(
            &format!("patch {p}"),
            Command::new("patch")
                .current_dir(&src)
                .args(["-p1", "--forward", "--batch", "-i"])
                .arg(port_dir.join(p)),
        )?;
    }

    let jobs = recipe.build.jobs.unwrap_or(env.jobs).max(1);
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let s = |p: PathBuf| p.display().to_string();
    vars.insert("CC".into(), s(sysroot.cc()));
    vars.insert("AR".into(), s(sysroot.ar()));
    vars.insert("RANLIB".into(), s(sysroot.ranlib()));
    vars.insert(
        "STRIP".into(),
        s(sysroot.path.join("bin/aarch64-swiftos-strip")),
    );
    vars.insert("SYSROOT".into(), s(sysroot.path.clone()));
    vars.insert("STAGE".into(), s(stage.clone()));
    vars.insert("SRC".into(), s(src.clone()));
    vars.insert("JOBS".into(), jobs.to_string());
    let mut envs = vars.clone();
    envs.insert(
        "SOURCE_DATE_EPOCH".into(),
        std::env::var("SOURCE_DATE_EPOCH").unwrap_or_else(|_| "0".into()),
    );
    envs.insert("DESTDIR".into(), s(stage.clone()));
    for (k, v) in &recipe.build.env {
        envs.insert(k.clone(), expand(v, &vars));
    }
    let build_dir = match &recipe.build.subdir {
        Some(d) => src.join(d),
        None => src.clone(),
    };
    let cmd = |prog: &str| {
        let mut c = Command::new(prog);
        c.current_dir(&build_dir).env_clear();
        for k in ["PATH", "HOME", "LANG", "TMPDIR"] {
            if let Some(v) = std::env::var_os(k) {
                c.env(k, v);
            }
        }
        c.env("LC_ALL", "C").envs(&envs);
        c
    };
    let x = |args: &[String]| -> Vec<String> { args.iter().map(|a| expand(a, &vars)).collect() };
    let b = &recipe.build;
    match b.template {
        Template::Make => {
            steps.run(
                "build",
                cmd("make").arg(format!("-j{jobs}")).args(x(&b.make_args)),
            )?;
            if !b.install_args.is_empty() {
                steps.run("stage", cmd("make").args(x(&b.install_args)))?;
            }
        }
        Template::Configure => {
            steps.run(
                "configure",
                cmd("./configure")
                    .args(["--host=aarch64-none-elf", "--prefix=/"])
                    .args(x(&b.configure_args)),
            )?;
            steps.run(
                "build",
                cmd("make").arg(format!("-j{jobs}")).args(x(&b.make_args)),
            )?;
            let mut install = x(&b.install_args);
            if install.is_empty() {
                install = vec!["install".into(), format!("DESTDIR={}", stage.display())];
            }
            steps.run("stage", cmd("make").args(install))?;
        }
        Template::Script => {
            let script = b.script.clone().unwrap_or_default();
            steps.run("script", cmd("sh").arg("-ec").arg(script))?;
        }
    }

    // Select the packaged files.
    for f in &recipe.package.files {
        let from = stage.join(f);
        if !from.exists() {
            return Err(PortError::MissingOutput {
                port: name.into(),
                file: f.clone(),
                stage,
                log: steps.log,
            });
        }
        copy_into(&from, &pkgroot.join(f))?;
    }
    if recipe.package.strip {
        let strip = sysroot.path.join("bin/aarch64-swiftos-strip");
        for f in elf_files(&pkgroot)? {
            steps.run(
                &format!("strip {}", f.strip_prefix(&pkgroot).unwrap_or(&f).display()),
                Command::new(&strip).arg("--strip-all").arg(&f),
            )?;
        }
    }
    bar.finish_and_clear();
    Ok((recipe, pkgroot, steps.log))
}

/// Build and package a port into `out_dir/<name>-<version>.swpkg`, signed with `key`.
pub fn package(
    env: &PortEnv,
    name: &str,
    out_dir: &Path,
    key: &ed25519_dalek::SigningKey,
) -> Result<Packaged, PortError> {
    let (recipe, pkgroot, log) = build(env, name)?;
    let (manifest, staged) = manifest_for(&recipe, &pkgroot)?;
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let out = out_dir.join(recipe.package_file_name());
    let opts = swpkg::BuildOptions::from_env().map_err(|source| PortError::Package {
        port: name.into(),
        source,
    })?;
    swpkg::build::write_package(&manifest, &staged, key, opts, &out).map_err(|source| {
        PortError::Package {
            port: name.into(),
            source,
        }
    })?;
    let sha256 = crate::fetch::sha256_file(&out)?;
    Ok(Packaged {
        path: out,
        sha256,
        manifest,
        log,
    })
}

/// The swpkg source manifest a recipe implies.
pub fn source_manifest(recipe: &Recipe) -> swpkg::SourceManifest {
    swpkg::SourceManifest {
        name: recipe.name.clone(),
        version: recipe.version.clone(),
        description: recipe.summary.clone(),
        license: recipe.license.clone(),
        depends: recipe.package.depends.clone(),
        provides: Default::default(),
        conflicts: Default::default(),
    }
}

/// The full package manifest for a staged package root.
pub fn manifest_for(
    recipe: &Recipe,
    pkgroot: &Path,
) -> Result<(swpkg_core::Manifest, Vec<swpkg::build::Staged>), PortError> {
    let pe = |source| PortError::Package {
        port: recipe.name.clone(),
        source,
    };
    let staged = swpkg::build::scan_tree(pkgroot, &swpkg_core::Limits::DEFAULT).map_err(pe)?;
    let files = staged.iter().map(|s| s.entry.clone()).collect();
    let manifest = source_manifest(recipe)
        .to_manifest(
            Path::new(&format!("ports/{}/recipe.toml", recipe.name)),
            files,
        )
        .map_err(pe)?;
    Ok((manifest, staged))
}

/// The signing key: `path` if given, else the development key `<cache>/keys/swport-dev.key`
/// (created on first use).
pub fn signing_key(
    env: &PortEnv,
    path: Option<&Path>,
) -> Result<(ed25519_dalek::SigningKey, PathBuf), PortError> {
    let pe = |source| PortError::Package {
        port: "-".into(),
        source,
    };
    if let Some(p) = path {
        return Ok((swpkg::read_secret_key(p).map_err(pe)?, p.to_owned()));
    }
    let dir = env.cache.join("keys");
    let p = dir.join("swport-dev.key");
    if !p.is_file() {
        swpkg::keygen(&dir, "swport-dev").map_err(pe)?;
    }
    Ok((swpkg::read_secret_key(&p).map_err(pe)?, p))
}

fn copy_into(from: &Path, to: &Path) -> Result<(), PortError> {
    let meta = std::fs::symlink_metadata(from).map_err(io(from))?;
    if let Some(d) = to.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    if meta.is_dir() {
        std::fs::create_dir_all(to).map_err(io(to))?;
        for e in std::fs::read_dir(from).map_err(io(from))? {
            let e = e.map_err(io(from))?;
            copy_into(&e.path(), &to.join(e.file_name()))?;
        }
    } else if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from).map_err(io(from))?;
        std::os::unix::fs::symlink(target, to).map_err(io(to))?;
    } else {
        std::fs::copy(from, to).map_err(io(to))?;
    }
    Ok(())
}

fn elf_files(dir: &Path) -> Result<Vec<PathBuf>, PortError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let p = e.path();
        let ft = e.file_type().map_err(io(&p))?;
        if ft.is_dir() {
            out.extend(elf_files(&p)?);
        } else if ft.is_file() {
            let mut magic = [0u8; 4];
            let is_elf = std::fs::File::open(&p)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                .is_ok()
                && magic == *b"\x7fELF";
            if is_elf {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// sha256 of bytes, lower-case hex.
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let mut v = BTreeMap::new();
        v.insert("CC".to_string(), "/x/cc".to_string());
        assert_eq!(expand("CC=${CC} ${CC}", &v), "CC=/x/cc /x/cc");
        assert_eq!(expand("${NOPE} ${CC", &v), "${NOPE} ${CC");
        assert_eq!(expand("", &v), "");
        assert_eq!(expand("$${CC}}", &v), "$/x/cc}");
    }
}
