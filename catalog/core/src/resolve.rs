//! Dependency resolution over `semver` requirements: picks the newest version of every package
//! that satisfies all requirements (depth-first, newest first, with forward checking and
//! chronological backtracking), explains an unsatisfiable request as a requirement chain, refuses
//! dependency cycles, and returns an install order with dependencies first.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use semver::{Version, VersionReq};

/// Resolution failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No combination of published versions satisfies the request.
    #[error("cannot satisfy the request: {explanation}")]
    Unsatisfiable {
        /// The first conflict met on the newest-first search, as a requirement chain, e.g.
        /// `app 1.0.0 needs a ^1 → a 1.2.0 needs b >=2, only b 1.9.0 is published`.
        explanation: String,
    },
    /// The chosen packages depend on each other in a cycle.
    #[error("dependency cycle: {}", chain.join(" → "))]
    Cycle {
        /// `name version` entries, the first repeated at the end.
        chain: Vec<String>,
    },
    /// The search exceeded its step budget.
    #[error("dependency resolution gave up after trying {steps} candidate versions")]
    TooComplex {
        /// Steps taken.
        steps: u64,
    },
}

/// The outcome: packages to install, dependencies before their dependents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `(name, version)` in install order.
    pub packages: Vec<(String, Version)>,
}

impl Resolution {
    /// The chosen version of `name`.
    pub fn version_of(&self, name: &str) -> Option<&Version> {
        self.packages
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
struct Release {
    version: Version,
    deps: Vec<(usize, VersionReq)>,
}

/// All published releases, names interned for speed.
#[derive(Debug, Clone, Default)]
pub struct Universe {
    names: Vec<String>,
    ids: BTreeMap<String, usize>,
    releases: Vec<Vec<Release>>,
}

/// Default step budget of [`Universe::resolve`].
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

struct Constraint<'a> {
    req: &'a VersionReq,
    from: Option<(usize, usize)>,
}

struct Frame {
    pkg: usize,
    candidates: Vec<usize>,
    next: usize,
    cursor: usize,
    agenda_len: usize,
    log_len: usize,
    conflicts: Vec<usize>,
}

impl Universe {
    /// An empty universe.
    pub fn new() -> Universe {
        Universe::default()
    }

    fn intern(&mut self, name: &str) -> usize {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len();
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        self.releases.push(Vec::new());
        id
    }

    /// Publish `name version` with its dependencies (a repeated version replaces the earlier).
    pub fn add(&mut self, name: &str, version: Version, deps: &[(String, VersionReq)]) {
        let id = self.intern(name);
        let deps = deps
            .iter()
            .map(|(d, r)| (self.intern(d), r.clone()))
            .collect();
        let list = &mut self.releases[id];
        // Kept sorted newest first.
        match list.binary_search_by(|r| version.cmp(&r.version)) {
            Ok(i) => list[i] = Release { version, deps },
            Err(i) => list.insert(i, Release { version, deps }),
        }
    }

    /// Number of published releases.
    pub fn release_count(&self) -> usize {
        self.releases.iter().map(Vec::len).sum()
    }

    /// Resolve with the default step budget.
    pub fn resolve(&self, requests: &[(String, VersionReq)]) -> Result<Resolution, ResolveError> {
        self.resolve_with_limit(requests, DEFAULT_MAX_STEPS)
    }

