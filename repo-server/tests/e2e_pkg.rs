//! The published root is truly static: the host `pkg --root` client installs from it served by
//! repo-server AND by Debian's nginx (same directory, same run), and `verify_url` passes both.
//!
//! Needs Debian's `nginx` (`nginx-light` is enough); if it is missing and we are root, the test
//! installs it with apt-get. The `pkg` binary is built with the same cargo.

mod common;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{publish_root, Server};

fn pkg_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let st = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "swiftos-pkg", "--bin", "pkg"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(st.success(), "cannot build the pkg host client");
    target.join("debug/pkg")
}

fn nginx_binary() -> PathBuf {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    // Test set-up: install Debian's nginx if missing.
    let st = Command::new("apt-get")
        .args(["install", "-y", "-q", "nginx-light"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    assert!(
        st.is_ok_and(|s| s.success()) && Path::new("/usr/sbin/nginx").exists(),
        "Debian's nginx is needed: apt-get install nginx-light"
    );
    "/usr/sbin/nginx".into()
}

struct Nginx {
    child: Child,
    base: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nginx(www: &Path, dir: &Path) -> Nginx {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    fs::create_dir_all(dir.join("tmp")).unwrap();
    let conf = dir.join("nginx.conf");
    let d = dir.display();
    fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n\
               fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
               include /etc/nginx/mime.types;\n  sendfile on;\n\
               server {{ listen 127.0.0.1:{port}; root {www}; autoindex off;\n\
                 location = /metadata/timestamp.json {{ add_header Cache-Control \"no-cache\"; }}\n\
                 location ~ ^/metadata/[0-9]+\\.(root|snapshot|targets)\\.json$ {{ add_header Cache-Control \"public, max-age=31536000, immutable\"; }}\n\
                 location ~ \"/[0-9a-f]{{64}}\\.[^/]+$\" {{ add_header Cache-Control \"public, max-age=31536000, immutable\"; }}\n\
               }}\n}}\n",
            www = www.display()
        ),
    )
    .unwrap();
    let child = Command::new(nginx_binary())
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nginx { child, base }
}

fn pkg(bin: &Path, root: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .arg("--root")
        .arg(root)
        .args(["--timeout", "10"])
        .args(args)
        .output()
        .unwrap();
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "pkg {args:?} failed:\nstdout: {so}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

fn install_from(bin: &Path, base: &str, www: &Path, sysroot: &Path) {
    let key = www.join("repo-root.pub");
    pkg(
        bin,
        sysroot,
        &["repo", "set", base, "--root-key", key.to_str().unwrap()],
    );
    pkg(bin, sysroot, &["update"]);
    let s = pkg(bin, sysroot, &["install", "hello"]);
    assert!(
        s.contains("+ hello 1.0.0") && s.contains("+ libgreet 1.0.0"),
        "{s}"
    );
    assert_eq!(
        pkg(bin, sysroot, &["list"]),
        "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n"
    );
    assert_eq!(
        fs::read_to_string(sysroot.join("pkg/store/hello-1.0.0/root/bin/hello")).unwrap(),
        "#!/bin/sh\necho hello 1.0.0\n"
    );
}

#[test]
fn pkg_installs_through_repo_server_and_nginx() {
    let p = publish_root();
    let bin = pkg_binary();
    let server = Server::start(&p.www, p.tmp.path());
    let nginx = start_nginx(&p.www, &p.tmp.path().join("nginx"));
    let opts = catalog_hosted::VerifyOptions {
        root_key: Some(p.keys.join("root.pub")),
        ..Default::default()
    };
    // The cache rules of docs/OPERATIONS_GUIDE.md's nginx block match repo-server's.
    let http = reqwest::blocking::Client::new();
    for path in ["/metadata/timestamp.json", "/metadata/1.root.json"] {
        let cc = |base: &str| {
            http.get(format!("{base}{path}")).send().unwrap().headers()["cache-control"]
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(cc(&server.base), cc(&nginx.base), "{path}");
    }
    for (who, base) in [("repo-server", &server.base), ("nginx", &nginx.base)] {
        let rep = catalog_hosted::verify_url(base, &opts).unwrap();
        assert!(rep.is_ok(), "{who}: {:?}", rep.problems);
        assert_eq!(rep.packages_ok, 2, "{who}");
        install_from(&bin, base, &p.www, &p.tmp.path().join(format!("sys-{who}")));
        eprintln!("{who}: verify-url clean, pkg install hello OK from {base}");
    }
    // Tampering with a served sidecar shows up through either server.
    fs::write(
        p.www.join("targets/packages/libgreet-1.0.0.swpkg.sha256"),
        format!("{}  libgreet-1.0.0.swpkg\n", "1".repeat(64)),
    )
    .unwrap();
    for base in [&server.base, &nginx.base] {
        let rep = catalog_hosted::verify_url(base, &opts).unwrap();
        assert!(
            rep.problems
                .iter()
                .any(|x| x.subject == "packages/libgreet-1.0.0.swpkg.sha256"),
            "{base}: {:?}",
            rep.problems
        );
    }
}
