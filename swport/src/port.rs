//! Building a port: fetch → unpack → patch → build → stage → `.swpkg`. Builds are cached by
//! content hash in `<cache>/ports/<name>/<hash>/` ([`crate::build_cache`]): an unchanged port
//! is not built again. Errors name the failing step and the log.

use crate::build_cache::{self, Inputs};
use crate::cache::{self, CacheError};
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
    #[error(transparent)]
    Cache(#[from] CacheError),
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
        source: swpkg_host::Error,
    },
    #[error("signing key: {0}")]
    Key(#[from] swpkg_keys::Error),
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
    /// Cache root ([`cache::user_cache_dir`]): `sources/`, `sysroot/`, `ports/`.
    pub cache: PathBuf,
    /// Development keys ([`cache::keys_dir`]: `<root>/build/keys`).
    pub keys: PathBuf,
    /// Default parallel jobs.
    pub jobs: u32,
    /// Show progress bars.
    pub progress: bool,
    /// Build even when a cached build of the same inputs exists, and replace it.
    pub rebuild: bool,
}

impl PortEnv {
    /// The settings for the checkout at `root`, caching in the user's cache directory.
    pub fn new(root: &Path) -> Result<Self, CacheError> {
        Ok(Self::with_cache(root, &cache::user_cache_dir()?))
    }

    /// The settings for the checkout at `root`, caching in `cache`.
    pub fn with_cache(root: &Path, cache: &Path) -> Self {
        PortEnv {
            root: root.to_owned(),
            cache: cache.to_owned(),
            keys: cache::keys_dir(root),
            jobs: 2,
            progress: true,
            rebuild: false,
        }
    }

    pub fn ports(&self) -> crate::recipe::Ports {
        crate::recipe::Ports::new(self.root.join("ports"))
    }

    pub fn fetcher(&self) -> Fetcher {
        Fetcher::from_system(self.cache.join("sources")).with_progress(self.progress)
    }

    /// The port's cache folder, holding one directory per build hash.
    pub fn work_dir(&self, name: &str) -> PathBuf {
        self.cache.join("ports").join(name)
    }

    /// Take over the key `rel` (a file or folder) from `<root>/.cache/keys/`, where an older
    /// swport kept it, when [`PortEnv::keys`] is the clone's own `build/keys/` and lacks it.
    pub fn adopt_legacy_key(&self, rel: &str) -> Result<(), CacheError> {
        if self.keys == cache::keys_dir(&self.root) {
            let legacy = cache::legacy_dir(&self.root).join("keys").join(rel);
            cache::adopt_legacy(&legacy, &self.keys.join(rel))?;
        }
        Ok(())
    }

    /// Where the sysroot comes from and goes.
    pub fn sysroot_config(&self) -> SysrootConfig {
        SysrootConfig {
            source_dir: self.root.join("sysroot"),
            cache_dir: self.cache.clone(),
            jobs: self.jobs as usize,
        }
    }

    /// The built sysroot (building it on first use).
    pub fn sysroot(&self, log: &mut dyn FnMut(&str)) -> Result<Sysroot, SysrootError> {
        sysroot::build(&self.sysroot_config(), log)
    }
}

/// The result of `package`.
#[derive(Debug)]
pub struct Packaged {
    pub path: PathBuf,
    pub sha256: String,
    pub manifest: swpkg_core::Manifest,
    pub log: PathBuf,
    /// The build's content hash.
    pub build_hash: String,
    /// True when a cached build was packaged (no build step ran).
    pub cached: bool,
}

/// A port build, just made or taken from the cache.
#[derive(Debug)]
pub struct Built {
    pub recipe: Recipe,
    /// The content hash of every input ([`build_cache::input_hash`]).
    pub hash: String,
    /// `<cache>/ports/<name>/<hash>/`.
    pub dir: PathBuf,
    /// The files to package.
    pub pkgroot: PathBuf,
    /// The build's log.
    pub log: PathBuf,
    /// True when an earlier build of the same inputs was reused (no build step ran).
    pub cached: bool,
}

