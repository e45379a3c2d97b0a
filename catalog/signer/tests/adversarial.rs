//! Adversarial fixtures for the TUF client workflow: each attack asserts the exact error variant
//! and that the trusted metadata store did not change.

mod common;

use catalog_core::client::Client;
use catalog_core::error::KeySource;
use catalog_core::metadata::Signature;
use catalog_core::{Error, Role};
use catalog_signer::{sign, snapshot_for, timestamp_for};
use common::*;

#[test]
fn happy_path_refresh_and_download() {
    let sim = Sim::new(false);
    let mem = refresh_ok(sim.mem());
    for role in Role::ALL {
        assert!(mem.store.contains_key(&role), "{role} not stored");
    }
    let mut c = Client::new(mem, config()).unwrap();
    c.refresh().unwrap();
    assert_eq!(c.download_target("file.txt").unwrap(), b"hello, SwiftOS\n");
    assert_eq!(c.download_target("dir/data.bin").unwrap(), vec![7u8; 1000]);
    assert_eq!(
        c.download_target("nope"),
        Err(Error::UnknownTarget {
            name: "nope".into()
        })
    );
}

#[test]
fn consistent_snapshots_use_versioned_and_hashed_names() {
    let mut sim = Sim::new(true);
    sim.next();
    // Only the versioned/hashed names are served.
    for name in [
        "meta/snapshot.json",
        "meta/targets.json",
        "tgt/file.txt",
        "tgt/dir/data.bin",
    ] {
        sim.server.remove(name);
    }
    let mut c = Client::new(sim.mem(), config()).unwrap();
    c.refresh().unwrap();
    assert_eq!(c.download_target("dir/data.bin").unwrap(), vec![7u8; 1000]);
    let f = &c.platform().fetched;
    assert!(f.contains(&"meta/2.snapshot.json".to_string()), "{f:?}");
    assert!(f.contains(&"meta/2.targets.json".to_string()), "{f:?}");
    let sha = &c.target_info("dir/data.bin").unwrap().hashes["sha256"];
    assert!(f.contains(&format!("tgt/dir/{sha}.data.bin")), "{f:?}");
}

