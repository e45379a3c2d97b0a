//! `pkg --root DIR …`: the SwiftOS package client operating on a directory as the system root.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use swiftos_pkg::{HostPlatform, DEFAULT_TIMEOUT_SECS};
use swiftos_pkg_core::{report, Error, Pkg, TrustedRoot};

const EXAMPLES: &str = "\
Examples:
  pkg --root /tmp/sys repo set http://127.0.0.1:8080/repo --root-key repo-root.pub
  pkg --root /tmp/sys update
  pkg --root /tmp/sys update http://127.0.0.1:8080/repo   # repo set with the pinned root key, then update
  pkg --root /tmp/sys search lua
  pkg --root /tmp/sys info lua
  pkg --root /tmp/sys install lua                 # resolves and installs dependencies too
  pkg --root /tmp/sys install 'lua@^5.4'          # with a version requirement
  pkg --root /tmp/sys install ./hello-1.0.0.swpkg --key dev.pub
  pkg --root /tmp/sys list
  pkg --root /tmp/sys files lua
  pkg --root /tmp/sys verify                      # installed files still match their manifests?
  pkg --root /tmp/sys upgrade
  pkg --root /tmp/sys rollback                    # back to the previous generation
  pkg --root /tmp/sys gc --keep 2                 # drop older generations and unused packages
  pkg --root /tmp/sys remove lua
  pkg --root /tmp/sys activate                    # check the active generation, fall back if damaged

Every change is a transaction: packages are downloaded (resumably) and verified
into a staging area, then one atomic rename makes the new generation current.
A failure at any point leaves the installed system exactly as it was.";

/// The SwiftOS package client.
#[derive(Parser, Debug)]
#[command(name = "pkg", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Directory used as the system root (everything pkg reads or writes lives under it).
    #[arg(long, env = "PKG_ROOT", value_name = "DIR")]
    root: PathBuf,
    /// Seconds an HTTP transfer may stay silent before it is abandoned.
    #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS, value_name = "SECS")]
    timeout: u64,
    /// Print only results and errors, no progress.
    #[arg(long, short)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Configure the package repository.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Download and verify the repository's signed metadata (TUF); with URL, first set the
    /// repository to URL trusting the pinned root key (DIR/etc/swos/repo-root.pub).
    #[command(
        after_help = "Examples:\n  pkg --root DIR update\n  pkg --root DIR update http://10.0.2.2:8080/repo"
    )]
    Update {
        /// Repository URL to switch to first.
        url: Option<String>,
    },
    /// Search package names and descriptions; with no TEXT, list every package.
    #[command(
        after_help = "Examples:\n  pkg --root DIR search compress\n  pkg --root DIR search    # every package"
    )]
    Search {
        /// Text to look for (case-insensitive); leave out to list every package.
        text: Option<String>,
    },
    /// Show what the repository and the store know about a package.
    #[command(after_help = "Example: pkg --root DIR info lua")]
    Info {
        /// Package name.
        name: String,
    },
    /// Install packages from the repository, or one local .swpkg file with --key.
    #[command(
        after_help = "Examples:\n  pkg --root DIR install lua zlib\n  pkg --root DIR install 'lua@>=5.4'\n  \
                            pkg --root DIR install ./lua-5.4.6.swpkg --key dev.pub"
    )]
    Install {
        /// Package names (`name` or `name@REQ`), or the path of one .swpkg file.
        #[arg(required = true)]
        packages: Vec<String>,
        /// Public key file trusted to sign a local package file.
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
    },
    /// List installed packages of the active generation.
    List {
        /// Also list all generations.
        #[arg(long)]
        generations: bool,
    },
    /// List the files of an installed package.
    Files {
        /// Package name.
        name: String,
    },
    /// Remove packages (refused while others depend on them, unless --force).
    #[command(after_help = "Example: pkg --root DIR remove lua")]
    Remove {
        /// Package names.
        #[arg(required = true)]
        names: Vec<String>,
        /// Remove even if installed packages depend on it.
        #[arg(long)]
        force: bool,
    },
    /// Upgrade every repository package to the newest version allowed.
    Upgrade,
    /// Make the previous generation active again (refused if its files are damaged).
    Rollback,
    /// Check installed files against their signed manifests (size, sha256, symlink targets).
    Verify {
        /// Only this package.
        name: Option<String>,
    },
    /// Check the active generation and make it (or the newest older intact one) visible.
    #[command(after_help = "Example: pkg --root DIR activate")]
    Activate {
        /// Say "this boot uses" (run by init at boot).
        #[arg(long)]
        boot: bool,
    },
    /// Delete old generations and the packages only they use.
    #[command(
        after_help = "Example: pkg --root DIR gc --keep 3   # rollback still works 3 steps back"
    )]
    Gc {
        /// How many generations before the active one to keep.
        #[arg(long, default_value_t = 2)]
        keep: usize,
    },
}

