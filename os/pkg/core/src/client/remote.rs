//! The repository: `pkg repo set`, `pkg update` (the TUF chain), and the queries on its index
//! (`search`, `info`).

use super::*;

impl<P: Platform> Pkg<P> {
    /// The system's pinned repository root key ([`layout::PINNED_ROOT_KEY`]).
    pub fn pinned_root_key(&mut self) -> Result<VerifyingKey> {
        let path = layout::PINNED_ROOT_KEY;
        let shown = self.p.shown(path);
        let bytes = self.p.read(path, 4096).map_err(|e| {
            if e.is_not_found() {
                Error::Usage(format!(
                    "no pinned repository root key ({shown} is missing); give --root-key FILE \
                     (the repository's repo-root.pub) or --trusted-root ROOT_JSON"
                ))
            } else {
                Error::Fs(e)
            }
        })?;
        let text = core::str::from_utf8(&bytes)
            .map_err(|_| Error::Usage(format!("{path}: not a public key file (not text)")))?;
        swpkg_core::parse_public_key(text)
            .map_err(|e| Error::Usage(format!("{path}: not a public key file: {e}")))
    }

    /// `pkg update URL`: `pkg repo set URL` with the pinned root key, then `pkg update`.
    pub fn update_from(&mut self, url: &str) -> Result<usize> {
        let key = self.pinned_root_key()?;
        self.repo_set(url, TrustedRoot::Key(PublicKey::Ed25519(key)), &[])?;
        self.update()
    }

    /// `pkg repo set URL`: record the repository and its trusted root. Cached metadata of a
    /// previous repository is dropped.
    pub fn repo_set(
        &mut self,
        url: &str,
        root: TrustedRoot,
        package_keys: &[VerifyingKey],
    ) -> Result<()> {
        let url = checked_url(url)?;
        self.lock()?;
        let mut keys: Vec<String> = package_keys.iter().map(|k| hex(k.as_bytes())).collect();
        let config = RepoConfig {
            url: url.clone(),
            metadata_path: "metadata".into(),
            targets_path: "targets".into(),
            package_keys: Vec::new(),
        };
        let bytes = match root {
            TrustedRoot::File(bytes) => {
                repo::check_root(&bytes, None)?;
                bytes
            }
            TrustedRoot::Key(key) => {
                let u = join_url(&config.metadata_base(), "1.root.json");
                let bytes = repo::fetch_small(&mut self.p, &u, 512_000).map_err(|e| {
                    use catalog_core::client::FetchError as F;
                    Error::Usage(match e {
                        F::NotFound => format!(
                            "{u} does not exist (HTTP 404): is {url} a SwiftOS repository (URL/metadata, URL/targets)?"
                        ),
                        F::TooLarge => format!("{u} is larger than 512000 bytes: not a root metadata file"),
                        F::Other(m) => format!("cannot download the root metadata: {m}"),
                    })
                })?;
                repo::check_root(&bytes, Some(&key))?;
                if let PublicKey::Ed25519(key) = key {
                    let k = hex(key.as_bytes());
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                bytes
            }
        };
        let config = RepoConfig {
            package_keys: keys,
            ..config
        };
        // Replace the trust store: the new root, no cached metadata of the old repository.
        self.p.create_dir_all(layout::METADATA_DIR)?;
        for role in [Role::Timestamp, Role::Snapshot, Role::Targets] {
            match self.p.remove_file(&layout::metadata_file(role.name())) {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
        }
        repo::write_atomic(&mut self.p, &layout::metadata_file("root"), &bytes)?;
        self.save_config(&config)
    }

    /// The same repository at another URL (a mirror, or its DNS name instead of an address):
    /// keep the trusted root, the verified metadata and the package keys, change only where
    /// they are fetched from. Used to hand a store prepared on the host to the guest.
    pub fn repo_relocate(&mut self, url: &str) -> Result<()> {
        let url = checked_url(url)?;
        self.lock()?;
        let config = RepoConfig {
            url,
            ..repo::load_config(&mut self.p)?
        };
        self.save_config(&config)
    }

    /// Write `repo.json` and say what is now trusted.
    fn save_config(&mut self, config: &RepoConfig) -> Result<()> {
        repo::save_config(&mut self.p, config)?;
        let event = Event::RepoSet {
            url: &config.url,
            package_keys: config.package_keys.len(),
        };
        report::tell(&mut self.p, &event);
        Ok(())
    }

    /// `pkg update`: refresh the signed metadata; returns the number of packages available.
    pub fn update(&mut self) -> Result<usize> {
        self.lock()?;
        let index = repo::update(&mut self.p)?;
        let n = index.packages().len();
        let refused = index.refused().len();
        let event = Event::Updated {
            available: n,
            refused,
        };
        report::tell(&mut self.p, &event);
        Ok(n)
    }

    /// `pkg search TEXT`.
    pub fn search(&mut self, text: &str) -> Result<Vec<Hit>> {
        let (_, index) = repo::cached_index(&mut self.p)?;
        let g = self.in_use()?.generation;
        let hits: Vec<Hit> = index
            .search(text)
            .into_iter()
            .map(|p| Hit {
                name: p.meta.name.clone(),
                version: p.version.clone(),
                description: p.meta.description.clone(),
                installed: g.get(&p.meta.name).map(|i| i.version.clone()),
            })
            .collect();
        Ok(hits)
    }

    /// `pkg info NAME`: repository facts (when available) and the installed record.
    pub fn info(&mut self, name: &str) -> Result<Info> {
        let installed = self.in_use()?.generation.get(name).cloned();
        let index = match repo::cached_index(&mut self.p) {
            Ok((_, i)) => Some(i),
            Err(Error::NoRepo | Error::NotUpdated) if installed.is_some() => None,
            Err(e) if installed.is_none() => return Err(e),
            Err(_) => None,
        };
        let releases: &[Package] = match &index {
            Some(i) => i.versions(name).unwrap_or(&[]),
            None => &[],
        };
        if releases.is_empty() && installed.is_none() {
            return Err(Error::UnknownPackage {
                name: name.into(),
                where_: "in the repository or installed",
            });
        }
        let (description, depends, size) = match (releases.first(), &installed) {
            (Some(p), _) => (
                p.meta.description.clone(),
                p.meta
                    .deps
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                Some(p.length),
            ),
            (None, Some(i)) => (
                i.description.clone(),
                i.depends
                    .iter()
                    .map(|d| (d.name.clone(), d.req.clone()))
                    .collect(),
                None,
            ),
            (None, None) => (String::new(), Vec::new(), None),
        };
        Ok(Info {
            name: name.into(),
            published: releases.iter().map(|p| p.version.clone()).collect(),
            description,
            depends,
            download_size: size,
            installed,
        })
    }
}

/// `url` if it is an http(s) URL naming a host, without a trailing `/`.
fn checked_url(url: &str) -> Result<String> {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return Err(Error::Usage(format!(
            "repository URL {url:?} has no http:// in front; e.g. http://{}/",
            url.trim_end_matches('/')
        )));
    };
    if rest.is_empty() || rest.starts_with('/') || rest.starts_with(':') {
        return Err(Error::Usage(format!(
            "repository URL {url:?} names no host; e.g. http://repo.swiftos.test:8080/"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}
