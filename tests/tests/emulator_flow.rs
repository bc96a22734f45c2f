//! The public client against the emulator: the documented success, and every error case of
//! the emulator as a caller sees it (typed code, HTTP status, message, nothing changed).

use std::time::Duration;

use eiam::{Client, Error, ErrorCode, ExposeSecret, Language, Password, StateToken, VerifyCode};
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, RunningEmulator};

const USER: &str = "alice";
const EMAIL: &str = "alice@example.com";
const OLD: &str = "Old-Passw0rd";
const NEW: &str = "N3w-Passw0rd!";

struct Fixture {
    running: RunningEmulator,
    client: Client,
}

impl Fixture {
    async fn start() -> Fixture {
        Self::with_client(|b| b).await
    }

    async fn with_client(
        adjust: impl FnOnce(eiam::ClientBuilder) -> eiam::ClientBuilder,
    ) -> Fixture {
        let running = Emulator::spawn(EmulatorConfig::default())
            .await
            .expect("emulator");
        running
            .emulator()
            .add_user(NewUser {
                user_name: USER.into(),
                password: OLD.into(),
                email: EMAIL.into(),
                mobile: "+86-15907132852".into(),
                name: Some("Alice".into()),
            })
            .expect("user");
        let builder = Client::builder()
            .base_url(running.base_url())
            .allow_http_loopback(true)
            .client_id(eiam_emulator::DEFAULT_CLIENT_ID)
            .os_version("linux6")
            .device_fingerprint("fp-test")
            .agent("eiam-tests");
        let client = adjust(builder).build().expect("client");
        Fixture { running, client }
    }

    fn emulator(&self) -> &Emulator {
        self.running.emulator()
    }

    /// A login whose password expired: its state token and the e-mailed code.
    fn expired_login(&self) -> (StateToken, VerifyCode) {
        let login = self.emulator().expired_login(USER, None).expect("login");
        let code = self
            .emulator()
            .latest_code(EMAIL)
            .expect("code in the outbox");
        (StateToken::new(login.state_token), VerifyCode::new(code))
    }

    async fn change(
        &self,
        token: &StateToken,
        code: &VerifyCode,
        password: &str,
    ) -> Result<eiam::Session, Error> {
        self.client
            .update_password_by_email(token, code, &Password::new(password))
            .await
    }

    fn password_is(&self, password: &str) -> bool {
        self.emulator()
            .password_matches(USER, password)
            .expect("user exists")
    }
}

fn api(err: &Error) -> (&ErrorCode, u16, &str) {
    let api = err
        .api()
        .unwrap_or_else(|| panic!("not an API error: {err:?}"));
    (&api.code, api.status.as_u16(), api.message.as_str())
}

#[tokio::test]
async fn the_documented_flow_changes_the_password_and_starts_a_session() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    let session = f.change(&token, &code, NEW).await.expect("success");
    assert_eq!(session.status(), &eiam::SessionStatus::Success);
    assert_eq!(session.expires_in(), Duration::from_secs(43200));
    assert_eq!(session.session_token().expose_secret().len(), 32);
    let id_token = session.id_token().expect("EIAM sends an id_token");
    assert_eq!(id_token.expose_secret().split('.').count(), 3, "a JWT");
    assert!(f.password_is(NEW) && !f.password_is(OLD));
}

#[tokio::test]
async fn a_state_token_works_once() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    f.change(&token, &code, NEW).await.expect("first use");
    let err = f
        .change(&token, &code, "An0ther-Passw0rd")
        .await
        .expect_err("second use");
    assert_eq!(
        api(&err),
        (&ErrorCode::Expired, 400, "X-state-token has expired.")
    );
    assert!(f.password_is(NEW), "the second call changed nothing");
}

#[tokio::test]
async fn an_unknown_state_token_is_a_parameter_error() {
    let f = Fixture::start().await;
    let (_, code) = f.expired_login();
    let err = f
        .change(&StateToken::new("forged-token"), &code, NEW)
        .await
        .expect_err("refused");
    assert_eq!(
        api(&err),
        (
            &ErrorCode::ParameterError,
            400,
            "X-state-token parameter error."
        )
    );
    assert!(f.password_is(OLD));
}

