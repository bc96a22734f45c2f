//! The low-level EIAM `/api/v2/sdk` client, generated from `openapi/eiam.yaml` by
//! `cargo xtask codegen` (progenitor, builder style).
//!
//! Services should depend on the `eiam` crate instead: it injects the common headers, keeps
//! secrets secret and maps errors to types. This crate holds only the generated code and
//! the [`ClientHooks`] implementation that Rust's orphan rule requires to live next to it:
//!
//! * headers that carry secrets (`X-state-token`) are marked sensitive before sending, so
//!   that no `Debug` print of a request shows them;
//! * every response body is read through a cap ([`CallOptions::max_body_bytes`], default
//!   [`DEFAULT_MAX_BODY_BYTES`]): past it, reading stops with a [`BodyTooLarge`] error
//!   instead of buffering whatever a server sends; a UTF-8 byte-order mark before the body
//!   is dropped (RFC 8259 §8.1 lets a JSON parser ignore it);
//! * the method, path, HTTP status and `Retry-After` header of each call are recorded for
//!   [`with_capture`] / [`with_options`]: progenitor's `Error::InvalidResponsePayload` (a
//!   body that does not decode) does not keep the status, and the caller's tracing span
//!   wants all three.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use progenitor_client::{ClientHooks, OperationInfo};
pub use reqwest::StatusCode;
use reqwest::header::HeaderValue;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, unused_imports)]
mod generated;

pub use generated::*;

/// Request headers whose values are secrets.
const SENSITIVE_HEADERS: [&str; 2] = ["x-state-token", "x-session-token"];

/// The default cap on a response body: 1 MiB. The largest documented answer (a captcha
/// with its two PNG images) is a small fraction of it.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What [`with_capture`] saw of the last request a call sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The request's method, once it was sent.
    pub method: Option<&'static str>,
    /// The request's URL path (with the base URL's path prefix, if any).
    pub path: Option<String>,
    /// The HTTP status of the response, once one came.
    pub status: Option<StatusCode>,
    /// The response's `Retry-After` header, as sent.
    pub retry_after: Option<HeaderValue>,
}

/// Settings of one call, for [`with_options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOptions {
    /// The most bytes of a response body that are read; a longer body fails with
    /// [`BodyTooLarge`] (inside the `reqwest::Error` of
    /// `Error::ResponseBodyError`), without reading the rest.
    pub max_body_bytes: u64,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The error a capped response body reports when the server sends more than
/// [`CallOptions::max_body_bytes`] (or announces more in `Content-Length`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The cap, in bytes.
    pub limit: u64,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the response body is larger than the {} bytes allowed",
            self.limit
        )
    }
}

impl std::error::Error for BodyTooLarge {}

impl BodyTooLarge {
    /// The [`BodyTooLarge`] somewhere in the source chain of `error`, if any.
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<BodyTooLarge> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<BodyTooLarge>() {
                return Some(*found);
            }
            current = e.source();
        }
        None
    }
}

struct CallState {
    captured: RefCell<Captured>,
    options: CallOptions,
}

tokio::task_local! {
    static CALL: CallState;
    static CANNED: RefCell<Option<reqwest::Response>>;
}

/// Runs `call` with the default [`CallOptions`] and returns its output with what the
/// client saw of the last request it sent while running it.
pub async fn with_capture<F: Future>(call: F) -> (F::Output, Captured) {
    with_options(CallOptions::default(), call).await
}

/// Runs `call` with `options` and returns its output with what the client saw of the last
/// request it sent while running it.
pub async fn with_options<F: Future>(options: CallOptions, call: F) -> (F::Output, Captured) {
    let state = CallState {
        captured: RefCell::new(Captured::default()),
        options,
    };
    CALL.scope(state, async move {
        let output = call.await;
        (output, CALL.with(|state| state.captured.take()))
    })
    .await
}

