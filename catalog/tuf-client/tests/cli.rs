//! The conformance CLI against a repository written by `catalog-repo`, served over real HTTP on
//! 127.0.0.1 by the tests' tiny file server (`swiftos_tests::python_tuf::serve`).

use std::path::Path;
use std::process::Command;

use swiftos_tests::python_tuf::serve;

use catalog_core::Compat;
use catalog_repo::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};

fn tuf(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn init_refresh_download_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
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
        &repo_dir,
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
