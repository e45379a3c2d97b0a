//! Generation files (`/pkg/generations/<N>.json`) and the `current` pointer: the store's own
//! on-disk records, parsed strictly (a damaged file is an error that names the file, never a panic).

use crate::layout;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Format number written in generation files.
pub const GENERATION_FORMAT: u32 = 1;
/// Largest generation file the client reads.
pub const MAX_GENERATION_BYTES: u64 = 4 << 20;
/// Largest `current` file the client reads.
pub const MAX_CURRENT_BYTES: u64 = 64;

/// A dependency as recorded in a generation (copied from the verified manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepRecord {
    /// Package or virtual name.
    pub name: String,
    /// Version requirement, as text.
    pub req: String,
}

/// One installed package in a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Installed {
    /// Package name.
    pub name: String,
    /// Installed version.
    pub version: semver::Version,
    /// `true` if the user asked for it (not only pulled in as a dependency).
    pub explicit: bool,
    /// Store directory name (`<name>-<version>`).
    pub store: String,
    /// Its dependencies.
    pub depends: Vec<DepRecord>,
    /// Virtual names it provides.
    pub provides: Vec<String>,
    /// Package names it cannot be installed with.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// One-line description.
    pub description: String,
    /// Where it came from.
    pub origin: Origin,
}

/// Where an installed package came from; written `"repo"` or `"file"` in generation files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The signed repository: `pkg upgrade` follows it, `pkg install NAME` pins it.
    Repo,
    /// A local `.swpkg` (`pkg install FILE --key PUB`): kept as installed, its dependencies too.
    File,
}

impl core::fmt::Display for Origin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Origin::Repo => "repo",
            Origin::File => "file",
        })
    }
}

/// A generation: the complete set of installed packages at one point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generation {
    /// [`GENERATION_FORMAT`].
    pub format: u32,
    /// This generation's number (equals the file name).
    pub generation: u64,
    /// The generation that was active when this one was made (0 = none).
    pub parent: u64,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// What made it (`install lua`, `rollback to 3`, ...).
    pub reason: String,
    /// Installed packages, sorted by name, unique.
    pub packages: Vec<Installed>,
}

/// What to do about a damaged generation file.
pub const GENERATION_HINT: &str =
    "restore it from a backup, or make another generation active by writing its number \
     (see /pkg/generations/) into /pkg/current";

/// A store record that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not valid JSON for the format.
    #[error("{path} is corrupt ({reason}); {hint}")]
    Syntax {
        /// The file.
        path: String,
        /// Parser message.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// Parses but breaks a rule.
    #[error("{path} is inconsistent: {reason}; {hint}")]
    Invalid {
        /// The file.
        path: String,
        /// Which rule.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
}

impl Generation {
    /// The empty generation 0 (nothing installed), used before the first install.
    pub fn empty() -> Self {
        Generation {
            format: GENERATION_FORMAT,
            generation: 0,
            parent: 0,
            created: 0,
            reason: String::from("empty"),
            packages: Vec::new(),
        }
    }

    /// Parse and validate generation `n` from the bytes of its file.
    pub fn parse(n: u64, bytes: &[u8]) -> Result<Self, RecordError> {
        let path = layout::generation_file(n);
        let g: Generation = serde_json::from_slice(bytes).map_err(|e| RecordError::Syntax {
            path: path.clone(),
            reason: e.to_string(),
            hint: GENERATION_HINT,
        })?;
        let invalid = |reason: String| RecordError::Invalid {
            path: path.clone(),
            reason,
            hint: GENERATION_HINT,
        };
        if g.format != GENERATION_FORMAT {
            return Err(invalid(format!(
                "format {} (this client knows {GENERATION_FORMAT})",
                g.format
            )));
        }
        if g.generation != n {
            return Err(invalid(format!(
                "it says it is generation {}",
                g.generation
            )));
        }
        if g.parent >= n {
            return Err(invalid(format!(
                "parent {} is not older than {n}",
                g.parent
            )));
        }
        let mut prev: Option<&str> = None;
        for p in &g.packages {
            if !valid_name(&p.name) {
                return Err(invalid(format!("bad package name {:?}", p.name)));
            }
            if let Some(prev) = prev {
                if prev >= p.name.as_str() {
                    return Err(invalid(format!(
                        "packages not sorted/unique at {:?}",
                        p.name
                    )));
                }
            }
            prev = Some(&p.name);
            if p.store != layout::store_id(&p.name, &p.version) {
                return Err(invalid(format!(
                    "package {} points at store {:?}",
                    p.name, p.store
                )));
            }
            for d in &p.depends {
                if !valid_name(&d.name) || d.req.parse::<semver::VersionReq>().is_err() {
                    return Err(invalid(format!(
                        "package {} has a bad dependency {:?}",
                        p.name, d.name
                    )));
                }
            }
        }
        Ok(g)
    }

    /// Canonical bytes of the file (pretty JSON, trailing newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Look a package up by name.
    pub fn get(&self, name: &str) -> Option<&Installed> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// Packages by name.
    pub fn by_name(&self) -> BTreeMap<&str, &Installed> {
        self.packages.iter().map(|p| (p.name.as_str(), p)).collect()
    }

    /// Installed packages that depend on `name` (directly, by name or on a name it provides).
    pub fn dependents_of(&self, name: &str) -> Vec<&Installed> {
        let target = match self.get(name) {
            Some(t) => t,
            None => return Vec::new(),
        };
        self.packages
            .iter()
            .filter(|p| p.name != name)
            .filter(|p| {
                p.depends
                    .iter()
                    .any(|d| d.name == target.name || target.provides.contains(&d.name))
            })
            .collect()
    }
}

/// Parse the `current` pointer file (`N` then a newline).
pub fn parse_current(bytes: &[u8]) -> Result<u64, RecordError> {
    let bad = |reason: &str| {
        RecordError::Syntax {
        path: String::from(layout::CURRENT),
        reason: String::from(reason),
        hint: "write the number of a readable generation from /pkg/generations/ into it (one line, e.g. `3`)",
    }
    };
    let text = core::str::from_utf8(bytes).map_err(|_| bad("not text"))?;
    let digits = text
        .strip_suffix('\n')
        .ok_or_else(|| bad("missing final newline"))?;
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected a generation number"));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(bad("leading zero"));
    }
    digits
        .parse::<u64>()
        .map_err(|_| bad("number out of range"))
}

