//! Transactions that add: `install` (repository or local file) and `upgrade`, over the shared
//! transaction steps (lock, stage, commit a new generation).

use super::*;

impl<P: Platform> Pkg<P> {
    /// Run `body` as one transaction: on error every staged or created file is removed again
    /// and the active generation is untouched.
    pub(super) fn transact(
        &mut self,
        body: impl FnOnce(&mut Self, &mut Transaction, &Generation) -> Result<Option<Generation>>,
    ) -> Result<Change> {
        self.lock()?;
        self.store().recover()?;
        let old = self.start_from()?;
        let mut tx = Transaction::new();
        let result = body(self, &mut tx, &old).and_then(|next| match next {
            None => Ok(None),
            Some(next) => {
                let mut st = Store::new(&mut self.p);
                tx.commit(&mut st, &next).map(|()| Some(next))
            }
        });
        match result {
            Ok(Some(next)) => {
                let (added, removed) = diff(&old, &next);
                let overlay = self.publish(&next);
                Ok(Change {
                    overlay,
                    from: old.generation,
                    to: next.generation,
                    added,
                    removed,
                })
            }
            Ok(None) => {
                tx.abort(&mut self.store());
                Ok(Change {
                    overlay: Overlay::Unchanged,
                    from: old.generation,
                    to: old.generation,
                    added: Vec::new(),
                    removed: Vec::new(),
                })
            }
            Err(e) => {
                tx.abort(&mut self.store());
                Err(e)
            }
        }
    }

    /// The generation a mutating command starts from ([`Pkg::in_use`]), saying so when it is
    /// not the one `current` names (the command's commit repairs `current`).
    pub(super) fn start_from(&mut self) -> Result<Generation> {
        let u = self.in_use()?;
        report::tell(&mut self.p, &Event::StartsFrom(&u));
        Ok(u.generation)
    }

    pub(super) fn next_generation(
        &mut self,
        old: &Generation,
        packages: Vec<Installed>,
        reason: String,
    ) -> Result<Generation> {
        let mut packages = packages;
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &packages {
            for c in &p.conflicts {
                if let Some(q) = packages
                    .iter()
                    .find(|q| &q.name == c || q.provides.contains(c))
                {
                    if q.name != p.name {
                        return Err(Error::Conflict {
                            a: format!("{} {}", p.name, p.version),
                            b: q.name.clone(),
                        });
                    }
                }
            }
        }
        let n = self.store().next_number()?;
        Ok(Generation {
            format: crate::generation::GENERATION_FORMAT,
            generation: n,
            parent: old.generation,
            created: self.p.now(),
            reason,
            packages,
        })
    }

    /// `pkg install FILE --key KEY`: install a local package file whose manifest is signed by
    /// `key`. Its dependencies must already be installed.
    pub fn install_file(&mut self, file: &str, key: &VerifyingKey) -> Result<Change> {
        let file = file.to_string();
        let key = *key;
        self.transact(move |me, tx, old| {
            let staged = Store::new(&mut me.p).stage(&file, &key, true)?;
            let m = staged.manifest.clone();
            tx.staged.push(staged);
            // A copy of the same id already in the store is used only if it is intact.
            let damaged = if Store::new(&mut me.p).has(&m.id())? {
                Some(me.check_store(&m.id())?).filter(|p| !p.is_empty())
            } else {
                None
            };
            let mut pkgs: Vec<Installed> = old
                .packages
                .iter()
                .filter(|p| p.name != m.name)
                .cloned()
                .collect();
            for d in &m.depends {
                if !satisfied(&pkgs, &d.name, &d.req) {
                    return Err(Error::MissingDependency {
                        name: m.name.clone(),
                        dependency: d.name.clone(),
                        req: d.req.to_string(),
                    });
                }
            }
            if let Some(same) = old.get(&m.name) {
                // Exactly this version, from the repository or a file: nothing to do (and the
                // record, with its origin, stays as it is).
                if same.version == m.version && damaged.is_none() && same.store == m.id() {
                    let event = Event::AlreadyInstalled {
                        name: &m.name,
                        version: &m.version,
                    };
                    report::tell(&mut me.p, &event);
                    return Ok(None);
                }
            }
            if let Some(problems) = damaged {
                let event = Event::Damaged {
                    name: &m.name,
                    version: &m.version,
                    problems: &problems,
                    repair: Repair::FromFile(store::file_name(&file)),
                };
                report::tell(&mut me.p, &event);
                tx.replace.push(m.id());
            }
            pkgs.push(store::installed_from(&m, true, Origin::File));
            let next =
                me.next_generation(old, pkgs, format!("install {}", store::file_name(&file)))?;
            Ok(Some(next))
        })
    }

