//! The emulator logs user names and error codes, never a secret.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
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
async fn secrets_never_reach_the_log() {
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = start().await;
    let (token, code) = env.login();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let _ = env.change("forged-token-value", &code, NEW_PASSWORD).await;
    let _ = env.change(&token, wrong, NEW_PASSWORD).await;
    let _ = env.change(&token, &code, "weak").await;
    let ok = env.change(&token, &code, NEW_PASSWORD).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let _ = env.change(&token, &code, NEW_PASSWORD).await;
    let session = ok.body["session_token"]
        .as_str()
        .expect("session")
        .to_owned();
    let id_token = ok.body["id_token"].as_str().expect("id_token").to_owned();
    env.running.shutdown().await;

    let log = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
    for expected in [
        USER,
        "SDK.COMMON.1006",
        "SDK.SMS.1006",
        "SDK.COMMON.1002",
        "SDK.COMMON.1005",
    ] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
    let secrets = [
        OLD_PASSWORD,
        NEW_PASSWORD,
        "weak",
        code.as_str(),
        wrong,
        token.as_str(),
        "forged-token-value",
        session.as_str(),
        id_token.as_str(),
    ];
    for secret in secrets {
        assert!(!log.contains(secret), "secret in the log:\n{log}");
    }
}