#[derive(Subcommand, Debug)]
enum RepoCommand {
    /// Set the repository URL and how its root metadata is trusted.
    #[command(
        after_help = "Examples:\n  pkg --root DIR repo set http://10.0.2.2:8080/repo --root-key repo-root.pub\n  \
                            pkg --root DIR repo set https://example.invalid/repo --trusted-root root.json --package-key dev.pub"
    )]
    Set {
        /// Repository base URL (metadata under URL/metadata, packages under URL/targets).
        url: String,
        /// Public key of the repository root: a swpkg key file (ed25519, a repository's
        /// repo-root.pub; also trusted for package signatures) or a PEM "PUBLIC KEY" of an
        /// ECDSA P-256 or RSA key (packages then need --package-key). 1.root.json is fetched
        /// and must list and be signed by it. Default: the pinned key DIR/etc/swos/repo-root.pub.
        #[arg(long, value_name = "FILE", conflicts_with = "trusted_root")]
        root_key: Option<PathBuf>,
        /// Trusted TUF root metadata obtained out of band.
        #[arg(long, value_name = "ROOT_JSON")]
        trusted_root: Option<PathBuf>,
        /// Additional public key trusted to sign packages (repeatable).
        #[arg(long, value_name = "FILE")]
        package_key: Vec<PathBuf>,
    },
    /// Show the configured repository.
    Show,
}

fn read_key(path: &std::path::Path) -> Result<swpkg_core::VerifyingKey, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("key file {}: {e}", path.display()))?;
    swpkg_core::parse_public_key(&text).map_err(|e| format!("key file {}: {e}", path.display()))
}

/// A `--root-key` file: ed25519 (SwiftOS key file) or a PEM ECDSA P-256 / RSA public key.
fn read_root_key(path: &std::path::Path) -> Result<swiftos_pkg_core::PublicKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("root key file {}: {e}", path.display()))?;
    swiftos_pkg_core::repo::parse_root_key(&text)
        .map_err(|e| format!("root key file {}: {e}", path.display()))
}

fn print(lines: impl IntoIterator<Item = String>) {
    for l in lines {
        println!("{l}");
    }
}

/// Is this `install` argument a package file rather than a name?
fn is_file_arg(s: &str) -> bool {
    s.ends_with(".swpkg") || s.contains('/')
}

