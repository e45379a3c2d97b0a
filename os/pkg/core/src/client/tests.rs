use super::*;
use crate::generation::current_bytes;
use crate::mem::MemPlatform;

fn gen_with(n: u64, parent: u64, pkgs: &[(&str, &str, &[&str])]) -> Generation {
    Generation {
        format: 1,
        generation: n,
        parent,
        created: 0,
        reason: "test".into(),
        packages: pkgs
            .iter()
            .map(|(name, v, deps)| Installed {
                name: (*name).into(),
                version: v.parse().unwrap(),
                explicit: deps.is_empty() || name.starts_with('a'),
                store: format!("{name}-{v}"),
                depends: deps
                    .iter()
                    .map(|d| crate::generation::DepRecord {
                        name: (*d).into(),
                        req: "*".into(),
                    })
                    .collect(),
                provides: Vec::new(),
                conflicts: Vec::new(),
                description: String::new(),
                origin: Origin::File,
            })
            .collect(),
    }
}

fn platform_with(gens: &[Generation], current: u64) -> MemPlatform {
    let mut p = MemPlatform::new();
    for g in gens {
        p.put(&layout::generation_file(g.generation), &g.to_bytes());
        for i in &g.packages {
            let file = format!("bin/{}", i.name);
            store_package(
                &mut p,
                &i.name,
                &i.version.to_string(),
                &[(file.as_str(), i.store.as_bytes())],
            );
        }
    }
    p.put(layout::CURRENT, &current_bytes(current));
    p
}

