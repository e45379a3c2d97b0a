//! Headless Chromium (Debian's `chromium`) against the static package browser: the search on
//! the index page finds a package (from `file://` and through repo-server), and the package page
//! shows its dependencies and reverse dependencies. Screenshots go to `TARGET/browser-test/`
//! (outside git).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build_package, Server};

fn chromium(user_data: &Path, args: &[&str]) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", user_data.display()))
        .args(args)
        .output()
        .expect("Debian's chromium is needed for this test: apt-get install chromium");
    assert!(
        out.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn artefact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let d = target.join("browser-test");
    fs::create_dir_all(&d).unwrap();
    d
}

/// The hits of the search results list, in order.
fn hits(dom: &str) -> Vec<String> {
    dom.split("<li class=\"hit\" data-name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect()
}

#[test]
fn search_finds_packages_and_pages_show_dependencies() {
    let tmp = tempfile::tempdir().unwrap();
    let (keys, work, incoming, www) = (
        tmp.path().join("keys"),
        tmp.path().join("work"),
        tmp.path().join("in"),
        tmp.path().join("www"),
    );
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&incoming).unwrap();
    catalog_hosted::generate_keys(&keys).unwrap();
    build_package(&work, &keys, &incoming, "zlib", "1.3.0", &[]);
    build_package(&work, &keys, &incoming, "libgreet", "1.0.0", &[]);
    build_package(
        &work,
        &keys,
        &incoming,
        "hello",
        "1.0.0",
        &[("libgreet", "^1"), ("zlib", ">=1.2")],
    );
    catalog_hosted::publish(&catalog_hosted::PublishOptions::new(&incoming, &keys, &www)).unwrap();
    let ud = tmp.path().join("chromium");
    let art = artefact_dir();

    // From file://: no server at all.
    let index = format!("file://{}/index.html", www.display());
    let dom = chromium(&ud, &["--dump-dom", &format!("{index}?q=libgr")]);
    assert_eq!(hits(&dom), ["libgreet"], "{dom}");
    assert!(
        dom.contains("id=\"all\" style=\"display: none;\""),
        "the full table is hidden while searching"
    );
    let dom = chromium(
        &ud,
        &["--dump-dom", &format!("{index}?q=nothing-like-this")],
    );
    assert!(
        hits(&dom).is_empty() && dom.contains("id=\"none\""),
        "{dom}"
    );
    // Several terms must all match (name, description or file path).
    let dom = chromium(&ud, &["--dump-dom", &format!("{index}?q=bin/hello%20test")]);
    assert_eq!(hits(&dom), ["hello"], "{dom}");

    // Through repo-server.
    let server = Server::start(&www, tmp.path());
    let dom = chromium(&ud, &["--dump-dom", &server.url("/?q=zlib")]);
    assert_eq!(hits(&dom), ["zlib"], "{dom}");
    let shot = art.join("index-search.png");
    chromium(
        &ud,
        &[
            "--window-size=1000,700",
            &format!("--screenshot={}", shot.display()),
            &server.url("/?q=greet"),
        ],
    );
    assert!(fs::metadata(&shot).unwrap().len() > 1000);

    // The package page: version, sha256, dependencies both ways.
    let dom = chromium(&ud, &["--dump-dom", &server.url("/browse/hello.html")]);
    assert!(
        dom.contains("data-dep=\"libgreet\"><a href=\"libgreet.html\">libgreet</a>"),
        "{dom}"
    );
    assert!(
        dom.contains("data-dep=\"zlib\"><a href=\"zlib.html\">zlib</a>"),
        "{dom}"
    );
    assert!(dom.contains("class=\"sha256\""));
    let dom = chromium(&ud, &["--dump-dom", &server.url("/browse/zlib.html")]);
    let req = &dom[dom.find("required-by").unwrap()..];
    assert!(req.contains("<a href=\"hello.html\">hello</a>"), "{dom}");
    let shot = art.join("package-page.png");
    chromium(
        &ud,
        &[
            "--window-size=1000,900",
            &format!("--screenshot={}", shot.display()),
            &server.url("/browse/hello.html"),
        ],
    );
    assert!(fs::metadata(&shot).unwrap().len() > 1000);
    eprintln!("screenshots in {}", art.display());
}
