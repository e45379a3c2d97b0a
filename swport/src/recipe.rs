//! Typed port recipes (`ports/<name>/recipe.toml`) and the port catalog (`ports/catalog.json`).
//!
//! Parsing is strict (`deny_unknown_fields`); semantic checks (hash shape, semver, patch files,
//! dependency names and cycles) report the file and the field at fault.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A port recipe.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Package name (`[a-z0-9][a-z0-9+._-]*`), equal to the port directory name.
    pub name: String,
    /// Package version (semver).
    pub version: String,
    /// SPDX licence expression.
    pub license: String,
    /// One-line description.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    pub source: Source,
    pub build: Build,
    pub package: Package,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Smoke>,
}

/// Where the source comes from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Source {
    /// Upstream tarball URL (mandatory).
    pub url: String,
    /// sha256 of the exact tarball (mandatory, 64 lower-case hex digits).
    pub sha256: String,
    /// Debian source package shipping the same tarball as its `.orig.tar.*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debian_package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debian_version: Option<String>,
    /// Leading path components removed when unpacking (default 1).
    #[serde(default = "one")]
    pub strip_components: u32,
    /// Patch files, relative to the port directory, applied with `patch -p1` in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<String>,
}

fn one() -> u32 {
    1
}

/// How the build runs.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    /// `make <make-args>` then `make <install-args>`.
    Make,
    /// `./configure --host=aarch64-none-elf --prefix=/ <configure-args>`, make, `make install DESTDIR=$STAGE`.
    Configure,
    /// `sh -ec <script>`.
    Script,
}

/// The build section.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Build {
    pub template: Template,
    /// Parallel jobs (default: the command line's `--jobs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<u32>,
    /// Extra environment. Values may use `${CC}`, `${AR}`, `${RANLIB}`, `${STAGE}`, `${SRC}`,
    /// `${SYSROOT}`, `${JOBS}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configure_args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub make_args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub install_args: Vec<String>,
    /// Sub-directory of the source tree to build in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

/// What goes into the package.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Package {
    /// Paths under the stage directory to package (files, or directories taken whole).
    pub files: Vec<String>,
    /// Runtime dependencies: name = semver requirement.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends: BTreeMap<String, String>,
    /// Strip ELF files (default true).
    #[serde(default = "yes")]
    pub strip: bool,
}

fn yes() -> bool {
    true
}

/// A smoke test to run inside SwiftOS.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Smoke {
    pub command: String,
    /// Text the output must contain.
    pub expect: String,
}

/// Recipe and catalog errors: always the file and, where known, the field.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: field `{field}`: {message}")]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("no port named `{name}` (looked for {path})")]
    NoSuchPort { name: String, path: PathBuf },
}

fn field_err(path: &Path, field: &str, message: impl Into<String>) -> RecipeError {
    RecipeError::Field {
        path: path.to_owned(),
        field: field.into(),
        message: message.into(),
    }
}

/// Whether `s` is a valid package name: the one rule, [`swpkg_core::PackageName`].
pub fn valid_name(s: &str) -> bool {
    swpkg_core::PackageName::is_valid(s)
}

/// Whether `p` is a safe relative path (no `..`, not absolute, not empty).
fn safe_rel(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\0')
        && p.split('/').all(|c| !c.is_empty() && c != ".." && c != ".")
}

impl Recipe {
    /// Parse recipe text (syntax and types only).
    pub fn parse(text: &str, path: &Path) -> Result<Recipe, RecipeError> {
        toml::from_str(text).map_err(|e| RecipeError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    /// Read, parse and validate `path` (a `recipe.toml` inside its port directory).
    pub fn load(path: &Path) -> Result<Recipe, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Read {
            path: path.to_owned(),
            source,
        })?;
        let r = Recipe::parse(&text, path)?;
        r.validate(path)?;
        Ok(r)
    }

