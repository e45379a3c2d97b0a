//! Debian source-package indexes (`dists/<suite>/<component>/source/Sources`): finding the
//! `.orig.tar.*` of a source package, by package name and/or by the sha256 we expect.

/// One file of a source package, as listed in `Checksums-Sha256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Source package name.
    pub package: String,
    /// Debian version (`3.3.0-1.3+deb12u1`).
    pub version: String,
    /// Path under the archive root, e.g. `pool/main/n/newlib/newlib_3.3.0.orig.tar.gz`.
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// Scan a decompressed `Sources` index and return every file whose sha256 equals `sha256`
/// (lower-case hex). When `package` is given only that source package is considered.
/// Malformed stanzas are skipped; this never panics on garbage.
pub fn find_by_sha256(index: &str, package: Option<&str>, sha256: &str) -> Vec<SourceFile> {
    let mut out = Vec::new();
    for stanza in index.split("\n\n") {
        // Cheap pre-filter: most stanzas do not mention the hash at all.
        if !stanza.contains(sha256) {
            continue;
        }
        let Some(pkg) = field(stanza, "Package") else {
            continue;
        };
        if package.is_some_and(|p| p != pkg) {
            continue;
        }
        let version = field(stanza, "Version").unwrap_or_default();
        let Some(dir) = field(stanza, "Directory") else {
            continue;
        };
        for (sha, size, name) in checksum_lines(stanza) {
            if sha.eq_ignore_ascii_case(sha256) && is_safe_file_name(name) {
                out.push(SourceFile {
                    package: pkg.to_owned(),
                    version: version.to_owned(),
                    path: format!("{}/{}", dir.trim_matches('/'), name),
                    sha256: sha.to_ascii_lowercase(),
                    size,
                });
            }
        }
    }
    out
}

/// The pool directory Debian uses for a source package (`lib` packages get a 4-letter prefix).
pub fn pool_dir(component: &str, package: &str) -> Option<String> {
    if package.is_empty()
        || !package
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
    {
        return None;
    }
    let prefix = if package.starts_with("lib") && package.len() > 3 {
        &package[..4]
    } else {
        &package[..1]
    };
    Some(format!("pool/{component}/{prefix}/{package}"))
}

/// The upstream part of a Debian version: no epoch, no Debian revision.
pub fn upstream_version(debian_version: &str) -> &str {
    let v = debian_version
        .split_once(':')
        .map_or(debian_version, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(u, _)| u)
}

fn field<'a>(stanza: &'a str, name: &str) -> Option<&'a str> {
    stanza.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (!l.starts_with([' ', '\t']) && k == name).then(|| v.trim())
    })
}

/// The continuation lines of the `Checksums-Sha256` field: `(sha, size, name)`.
fn checksum_lines(stanza: &str) -> Vec<(&str, u64, &str)> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in stanza.lines() {
        if !l.starts_with([' ', '\t']) {
            inside = l.starts_with("Checksums-Sha256:");
            continue;
        }
        if !inside {
            continue;
        }
        let mut w = l.split_whitespace();
        if let (Some(sha), Some(size), Some(name)) = (w.next(), w.next(), w.next()) {
            if let Ok(size) = size.parse() {
                if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.push((sha, size, name));
                }
            }
        }
    }
    out
}

fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && name != ".." && name != "."
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_ORIG: &str = "58dd9e3eaedf519360d92d84205c3deef0b3fc286685d1c562e245914ef72c66";
    const INDEX: &str = "Package: newlib\n\
Binary: libnewlib-dev\n\
Version: 3.3.0-1.3+deb12u1\n\
Files:\n \
c72ac2468c9971f6cdb2d3d1317db7c7 2304 newlib_3.3.0-1.3+deb12u1.dsc\n\
Checksums-Sha256:\n \
e6326404ef649f767d024a4c6b0e8318f8ef6c990dbf2057fa4b6c072dbdfc46 2304 newlib_3.3.0-1.3+deb12u1.dsc\n \
58dd9e3eaedf519360d92d84205c3deef0b3fc286685d1c562e245914ef72c66 18361083 newlib_3.3.0.orig.tar.gz\n\
Directory: pool/main/n/newlib\n\
Section: devel\n\
\n\
Package: newlisp\n\
Version: 10.7.5-2\n\
Directory: pool/main/n/newlisp\n";

    #[test]
    fn finds_orig_by_hash() {
        let hits = find_by_sha256(INDEX, None, SHA_ORIG);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].path, "pool/main/n/newlib/newlib_3.3.0.orig.tar.gz");
        assert_eq!(hits[0].size, 18361083);
        assert_eq!(hits[0].version, "3.3.0-1.3+deb12u1");
        assert!(find_by_sha256(INDEX, Some("newlisp"), SHA_ORIG).is_empty());
        assert_eq!(find_by_sha256(INDEX, Some("newlib"), SHA_ORIG).len(), 1);
        assert!(find_by_sha256(INDEX, None, &"0".repeat(64)).is_empty());
    }

    #[test]
    fn pool_and_versions() {
        assert_eq!(
            pool_dir("main", "lua5.4").as_deref(),
            Some("pool/main/l/lua5.4")
        );
        assert_eq!(
            pool_dir("main", "libarchive").as_deref(),
            Some("pool/main/liba/libarchive")
        );
        assert_eq!(pool_dir("main", "../etc"), None);
        assert_eq!(pool_dir("main", ""), None);
        assert_eq!(upstream_version("1:2.3.4-5"), "2.3.4");
        assert_eq!(upstream_version("5.4.4-3+deb12u1"), "5.4.4");
        assert_eq!(upstream_version("3.3.0"), "3.3.0");
    }

    #[test]
    fn garbage_and_truncation_never_panic() {
        for cut in 0..INDEX.len() {
            if INDEX.is_char_boundary(cut) {
                let _ = find_by_sha256(&INDEX[..cut], None, SHA_ORIG);
            }
        }
        let evil = format!(
            "Package: x\nDirectory: pool\nChecksums-Sha256:\n {SHA_ORIG} 1 ../../etc/passwd\n {SHA_ORIG} notanumber f\n"
        );
        assert!(find_by_sha256(&evil, None, SHA_ORIG).is_empty());
    }
}
