//! Shared by the `tuf-client` integration tests (and `os/pkg/host/tests/python_tuf.rs`, which
//! includes this file): a tiny file server on 127.0.0.1, and python-tuf's repository writer
//! `python/repo.py` run by the Python that `SWIFTOS_TUF_PYTHON` names.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Serve files under `root` until the process exits; returns the base URL.
pub fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            let file = root.join(&path);
            let resp = match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(body)) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(&body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&resp);
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The environment variable naming the Python that has python-tuf.
pub const TUF_PYTHON_ENV: &str = "SWIFTOS_TUF_PYTHON";

/// The Python that has python-tuf; a missing one fails the test (never a silent skip).
pub fn python() -> PathBuf {
    match std::env::var_os(TUF_PYTHON_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{TUF_PYTHON_ENV} is not set: these tests need python-tuf. Run them through \
             `cargo xtask test`, or run `cargo xtask setup` and then \
             `export {TUF_PYTHON_ENV}=$(ls -d ~/.cache/swiftos/python-tuf/*/bin/python | head -1)`"
        ),
    }
}

/// `catalog/tuf-client/tests/python/NAME`, whichever crate includes this file (`file!()` is
/// relative to the workspace root, an ancestor of the crate's manifest directory).
pub fn script(name: &str) -> PathBuf {
    let this = Path::new(file!());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join(this).is_file())
        .expect("the workspace root holds this file");
    workspace
        .join(this)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("python")
        .join(name)
}

/// Run `repo.py DIR ARGS...` (python-tuf writes or changes the repository in `DIR`); a failure
/// panics with the script's standard error.
pub fn repo_py(dir: &Path, args: &[&str]) {
    let out = Command::new(python())
        .arg(script("repo.py"))
        .arg(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python().display()));
    assert!(
        out.status.success(),
        "repo.py {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
