//! A stand-in command line over the library until `swport repo publish|verify-url` wraps it:
//!
//! ```text
//! cargo run -p catalog-hosted --example hosted -- keygen KEYS
//! cargo run -p catalog-hosted --example hosted -- publish PACKAGES KEYS OUT [NAME [CHANNEL]]
//! cargo run -p catalog-hosted --example hosted -- verify-url URL [ROOT_KEY_FILE]
//! cargo run -p catalog-hosted --example hosted -- demo KEYS OUT   # keys + 3 demo packages, published
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use catalog_hosted::{generate_keys, publish, verify_url, PublishOptions, VerifyOptions};

fn demo_packages(keys: &Path, dir: &Path) -> anyhow::Result<()> {
    let sk =
        swpkg_keys::read_secret_key(&catalog_hosted::PackageSigner::PackageKey.key_file(keys))?;
    for (name, version, deps, desc) in [
        ("libgreet", "1.0.0", vec![], "Greeting library"),
        (
            "hello",
            "1.0.0",
            vec![("libgreet", "^1")],
            "Prints a friendly greeting",
        ),
        (
            "hello-doc",
            "1.0.0",
            vec![("hello", ">=1")],
            "Documentation for hello",
        ),
    ] {
        let stage = dir.join(format!("stage-{name}"));
        std::fs::create_dir_all(stage.join("bin"))?;
        std::fs::write(
            stage.join("bin").join(name),
            format!("#!/bin/sh\necho {name}\n"),
        )?;
        let mut toml = format!(
            "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"{desc}\"\nlicense = \"MIT\"\n"
        );
        if !deps.is_empty() {
            toml.push_str("[depends]\n");
            for (d, r) in deps {
                toml.push_str(&format!("{d} = \"{r}\"\n"));
            }
        }
        let mf = dir.join(format!("{name}.toml"));
        std::fs::write(&mf, toml)?;
        swpkg_host::build_package(
            &mf,
            &stage,
            &sk,
            swpkg_host::BuildOptions { mtime: 0 },
            &dir.join(format!("{name}-{version}.swpkg")),
        )?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| -> anyhow::Result<PathBuf> {
        args.get(i)
            .map(PathBuf::from)
            .with_context(|| "missing argument; see the header of examples/hosted.rs")
    };
    match args.first().map(String::as_str) {
        Some("keygen") => {
            for p in generate_keys(&a(1)?)? {
                println!("wrote {}", p.display());
            }
        }
        Some("publish") => {
            let mut o = PublishOptions::new(&a(1)?, &a(2)?, &a(3)?);
            if let Some(n) = args.get(4) {
                o.name = n.clone();
            }
            if let Some(c) = args.get(5) {
                o.channel = c.clone();
            }
            let p = publish(&o)?;
            println!("{}", p.summary(&o.out));
        }
        Some("verify-url") => {
            let opts = VerifyOptions {
                root_key: args.get(2).map(PathBuf::from),
                ..VerifyOptions::default()
            };
            let rep = verify_url(args.get(1).context("URL missing")?, &opts)?;
            for p in &rep.problems {
                println!("PROBLEM {p}");
            }
            println!(
                "{}: {}/{} packages verified, {} targets, metadata versions {:?}",
                rep.url, rep.packages_ok, rep.packages_total, rep.targets_ok, rep.versions
            );
            if !rep.is_ok() {
                bail!("{} problem(s)", rep.problems.len());
            }
        }
        Some("demo") => {
            let keys = a(1)?;
            let out = a(2)?;
            if !keys.join("root.key").exists() {
                generate_keys(&keys)?;
            }
            let incoming = tempfile::tempdir()?;
            demo_packages(&keys, incoming.path())?;
            let p = publish(&PublishOptions::new(incoming.path(), &keys, &out))?;
            println!(
                "demo root {} with {} packages",
                out.display(),
                p.total_packages
            );
        }
        _ => bail!("usage: hosted keygen|publish|verify-url|demo ...; see examples/hosted.rs"),
    }
    Ok(())
}