#[test]
fn remove_refuses_needed_then_drops_orphans_and_rollback_restores() {
    let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
    let mut pkg = Pkg::new(platform_with(core::slice::from_ref(&g1), 1));
    let snapshot = pkg.p.tree.borrow().clone();
    match pkg.remove(&["lib".into()], false) {
        Err(Error::Needed { name, dependents }) => {
            assert_eq!((name.as_str(), dependents.as_str()), ("lib", "app 1.0.0"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        *pkg.p.tree.borrow(),
        snapshot,
        "a refused remove changed the tree"
    );
    // `lib` is explicit here (no deps), so removing `app` keeps it.
    let c = pkg.remove(&["app".into()], false).unwrap();
    assert_eq!(
        (c.from, c.to, c.removed.clone()),
        (1, 2, alloc::vec![String::from("app 1.0.0")])
    );
    assert_eq!(pkg.list().unwrap().packages.len(), 1);
    let c = pkg.rollback().unwrap();
    assert_eq!((c.from, c.to), (2, 1));
    assert_eq!(pkg.list().unwrap(), g1);
    // Rolling back past the first generation gives the empty set; then there is nothing left.
    pkg.rollback().unwrap();
    assert!(pkg.list().unwrap().packages.is_empty());
    assert!(matches!(pkg.rollback(), Err(Error::NoPrevious(0))));
}

#[test]
fn gc_keeps_the_active_generation_and_its_recent_parents() {
    let g1 = gen_with(1, 0, &[("lib", "1.0.0", &[])]);
    let g2 = gen_with(2, 1, &[("lib", "1.1.0", &[])]);
    let g3 = gen_with(3, 2, &[("lib", "1.2.0", &[])]);
    let mut pkg = Pkg::new(platform_with(&[g1, g2.clone(), g3.clone()], 3));
    pkg.p.put("/pkg/store/junk-0.1.0/manifest.json", b"{}");
    assert_eq!(pkg.gc(1).unwrap(), (1, 2));
    assert_eq!(
        pkg.generations().unwrap(),
        alloc::vec![g2.clone(), g3.clone()]
    );
    assert!(pkg.store().has("lib-1.1.0").unwrap() && pkg.store().has("lib-1.2.0").unwrap());
    assert!(!pkg.store().has("lib-1.0.0").unwrap() && !pkg.store().has("junk-0.1.0").unwrap());
    pkg.rollback().unwrap();
    assert_eq!(pkg.list().unwrap(), g2);
    match pkg.rollback() {
        Err(Error::Usage(m)) => assert!(m.contains("deleted by `pkg gc`"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(pkg.list().unwrap(), g2);
    // keep 0 from generation 2: only generation 2 and its package remain.
    assert_eq!(pkg.gc(0).unwrap(), (1, 1));
    assert_eq!(pkg.generations().unwrap(), alloc::vec![g2]);
}

#[test]
fn forced_remove_and_unknown_names() {
    let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
    let mut pkg = Pkg::new(platform_with(&[g1], 1));
    assert!(matches!(
        pkg.remove(&["nope".into()], false),
        Err(Error::UnknownPackage { .. })
    ));
    let c = pkg.remove(&["lib".into()], true).unwrap();
    assert_eq!(c.removed, alloc::vec![String::from("lib 1.0.0")]);
}

#[test]
fn damaged_store_records_are_errors_not_panics() {
    let g1 = gen_with(1, 0, &[("app", "1.0.0", &["lib"]), ("lib", "1.0.0", &[])]);
    let good = g1.to_bytes();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..600 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bytes = good.clone();
        let cut = (seed as usize) % (bytes.len() + 1);
        if round % 2 == 0 {
            bytes.truncate(cut);
        } else if !bytes.is_empty() {
            let i = cut % bytes.len();
            bytes[i] = (seed >> 40) as u8;
        }
        let mut p = platform_with(core::slice::from_ref(&g1), 1);
        p.put(&layout::generation_file(1), &bytes);
        if round % 5 == 0 {
            p.put(layout::CURRENT, &bytes[..bytes.len().min(3)]);
        }
        let mut pkg = Pkg::new(p);
        let before = pkg.p.tree.borrow().clone();
        let _ = pkg.list();
        let _ = pkg.files("app");
        let _ = pkg.info("app");
        let _ = pkg.generations();
        if pkg.remove(&["app".into()], false).is_err() {
            assert_eq!(
                *pkg.p.tree.borrow(),
                before,
                "round {round}: failed remove changed the tree"
            );
        }
        let _ = pkg.rollback();
    }
}

/// Put a real (manifest + payload) package into the store of `p`.
fn store_package(p: &mut MemPlatform, name: &str, version: &str, files: &[(&str, &[u8])]) {
    use swpkg_core::{Entry, EntryKind, Manifest, Mode, Sha256};
    let m = Manifest {
        abi: swpkg_core::ABI_VERSION,
        arch: swpkg_core::ARCH.into(),
        conflicts: alloc::vec![],
        depends: alloc::vec![],
        description: "test".into(),
        files: core::iter::once(Entry {
            kind: EntryKind::Dir,
            link: None,
            mode: Mode::DIR,
            path: "bin".into(),
            sha256: None,
            size: 0,
        })
        .chain(files.iter().map(|(path, data)| Entry {
            kind: EntryKind::File,
            link: None,
            mode: Mode::EXEC,
            path: (*path).into(),
            sha256: Some(Sha256::digest(data)),
            size: data.len() as u64,
        }))
        .collect(),
        format: 1,
        license: "MIT".into(),
        name: name.into(),
        provides: alloc::vec![],
        version: version.parse().unwrap(),
    };
    let dir = format!("/pkg/store/{name}-{version}");
    p.put(&format!("{dir}/manifest.json"), &m.to_canonical_bytes());
    for (path, data) in files {
        p.put(&format!("{dir}/root/{path}"), data);
    }
}

fn three_generations() -> MemPlatform {
    let g1 = gen_with(1, 0, &[("lua", "5.4.4", &[])]);
    let g2 = gen_with(2, 1, &[("lua", "5.4.6", &[])]);
    let g3 = gen_with(3, 2, &[("lua", "5.4.6", &[]), ("zed", "1.0.0", &[])]);
    let mut p = platform_with(&[g1, g2, g3], 3);
    store_package(&mut p, "lua", "5.4.4", &[("bin/lua", b"old lua")]);
    store_package(&mut p, "lua", "5.4.6", &[("bin/lua", b"new lua")]);
    store_package(&mut p, "zed", "1.0.0", &[("bin/zed", b"zed")]);
    p
}

#[test]
fn activate_uses_an_intact_current_generation() {
    let mut pkg = Pkg::new(three_generations());
    let a = pkg.activate().unwrap();
    assert_eq!((a.current, a.used), (Some(3), 3));
    assert!(a.problems.is_empty() && a.rejected.is_empty(), "{a:?}");
    let roots = alloc::vec![
        String::from("/pkg/store/lua-5.4.6/root"),
        String::from("/pkg/store/zed-1.0.0/root"),
    ];
    assert_eq!(a.roots, roots);
    assert_eq!(a.overlay, Overlay::Applied(2));
    assert_eq!(pkg.p.overlays, alloc::vec![roots]);
    let text = crate::report::activation(&a, true).join("\n");
    assert!(
        text.contains("this boot uses generation 3 (2 package(s): lua 5.4.6, zed 1.0.0), verified"),
        "{text}"
    );
}

#[test]
fn activate_falls_back_to_the_newest_older_intact_generation() {
    let mut p = three_generations();
    // zed's file changed on disk: generation 3 is damaged, 2 (lua 5.4.6 only) is intact.
    p.put("/pkg/store/zed-1.0.0/root/bin/zed", b"ZED");
    let before = p.tree.borrow().clone();
    let mut pkg = Pkg::new(p);
    let a = pkg.activate().unwrap();
    assert_eq!((a.current, a.used), (Some(3), 2), "{a:?}");
    assert_eq!(a.rejected, alloc::vec![3]);
    assert_eq!(a.problems.len(), 1, "{a:?}");
    assert!(
        a.problems[0].starts_with("generation 3: zed 1.0.0: /bin/zed content changed"),
        "{a:?}"
    );
    assert_eq!(
        pkg.p.overlays,
        alloc::vec![alloc::vec![String::from("/pkg/store/lua-5.4.6/root")]]
    );
    // Nothing deleted, `current` unchanged; the fallback is recorded, and the other
    // commands describe (and start from) the generation in use.
    let mut after = pkg.p.tree.borrow().clone();
    assert_eq!(
        after.remove(layout::FALLBACK),
        Some(crate::mem::Node::File(0o644, b"3 2\n".to_vec()))
    );
    assert_eq!(after, before);
    assert_eq!(pkg.list().unwrap().generation, 2);
    let u = pkg.in_use().unwrap();
    assert_eq!(u.recorded.as_ref().and_then(|r| r.number), Some(3));
    let note = crate::report::in_use_note(&u).unwrap();
    assert!(
        note.starts_with("note: /pkg/current names generation 3 (lua 5.4.6, zed 1.0.0), which is damaged (`pkg activate` found it damaged; `pkg verify` shows why); generation 2 (1 package(s)) is in use"),
        "{note}"
    );
    let text = crate::report::activation(&a, true).join("\n");
    assert!(
        text.contains("damaged: generation 3: zed 1.0.0: /bin/zed content changed"),
        "{text}"
    );
    assert!(text.contains("generation 3 is damaged (1 problem(s) above); falling back: this boot uses generation 2"), "{text}");

    // Generation 2's package damaged too (lua 5.4.6 missing a file): 1 is used.
    pkg.p
        .tree
        .borrow_mut()
        .remove("/pkg/store/lua-5.4.6/root/bin/lua");
    let a = pkg.activate().unwrap();
    assert_eq!(
        (a.used, a.rejected.clone()),
        (1, alloc::vec![3, 2]),
        "{a:?}"
    );
    assert!(
        a.problems
            .iter()
            .any(|p| p.contains("generation 2: lua 5.4.6: /bin/lua is missing")),
        "{a:?}"
    );
    assert_eq!(
        a.roots,
        alloc::vec![String::from("/pkg/store/lua-5.4.4/root")]
    );

    // A package whose payload directory vanished is damaged too (the overlay needs it).
    pkg.p
        .tree
        .borrow_mut()
        .remove("/pkg/store/lua-5.4.4/root/bin/lua");
    pkg.p
        .tree
        .borrow_mut()
        .remove("/pkg/store/lua-5.4.4/root/bin");
    pkg.p.tree.borrow_mut().remove("/pkg/store/lua-5.4.4/root");
    let a = pkg.activate().unwrap();
    assert_eq!(
        (a.used, a.rejected.clone()),
        (0, alloc::vec![3, 2, 1]),
        "{a:?}"
    );
    assert!(
        a.problems
            .iter()
            .any(|p| p.contains("payload directory /pkg/store/lua-5.4.4/root is missing")),
        "{a:?}"
    );

    // Nothing intact at all: the empty generation 0.
    pkg.p
        .tree
        .borrow_mut()
        .remove("/pkg/store/lua-5.4.4/manifest.json");
    let a = pkg.activate().unwrap();
    assert_eq!(
        (a.used, a.rejected.clone()),
        (0, alloc::vec![3, 2, 1]),
        "{a:?}"
    );
    assert!(a.roots.is_empty());
    assert!(
        a.problems
            .iter()
            .any(|p| p.contains("lua-5.4.4 is missing from the store")),
        "{a:?}"
    );
}

#[test]
fn activate_survives_a_damaged_pointer_and_generation_files() {
    let mut p = three_generations();
    p.put(layout::CURRENT, b"garbage");
    p.put(&layout::generation_file(2), b"{not json");
    let mut pkg = Pkg::new(p);
    let a = pkg.activate().unwrap();
    // The pointer is unreadable: the newest generation that parses and verifies wins.
    assert_eq!((a.current, a.used), (None, 3), "{a:?}");
    assert!(a.problems[0].starts_with("/pkg/current"), "{a:?}");
    let text = crate::report::activation(&a, false).join("\n");
    assert!(
        text.contains("pointer is unreadable; falling back: now active: generation 3"),
        "{text}"
    );
    // Without a store at all: generation 0, empty overlay.
    let mut pkg = Pkg::new(MemPlatform::new());
    let a = pkg.activate().unwrap();
    assert_eq!((a.current, a.used, a.roots.len()), (Some(0), 0, 0));
    assert_eq!(pkg.p.overlays, alloc::vec![Vec::<String>::new()]);
}

#[test]
fn a_missing_current_generation_does_not_block_commands() {
    // `current` names generation 5, whose file is gone (generations 1-3 exist).
    let mut p = three_generations();
    p.put(layout::CURRENT, b"5\n");
    let mut pkg = Pkg::new(p);
    let before = pkg.p.tree.borrow().clone();
    // list works and describes generation 3, the newest intact one.
    assert_eq!(pkg.list().unwrap().generation, 3);
    let u = pkg.in_use().unwrap();
    let note = crate::report::in_use_note(&u).unwrap();
    assert!(
        note.starts_with("note: /pkg/current names generation 5, which is damaged (")
            && note.contains("/pkg/generations/5.json")
            && note.contains("generation 3 (2 package(s)) is in use"),
        "{note}"
    );
    assert_eq!(pkg.files("zed").unwrap().0, "/pkg/store/zed-1.0.0/root");
    assert_eq!(*pkg.p.tree.borrow(), before, "queries changed the tree");
    // activate falls back to 3 and names it correctly.
    let a = pkg.activate().unwrap();
    assert_eq!((a.current, a.used), (Some(5), 3));
    // A rollback starts from generation 3 too (to its parent 2) and repairs `current`.
    let c = pkg.rollback().unwrap();
    assert_eq!((c.from, c.to), (3, 2));
    assert_eq!(pkg.store().current_number().unwrap(), 2);
    assert!(pkg.store().fallback().is_none());
    // A removal after the pointer broke again: from the newest intact generation below 5
    // (3, not the 2 that was last current), as generation 6.
    pkg.p.put(layout::CURRENT, b"5\n");
    let c = pkg.remove(&["lua".into()], false).unwrap();
    assert_eq!((c.from, c.to), (3, 6));
    assert!(
        pkg.p
            .said
            .iter()
            .any(|l| l.starts_with("note: /pkg/current names generation 5")),
        "{:?}",
        pkg.p.said
    );
    assert_eq!(pkg.store().current_number().unwrap(), 6);
    assert!(pkg.in_use().unwrap().recorded.is_none());
    // `pkg verify` names the damaged generation and checks the one in use (generations
    // newer than the one `current` names are not candidates, as for `pkg activate`).
    pkg.p.put(layout::CURRENT, b"5\n");
    let problems = pkg.verify(None).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("/pkg/generations/5.json")
            && problems[0].contains("generation 3 is in use"),
        "{problems:?}"
    );
}

#[test]
fn commands_start_from_the_generation_activate_fell_back_to() {
    let p = three_generations();
    p.tree
        .borrow_mut()
        .remove("/pkg/store/zed-1.0.0/root/bin/zed");
    let mut pkg = Pkg::new(p);
    let a = pkg.activate().unwrap();
    assert_eq!((a.current, a.used), (Some(3), 2));
    // list, files, info describe generation 2 (zed is not visible).
    assert!(pkg.list().unwrap().get("zed").is_none());
    assert!(matches!(
        pkg.files("zed"),
        Err(Error::UnknownPackage { .. })
    ));
    assert!(pkg.info("zed").is_err());
    // The next commit starts from 2 and ends the fallback.
    let c = pkg.remove(&["lua".into()], false).unwrap();
    assert_eq!(
        (c.from, c.to, c.removed),
        (2, 4, alloc::vec![String::from("lua 5.4.6")])
    );
    assert!(pkg.p.metadata(layout::FALLBACK).unwrap().is_none());
    assert_eq!(pkg.in_use().unwrap().recorded, None);
    // A stale record (naming another `current`) is ignored.
    pkg.p.put(layout::FALLBACK, b"3 2\n");
    assert_eq!(pkg.list().unwrap().generation, 4);
}

#[test]
fn rollback_refuses_a_damaged_generation() {
    let mut pkg = Pkg::new(three_generations());
    pkg.remove(&["zed".into()], false).unwrap();
    pkg.p
        .tree
        .borrow_mut()
        .remove("/pkg/store/zed-1.0.0/root/bin/zed");
    let before = pkg.p.tree.borrow().clone();
    match pkg.rollback() {
        Err(e @ Error::Damaged(_)) => {
            let m = crate::report::failure(&e);
            assert_eq!(
                m,
                "cannot roll back to generation 3: it is damaged (zed 1.0.0: /bin/zed is missing); `pkg install` \
                 of that version fetches a damaged package again; nothing was changed"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(*pkg.p.tree.borrow(), before);
    assert_eq!(pkg.list().unwrap().generation, 4);
}

#[test]
fn activation_text_of_an_empty_generation() {
    let a = Activation {
        current: Some(5),
        used: 4,
        problems: alloc::vec![String::from("generation 5: gone")],
        rejected: alloc::vec![5],
        roots: Vec::new(),
        packages: Vec::new(),
        overlay: Overlay::Unsupported,
    };
    let text = crate::report::activation(&a, false).join("\n");
    assert!(
        text.contains("falling back: now active: generation 4 (no packages). Nothing was deleted"),
        "{text}"
    );
}

#[test]
fn every_commit_switches_the_overlay() {
    let mut pkg = Pkg::new(three_generations());
    let c = pkg.remove(&["zed".into()], false).unwrap();
    assert_eq!((c.from, c.to), (3, 4));
    assert_eq!(c.overlay, Overlay::Applied(1));
    let c = pkg.rollback().unwrap();
    assert_eq!((c.to, c.overlay.clone()), (3, Overlay::Applied(2)));
    assert_eq!(
        pkg.p.overlays,
        alloc::vec![
            alloc::vec![String::from("/pkg/store/lua-5.4.6/root")],
            alloc::vec![
                String::from("/pkg/store/lua-5.4.6/root"),
                String::from("/pkg/store/zed-1.0.0/root")
            ],
        ]
    );
    let lines = crate::report::change(&c);
    assert!(
        lines.iter().any(|l| l.contains("active now under /usr")),
        "{lines:?}"
    );
    // A refused command does not touch the overlay.
    assert!(pkg.remove(&["nope".into()], false).is_err());
    assert_eq!(pkg.p.overlays.len(), 2);
}

#[test]
fn pinned_root_key_is_read_from_the_base_image() {
    let mut pkg = Pkg::new(MemPlatform::new());
    match pkg.pinned_root_key() {
        Err(Error::Usage(m)) => {
            assert!(m.contains("/etc/swos/repo-root.pub is missing"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    pkg.p.put(layout::PINNED_ROOT_KEY, b"garbage\n");
    assert!(matches!(pkg.pinned_root_key(), Err(Error::Usage(_))));
    let key = ed25519_key();
    pkg.p.put(
        layout::PINNED_ROOT_KEY,
        swpkg_core::format_public_key(&key).as_bytes(),
    );
    assert_eq!(pkg.pinned_root_key().unwrap(), key);
}

#[test]
fn repo_set_names_what_is_wrong_with_the_url() {
    let mut pkg = Pkg::new(MemPlatform::new());
    for (url, want) in [
        (
            "repo.swiftos.test:8080",
            "has no http:// in front; e.g. http://repo.swiftos.test:8080/",
        ),
        ("http://", "names no host"),
        ("http:///metadata", "names no host"),
        ("https://:8080/", "names no host"),
    ] {
        match pkg.repo_set(
            url,
            TrustedRoot::Key(PublicKey::Ed25519(ed25519_key())),
            &[],
        ) {
            Err(Error::Usage(m)) => assert!(m.contains(want), "{url}: {m}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

fn ed25519_key() -> VerifyingKey {
    // A fixed valid point: the public key of the all-zero test seed.
    let text = "swpkg-ed25519-public-v1 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29\n";
    swpkg_core::parse_public_key(text).unwrap()
}
