//! `repo-server`: serve a published SwiftOS repository root over HTTP, read-only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

/// Serve a published SwiftOS repository root (the directory `swport repo publish --out DIR`
/// wrote) over HTTP, read-only.
///
/// Clients use it as `pkg repo set http://HOST:PORT --root-key repo-root.pub`; a browser shows
/// the package index at http://HOST:PORT/. Any static web server can serve the same directory;
/// this one adds the cache rules TUF wants (timestamp.json revalidated every time, hash- and
/// version-named files cached for a year), byte ranges for resumed downloads, and refuses
/// paths that leave the root (.., %2e%2e, backslashes, NUL bytes, dot-files, symlinks out).
#[derive(Parser, Debug)]
#[command(
    name = "repo-server",
    version,
    after_help = "Examples:\n  \
        repo-server --root build/seed-repo                       # http://127.0.0.1:8080/\n  \
        repo-server --root /srv/swiftos --bind 0.0.0.0:8080      # reachable from QEMU guests as 10.0.2.2:8080\n  \
        RUST_LOG=warn repo-server --root DIR                     # no access log\n\n\
        One access-log line per request goes to stderr (RUST_LOG=info, the default).\n\
        Stop with Ctrl-C or SIGTERM: running downloads get --grace seconds to finish."
)]
struct Args {
    /// Directory to serve: a published repository root (holds hosted-repo.json, metadata/,
    /// targets/, index.html).
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
    /// Address and port to listen on. Port 0 picks a free port (printed at start-up).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Seconds that running requests may take to finish after Ctrl-C/SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    grace: u64,
    /// Seconds a client may take to send a request's headers, and to stay idle between
    /// requests on a kept-alive connection; slower clients are disconnected.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    header_timeout: u64,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let state = repo_server::ServerState::new(&args.root).context("repo-server")?;
        let listener = repo_server::bind(args.bind).await.context("repo-server")?;
        let local = listener
            .local_addr()
            .context("repo-server: local address")?;
        // The first stdout line is the address (tests and scripts read it when --bind uses port 0).
        println!(
            "repo-server: serving {} on http://{local}/",
            state.root().display()
        );
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let opts = repo_server::ServeOptions {
            grace: Duration::from_secs(args.grace),
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        };
        repo_server::serve(listener, state, shutdown_signal(), opts)
            .await
            .context("repo-server")?;
        tracing::info!("stopped");
        Ok(())
    })
}