fn run(cli: Cli) -> Result<(), (String, String)> {
    let what = command_name(&cli.command);
    let fail = |e: String| (what.clone(), e);
    let mut platform =
        HostPlatform::new(&cli.root, cli.timeout).map_err(|e| fail(e.to_string()))?;
    platform.set_quiet(cli.quiet);
    let mut pkg = Pkg::new(platform);
    let tx_fail = |e: Error| (what.clone(), report::failure(&e));
    match cli.command {
        Command::Repo(RepoCommand::Set {
            url,
            root_key,
            trusted_root,
            package_key,
        }) => {
            let mut keys = Vec::new();
            for k in &package_key {
                keys.push(read_key(k).map_err(fail)?);
            }
            let root = match (root_key, trusted_root) {
                (Some(k), _) => TrustedRoot::Key(read_root_key(&k).map_err(fail)?),
                (None, Some(r)) => TrustedRoot::File(
                    std::fs::read(&r)
                        .map_err(|e| fail(format!("trusted root {}: {e}", r.display())))?,
                ),
                (None, None) => {
                    let key = pkg.pinned_root_key().map_err(|e| fail(e.to_string()))?;
                    TrustedRoot::Key(swiftos_pkg_core::PublicKey::Ed25519(key))
                }
            };
            pkg.repo_set(&url, root, &keys)
                .map_err(|e| fail(e.to_string()))?;
        }
        Command::Repo(RepoCommand::Show) => {
            let c =
                swiftos_pkg_core::repo::load_config(&mut pkg.p).map_err(|e| fail(e.to_string()))?;
            print(report::repo_show(&c));
        }
        Command::Update { url } => {
            let r = match url {
                Some(u) => pkg.update_from(&u),
                None => pkg.update(),
            };
            r.map_err(|e| fail(format!("{e}; the previously trusted metadata is kept")))?;
        }
        Command::Search { text } => {
            let text = text.unwrap_or_default();
            let hits = pkg.search(&text).map_err(|e| fail(e.to_string()))?;
            print(report::search(&text, &hits));
        }
        Command::Info { name } => {
            let i = pkg.info(&name).map_err(|e| fail(e.to_string()))?;
            print(report::info(&i));
        }
        Command::Install { packages, key } => {
            let files = packages.iter().filter(|p| is_file_arg(p)).count();
            let change = if files > 0 {
                if packages.len() != 1 {
                    return Err(fail(
                        "install one package file at a time, and not mixed with names".into(),
                    ));
                }
                let key = key.ok_or_else(|| {
                    fail(format!(
                        "{}: a local package needs --key PUB (the key that signed it)",
                        packages[0]
                    ))
                })?;
                let key = read_key(&key).map_err(fail)?;
                pkg.install_file(&packages[0], &key).map_err(tx_fail)?
            } else {
                if key.is_some() {
                    return Err(fail(
                        "--key is for local package files; repository packages are checked \
                                     against the repository's keys"
                            .into(),
                    ));
                }
                pkg.install(&packages).map_err(tx_fail)?
            };
            print(report::change(&change));
        }
        Command::List { generations } => {
            let u = pkg.in_use().map_err(|e| fail(e.to_string()))?;
            if let Some(note) = report::in_use_note(&u) {
                eprintln!("pkg: {note}");
            }
            let g = u.generation;
            let all = if generations {
                Some(pkg.generations().map_err(|e| fail(e.to_string()))?)
            } else {
                None
            };
            print(report::list(&g, all.as_deref()));
        }
        Command::Files { name } => {
            let u = pkg.in_use().map_err(|e| fail(e.to_string()))?;
            if let Some(note) = report::in_use_note(&u) {
                eprintln!("pkg: {note}");
            }
            let (dir, files) = pkg.files(&name).map_err(|e| fail(e.to_string()))?;
            print(report::files(&dir, None, &files));
        }
        Command::Remove { names, force } => {
            let c = pkg.remove(&names, force).map_err(tx_fail)?;
            print(report::change(&c));
        }
        Command::Upgrade => {
            let c = pkg.upgrade().map_err(tx_fail)?;
            print(report::change(&c));
        }
        Command::Rollback => {
            let c = pkg.rollback().map_err(tx_fail)?;
            print(report::change(&c));
        }
        Command::Verify { name } => {
            let problems = pkg
                .verify(name.as_deref())
                .map_err(|e| fail(e.to_string()))?;
            let (lines, failed) = report::verify(&problems);
            print(lines);
            if let Some(m) = failed {
                return Err(fail(m));
            }
        }
        Command::Activate { boot } => {
            let a = pkg.activate().map_err(|e| fail(e.to_string()))?;
            print(report::activation(&a, boot));
        }
        Command::Gc { keep } => {
            let (g, d) = pkg.gc(keep).map_err(|e| fail(e.to_string()))?;
            println!("{}", report::gc(g, d));
        }
    }
    Ok(())
}

fn command_name(c: &Command) -> String {
    match c {
        Command::Repo(RepoCommand::Set { .. }) => "repo set".into(),
        Command::Repo(RepoCommand::Show) => "repo show".into(),
        Command::Update { .. } => "update".into(),
        Command::Activate { .. } => "activate".into(),
        Command::Search { .. } => "search".into(),
        Command::Info { name } => format!("info {name}"),
        Command::Install { packages, .. } => format!("install {}", packages.join(" ")),
        Command::List { .. } => "list".into(),
        Command::Files { name } => format!("files {name}"),
        Command::Remove { names, .. } => format!("remove {}", names.join(" ")),
        Command::Upgrade => "upgrade".into(),
        Command::Rollback => "rollback".into(),
        Command::Gc { .. } => "gc".into(),
        Command::Verify { .. } => "verify".into(),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err((what, msg)) => {
            eprintln!("pkg: {what}: {msg}");
            ExitCode::FAILURE
        }
    }
}