    /// Resolve `requests` (name, requirement), trying at most `max_steps` candidate versions.
    pub fn resolve_with_limit(
        &self,
        requests: &[(String, VersionReq)],
        max_steps: u64,
    ) -> Result<Resolution, ResolveError> {
        let n = self.names.len();
        let mut chosen: Vec<Option<usize>> = vec![None; n];
        let mut cons: Vec<Vec<Constraint<'_>>> = (0..n).map(|_| Vec::new()).collect();
        let mut log: Vec<usize> = Vec::new();
        let mut agenda: Vec<usize> = Vec::new();
        for (name, req) in requests {
            let Some(&id) = self.ids.get(name.as_str()) else {
                return Err(ResolveError::Unsatisfiable {
                    explanation: format!(
                        "the request needs {name} {req}, but {name} is not published"
                    ),
                });
            };
            cons[id].push(Constraint { req, from: None });
            log.push(id);
            if !self.has_candidate(id, &cons[id]) {
                return Err(ResolveError::Unsatisfiable {
                    explanation: self.explain(id, &cons, &chosen),
                });
            }
            agenda.push(id);
        }
        let mut frames: Vec<Frame> = Vec::new();
        let mut level: Vec<usize> = vec![0; n];
        let mut failure: Option<String> = None;
        let mut steps = 0u64;
        let mut cursor = 0usize;
        // Conflict-directed backjumping: every frame collects the decision levels that caused
        // its candidates to fail; an exhausted frame jumps back to the latest of them.
        'search: loop {
            while cursor < agenda.len() && chosen[agenda[cursor]].is_some() {
                cursor += 1;
            }
            if cursor == agenda.len() {
                break;
            }
            let pkg = agenda[cursor];
            let candidates: Vec<usize> = (0..self.releases[pkg].len())
                .filter(|&r| {
                    cons[pkg]
                        .iter()
                        .all(|c| c.req.matches(&self.releases[pkg][r].version))
                })
                .collect();
            let mut conflicts = Vec::new();
            self.culprits(pkg, &cons, &level, usize::MAX, &mut conflicts);
            if candidates.is_empty() {
                // Unreachable with forward checking, but handled: jump to the latest culprit.
                failure.get_or_insert_with(|| self.explain(pkg, &cons, &chosen));
                let Some(target) = conflicts.iter().copied().max() else {
                    return Err(ResolveError::Unsatisfiable {
                        explanation: failure.unwrap_or_default(),
                    });
                };
                Self::jump(&mut frames, &mut chosen, target, &conflicts);
            } else {
                frames.push(Frame {
                    pkg,
                    candidates,
                    next: 0,
                    cursor,
                    agenda_len: agenda.len(),
                    log_len: log.len(),
                    conflicts,
                });
            }
            loop {
                let f = frames.len().checked_sub(1);
                let Some(f) = f else {
                    return Err(ResolveError::Unsatisfiable {
                        explanation: failure.unwrap_or_else(|| String::from("no candidates")),
                    });
                };
                let frame = &mut frames[f];
                // Return to the state in which this frame's decision is taken.
                chosen[frame.pkg] = None;
                while log.len() > frame.log_len {
                    let id = log.pop().expect("log is longer than the frame mark");
                    cons[id].pop();
                }
                agenda.truncate(frame.agenda_len);
                if frame.next == frame.candidates.len() {
                    let cs = core::mem::take(&mut frame.conflicts);
                    let Some(target) = cs.iter().copied().max() else {
                        return Err(ResolveError::Unsatisfiable {
                            explanation: failure.unwrap_or_else(|| String::from("no candidates")),
                        });
                    };
                    Self::jump(&mut frames, &mut chosen, target, &cs);
                    continue;
                }
                steps += 1;
                if steps > max_steps {
                    return Err(ResolveError::TooComplex { steps: max_steps });
                }
                let (pkg, r) = (frame.pkg, frame.candidates[frame.next]);
                frame.next += 1;
                let frame_cursor = frame.cursor;
                chosen[pkg] = Some(r);
                level[pkg] = f;
                let mut conflict = Vec::new();
                let mut ok = true;
                for (d, req) in &self.releases[pkg][r].deps {
                    let d = *d;
                    cons[d].push(Constraint {
                        req,
                        from: Some((pkg, r)),
                    });
                    log.push(d);
                    match chosen[d] {
                        Some(w) if !req.matches(&self.releases[d][w].version) => {
                            conflict.push(level[d]);
                        }
                        Some(_) => continue,
                        None if !self.has_candidate(d, &cons[d]) => {
                            self.culprits(d, &cons, &level, f, &mut conflict);
                        }
                        None => {
                            agenda.push(d);
                            continue;
                        }
                    }
                    failure.get_or_insert_with(|| self.explain(d, &cons, &chosen));
                    ok = false;
                    break;
                }
                if ok {
                    cursor = frame_cursor + 1;
                    continue 'search;
                }
                frames[f].conflicts.extend(conflict);
            }
        }
        self.order(&agenda, &chosen)
    }

