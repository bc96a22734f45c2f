//! The low-level EIAM `/api/v2/sdk` client, generated from `openapi/eiam.yaml` by
//! `cargo xtask codegen` (progenitor, builder style).
//!
//! Services should depend on the `eiam` crate instead: it injects the common headers, keeps
//! secrets secret and maps errors to types. This crate holds only the generated code and
//! the [`ClientHooks`](progenitor_client::ClientHooks) implementation that Rust's orphan
//! rule requires to live next to it:
//!
//! * headers that carry secrets (`X-state-token`) are marked sensitive before sending, so
//!   that no `Debug` print of a request shows them;
//! * the method, path and HTTP status of each call are recorded for [`with_capture`]:
//!   progenitor's `Error::InvalidResponsePayload` (a body that does not decode) does not
//!   keep the status, and the caller's tracing span wants all three.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::future::Future;

use progenitor_client::{ClientHooks, OperationInfo};
pub use reqwest::StatusCode;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, unused_imports)]
mod generated;

pub use generated::*;

/// Request headers whose values are secrets.
const SENSITIVE_HEADERS: [&str; 2] = ["x-state-token", "x-session-token"];

/// What [`with_capture`] saw of the last request a call sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The request's method, once it was sent.
    pub method: Option<&'static str>,
    /// The request's URL path (with the base URL's path prefix, if any).
    pub path: Option<String>,
    /// The HTTP status of the response, once one came.
    pub status: Option<StatusCode>,
}

tokio::task_local! {
    static CAPTURED: RefCell<Captured>;
}

/// Runs `call` and returns its output with what the client saw of the last request it sent
/// while running it.
pub async fn with_capture<F: Future>(call: F) -> (F::Output, Captured) {
    CAPTURED
        .scope(RefCell::new(Captured::default()), async move {
            let output = call.await;
            (output, CAPTURED.with(RefCell::take))
        })
        .await
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
        let result = progenitor_client::ClientInfo::client(self)
            .execute(request)
            .await;
        let status = result.as_ref().ok().map(reqwest::Response::status);
        // Outside `with_capture` there is nothing to record into.
        let _ = CAPTURED.try_with(|slot| {
            slot.replace(Captured {
                method: Some(method),
                path: Some(path),
                status,
            })
        });
        result
    }
}
