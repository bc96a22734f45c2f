//! Every call runs in an `eiam.call` span whose fields say what happened: the operation,
//! method, path, HTTP status, duration, and, on failure, the error kind and the service's
//! error code. A capturing subscriber records the spans of calls against the emulator.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use eiam::{Client, ErrorCode, Password, StateToken, VerifyCode};
use eiam_emulator::{DEFAULT_CLIENT_ID, Emulator, EmulatorConfig, NewUser};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// The fields of one span, as text.
#[derive(Debug, Default, Clone)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

/// A closed span: its name and its fields as they were when it closed.
type Closed = (String, BTreeMap<String, String>);

/// A layer that keeps every span's fields, including those recorded after it was created.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Closed>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            let fields = span.extensions_mut().remove::<Fields>().unwrap_or_default();
            self.0
                .lock()
                .expect("lock")
                .push((span.name().to_owned(), fields.0));
        }
    }
}

impl Capture {
    fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|(name, _)| name == "eiam.call")
            .map(|(_, fields)| fields.clone())
            .collect()
    }
}

#[tokio::test]
async fn each_call_records_operation_method_path_status_and_error_code() {
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .expect("emulator");
    let emulator = running.emulator();
    emulator
        .add_user(NewUser {
            user_name: "alice".into(),
            password: "Old-Passw0rd!".into(),
            email: "alice@example.com".into(),
            mobile: "+86-15907132852".into(),
            name: None,
        })
        .expect("user");
    let login = emulator.expired_login("alice", None).expect("login");
    let code = emulator.latest_code("alice@example.com").expect("code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let client = Client::builder()
        .base_url(running.base_url())
        .client_id(DEFAULT_CLIENT_ID)
        .os_version("linux")
        .device_fingerprint("fp")
        .agent("tracing-test")
        .allow_http_loopback(true)
        .build()
        .expect("client");
    let state = StateToken::new(login.state_token.clone());
    let new_password = "N3w-Passw0rd!";

    // The test runs on one thread: this subscriber sees the client's spans.
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let err = client
        .update_password_by_email(
            &state,
            &VerifyCode::new(wrong),
            &Password::new(new_password),
        )
        .await
        .expect_err("wrong code");
    assert_eq!(err.code(), Some(&ErrorCode::EmailCodeWrong));
    client
        .update_password_by_email(
            &state,
            &VerifyCode::new(code.clone()),
            &Password::new(new_password),
        )
        .await
        .expect("password changed");

    let calls = capture.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let path = "/api/v2/sdk/after-login/pwd/update-by-email";
    let failed = &calls[0];
    assert_eq!(failed["operation"], "update_password_by_email");
    assert_eq!(failed["method"], "POST");
    assert_eq!(failed["path"], path);
    assert_eq!(failed["status"], "400");
    assert_eq!(failed["error"], "api");
    assert_eq!(failed["error_code"], "SDK.SMS.1006");
    assert!(failed["duration_ms"].parse::<u64>().is_ok(), "{failed:?}");

    let succeeded = &calls[1];
    assert_eq!(succeeded["operation"], "update_password_by_email");
    assert_eq!(succeeded["method"], "POST");
    assert_eq!(succeeded["path"], path);
    assert_eq!(succeeded["status"], "200");
    assert!(succeeded.get("error").is_none(), "{succeeded:?}");
    assert!(succeeded.get("error_code").is_none(), "{succeeded:?}");
    assert!(succeeded.contains_key("duration_ms"), "{succeeded:?}");

    // No field carries a secret.
    for fields in &calls {
        for value in fields.values() {
            for secret in [login.state_token.as_str(), code.as_str(), new_password] {
                assert!(!value.contains(secret), "{fields:?}");
            }
        }
    }
    drop(_guard);
    running.shutdown().await;
}

/// Arguments refused before anything is sent make no `eiam.call` span: there was no call.
#[tokio::test]
async fn arguments_refused_before_sending_make_no_call_span() {
    let client = Client::builder()
        .base_url("https://tenant.example.com")
        .client_id("c")
        .os_version("linux")
        .device_fingerprint("fp")
        .agent("tracing-test")
        .build()
        .expect("client");
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let err = client
        .update_password_by_email(
            &StateToken::new("state"),
            &VerifyCode::new(" "),
            &Password::new("N3w-Passw0rd!"),
        )
        .await
        .expect_err("blank code");
    assert_eq!(err.kind(), "invalid_input");
    let calls = capture.calls();
    assert!(calls.is_empty(), "{calls:#?}");
}
