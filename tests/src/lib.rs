//! Support for the workspace-level tests: a loopback HTTP server that records what the
//! client sends and answers with fixed bytes, the vendor's example values, and the repo's
//! fixture files.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode, Uri};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: Method,
    /// Path and query.
    pub uri: Uri,
    /// Every header, as received.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
}

impl Recorded {
    /// A stable text rendering for snapshots: method, path, headers sorted by name (minus
    /// `host`, whose port changes from run to run), then the body.
    pub fn render(&self) -> String {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(name, _)| name.as_str() != "host")
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        headers.sort();
        let mut out = format!("{} {}\n", self.method, self.uri);
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\n"));
        }
        out.push('\n');
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}

/// What the server answers to every request.
#[derive(Debug, Clone)]
pub struct Canned {
    /// The status.
    pub status: StatusCode,
    /// Headers, e.g. `content-type`.
    pub headers: Vec<(&'static str, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Canned {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Canned {
        Canned {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.into(),
        }
    }
}

#[derive(Clone)]
struct Shared {
    canned: Canned,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

/// A loopback server answering `Canned` to everything and recording the requests.
pub struct CannedServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl CannedServer {
    /// Starts it on 127.0.0.1 and a free port.
    pub async fn start(canned: Canned) -> std::io::Result<CannedServer> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(answer).with_state(Shared {
            canned,
            seen: seen.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(CannedServer { addr, seen })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

async fn answer(State(shared): State<Shared>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if let Ok(mut seen) = shared.seen.lock() {
        seen.push(Recorded {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        });
    }
    let mut response = Response::builder().status(shared.canned.status);
    for (name, value) in &shared.canned.headers {
        response = response.header(*name, value);
    }
    response
        .body(Body::from(shared.canned.body.clone()))
        .unwrap_or_default()
}

/// The header values of the vendor's example, as the spec's `example`s give them.
pub mod vendor {
    /// `X-operating-sys-version`.
    pub const OS_VERSION: &str = "windows10.1.1";
    /// `X-device-fingerprint`.
    pub const FINGERPRINT: &str = "156aysdna213sc50";
    /// `X-device-ip`.
    pub const DEVICE_IP: &str = "192.168.1.2";
    /// `X-agent` (the page wraps it on two lines; a header is one).
    pub const AGENT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X) AppleWebKit/605.1.15(KHTML, like Gecko) Mobile/15E148/HuaWei-AnyOffice/2.6.1802.0010/com.huawei.cloudlink.workplace";
    /// `X-client-id`.
    pub const CLIENT_ID: &str = "nTo1eRIub60vPb54WeE6aojPwYwImtl4";
    /// `X-state-token`.
    pub const STATE_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWJqZW1...";
    /// `verify_code` of the request example.
    pub const VERIFY_CODE: &str = "1234";
    /// `new_password` of the request example.
    pub const NEW_PASSWORD: &str = "P@ssw0rd123";
}

/// A client builder set up with the vendor's example device headers for `base_url`
/// (plain http allowed: test servers are on loopback).
pub fn vendor_client(base_url: &str) -> eiam::ClientBuilder {
    eiam::Client::builder()
        .base_url(base_url)
        .allow_http_loopback(true)
        .client_id(vendor::CLIENT_ID)
        .device(eiam::Device {
            os_version: vendor::OS_VERSION.into(),
            fingerprint: vendor::FINGERPRINT.into(),
            ip: Some(vendor::DEVICE_IP.into()),
            agent: vendor::AGENT.into(),
        })
}

/// A file of the repository, by its path from the repository root.
pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// The bytes of a vendor fixture (`tests/fixtures/vendor/NAME`).
pub fn vendor_fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_file(&format!("tests/fixtures/vendor/{name}"))).unwrap_or_default()
}

/// A loopback server that misbehaves at the TCP level: it reads each request (headers and a
/// `Content-Length` body), then plays a script of raw writes, pauses, resets and floods.
pub mod raw {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// One step of what the server does after reading a request.
    #[derive(Debug, Clone)]
    pub enum Step {
        /// Write these bytes.
        Write(Vec<u8>),
        /// Wait this long.
        Pause(Duration),
        /// Keep the connection open without writing, until the client goes away or 60 s
        /// have passed.
        Stall,
        /// Abort the connection with a TCP reset.
        Reset,
        /// Write `chunk` bytes again and again, up to `max` bytes in all, until the client
        /// stops reading or closes.
        Flood {
            /// The bytes written each time.
            chunk: Vec<u8>,
            /// The most bytes written in all.
            max: u64,
        },
    }