    /// `pkg install NAME…`: resolve against the repository index, download, verify, install.
    pub fn install(&mut self, names: &[String]) -> Result<Change> {
        let names: Vec<String> = names.to_vec();
        self.transact(move |me, tx, old| {
            let mut requests: Vec<(String, VersionReq)> = Vec::new();
            for n in &names {
                let (name, req) = parse_request(n)?;
                requests.push((name, req));
            }
            let requested: BTreeSet<String> = requests.iter().map(|(n, _)| n.clone()).collect();
            me.apply_resolution(
                tx,
                old,
                requests,
                &requested,
                true,
                &format!("install {}", names.join(" ")),
            )
        })
    }

    /// `pkg upgrade`: move every package that came from the repository to the newest version
    /// the index allows.
    pub fn upgrade(&mut self) -> Result<Change> {
        self.transact(|me, tx, old| {
            let requests = old
                .packages
                .iter()
                .filter(|p| p.explicit && p.origin == Origin::Repo)
                .map(|p| (p.name.clone(), VersionReq::STAR))
                .collect();
            me.apply_resolution(tx, old, requests, &BTreeSet::new(), false, "upgrade")
        })
    }

    /// Resolve `requests` together with the installed packages, stage whatever is missing from
    /// the store, and build the next generation.
    pub(super) fn apply_resolution(
        &mut self,
        tx: &mut Transaction,
        old: &Generation,
        mut requests: Vec<(String, VersionReq)>,
        requested: &BTreeSet<String>,
        pin_installed: bool,
        reason: &str,
    ) -> Result<Option<Generation>> {
        let config = repo::load_config(&mut self.p)?;
        let (targets, index) = repo::cached_index(&mut self.p)?;
        let keys = config.keys_with(&index)?;
        for (name, _) in &requests {
            index.versions(name).map_err(Error::Index)?;
        }
        requests.extend(kept_requests(old, &index, requested, pin_installed));
        let resolution = index
            .universe()
            .resolve(&requests)
            .map_err(Error::Resolve)?;
        let root = cached_root(&mut self.p)?;
        let from = Sources {
            config: &config,
            root: &root,
            targets: &targets,
            index: &index,
            keys: &keys,
        };
        let mut pkgs: Vec<Installed> = Vec::new();
        // Installed packages whose damaged store copy was fetched again.
        let mut repaired = false;
        for (name, version) in &resolution.packages {
            let explicit = requested.contains(name) || old.get(name).is_some_and(|p| p.explicit);
            let (record, fetched_again) =
                self.place(tx, &from, old, (name, version), explicit, requested)?;
            repaired |= fetched_again;
            pkgs.push(record);
        }
        // Local packages are kept as they are (the resolver does not know them).
        for p in &old.packages {
            if p.origin == Origin::File && !pkgs.iter().any(|q| q.name == p.name) {
                pkgs.push(p.clone());
            }
        }
        if unchanged(old, &pkgs) && !repaired {
            report::tell(&mut self.p, &Event::NothingToDo);
            return Ok(None);
        }
        let next = self.next_generation(old, pkgs, reason.to_string())?;
        Ok(Some(next))
    }

    /// The record of resolved package `name version` in the next generation: the installed one
    /// kept, an intact store copy reused, or the package fetched and staged into `tx`. Returns
    /// it and whether a damaged store copy was fetched again.
    fn place(
        &mut self,
        tx: &mut Transaction,
        from: &Sources<'_>,
        old: &Generation,
        (name, version): (&String, &Version),
        explicit: bool,
        requested: &BTreeSet<String>,
    ) -> Result<(Installed, bool)> {
        let id = layout::store_id(name, version);
        // A store directory is reused only if it is intact; a package already installed is
        // checked when it is named on the command line (`pkg install lua` repairs lua).
        let kept = old
            .get(name)
            .filter(|cur| &cur.version == version && cur.origin == Origin::Repo);
        let check = kept.is_none() || requested.contains(name);
        let problems = if check && Store::new(&mut self.p).has(&id)? {
            self.check_store(&id)?
        } else {
            Vec::new()
        };
        if let Some(cur) = kept {
            if problems.is_empty() {
                let mut keep = cur.clone();
                keep.explicit = explicit;
                return Ok((keep, false));
            }
        }
        let pkg = from.index.get(name, version).ok_or_else(|| {
            Error::IndexMismatch(format!(
                "resolver chose {name} {version}, which is not published"
            ))
        })?;
        if problems.is_empty() && Store::new(&mut self.p).has(&id)? {
            let manifest = Store::new(&mut self.p).manifest(&id)?;
            return Ok((
                store::installed_from(&manifest, explicit, Origin::Repo),
                false,
            ));
        }
        let repaired = !problems.is_empty();
        if repaired {
            let event = Event::Damaged {
                name,
                version,
                problems: &problems,
                repair: Repair::Fetch,
            };
            report::tell(&mut self.p, &event);
            tx.replace.push(id.clone());
        }
        let staged =
            self.fetch_and_stage(from.config, from.root, from.targets, pkg, from.keys, tx)?;
        let record = store::installed_from(&staged.manifest, explicit, Origin::Repo);
        tx.staged.push(staged);
        Ok((record, repaired))
    }

