//! Typed mocks of the EIAM `/api/v2/sdk` API for [`httpmock`], generated from
//! `openapi/eiam.yaml` by `cargo xtask codegen` (progenitor's httpmock generation) in the
//! same step as the client, so the drift check covers both.
//!
//! [`MockServerExt`] adds one method per operation of the spec to
//! [`httpmock::MockServer`]. Its `when` side has a typed setter per header and body (so a
//! mock matches only the request the client really sends) and its `then` side a typed
//! answer per response of the spec: `ok(&types::…)` for 200, `client_error(4xx, &types::Error)`
//! and `server_error(5xx, &types::Error)` for the error body. A test of a service then runs
//! its code paths without a server:
//!
//! ```no_run
//! use eiam_mock::types;
//! use eiam_mock::{MockServerExt, httpmock::MockServer};
//!
//! # async fn run() {
//! let server = MockServer::start_async().await;
//! let locked = server.login(|when, then| {
//!     when.x_client_id("my-client");
//!     then.client_error(
//!         400,
//!         &types::Error {
//!             error_code: "SDK.LOGIN.1003".into(),
//!             error_msg: "The account is locked.".into(),
//!         },
//!     );
//! });
//! // Point the `eiam::Client` at `server.base_url()` (with `allow_http_loopback(true)`),
//! // run the code under test, then:
//! locked.assert_async().await;
//! # }
//! ```
//!
//! [`operations`] holds the `When` and `Then` wrappers; `into_inner()` on either gives
//! httpmock's own type, to match or answer something the spec does not describe.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, unused_imports)]
mod generated;

pub use generated::*;

/// The client crate's generated types (request and response bodies, the error body), to
/// build the values the mocks match and answer.
pub use eiam_api::types;
/// The httpmock version the mocks are generated for.
pub use httpmock;
