//! No secret in any log line, at any level, of any crate: the whole password-expiry flow
//! (login → captcha → code send → change by e-mail code, by SMS code, with the old
//! password, the skip of an expiring password, the id_token refresh, and failures on the
//! way) runs against the emulator, in this process, under a global TRACE subscriber that
//! records every event and span (with its fields) of every crate, `log` records of
//! reqwest, hyper and the rest included. Then no password, code, state token, captcha
//! token, session token or id_token may appear in what was recorded, nor in the `Debug` or
//! `Display` of any error or value the calls returned.
//!
//! One test in its own binary: the subscriber is global.

use std::io::Write;
use std::sync::{Arc, Mutex};

use eiam::{Client, ExposeSecret, LoginOutcome, Password, VerifyCode};
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, UserOptions};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

const OLD: &str = "Old-Secret-Pw0rd";
const NEW_EMAIL: &str = "N3w-Email-Pw0rd!";
const NEW_SMS: &str = "N3w-Sms-Pw0rd!";
const NEW_OLDPW: &str = "N3w-OldPw-Pw0rd!";
const WRONG: &str = "Wr0ng-Guess-Pw0rd";

fn user(name: &str, mobile: &str) -> NewUser {
    NewUser {
        user_name: name.into(),
        password: OLD.into(),
        email: format!("{name}@example.com"),
        mobile: mobile.into(),
        name: Some(name.into()),
    }
}

/// What the flow produced: every secret seen, and the printed form of every value and
/// error.
#[derive(Default)]
struct Seen {
    secrets: Vec<String>,
    printed: Vec<String>,
}

impl Seen {
    fn secret(&mut self, value: &str) {
        self.secrets.push(value.to_owned());
    }

    fn print<T: std::fmt::Debug>(&mut self, value: &T) {
        self.printed.push(format!("{value:?}"));
    }

    fn error(&mut self, error: &eiam::Error) {
        self.printed
            .push(format!("{error} | {error:?} | {error:#?}"));
        let mut source = std::error::Error::source(error);
        while let Some(e) = source {
            self.printed.push(format!("{e} | {e:?}"));
            source = e.source();
        }
    }

    fn session(&mut self, session: &eiam::Session) {
        self.secret(session.session_token().expose_secret());
        if let Some(id) = session.id_token() {
            self.secret(id.expose_secret());
        }
        self.print(session);
    }
}

#[test]
fn no_secret_reaches_any_log_or_error() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                // No timestamps: their digits could match a 6-digit code by chance.
                .without_time()
                .with_span_events(FmtSpan::FULL)
                .with_target(true)
                .with_writer(move || writer.clone()),
        )
        .with(tracing_subscriber::filter::LevelFilter::TRACE)
        .try_init() // also routes `log` records (reqwest, hyper-util...) here
        .expect("the only subscriber of this binary");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let seen = runtime.block_on(flow());

    let log = capture.text();
    // The capture works: the client's spans, the emulator's events and a dependency's
    // records are all in it.
    assert!(log.contains("eiam.call"), "no client span recorded");
    assert!(
        log.contains("emulator: password changed"),
        "no emulator event"
    );
    assert!(
        log.contains(" reqwest::") && log.contains(" hyper_util::"),
        "no record of the HTTP stack"
    );
    assert!(
        log.contains("TRACE") && log.lines().count() > 100,
        "too little was recorded: {} lines",
        log.lines().count()
    );
    assert!(seen.secrets.len() >= 20, "{} secrets", seen.secrets.len());
    let printed = seen.printed.join("\n");
    for secret in &seen.secrets {
        assert!(secret.len() >= 6, "too short to search for: {secret:?}");
        assert!(
            !log.contains(secret.as_str()),
            "secret {secret:?} in the log"
        );
        assert!(
            !printed.contains(secret.as_str()),
            "secret {secret:?} printed in {printed}"
        );
    }
}

