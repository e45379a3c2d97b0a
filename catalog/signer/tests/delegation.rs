//! Delegated targets roles: search order, path patterns, terminating roles, nesting, and the
//! verification of delegated metadata (signatures by the delegator's keys, version pinned by the
//! snapshot, expiry, presence in the snapshot).

mod common;

use std::collections::BTreeMap;

use catalog_core::client::Client;
use catalog_core::error::KeySource;
use catalog_core::metadata::{DelegatedRole, Delegations, MetaFile, TargetFile};
use catalog_core::{Error, Role};
use catalog_signer::build::target_file;
use catalog_signer::{sign, snapshot_for, targets_meta, timestamp_for, KeyPair};
use common::*;

/// A delegated role to publish: name, signing key, version, expiry, its own targets, and the
/// roles it delegates to (name, key, paths, terminating).
struct DRole {
    name: &'static str,
    key: KeyPair,
    version: u64,
    expires: i64,
    targets: BTreeMap<String, TargetFile>,
    delegates: Vec<(&'static str, KeyPair, Vec<&'static str>, bool)>,
    in_snapshot: bool,
    snapshot_version: Option<u64>,
}

fn drole(name: &'static str, seed: u8) -> DRole {
    DRole {
        name,
        key: key(seed),
        version: 1,
        expires: NOW + 30 * DAY,
        targets: BTreeMap::new(),
        delegates: Vec::new(),
        in_snapshot: true,
        snapshot_version: None,
    }
}

fn delegations(list: &[(&'static str, KeyPair, Vec<&'static str>, bool)]) -> Option<Delegations> {
    if list.is_empty() {
        return None;
    }
    let mut keys = BTreeMap::new();
    let mut roles = Vec::new();
    for (name, k, paths, terminating) in list {
        keys.insert(k.keyid(), k.public_key());
        roles.push(DelegatedRole {
            name: name.to_string(),
            keyids: vec![k.keyid()],
            threshold: 1,
            terminating: *terminating,
            paths: Some(paths.iter().map(|p| p.to_string()).collect()),
            path_hash_prefixes: None,
        });
    }
    Some(Delegations { keys, roles })
}

fn add(t: &mut BTreeMap<String, TargetFile>, sim: &mut Sim, path: &str, body: &[u8]) {
    sim.server.insert(format!("tgt/{path}"), body.to_vec());
    t.insert(path.into(), target_file(body, None));
}

/// Publish top-level targets delegating per `top`, the delegated roles, snapshot, timestamp.
fn publish(
    sim: &mut Sim,
    top: &[(&'static str, KeyPair, Vec<&'static str>, bool)],
    roles: &[DRole],
) {
    let mut t = targets_meta(sim.tgt_version, sim.tgt_expires, sim.targets.clone());
    t.delegations = delegations(top);
    let t_bytes = sign(&t, &[&key(30)]).unwrap();
    let mut snap = snapshot_for(
        sim.snap_version,
        sim.snap_expires,
        sim.tgt_version,
        &t_bytes,
    );
    for r in roles {
        let mut m = targets_meta(r.version, r.expires, r.targets.clone());
        m.delegations = delegations(&r.delegates);
        let b = sign(&m, &[&r.key]).unwrap();
        if r.in_snapshot {
            let v = r.snapshot_version.unwrap_or(r.version);
            snap.meta.insert(
                format!("{}.json", r.name),
                MetaFile {
                    version: v,
                    length: None,
                    hashes: None,
                },
            );
        }
        sim.server.insert(format!("meta/{}.json", r.name), b);
    }
    let s_bytes = sign(&snap, &[&key(20)]).unwrap();
    let ts = timestamp_for(sim.ts_version, sim.ts_expires, sim.snap_version, &s_bytes);
    sim.server.insert("meta/targets.json".into(), t_bytes);
    sim.server.insert("meta/snapshot.json".into(), s_bytes);
    sim.server.insert(
        "meta/timestamp.json".into(),
        sign(&ts, &[&key(10)]).unwrap(),
    );
}

fn client(sim: &Sim) -> Client<Mem> {
    let mut c = Client::new(sim.mem(), config()).unwrap();
    c.refresh().unwrap();
    c
}

