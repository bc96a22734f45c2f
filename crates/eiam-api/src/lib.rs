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
//! * the HTTP status of each response is recorded for [`with_status_capture`], because
//!   progenitor's `Error::InvalidResponsePayload` (a body that does not decode) does not
//!   keep it.
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::future::Future;

use progenitor_client::{ClientHooks, OperationInfo};
pub use reqwest::StatusCode;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, unused_imports)]
mod generated;

pub use generated::*;

/// Request headers whose values are secrets.
const SENSITIVE_HEADERS: [&str; 2] = ["x-state-token", "x-session-token"];

tokio::task_local! {
    static LAST_STATUS: Cell<Option<StatusCode>>;
}

/// Runs `call` and returns its output with the HTTP status of the last response that the
/// client received while running it (`None` if no response came).
pub async fn with_status_capture<F: Future>(call: F) -> (F::Output, Option<StatusCode>) {
    LAST_STATUS
        .scope(Cell::new(None), async move {
            let output = call.await;
            let status = LAST_STATUS.with(Cell::get);
            (output, status)
        })
        .await
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
        let result = progenitor_client::ClientInfo::client(self)
            .execute(request)
            .await;
        if let Ok(response) = &result {
            let status = response.status();
            // Outside `with_status_capture` there is nothing to record into.
            let _ = LAST_STATUS.try_with(|slot| slot.set(Some(status)));
        }
        result
    }
}
