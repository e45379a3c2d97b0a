//! `seed/seed.toml`: the seed repository's name, channel and ports.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::SeedError;

/// The seed repository definition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedConfig {
    /// Repository name (`hosted-repo.json`'s `name`).
    pub name: String,
    /// Channel name.
    pub channel: String,
    /// The ports (directories of `ports/`) packaged into the seed.
    pub ports: Vec<String>,
}

impl SeedConfig {
    /// `ROOT/seed/seed.toml`, the checked-in definition.
    pub fn path_in(repo_root: &Path) -> PathBuf {
        repo_root.join("seed/seed.toml")
    }

    /// Parse `text` (read from `path`, named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<SeedConfig, SeedError> {
        toml::from_str(text).map_err(|e| SeedError::Config {
            path: path.into(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Read and parse `path`.
    pub fn load(path: &Path) -> Result<SeedConfig, SeedError> {
        let text = std::fs::read_to_string(path).map_err(SeedError::io("cannot read", path))?;
        SeedConfig::parse(&text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        SeedConfig::parse(text, Path::new("seed.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_good_file_parses() {
        let c = SeedConfig::parse(
            "# c\nname = \"s\"\nchannel = \"dev\"\nports = [\"lua\", \"zlib\"]\n",
            Path::new("seed.toml"),
        )
        .unwrap();
        assert_eq!((c.name.as_str(), c.channel.as_str()), ("s", "dev"));
        assert_eq!(c.ports, ["lua", "zlib"]);
    }

    #[test]
    fn an_unquoted_string_is_refused_with_its_place() {
        let e = parse_err("name = s\n");
        assert!(e.starts_with("seed.toml: "), "{e}");
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let e = parse_err("name = \"s\"\nchannel = \"c\"\nports = []\nbogus = \"x\"\n");
        assert!(e.contains("unknown field `bogus`"), "{e}");
        assert!(e.contains("line 4"), "{e}");
    }

    #[test]
    fn a_missing_key_is_named() {
        let e = parse_err("name = \"s\"\nchannel = \"c\"\n");
        assert!(e.contains("missing field `ports`"), "{e}");
    }

    #[test]
    fn ports_must_be_strings() {
        let e = parse_err("name = \"s\"\nchannel = \"c\"\nports = [1]\n");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn the_checked_in_seed_config_is_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = SeedConfig::load(&SeedConfig::path_in(root)).unwrap();
        assert!(c.ports.iter().any(|p| p == "lua"));
    }
}