impl Built {
    fn at(recipe: Recipe, hash: String, dir: PathBuf, cached: bool) -> Built {
        Built {
            recipe,
            hash,
            pkgroot: dir.join("pkgroot"),
            log: dir.join("build.log"),
            dir,
            cached,
        }
    }
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

/// `SOURCE_DATE_EPOCH` as builds see it (0 when unset).
fn source_date_epoch() -> String {
    std::env::var("SOURCE_DATE_EPOCH").unwrap_or_else(|_| "0".into())
}

/// The content hash of every input of `recipe`'s build (the cache key).
pub fn input_hash(env: &PortEnv, recipe: &Recipe) -> Result<String, PortError> {
    let inputs = Inputs {
        sysroot: sysroot::input_hash(&env.sysroot_config())?,
        source_sha256: recipe.source.sha256.clone(),
        source_date_epoch: source_date_epoch(),
    };
    build_cache::input_hash(&env.ports().dir.join(&recipe.name), &inputs)
}

/// The cached build of `name` for its current inputs, if there is one.
pub fn cached_build(env: &PortEnv, name: &str) -> Result<Option<Built>, PortError> {
    let recipe = env.ports().recipe(name)?;
    let hash = input_hash(env, &recipe)?;
    let dir = env.work_dir(name).join(&hash);
    Ok(build_cache::is_complete(&dir).then(|| Built::at(recipe, hash, dir, false)))
}

/// Build the files of the port `name` (its `pkgroot`), or reuse the cached build of the same
/// inputs unless `env.rebuild`.
pub fn build(env: &PortEnv, name: &str) -> Result<Built, PortError> {
    let recipe = env.ports().recipe(name)?;
    let hash = input_hash(env, &recipe)?;
    let dir = env.work_dir(name).join(&hash);
    if !env.rebuild && build_cache::reuse(&dir) {
        return Ok(Built::at(recipe, hash, dir, true));
    }
    // One fresh build at a time in this process (its private directory is named after the
    // process); a thread that waited finds the build another one just finished.
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if !env.rebuild && build_cache::reuse(&dir) {
        return Ok(Built::at(recipe, hash, dir, true));
    }
    let bar = progress_bar(env.progress);
    let built = build_fresh(env, recipe, hash, &bar);
    bar.finish_and_clear();
    built
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    b
}

/// The directories of one build: `<tmp>/work/{src,stage}` (discarded) and `<tmp>/out/` (what
/// goes into the cache: `pkgroot/`, `build.log`).
struct WorkDirs {
    tmp: PathBuf,
    src: PathBuf,
    stage: PathBuf,
    out: PathBuf,
    pkgroot: PathBuf,
}

impl WorkDirs {
    fn create(tmp: PathBuf) -> Result<WorkDirs, PortError> {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        let out = tmp.join("out");
        let d = WorkDirs {
            src: tmp.join("work/src"),
            stage: tmp.join("work/stage"),
            pkgroot: out.join("pkgroot"),
            out,
            tmp,
        };
        for p in [&d.src, &d.stage, &d.pkgroot] {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        Ok(d)
    }
}

/// Build `recipe` in a private directory and rename the result into the cache.
fn build_fresh(
    env: &PortEnv,
    recipe: Recipe,
    hash: String,
    bar: &ProgressBar,
) -> Result<Built, PortError> {
    let name = recipe.name.clone();
    let port_cache = env.work_dir(&name);
    build_cache::remove_abandoned(&port_cache)?;
    bar.set_message(format!("{name}: sysroot"));
    let sysroot = env.sysroot(&mut |m| bar.set_message(format!("sysroot: {m}")))?;
    bar.set_message(format!("{name}: fetch"));
    let fetched = env.fetcher().with_progress(false);
    let tarball = fetched.fetch(&recipe.source_spec())?.path;

    let dirs = WorkDirs::create(build_cache::temp_dir(&port_cache, &hash))?;
    let steps = Steps {
        port: &name,
        log: dirs.out.join("build.log"),
        bar: bar.clone(),
    };
    unpack_and_patch(
        &steps,
        &env.ports().dir.join(&name),
        &recipe,
        &tarball,
        &dirs,
    )?;
    run_template(&steps, env, &recipe, &sysroot, &dirs)?;
    select_files(&steps, &recipe, &sysroot, &dirs)?;
    build_cache::write_marker(&dirs.out, &name, &recipe.version, &hash)?;
    let dest = port_cache.join(&hash);
    build_cache::publish(&dirs.out, &dest, env.rebuild)?;
    std::fs::remove_dir_all(&dirs.tmp).map_err(io(&dirs.tmp))?;
    Ok(Built::at(recipe, hash, dest, false))
}

fn unpack_and_patch(
    steps: &Steps,
    port_dir: &Path,
    recipe: &Recipe,
    tarball: &Path,
    dirs: &WorkDirs,
) -> Result<(), PortError> {
    steps.run(
        "unpack",
        Command::new("tar")
            .arg("-xf")
            .arg(tarball)
            .arg("-C")
            .arg(&dirs.src)
            .arg(format!(
                "--strip-components={}",
                recipe.source.strip_components
            )),
    )?;
    for p in &recipe.source.patches {
        steps.run(
            &format!("patch {p}"),
            Command::new("patch")
                .current_dir(&dirs.src)
                .args(["-p1", "--forward", "--batch", "-i"])
                .arg(port_dir.join(p)),
        )?;
    }
    Ok(())
}

/// The variables recipes may use (`${CC}`, ...) and the environment of the build commands.
struct BuildEnv {
    dir: PathBuf,
    vars: BTreeMap<String, String>,
    envs: BTreeMap<String, String>,
    jobs: u32,
}

impl BuildEnv {
    fn new(env: &PortEnv, recipe: &Recipe, sysroot: &Sysroot, dirs: &WorkDirs) -> BuildEnv {
        let jobs = recipe.build.jobs.unwrap_or(env.jobs).max(1);
        let s = |p: &Path| p.display().to_string();
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        vars.insert("CC".into(), s(&sysroot.cc()));
        vars.insert("AR".into(), s(&sysroot.ar()));
        vars.insert("RANLIB".into(), s(&sysroot.ranlib()));
        vars.insert("STRIP".into(), s(&strip_tool(sysroot)));
        vars.insert("SYSROOT".into(), s(&sysroot.path));
        vars.insert("STAGE".into(), s(&dirs.stage));
        vars.insert("SRC".into(), s(&dirs.src));
        vars.insert("JOBS".into(), jobs.to_string());
        let mut envs = vars.clone();
        envs.insert("SOURCE_DATE_EPOCH".into(), source_date_epoch());
        envs.insert("DESTDIR".into(), s(&dirs.stage));
        for (k, v) in &recipe.build.env {
            envs.insert(k.clone(), expand(v, &vars));
        }
        let dir = match &recipe.build.subdir {
            Some(d) => dirs.src.join(d),
            None => dirs.src.clone(),
        };
        BuildEnv {
            dir,
            vars,
            envs,
            jobs,
        }
    }

