//! Reading the machine's apt configuration to find the Debian archive mirrors it already uses.
//!
//! Both formats are understood: one-line `sources.list` entries (`deb [opts] URI SUITE COMP...`)
//! and deb822 `*.sources` stanzas (`Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled:`).
//! Nothing here knows a host name: every mirror comes from the configuration files.

use std::path::{Path, PathBuf};

/// One apt source: a set of archive URIs with their suites and components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AptSource {
    /// `deb` and/or `deb-src`.
    pub types: Vec<String>,
    /// Archive roots, without a trailing slash.
    pub uris: Vec<String>,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    /// The file this entry came from (for messages).
    pub origin: PathBuf,
}

/// A (URI, suite, component) triple where a `Sources` index may live.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArchiveLocation {
    pub uri: String,
    pub suite: String,
    pub component: String,
}

impl ArchiveLocation {
    /// URL of the compressed source index of this suite/component.
    pub fn sources_gz_url(&self) -> String {
        format!(
            "{}/dists/{}/{}/source/Sources.gz",
            self.uri, self.suite, self.component
        )
    }
}

/// Parse deb822 `.sources` text. Stanzas are separated by blank lines; `#` lines are comments;
/// continuation lines start with white space. Stanzas with `Enabled: no` are skipped.
pub fn parse_deb822(text: &str, origin: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut Vec<AptSource>| {
        if fields.is_empty() {
            return;
        }
        let get = |k: &str| -> Vec<String> {
            fields
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(k))
                .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned))
                .collect()
        };
        let enabled = get("Enabled");
        let disabled = enabled
            .first()
            .is_some_and(|v| v.eq_ignore_ascii_case("no") || v.eq_ignore_ascii_case("false"));
        let src = AptSource {
            types: get("Types"),
            uris: get("URIs")
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            suites: get("Suites"),
            components: get("Components"),
            origin: origin.to_owned(),
        };
        if !disabled && !src.uris.is_empty() && !src.suites.is_empty() {
            out.push(src);
        }
        fields.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut fields, &mut out);
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(trimmed);
            }
            continue;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            fields.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    flush(&mut fields, &mut out);
    out
}

/// Parse one-line-format `sources.list` text.
pub fn parse_one_line(text: &str, origin: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut rest = line;
        let kind = match rest.split_whitespace().next() {
            Some(k @ ("deb" | "deb-src")) => k.to_owned(),
            _ => continue,
        };
        rest = rest[kind.len()..].trim_start();
        // Optional `[ key=value ... ]` block.
        if let Some(after) = rest.strip_prefix('[') {
            match after.find(']') {
                Some(end) => rest = after[end + 1..].trim_start(),
                None => continue,
            }
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(AptSource {
            types: vec![kind],
            uris: vec![uri.trim_end_matches('/').to_owned()],
            suites: vec![suite.to_owned()],
            components: words.map(str::to_owned).collect(),
            origin: origin.to_owned(),
        });
    }
    out
}

/// Load every source under `root` (normally `/`): `etc/apt/sources.list` and the `*.list` /
/// `*.sources` files of `etc/apt/sources.list.d/` (other names, e.g. `*.disabled`, are ignored
/// exactly as apt ignores them). Unreadable files are skipped.
pub fn load_sources(root: &Path) -> Vec<AptSource> {
    let mut out = Vec::new();
    let main = root.join("etc/apt/sources.list");
    if let Ok(text) = std::fs::read_to_string(&main) {
        out.extend(parse_one_line(&text, &main));
    }
    let dir = root.join("etc/apt/sources.list.d");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        match f.extension().and_then(|e| e.to_str()) {
            Some("list") => out.extend(parse_one_line(&text, &f)),
            Some("sources") => out.extend(parse_deb822(&text, &f)),
            _ => {}
        }
    }
    out
}