    /// A full response with a `Content-Length`, `Connection: close`, and the given status
    /// line (e.g. `200 OK`) and extra headers.
    pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = head(status, headers);
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out
    }

    /// A status line and headers (`Connection: close` added), without the blank line that
    /// ends them.
    pub fn head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status}\r\nconnection: close\r\n").into_bytes();
        for (name, value) in headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out
    }

    /// The server; stops when dropped.
    pub struct RawServer {
        addr: SocketAddr,
        requests: Arc<AtomicUsize>,
        written: Arc<AtomicU64>,
        received: Arc<std::sync::Mutex<Vec<u8>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl RawServer {
        /// Starts it on 127.0.0.1 and a free port; every connection gets `script`.
        pub async fn start(script: Vec<Step>) -> std::io::Result<RawServer> {
            RawServer::start_sequence(vec![script]).await
        }

        /// Like [`start`](Self::start), the n-th connection getting the n-th script (the
        /// last one for every connection after it).
        pub async fn start_sequence(scripts: Vec<Vec<Step>>) -> std::io::Result<RawServer> {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let requests = Arc::new(AtomicUsize::new(0));
            let written = Arc::new(AtomicU64::new(0));
            let received = Arc::new(std::sync::Mutex::new(Vec::new()));
            let (r, w, got) = (requests.clone(), written.clone(), received.clone());
            let task = tokio::spawn(async move {
                let mut n = 0;
                while let Ok((socket, _)) = listener.accept().await {
                    let script = scripts
                        .get(n)
                        .or(scripts.last())
                        .cloned()
                        .unwrap_or_default();
                    n += 1;
                    let (r, w, got) = (r.clone(), w.clone(), got.clone());
                    tokio::spawn(async move {
                        let _ = serve(socket, &script, &r, &w, &got).await;
                    });
                }
            });
            Ok(RawServer {
                addr,
                requests,
                written,
                received,
                task,
            })
        }

        /// `http://127.0.0.1:PORT`.
        pub fn base_url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// How many requests were read so far.
        pub fn requests(&self) -> usize {
            self.requests.load(Ordering::SeqCst)
        }

        /// How many bytes the server managed to write so far.
        pub fn written(&self) -> u64 {
            self.written.load(Ordering::SeqCst)
        }

        /// Every byte received so far, all connections together.
        pub fn received(&self) -> Vec<u8> {
            self.received.lock().map(|v| v.clone()).unwrap_or_default()
        }
    }

    impl Drop for RawServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    /// Reads one request: up to the blank line, then `Content-Length` bytes.
    async fn read_request(socket: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        let header_end = loop {
            if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = socket.read(&mut buf).await?;
            if n == 0 || data.len() > 1 << 20 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            data.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&data[..header_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while data.len() < header_end + length.min(1 << 20) {
            let n = socket.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
        }
        Ok(data)
    }

    async fn serve(
        mut socket: TcpStream,
        script: &[Step],
        requests: &AtomicUsize,
        written: &AtomicU64,
        received: &std::sync::Mutex<Vec<u8>>,
    ) -> std::io::Result<()> {
        let request = read_request(&mut socket).await?;
        requests.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut all) = received.lock() {
            all.extend_from_slice(&request);
        }
        for step in script {
            match step {
                Step::Write(bytes) => {
                    socket.write_all(bytes).await?;
                    socket.flush().await?;
                    written.fetch_add(bytes.len() as u64, Ordering::SeqCst);
                }
                Step::Pause(d) => tokio::time::sleep(*d).await,
                Step::Stall => {
                    let mut sink = [0u8; 1024];
                    let _ =
                        tokio::time::timeout(Duration::from_secs(60), socket.read(&mut sink)).await;
                    return Ok(());
                }
                Step::Reset => {
                    socket.set_zero_linger()?;
                    drop(socket);
                    return Ok(());
                }
                Step::Flood { chunk, max } => {
                    let mut sent = 0u64;
                    while sent < *max {
                        socket.write_all(chunk).await?;
                        sent += chunk.len() as u64;
                        written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    }
                }
            }
        }
        socket.shutdown().await
    }
}
