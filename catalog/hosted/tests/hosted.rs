//! Publish + verify-url end to end: real packages (swpkg host library), real keys, a web root
//! served over real HTTP on 127.0.0.1 by a minimal static server thread; republishing while a
//! TUF client reads; tampering and garbage reported by verify-url.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use catalog_core::client::FetchError;
use catalog_core::{Client, Config};
use catalog_hosted::layout::{parse_sidecar, HostedRepo};
use catalog_hosted::{publish, verify_url, PublishOptions, VerifyOptions};
use catalog_signer::host::{fetch_file, DirStore, DirTufPlatform};

/// Serve `dir` read-only over HTTP/1.1 (one thread per connection, `Connection: close`).
fn serve(dir: PathBuf) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let dir = dir.clone();
            thread::spawn(move || {
                let _ = answer(c, &dir);
            });
        }
    });
    base
}

fn answer(mut c: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut r = BufReader::new(c.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let rel = path.trim_start_matches('/');
    let ok = !rel.split('/').any(|s| s == ".." || s.is_empty());
    match fs::read(dir.join(rel)).ok().filter(|_| ok) {
        Some(b) => {
            write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            )?;
            c.write_all(&b)
        }
        None => {
            c.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    keys: PathBuf,
    incoming: PathBuf,
    out: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_key_type(catalog_hosted::KeyType::Ed25519)
    }

    /// Role keys made by `swport repo keygen --key-type TYPE`.
    fn with_key_type(key_type: catalog_hosted::KeyType) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let keys = tmp.path().join("keys");
        let incoming = tmp.path().join("incoming");
        let out = tmp.path().join("www");
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&incoming).unwrap();
        catalog_hosted::generate_keys_of(&keys, key_type).unwrap();
        Fixture {
            _tmp: tmp,
            work,
            keys,
            incoming,
            out,
        }
    }

    /// Build `NAME-VERSION.swpkg` into the incoming directory, signed by `key` (default: the
    /// package key).
    fn package(
        &self,
        name: &str,
        version: &str,
        deps: &[(&str, &str)],
        key: Option<&Path>,
    ) -> PathBuf {
        let stage = self.work.join(format!("stage-{name}-{version}"));
        fs::create_dir_all(stage.join("bin")).unwrap();
        fs::write(stage.join("bin").join(name), format!("{name} {version}\n")).unwrap();
        fs::create_dir_all(stage.join("share/doc")).unwrap();
        fs::write(
            stage.join(format!("share/doc/{name}.txt")),
            "docs\n".repeat(10),
        )
        .unwrap();
        let mut toml = format!(
            "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"The {name} <test> package\"\nlicense = \"MIT\"\n"
        );
        if !deps.is_empty() {
            toml.push_str("[depends]\n");
            for (d, r) in deps {
                toml.push_str(&format!("{d} = \"{r}\"\n"));
            }
        }
        let mf = self.work.join(format!("{name}-{version}.toml"));
        fs::write(&mf, toml).unwrap();
        let out = self.incoming.join(format!("{name}-{version}.swpkg"));
        let default_key = self.keys.join("package.key");
        let sk = swpkg_keys::read_secret_key(key.unwrap_or(&default_key)).unwrap();
        swpkg_host::build_package(
            &mf,
            &stage,
            &sk,
            swpkg_host::BuildOptions { mtime: 0 },
            &out,
        )
        .unwrap();
        out
    }

    fn opts(&self) -> PublishOptions {
        let mut o = PublishOptions::new(&self.incoming, &self.keys, &self.out);
        o.name = "seed".into();
        o.channel = "testing".into();
        o
    }

    fn clear_incoming(&self) {
        for e in fs::read_dir(&self.incoming).unwrap() {
            fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn publish_writes_the_hosted_layout() {
    let f = Fixture::new();
    f.package("libgreet", "1.0.0", &[], None);
    f.package("hello", "1.0.0", &[("libgreet", "^1")], None);
    let p = publish(&f.opts()).unwrap();
    assert!(p.created);
    assert_eq!(
        p.added,
        [
            "packages/hello-1.0.0.swpkg",
            "packages/libgreet-1.0.0.swpkg"
        ]
    );
    assert_eq!(
        (p.targets_version, p.snapshot_version, p.timestamp_version),
        (1, 1, 1)
    );

    let hosted: HostedRepo = serde_json::from_str(&read(&f.out.join("hosted-repo.json"))).unwrap();
    assert_eq!(
        (hosted.name.as_str(), hosted.channel.as_str()),
        ("seed", "testing")
    );
    assert_eq!(hosted.compatibility.arch, "aarch64");
    assert_eq!(hosted.compatibility.abi, swiftos_abi::ABI_VERSION);
    assert_eq!(
        read(&f.out.join("repo-root.pub")),
        read(&f.keys.join("root.pub")),
        "repo-root.pub is the root key"
    );
    for m in [
        "1.root.json",
        "root.json",
        "1.targets.json",
        "1.snapshot.json",
        "timestamp.json",
    ] {
        assert!(f.out.join("metadata").join(m).is_file(), "{m}");
    }
    let pkgdir = f.out.join("targets/packages");
    let bytes = fs::read(pkgdir.join("hello-1.0.0.swpkg")).unwrap();
    let sha = catalog_core::metadata::sha256_hex(&bytes);
    assert_eq!(
        fs::read(pkgdir.join(format!("{sha}.hello-1.0.0.swpkg"))).unwrap(),
        bytes
    );
    let side = read(&pkgdir.join("hello-1.0.0.swpkg.sha256"));
    assert_eq!(parse_sidecar(&side, "hello-1.0.0.swpkg").unwrap(), sha);
    // The sidecars are what `sha256sum -c` expects.
    let st = Command::new("sha256sum")
        .args([
            "-c",
            "--quiet",
            "hello-1.0.0.swpkg.sha256",
            "libgreet-1.0.0.swpkg.sha256",
        ])
        .current_dir(&pkgdir)
        .status()
        .unwrap();
    assert!(st.success());

    // The browser: an index with the embedded JSON index and search, a page per package.
    let index = read(&f.out.join("index.html"));
    assert!(index.contains("id=\"index\"") && index.contains("\"name\":\"hello\""));
    assert!(index.contains("href=\"browse/libgreet.html\""));
    assert!(
        index.contains("The hello &lt;test&gt; package"),
        "descriptions are escaped"
    );
    assert!(!index.contains("<test>"));
    let hello = read(&f.out.join("browse/hello.html"));
    assert!(hello.contains("data-dep=\"libgreet\""), "{hello}");
    assert!(hello.contains("<a href=\"libgreet.html\">libgreet</a>"));
    assert!(hello.contains(&sha));
    assert!(hello.contains("bin/hello"));
    assert!(hello.contains("../targets/packages/hello-1.0.0.swpkg.sha256"));
    let lib = read(&f.out.join("browse/libgreet.html"));
    let req_by = &lib[lib.find("required-by").unwrap()..];
    assert!(req_by.contains("<a href=\"hello.html\">hello</a>"), "{lib}");
}

#[test]
fn republishing_bumps_versions_and_refuses_bad_input() {
    let f = Fixture::new();
    f.package("libgreet", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    // Same package again plus a new one: versions go up by one, the old files stay.
    f.package("hello", "1.0.0", &[("libgreet", "^1")], None);
    let p = publish(&f.opts()).unwrap();
    assert!(!p.created);
    assert_eq!(p.added, ["packages/hello-1.0.0.swpkg"]);
    assert_eq!(p.unchanged, ["packages/libgreet-1.0.0.swpkg"]);
    assert_eq!(p.total_packages, 2);
    assert_eq!(
        (p.targets_version, p.snapshot_version, p.timestamp_version),
        (2, 2, 2)
    );
    for m in [
        "1.targets.json",
        "2.targets.json",
        "1.snapshot.json",
        "2.snapshot.json",
    ] {
        assert!(f.out.join("metadata").join(m).is_file(), "{m}");
    }
    // Nothing new: still re-signed with higher versions (renewal).
    f.clear_incoming();
    let p = publish(&f.opts()).unwrap();
    assert_eq!(
        (p.targets_version, p.timestamp_version, p.total_packages),
        (3, 3, 2)
    );
    assert!(read(&f.out.join("index.html")).contains("\"name\":\"libgreet\""));

    // Same name and version, different bytes: refused, nothing changes.
    let extra = f.work.join("stage-hello-1.0.0/extra.txt");
    fs::write(&extra, "changed\n").unwrap();
    f.package("hello", "1.0.0", &[("libgreet", "^1")], None);
    let e = publish(&f.opts()).unwrap_err().to_string();
    assert!(
        e.contains("already published with different contents"),
        "{e}"
    );
    assert!(read(&f.out.join("metadata/timestamp.json")).contains("\"version\": 3"));
    f.clear_incoming();

    // A package signed by an unknown key is refused; adding its key as package-*.pub allows it.
    let other = f.work.join("otherkeys");
    swpkg_keys::keygen(&other, "dev").unwrap();
    f.package("tool", "0.1.0", &[], Some(&other.join("dev.key")));
    let e = publish(&f.opts()).unwrap_err().to_string();
    assert!(e.contains("does not verify"), "{e}");
    fs::copy(other.join("dev.pub"), f.keys.join("package-dev.pub")).unwrap();
    let p = publish(&f.opts()).unwrap();
    assert_eq!(p.added, ["packages/tool-0.1.0.swpkg"]);
    let hosted: HostedRepo = serde_json::from_str(&read(&f.out.join("hosted-repo.json"))).unwrap();
    assert_eq!(
        hosted.package_keys.len(),
        2,
        "the generated package key and the added one"
    );
    assert!(hosted
        .package_keys
        .contains(&pub_hex(&f.keys.join("package.pub"))));
    assert!(hosted
        .package_keys
        .contains(&pub_hex(&other.join("dev.pub"))));

    // Other keys than the repository's root: refused.
    let wrong = f.work.join("wrongkeys");
    catalog_hosted::generate_keys(&wrong).unwrap();
    let mut o = f.opts();
    o.keys = wrong;
    o.packages = f.work.join("empty");
    fs::create_dir_all(&o.packages).unwrap();
    let e = publish(&o).unwrap_err().to_string();
    assert!(e.contains("does not list the root key"), "{e}");

    // A non-empty directory that is not a repository: refused.
    let mut o = f.opts();
    o.out = f.work.clone();
    let e = publish(&o).unwrap_err().to_string();
    assert!(e.contains("holds no repository"), "{e}");
    // Bad labels and missing keys: refused with a hint.
    let mut o = f.opts();
    o.channel = "Bad Channel".into();
    assert!(publish(&o)
        .unwrap_err()
        .to_string()
        .contains("invalid channel"));
    let mut o = f.opts();
    o.keys = f.work.join("nokeys");
    assert!(publish(&o)
        .unwrap_err()
        .to_string()
        .contains("no such directory"));
    // generate_keys never overwrites.
    assert!(catalog_hosted::generate_keys(&f.keys).is_err());
}

/// A TUF client reads the root over and over while it is republished 12 times: every refresh
/// succeeds and every target it lists downloads and verifies.
#[test]
fn readers_never_see_metadata_pointing_at_missing_files() {
    let f = Fixture::new();
    f.package("base", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let out = f.out.clone();
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let store_dir = f.work.join("client");
    let reader = thread::spawn(move || {
        let root1 = fs::read(out.join("metadata/1.root.json")).unwrap();
        let fetch = |url: &str, max: u64| -> Result<Vec<u8>, FetchError> { fetch_file(url, max) };
        let mut platform = DirTufPlatform::new(DirStore::new(&store_dir), fetch);
        Client::init(&mut platform, &root1).unwrap();
        let meta = out.join("metadata");
        let tgt = out.join("targets");
        let cfg = Config::new(meta.to_str().unwrap(), tgt.to_str().unwrap());
        let mut client = Client::new(platform, cfg.clone()).unwrap();
        let (mut rounds, mut max_version, mut downloads) = (0u32, 0u64, 0usize);
        loop {
            let last = d2.load(Ordering::SeqCst);
            client
                .refresh()
                .unwrap_or_else(|e| panic!("refresh in round {rounds}: {e}"));
            let t = client.targets().unwrap().clone();
            max_version = max_version.max(t.version);
            for name in t.targets.keys() {
                client
                    .download_target(name)
                    .unwrap_or_else(|e| panic!("round {rounds}: {name}: {e}"));
                downloads += 1;
            }
            rounds += 1;
            if last {
                return (rounds, max_version, downloads);
            }
        }
    });
    // A second reader follows the pins in a tight loop without verifying signatures:
    // timestamp.json -> N.snapshot.json -> M.targets.json -> every hash-named target file.
    let out2 = f.out.clone();
    let d3 = done.clone();
    let poller = thread::spawn(move || {
        let json = |p: PathBuf| -> serde_json::Value {
            let b = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            serde_json::from_slice(&b).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let meta = out2.join("metadata");
        let mut checks = 0u64;
        while !d3.load(Ordering::SeqCst) {
            let ts = json(meta.join("timestamp.json"));
            let sv = ts["signed"]["meta"]["snapshot.json"]["version"]
                .as_u64()
                .unwrap();
            let sn = json(meta.join(format!("{sv}.snapshot.json")));
            let tv = sn["signed"]["meta"]["targets.json"]["version"]
                .as_u64()
                .unwrap();
            let tg = json(meta.join(format!("{tv}.targets.json")));
            for (name, info) in tg["signed"]["targets"].as_object().unwrap() {
                let sha = info["hashes"]["sha256"].as_str().unwrap();
                let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
                let p = out2.join("targets").join(dir).join(format!("{sha}.{file}"));
                let len = fs::metadata(&p)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                    .len();
                assert_eq!(len, info["length"].as_u64().unwrap(), "{}", p.display());
                checks += 1;
            }
        }
        checks
    });
    for i in 0..12 {
        f.clear_incoming();
        f.package(&format!("pkg{i}"), "1.0.0", &[("base", "^1")], None);
        let p = publish(&f.opts()).unwrap();
        assert_eq!(p.targets_version, i + 2);
    }
    done.store(true, Ordering::SeqCst);
    let (rounds, max_version, downloads) = reader.join().unwrap();
    let checks = poller.join().unwrap();
    assert!(checks > 100, "{checks} pin checks");
    eprintln!("poller: {checks} pinned files found complete");
    assert_eq!(max_version, 13, "the reader saw the final publication");
    assert!(
        rounds >= 2 && downloads > 0,
        "{rounds} rounds, {downloads} downloads"
    );
    eprintln!(
        "reader: {rounds} refresh rounds, {downloads} verified downloads during 12 republishes"
    );
}

#[test]
fn verify_url_passes_a_good_root_and_reports_every_tampering() {
    let f = Fixture::new();
    f.package("libgreet", "1.0.0", &[], None);
    f.package("hello", "1.0.0", &[("libgreet", "^1")], None);
    f.package("extra", "2.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let base = serve(f.out.clone());
    let opts = VerifyOptions {
        root_key: Some(f.keys.join("root.pub")),
        ..VerifyOptions::default()
    };
    let rep = verify_url(&base, &opts).unwrap();
    assert!(rep.is_ok(), "{:?}", rep.problems);
    assert_eq!((rep.packages_total, rep.packages_ok), (3, 3));
    assert_eq!(rep.targets_ok, 4, "3 packages and swiftos-repo.json");
    assert_eq!(rep.versions, Some([1, 1, 1, 1]));
    // Trust on first use works too.
    assert!(verify_url(&format!("{base}/"), &VerifyOptions::default())
        .unwrap()
        .is_ok());

    // Tamper with three things at once: every one is reported.
    let pk = f.out.join("targets/packages");
    let sha_hello = parse_sidecar(
        &read(&pk.join("hello-1.0.0.swpkg.sha256")),
        "hello-1.0.0.swpkg",
    )
    .unwrap();
    let mut b = fs::read(pk.join(format!("{sha_hello}.hello-1.0.0.swpkg"))).unwrap();
    let n = b.len();
    b[n / 2] ^= 1;
    fs::write(pk.join(format!("{sha_hello}.hello-1.0.0.swpkg")), &b).unwrap();
    fs::write(
        pk.join("libgreet-1.0.0.swpkg.sha256"),
        format!("{}  libgreet-1.0.0.swpkg\n", "0".repeat(64)),
    )
    .unwrap();
    fs::write(pk.join("extra-2.0.0.swpkg"), b"not the package").unwrap();
    let rep = verify_url(&base, &opts).unwrap();
    let text: Vec<String> = rep.problems.iter().map(|p| p.to_string()).collect();
    eprintln!("{}", text.join("\n"));
    assert!(
        text.iter()
            .any(|t| t.starts_with("packages/hello-1.0.0.swpkg:") && t.contains("sha256 is")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("packages/libgreet-1.0.0.swpkg.sha256:")
                && t.contains("the signed metadata says")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("packages/extra-2.0.0.swpkg:") && t.contains("15 bytes")),
        "{text:?}"
    );
    assert_eq!(rep.packages_ok, 0);

    // A sidecar that is gone, and a wrong pinned key.
    fs::remove_file(pk.join("hello-1.0.0.swpkg.sha256")).unwrap();
    let rep = verify_url(&base, &opts).unwrap();
    assert!(rep.problems.iter().any(
        |p| p.subject == "packages/hello-1.0.0.swpkg.sha256" && p.detail.contains("not found")
    ));
    let other = f.work.join("other");
    catalog_hosted::generate_keys(&other).unwrap();
    let rep = verify_url(
        &base,
        &VerifyOptions {
            root_key: Some(other.join("root.pub")),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert!(rep
        .problems
        .iter()
        .any(|p| p.detail.contains("differs from the pinned root key")));
    assert!(rep
        .problems
        .iter()
        .any(|p| p.detail.contains("is not a root key of this repository")));

    // Tampered signed metadata breaks the chain and is reported.
    let ts = f.out.join("metadata/timestamp.json");
    fs::write(&ts, read(&ts).replace("\"version\": 1", "\"version\": 7")).unwrap();
    let rep = verify_url(&base, &opts).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| p.subject == "metadata" && p.detail.contains("does not verify")),
        "{:?}",
        rep.problems
    );
}

#[test]
fn verify_url_survives_garbage_and_refuses_bad_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let base = serve(tmp.path().to_path_buf());
    // Nothing there.
    let rep = verify_url(&base, &VerifyOptions::default()).unwrap();
    assert!(!rep.is_ok());
    assert!(rep.problems.iter().any(|p| p.subject == "hosted-repo.json"));
    // Garbage in every file.
    let junk: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    for p in ["hosted-repo.json", "repo-root.pub", "index.html"] {
        fs::write(tmp.path().join(p), &junk).unwrap();
    }
    fs::create_dir_all(tmp.path().join("metadata")).unwrap();
    fs::write(tmp.path().join("metadata/1.root.json"), &junk).unwrap();
    let rep = verify_url(&base, &VerifyOptions::default()).unwrap();
    assert!(rep.problems.len() >= 2, "{:?}", rep.problems);
    // Garbage with a valid pinned key reaches the metadata check.
    let keys = tmp.path().join("k");
    catalog_hosted::generate_keys(&keys).unwrap();
    let rep = verify_url(
        &base,
        &VerifyOptions {
            root_key: Some(keys.join("root.pub")),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| p.subject == "metadata/1.root.json"),
        "{:?}",
        rep.problems
    );
    for bad in ["ftp://x/", "/local/dir", ""] {
        assert!(verify_url(bad, &VerifyOptions::default()).is_err(), "{bad}");
    }
    // Nobody listening: reported, no panic.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    assert!(!verify_url(&dead, &VerifyOptions::default())
        .unwrap()
        .is_ok());
}

#[test]
fn key_rotation_keeps_old_clients_and_new_clients_working() {
    let f = Fixture::new();
    f.package("libgreet", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let first_pub = read(&f.out.join("repo-root.pub"));
    let new_keys = f.work.join("newkeys");
    catalog_hosted::generate_keys(&new_keys).unwrap();
    // The old package key still vouches for what it signed: its public half stays listed.
    fs::copy(
        f.keys.join("package.pub"),
        new_keys.join("package-previous.pub"),
    )
    .unwrap();
    let mut o = f.opts();
    o.keys = new_keys.clone();
    f.clear_incoming();
    let p = catalog_hosted::rotate_keys(&o, &f.keys).unwrap();
    assert_eq!(p.root_version, 2);
    assert!(f.out.join("metadata/2.root.json").is_file());
    assert_eq!(
        read(&f.out.join("repo-root.pub")),
        first_pub,
        "clients still start at 1.root.json"
    );
    // The old keys can no longer publish; the new ones can, with packages signed by the new
    // package key.
    assert!(publish(&f.opts()).is_err());
    f.package(
        "hello",
        "2.0.0",
        &[("libgreet", "^1")],
        Some(&new_keys.join("package.key")),
    );
    let p = publish(&o).unwrap();
    assert_eq!(p.added, ["packages/hello-2.0.0.swpkg"]);
    let hosted: HostedRepo = serde_json::from_str(&read(&f.out.join("hosted-repo.json"))).unwrap();
    assert_eq!(
        hosted.package_keys.len(),
        3,
        "the new root key, the new package key and the previous package key sign packages"
    );
    for k in ["root.pub", "package.pub", "package-previous.pub"] {
        assert!(
            hosted.package_keys.contains(&pub_hex(&new_keys.join(k))),
            "{k}"
        );
    }
    let base = serve(f.out.clone());
    let opts = VerifyOptions {
        root_key: Some(f.keys.join("root.pub")),
        ..VerifyOptions::default()
    };
    let rep = verify_url(&base, &opts).unwrap();
    assert!(rep.is_ok(), "{:?}", rep.problems);
    assert_eq!(
        rep.versions.unwrap()[0],
        2,
        "the client followed the rotation"
    );
    assert_eq!(rep.packages_ok, 2);
}

#[test]
fn ecdsa_role_keys_publish_a_repository_clients_verify() {
    let f = Fixture::with_key_type(catalog_hosted::KeyType::EcdsaP256);
    assert!(read(&f.keys.join("targets.key")).starts_with("-----BEGIN PRIVATE KEY-----"));
    f.package("libgreet", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let root: serde_json::Value =
        serde_json::from_str(&read(&f.out.join("metadata/root.json"))).unwrap();
    let keytype = |role: &str| {
        let id = root["signed"]["roles"][role]["keyids"][0].as_str().unwrap();
        root["signed"]["keys"][id]["keytype"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        keytype("root"),
        "ed25519",
        "clients pin an ed25519 root key"
    );
    for role in ["timestamp", "snapshot", "targets"] {
        assert_eq!(keytype(role), "ecdsa", "{role}");
    }
    let base = serve(f.out.clone());
    let opts = VerifyOptions {
        root_key: Some(f.keys.join("root.pub")),
        ..VerifyOptions::default()
    };
    let rep = verify_url(&base, &opts).unwrap();
    assert!(rep.is_ok(), "{:?}", rep.problems);
    assert_eq!((rep.packages_total, rep.packages_ok), (1, 1));
    // Republishing with the ECDSA keys read back from their files works too.
    f.package("hello", "1.0.0", &[("libgreet", "^1")], None);
    assert_eq!(publish(&f.opts()).unwrap().targets_version, 2);
    assert!(verify_url(&base, &opts).unwrap().is_ok());
}

#[test]
fn an_ecdsa_root_key_is_refused_in_words() {
    let f = Fixture::new();
    fs::remove_file(f.keys.join("root.key")).unwrap();
    fs::remove_file(f.keys.join("root.pub")).unwrap();
    catalog_signer::KeyPair::generate_of(catalog_hosted::KeyType::EcdsaP256)
        .unwrap()
        .write(&f.keys, "root")
        .unwrap();
    let e = publish(&f.opts()).unwrap_err().to_string();
    assert!(
        e.contains("root.key") && e.contains("must be ed25519"),
        "{e}"
    );
    assert!(e.contains("--key-type ecdsa"), "{e}");
    assert!(!f.out.join("metadata").exists());
}

#[test]
fn concurrent_publications_are_refused() {
    let f = Fixture::new();
    f.package("libgreet", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let dir = fs::File::open(&f.out).unwrap();
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(&dir);
    // SAFETY: `fd` is an open descriptor owned by `dir`, alive for the call; no pointers.
    assert_eq!(unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let e = publish(&f.opts()).unwrap_err().to_string();
    assert!(
        e.contains("another publication of this root is running"),
        "{e}"
    );
    drop(dir);
    assert_eq!(publish(&f.opts()).unwrap().timestamp_version, 2);
}

#[test]
fn publish_refuses_garbage_and_truncated_packages_without_writing() {
    let f = Fixture::new();
    let good = f.package("libgreet", "1.0.0", &[], None);
    let bytes = fs::read(&good).unwrap();
    fs::remove_file(&good).unwrap();
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    for (what, data) in [
        ("garbage", junk.as_slice()),
        ("truncated", &bytes[..bytes.len() / 2]),
        ("empty", &[][..]),
    ] {
        fs::write(f.incoming.join("bad.swpkg"), data).unwrap();
        let e = publish(&f.opts()).unwrap_err().to_string();
        assert!(e.contains("bad.swpkg"), "{what}: {e}");
        assert!(
            !f.out.join("metadata").exists(),
            "{what}: nothing is written"
        );
    }
}

#[test]
fn publish_and_verify_url_refuse_the_adversarial_set_in_its_words() {
    use swpkg_core::testing::{adversarial_packages, good_package, public_key_file, verifying_key};
    let f = Fixture::new();
    // The set's signer is a package key of this repository.
    fs::write(f.keys.join("package-adversarial.pub"), public_key_file()).unwrap();
    let keys = [verifying_key()];
    let m = catalog_hosted::verify::verify_package_bytes(&good_package(), &keys).unwrap();
    assert_eq!(m.name, "hello");
    for case in adversarial_packages() {
        // verify-url's package check.
        let e =
            catalog_hosted::verify::verify_package_bytes(&case.bytes, &keys).expect_err(case.name);
        assert!(e.contains(case.words), "verify-url {}: {e}", case.name);
        // publish.
        fs::write(f.incoming.join("bad.swpkg"), &case.bytes).unwrap();
        let e = publish(&f.opts()).unwrap_err().to_string();
        assert!(
            e.contains("bad.swpkg") && e.contains(case.words),
            "publish {}: {e}",
            case.name
        );
        assert!(
            !f.out.join("metadata").exists(),
            "{}: nothing is written",
            case.name
        );
    }
    // The good package publishes with the same key set-up.
    fs::write(f.incoming.join("bad.swpkg"), good_package()).unwrap();
    publish(&f.opts()).unwrap();
}

/// The hex of an ed25519 public key file (as `hosted-repo.json` lists package keys).
fn pub_hex(path: &Path) -> String {
    hex::encode(swpkg_keys::read_public_key(path).unwrap().as_bytes())
}

#[test]
fn generated_keys_include_a_separate_package_key_that_signs_packages() {
    let f = Fixture::new();
    let root = fs::read(f.keys.join("root.pub")).unwrap();
    let package = fs::read(f.keys.join("package.pub")).unwrap();
    assert_ne!(root, package, "the package key is not the root key");
    assert_eq!(
        catalog_hosted::PackageSigner::PackageKey.key_file(&f.keys),
        f.keys.join("package.key")
    );
    assert_eq!(
        catalog_hosted::PackageSigner::RootKey.key_file(&f.keys),
        f.keys.join("root.key")
    );
    f.package("libgreet", "1.0.0", &[], Some(&f.keys.join("package.key")));
    let p = publish(&f.opts()).unwrap();
    assert_eq!(p.added, ["packages/libgreet-1.0.0.swpkg"]);
    // A key directory from before package keys were separate gets one, never a second.
    let old = f.work.join("oldkeys");
    catalog_hosted::generate_keys(&old).unwrap();
    fs::remove_file(old.join("package.key")).unwrap();
    fs::remove_file(old.join("package.pub")).unwrap();
    catalog_hosted::generate_package_key(&old).unwrap();
    assert!(catalog_hosted::generate_package_key(&old).is_err());
}

/// Signing packages with the root key is a named opt-in: without it the publisher refuses such a
/// package and writes nothing; with it the package is published.
#[test]
fn root_signed_packages_need_the_named_opt_in() {
    let f = Fixture::new();
    f.package("hello", "1.0.0", &[], Some(&f.keys.join("root.key")));
    let e = publish(&f.opts()).unwrap_err().to_string();
    assert!(e.contains("hello-1.0.0.swpkg"), "{e}");
    assert!(
        e.contains(catalog_hosted::ROOT_SIGNED_PACKAGE_REFUSED),
        "{e}"
    );
    assert!(
        !f.out.join("metadata/timestamp.json").exists(),
        "nothing written"
    );
    let mut o = f.opts();
    o.root_signed_packages = true;
    let p = publish(&o).unwrap();
    assert_eq!(p.added, ["packages/hello-1.0.0.swpkg"]);
}

/// `verify-url` checks packages with the keys clients trust (the root key and the package keys
/// the signed targets metadata lists), never with the unsigned hosted-repo.json's list, and says
/// when that list disagrees with the signed one.
#[test]
fn verify_url_trusts_signed_package_keys_not_the_descriptor() {
    let f = Fixture::new();
    f.package("hello", "1.0.0", &[], None);
    publish(&f.opts()).unwrap();
    let path = f.out.join("hosted-repo.json");
    let mut hosted: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    hosted["package_keys"] = serde_json::json!([]);
    fs::write(&path, serde_json::to_vec_pretty(&hosted).unwrap()).unwrap();
    let base = serve(f.out.clone());
    let opts = VerifyOptions {
        root_key: Some(f.keys.join("root.pub")),
        ..VerifyOptions::default()
    };
    let rep = verify_url(&base, &opts).unwrap();
    assert_eq!(rep.packages_ok, 1, "{:?}", rep.problems);
    assert_eq!(rep.problems.len(), 1, "{:?}", rep.problems);
    assert!(
        rep.problems[0]
            .detail
            .contains("differ from the package keys the signed targets"),
        "{:?}",
        rep.problems
    );
}