/// Every (URI, suite, component) of the configured sources, in configuration order, without
/// duplicates. Only `http(s)`/`file` URIs are kept. Suites without components (flat
/// repositories) are skipped: they have no `dists/` tree.
pub fn archive_locations(sources: &[AptSource]) -> Vec<ArchiveLocation> {
    let mut out: Vec<ArchiveLocation> = Vec::new();
    for s in sources {
        for uri in &s.uris {
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                continue;
            }
            for suite in &s.suites {
                if suite.ends_with('/') {
                    continue;
                }
                for comp in &s.components {
                    let loc = ArchiveLocation {
                        uri: uri.clone(),
                        suite: suite.clone(),
                        component: comp.clone(),
                    };
                    if !out.contains(&loc) {
                        out.push(loc);
                    }
                }
            }
        }
    }
    out
}

/// The distinct archive roots, in configuration order.
pub fn archive_uris(sources: &[AptSource]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for loc in archive_locations(sources) {
        if !out.contains(&loc.uri) {
            out.push(loc.uri);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEB822: &str = "Types: deb deb-src\n\
# a comment\n\
URIs: http://mirror.example/debian/\n\
Suites: bookworm bookworm-updates\n\
Components: main contrib\n\
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\
\n\
Types: deb\n\
URIs: http://disabled.example/debian\n\
Suites: bookworm\n\
Components: main\n\
Enabled: no\n\
\n\
Types: deb\n\
URIs: http://sec.example/debian-security\n\
Suites: bookworm-security\n\
Components:\n main\n";

    #[test]
    fn deb822_stanzas() {
        let s = parse_deb822(DEB822, Path::new("x.sources"));
        assert_eq!(s.len(), 2, "disabled stanza must be skipped: {s:?}");
        assert_eq!(s[0].types, ["deb", "deb-src"]);
        assert_eq!(s[0].uris, ["http://mirror.example/debian"]);
        assert_eq!(s[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(s[1].components, ["main"], "continuation line");
        let locs = archive_locations(&s);
        assert_eq!(locs.len(), 5);
        assert_eq!(
            locs[0].sources_gz_url(),
            "http://mirror.example/debian/dists/bookworm/main/source/Sources.gz"
        );
    }

    #[test]
    fn one_line_format() {
        let text = "# comment\n\
deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian bookworm main non-free # trailing\n\
deb-src http://a.example/debian bookworm main\n\
deb cdrom:[Debian]/ bookworm main\n\
garbage line here\n\
deb [unterminated http://b.example bookworm main\n\
deb http://flat.example/repo ./\n";
        let s = parse_one_line(text, Path::new("sources.list"));
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].uris, ["http://a.example/debian"]);
        assert_eq!(s[0].components, ["main", "non-free"]);
        let uris = archive_uris(&s);
        assert_eq!(
            uris,
            ["http://a.example/debian"],
            "cdrom and flat repos dropped"
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "\n\n",
            ":",
            "Types",
            "URIs: \n",
            "deb",
            "deb [",
            "\u{0}\u{ff}:\n x",
        ] {
            let _ = parse_deb822(text, Path::new("g"));
            let _ = parse_one_line(text, Path::new("g"));
        }
    }

    #[test]
    fn load_from_a_root_ignores_other_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/apt/sources.list.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("debian.sources"), DEB822).unwrap();
        std::fs::write(
            d.join("other.list.disabled-by-someone"),
            "deb http://no.example/x y z\n",
        )
        .unwrap();
        std::fs::write(
            d.join("extra.list"),
            "deb http://c.example/debian sid main\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/apt/sources.list"),
            "deb http://first.example/debian bookworm main\n",
        )
        .unwrap();
        let s = load_sources(dir.path());
        let uris = archive_uris(&s);
        assert_eq!(
            uris,
            [
                "http://first.example/debian",
                "http://mirror.example/debian",
                "http://sec.example/debian-security",
                "http://c.example/debian"
            ]
        );
    }
}