#[test]
fn expired_timestamp() {
    let mut sim = Sim::new(false);
    let mem = refresh_ok(sim.mem());
    sim.ts_expires = NOW - 1;
    sim.next();
    let mut mem = mem;
    mem.server = sim.server.clone();
    let (e, _) = refresh_err(mem);
    assert!(
        matches!(
            e,
            Error::Expired {
                role: Role::Timestamp,
                version: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn expiry_is_at_or_after_the_instant() {
    let mut sim = Sim::new(false);
    sim.ts_expires = NOW;
    sim.publish();
    let (e, _) = refresh_err(sim.mem());
    assert!(
        matches!(
            e,
            Error::Expired {
                role: Role::Timestamp,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn expired_snapshot() {
    let mut sim = Sim::new(false);
    sim.snap_expires = NOW - DAY;
    sim.publish();
    let (e, _) = refresh_err_at(sim.mem(), Role::Snapshot);
    assert!(
        matches!(
            e,
            Error::Expired {
                role: Role::Snapshot,
                version: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn expired_targets() {
    let mut sim = Sim::new(false);
    sim.tgt_expires = NOW - 1;
    sim.publish();
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert!(
        matches!(
            e,
            Error::Expired {
                role: Role::Targets,
                version: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn expired_root_is_a_freeze_attack() {
    let mut sim = Sim::new(false);
    sim.root_expires = NOW - 1;
    let k = sim.root_keys.clone();
    sim.publish_root(&refs(&k));
    let (e, m) = refresh_err(sim.mem());
    assert!(
        matches!(
            e,
            Error::Expired {
                role: Role::Root,
                version: 1,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        m.fetched,
        vec!["meta/2.root.json"],
        "nothing past the root was fetched"
    );
}

#[test]
fn timestamp_rollback() {
    let mut sim = Sim::new(false);
    sim.next();
    let old_ts = sim.server["meta/timestamp.json"].clone();
    let mut mem = sim.mem();
    sim.next();
    mem.server = sim.server.clone();
    let mut mem = refresh_ok(mem);
    mem.server.insert("meta/timestamp.json".into(), old_ts);
    let (e, _) = refresh_err(mem);
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Timestamp,
            trusted: 3,
            found: 2
        }
    );
}

#[test]
fn equal_timestamp_version_keeps_trusted() {
    let sim = Sim::new(false);
    let mut mem = refresh_ok(sim.mem());
    let trusted = mem.store[&Role::Timestamp].clone();
    // Same version, different bytes (a re-signed copy with a later expiry).
    let ts = timestamp_for(1, NOW + 2 * DAY, 1, &sim.last_snapshot);
    mem.server.insert(
        "meta/timestamp.json".into(),
        sign(&ts, &[&key(10)]).unwrap(),
    );
    let mem = refresh_ok(mem);
    assert_eq!(mem.store[&Role::Timestamp], trusted);
}

#[test]
fn snapshot_version_rollback_in_timestamp() {
    let mut sim = Sim::new(false);
    sim.next(); // snapshot 2
    let mem = refresh_ok(sim.mem());
    // A newer timestamp that points back at snapshot 1.
    sim.ts_version = 3;
    sim.snap_version = 1;
    sim.tgt_version = 1;
    sim.publish();
    let mut mem = mem;
    mem.server = sim.server.clone();
    let (e, _) = refresh_err(mem);
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Snapshot,
            trusted: 2,
            found: 1
        }
    );
}

#[test]
fn targets_version_rollback_in_snapshot() {
    let mut sim = Sim::new(false);
    sim.next(); // targets 2
    let mem = refresh_ok(sim.mem());
    sim.ts_version = 3;
    sim.snap_version = 3;
    sim.tgt_version = 1;
    sim.publish();
    let mut mem = mem;
    mem.server = sim.server.clone();
    let (e, _) = refresh_err_at(mem, Role::Snapshot);
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Targets,
            trusted: 2,
            found: 1
        }
    );
}

#[test]
fn mix_and_match_snapshot_from_another_state() {
    let mut sim = Sim::new(false);
    let mut other = Sim::new(false);
    other.add_file("evil.txt", b"evil");
    other.publish(); // same versions, different content, same keys
    sim.server.insert(
        "meta/snapshot.json".into(),
        other.server["meta/snapshot.json"].clone(),
    );
    let (e, _) = refresh_err_at(sim.mem(), Role::Snapshot);
    assert!(
        matches!(&e, Error::HashMismatch { what, algorithm, .. } if what == "snapshot.json" && algorithm == "sha256"),
        "{e}"
    );
}

#[test]
fn mix_and_match_targets_from_another_state() {
    // Another state whose targets file has the same length: the pinned hash catches it.
    let mut sim = Sim::new(false);
    let mut other = Sim::new(false);
    other.add_file("file.txt", b"hellO, SwiftOS\n");
    other.publish();
    let theirs = other.server["meta/targets.json"].clone();
    assert_eq!(theirs.len(), sim.last_targets.len());
    sim.server.insert("meta/targets.json".into(), theirs);
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert!(
        matches!(&e, Error::HashMismatch { what, algorithm, .. } if what == "targets.json" && algorithm == "sha256"),
        "{e}"
    );
    // A longer one from yet another state is cut off at the pinned length.
    let mut sim = Sim::new(false);
    let pinned = sim.last_targets.len() as u64;
    let mut other = Sim::new(false);
    other.add_file("evil.txt", b"evil");
    other.publish();
    sim.server.insert(
        "meta/targets.json".into(),
        other.server["meta/targets.json"].clone(),
    );
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert_eq!(
        e,
        Error::TooLarge {
            what: "targets.json".into(),
            limit: pinned
        }
    );
}

#[test]
fn snapshot_version_must_match_timestamp_pin() {
    // Timestamp pins only the version (no length/hash): a snapshot of another version is refused.
    let mut sim = Sim::new(false);
    let s2 = {
        let s = snapshot_for(2, NOW + DAY, 1, &sim.last_targets);
        sign(&s, &[&key(20)]).unwrap()
    };
    let mut ts = timestamp_for(1, NOW + DAY, 1, &sim.last_snapshot);
    let pin = ts.meta.get_mut("snapshot.json").unwrap();
    pin.length = None;
    pin.hashes = None;
    sim.server.insert(
        "meta/timestamp.json".into(),
        sign(&ts, &[&key(10)]).unwrap(),
    );
    sim.server.insert("meta/snapshot.json".into(), s2);
    let (e, _) = refresh_err_at(sim.mem(), Role::Snapshot);
    assert_eq!(
        e,
        Error::VersionMismatch {
            role: Role::Snapshot,
            expected: 1,
            found: 2
        }
    );
}

#[test]
fn targets_version_must_match_snapshot_pin() {
    let mut sim = Sim::new(false);
    sim.tgt_version = 5;
    let t = sim.targets_bytes();
    sim.tgt_version = 4; // snapshot says 4
    let mut s = snapshot_for(1, NOW + DAY, 4, &t);
    let pin = s.meta.get_mut("targets.json").unwrap();
    pin.length = None;
    pin.hashes = None;
    let s = sign(&s, &[&key(20)]).unwrap();
    let ts = sign(&timestamp_for(1, NOW + DAY, 1, &s), &[&key(10)]).unwrap();
    sim.server.insert("meta/targets.json".into(), t);
    sim.server.insert("meta/snapshot.json".into(), s);
    sim.server.insert("meta/timestamp.json".into(), ts);
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert_eq!(
        e,
        Error::VersionMismatch {
            role: Role::Targets,
            expected: 4,
            found: 5
        }
    );
}

#[test]
fn root_rotation_valid_chain() {
    let mut sim = Sim::new(false);
    let mem = sim.mem();
    // v2: root keys 1 → 2,3 (threshold 2), signed by 1 (old) and 2,3 (new).
    sim.root_version = 2;
    sim.root_keys = vec![key(2), key(3)];
    sim.root_threshold = 2;
    sim.publish_root(&[&key(1), &key(2), &key(3)]);
    // v3: root keys 2,3 → 4, signed by 2,3 and 4.
    sim.root_version = 3;
    sim.root_keys = vec![key(4)];
    sim.root_threshold = 1;
    sim.publish_root(&[&key(2), &key(3), &key(4)]);
    let mut mem = mem;
    mem.server = sim.server.clone();
    let mut c = Client::new(mem, config()).unwrap();
    c.refresh().unwrap();
    assert_eq!(c.root().version, 3);
    assert_eq!(
        c.platform().store[&Role::Root],
        sim.server["meta/3.root.json"]
    );
}

#[test]
fn root_rotation_not_signed_by_old_keys() {
    let mut sim = Sim::new(false);
    sim.root_version = 2;
    sim.root_keys = vec![key(2)];
    sim.publish_root(&[&key(2)]);
    let (e, m) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Root,
            version: 2,
            valid: 0,
            threshold: 1,
            keys: KeySource::TrustedRoot
        }
    );
    assert_eq!(Client::new(m, config()).unwrap().root().version, 1);
}

#[test]
fn root_rotation_not_signed_by_new_keys() {
    let mut sim = Sim::new(false);
    sim.root_version = 2;
    sim.root_keys = vec![key(2), key(3)];
    sim.root_threshold = 2;
    sim.publish_root(&[&key(1), &key(2)]);
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Root,
            version: 2,
            valid: 1,
            threshold: 2,
            keys: KeySource::NewRoot
        }
    );
}

#[test]
fn root_rotation_wrong_version_in_file() {
    let mut sim = Sim::new(false);
    sim.root_version = 3;
    let b = sim.root_bytes(&[&key(1)]);
    sim.server.insert("meta/2.root.json".into(), b);
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::VersionMismatch {
            role: Role::Root,
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn root_chain_stops_at_bad_link_but_keeps_valid_prefix() {
    let mut sim = Sim::new(false);
    sim.root_version = 2;
    sim.publish_root(&[&key(1)]);
    sim.root_version = 3;
    sim.root_keys = vec![key(5)];
    sim.publish_root(&[&key(5)]); // not signed by v2's root key
    let mem = sim.mem();
    let mut c = Client::new(mem, config()).unwrap();
    let e = c.refresh().unwrap_err();
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Root,
            version: 3,
            valid: 0,
            threshold: 1,
            keys: KeySource::TrustedRoot
        }
    );
    // Version 2 was valid and is now trusted; version 3 is not.
    assert_eq!(
        c.platform().store[&Role::Root],
        sim.server["meta/2.root.json"]
    );
}

#[test]
fn max_root_rotations_bounds_the_chain() {
    let mut sim = Sim::new(false);
    for v in 2..=6 {
        sim.root_version = v;
        sim.publish_root(&[&key(1)]);
    }
    let mut cfg = config();
    cfg.max_root_rotations = 3;
    let mut c = Client::new(sim.mem(), cfg).unwrap();
    c.refresh().unwrap();
    assert_eq!(c.root().version, 4);
}

#[test]
fn fast_forward_recovery_after_timestamp_key_rotation() {
    let mut sim = Sim::new(false);
    // The attacker-controlled (compromised) timestamp key pushed version 1000.
    sim.ts_version = 1000;
    sim.publish();
    let mut mem = refresh_ok(sim.mem());
    // The repository rotates the timestamp key and restarts at version 2.
    sim.root_version = 2;
    sim.ts_keys = vec![key(11)];
    sim.publish_root(&[&key(1)]);
    sim.ts_version = 2;
    sim.publish();
    mem.server = sim.server.clone();
    let mem = refresh_ok(mem);
    assert_eq!(
        mem.store[&Role::Timestamp],
        sim.server["meta/timestamp.json"]
    );
}

#[test]
fn timestamp_rollback_still_caught_without_key_rotation() {
    let mut sim = Sim::new(false);
    sim.ts_version = 1000;
    sim.publish();
    let mut mem = refresh_ok(sim.mem());
    sim.root_version = 2; // root changes, but not the timestamp keys
    sim.publish_root(&[&key(1)]);
    sim.ts_version = 2;
    sim.publish();
    mem.server = sim.server.clone();
    let mut c = Client::new(mem, config()).unwrap();
    assert_eq!(
        c.refresh(),
        Err(Error::Rollback {
            role: Role::Timestamp,
            trusted: 1000,
            found: 2
        })
    );
}

#[test]
fn threshold_not_met() {
    let mut sim = Sim::new(false);
    sim.root_version = 2;
    sim.ts_keys = vec![key(10), key(11)];
    let mut spec = sim.spec();
    spec.timestamp.threshold = 2;
    let root = catalog_signer::build_root(&spec, 2, NOW + DAY * 365, false);
    let b = sign(&root, &[&key(1)]).unwrap();
    sim.server.insert("meta/2.root.json".into(), b);
    sim.ts_keys = vec![key(10)]; // only one of the two signs
    sim.publish();
    let (e, _) = refresh_err_at(sim.mem(), Role::Timestamp);
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Timestamp,
            version: 1,
            valid: 1,
            threshold: 2,
            keys: KeySource::TrustedRoot
        }
    );
}

#[test]
fn wrong_key() {
    let mut sim = Sim::new(false);
    sim.tgt_keys = vec![key(20)]; // signed by the snapshot key
    let t = sim.targets_bytes();
    sim.tgt_keys = vec![key(30)];
    let s = sim.snapshot_bytes(&t);
    let ts = sim.timestamp_bytes(&s);
    sim.server.insert("meta/targets.json".into(), t);
    sim.server.insert("meta/snapshot.json".into(), s);
    sim.server.insert("meta/timestamp.json".into(), ts);
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Targets,
            version: 1,
            valid: 0,
            threshold: 1,
            keys: KeySource::TrustedRoot
        }
    );
}

#[test]
fn duplicate_signature_entries_are_refused() {
    let mut sim = Sim::new(false);
    let mut v: serde_json::Value =
        serde_json::from_slice(&sim.server["meta/timestamp.json"]).unwrap();
    let sigs = v["signatures"].as_array_mut().unwrap();
    sigs.push(sigs[0].clone());
    sim.server.insert(
        "meta/timestamp.json".into(),
        serde_json::to_vec(&v).unwrap(),
    );
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::DuplicateSignature {
            role: Role::Timestamp,
            keyid: key(10).keyid()
        }
    );
}

#[test]
fn one_key_under_two_keyids_counts_once() {
    // Root v2 lists the timestamp key twice under different key ids (the second id is the key
    // object with an extra, ignored field) with threshold 2; one key signing twice must not pass.
    let mut sim = Sim::new(false);
    let spec = sim.spec();
    let mut root = catalog_signer::build_root(&spec, 2, NOW + 365 * DAY, false);
    let k = key(10).public_key();
    let alias = "aa".repeat(32);
    root.keys.insert(alias.clone(), k);
    let ts_role = root.roles.get_mut("timestamp").unwrap();
    ts_role.keyids.push(alias.clone());
    ts_role.threshold = 2;
    sim.server
        .insert("meta/2.root.json".into(), sign(&root, &[&key(1)]).unwrap());
    let ts = timestamp_for(1, NOW + DAY, 1, &sim.last_snapshot);
    let canon = catalog_core::canonical::to_canonical_from(&ts).unwrap();
    let s1 = key(10).sign(&canon);
    let s2 = Signature {
        keyid: alias,
        sig: s1.sig.clone(),
    };
    let doc = serde_json::json!({"signed": ts, "signatures": [s1, s2]});
    sim.server.insert(
        "meta/timestamp.json".into(),
        serde_json::to_vec(&doc).unwrap(),
    );
    let (e, _) = refresh_err_at(sim.mem(), Role::Timestamp);
    assert_eq!(
        e,
        Error::ThresholdNotMet {
            role: Role::Timestamp,
            version: 1,
            valid: 1,
            threshold: 2,
            keys: KeySource::TrustedRoot
        }
    );
}

#[test]
fn tampered_signed_content() {
    let mut sim = Sim::new(false);
    let text = String::from_utf8(sim.server["meta/targets.json"].clone()).unwrap();
    let tampered = text.replace("\"version\": 1", "\"version\": 1, \"x\": 0");
    assert_ne!(text, tampered);
    sim.tgt_version = 1;
    let s = sim.snapshot_bytes(tampered.as_bytes());
    let ts = sim.timestamp_bytes(&s);
    sim.server
        .insert("meta/targets.json".into(), tampered.into_bytes());
    sim.server.insert("meta/snapshot.json".into(), s);
    sim.server.insert("meta/timestamp.json".into(), ts);
    let (e, _) = refresh_err_at(sim.mem(), Role::Targets);
    assert!(
        matches!(
            e,
            Error::ThresholdNotMet {
                role: Role::Targets,
                valid: 0,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn oversized_timestamp() {
    let mut sim = Sim::new(false);
    sim.server
        .insert("meta/timestamp.json".into(), vec![b' '; 16_385]);
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::TooLarge {
            what: "timestamp.json".into(),
            limit: 16_384
        }
    );
}

#[test]
fn oversized_root() {
    let mut sim = Sim::new(false);
    sim.server
        .insert("meta/2.root.json".into(), vec![b' '; 512_001]);
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::TooLarge {
            what: "2.root.json".into(),
            limit: 512_000
        }
    );
}

#[test]
fn snapshot_longer_than_pinned_length() {
    let mut sim = Sim::new(false);
    let mut s = sim.server["meta/snapshot.json"].clone();
    let pinned = s.len() as u64;
    s.extend_from_slice(b"   ");
    sim.server.insert("meta/snapshot.json".into(), s);
    let (e, _) = refresh_err_at(sim.mem(), Role::Snapshot);
    assert_eq!(
        e,
        Error::TooLarge {
            what: "snapshot.json".into(),
            limit: pinned
        }
    );
}

#[test]
fn target_hash_and_length_mismatch() {
    let sim = Sim::new(false);
    let mut mem = refresh_ok(sim.mem());
    mem.server
        .insert("tgt/file.txt".into(), b"hellO, SwiftOS\n".to_vec());
    mem.server.insert("tgt/dir/data.bin".into(), vec![7u8; 999]);
    let mut c = Client::new(mem, config()).unwrap();
    c.refresh().unwrap();
    let e = c.download_target("file.txt").unwrap_err();
    assert!(
        matches!(&e, Error::HashMismatch { what, algorithm, .. } if what == "file.txt" && algorithm == "sha256"),
        "{e}"
    );
    assert_eq!(
        c.download_target("dir/data.bin"),
        Err(Error::LengthMismatch {
            what: "dir/data.bin".into(),
            expected: 1000,
            found: 999
        })
    );
    let mut mem = c.into_platform();
    mem.server
        .insert("tgt/dir/data.bin".into(), vec![7u8; 5000]);
    let mut c = Client::new(mem, config()).unwrap();
    c.refresh().unwrap();
    assert_eq!(
        c.download_target("dir/data.bin"),
        Err(Error::TooLarge {
            what: "dir/data.bin".into(),
            limit: 1000
        })
    );
}

#[test]
fn streaming_target_check() {
    let sim = Sim::new(false);
    let mut c = Client::new(sim.mem(), config()).unwrap();
    c.refresh().unwrap();
    let mut chk = c.target_check("dir/data.bin").unwrap();
    for _ in 0..10 {
        chk.update(&[7u8; 100]).unwrap();
    }
    chk.finish().unwrap();
    let mut chk = c.target_check("dir/data.bin").unwrap();
    chk.update(&[7u8; 1000]).unwrap();
    assert!(matches!(
        chk.update(&[7]),
        Err(Error::LengthMismatch { found: 1001, .. })
    ));
}

#[test]
fn malformed_and_garbage_metadata() {
    let garbage: [&[u8]; 6] = [
        b"",
        b"not json at all",
        b"{\"signed\": 5, \"signatures\": []}",
        b"{\"signed\": {\"_type\": \"timestamp\"}, \"signatures\": []}",
        &[0xde, 0xad, 0xbe, 0xef],
        b"{\"signatures\": [], \"signed\": {\"_type\": \"timestamp\", \"spec_version\": \"1.0.0\", \"version\": 2, \"expires\": \"2030-01-01T00:00:00Z\", \"meta\": {\"snapshot.json\": {\"version\": 1.5}}}}",
    ];
    for g in garbage {
        let mut sim = Sim::new(false);
        sim.server.insert("meta/timestamp.json".into(), g.to_vec());
        let (e, _) = refresh_err(sim.mem());
        assert!(
            matches!(
                e,
                Error::Malformed {
                    role: Role::Timestamp,
                    ..
                }
            ),
            "{e}"
        );
    }
    let mut sim = Sim::new(false);
    sim.server
        .insert("meta/2.root.json".into(), b"{\"signed\":".to_vec());
    let (e, _) = refresh_err(sim.mem());
    assert!(
        matches!(
            e,
            Error::Malformed {
                role: Role::Root,
                ..
            }
        ),
        "{e}"
    );
    // A snapshot file served as the timestamp.
    let mut sim = Sim::new(false);
    let s = sim.server["meta/snapshot.json"].clone();
    sim.server.insert("meta/timestamp.json".into(), s);
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::WrongType {
            role: Role::Timestamp,
            found: "snapshot".into()
        }
    );
}

#[test]
fn truncated_metadata_never_accepted() {
    let sim = Sim::new(false);
    let full = sim.server["meta/timestamp.json"].clone();
    // Every proper prefix of the JSON text (the trailing newline is insignificant).
    let json_len = full.trim_ascii_end().len();
    for cut in (0..json_len).step_by(13).chain([json_len - 1]) {
        let mut mem = sim.mem();
        mem.server
            .insert("meta/timestamp.json".into(), full[..cut].to_vec());
        let (e, _) = refresh_err(mem);
        assert!(matches!(e, Error::Malformed { .. }), "cut {cut}: {e}");
    }
}

#[test]
fn unsupported_spec_version() {
    let mut sim = Sim::new(false);
    let mut ts = timestamp_for(1, NOW + DAY, 1, &sim.last_snapshot);
    ts.spec_version = "2.0.0".into();
    sim.server.insert(
        "meta/timestamp.json".into(),
        sign(&ts, &[&key(10)]).unwrap(),
    );
    let (e, _) = refresh_err(sim.mem());
    assert_eq!(
        e,
        Error::UnsupportedSpecVersion {
            role: Role::Timestamp,
            found: "2.0.0".into()
        }
    );
}

#[test]
fn missing_root_is_reported() {
    let m = Mem::default();
    assert!(matches!(
        Client::new(m, config()),
        Err(Error::NoTrustedRoot)
    ));
    let mut m = Mem::default();
    assert!(matches!(
        Client::init(&mut m, b"garbage"),
        Err(Error::Malformed {
            role: Role::Root,
            ..
        })
    ));
    assert!(m.store.is_empty());
}