async fn flow() -> Seen {
    let mut seen = Seen::default();
    for password in [OLD, NEW_EMAIL, NEW_SMS, NEW_OLDPW, WRONG] {
        seen.secret(password);
    }
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .expect("emulator");
    let emulator = running.emulator().clone();
    for (name, expiry, mobile) in [
        ("alice", PasswordExpiry::Expired, "+86-15900000011"),
        ("bob", PasswordExpiry::Expiring, "+86-15900000012"),
        ("carol", PasswordExpiry::Expired, "+86-15900000013"),
        ("dave", PasswordExpiry::Expired, "+86-15900000014"),
    ] {
        emulator
            .add_user_with(user(name, mobile), UserOptions::default().expiry(expiry))
            .expect("user");
    }
    let client = Client::builder()
        .base_url(running.base_url())
        .allow_http_loopback(true)
        .client_id(eiam_emulator::DEFAULT_CLIENT_ID)
        .os_version("linux6")
        .device_fingerprint("fp-secrets")
        .agent("eiam-secrets-test")
        .build()
        .expect("client");

    // A wrong password first: an error to print.
    let err = client
        .login("alice", &Password::new(WRONG))
        .await
        .expect_err("wrong password");
    seen.error(&err);

    // alice: expired, changed by e-mail code, after a wrong code.
    let outcome = client
        .login("alice", &Password::new(OLD))
        .await
        .expect("login");
    seen.print(&outcome);
    let LoginOutcome::PasswordExpired(alice) = outcome else {
        panic!("alice: expected PASSWORD_EXPIRED");
    };
    seen.secret(alice.state_token().expose_secret());
    let captcha = client.captcha().await.expect("captcha");
    seen.print(&captcha);
    let x = emulator.captcha_answer(captcha.token()).expect("answer");
    let wrong = client
        .verify_captcha(&captcha, x + 50.0, "alice@example.com")
        .await
        .expect_err("wrong captcha answer");
    seen.error(&wrong);
    let captcha = client.captcha().await.expect("captcha");
    let x = emulator.captcha_answer(captcha.token()).expect("answer");
    let captcha_token = client
        .verify_captcha(&captcha, x, "alice@example.com")
        .await
        .expect("verify");
    seen.secret(captcha_token.expose_secret());
    seen.print(&captcha_token);
    alice
        .send_email_code("alice@example.com", &captcha_token)
        .await
        .expect("sent");
    let code = emulator.latest_code("alice@example.com").expect("code");
    seen.secret(&code);
    let wrong_code = format!("{}x", code);
    let err = alice
        .change_with_email_code(
            &VerifyCode::new(wrong_code.as_str()),
            &Password::new(NEW_EMAIL),
        )
        .await
        .expect_err("wrong code");
    seen.error(&err);
    let err = alice
        .change_with_email_code(&VerifyCode::new(code.as_str()), &Password::new("short"))
        .await
        .expect_err("policy");
    seen.error(&err);
    let session = alice
        .change_with_email_code(&VerifyCode::new(code.as_str()), &Password::new(NEW_EMAIL))
        .await
        .expect("changed");
    seen.session(&session);
    let err = alice
        .change_with_email_code(&VerifyCode::new(code.as_str()), &Password::new(NEW_EMAIL))
        .await
        .expect_err("used state token");
    seen.error(&err);
    let refreshed = client
        .refresh_id_token(session.session_token())
        .await
        .expect("refresh");
    seen.session(&refreshed);
    let outcome = client
        .login("alice", &Password::new(NEW_EMAIL))
        .await
        .expect("login with the new password");
    if let LoginOutcome::SignedIn(session) = &outcome {
        seen.session(session);
    }
    seen.print(&outcome);

    // bob: expiring, skipped.
    let LoginOutcome::PasswordExpiring(bob) = client
        .login("bob", &Password::new(OLD))
        .await
        .expect("login")
    else {
        panic!("bob: expected PASSWORD_WARN");
    };
    seen.secret(bob.state_token().expose_secret());
    seen.print(&bob);
    let session = bob.skip().await.expect("skipped");
    seen.session(&session);

    // carol: expired, changed with the old password, after a wrong old password.
    let LoginOutcome::PasswordExpired(carol) = client
        .login("carol", &Password::new(OLD))
        .await
        .expect("login")
    else {
        panic!("carol: expected PASSWORD_EXPIRED");
    };
    seen.secret(carol.state_token().expose_secret());
    let err = carol
        .change_with_old_password(&Password::new(WRONG), &Password::new(NEW_OLDPW))
        .await
        .expect_err("wrong old password");
    seen.error(&err);
    let session = carol
        .change_with_old_password(&Password::new(OLD), &Password::new(NEW_OLDPW))
        .await
        .expect("changed");
    seen.session(&session);

    // dave: expired, changed by SMS code.
    let LoginOutcome::PasswordExpired(dave) = client
        .login("dave", &Password::new(OLD))
        .await
        .expect("login")
    else {
        panic!("dave: expected PASSWORD_EXPIRED");
    };
    seen.secret(dave.state_token().expose_secret());
    let mobile = dave.mobile().await.expect("mobile");
    let captcha = client.captcha().await.expect("captcha");
    let x = emulator.captcha_answer(captcha.token()).expect("answer");
    let captcha_token = client
        .verify_captcha(&captcha, x, &mobile)
        .await
        .expect("verify");
    seen.secret(captcha_token.expose_secret());
    dave.send_sms_code(&mobile, &captcha_token)
        .await
        .expect("sent");
    let err = dave
        .send_sms_code(&mobile, &captcha_token)
        .await
        .expect_err("a captcha token is good for one send");
    seen.error(&err);
    let code = emulator.latest_code(&mobile).expect("code");
    seen.secret(&code);
    let session = dave
        .change_with_sms_code(&VerifyCode::new(code.as_str()), &Password::new(NEW_SMS))
        .await
        .expect("changed");
    seen.session(&session);

    // Lock dave out, and print the lockout.
    for _ in 0..6 {
        if let Err(e) = client.login("dave", &Password::new(WRONG)).await {
            seen.error(&e);
        }
    }
    // The emulator's own values.
    seen.print(&emulator);
    seen.print(&emulator.outbox().len());
    running.shutdown().await;
    seen
}