/// Runs `call` with `response` as the answer to the first request it sends, which then
/// never reaches the network (the cap, the byte-order mark rule and the capture still
/// apply). For fuzzing the decoding of answers; not part of the API.
#[doc(hidden)]
pub async fn with_canned_response<F: Future>(response: reqwest::Response, call: F) -> F::Output {
    CANNED.scope(RefCell::new(Some(response)), call).await
}

fn method_name(method: &reqwest::Method) -> &'static str {
    match *method {
        reqwest::Method::GET => "GET",
        reqwest::Method::POST => "POST",
        reqwest::Method::PUT => "PUT",
        reqwest::Method::DELETE => "DELETE",
        reqwest::Method::PATCH => "PATCH",
        reqwest::Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

impl ClientHooks<()> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        for name in SENSITIVE_HEADERS {
            if let Some(value) = request.headers_mut().get_mut(name) {
                value.set_sensitive(true);
            }
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let method = method_name(request.method());
        let path = request.url().path().to_owned();
        let canned = CANNED
            .try_with(|slot| slot.borrow_mut().take())
            .ok()
            .flatten();
        let result = match canned {
            Some(response) => Ok(response),
            None => {
                progenitor_client::ClientInfo::client(self)
                    .execute(request)
                    .await
            }
        };
        let options = CALL.try_with(|state| state.options).unwrap_or_default();
        let result = result.map(|response| capped(response, options.max_body_bytes));
        let status = result.as_ref().ok().map(reqwest::Response::status);
        let retry_after = result
            .as_ref()
            .ok()
            .and_then(|r| r.headers().get(reqwest::header::RETRY_AFTER).cloned());
        // Outside `with_capture` there is nothing to record into.
        let _ = CALL.try_with(|state| {
            state.captured.replace(Captured {
                method: Some(method),
                path: Some(path),
                status,
                retry_after,
            })
        });
        result
    }
}

/// `response` with its body read through a [`CappedBody`] of `limit` bytes.
fn capped(response: reqwest::Response, limit: u64) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;

    let url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let announced = parts
        .headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Keep the URL the response came from (the conversion drops it).
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(with_url.into_parts().0.extensions);
    }
    let body = CappedBody {
        inner: body,
        limit,
        read: 0,
        too_large: announced.is_some_and(|n| n > limit),
        start: Some(Vec::new()),
    };
    reqwest::Response::from(http::Response::from_parts(parts, reqwest::Body::wrap(body)))
}

/// A response body that fails with [`BodyTooLarge`] once more than `limit` bytes came (or
/// at once when `Content-Length` announces more), and drops a leading UTF-8 byte-order
/// mark.
struct CappedBody {
    inner: reqwest::Body,
    limit: u64,
    read: u64,
    too_large: bool,
    /// The first bytes, held until there are enough to tell whether they start with a
    /// byte-order mark; `None` once that is decided.
    start: Option<Vec<u8>>,
}

