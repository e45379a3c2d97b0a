//! The package manifest: typed fields, canonical JSON encoding and validation.
//!
//! The manifest is JSON in one canonical form: the compact output of serializing [`Manifest`]
//! (object keys in sorted order, no whitespace, integers only, minimal string escapes,
//! non-ASCII as raw UTF-8). A reader re-encodes what it parsed and refuses the manifest unless
//! the bytes are identical, so every manifest has exactly one encoding and the signature covers
//! exactly what is interpreted.

use crate::error::PackageError;
use crate::limits::Limits;
use crate::name::{NameError, PackageName};
use crate::path::{parent, validate_path, validate_symlink};
use crate::{hex, ABI_VERSION, ARCH, FORMAT_VERSION};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::name::MAX_NAME_BYTES;
/// Longest description.
pub const MAX_DESCRIPTION_BYTES: usize = 4096;
/// Longest licence expression.
pub const MAX_LICENSE_BYTES: usize = 256;
/// Most dependencies, provides or conflicts (each).
pub const MAX_RELATIONS: usize = 256;

/// A package manifest (format 1). Field order is alphabetical: it is the canonical key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// SwiftOS ABI version the package was built for (`swiftos_abi::ABI_VERSION`).
    pub abi: u32,
    /// Target architecture, always `aarch64`.
    pub arch: String,
    /// Package names that cannot be installed together with this one (sorted, unique).
    pub conflicts: Vec<String>,
    /// Dependencies (sorted by name, unique names).
    pub depends: Vec<Dependency>,
    /// One-paragraph description.
    pub description: String,
    /// Every payload entry, sorted by path (byte order).
    pub files: Vec<Entry>,
    /// Manifest format version, [`FORMAT_VERSION`].
    pub format: u32,
    /// SPDX licence expression.
    pub license: String,
    /// Package name: `[a-z0-9][a-z0-9._+-]*`, at most 64 bytes.
    pub name: String,
    /// Virtual package names this package also satisfies (sorted, unique).
    pub provides: Vec<String>,
    /// Package version (semver).
    pub version: semver::Version,
}

/// A dependency on another package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Package (or provided virtual) name.
    pub name: String,
    /// Accepted versions.
    pub req: semver::VersionReq,
}

/// Kind of a payload entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
}

impl EntryKind {
    /// Lower-case name, as in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
        }
    }
}

/// One payload entry. Field order is alphabetical (canonical key order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Entry kind.
    pub kind: EntryKind,
    /// Symlink target (symlinks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Permission bits: files 0644 or 0755, directories 0755, symlinks 0777.
    pub mode: Mode,
    /// Relative path inside the package.
    pub path: String,
    /// SHA-256 of the content (files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    /// Content size in bytes (0 for directories and symlinks).
    pub size: u64,
}

/// Permission bits, encoded in the manifest as a four-digit octal string such as `"0755"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mode(pub u32);

impl Mode {
    /// Regular file.
    pub const FILE: Mode = Mode(0o644);
    /// Executable file.
    pub const EXEC: Mode = Mode(0o755);
    /// Directory.
    pub const DIR: Mode = Mode(0o755);
    /// Symlink.
    pub const SYMLINK: Mode = Mode(0o777);
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let ok = s.len() == 4 && s.bytes().all(|b| (b'0'..=b'7').contains(&b));
        if !ok {
            return Err(serde::de::Error::custom("mode must be four octal digits"));
        }
        Ok(Mode(
            u32::from_str_radix(&s, 8).map_err(serde::de::Error::custom)?,
        ))
    }
}

/// A SHA-256 digest, encoded as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Hash bytes in one go.
    pub fn digest(data: &[u8]) -> Self {
        use sha2::Digest;
        Sha256(sha2::Sha256::digest(data).into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode::<32>(&s)
            .map(Sha256)
            .ok_or_else(|| serde::de::Error::custom("sha256 must be 64 lower-case hex digits"))
    }
}

#[derive(Deserialize)]
struct FormatProbe {
    format: u32,
}

