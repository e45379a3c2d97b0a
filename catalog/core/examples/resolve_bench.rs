//! Benchmark: generated catalogs of 10,000 packages (5 versions each: 1.0.0, 1.1.0, 1.2.0,
//! 2.0.0, 2.1.0; up to 4 dependencies per release on lower-numbered packages) and timed
//! resolutions, in two profiles:
//!
//! * `realistic`: releases of major 2 mostly require `^2` of their dependencies, releases of
//!   major 1 mostly `^1` (some `>=1.1` / `*`), as in an ecosystem that moves forward together;
//! * `adversarial`: every requirement drawn uniformly from `^1`, `^2`, `>=1.1`, `*`, `~1.2`,
//!   `>=1.0, <2.1`, which makes many deep closures contradictory (a stress test of the search).
//!
//! Plus parsing, canonicalising, verifying and indexing a 10,000-target targets metadata file.
//!
//! Run: `cargo run --release -p catalog-core --example resolve_bench`

use std::collections::BTreeMap;
use std::time::Instant;

use catalog_core::index::{Index, PackageMeta, RepoMeta, PACKAGE_KEY, REPO_KEY, REPO_TARGET};
use catalog_core::metadata::{parse, Root, TargetFile, Targets};
use catalog_core::{canonical, Compat, ResolveError, Universe};
use ed25519_dalek::Signer;
use semver::{Version, VersionReq};

const PACKAGES: usize = 10_000;
const VERSIONS: [&str; 5] = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"];
const REQS: [&str; 6] = ["^1", "^2", ">=1.1", "*", "~1.2", ">=1.0, <2.1"];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn name(i: usize) -> String {
    format!("pkg{i:05}")
}

fn main() {
    let catalog = run("realistic", true);
    run("adversarial", false);
    metadata(&catalog);
}

type Catalog = Vec<(String, Version, Vec<(String, VersionReq)>)>;

fn pick_req(rng: &mut Lcg, major: u64, realistic: bool) -> &'static str {
    if !realistic {
        return REQS[rng.below(REQS.len())];
    }
    match (major, rng.below(20)) {
        (2, 0..=16) => "^2",
        (2, 17..=18) => ">=1.1",
        (1, 0..=16) => "^1",
        (1, 17..=18) => ">=1.0",
        _ => "*",
    }
}

fn run(profile: &str, realistic: bool) -> Catalog {
    println!("== profile {profile}");
    let mut rng = Lcg(42);
    let t = Instant::now();
    let mut catalog: Catalog = Vec::new();
    for i in 0..PACKAGES {
        for v in VERSIONS {
            let mut deps: Vec<(String, VersionReq)> = Vec::new();
            if i > 0 {
                for _ in 0..rng.below(5) {
                    let d = name(rng.below(i));
                    if deps.iter().all(|(n, _)| *n != d) {
                        let major = Version::parse(v).unwrap().major;
                        deps.push((
                            d,
                            VersionReq::parse(pick_req(&mut rng, major, realistic)).unwrap(),
                        ));
                    }
                }
            }
            catalog.push((name(i), Version::parse(v).unwrap(), deps));
        }
    }
    let gen = t.elapsed();
    let t = Instant::now();
    let mut u = Universe::new();
    for (n, v, d) in &catalog {
        u.add(n, v.clone(), d);
    }
    let build = t.elapsed();
    let edges: usize = catalog.iter().map(|c| c.2.len()).sum();
    println!(
        "catalog: {PACKAGES} packages, {} releases, {edges} dependency edges (generated in {:.1} ms, universe built in {:.1} ms)",
        u.release_count(),
        gen.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3
    );

    // 1. The 200 highest-numbered packages, one request each (largest transitive closures).
    let mut times = Vec::new();
    let (mut ok, mut unsat, mut other, mut sizes) = (0, 0, 0, Vec::new());
    for i in (PACKAGES - 200)..PACKAGES {
        let t = Instant::now();
        let r = u.resolve(&[(name(i), VersionReq::STAR)]);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        match r {
            Ok(res) => {
                ok += 1;
                sizes.push(res.packages.len());
            }
            Err(ResolveError::Unsatisfiable { .. }) => unsat += 1,
            Err(_) => other += 1,
        }
    }
    report("single request, top 200 packages", &mut times);
    sizes.sort_unstable();
    println!(
        "  {ok} resolved, {unsat} unsatisfiable, {other} over the step budget; packages per solution: median {}, max {}",
        sizes.get(sizes.len() / 2).copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0)
    );

    // 2. 1000 random single requests.
    let mut times = Vec::new();
    let mut outcome = BTreeMap::new();
    for _ in 0..1000 {
        let i = rng.below(PACKAGES);
        let t = Instant::now();
        let r = u.resolve(&[(name(i), VersionReq::STAR)]);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        *outcome.entry(outcome_name(&r)).or_insert(0) += 1;
    }
    report("single request, 1000 random packages", &mut times);
    println!("  outcomes: {outcome:?}");

    // 3. Requests of 50 random packages at once.
    let mut times = Vec::new();
    let mut outcome = BTreeMap::new();
    for _ in 0..20 {
        let req: Vec<(String, VersionReq)> = (0..50)
            .map(|_| (name(rng.below(PACKAGES)), VersionReq::STAR))
            .collect();
        let t = Instant::now();
        let r = u.resolve(&req);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        *outcome.entry(outcome_name(&r)).or_insert(0) += 1;
    }
    report("50 packages per request, 20 requests", &mut times);
    println!("  outcomes: {outcome:?}");
    catalog
}