impl HttpBody for CappedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        loop {
            if this.too_large {
                return Poll::Ready(Some(Err(Box::new(BodyTooLarge { limit: this.limit }))));
            }
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    // The body ended while the start was held: release what was held.
                    return Poll::Ready(
                        this.start
                            .take()
                            .filter(|held| !held.is_empty())
                            .map(|held| Ok(Frame::data(Bytes::from(held)))),
                    );
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Box::new(e)))),
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            let data = match frame.into_data() {
                Ok(data) => data,
                Err(other) => return Poll::Ready(Some(Ok(other))),
            };
            this.read = this.read.saturating_add(data.len() as u64);
            if this.read > this.limit {
                this.too_large = true;
                continue;
            }
            let Some(held) = this.start.as_mut() else {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            };
            if held.is_empty() && data.len() >= BOM.len() {
                // The usual case: the first chunk tells at once, and is passed on without a
                // copy (a copy costs a few per cent of a call on loopback: BENCHMARKS.md).
                this.start = None;
                let data = if data.starts_with(BOM) {
                    data.slice(BOM.len()..)
                } else {
                    data
                };
                if data.is_empty() {
                    continue;
                }
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            held.extend_from_slice(&data);
            if held.len() < BOM.len() && BOM.starts_with(held) {
                continue; // could still be a byte-order mark: read more
            }
            let mut held = std::mem::take(held);
            this.start = None;
            if held.starts_with(BOM) {
                held.drain(..BOM.len());
            }
            if !held.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(held)))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.too_large
            && self.start.as_ref().is_none_or(Vec::is_empty)
            && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // The byte-order mark may be dropped: only an upper bound is known.
        let mut hint = SizeHint::new();
        if let Some(upper) = self.inner.size_hint().upper() {
            hint.set_upper(upper.saturating_add(self.start.as_ref().map_or(0, |h| h.len() as u64)));
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(
        body: Vec<Vec<u8>>,
        limit: u64,
        content_length: Option<usize>,
    ) -> Result<Vec<u8>, String> {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            body.into_iter().map(|c| Ok(Bytes::from(c))).collect();
        let stream = http_body_util_stream(chunks);
        let mut builder = http::Response::builder().status(200);
        if let Some(n) = content_length {
            builder = builder.header("content-length", n.to_string());
        }
        let response = reqwest::Response::from(builder.body(stream).map_err(|e| e.to_string())?);
        let response = capped(response, limit);
        response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| match BodyTooLarge::find(&e) {
                Some(t) => format!("too large {}", t.limit),
                None => e.to_string(),
            })
    }

    /// A streaming body of the given chunks (reqwest has no public stream constructor
    /// without its `stream` feature, so wrap an `http_body` of our own).
    fn http_body_util_stream(chunks: Vec<Result<Bytes, std::io::Error>>) -> reqwest::Body {
        struct Chunks(std::collections::VecDeque<Result<Bytes, std::io::Error>>);
        impl HttpBody for Chunks {
            type Data = Bytes;
            type Error = std::io::Error;
            fn poll_frame(
                mut self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
                Poll::Ready(self.0.pop_front().map(|c| c.map(Frame::data)))
            }
        }
        reqwest::Body::wrap(Chunks(chunks.into()))
    }

    #[tokio::test]
    async fn bodies_within_the_cap_pass_whole() {
        let got = read(vec![b"{\"a\":".to_vec(), b"1}".to_vec()], 7, None).await;
        assert_eq!(got.as_deref(), Ok(&b"{\"a\":1}"[..]));
        assert_eq!(read(vec![], 0, None).await.as_deref(), Ok(&b""[..]));
    }

    #[tokio::test]
    async fn bodies_past_the_cap_fail_typed() {
        let got = read(vec![b"1234".to_vec(), b"5678".to_vec()], 7, None).await;
        assert_eq!(got, Err("too large 7".to_owned()));
        // Announced too large: refused before reading.
        let got = read(vec![b"12".to_vec()], 7, Some(8)).await;
        assert_eq!(got, Err("too large 7".to_owned()));
    }

    #[tokio::test]
    async fn a_byte_order_mark_is_dropped_even_when_split() {
        let split = vec![vec![0xEF], vec![0xBB], vec![0xBF, b'{'], b"}".to_vec()];
        assert_eq!(read(split, 100, None).await.as_deref(), Ok(&b"{}"[..]));
        let whole = vec![b"\xEF\xBB\xBF[1]".to_vec()];
        assert_eq!(read(whole, 100, None).await.as_deref(), Ok(&b"[1]"[..]));
        // Only a mark at the very start, and a short body that merely begins like one.
        let inner = vec![b"[\xEF\xBB\xBF]".to_vec()];
        assert_eq!(
            read(inner, 100, None).await.as_deref(),
            Ok(&b"[\xEF\xBB\xBF]"[..])
        );
        assert_eq!(
            read(vec![vec![0xEF, 0xBB]], 100, None).await.as_deref(),
            Ok(&[0xEF, 0xBB][..])
        );
        assert_eq!(
            read(vec![vec![0xEF], vec![]], 100, None).await.as_deref(),
            Ok(&[0xEF][..])
        );
    }
}
