//! `tuf-client ... download` with the target already in the target directory: a copy with the
//! trusted length and hashes is used as it is (no request for it); one that differs is replaced
//! through the normal verified download. The test server counts the target requests.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use catalog_core::Compat;
use catalog_repo::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};

/// Serve files under `root`; returns the base URL and the number of requests under `targets/`.
fn serve_counting(root: PathBuf) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(path) = request_path(&stream) else {
                continue;
            };
            if path.starts_with("targets/") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            let _ = stream.write_all(&response(&root, &path));
        }
    });
    (format!("http://127.0.0.1:{port}"), count)
}

fn request_path(stream: &std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    Some(path.trim_start_matches('/').to_string())
}

fn response(root: &Path, path: &str) -> Vec<u8> {
    match (path.contains(".."), std::fs::read(root.join(path))) {
        (false, Ok(body)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            [head.into_bytes(), body].concat()
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    }
}

/// Run `tuf-client`: exit status, standard output, standard error.
fn tuf(args: &[&str]) -> (i32, String, String) {
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

fn publish(dir: &Path) {
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
    let compat = Compat::swiftos();
    let mut repo = Repository::create(
        dir,
        &spec,
        &[&keys[0]],
        true,
        Expiry::default(),
        &compat,
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
}

#[test]
fn a_present_verified_target_is_not_downloaded_again() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    publish(&repo_dir);
    let (base, target_requests) = serve_counting(repo_dir.clone());
    let md = tmp.path().join("client");
    let out = tmp.path().join("out");
    let root1 = repo_dir.join("metadata/1.root.json");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    assert_eq!(tuf(&["--metadata-dir", &s(&md), "init", &s(&root1)]).0, 0);
    let (meta_url, tgt_url) = (format!("{base}/metadata"), format!("{base}/targets"));
    let (md_s, out_s) = (s(&md), s(&out));
    let download = || {
        tuf(&[
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