    /// Decision levels (below `below`) of the packages whose requirements constrain `d`.
    fn culprits(
        &self,
        d: usize,
        cons: &[Vec<Constraint<'_>>],
        level: &[usize],
        below: usize,
        out: &mut Vec<usize>,
    ) {
        for c in &cons[d] {
            if let Some((p, _)) = c.from {
                let l = level[p];
                if l < below && !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }

    /// Drop every frame above `target` and hand the conflict set (minus `target`) to it.
    fn jump(
        frames: &mut Vec<Frame>,
        chosen: &mut [Option<usize>],
        target: usize,
        conflicts: &[usize],
    ) {
        while frames.len() > target + 1 {
            let fr = frames.pop().expect("frames above the target exist");
            chosen[fr.pkg] = None;
        }
        let t = &mut frames[target];
        for &l in conflicts {
            if l != target && !t.conflicts.contains(&l) {
                t.conflicts.push(l);
            }
        }
    }

    fn has_candidate(&self, id: usize, cons: &[Constraint<'_>]) -> bool {
        self.releases[id]
            .iter()
            .any(|r| cons.iter().all(|c| c.req.matches(&r.version)))
    }

    fn label(&self, id: usize, r: usize) -> String {
        format!("{} {}", self.names[id], self.releases[id][r].version)
    }

    fn describe(&self, target: usize, c: &Constraint<'_>) -> String {
        match c.from {
            None => format!("the request needs {} {}", self.names[target], c.req),
            Some((p, r)) => format!(
                "{} needs {} {}",
                self.label(p, r),
                self.names[target],
                c.req
            ),
        }
    }

    /// Requirement chain that led to `c`, from the requested package down.
    fn chain(&self, target: usize, c: &Constraint<'_>, cons: &[Vec<Constraint<'_>>]) -> String {
        let mut parts = vec![self.describe(target, c)];
        let mut cur = c.from;
        let mut guard = 0;
        while let Some((p, _)) = cur {
            let Some(up) = cons[p].first() else { break };
            if up.from.is_none() || guard > self.names.len() {
                break;
            }
            parts.push(self.describe(p, up));
            cur = up.from;
            guard += 1;
        }
        parts.reverse();
        parts.join(" → ")
    }

    fn explain(&self, d: usize, cons: &[Vec<Constraint<'_>>], chosen: &[Option<usize>]) -> String {
        let cs = &cons[d];
        let Some(culprit) = cs.last() else {
            return format!("{} has no candidates", self.names[d]);
        };
        let chain = self.chain(d, culprit, cons);
        let name = &self.names[d];
        let published = &self.releases[d];
        if published.is_empty() {
            return format!("{chain}, but {name} is not published");
        }
        let list = |rels: &[Release]| {
            let mut s: Vec<String> = rels
                .iter()
                .take(5)
                .map(|r| format!("{}", r.version))
                .collect();
            if rels.len() > 5 {
                s.push(String::from("…"));
            }
            s.join(", ")
        };
        if !published.iter().any(|r| culprit.req.matches(&r.version)) {
            let verb = if published.len() == 1 { "is" } else { "are" };
            return format!("{chain}, only {name} {} {verb} published", list(published));
        }
        let others: Vec<String> = cs[..cs.len() - 1]
            .iter()
            .map(|c| self.describe(d, c))
            .collect();
        let already = match chosen[d] {
            Some(w) => format!(" ({} was already chosen)", self.label(d, w)),
            None => String::new(),
        };
        format!(
            "{chain}, but {}{already}; no published version of {name} satisfies all of these (published: {})",
            others.join(" and "),
            list(published)
        )
    }

    /// Check for cycles and list the chosen packages dependencies-first.
    fn order(&self, roots: &[usize], chosen: &[Option<usize>]) -> Result<Resolution, ResolveError> {
        let mut state = vec![0u8; self.names.len()];
        let mut out = Vec::new();
        for &root in roots {
            if state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let r = chosen[node].expect("every package on the agenda was chosen");
                let deps = &self.releases[node][r].deps;
                if *next < deps.len() {
                    let d = deps[*next].0;
                    *next += 1;
                    match state[d] {
                        0 => {
                            state[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            let start = stack.iter().position(|&(s, _)| s == d).unwrap_or(0);
                            let mut chain: Vec<String> = stack[start..]
                                .iter()
                                .map(|&(s, _)| self.label(s, chosen[s].unwrap_or(0)))
                                .collect();
                            chain.push(self.label(d, chosen[d].unwrap_or(0)));
                            return Err(ResolveError::Cycle { chain });
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    out.push((
                        self.names[node].clone(),
                        self.releases[node][r].version.clone(),
                    ));
                    stack.pop();
                }
            }
        }
        Ok(Resolution { packages: out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn deps(list: &[(&str, &str)]) -> Vec<(String, VersionReq)> {
        list.iter()
            .map(|(n, r)| (String::from(*n), VersionReq::parse(r).unwrap()))
            .collect()
    }

    fn req(name: &str, r: &str) -> Vec<(String, VersionReq)> {
        deps(&[(name, r)])
    }

    #[test]
    fn picks_newest_satisfying() {
        let mut u = Universe::new();
        u.add("a", v("1.0.0"), &deps(&[("b", "^1")]));
        u.add("a", v("1.2.0"), &deps(&[("b", "^1.1")]));
        u.add("b", v("1.0.0"), &[]);
        u.add("b", v("1.5.0"), &[]);
        u.add("b", v("2.0.0"), &[]);
        let r = u.resolve(&req("a", "*")).unwrap();
        assert_eq!(
            r.packages,
            vec![("b".into(), v("1.5.0")), ("a".into(), v("1.2.0"))]
        );
    }

    #[test]
    fn unsatisfiable_explained_as_chain() {
        let mut u = Universe::new();
        u.add("app", v("1.0.0"), &deps(&[("a", "^1")]));
        u.add("a", v("1.2.0"), &deps(&[("b", ">=2")]));
        u.add("b", v("1.9.0"), &[]);
        let e = u.resolve(&req("app", "*")).unwrap_err();
        let ResolveError::Unsatisfiable { explanation } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            explanation,
            "app 1.0.0 needs a ^1 → a 1.2.0 needs b >=2, only b 1.9.0 is published"
        );
    }

    #[test]
    fn missing_package_and_missing_request() {
        let mut u = Universe::new();
        u.add("a", v("1.0.0"), &deps(&[("ghost", "^1")]));
        let e = u.resolve(&req("a", "*")).unwrap_err();
        assert_eq!(
            e,
            ResolveError::Unsatisfiable {
                explanation: "a 1.0.0 needs ghost ^1, but ghost is not published".into()
            }
        );
        let e = u.resolve(&req("nothing", "*")).unwrap_err();
        assert!(
            matches!(e, ResolveError::Unsatisfiable { ref explanation } if explanation.contains("nothing is not published"))
        );
        let e = u.resolve(&req("a", ">=2")).unwrap_err();
        assert_eq!(
            e,
            ResolveError::Unsatisfiable {
                explanation: "the request needs a >=2, only a 1.0.0 is published".into()
            }
        );
    }

    #[test]
    fn diamond_shares_one_version() {
        let mut u = Universe::new();
        u.add("top", v("1.0.0"), &deps(&[("left", "^1"), ("right", "^1")]));
        u.add("left", v("1.0.0"), &deps(&[("base", ">=1.0, <3")]));
        u.add("right", v("1.0.0"), &deps(&[("base", "^1.2")]));
        for b in ["1.0.0", "1.2.0", "1.3.0", "2.0.0"] {
            u.add("base", v(b), &[]);
        }
        let r = u.resolve(&req("top", "*")).unwrap();
        assert_eq!(r.version_of("base"), Some(&v("1.3.0")));
        assert_eq!(r.packages.len(), 4);
        assert_eq!(r.packages[0].0, "base");
        assert_eq!(r.packages[3].0, "top");
    }

    #[test]
    fn backtracks_to_older_version() {
        let mut u = Universe::new();
        u.add("a", v("2.0.0"), &deps(&[("c", "^2")]));
        u.add("a", v("1.0.0"), &deps(&[("c", "^1")]));
        u.add("b", v("1.0.0"), &deps(&[("c", "^1")]));
        u.add("c", v("1.0.0"), &[]);
        u.add("c", v("2.0.0"), &[]);
        let mut r = deps(&[("a", "*"), ("b", "*")]);
        let res = u.resolve(&r).unwrap();
        assert_eq!(res.version_of("a"), Some(&v("1.0.0")));
        assert_eq!(res.version_of("c"), Some(&v("1.0.0")));
        // Forcing a 2 is a conflict that names both requirements.
        r[0].1 = VersionReq::parse(">=2").unwrap();
        let ResolveError::Unsatisfiable { explanation } = u.resolve(&r).unwrap_err() else {
            panic!()
        };
        assert!(explanation.contains("b 1.0.0 needs c ^1"), "{explanation}");
        assert!(explanation.contains("a 2.0.0 needs c ^2"), "{explanation}");
    }

    #[test]
    fn detects_cycles() {
        let mut u = Universe::new();
        u.add("a", v("1.0.0"), &deps(&[("b", "^1")]));
        u.add("b", v("1.0.0"), &deps(&[("c", "^1")]));
        u.add("c", v("1.0.0"), &deps(&[("a", "^1")]));
        let e = u.resolve(&req("a", "*")).unwrap_err();
        assert_eq!(
            e,
            ResolveError::Cycle {
                chain: vec![
                    "a 1.0.0".into(),
                    "b 1.0.0".into(),
                    "c 1.0.0".into(),
                    "a 1.0.0".into()
                ]
            }
        );
        assert_eq!(
            e.to_string(),
            "dependency cycle: a 1.0.0 → b 1.0.0 → c 1.0.0 → a 1.0.0"
        );
    }

    #[test]
    fn step_budget_is_enforced() {
        // Every a version conflicts late: exhaustive search over 20 x 20 combinations.
        let mut u = Universe::new();
        for i in 0..20 {
            u.add("a", v(&format!("1.{i}.0")), &deps(&[("b", "*")]));
            u.add("b", v(&format!("1.{i}.0")), &deps(&[("c", "^9")]));
        }
        u.add("c", v("1.0.0"), &[]);
        // Forward checking refuses every b immediately, so this fails quickly and completely.
        assert!(matches!(
            u.resolve(&req("a", "*")),
            Err(ResolveError::Unsatisfiable { .. })
        ));
        assert_eq!(
            u.resolve_with_limit(&req("a", "*"), 3),
            Err(ResolveError::TooComplex { steps: 3 })
        );
    }

    /// Exhaustive check on many small random universes: the resolver finds a solution exactly
    /// when one exists (brute force), and every solution it returns is valid.
    type Table = Vec<Vec<(Version, Vec<(usize, VersionReq)>)>>;

    #[test]
    fn agrees_with_brute_force() {
        let mut seed = 7u64;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let reqs = ["^1", "^2", ">=1.1", "*", "=1.0.0", "<1.1", ">=2.1"];
        let vers = ["1.0.0", "1.1.0", "2.0.0", "2.1.0"];
        let names = ["p0", "p1", "p2", "p3", "p4", "p5"];
        let mut solved = 0;
        for _ in 0..600 {
            let mut u = Universe::new();
            let mut table: Table = vec![Vec::new(); names.len()];
            for (i, table_i) in table.iter_mut().enumerate() {
                for vs in vers {
                    if rnd(4) == 0 {
                        continue;
                    }
                    let mut ds: Vec<(usize, VersionReq)> = Vec::new();
                    for j in (i + 1)..names.len() {
                        if rnd(3) == 0 {
                            ds.push((
                                j,
                                VersionReq::parse(reqs[rnd(reqs.len() as u64) as usize]).unwrap(),
                            ));
                        }
                    }
                    let named: Vec<(String, VersionReq)> = ds
                        .iter()
                        .map(|(j, r)| (names[*j].into(), r.clone()))
                        .collect();
                    u.add(names[i], v(vs), &named);
                    table_i.push((v(vs), ds));
                }
            }
            let rq = (
                0usize,
                VersionReq::parse(reqs[rnd(reqs.len() as u64) as usize]).unwrap(),
            );
            let rq2 = (
                1usize,
                VersionReq::parse(reqs[rnd(reqs.len() as u64) as usize]).unwrap(),
            );
            // Brute force over "absent or one of the versions" for every package.
            let sizes: Vec<usize> = table.iter().map(|t| t.len() + 1).collect();
            let total: usize = sizes.iter().product();
            let mut exists = false;
            for mut code in 0..total {
                let pick: Vec<usize> = sizes
                    .iter()
                    .map(|s| {
                        let x = code % s;
                        code /= s;
                        x
                    })
                    .collect();
                let ok_req = [&rq, &rq2]
                    .iter()
                    .all(|q| pick[q.0] > 0 && q.1.matches(&table[q.0][pick[q.0] - 1].0));
                let ok_deps = (0..names.len()).all(|i| {
                    pick[i] == 0
                        || table[i][pick[i] - 1]
                            .1
                            .iter()
                            .all(|(j, r)| pick[*j] > 0 && r.matches(&table[*j][pick[*j] - 1].0))
                });
                if ok_req && ok_deps {
                    exists = true;
                    break;
                }
            }
            let got = u.resolve(&[
                (names[0].into(), rq.1.clone()),
                (names[1].into(), rq2.1.clone()),
            ]);
            assert_eq!(got.is_ok(), exists, "{got:?}");
            if let Ok(res) = got {
                solved += 1;
                let chosen: BTreeMap<&str, &Version> =
                    res.packages.iter().map(|(n, v)| (n.as_str(), v)).collect();
                assert!(rq.1.matches(chosen[names[0]]));
                assert!(rq2.1.matches(chosen[names[1]]));
                for (n, ver) in &res.packages {
                    let i = names.iter().position(|x| x == n).unwrap();
                    let rel = table[i].iter().find(|(tv, _)| tv == ver).unwrap();
                    for (j, r) in &rel.1 {
                        assert!(
                            r.matches(chosen[names[*j]]),
                            "{n} {ver} needs {} {r}",
                            names[*j]
                        );
                    }
                }
            }
        }
        assert!(solved > 50 && solved < 600, "{solved}");
    }
}
