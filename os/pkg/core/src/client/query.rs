//! Queries on the store: `list`, `generations`, `files`, `verify`.

use super::*;

impl<P: Platform> Pkg<P> {
    /// `pkg list`: the generation in use (see [`Pkg::in_use`] for the whole story).
    pub fn list(&mut self) -> Result<Generation> {
        Ok(self.in_use()?.generation)
    }

    /// All generations (number, parent, reason, package count), oldest first.
    pub fn generations(&mut self) -> Result<Vec<Generation>> {
        let nums = self.store().generation_numbers()?;
        nums.into_iter()
            .map(|n| self.store().generation(n))
            .collect()
    }

    /// `pkg files NAME`: the entries of an installed package, from its verified manifest.
    pub fn files(&mut self, name: &str) -> Result<(String, Vec<Entry>)> {
        let g = self.in_use()?.generation;
        let i = g.get(name).ok_or_else(|| Error::UnknownPackage {
            name: name.into(),
            where_: "installed",
        })?;
        let id = i.store.clone();
        let m = self.store().manifest(&id)?;
        Ok((
            layout::join(&layout::store_dir(&id), store::PAYLOAD_DIR),
            m.files,
        ))
    }

    /// `pkg verify [NAME]`: re-check installed files against their verified manifests (kind,
    /// size, sha256, symlink target). Returns one line per problem; empty means intact.
    pub fn verify(&mut self, name: Option<&str>) -> Result<Vec<String>> {
        let g = match self.store().current() {
            Ok(g) => g,
            Err(e) => {
                // The recorded generation is unreadable: that is the first problem; the
                // generation in use is checked too.
                let u = self.in_use()?;
                let mut problems = alloc::vec![format!(
                    "{e} (the generation {} names; generation {} is in use)",
                    layout::CURRENT,
                    u.generation.generation
                )];
                problems.extend(self.verify_generation(&u.generation, name)?);
                return Ok(problems);
            }
        };
        if let Some(n) = name {
            if g.get(n).is_none() {
                return Err(Error::UnknownPackage {
                    name: n.into(),
                    where_: "installed",
                });
            }
        }
        self.verify_generation(&g, name)
    }

    /// Check the packages of `g` (or only `name`) against their manifests; one line per problem.
    pub fn verify_generation(&mut self, g: &Generation, name: Option<&str>) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for p in g
            .packages
            .iter()
            .filter(|p| name.is_none_or(|n| n == p.name))
        {
            let who = format!("{} {}", p.name, p.version);
            for problem in self.check_store(&p.store)? {
                problems.push(format!("{who}: {problem}"));
            }
        }
        Ok(problems)
    }

    /// Check one store directory against its manifest (every entry present, of the right kind,
    /// files of the right size and sha256, symlinks pointing where they should). One line per
    /// problem, without the package name; empty means intact.
    pub fn check_store(&mut self, id: &str) -> Result<Vec<String>> {
        use crate::platform::{NodeKind, Source};
        use sha2::Digest;
        let mut problems = Vec::new();
        let mut buf = alloc::vec![0u8; 64 << 10];
        {
            if !self.store().has(id)? {
                problems.push(format!(
                    "{} is missing from the store",
                    layout::store_dir(id)
                ));
                return Ok(problems);
            }
            let m = match self.store().manifest(id) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(format!("{e}"));
                    return Ok(problems);
                }
            };
            let base = layout::join(&layout::store_dir(id), store::PAYLOAD_DIR);
            // The overlay layers this directory, even for a package without files.
            if self.p.metadata(&base)?.map(|m| m.kind) != Some(NodeKind::Dir) {
                problems.push(format!("its payload directory {base} is missing"));
                return Ok(problems);
            }
            for e in &m.files {
                let path = layout::join(&base, &e.path);
                let want = match e.kind {
                    swpkg_core::EntryKind::File => NodeKind::File,
                    swpkg_core::EntryKind::Dir => NodeKind::Dir,
                    swpkg_core::EntryKind::Symlink => NodeKind::Symlink,
                };
                let meta = match self.p.metadata(&path)? {
                    Some(meta) => meta,
                    None => {
                        problems.push(format!("/{} is missing", e.path));
                        continue;
                    }
                };
                if meta.kind != want {
                    problems.push(format!("/{} is not a {}", e.path, e.kind.as_str()));
                    continue;
                }
                match e.kind {
                    swpkg_core::EntryKind::File => {
                        if meta.size != e.size {
                            problems.push(format!(
                                "/{} is {} bytes, expected {}",
                                e.path, meta.size, e.size
                            ));
                            continue;
                        }
                        let mut h = sha2::Sha256::new();
                        let mut f = match self.p.open(&path) {
                            Ok(f) => f,
                            Err(err) => {
                                problems.push(format!("/{}: {err}", e.path));
                                continue;
                            }
                        };
                        let mut failed = None;
                        loop {
                            match f.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => h.update(&buf[..n]),
                                Err(err) => {
                                    failed = Some(err);
                                    break;
                                }
                            }
                        }
                        if let Some(err) = failed {
                            problems.push(format!("/{} cannot be read: {err}", e.path));
                            continue;
                        }
                        let got = swpkg_core::Sha256(h.finalize().into());
                        if Some(got) != e.sha256 {
                            problems.push(format!("/{} content changed (sha256 {got})", e.path));
                        }
                    }
                    swpkg_core::EntryKind::Symlink => {
                        let t = self.p.read_link(&path)?;
                        if Some(t.as_str()) != e.link.as_deref() {
                            problems.push(format!("/{} points to {t}", e.path));
                        }
                    }
                    swpkg_core::EntryKind::Dir => {}
                }
            }
        }
        Ok(problems)
    }
}