/// Bytes of the `current` pointer file.
pub fn current_bytes(n: u64) -> Vec<u8> {
    format!("{n}\n").into_bytes()
}

/// Whether `name` is a valid package name: the one rule, [`swpkg_core::PackageName`].
pub fn valid_name(name: &str) -> bool {
    swpkg_core::PackageName::is_valid(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Generation {
        Generation {
            format: 1,
            generation: 2,
            parent: 1,
            created: 5,
            reason: "install a".into(),
            packages: alloc::vec![Installed {
                name: "a".into(),
                version: semver::Version::new(1, 0, 0),
                explicit: true,
                store: "a-1.0.0".into(),
                depends: alloc::vec![DepRecord {
                    name: "b".into(),
                    req: ">=1".into()
                }],
                provides: alloc::vec![],
                conflicts: alloc::vec![],
                description: String::new(),
                origin: Origin::Repo,
            }],
        }
    }

    #[test]
    fn round_trip() {
        let g = sample();
        assert_eq!(Generation::parse(2, &g.to_bytes()).unwrap(), g);
    }

    #[test]
    fn wrong_number_and_store_rejected() {
        let g = sample();
        assert!(matches!(
            Generation::parse(3, &g.to_bytes()),
            Err(RecordError::Invalid { .. })
        ));
        let mut g2 = sample();
        g2.packages[0].store = "../../etc".into();
        assert!(matches!(
            Generation::parse(2, &g2.to_bytes()),
            Err(RecordError::Invalid { .. })
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let good = sample().to_bytes();
        // Every truncation and a sweep of single-byte corruptions.
        for n in 0..good.len() {
            let _ = Generation::parse(2, &good[..n]);
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut b = good.clone();
            let i = (seed as usize) % b.len();
            b[i] = (seed >> 32) as u8;
            let _ = Generation::parse(2, &b);
            let _ = parse_current(&b[..(i % 16)]);
        }
        assert!(Generation::parse(2, b"").is_err());
        assert!(Generation::parse(2, b"\xff\xfe{").is_err());
    }

    #[test]
    fn current_pointer() {
        assert_eq!(parse_current(b"7\n"), Ok(7));
        assert_eq!(parse_current(&current_bytes(12)), Ok(12));
        for bad in [
            &b""[..],
            b"7",
            b"x\n",
            b"07\n",
            b"-1\n",
            b"99999999999999999999\n",
            b"1 \n",
        ] {
            assert!(parse_current(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dependents() {
        let mut g = sample();
        g.packages.push(Installed {
            name: "b".into(),
            version: semver::Version::new(1, 2, 0),
            explicit: false,
            store: "b-1.2.0".into(),
            depends: alloc::vec![],
            provides: alloc::vec![],
            conflicts: alloc::vec![],
            description: String::new(),
            origin: Origin::Repo,
        });
        assert_eq!(g.dependents_of("b").len(), 1);
        assert!(g.dependents_of("a").is_empty());
    }
}