#[test]
fn nested_delegations_are_searched_in_order() {
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    let mut c = drole("role-c", 41);
    add(&mut a.targets, &mut sim, "a/x.txt", b"from a");
    a.delegates
        .push(("role-c", key(41), vec!["a/deep*"], false));
    add(&mut c.targets, &mut sim, "a/deep.txt", b"from c");
    publish(
        &mut sim,
        &[("role-a", key(40), vec!["a/*"], false)],
        &[a, c],
    );
    let mut cl = client(&sim);
    assert_eq!(cl.download_target("a/x.txt").unwrap(), b"from a");
    assert_eq!(cl.download_target("a/deep.txt").unwrap(), b"from c");
    assert_eq!(cl.download_target("file.txt").unwrap(), b"hello, SwiftOS\n");
    let stored: Vec<&String> = cl.platform().delegated.keys().collect();
    assert_eq!(stored, ["role-a", "role-c"]);
    // Cached, verified delegated metadata is reused on the next refresh without downloading.
    let mem = cl.into_platform();
    let mut cl = Client::new(
        Mem {
            fetched: Vec::new(),
            ..mem
        },
        config(),
    )
    .unwrap();
    cl.refresh().unwrap();
    cl.download_target("a/deep.txt").unwrap();
    assert!(
        !cl.platform().fetched.iter().any(|u| u.contains("role-")),
        "{:?}",
        cl.platform().fetched
    );
}

#[test]
fn roles_are_trusted_only_for_their_paths() {
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    add(&mut a.targets, &mut sim, "b/x.txt", b"not a's to give");
    publish(&mut sim, &[("role-a", key(40), vec!["a/*"], false)], &[a]);
    let mut cl = client(&sim);
    assert_eq!(
        cl.download_target("b/x.txt"),
        Err(Error::UnknownTarget {
            name: "b/x.txt".into()
        })
    );
    assert!(!cl.platform().fetched.iter().any(|u| u.contains("role-a")));
}

#[test]
fn terminating_role_stops_the_search() {
    for terminating in [true, false] {
        let mut sim = Sim::new(false);
        let t = drole("role-t", 40);
        let mut u = drole("role-u", 41);
        add(&mut u.targets, &mut sim, "t/x.txt", b"from u");
        publish(
            &mut sim,
            &[
                ("role-t", key(40), vec!["t/*"], terminating),
                ("role-u", key(41), vec!["t/*"], false),
            ],
            &[t, u],
        );
        let mut cl = client(&sim);
        let r = cl.download_target("t/x.txt");
        if terminating {
            assert_eq!(
                r,
                Err(Error::UnknownTarget {
                    name: "t/x.txt".into()
                })
            );
        } else {
            assert_eq!(r.unwrap(), b"from u");
        }
    }
}

#[test]
fn delegated_role_signed_by_wrong_key() {
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    a.key = key(99);
    add(&mut a.targets, &mut sim, "a/x.txt", b"x");
    publish(&mut sim, &[("role-a", key(40), vec!["a/*"], false)], &[a]);
    let mut cl = client(&sim);
    let e = cl.download_target("a/x.txt").unwrap_err();
    assert_eq!(
        e,
        Error::Delegated {
            name: "role-a".into(),
            source: Box::new(Error::ThresholdNotMet {
                role: Role::Targets,
                version: 1,
                valid: 0,
                threshold: 1,
                keys: KeySource::Delegator
            })
        }
    );
    assert!(cl.platform().delegated.is_empty());
}

#[test]
fn delegated_role_version_expiry_and_snapshot_entry() {
    // Version differs from the snapshot's pin.
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    a.snapshot_version = Some(2);
    add(&mut a.targets, &mut sim, "a/x.txt", b"x");
    publish(&mut sim, &[("role-a", key(40), vec!["a/*"], false)], &[a]);
    let e = client(&sim).download_target("a/x.txt").unwrap_err();
    assert!(
        matches!(&e, Error::Delegated { source, .. } if **source == Error::VersionMismatch { role: Role::Targets, expected: 2, found: 1 }),
        "{e}"
    );
    // Expired.
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    a.expires = NOW - 1;
    add(&mut a.targets, &mut sim, "a/x.txt", b"x");
    publish(&mut sim, &[("role-a", key(40), vec!["a/*"], false)], &[a]);
    let e = client(&sim).download_target("a/x.txt").unwrap_err();
    assert!(
        matches!(&e, Error::Delegated { source, .. } if matches!(**source, Error::Expired { role: Role::Targets, .. })),
        "{e}"
    );
    // Not listed in the snapshot.
    let mut sim = Sim::new(false);
    let mut a = drole("role-a", 40);
    a.in_snapshot = false;
    add(&mut a.targets, &mut sim, "a/x.txt", b"x");
    publish(&mut sim, &[("role-a", key(40), vec!["a/*"], false)], &[a]);
    let e = client(&sim).download_target("a/x.txt").unwrap_err();
    assert!(
        matches!(&e, Error::Delegated { source, .. } if **source == Error::MissingEntry { role: Role::Snapshot, entry: "role-a.json".into() }),
        "{e}"
    );
}