    /// Semantic checks. `path` is the recipe file; patches are looked up beside it.
    pub fn validate(&self, path: &Path) -> Result<(), RecipeError> {
        if !valid_name(&self.name) {
            return Err(field_err(
                path,
                "name",
                format!(
                    "`{}` is not a valid package name ([a-z0-9][a-z0-9+._-]*)",
                    self.name
                ),
            ));
        }
        if let Some(dir) = path.parent().and_then(|d| d.file_name()) {
            if dir.to_string_lossy() != self.name {
                return Err(field_err(
                    path,
                    "name",
                    format!(
                        "`{}` differs from the port directory `{}`",
                        self.name,
                        dir.to_string_lossy()
                    ),
                ));
            }
        }
        if let Err(e) = semver::Version::parse(&self.version) {
            return Err(field_err(
                path,
                "version",
                format!(
                    "`{}` is not a semantic version (MAJOR.MINOR.PATCH): {e}",
                    self.version
                ),
            ));
        }
        if self.license.trim().is_empty() {
            return Err(field_err(path, "license", "must not be empty"));
        }
        if self.summary.trim().is_empty() || self.summary.contains('\n') {
            return Err(field_err(path, "summary", "must be one non-empty line"));
        }
        let s = &self.source;
        if !(s.url.starts_with("https://") || s.url.starts_with("http://"))
            || crate::fetch::file_name_of(&s.url).is_none()
        {
            return Err(field_err(
                path,
                "source.url",
                format!("`{}` is not an http(s) URL ending in a file name", s.url),
            ));
        }
        if s.sha256.len() != 64
            || !s
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(field_err(
                path,
                "source.sha256",
                format!("`{}` is not 64 lower-case hexadecimal digits", s.sha256),
            ));
        }
        if s.debian_version.is_some() && s.debian_package.is_none() {
            return Err(field_err(
                path,
                "source.debian-version",
                "given without source.debian-package",
            ));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        for (i, p) in s.patches.iter().enumerate() {
            let field = format!("source.patches[{i}]");
            if !safe_rel(p) {
                return Err(field_err(
                    path,
                    &field,
                    format!("`{p}` must be a relative path inside the port directory"),
                ));
            }
            if !dir.join(p).is_file() {
                return Err(field_err(
                    path,
                    &field,
                    format!("patch file `{}` does not exist", dir.join(p).display()),
                ));
            }
        }
        let b = &self.build;
        if b.template == Template::Script && b.script.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err(field_err(
                path,
                "build.script",
                "template = \"script\" needs a script",
            ));
        }
        if b.template != Template::Script && b.script.is_some() {
            return Err(field_err(
                path,
                "build.script",
                "only allowed with template = \"script\"",
            ));
        }
        if b.template != Template::Configure && !b.configure_args.is_empty() {
            return Err(field_err(
                path,
                "build.configure-args",
                "only allowed with template = \"configure\"",
            ));
        }
        if b.jobs == Some(0) {
            return Err(field_err(path, "build.jobs", "must be at least 1"));
        }
        if let Some(sd) = &b.subdir {
            if !safe_rel(sd) {
                return Err(field_err(
                    path,
                    "build.subdir",
                    format!("`{sd}` must be a relative path"),
                ));
            }
        }
        for k in b.env.keys() {
            let ok = !k.is_empty()
                && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                && !k.as_bytes()[0].is_ascii_digit();
            if !ok {
                return Err(field_err(
                    path,
                    &format!("build.env.{k}"),
                    "not a valid variable name",
                ));
            }
        }
        if self.package.files.is_empty() {
            return Err(field_err(
                path,
                "package.files",
                "must list at least one staged path",
            ));
        }
        for (i, f) in self.package.files.iter().enumerate() {
            if !safe_rel(f) {
                return Err(field_err(
                    path,
                    &format!("package.files[{i}]"),
                    format!("`{f}` must be a relative path without `..`"),
                ));
            }
        }
        for (dep, req) in &self.package.depends {
            let field = format!("package.depends.{dep}");
            if !valid_name(dep) {
                return Err(field_err(path, &field, "not a valid package name"));
            }
            if dep == &self.name {
                return Err(field_err(path, &field, "a package cannot depend on itself"));
            }
            if let Err(e) = semver::VersionReq::parse(req) {
                return Err(field_err(
                    path,
                    &field,
                    format!("`{req}` is not a version requirement: {e}"),
                ));
            }
        }
        if let Some(sm) = &self.smoke {
            if sm.command.trim().is_empty() {
                return Err(field_err(path, "smoke.command", "must not be empty"));
            }
        }
        Ok(())
    }

    /// The source as the fetcher wants it.
    pub fn source_spec(&self) -> crate::fetch::SourceSpec {
        crate::fetch::SourceSpec {
            url: self.source.url.clone(),
            sha256: self.source.sha256.clone(),
            debian_package: self.source.debian_package.clone(),
            debian_version: self.source.debian_version.clone(),
        }
    }

    /// The package file name this recipe produces.
    pub fn package_file_name(&self) -> String {
        format!("{}-{}.swpkg", self.name, self.version)
    }
}

/// `ports/catalog.json`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Catalog format version (1).
    pub format: u32,
    pub ports: Vec<CatalogEntry>,
}

/// One port of the catalog; must agree with its recipe.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    pub name: String,
    pub version: String,
    pub license: String,
    pub summary: String,
    /// Recipe path relative to `ports/`.
    pub recipe: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends: BTreeMap<String, String>,
}

/// The ports tree.
pub struct Ports {
    pub dir: PathBuf,
}

