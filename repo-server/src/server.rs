//! The axum service: one handler for every request, start-up checks, and the serve loop with
//! graceful shutdown.

use std::io::SeekFrom;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::rules::{
    cache_control, content_type, decide_range, etag, if_range_holds, last_modified, none_match,
    not_modified_since, request_segments, PathRefusal, RangeDecision,
};

/// Read buffer of a file body.
const CHUNK: usize = 256 << 10;
/// Files up to this size are read in one go with the open (one blocking-pool trip per request).
const SMALL_FILE: u64 = 256 << 10;

/// The outcome of resolving and opening a request path.
enum Opened {
    File {
        file: std::fs::File,
        meta: Box<std::fs::Metadata>,
        name: String,
        small: Option<Vec<u8>>,
    },
    Missing,
    NoListing,
    Escapes(PathBuf),
    Denied,
    AddSlash,
}

/// Resolve `segments` under the canonical `root` (symlinks resolved; the result must stay
/// inside), map a directory to its `index.html`, open and stat the file, and read it whole if
/// it is small and a body is wanted.
fn open_file(root: &Path, segments: &[String], trailing: bool, want_body: bool) -> Opened {
    use std::io::Read as _;
    let mut path = root.to_path_buf();
    for s in segments {
        path.push(s);
    }
    let Ok(mut canon) = std::fs::canonicalize(&path) else {
        return Opened::Missing;
    };
    if !canon.starts_with(root) {
        return Opened::Escapes(canon);
    }
    let mut name = segments.last().cloned().unwrap_or_default();
    if canon.is_dir() {
        let index = canon.join("index.html");
        if !index.is_file() {
            return Opened::NoListing;
        }
        if !trailing {
            return Opened::AddSlash;
        }
        canon = index;
        name = "index.html".into();
    } else if trailing {
        return Opened::Missing;
    }
    let mut file = match std::fs::File::open(&canon) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Opened::Denied,
        Err(_) => return Opened::Missing,
    };
    let meta = match file.metadata() {
        Ok(m) if m.is_file() => m,
        _ => return Opened::Missing,
    };
    let small = if want_body && meta.len() <= SMALL_FILE {
        let mut buf = Vec::with_capacity(meta.len() as usize);
        match (&mut file).take(meta.len()).read_to_end(&mut buf) {
            Ok(n) if n as u64 == meta.len() => Some(buf),
            _ => return Opened::Missing,
        }
    } else {
        None
    };
    Opened::File {
        file,
        meta: Box::new(meta),
        name,
        small,
    }
}

/// Start-up failures, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The root to serve is missing or not a directory.
    #[error("root {}: {reason}", path.display())]
    Root {
        /// The root given.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The listening address is taken or not allowed.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The server failed while running.
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What the handler needs: the canonical root.
#[derive(Debug)]
pub struct ServerState {
    root: PathBuf,
}

impl ServerState {
    /// Check `root` and resolve it to its canonical path (symlinks in the root path itself are
    /// fine; symlinks *inside* the root must stay inside).
    pub fn new(root: &Path) -> Result<Arc<ServerState>, ServeError> {
        let bad = |reason: String| ServeError::Root {
            path: root.into(),
            reason,
        };
        let canon = std::fs::canonicalize(root).map_err(|e| {
            bad(format!(
                "{e}; give the web root written by `swport repo publish --out DIR`"
            ))
        })?;
        if !canon.is_dir() {
            return Err(bad("is not a directory".into()));
        }
        std::fs::read_dir(&canon).map_err(|e| bad(format!("cannot be listed: {e}")))?;
        if !canon.join("hosted-repo.json").is_file() {
            tracing::warn!(root = %canon.display(), "no hosted-repo.json: is this a published repository root?");
        }
        Ok(Arc::new(ServerState { root: canon }))
    }

    /// The canonical root served.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Bind `addr`, turning the usual failures into messages that say what to do.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "the port is taken (another program listens on {addr}); stop it or choose another port with --bind"
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "permission denied (ports below 1024 need privileges); choose a port above 1023 with --bind ({e})"
            ),
            std::io::ErrorKind::AddrNotAvailable => {
                format!("no local interface has this address; use 127.0.0.1 or 0.0.0.0 ({e})")
            }
            _ => e.to_string(),
        };
        ServeError::Bind { addr, reason }
    })
}

/// The router: every path and method goes to one handler.
pub fn router(state: Arc<ServerState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Connection settings of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// How long running requests may take to finish after the shutdown signal.
    pub grace: Duration,
    /// How long a client may take to send a request's headers (also the keep-alive idle
    /// limit); slower clients are disconnected (slowloris protection).
    pub header_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            grace: Duration::from_secs(10),
            header_timeout: Duration::from_secs(20),
        }
    }
}

