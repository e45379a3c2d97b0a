//! Transactions that take away or go back: `remove`, `gc`, `rollback`.

use super::*;

impl<P: Platform> Pkg<P> {
    /// `pkg remove NAME…`: a new generation without the named packages (and without
    /// dependencies nothing needs any more). Refuses while other installed packages depend on
    /// them unless `force`.
    pub fn remove(&mut self, names: &[String], force: bool) -> Result<Change> {
        let names: Vec<String> = names.to_vec();
        self.transact(move |me, _tx, old| {
            for n in &names {
                if old.get(n).is_none() {
                    return Err(Error::UnknownPackage {
                        name: n.clone(),
                        where_: "installed",
                    });
                }
                let dependents: Vec<String> = old
                    .dependents_of(n)
                    .into_iter()
                    .filter(|d| !names.contains(&d.name))
                    .map(|d| format!("{} {}", d.name, d.version))
                    .collect();
                if !dependents.is_empty() && !force {
                    return Err(Error::Needed {
                        name: n.clone(),
                        dependents: dependents.join(", "),
                    });
                }
            }
            let mut pkgs: Vec<Installed> = old
                .packages
                .iter()
                .filter(|p| !names.contains(&p.name))
                .cloned()
                .collect();
            // Drop dependencies that were pulled in automatically and are needed no more.
            loop {
                let g = Generation {
                    packages: pkgs.clone(),
                    ..Generation::empty()
                };
                let before = pkgs.len();
                pkgs.retain(|p| p.explicit || !g.dependents_of(&p.name).is_empty());
                if pkgs.len() == before {
                    break;
                }
            }
            let next = me.next_generation(old, pkgs, format!("remove {}", names.join(" ")))?;
            Ok(Some(next))
        })
    }

    /// `pkg gc --keep N`: delete all but the active generation and the `keep` generations on
    /// its parent chain, then every store directory no remaining generation uses. Returns
    /// (generations deleted, store directories deleted). The active generation is never touched;
    /// rollback keeps working `keep` steps back.
    pub fn gc(&mut self, keep: usize) -> Result<(usize, usize)> {
        self.lock()?;
        self.store().recover()?;
        let u = self.in_use()?;
        let cur = u.generation;
        let mut kept: BTreeSet<u64> = BTreeSet::new();
        kept.insert(cur.generation);
        // A damaged generation `current` still names is kept too, if its file reads (`pkg
        // verify` reports on it; the next commit moves `current` away from it).
        if let Some(n) = u.recorded.and_then(|r| r.number) {
            if self.store().generation(n).is_ok() {
                kept.insert(n);
            }
        }
        let mut at = cur.parent;
        while at != 0 && kept.len() <= keep {
            kept.insert(at);
            at = self.store().generation(at)?.parent;
        }
        // Read every kept generation first: a damaged one stops gc before anything is deleted.
        let mut used: BTreeSet<String> = BTreeSet::new();
        for &n in &kept {
            for p in self.store().generation(n)?.packages {
                used.insert(p.store);
            }
        }
        let mut gens = 0;
        for n in self.store().generation_numbers()? {
            if !kept.contains(&n) {
                self.p.remove_file(&layout::generation_file(n))?;
                gens += 1;
            }
        }
        let mut dirs = 0;
        let names = match self.p.list(layout::STORE) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for name in names {
            if !used.contains(&name) {
                self.p.remove_dir_all(&layout::store_dir(&name))?;
                dirs += 1;
            }
        }
        Ok((gens, dirs))
    }

    /// `pkg rollback`: make the previous generation active again (one atomic rename).
    pub fn rollback(&mut self) -> Result<Change> {
        self.lock()?;
        self.store().recover()?;
        let old = self.start_from()?;
        if old.generation == 0 {
            return Err(Error::NoPrevious(0));
        }
        if old.parent != 0
            && self
                .p
                .metadata(&layout::generation_file(old.parent))?
                .is_none()
        {
            return Err(Error::Usage(format!(
                "generation {} (the one before {}) was deleted by `pkg gc`; cannot roll back further",
                old.parent, old.generation
            )));
        }
        let prev = self.store().generation(old.parent)?;
        for p in &prev.packages {
            if !self.store().has(&p.store)? {
                return Err(Error::Usage(format!(
                    "generation {} needs {} which is no longer in the store; cannot roll back",
                    prev.generation, p.store
                )));
            }
        }
        // Never switch to a generation whose files are damaged.
        let problems = self.verify_generation(&prev, None)?;
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" and {} more problem(s)", n - 1),
            };
            return Err(Error::Damaged(format!(
                "cannot roll back to generation {}: it is damaged ({first}{more}); `pkg install` \
                 of that version fetches a damaged package again",
                prev.generation
            )));
        }
        self.store().point_current(prev.generation)?;
        let (added, removed) = diff(&old, &prev);
        let overlay = self.publish(&prev);
        Ok(Change {
            overlay,
            from: old.generation,
            to: prev.generation,
            added,
            removed,
        })
    }
}