#[test]
fn invalid_delegations_make_targets_malformed() {
    let mut sim = Sim::new(false);
    publish(&mut sim, &[("snapshot", key(40), vec!["*"], false)], &[]);
    let mut c = Client::new(sim.mem(), config()).unwrap();
    let e = c.refresh().unwrap_err();
    assert!(
        matches!(
            e,
            Error::Malformed {
                role: Role::Targets,
                ..
            }
        ),
        "{e}"
    );
}

/// Two delegators, `deleg-a` (for `a/*`) and `deleg-b` (for `b/*`), both delegate the role
/// `shared`, each with its own key; `shared.json` is signed only by the key `deleg-a` trusts and
/// lists a target under each path.
fn shared_role_behind_two_delegators() -> Sim {
    let mut sim = Sim::new(false);
    let mut a = drole("deleg-a", 40);
    let mut b = drole("deleg-b", 41);
    let mut shared = drole("shared", 50);
    a.delegates.push(("shared", key(50), vec!["a/*"], false));
    b.delegates.push(("shared", key(51), vec!["b/*"], false));
    add(&mut shared.targets, &mut sim, "a/x.txt", b"a's to give");
    add(&mut shared.targets, &mut sim, "b/y.txt", b"not a's to give");
    publish(
        &mut sim,
        &[
            ("deleg-a", key(40), vec!["a/*"], false),
            ("deleg-b", key(41), vec!["b/*"], false),
        ],
        &[a, b, shared],
    );
    sim
}

fn shared_threshold_not_met() -> Error {
    Error::Delegated {
        name: "shared".into(),
        source: Box::new(Error::ThresholdNotMet {
            role: Role::Targets,
            version: 1,
            valid: 0,
            threshold: 1,
            keys: KeySource::Delegator,
        }),
    }
}

#[test]
fn a_role_trusted_through_one_delegator_is_not_trusted_through_another() {
    let sim = shared_role_behind_two_delegators();
    let mut cl = client(&sim);
    assert_eq!(cl.download_target("a/x.txt").unwrap(), b"a's to give");
    // `shared` is now verified (under deleg-a) and cached; through deleg-b it is not trusted.
    assert_eq!(cl.find_target("b/y.txt"), Err(shared_threshold_not_met()));
    assert_eq!(
        cl.download_target("b/y.txt"),
        Err(shared_threshold_not_met())
    );
    assert!(cl.target_info("b/y.txt").is_err());
    assert!(cl.target_url("b/y.txt").is_err());
    // The path through deleg-a still works in the same client.
    assert_eq!(cl.download_target("a/x.txt").unwrap(), b"a's to give");
    // A new client whose store holds the verified `shared.json` refuses it through deleg-b too.
    let mem = cl.into_platform();
    assert!(mem.delegated.contains_key("shared"));
    let mut cl = Client::new(mem, config()).unwrap();
    cl.refresh().unwrap();
    assert_eq!(
        cl.download_target("b/y.txt"),
        Err(shared_threshold_not_met())
    );
}

#[test]
fn a_role_refused_through_one_delegator_is_still_checked_through_the_other() {
    let sim = shared_role_behind_two_delegators();
    let mut cl = client(&sim);
    assert_eq!(
        cl.download_target("b/y.txt"),
        Err(shared_threshold_not_met())
    );
    assert_eq!(cl.download_target("a/x.txt").unwrap(), b"a's to give");
    assert_eq!(
        cl.download_target("b/y.txt"),
        Err(shared_threshold_not_met())
    );
}

#[test]
fn a_role_trusted_by_both_delegators_is_found_through_each() {
    let mut sim = Sim::new(false);
    let mut a = drole("deleg-a", 40);
    let mut b = drole("deleg-b", 41);
    let mut shared = drole("shared", 50);
    a.delegates.push(("shared", key(50), vec!["a/*"], false));
    b.delegates.push(("shared", key(50), vec!["b/*"], false));
    add(&mut shared.targets, &mut sim, "a/x.txt", b"x");
    add(&mut shared.targets, &mut sim, "b/y.txt", b"y");
    publish(
        &mut sim,
        &[
            ("deleg-a", key(40), vec!["a/*"], false),
            ("deleg-b", key(41), vec!["b/*"], false),
        ],
        &[a, b, shared],
    );
    let mut cl = client(&sim);
    assert_eq!(cl.download_target("a/x.txt").unwrap(), b"x");
    assert_eq!(cl.download_target("b/y.txt").unwrap(), b"y");
    // The second path reused the metadata verified through the first: one download.
    let fetched = cl.platform().fetched.iter();
    assert_eq!(fetched.filter(|u| u.contains("shared")).count(), 1);
}
