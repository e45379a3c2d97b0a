//! The conformance CLI against a repository written by `catalog-signer`, served over real HTTP on
//! 127.0.0.1 by the tests' tiny file server (`swiftos_tests::python_tuf::serve`).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use swiftos_tests::python_tuf::{serve, serve_counting};

use catalog_core::Compat;
use catalog_signer::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};

/// Run `tuf-client`: exit status and standard error.
fn tuf(args: &[&str]) -> (i32, String) {
    let (code, _, err) = tuf_out(args);
    (code, err)
}

/// Run `tuf-client`: exit status, standard output, standard error.
fn tuf_out(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A repository in `dir`, written by `catalog-signer` with one key per role, holding one target
/// `docs/readme.txt` (`read me\n`).
fn publish_readme(dir: &Path) -> Repository {
    let keys: Vec<KeyPair> = (1..=4u8).map(|i| KeyPair::from_seed([i; 32])).collect();
    let spec = RootSpec {
        root: RoleSpec::of(&[&keys[0]], 1),
        timestamp: RoleSpec::of(&[&keys[1]], 1),
        snapshot: RoleSpec::of(&[&keys[2]], 1),
        targets: RoleSpec::of(&[&keys[3]], 1),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut repo = Repository::create(
        dir,
        &spec,
        &[&keys[0]],
        true,
        Expiry::default(),
        &Compat::swiftos(),
        now,
    )
    .unwrap();
    repo.add_target("docs/readme.txt", b"read me\n", None)
        .unwrap();
    let signers = Signers {
        targets: &[&keys[3]],
        snapshot: &[&keys[2]],
        timestamp: &[&keys[1]],
    };
    repo.publish(&signers, now).unwrap();
    repo
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn init_refresh_download_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    let repo = publish_readme(&repo_dir);
    let base = serve(repo_dir.clone());
    let meta_url = format!("{base}/metadata");
    let tgt_url = format!("{base}/targets");
    let md = tmp.path().join("client");
    let out = tmp.path().join("out");

    let root1 = repo_dir.join("metadata/1.root.json");
    assert_eq!(tuf(&["--metadata-dir", s(&md), "init", s(&root1)]).0, 0);
    let (code, err) = tuf(&[
        "--metadata-dir",
        s(&md),
        "--metadata-url",
        &meta_url,
        "refresh",
    ]);
    assert_eq!(code, 0, "{err}");
    for f in [
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
    ] {
        assert!(md.join(f).exists(), "{f}");
    }
    let (code, err) = tuf(&[
        "--metadata-dir",
        s(&md),
        "--metadata-url",
        &meta_url,
        "--target-name",
        "docs/readme.txt",
        "--target-base-url",
        &tgt_url,
        "--target-dir",
        s(&out),
        "download",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(out.join("docs%2Freadme.txt")).unwrap(),
        b"read me\n"
    );

    // A tampered target file (both names) is refused with exit status 1.
    let sha = &repo.targets().targets["docs/readme.txt"].hashes["sha256"];
    std::fs::write(
        repo_dir.join(format!("targets/docs/{sha}.readme.txt")),
        b"read mE\n",
    )
    .unwrap();
    let (code, err) = tuf(&[
        "--metadata-dir",
        s(&md),
        "--metadata-url",
        &meta_url,
        "--target-name",
        "docs/readme.txt",
        "--target-base-url",
        &tgt_url,
        "--target-dir",
        s(&tmp.path().join("out2")),
        "download",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("sha256"), "{err}");
    assert!(!tmp.path().join("out2/docs%2Freadme.txt").exists());

    // An unknown target, a garbage timestamp, a bad command: exit status 1.
    let (code, _) = tuf(&[
        "--metadata-dir",
        s(&md),
        "--metadata-url",
        &meta_url,
        "--target-name",
        "nope",
        "--target-base-url",
        &tgt_url,
        "--target-dir",
        s(&out),
        "download",
    ]);
    assert_eq!(code, 1);
    let trusted_ts = std::fs::read(md.join("timestamp.json")).unwrap();
    std::fs::write(repo_dir.join("metadata/timestamp.json"), b"{garbage").unwrap();
    let (code, err) = tuf(&[
        "--metadata-dir",
        s(&md),
        "--metadata-url",
        &meta_url,
        "refresh",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("timestamp metadata is malformed"), "{err}");
    assert_eq!(
        std::fs::read(md.join("timestamp.json")).unwrap(),
        trusted_ts
    );
    assert_eq!(tuf(&["--metadata-dir", s(&md), "frobnicate"]).0, 1);
    assert_eq!(
        tuf(&["--metadata-dir", s(&md), "init", "/nonexistent/root.json"]).0,
        1
    );
}

/// `tuf-client ... download` with the target already in the target directory: a copy with the
/// trusted length and hashes is used as it is (no request for it); one that differs is replaced
/// through the normal verified download. The test server counts the target requests.
#[test]
fn a_present_verified_target_is_not_downloaded_again() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    publish_readme(&repo_dir);
    let (base, target_requests) = serve_counting(repo_dir.clone(), "targets/");
    let md = tmp.path().join("client");
    let out = tmp.path().join("out");
    let root1 = repo_dir.join("metadata/1.root.json");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    assert_eq!(
        tuf_out(&["--metadata-dir", &s(&md), "init", &s(&root1)]).0,
        0
    );
    let (meta_url, tgt_url) = (format!("{base}/metadata"), format!("{base}/targets"));
    let (md_s, out_s) = (s(&md), s(&out));
    let download = || {
        tuf_out(&[
            "--metadata-dir",
            &md_s,
            "--metadata-url",
            &meta_url,
            "--target-name",
            "docs/readme.txt",
            "--target-base-url",
            &tgt_url,
            "--target-dir",
            &out_s,
            "download",
        ])
    };
    let file = out.join("docs%2Freadme.txt");

    let (code, _, err) = download();
    assert_eq!(code, 0, "{err}");
    assert_eq!(target_requests.load(Ordering::SeqCst), 1);

    // Present and intact: used as it is, said so, nothing requested.
    let (code, stdout, err) = download();
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("already present, verified"), "{stdout}");
    assert_eq!(target_requests.load(Ordering::SeqCst), 1);

    // Same length, other bytes; shorter; longer: never trusted, downloaded again and replaced.
    for (i, bad) in [&b"read mE\n"[..], b"read", b"read me\n and more"]
        .into_iter()
        .enumerate()
    {
        std::fs::write(&file, bad).unwrap();
        let (code, stdout, err) = download();
        assert_eq!(code, 0, "{err}");
        assert!(!stdout.contains("already present"), "{stdout}");
        assert_eq!(target_requests.load(Ordering::SeqCst), 2 + i);
        assert_eq!(std::fs::read(&file).unwrap(), b"read me\n");
    }
}
