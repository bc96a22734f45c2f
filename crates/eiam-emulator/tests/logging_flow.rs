//! The calls of the password-expiry flow log no secret either.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use eiam_emulator::PasswordExpiry;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("sink").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// A current-thread runtime: the server's tasks run on this thread, under the guard.
#[tokio::test]
async fn the_flow_logs_no_secret() {
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = start().await;
    let _ = env.login_http(USER, "Wrong-Secret1").await;
    let fresh = env.login_http(USER, OLD_PASSWORD).await;
    let session = fresh.str("session_token");
    let h = with_header(device_headers(CLIENT), "X-session-token", Some(&session));
    let refreshed = env
        .call_raw(
            reqwest::Method::POST,
            "/api/v2/sdk/sso/session-token/id-token",
            &h,
            None,
        )
        .await;
    assert_eq!(refreshed.status, 200);
    let token = env
        .state_token(PasswordExpiry::Expired, "PASSWORD_EXPIRED")
        .await;
    let captcha = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&captcha).expect("answer");
    let captcha_token = env
        .verify_captcha(&captcha, x, MOBILE)
        .await
        .str("captcha_token");
    let sent = env
        .send_code("mobile", MOBILE, "CHANGE_PWD_SMS", &captcha_token)
        .await;
    assert_eq!(sent.status, 200);
    let code = env.emulator().latest_code(MOBILE).expect("code");
    let _ = env
        .post_to(
            "/api/v2/sdk/pwd/update",
            &headers(CLIENT, &token),
            json!({ "old_password": "Wrong-Secret2", "new_password": NEW_PASSWORD }),
        )
        .await;
    let changed = env
        .post_to(
            "/api/v2/sdk/after-login/pwd/update-by-mobile",
            &headers(CLIENT, &token),
            json!({ "verify_code": code, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    env.running.shutdown().await;

    let log = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
    for expected in [USER, "LOGIN.0002", "SDK.COMMON.1006", "CHANGE_PWD_SMS"] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
    let secrets = [
        OLD_PASSWORD.to_owned(),
        NEW_PASSWORD.to_owned(),
        "Wrong-Secret1".to_owned(),
        "Wrong-Secret2".to_owned(),
        session,
        fresh.str("id_token"),
        refreshed.str("id_token"),
        token,
        captcha,
        captcha_token,
        code,
        changed.str("session_token"),
    ];
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret in the log:\n{log}"
        );
    }
}