fn field(field: impl Into<String>, reason: impl Into<String>) -> PackageError {
    PackageError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Check a package name: `[a-z0-9][a-z0-9._+-]*`, 1..=64 bytes ([`PackageName::check`], the
/// one rule; kept as a function for callers that want the reason as text).
pub fn validate_name(name: &str) -> Result<(), NameError> {
    PackageName::check(name)
}

fn validate_names(what: &str, names: &[String]) -> Result<(), PackageError> {
    if names.len() > MAX_RELATIONS {
        return Err(field(what, format!("more than {MAX_RELATIONS} names")));
    }
    for (i, n) in names.iter().enumerate() {
        validate_name(n).map_err(|r| field(format!("{what}[{i}]"), format!("{n:?} {r}")))?;
        if i > 0 && names[i - 1] >= *n {
            return Err(field(what, "must be sorted and unique"));
        }
    }
    Ok(())
}

impl Manifest {
    /// Parse signed manifest bytes: format probe, strict JSON, canonical-form check, then
    /// [`Manifest::validate`]. Call only on bytes whose signature has been verified (or, for
    /// inspection, knowingly on unverified bytes).
    pub fn from_canonical_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, PackageError> {
        let probe: FormatProbe =
            serde_json::from_slice(bytes).map_err(|e| PackageError::ManifestSyntax {
                reason: e.to_string(),
            })?;
        if probe.format != FORMAT_VERSION {
            return Err(PackageError::UnsupportedFormat {
                found: probe.format,
            });
        }
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| PackageError::ManifestSyntax {
                reason: e.to_string(),
            })?;
        if m.to_canonical_bytes() != bytes {
            return Err(PackageError::NonCanonicalManifest);
        }
        m.validate(limits)?;
        Ok(m)
    }

    /// The canonical JSON encoding (the bytes that are signed).
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        // Serializing plain structs of strings, integers and vectors cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// `name-version`, the conventional file stem.
    pub fn id(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// Sum of all file sizes.
    pub fn payload_bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add)
    }

    /// Look up an entry by path (files are sorted, so this is a binary search).
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.files
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Check every rule of `docs/PACKAGE_FORMAT.md` except the canonical encoding.
    pub fn validate(&self, limits: &Limits) -> Result<(), PackageError> {
        if self.format != FORMAT_VERSION {
            return Err(PackageError::UnsupportedFormat { found: self.format });
        }
        if self.arch != ARCH {
            return Err(PackageError::WrongArch {
                found: self.arch.clone(),
            });
        }
        if self.abi != ABI_VERSION {
            return Err(PackageError::AbiMismatch {
                package: self.abi,
                system: ABI_VERSION,
            });
        }
        validate_name(&self.name).map_err(|r| field("name", format!("{:?} {r}", self.name)))?;
        if self.description.len() > MAX_DESCRIPTION_BYTES {
            return Err(field("description", "longer than 4096 bytes"));
        }
        if self.license.is_empty() || self.license.len() > MAX_LICENSE_BYTES {
            return Err(field("license", "must be 1 to 256 bytes"));
        }
        if self.depends.len() > MAX_RELATIONS {
            return Err(field(
                "depends",
                format!("more than {MAX_RELATIONS} dependencies"),
            ));
        }
        for (i, d) in self.depends.iter().enumerate() {
            validate_name(&d.name)
                .map_err(|r| field(format!("depends[{i}].name"), format!("{:?} {r}", d.name)))?;
            if d.name == self.name {
                return Err(field(
                    format!("depends[{i}]"),
                    "a package cannot depend on itself",
                ));
            }
            if i > 0 && self.depends[i - 1].name >= d.name {
                return Err(field("depends", "must be sorted by name, each name once"));
            }
        }
        validate_names("provides", &self.provides)?;
        validate_names("conflicts", &self.conflicts)?;
        self.validate_files(limits)
    }

    fn validate_files(&self, limits: &Limits) -> Result<(), PackageError> {
        if self.files.len() > limits.max_entries {
            return Err(PackageError::TooManyEntries {
                count: self.files.len(),
                limit: limits.max_entries,
            });
        }
        let mut dirs: BTreeSet<&str> = BTreeSet::new();
        let mut total: u64 = 0;
        let mut previous: Option<&str> = None;
        for e in &self.files {
            let p = e.path.as_str();
            validate_path(p, limits.max_path_bytes)?;
            if let Some(prev) = previous {
                if prev == p {
                    return Err(PackageError::DuplicatePath {
                        path: p.to_string(),
                    });
                }
                if prev > p {
                    return Err(PackageError::NotSorted {
                        path: p.to_string(),
                        previous: prev.to_string(),
                    });
                }
            }
            previous = Some(p);
            if let Some(par) = parent(p) {
                if !dirs.contains(par) {
                    return Err(PackageError::MissingParent {
                        path: p.to_string(),
                    });
                }
            }
            let bad = |what: &str| field(format!("files[{p}]"), what.to_string());
            match e.kind {
                EntryKind::File => {
                    if e.sha256.is_none() || e.link.is_some() {
                        return Err(bad("a file has sha256 and no link"));
                    }
                    if e.mode != Mode::FILE && e.mode != Mode::EXEC {
                        return Err(bad("file mode must be 0644 or 0755"));
                    }
                    if e.size > limits.max_file_bytes {
                        return Err(PackageError::FileTooLarge {
                            path: p.to_string(),
                            size: e.size,
                            limit: limits.max_file_bytes,
                        });
                    }
                    total = total.saturating_add(e.size);
                    if total > limits.max_total_bytes {
                        return Err(PackageError::TotalTooLarge {
                            limit: limits.max_total_bytes,
                        });
                    }
                }
                EntryKind::Dir => {
                    if e.sha256.is_some() || e.link.is_some() || e.size != 0 {
                        return Err(bad("a directory has no sha256, no link and size 0"));
                    }
                    if e.mode != Mode::DIR {
                        return Err(bad("directory mode must be 0755"));
                    }
                    dirs.insert(p);
                }
                EntryKind::Symlink => {
                    let Some(target) = &e.link else {
                        return Err(bad("a symlink needs a link target"));
                    };
                    if e.sha256.is_some() || e.size != 0 {
                        return Err(bad("a symlink has no sha256 and size 0"));
                    }
                    if e.mode != Mode::SYMLINK {
                        return Err(bad("symlink mode must be 0777"));
                    }
                    validate_symlink(p, target, limits.max_path_bytes)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec;

    pub fn sample() -> Manifest {
        Manifest {
            abi: ABI_VERSION,
            arch: ARCH.into(),
            conflicts: vec![],
            depends: vec![Dependency {
                name: "zlib".into(),
                req: "^1.2".parse().unwrap(),
            }],
            description: "The Lua \"language\"\n".into(),
            files: vec![
                Entry {
                    kind: EntryKind::Dir,
                    link: None,
                    mode: Mode::DIR,
                    path: "bin".into(),
                    sha256: None,
                    size: 0,
                },
                Entry {
                    kind: EntryKind::File,
                    link: None,
                    mode: Mode::EXEC,
                    path: "bin/lua".into(),
                    sha256: Some(Sha256::digest(b"lua")),
                    size: 3,
                },
                Entry {
                    kind: EntryKind::Symlink,
                    link: Some("lua".into()),
                    mode: Mode::SYMLINK,
                    path: "bin/lua5.4".into(),
                    sha256: None,
                    size: 0,
                },
            ],
            format: 1,
            license: "MIT".into(),
            name: "lua".into(),
            provides: vec![],
            version: "5.4.6".parse().unwrap(),
        }
    }

    #[test]
    fn canonical_round_trip_and_sorted_keys() {
        let m = sample();
        let bytes = m.to_canonical_bytes();
        let back = Manifest::from_canonical_bytes(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(back, m);
        // serde_json::Value maps are BTreeMaps: re-encoding sorts keys. Same bytes = sorted.
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(serde_json::to_vec(&v).unwrap(), bytes);
        assert!(bytes.starts_with(b"{\"abi\":1,\"arch\":\"aarch64\",\"conflicts\":[]"));
    }

    #[test]
    fn string_escapes_are_minimal() {
        let mut m = sample();
        m.description = "q\"b\\c\u{1f}\u{8}\n\u{7f}é".into();
        let bytes = m.to_canonical_bytes();
        let s = core::str::from_utf8(&bytes).unwrap();
        let expected = "\"description\":\"q\\\"b\\\\c\\u001f\\b\\n\u{7f}é\"";
        assert!(s.contains(expected), "{s}");
        assert_eq!(
            Manifest::from_canonical_bytes(&bytes, &Limits::DEFAULT),
            Ok(m)
        );
        // The same text with an unnecessary escape is not canonical.
        let alt = s.replace("é", "\\u00e9");
        assert_eq!(
            Manifest::from_canonical_bytes(alt.as_bytes(), &Limits::DEFAULT),
            Err(PackageError::NonCanonicalManifest)
        );
    }

    #[test]
    fn non_canonical_is_refused() {
        let bytes = sample().to_canonical_bytes();
        let mut spaced = bytes.clone();
        spaced.insert(1, b' ');
        assert_eq!(
            Manifest::from_canonical_bytes(&spaced, &Limits::DEFAULT),
            Err(PackageError::NonCanonicalManifest)
        );
        let s = String::from_utf8(bytes).unwrap().replace("^1.2", ">= 1.2");
        assert_eq!(
            Manifest::from_canonical_bytes(s.as_bytes(), &Limits::DEFAULT),
            Err(PackageError::NonCanonicalManifest)
        );
    }

    #[test]
    fn unknown_fields_and_formats() {
        let s = String::from_utf8(sample().to_canonical_bytes()).unwrap();
        let extra = s.replacen("{\"abi\"", "{\"aaa\":1,\"abi\"", 1);
        assert!(matches!(
            Manifest::from_canonical_bytes(extra.as_bytes(), &Limits::DEFAULT),
            Err(PackageError::ManifestSyntax { .. })
        ));
        let f2 = s.replace("\"format\":1", "\"format\":2");
        assert_eq!(
            Manifest::from_canonical_bytes(f2.as_bytes(), &Limits::DEFAULT),
            Err(PackageError::UnsupportedFormat { found: 2 })
        );
    }

    #[test]
    fn garbage_never_panics() {
        let bytes = sample().to_canonical_bytes();
        for cut in 0..bytes.len() {
            assert!(Manifest::from_canonical_bytes(&bytes[..cut], &Limits::DEFAULT).is_err());
        }
        let mut x = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut b = bytes.clone();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let i = x as usize % b.len();
            b[i] = (x >> 8) as u8;
            let _ = Manifest::from_canonical_bytes(&b, &Limits::DEFAULT);
        }
    }

    #[test]
    fn validation_rules() {
        let l = Limits::DEFAULT;
        let mut m = sample();
        m.arch = "x86_64".into();
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::WrongArch { .. })
        ));
        let mut m = sample();
        m.abi = 99;
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::AbiMismatch { package: 99, .. })
        ));
        let mut m = sample();
        m.name = "Lua".into();
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::InvalidField { .. })
        ));
        let mut m = sample();
        m.files.swap(1, 2);
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::NotSorted { .. })
        ));
        let mut m = sample();
        m.files.insert(1, m.files[1].clone());
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::DuplicatePath { .. })
        ));
        let mut m = sample();
        m.files.remove(0);
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::MissingParent { .. })
        ));
        let mut m = sample();
        m.files[2].link = Some("../../etc/passwd".into());
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::SymlinkEscapes { .. })
        ));
        let mut m = sample();
        m.files[1].mode = Mode(0o4755);
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::InvalidField { .. })
        ));
        let mut m = sample();
        m.files[1].size = l.max_file_bytes + 1;
        assert!(matches!(
            m.validate(&l),
            Err(PackageError::FileTooLarge { .. })
        ));
        let small = Limits {
            max_entries: 2,
            ..l
        };
        assert!(matches!(
            sample().validate(&small),
            Err(PackageError::TooManyEntries { count: 3, limit: 2 })
        ));
    }
}
