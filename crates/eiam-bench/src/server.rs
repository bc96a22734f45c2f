//! The minimal loopback server: hyper's HTTP/1.1 server on a thread of its own (a
//! current-thread tokio runtime), answering `POST /api/v2/sdk/after-login/pwd/update-by-email`
//! with the vendor's documented success body (`tests/fixtures/vendor/success-200.json`).
//!
//! It does as little as an HTTP server can (no routing framework, no JSON parsing), so that
//! what a benchmark measures is the client. It still refuses (HTTP 400) a request without
//! the call's headers or body, and counts the connections it accepted and the requests it
//! refused, so a benchmark can check that every variant sent the same call and that a
//! client reused its connection.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The path of the benchmarked call.
pub const UPDATE_BY_EMAIL_PATH: &str = "/api/v2/sdk/after-login/pwd/update-by-email";

/// The vendor's documented success answer of a password change.
pub const SUCCESS_BODY: &[u8] = include_bytes!("../../../tests/fixtures/vendor/success-200.json");

/// The headers every request of the benchmarked call must carry.
const REQUIRED_HEADERS: [&str; 5] = [
    "x-client-id",
    "x-operating-sys-version",
    "x-device-fingerprint",
    "x-agent",
    "x-state-token",
];

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    requests: AtomicU64,
    refused: AtomicU64,
}

/// A running loopback server; dropping it stops it.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    counters: Arc<Counters>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Binds `127.0.0.1:0` and serves on a new thread.
    ///
    /// # Errors
    /// If the port cannot be bound or the thread cannot start.
    pub fn start() -> io::Result<LoopbackServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = oneshot::channel();
        let thread_counters = Arc::clone(&counters);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("loopback-server".into())
            .spawn(move || {
                runtime.block_on(serve(listener, thread_counters, stopped));
            })?;
        Ok(LoopbackServer {
            addr,
            counters,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.counters.accepted.load(Ordering::SeqCst)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Requests refused so far (a missing header or body, another path or method).
    pub fn refused(&self) -> u64 {
        self.counters.refused.load(Ordering::SeqCst)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    counters: Arc<Counters>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                counters.accepted.fetch_add(1, Ordering::SeqCst);
                let counters = Arc::clone(&counters);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(request, Arc::clone(&counters)));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
    // Open connections end with the runtime, when the thread returns.
}

async fn handle(
    request: Request<Incoming>,
    counters: Arc<Counters>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let well_formed = request.method() == Method::POST
        && request.uri().path() == UPDATE_BY_EMAIL_PATH
        && REQUIRED_HEADERS
            .iter()
            .all(|name| request.headers().contains_key(*name));
    let body = request.into_body().collect().await.map(|b| b.to_bytes());
    let (status, body) = match body {
        Ok(body) if well_formed && !body.is_empty() => {
            (StatusCode::OK, Bytes::from_static(SUCCESS_BODY))
        }
        _ => {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::BAD_REQUEST,
                Bytes::from_static(
                    br#"{"error_code":"SDK.COMMON.1001","error_msg":"not the benchmarked call"}"#,
                ),
            )
        }
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
