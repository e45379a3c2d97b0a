//! `tuf-client`: the client interface of the tuf-conformance suite over the SwiftOS TUF client.
//!
//! ```text
//! tuf-client --metadata-dir D init ROOT_JSON
//! tuf-client --metadata-dir D --metadata-url U refresh
//! tuf-client --metadata-dir D --metadata-url U --target-name P [--target-name P2 …]
//!            --target-base-url T --target-dir O download
//! ```
//! Exit status 0 on success, 1 on any failure (the reason goes to standard error). Trusted
//! metadata lives in `D/ROLE.json`; a downloaded target is written to `O/<percent-encoded name>`
//! (every byte outside `A-Za-z0-9-._~` encoded, `/` included). A target already there with the
//! trusted length and every trusted hash is not downloaded again ("already present, verified");
//! one that differs is replaced through the normal verified download.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use catalog_core::client::{Client, Config, FetchError};
use catalog_signer::host::{read_limited, DirStore, DirTufPlatform};

const USAGE: &str = "usage:
  tuf-client --metadata-dir D init ROOT_JSON
  tuf-client --metadata-dir D --metadata-url U refresh
  tuf-client --metadata-dir D --metadata-url U --target-name P [--target-name P2 ...] --target-base-url T --target-dir O download
exit status: 0 on success, 1 on any failure";

#[derive(Default, Debug)]
struct Args {
    metadata_dir: Option<PathBuf>,
    metadata_url: Option<String>,
    target_names: Vec<String>,
    target_base_url: Option<String>,
    target_dir: Option<PathBuf>,
    command: Vec<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let mut a = Args::default();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--metadata-dir" => a.metadata_dir = Some(value("--metadata-dir")?.into()),
            "--metadata-url" => a.metadata_url = Some(value("--metadata-url")?),
            "--target-name" => a.target_names.push(value("--target-name")?),
            "--target-base-url" => a.target_base_url = Some(value("--target-base-url")?),
            "--target-dir" => a.target_dir = Some(value("--target-dir")?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with("--") => bail!("unknown option {s}"),
            _ => a.command.push(arg),
        }
    }
    Ok(a)
}

/// Percent-encode everything outside the URL-unreserved set (as Python's `quote(s, safe="")`).
fn quote(s: &str) -> String {
    catalog_core::client::percent_encode(s)
}

fn http_fetch(
    agent: &reqwest::blocking::Client,
    url: &str,
    max_len: u64,
) -> Result<Vec<u8>, FetchError> {
    let resp = agent
        .get(url)
        .send()
        .map_err(|e| FetchError::Other(e.to_string()))?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::FORBIDDEN {
        return Err(FetchError::NotFound);
    }
    if !status.is_success() {
        return Err(FetchError::Other(format!("HTTP status {status}")));
    }
    if resp.content_length().is_some_and(|l| l > max_len) {
        return Err(FetchError::TooLarge);
    }
    read_limited(resp, max_len)
}

fn with_slash(u: &str) -> String {
    if u.ends_with('/') {
        u.to_string()
    } else {
        format!("{u}/")
    }
}

fn run(a: Args) -> Result<()> {
    let dir = a
        .metadata_dir
        .clone()
        .context("--metadata-dir is required")?;
    let store = DirStore::new(&dir);
    let agent = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot create the HTTP client")?;
    let platform = DirTufPlatform::new(store, move |url: &str, max: u64| {
        http_fetch(&agent, url, max)
    });
    match a
        .command
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["init", root] => {
            let bytes = std::fs::read(root).with_context(|| format!("cannot read {root}"))?;
            let mut platform = platform;
            Client::init(&mut platform, &bytes).context("the trusted root is not valid")?;
            Ok(())
        }
        ["refresh"] => {
            let url = a.metadata_url.context("--metadata-url is required")?;
            let mut c = Client::new(platform, Config::new(&with_slash(&url), ""))?;
            c.refresh().context("refresh failed")?;
            Ok(())
        }
        ["download"] => {
            let url = a.metadata_url.context("--metadata-url is required")?;
            let base = a.target_base_url.context("--target-base-url is required")?;
            let out = a.target_dir.context("--target-dir is required")?;
            if a.target_names.is_empty() {
                bail!("--target-name is required");
            }
            let mut c = Client::new(platform, Config::new(&with_slash(&url), &with_slash(&base)))?;
            c.refresh().context("refresh failed")?;
            download(&mut c, &a.target_names, &out)
        }
        other => bail!("unknown or missing command {other:?}\n{USAGE}"),
    }
}

/// Download `names` into `out`, keeping each one already there with the trusted length and hashes.
fn download<P: catalog_core::Platform>(
    c: &mut Client<P>,
    names: &[String],
    out: &Path,
) -> Result<()> {
    for name in names {
        let path = out.join(quote(name));
        if already_present(c, name, &path)? {
            println!("{name}: already present, verified ({})", path.display());
            continue;
        }
        let bytes = c
            .download_target(name)
            .with_context(|| format!("download of {name:?} failed"))?;
        write_target(out, name, &bytes)?;
    }
    Ok(())
}

/// Whether `path` already holds target `name` with its trusted length and every trusted hash.
/// A missing file, or one that differs in any way, is `false` (it is then downloaded).
fn already_present<P: catalog_core::Platform>(
    c: &mut Client<P>,
    name: &str,
    path: &Path,
) -> Result<bool> {
    let info = c
        .find_target(name)
        .with_context(|| format!("download of {name:?} failed"))?;
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(false);
    };
    if file.metadata().map(|m| m.len()).ok() != Some(info.length) {
        return Ok(false);
    }
    let mut check = c
        .target_check(name)
        .with_context(|| format!("download of {name:?} failed"))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => return Ok(false),
        };
        if check.update(&buf[..n]).is_err() {
            return Ok(false);
        }
    }
    Ok(check.finish().is_ok())
}

fn write_target(out: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(quote(name));
    atomic_write::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tuf-client: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_python_safe_empty() {
        assert_eq!(quote("dir/file name.txt"), "dir%2Ffile%20name.txt");
        assert_eq!(quote("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(quote("é"), "%C3%A9");
    }

    #[test]
    fn args() {
        let a = parse_args(
            [
                "--metadata-dir",
                "d",
                "--target-name",
                "x",
                "--target-name",
                "y",
                "download",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .unwrap();
        assert_eq!(a.target_names, ["x", "y"]);
        assert_eq!(a.command, ["download"]);
        assert!(parse_args(["--metadata-dir"].iter().map(|s| s.to_string())).is_err());
        assert!(parse_args(["--bogus", "1"].iter().map(|s| s.to_string())).is_err());
    }
}
