//! The check of the `emulator_request` fuzz target, shared with the regression tests
//! (`tests/tests/fuzz_regressions.rs` includes this file): bytes parsed as an HTTP/1.1
//! request (httparse) and handed to `Emulator::router()` with tower's `oneshot`, no
//! network, against a fresh emulator with one user whose password expired, a state token
//! and an e-mailed code.
//!
//! In the input, `{STATE}` and `{CODE}` stand for that state token and code, so that the
//! fuzzer reaches past the token and code checks.
//!
//! Checks: no panic; no answer is a 5xx; every 400 of `/api/v2/sdk` is the documented
//! `{"error_code","error_msg"}` JSON.

use axum::body::Body;
use axum::http::Request;
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, UserOptions};
use tower::ServiceExt as _;

fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Runs one input; panics when a check fails.
pub async fn check(data: &[u8]) {
    let emulator = Emulator::new(EmulatorConfig::default()).expect("emulator");
    emulator
        .add_user_with(
            NewUser {
                user_name: "bob".into(),
                password: "Old-Passw0rd".into(),
                email: "bob@example.com".into(),
                mobile: "+86-15900000001".into(),
                name: None,
            },
            UserOptions::default().expiry(PasswordExpiry::Expired),
        )
        .expect("user");
    let login = emulator.expired_login("bob", None).expect("login");
    let code = emulator.latest_code("bob@example.com").unwrap_or_default();
    let data = replace(data, b"{STATE}", login.state_token.as_bytes());
    let data = replace(&data, b"{CODE}", code.as_bytes());

    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&data) else {
        return;
    };
    let (Some(method), Some(path)) = (parsed.method, parsed.path) else {
        return;
    };
    let mut builder = Request::builder().method(method).uri(path);
    for header in parsed.headers.iter() {
        builder = builder.header(header.name, header.value);
    }
    let Ok(request) = builder.body(Body::from(data[head_len..].to_vec())) else {
        return; // not a request HTTP could carry
    };
    let response = emulator
        .router()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    assert!(status.as_u16() < 500, "{status} for {method} {path}");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    if path.starts_with("/api/v2/sdk") && status.as_u16() == 400 {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{status} for {method} {path}: not JSON ({e})"));
        assert!(
            value["error_code"].is_string() && value["error_msg"].is_string(),
            "{status} for {method} {path}: {value}"
        );
    }
}