#[tokio::test]
async fn an_expired_state_token_is_refused_and_nothing_changes() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    f.emulator().advance_clock(Duration::from_secs(11 * 60));
    let err = f.change(&token, &code, NEW).await.expect_err("expired");
    assert_eq!(api(&err).0, &ErrorCode::Expired);
    assert!(f.password_is(OLD));
}

#[tokio::test]
async fn an_unknown_client_id_is_refused() {
    let f = Fixture::with_client(|b| b.client_id("not-registered")).await;
    let (token, code) = f.expired_login();
    let err = f.change(&token, &code, NEW).await.expect_err("refused");
    assert_eq!(api(&err).0, &ErrorCode::InvalidClientId);
    assert_eq!(api(&err).1, 400);
    assert!(f.password_is(OLD));
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_the_right_one_still_works() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    let wrong = if code.expose_secret() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let err = f
        .change(&token, &VerifyCode::new(wrong), NEW)
        .await
        .expect_err("wrong code");
    assert_eq!(api(&err).0, &ErrorCode::EmailCodeWrong);
    assert!(f.password_is(OLD));
    f.change(&token, &code, NEW)
        .await
        .expect("the state token was not consumed");
}

#[tokio::test]
async fn too_many_wrong_codes_burn_the_code() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    let wrong = if code.expose_secret() == "000000" {
        "111111"
    } else {
        "000000"
    };
    for attempt in 1..=5 {
        let err = f
            .change(&token, &VerifyCode::new(wrong), NEW)
            .await
            .expect_err("wrong");
        assert_eq!(api(&err).0, &ErrorCode::EmailCodeWrong, "attempt {attempt}");
    }
    let err = f.change(&token, &code, NEW).await.expect_err("burned");
    assert_eq!(
        api(&err),
        (&ErrorCode::Expired, 400, "verify_code has expired.")
    );
    assert!(f.password_is(OLD));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    f.emulator().advance_clock(Duration::from_secs(6 * 60));
    let err = f
        .change(&token, &code, NEW)
        .await
        .expect_err("expired code");
    assert_eq!(
        api(&err),
        (&ErrorCode::Expired, 400, "verify_code has expired.")
    );
    assert!(f.password_is(OLD));
}

#[tokio::test]
async fn the_password_policy_is_enforced_without_consuming_the_token() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    for (bad, rule) in [
        ("Sh0rt!", "8 to 18"),
        ("Way-Too-L0ng-Password-123", "8 to 18"),
        ("alllowercase", "at least 3 of"),
        (OLD, "current"),
    ] {
        let err = f.change(&token, &code, bad).await.expect_err("policy");
        let (kind, status, message) = api(&err);
        assert_eq!((kind, status), (&ErrorCode::ParameterFormat, 400), "{bad}");
        assert!(message.contains(rule), "{bad}: {message}");
        assert!(
            !message.contains(bad),
            "the message repeats the password: {message}"
        );
    }
    assert!(f.password_is(OLD));
    f.change(&token, &code, NEW)
        .await
        .expect("token and code still valid");
}

#[tokio::test]
async fn messages_follow_the_language_setting() {
    let f = Fixture::with_client(|b| b.language(Language::Chinese)).await;
    let (_, code) = f.expired_login();
    let err = f
        .change(&StateToken::new("forged"), &code, NEW)
        .await
        .expect_err("refused");
    assert_eq!(api(&err).2, "X-state-token参数错误。");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_changes_with_one_token_let_exactly_one_win() {
    let f = Fixture::start().await;
    let (token, code) = f.expired_login();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (client, token, code) = (f.client.clone(), token.clone(), code.clone());
        let password = format!("Race-Passw0rd-{i}");
        calls.spawn(async move {
            let result = client
                .update_password_by_email(&token, &code, &Password::new(password.as_str()))
                .await;
            (password, result)
        });
    }
    let results = calls.join_all().await;
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(p, _)| p)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, r) in &results {
        if let Err(e) = r {
            assert_eq!(api(e).0, &ErrorCode::Expired);
        }
    }
    assert!(
        f.password_is(winners[0]),
        "the stored password is the winner's"
    );
}