    pub(super) fn fetch_and_stage(
        &mut self,
        config: &RepoConfig,
        root: &Root,
        targets: &Targets,
        pkg: &Package,
        keys: &[VerifyingKey],
        tx: &mut Transaction,
    ) -> Result<Staged> {
        let file = store::file_name(&pkg.target).to_string();
        let info = targets.targets.get(&pkg.target).ok_or_else(|| {
            Error::IndexMismatch(format!(
                "target {} vanished from targets metadata",
                pkg.target
            ))
        })?;
        let url = target_url(
            &config.targets_base(),
            &pkg.target,
            root.consistent_snapshot,
            &info.hashes,
        )?;
        let event = Event::Downloading {
            file: &file,
            bytes: info.length,
        };
        report::tell(&mut self.p, &event);
        let want = Expected {
            file: &file,
            length: info.length,
            hashes: &info.hashes,
        };
        let path = download::fetch_verified(&mut self.p, &url, &want)?;
        tx.downloads.push(path.clone());
        if keys.is_empty() {
            return Err(Error::Usage(
                "no package signing key is trusted for this repository; run `pkg repo set URL --root-key FILE` \
                 or add `--package-key FILE`"
                    .into(),
            ));
        }
        let mut last = None;
        for key in keys {
            match Store::new(&mut self.p).stage(&path, key, false) {
                Ok(s) => {
                    if s.manifest.name != pkg.meta.name || s.manifest.version != pkg.version {
                        let _ = self.p.remove_dir_all(&s.dir);
                        let _ = self.p.remove_file(&path);
                        return Err(Error::IndexMismatch(format!(
                            "{file} contains {} {}, but the repository lists it as {} {}",
                            s.manifest.name, s.manifest.version, pkg.meta.name, pkg.version
                        )));
                    }
                    return Ok(s);
                }
                Err(Error::Package {
                    source: PackageError::BadSignature { .. },
                    file: f,
                }) => {
                    last = Some(Error::Package {
                        file: f,
                        source: PackageError::BadSignature {
                            key: hex(key.as_bytes()),
                        },
                    });
                }
                Err(e) => {
                    let _ = self.p.remove_file(&path);
                    return Err(e);
                }
            }
        }
        let _ = self.p.remove_file(&path);
        Err(last.unwrap_or(Error::NoRepo))
    }
}

/// What a resolution is fetched from: the repository's configuration, trusted root, targets,
/// index and package keys.
struct Sources<'a> {
    config: &'a RepoConfig,
    root: &'a Root,
    targets: &'a Targets,
    index: &'a catalog_core::Index,
    keys: &'a [VerifyingKey],
}

/// What the installed packages add to a resolution: explicit repository packages stay at their
/// version (when `pin_installed`, i.e. install, not upgrade), and local packages keep their
/// dependencies. Packages named in `requested` are the user's to choose.
fn kept_requests(
    old: &Generation,
    index: &catalog_core::Index,
    requested: &BTreeSet<String>,
    pin_installed: bool,
) -> Vec<(String, VersionReq)> {
    let mut out = Vec::new();
    for p in old.packages.iter().filter(|p| !requested.contains(&p.name)) {
        if p.origin == Origin::Repo
            && p.explicit
            && pin_installed
            && index.get(&p.name, &p.version).is_some()
        {
            out.push((p.name.clone(), exact(&p.version)));
        }
        if p.origin == Origin::File {
            for d in &p.depends {
                if index.versions(&d.name).is_ok() {
                    if let Ok(req) = d.req.parse() {
                        out.push((d.name.clone(), req));
                    }
                }
            }
        }
    }
    out
}

/// Whether `pkgs` are the packages of `old`, at the same versions, each as explicit as before.
fn unchanged(old: &Generation, pkgs: &[Installed]) -> bool {
    let same_set = ids(old)
        == pkgs
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
    same_set
        && old.packages.iter().all(|p| {
            pkgs.iter()
                .any(|q| q.name == p.name && q.explicit == p.explicit)
        })
}
