//! A small streaming HTTP/1.1 client over SwiftOS sockets: `http://host[:port]/path`, host
//! names through `/etc/resolv.conf`, `Range: bytes=N-` resumes (checked against the 206's
//! `Content-Range`), `Content-Length`, chunked and read-until-close bodies, connect and read
//! timeouts, and precise errors. The protocol parsing lives in `swiftos_pkg_core::http` (tested
//! on the host); this module does the I/O. Bodies are streamed: [`Body::read`] hands out what
//! arrived, nothing buffers a whole response.

use crate::net_hint;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use swiftos_pkg_core::http::{head_end, Dechunker, Framing, Head, HttpError, Url};
use swiftos_rt::net::{self, Ip, ResolveError, SocketAddr, TcpStream};
use swiftos_rt::Errno;

/// Receive buffer size.
const BUF: usize = 64 << 10;

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad URL or malformed answer.
    Protocol(HttpError),
    /// The host name did not resolve.
    Dns {
        /// Host.
        host: String,
        /// Resolver error.
        err: ResolveError,
    },
    /// The TCP connection could not be made.
    Connect {
        /// Host as given.
        host: String,
        /// Address tried.
        addr: SocketAddr,
        /// Why.
        err: Errno,
    },
    /// No data within the timeout.
    Timeout {
        /// What we were waiting for.
        what: &'static str,
        /// Seconds.
        secs: u64,
    },
    /// A socket call failed.
    Io {
        /// What we were doing.
        what: &'static str,
        /// Why.
        err: Errno,
    },
    /// The server closed the connection before the body was complete.
    Closed {
        /// Bytes of body received.
        got: u64,
    },
    /// A status that is not success.
    Status {
        /// Code.
        status: u16,
        /// Reason phrase.
        reason: String,
        /// `Location` of a redirect.
        location: Option<String>,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Protocol(e) => write!(f, "{e}"),
            Failure::Dns { host, err } => write!(f, "cannot resolve {host}: {err}"),
            Failure::Connect { host, addr, err } => {
                let hint = match *err {
                    Errno::ECONNREFUSED => " (nothing listens on that port)",
                    Errno::ETIMEDOUT => " (no answer from the host)",
                    e => net_hint(e),
                };
                write!(
                    f,
                    "cannot connect to {host} ({}:{}): {}{hint}",
                    Ip(addr.ip),
                    addr.port,
                    err.description()
                )
            }
            Failure::Timeout { what, secs } => {
                write!(
                    f,
                    "timed out after {secs} s {what} (server stalled or unreachable)"
                )
            }
            Failure::Io { what, err } => {
                write!(f, "{what}: {}{}", err.description(), net_hint(*err))
            }
            Failure::Closed { got } => write!(
                f,
                "the server closed the connection after {got} body bytes, before the end"
            ),
            Failure::Status {
                status,
                reason,
                location,
            } => {
                write!(f, "HTTP status {status} {reason}")?;
                if let Some(l) = location {
                    write!(f, " (redirect to {l}, not followed)")?;
                }
                Ok(())
            }
        }
    }
}

impl From<HttpError> for Failure {
    fn from(e: HttpError) -> Self {
        Failure::Protocol(e)
    }
}

fn io(what: &'static str, err: Errno, secs: u64) -> Failure {
    if err == Errno::EAGAIN || err == Errno::ETIMEDOUT {
        Failure::Timeout { what, secs }
    } else {
        Failure::Io { what, err }
    }
}

/// A response whose body is still to be read.
pub struct Response {
    /// The parsed head.
    pub head: Head,
    /// Whether the body starts at the requested offset (see [`Head::resumed`]).
    pub resumed: bool,
    /// The body.
    pub body: Body,
}

/// A streamed response body.
pub struct Body {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    framing: Framing,
    left: u64,
    chunks: Dechunker,
    eof: bool,
    timeout_s: u64,
    /// Body bytes handed out so far.
    pub received: u64,
}

