//! The password-expiry flow end to end through the public client against the emulator:
//! each path (old password, e-mail code, SMS code, skip), lockout, refresh.

use std::time::Duration;

use eiam::{
    Captcha, Client, Error, ErrorCode, ExposeSecret, LoginOutcome, Password, PasswordChange,
    Session, VerifyCode,
};
use eiam_emulator::{
    Emulator, EmulatorConfig, NewUser, PasswordExpiry, RunningEmulator, UserOptions,
};

const USER: &str = "bob";
const EMAIL: &str = "bob@example.com";
const MOBILE: &str = "+86-15900000001";
const OLD: &str = "Old-Passw0rd";
const NEW: &str = "N3w-Passw0rd!";

async fn start(expiry: PasswordExpiry, config: EmulatorConfig) -> (RunningEmulator, Client) {
    let running = Emulator::spawn(config).await.expect("emulator");
    running
        .emulator()
        .add_user_with(
            NewUser {
                user_name: USER.into(),
                password: OLD.into(),
                email: EMAIL.into(),
                mobile: MOBILE.into(),
                name: Some("Bob".into()),
            },
            UserOptions::default().expiry(expiry),
        )
        .expect("user");
    let client = Client::builder()
        .base_url(running.base_url())
        .allow_http_loopback(true)
        .client_id(eiam_emulator::DEFAULT_CLIENT_ID)
        .os_version("linux6")
        .device_fingerprint("fp-flow")
        .agent("eiam-tests")
        .build()
        .expect("client");
    (running, client)
}

async fn expired(running: &RunningEmulator, client: &Client) -> eiam::ExpiredPassword {
    let _ = running;
    match client
        .login(USER, &Password::new(OLD))
        .await
        .expect("login")
    {
        LoginOutcome::PasswordExpired(expired) => expired,
        other => panic!("expected PASSWORD_EXPIRED, got {other:?}"),
    }
}

/// Solves a captcha as a person would, reading the answer from the emulator.
async fn solved_captcha(
    running: &RunningEmulator,
    client: &Client,
    sender: &str,
) -> eiam::CaptchaToken {
    let captcha: Captcha = client.captcha().await.expect("captcha");
    let x = running
        .emulator()
        .captcha_answer(captcha.token())
        .expect("answer");
    client
        .verify_captcha(&captcha, x, sender)
        .await
        .expect("verify")
}

async fn signed_in_with(client: &Client, password: &str) -> Session {
    match client
        .login(USER, &Password::new(password))
        .await
        .expect("login")
    {
        LoginOutcome::SignedIn(session) => session,
        other => panic!("expected SUCCESS, got {other:?}"),
    }
}

#[tokio::test]
async fn expired_password_changed_with_the_old_one() {
    let (running, client) = start(PasswordExpiry::Expired, EmulatorConfig::default()).await;
    let expired = expired(&running, &client).await;
    let policy = expired.policy().expect("the emulator sends its policy");
    assert_eq!(
        (policy.min_length(), policy.max_length()),
        (Some(8), Some(18))
    );
    let session = expired
        .change_with_old_password(&Password::new(OLD), &Password::new(NEW))
        .await
        .expect("changed");
    assert!(session.id_token().is_some());
    signed_in_with(&client, NEW).await;
    let err = client
        .login(USER, &Password::new(OLD))
        .await
        .expect_err("old password is gone");
    assert_eq!(err.code(), Some(&ErrorCode::InvalidCredentials));
}

#[tokio::test]
async fn expired_password_changed_by_email_code() {
    let (running, client) = start(PasswordExpiry::Expired, EmulatorConfig::default()).await;
    let expired = expired(&running, &client).await;
    let captcha = solved_captcha(&running, &client, EMAIL).await;
    expired
        .send_email_code(EMAIL, &captcha)
        .await
        .expect("sent");
    let code = running
        .emulator()
        .latest_code(EMAIL)
        .expect("code in the outbox");
    expired
        .change_with_email_code(&VerifyCode::new(code), &Password::new(NEW))
        .await
        .expect("changed");
    signed_in_with(&client, NEW).await;
}

#[tokio::test]
async fn expired_password_changed_by_sms_code() {
    let (running, client) = start(PasswordExpiry::Expired, EmulatorConfig::default()).await;
    let expired = expired(&running, &client).await;
    let mobile = expired.mobile().await.expect("mobile");
    assert_eq!(mobile, MOBILE);
    let captcha = solved_captcha(&running, &client, &mobile).await;
    expired
        .send_sms_code(&mobile, &captcha)
        .await
        .expect("sent");
    let code = running
        .emulator()
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m.to == MOBILE && m.kind == "CHANGE_PWD_SMS")
        .map(|m| m.code)
        .expect("sms in the outbox");
    let err = expired
        .change_with_sms_code(&VerifyCode::new("000000x"), &Password::new(NEW))
        .await
        .expect_err("wrong code");
    assert_eq!(err.code(), Some(&ErrorCode::SmsCodeWrong));
    expired
        .change_with_sms_code(&VerifyCode::new(code), &Password::new(NEW))
        .await
        .expect("changed");
    signed_in_with(&client, NEW).await;
}