impl Ports {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Ports { dir: dir.into() }
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.dir.join("catalog.json")
    }

    pub fn recipe_path(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("recipe.toml")
    }

    /// Load and validate one recipe by port name.
    pub fn recipe(&self, name: &str) -> Result<Recipe, RecipeError> {
        let path = self.recipe_path(name);
        if !valid_name(name) || !path.is_file() {
            return Err(RecipeError::NoSuchPort {
                name: name.into(),
                path,
            });
        }
        Recipe::load(&path)
    }

    /// Parse `catalog.json` (syntax and types).
    pub fn catalog(&self) -> Result<Catalog, RecipeError> {
        let path = self.catalog_path();
        let text = std::fs::read_to_string(&path).map_err(|source| RecipeError::Read {
            path: path.clone(),
            source,
        })?;
        let c: Catalog = serde_json::from_str(&text).map_err(|e| RecipeError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(c)
    }

    /// Full validation: the catalog parses, every entry matches its recipe, every recipe
    /// directory is listed, names are unique, dependencies exist and have no cycle.
    pub fn validate_catalog(&self) -> Result<Catalog, RecipeError> {
        let c = self.catalog()?;
        let path = self.catalog_path();
        if c.format != 1 {
            return Err(field_err(
                &path,
                "format",
                format!("unsupported format {}; expected 1", c.format),
            ));
        }
        let mut seen = BTreeMap::new();
        for (i, e) in c.ports.iter().enumerate() {
            let f = |k: &str| format!("ports[{i}].{k}");
            if seen.insert(e.name.clone(), i).is_some() {
                return Err(field_err(
                    &path,
                    &f("name"),
                    format!("duplicate port `{}`", e.name),
                ));
            }
            if e.recipe != format!("{}/recipe.toml", e.name) {
                return Err(field_err(
                    &path,
                    &f("recipe"),
                    format!("expected `{}/recipe.toml`, found `{}`", e.name, e.recipe),
                ));
            }
            let r = self.recipe(&e.name).map_err(|err| match err {
                RecipeError::NoSuchPort { path: p, .. } => field_err(
                    &path,
                    &f("recipe"),
                    format!("{} does not exist", p.display()),
                ),
                other => other,
            })?;
            let mismatch = |k: &str, cat: &str, rec: &str| {
                field_err(
                    &path,
                    &f(k),
                    format!("`{cat}` differs from the recipe's `{rec}`"),
                )
            };
            if e.version != r.version {
                return Err(mismatch("version", &e.version, &r.version));
            }
            if e.license != r.license {
                return Err(mismatch("license", &e.license, &r.license));
            }
            if e.summary != r.summary {
                return Err(mismatch("summary", &e.summary, &r.summary));
            }
            if e.depends != r.package.depends {
                return Err(field_err(
                    &path,
                    &f("depends"),
                    "differs from the recipe's package.depends",
                ));
            }
        }
        for (i, e) in c.ports.iter().enumerate() {
            for (dep, req) in &e.depends {
                let Some(&j) = seen.get(dep) else {
                    return Err(field_err(
                        &path,
                        &format!("ports[{i}].depends.{dep}"),
                        format!("`{dep}` is not a port of this catalog"),
                    ));
                };
                let req = semver::VersionReq::parse(req).map_err(|err| {
                    field_err(&path, &format!("ports[{i}].depends.{dep}"), err.to_string())
                })?;
                let v = semver::Version::parse(&c.ports[j].version).map_err(|err| {
                    field_err(&path, &format!("ports[{j}].version"), err.to_string())
                })?;
                if !req.matches(&v) {
                    return Err(field_err(
                        &path,
                        &format!("ports[{i}].depends.{dep}"),
                        format!("requirement `{req}` is not met by {dep} {v}"),
                    ));
                }
            }
        }
        if let Some(cycle) = find_cycle(&c) {
            return Err(field_err(
                &path,
                "ports[].depends",
                format!("dependency cycle: {}", cycle.join(" -> ")),
            ));
        }
        // Every port directory with a recipe must be listed.
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            let mut dirs: Vec<String> = rd
                .flatten()
                .filter(|e| e.path().join("recipe.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            for d in dirs {
                if !seen.contains_key(&d) {
                    return Err(field_err(
                        &path,
                        "ports",
                        format!("port directory `{d}` has a recipe but is not listed"),
                    ));
                }
            }
        }
        Ok(c)
    }
}

/// A dependency cycle among catalog entries, as a name path, if any.
pub fn find_cycle(c: &Catalog) -> Option<Vec<String>> {
    let deps: BTreeMap<&str, Vec<&str>> = c
        .ports
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.depends.keys().map(String::as_str).collect(),
            )
        })
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn dfs<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(n, 1);
        stack.push(n);
        for &d in deps.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            match state.get(d).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|&s| s == d).unwrap_or(0);
                    let mut cyc: Vec<String> =
                        stack[start..].iter().map(|s| s.to_string()).collect();
                    cyc.push(d.to_string());
                    return Some(cyc);
                }
                0 => {
                    if let Some(c) = dfs(d, deps, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    for &n in deps.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            if let Some(c) = dfs(n, &deps, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}