impl Body {
    fn fill(&mut self) -> Result<usize, Failure> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(io("waiting for data", e, self.timeout_s)),
            }
        }
    }

    /// Read up to `out.len()` body bytes; `Ok(0)` is the end of the body.
    pub fn read(&mut self, out: &mut [u8]) -> Result<usize, Failure> {
        if out.is_empty() || self.eof {
            return Ok(0);
        }
        loop {
            match self.framing {
                Framing::Length(_) if self.left == 0 => {
                    self.eof = true;
                    return Ok(0);
                }
                Framing::Chunked if self.chunks.done() => {
                    self.eof = true;
                    return Ok(0);
                }
                _ => {}
            }
            if self.start == self.end && self.fill()? == 0 {
                return match self.framing {
                    Framing::UntilClose => {
                        self.eof = true;
                        Ok(0)
                    }
                    _ => Err(Failure::Closed { got: self.received }),
                };
            }
            let avail = &self.buf[self.start..self.end];
            let n = match self.framing {
                Framing::Length(_) => {
                    let n = avail.len().min(out.len()).min(self.left as usize);
                    out[..n].copy_from_slice(&avail[..n]);
                    self.start += n;
                    self.left -= n as u64;
                    n
                }
                Framing::UntilClose => {
                    let n = avail.len().min(out.len());
                    out[..n].copy_from_slice(&avail[..n]);
                    self.start += n;
                    n
                }
                Framing::Chunked => {
                    let input = &avail[..avail.len().min(out.len())];
                    let step = self.chunks.step(input)?;
                    let data = &input[step.data.clone()];
                    out[..data.len()].copy_from_slice(data);
                    self.start += step.consumed;
                    data.len()
                }
            };
            if n > 0 {
                self.received += n as u64;
                return Ok(n);
            }
        }
    }
}

/// `GET url` from byte `from`, with `timeout_s` seconds for connecting and for each read.
/// Statuses other than 2xx are returned as [`Failure::Status`].
pub fn get(url: &str, from: u64, timeout_s: u64, agent: &str) -> Result<Response, Failure> {
    let r = request(url, from, timeout_s, agent)?;
    if !(200..300).contains(&r.head.status) {
        return Err(Failure::Status {
            status: r.head.status,
            reason: r.head.reason.clone(),
            location: r.head.location.clone(),
        });
    }
    Ok(r)
}

/// `GET url` like [`get`], answering with the response whatever its status (for tools that
/// show error pages).
pub fn request(url: &str, from: u64, timeout_s: u64, agent: &str) -> Result<Response, Failure> {
    let u = Url::parse(url)?;
    let ip = match net::resolve(&u.host) {
        Ok(a) if !a.is_empty() => a[0],
        Ok(_) => {
            return Err(Failure::Dns {
                host: u.host,
                err: ResolveError::NxDomain,
            })
        }
        Err(err) => return Err(Failure::Dns { host: u.host, err }),
    };
    let addr = SocketAddr::new(ip, u.port);
    let ms = timeout_s.saturating_mul(1000);
    let stream = TcpStream::connect_timeout(addr, ms).map_err(|err| Failure::Connect {
        host: u.host.clone(),
        addr,
        err,
    })?;
    stream
        .set_read_timeout(Some(ms))
        .map_err(|e| io("setting the read timeout", e, timeout_s))?;
    stream
        .set_write_timeout(Some(ms))
        .map_err(|e| io("setting the write timeout", e, timeout_s))?;
    stream
        .write_all(swiftos_pkg_core::http::request(&u, from, agent).as_bytes())
        .map_err(|e| io("sending the request", e, timeout_s))?;
    let mut body = Body {
        stream,
        buf: alloc::vec![0u8; BUF],
        start: 0,
        end: 0,
        framing: Framing::UntilClose,
        left: 0,
        chunks: Dechunker::new(),
        eof: false,
        timeout_s,
        received: 0,
    };
    // Read until the blank line that ends the head.
    let head_len = loop {
        if let Some(n) = head_end(&body.buf[..body.end]) {
            break n;
        }
        if body.end >= swiftos_pkg_core::http::MAX_HEAD_BYTES {
            return Err(HttpError::Head(String::from("response head longer than 16 KiB")).into());
        }
        let n = match body.stream.read(&mut body.buf[body.end..]) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(io("waiting for the response", e, timeout_s)),
        };
        if n == 0 {
            return Err(HttpError::Head(alloc::format!(
                "the server closed the connection after {} bytes, before the end of the head",
                body.end
            ))
            .into());
        }
        body.end += n;
    };
    let head = Head::parse(&body.buf[..head_len])?;
    body.start = head_len;
    let resumed = if from > 0 && (200..300).contains(&head.status) {
        head.resumed(from)?
    } else {
        false
    };
    body.framing = head.framing;
    if let Framing::Length(n) = head.framing {
        body.left = n;
    }
    Ok(Response {
        head,
        resumed,
        body,
    })
}