fn metadata(catalog: &Catalog) {
    // 4. Targets metadata with 10,000 package targets: sign, parse, canonicalise, verify, index.
    let compat = Compat::swiftos();
    let mut targets = BTreeMap::new();
    let repo = RepoMeta {
        format: 1,
        arch: compat.arch.clone(),
        abi: compat.abi,
        package_keys: Vec::new(),
    };
    targets.insert(
        REPO_TARGET.to_string(),
        tf(Some(serde_json::json!({ REPO_KEY: repo }))),
    );
    for i in 0..PACKAGES {
        let (n, v, d) = &catalog[i * VERSIONS.len() + 4];
        let meta = PackageMeta {
            name: n.clone(),
            version: v.to_string(),
            deps: d.iter().map(|(a, b)| (a.clone(), b.to_string())).collect(),
            description: format!("generated package number {i}"),
            size: 10_000 + i as u64,
            arch: compat.arch.clone(),
            abi: compat.abi,
        };
        targets.insert(
            format!("packages/{n}-{v}.swpkg"),
            tf(Some(serde_json::json!({ PACKAGE_KEY: meta }))),
        );
    }
    let signed = Targets {
        type_: "targets".into(),
        spec_version: "1.0.31".into(),
        version: 1,
        expires: "2100-01-01T00:00:00Z".into(),
        targets,
        delegations: None,
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    let pk = catalog_core::Key::ed25519(key.verifying_key().as_bytes());
    let canon = canonical::to_canonical_from(&signed).unwrap();
    let sig = hex::encode(key.sign(&canon).to_bytes());
    let doc =
        serde_json::json!({"signed": signed, "signatures": [{"keyid": pk.keyid(), "sig": sig}]});
    let bytes = serde_json::to_vec(&doc).unwrap();
    let mut root_keys = BTreeMap::new();
    root_keys.insert(pk.keyid(), pk.clone());
    let role = catalog_core::RoleKeys {
        keyids: vec![pk.keyid()],
        threshold: 1,
    };
    let root = Root {
        type_: "root".into(),
        spec_version: "1.0.31".into(),
        consistent_snapshot: false,
        version: 1,
        expires: "2100-01-01T00:00:00Z".into(),
        keys: root_keys,
        roles: ["root", "timestamp", "snapshot", "targets"]
            .iter()
            .map(|r| (r.to_string(), role.clone()))
            .collect(),
    };
    let t = Instant::now();
    let env = parse::<Targets>(&bytes).unwrap();
    let parsed = t.elapsed();
    let t = Instant::now();
    catalog_core::metadata::verify_signatures(
        &env,
        &root,
        catalog_core::Role::Targets,
        catalog_core::error::KeySource::TrustedRoot,
    )
    .unwrap();
    let verified = t.elapsed();
    let t = Instant::now();
    let index = Index::from_targets(&env.signed, &compat).unwrap();
    let indexed = t.elapsed();
    let t = Instant::now();
    let hits = index.search("number 99").len();
    let searched = t.elapsed();
    println!(
        "targets metadata: {} targets, {} bytes; parse + canonicalise {:.1} ms, verify signature {:.1} ms, build index {:.1} ms, search {:.2} ms ({hits} hits)",
        env.signed.targets.len(),
        bytes.len(),
        parsed.as_secs_f64() * 1e3,
        verified.as_secs_f64() * 1e3,
        indexed.as_secs_f64() * 1e3,
        searched.as_secs_f64() * 1e3
    );
}

fn outcome_name(r: &Result<catalog_core::Resolution, ResolveError>) -> &'static str {
    match r {
        Ok(_) => "resolved",
        Err(ResolveError::Unsatisfiable { .. }) => "unsatisfiable",
        Err(ResolveError::TooComplex { .. }) => "over step budget",
        Err(ResolveError::Cycle { .. }) => "cycle",
    }
}

fn tf(custom: Option<serde_json::Value>) -> TargetFile {
    let mut hashes = BTreeMap::new();
    hashes.insert("sha256".to_string(), "ab".repeat(32));
    TargetFile {
        length: 12_345,
        hashes,
        custom,
    }
}

fn report(what: &str, times: &mut [f64]) {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let total: f64 = times.iter().sum();
    println!(
        "{what}: mean {:.3} ms, median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        total / times.len() as f64,
        times[times.len() / 2],
        times[(times.len() * 99) / 100],
        times[times.len() - 1]
    );
}