#[tokio::test]
async fn an_expiring_password_can_be_skipped() {
    let (_running, client) = start(PasswordExpiry::Expiring, EmulatorConfig::default()).await;
    let expiring = match client
        .login(USER, &Password::new(OLD))
        .await
        .expect("login")
    {
        LoginOutcome::PasswordExpiring(expiring) => expiring,
        other => panic!("expected PASSWORD_WARN, got {other:?}"),
    };
    let session = expiring.skip().await.expect("skipped");
    assert!(!session.session_token().expose_secret().is_empty());
    // The state token was used up by the skip.
    let err = expiring.skip().await.expect_err("single use");
    assert_eq!(err.code(), Some(&ErrorCode::Expired));
}

#[tokio::test]
async fn the_policy_pre_check_refuses_before_sending() {
    let (running, client) = start(PasswordExpiry::Expired, EmulatorConfig::default()).await;
    let expired = expired(&running, &client).await;
    let err = expired
        .change_with_old_password(&Password::new(OLD), &Password::new("alllowercase"))
        .await
        .expect_err("policy");
    assert!(matches!(err, Error::PasswordPolicy(_)), "{err:?}");
    assert!(
        running
            .emulator()
            .password_matches(USER, OLD)
            .expect("user")
    );
    // The server stays the judge for what the policy cannot say (history, same as old).
    let err = expired
        .change_with_old_password(&Password::new(OLD), &Password::new(OLD))
        .await
        .expect_err("same as old");
    assert_eq!(err.code(), Some(&ErrorCode::ParameterFormat));
}

#[tokio::test]
async fn a_saved_state_token_resumes_the_flow() {
    let (running, client) = start(PasswordExpiry::Expired, EmulatorConfig::default()).await;
    let token = expired(&running, &client).await.state_token().clone();
    let resumed = PasswordChange::resume(client.clone(), token);
    resumed
        .change_with_old_password(&Password::new(OLD), &Password::new(NEW))
        .await
        .expect("changed");
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let (running, client) = start(PasswordExpiry::Fresh, EmulatorConfig::default()).await;
    for _ in 0..4 {
        let err = client
            .login(USER, &Password::new("Wrong-Passw0rd"))
            .await
            .expect_err("wrong");
        assert_eq!(err.code(), Some(&ErrorCode::InvalidCredentials));
    }
    let err = client
        .login(USER, &Password::new("Wrong-Passw0rd"))
        .await
        .expect_err("locked");
    assert_eq!(err.code(), Some(&ErrorCode::AccountLocked));
    let err = client
        .login(USER, &Password::new(OLD))
        .await
        .expect_err("even the right one");
    assert_eq!(err.code(), Some(&ErrorCode::AccountLocked));
    assert!(err.to_string().contains("minutes"), "{err}");
    running
        .emulator()
        .advance_clock(Duration::from_secs(16 * 60));
    signed_in_with(&client, OLD).await;
}

#[tokio::test]
async fn id_tokens_are_refreshed_with_the_session_token() {
    let (_running, client) = start(PasswordExpiry::Fresh, EmulatorConfig::default()).await;
    let session = signed_in_with(&client, OLD).await;
    let refreshed = client
        .refresh_id_token(session.session_token())
        .await
        .expect("refreshed");
    assert_eq!(
        refreshed.session_token().expose_secret(),
        session.session_token().expose_secret(),
        "no rotation by default"
    );
    assert!(refreshed.id_token().is_some());
    let err = client
        .refresh_id_token(&eiam::SessionToken::new("unknown-session"))
        .await
        .expect_err("unknown session");
    assert_eq!(err.code(), Some(&ErrorCode::Expired));
}

#[tokio::test]
async fn rotated_session_tokens_replace_the_old_one() {
    let config = EmulatorConfig {
        rotate_session_on_refresh: true,
        ..EmulatorConfig::default()
    };
    let (_running, client) = start(PasswordExpiry::Fresh, config).await;
    let session = signed_in_with(&client, OLD).await;
    let refreshed = client
        .refresh_id_token(session.session_token())
        .await
        .expect("refreshed");
    assert_ne!(
        refreshed.session_token().expose_secret(),
        session.session_token().expose_secret()
    );
    let err = client
        .refresh_id_token(session.session_token())
        .await
        .expect_err("the old token stopped working");
    assert_eq!(err.code(), Some(&ErrorCode::Expired));
}