/// Serve HTTP/1.1 until `shutdown` completes; then stop accepting, let running requests
/// finish for up to `opts.grace`, and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ServerState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    opts: ServeOptions,
) -> Result<(), ServeError> {
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm
        // and delayed ACKs cost ~40 ms per keep-alive request.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let svc = hyper_util::service::TowerToHyperService::new(
            app.clone().layer(axum::Extension(ConnectInfo(peer))),
        );
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(opts.header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(peer = %peer, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing running requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(opts.grace) => {
            tracing::warn!(
                "requests still running after {} s; stopping anyway",
                opts.grace.as_secs()
            );
        }
    }
    Ok(())
}

fn simple(status: StatusCode, text: &str) -> Response {
    let text = format!("{text}\n");
    let len = HeaderValue::from(text.len());
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_LENGTH, len);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = respond(&state, &method, &path, req.headers()).await;
    let bytes = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    tracing::info!(
        target: "access",
        peer = %peer,
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        bytes = %bytes,
        ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0),
    );
    resp
}

async fn respond(state: &ServerState, method: &Method, raw: &str, h: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = simple(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 method not allowed: this server is read-only (GET, HEAD)",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let (segments, trailing) = match request_segments(raw) {
        Ok(s) => s,
        Err(PathRefusal::BadRequest) => {
            return simple(StatusCode::BAD_REQUEST, "400 bad request path")
        }
        Err(PathRefusal::Forbidden) => return simple(StatusCode::FORBIDDEN, "403 forbidden path"),
    };
    let root = state.root.clone();
    let want_body = method == Method::GET;
    // One trip to the blocking pool for resolve + open + stat (+ read, for small files).
    let opened =
        tokio::task::spawn_blocking(move || open_file(&root, &segments, trailing, want_body))
            .await
            .unwrap_or(Opened::Missing);
    let (file, meta, name, small) = match opened {
        Opened::File {
            file,
            meta,
            name,
            small,
        } => (file, meta, name, small),
        Opened::Missing => return simple(StatusCode::NOT_FOUND, "404 not found"),
        Opened::NoListing => {
            return simple(
                StatusCode::NOT_FOUND,
                "404 not found (directory listings are off)",
            )
        }
        Opened::Escapes(target) => {
            tracing::warn!(path = raw, target = %target.display(), "refused: symlink leaves the root");
            return simple(StatusCode::FORBIDDEN, "403 forbidden path");
        }
        Opened::Denied => return simple(StatusCode::FORBIDDEN, "403 forbidden"),
        Opened::AddSlash => {
            let mut r = simple(StatusCode::MOVED_PERMANENTLY, "301 moved");
            if let Ok(v) = HeaderValue::from_str(&format!("{raw}/")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
    };
    let len = meta.len();
    let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let tag = etag(len, mtime);
    let last_mod = last_modified(mtime);

    let mut headers = HeaderMap::new();
    let put = |hm: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            hm.insert(k, v);
        }
    };
    put(&mut headers, header::ETAG, &tag);
    put(&mut headers, header::LAST_MODIFIED, &last_mod);
    put(&mut headers, header::CACHE_CONTROL, cache_control(&name));
    put(&mut headers, header::ACCEPT_RANGES, "bytes");
    put(&mut headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");

    // Conditional requests: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    let not_modified = match header_str(h, header::IF_NONE_MATCH) {
        Some(v) => none_match(v, &tag),
        None => {
            header_str(h, header::IF_MODIFIED_SINCE).is_some_and(|v| not_modified_since(v, mtime))
        }
    };
    if not_modified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        *r.headers_mut() = headers;
        return r;
    }
    put(&mut headers, header::CONTENT_TYPE, content_type(&name));

    let range_header = header_str(h, header::RANGE).filter(|_| {
        header_str(h, header::IF_RANGE).is_none_or(|ir| if_range_holds(ir, &tag, &last_mod))
    });
    let (status, start, count) = match decide_range(range_header, len) {
        RangeDecision::Full => (StatusCode::OK, 0, len),
        RangeDecision::Partial(r) => {
            put(
                &mut headers,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{len}", r.start, r.end),
            );
            (StatusCode::PARTIAL_CONTENT, r.start, r.len())
        }
        RangeDecision::Unsatisfiable => {
            let mut r = simple(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "416 range not satisfiable",
            );
            put(
                r.headers_mut(),
                header::CONTENT_RANGE,
                &format!("bytes */{len}"),
            );
            return r;
        }
    };
    put(&mut headers, header::CONTENT_LENGTH, &count.to_string());
    let body = if method == Method::HEAD {
        Body::empty()
    } else if let Some(bytes) = small {
        let (a, b) = (start as usize, (start + count) as usize);
        match bytes.get(a..b) {
            Some(part) => Body::from(part.to_vec()),
            None => return simple(StatusCode::INTERNAL_SERVER_ERROR, "500 the file changed"),
        }
    } else {
        let mut file = tokio::fs::File::from_std(file);
        if start > 0 && file.seek(SeekFrom::Start(start)).await.is_err() {
            return simple(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 cannot read the file",
            );
        }
        Body::from_stream(ReaderStream::with_capacity(file.take(count), CHUNK))
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}
