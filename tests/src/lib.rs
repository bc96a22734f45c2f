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