    /// `prog` in the build directory, with a clean environment.
    fn cmd(&self, prog: &str) -> Command {
        let mut c = Command::new(prog);
        c.current_dir(&self.dir).env_clear();
        for k in ["PATH", "HOME", "LANG", "TMPDIR"] {
            if let Some(v) = std::env::var_os(k) {
                c.env(k, v);
            }
        }
        c.env("LC_ALL", "C").envs(&self.envs);
        c
    }

    fn args(&self, args: &[String]) -> Vec<String> {
        args.iter().map(|a| expand(a, &self.vars)).collect()
    }
}

fn strip_tool(sysroot: &Sysroot) -> PathBuf {
    sysroot.path.join("bin/aarch64-swiftos-strip")
}

fn run_template(
    steps: &Steps,
    env: &PortEnv,
    recipe: &Recipe,
    sysroot: &Sysroot,
    dirs: &WorkDirs,
) -> Result<(), PortError> {
    let e = BuildEnv::new(env, recipe, sysroot, dirs);
    let b = &recipe.build;
    let make = || {
        let mut c = e.cmd("make");
        c.arg(format!("-j{}", e.jobs)).args(e.args(&b.make_args));
        c
    };
    match b.template {
        Template::Make => {
            steps.run("build", &mut make())?;
            if !b.install_args.is_empty() {
                steps.run("stage", e.cmd("make").args(e.args(&b.install_args)))?;
            }
        }
        Template::Configure => {
            steps.run(
                "configure",
                e.cmd("./configure")
                    .args(["--host=aarch64-none-elf", "--prefix=/"])
                    .args(e.args(&b.configure_args)),
            )?;
            steps.run("build", &mut make())?;
            let mut install = e.args(&b.install_args);
            if install.is_empty() {
                install = vec![
                    "install".into(),
                    format!("DESTDIR={}", dirs.stage.display()),
                ];
            }
            steps.run("stage", e.cmd("make").args(install))?;
        }
        Template::Script => {
            let script = b.script.clone().unwrap_or_default();
            steps.run("script", e.cmd("sh").arg("-ec").arg(script))?;
        }
    }
    Ok(())
}

/// Copy the packaged files from the stage into the package root, and strip them.
fn select_files(
    steps: &Steps,
    recipe: &Recipe,
    sysroot: &Sysroot,
    dirs: &WorkDirs,
) -> Result<(), PortError> {
    for f in &recipe.package.files {
        let from = dirs.stage.join(f);
        if !from.exists() {
            return Err(PortError::MissingOutput {
                port: recipe.name.clone(),
                file: f.clone(),
                stage: dirs.stage.clone(),
                log: steps.log.clone(),
            });
        }
        copy_into(&from, &dirs.pkgroot.join(f))?;
    }
    if recipe.package.strip {
        let pkgroot = &dirs.pkgroot;
        for f in elf_files(pkgroot)? {
            steps.run(
                &format!("strip {}", f.strip_prefix(pkgroot).unwrap_or(&f).display()),
                Command::new(strip_tool(sysroot)).arg("--strip-all").arg(&f),
            )?;
        }
    }
    Ok(())
}

/// Build (or reuse) and package a port into `out_dir/<name>-<version>.swpkg`, signed with `key`.
pub fn package(
    env: &PortEnv,
    name: &str,
    out_dir: &Path,
    key: &ed25519_dalek::SigningKey,
) -> Result<Packaged, PortError> {
    let built = build(env, name)?;
    let (manifest, staged) = manifest_for(&built.recipe, &built.pkgroot)?;
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let out = out_dir.join(built.recipe.package_file_name());
    let pe = |source| PortError::Package {
        port: name.into(),
        source,
    };
    let opts = swpkg_host::BuildOptions::from_env().map_err(pe)?;
    swpkg_host::build::write_package(&manifest, &staged, key, opts, &out).map_err(pe)?;
    let sha256 = crate::fetch::sha256_file(&out)?;
    Ok(Packaged {
        path: out,
        sha256,
        manifest,
        log: built.log,
        build_hash: built.hash,
        cached: built.cached,
    })
}

/// The swpkg source manifest a recipe implies.
pub fn source_manifest(recipe: &Recipe) -> swpkg_host::SourceManifest {
    swpkg_host::SourceManifest {
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
) -> Result<(swpkg_core::Manifest, Vec<swpkg_host::build::Staged>), PortError> {
    let pe = |source| PortError::Package {
        port: recipe.name.clone(),
        source,
    };
    let staged = swpkg_host::build::scan_tree(pkgroot, &swpkg_core::Limits::DEFAULT).map_err(pe)?;
    let files = staged.iter().map(|s| s.entry.clone()).collect();
    let manifest = source_manifest(recipe)
        .to_manifest(
            Path::new(&format!("ports/{}/recipe.toml", recipe.name)),
            files,
        )
        .map_err(pe)?;
    Ok((manifest, staged))
}

/// The signing key: `path` if given, else the development key `<root>/build/keys/swport-dev.key`
/// (created on first use; taken over from `<root>/.cache/keys/` where an older swport left it).
pub fn signing_key(
    env: &PortEnv,
    path: Option<&Path>,
) -> Result<(ed25519_dalek::SigningKey, PathBuf), PortError> {
    if let Some(p) = path {
        return Ok((swpkg_keys::read_secret_key(p)?, p.to_owned()));
    }
    let dir = env.keys.clone();
    let p = dir.join("swport-dev.key");
    for file in ["swport-dev.key", "swport-dev.pub"] {
        env.adopt_legacy_key(file)?;
    }
    if !p.is_file() {
        swpkg_keys::keygen(&dir, "swport-dev")?;
    }
    Ok((swpkg_keys::read_secret_key(&p)?, p))
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
    fn the_clone_keeps_its_old_development_key_in_build_keys() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        let legacy = root.join(".cache/keys");
        swpkg_keys::keygen(&legacy, "swport-dev").unwrap();
        let old = std::fs::read(legacy.join("swport-dev.key")).unwrap();

        // A private keys folder (tests) never takes the clone's key.
        let mut env = PortEnv::with_cache(root, &root.join("cache"));
        env.keys = root.join("elsewhere");
        let (_, p) = signing_key(&env, None).unwrap();
        assert_eq!(p, root.join("elsewhere/swport-dev.key"));
        assert!(legacy.join("swport-dev.key").is_file());

        let env = PortEnv::with_cache(root, &root.join("cache"));
        let (_, p) = signing_key(&env, None).unwrap();
        assert_eq!(p, root.join("build/keys/swport-dev.key"));
        assert_eq!(std::fs::read(&p).unwrap(), old, "the same key, moved");
        assert!(p.with_extension("pub").is_file());
        assert!(!legacy.join("swport-dev.key").exists());
    }

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
