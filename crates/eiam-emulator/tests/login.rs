//! `POST /api/v2/sdk/login` (each outcome, errors, lockout) and the id_token refresh, through
//! HTTP.

mod common;

use std::time::Duration;

use common::*;
use eiam_emulator::{EmulatorConfig, NewUser, PasswordExpiry, PasswordPolicy, UserOptions};
use serde_json::{Value, json};

const REFRESH: &str = "/api/v2/sdk/sso/session-token/id-token";

fn user(name: &str) -> NewUser {
    NewUser {
        user_name: name.into(),
        password: OLD_PASSWORD.into(),
        email: format!("{name}@example.com"),
        mobile: "+86-13800000000".into(),
        name: None,
    }
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_owned()).collect()
}

#[tokio::test]
async fn fresh_password_signs_in() {
    let env = start().await;
    let reply = env.login_http(USER, OLD_PASSWORD).await;
    reply.ok();
    assert_eq!(
        reply.keys(),
        keys(&["expire", "id_token", "session_token", "status"])
    );
    assert_eq!(reply.body["status"], "SUCCESS");
    assert_eq!(reply.body["expire"], 604_800);
    let session = reply.str("session_token");
    assert_eq!(session.len(), 32);
    assert!(session.bytes().all(|b| b.is_ascii_alphanumeric()));
    let claims = jwt_claims(&reply.str("id_token"));
    assert_eq!(claims["sub"], USER);
    assert_eq!(claims["aud"], CLIENT);
    assert_eq!(claims["email"], EMAIL);
    // A second login is a second session.
    let again = env.login_http(USER, OLD_PASSWORD).await;
    assert_ne!(again.str("session_token"), session);
}

#[tokio::test]
async fn login_session_lifetime_is_configurable() {
    let env = start_with(EmulatorConfig {
        login_session_ttl: Duration::from_secs(3600),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(
        env.login_http(USER, OLD_PASSWORD).await.body["expire"],
        3600
    );
}

/// `data` of a PASSWORD_WARN / PASSWORD_EXPIRED answer: a JSON string with the policy.
#[track_caller]
fn assert_policy_data(reply: &Reply, policy: &PasswordPolicy) {
    let data: Value = serde_json::from_str(&reply.str("data")).expect("data is JSON");
    assert_eq!(data["minLength"], json!(policy.min_len));
    assert_eq!(data["maxLength"], json!(policy.max_len));
    let regex = data["regEx"].as_str().expect("regEx");
    assert_eq!(regex, policy.regex());
    let regex = fancy_regex::Regex::new(regex).expect("a valid regex");
    assert!(regex.is_match(NEW_PASSWORD).expect("match"));
    assert!(!regex.is_match("abcdefgh1").expect("match"));
}

#[tokio::test]
async fn expiring_and_expired_passwords_need_a_next_step() {
    let env = start().await;
    for (expiry, status) in [
        (PasswordExpiry::Expiring, "PASSWORD_WARN"),
        (PasswordExpiry::Expired, "PASSWORD_EXPIRED"),
    ] {
        env.emulator().set_expiry(USER, expiry).expect("alice");
        let reply = env.login_http(USER, OLD_PASSWORD).await;
        reply.ok();
        assert_eq!(reply.keys(), keys(&["data", "state_token", "status"]));
        assert_eq!(reply.body["status"], status);
        let token = reply.str("state_token");
        assert_eq!(token.len(), 48);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_policy_data(&reply, &PasswordPolicy::default());
    }
    // The configured policy is the one sent.
    let policy = PasswordPolicy {
        min_len: 10,
        max_len: 30,
        min_classes: 2,
    };
    let env = start_with(EmulatorConfig {
        policy: policy.clone(),
        ..EmulatorConfig::default()
    })
    .await;
    let reply = env
        .login_http(USER, OLD_PASSWORD)
        .await
        .body
        .get("status")
        .cloned();
    assert_eq!(reply, Some(json!("SUCCESS")));
    env.emulator()
        .set_expiry(USER, PasswordExpiry::Expired)
        .expect("alice");
    let reply = env.login_http(USER, OLD_PASSWORD).await;
    let data: Value = serde_json::from_str(&reply.str("data")).expect("data");
    assert_eq!(data["minLength"], 10);
    assert_eq!(data["maxLength"], 30);
    assert_eq!(data["regEx"], json!(policy.regex()));
}

#[tokio::test]
async fn second_factor_and_access_denied() {
    let env = start().await;
    env.emulator()
        .add_user_with(user("mfa"), UserOptions::default().mfa(true))
        .expect("mfa");
    let reply = env.login_http("mfa", OLD_PASSWORD).await;
    reply.ok();
    assert_eq!(reply.keys(), keys(&["state_token", "status"]));
    assert_eq!(reply.body["status"], "MFA_AUTH");

    // Access denied wins over everything; then the second factor over the expiry.
    env.emulator()
        .add_user_with(
            user("denied"),
            UserOptions {
                access_denied: true,
                mfa: true,
                expiry: PasswordExpiry::Expired,
            },
        )
        .expect("denied");
    let reply = env.login_http("denied", OLD_PASSWORD).await;
    reply.ok();
    assert_eq!(reply.body, json!({ "status": "ACCESS_DENIED" }));
    env.emulator()
        .set_access_denied("denied", false)
        .expect("denied");
    assert_eq!(
        env.login_http("denied", OLD_PASSWORD).await.body["status"],
        "MFA_AUTH"
    );
    env.emulator().set_mfa("denied", false).expect("denied");
    assert_eq!(
        env.login_http("denied", OLD_PASSWORD).await.body["status"],
        "PASSWORD_EXPIRED"
    );
    // A wrong password is refused before any of these.
    env.emulator()
        .set_access_denied("denied", true)
        .expect("denied");
    env.login_http("denied", "wrong").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 4.",
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_alike() {
    let env = start().await;
    env.login_http(USER, "Wrong-Passw0rd").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 4.",
    );
    env.login_http("nobody", OLD_PASSWORD).await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 4.",
    );
    env.login_http("nobody", OLD_PASSWORD).await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 3.",
    );
    // Passwords are case-sensitive and compared whole.
    env.login_http(USER, &OLD_PASSWORD.to_uppercase())
        .await
        .assert_error(
            400,
            "LOGIN.0002",
            "Invalid account name or password. Remaining attempts: 3.",
        );
    let h = with_header(device_headers(CLIENT), "X-L", Some("zh-CN"));
    env.post_to(
        "/api/v2/sdk/login",
        &h,
        json!({ "user_name": USER, "password": "x" }),
    )
    .await
    .assert_error(400, "LOGIN.0002", "账号或密码错误，剩余尝试次数：2。");
}

#[tokio::test]
async fn login_request_errors() {
    let env = start().await;
    let good = json!({ "user_name": USER, "password": OLD_PASSWORD });
    for name in [
        "X-operating-sys-version",
        "X-device-fingerprint",
        "X-agent",
        "X-client-id",
    ] {
        let h = with_header(device_headers(CLIENT), name, Some(" "));
        env.post_to("/api/v2/sdk/login", &h, good.clone())
            .await
            .assert_error(
                400,
                "SDK.COMMON.1001",
                &format!("Parameter {name} cannot be left blank."),
            );
    }
    env.post_to("/api/v2/sdk/login", &device_headers("other"), good.clone())
        .await
        .assert_error(400, "SDK.COMMON.1012", "Invalid X-client-id.");
    let cases = [
        (
            json!({ "password": OLD_PASSWORD }),
            "SDK.COMMON.1001",
            "Parameter user_name cannot be left blank.",
        ),
        (
            json!({ "user_name": USER, "password": "  " }),
            "SDK.COMMON.1001",
            "Parameter password cannot be left blank.",
        ),
        (
            json!({ "user_name": 7, "password": OLD_PASSWORD }),
            "SDK.COMMON.1007",
            "user_name has a wrong type.",
        ),
        (
            json!([USER]),
            "SDK.COMMON.1007",
            "request body has a wrong type.",
        ),
    ];
    for (body, code, msg) in cases {
        env.post_to("/api/v2/sdk/login", &device_headers(CLIENT), body)
            .await
            .assert_error(400, code, msg);
    }
    env.call_raw(
        reqwest::Method::POST,
        "/api/v2/sdk/login",
        &device_headers(CLIENT),
        Some(b"{".to_vec()),
    )
    .await
    .assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter request body has a bad format.",
    );
    // None of these counted as a failed login.
    env.login_http(USER, "wrong").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 4.",
    );
}

#[tokio::test]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let env = start().await;
    env.emulator().add_user(user("bob")).expect("bob");
    for remaining in [4, 3, 2, 1] {
        env.login_http(USER, "wrong").await.assert_error(
            400,
            "LOGIN.0002",
            &format!("Invalid account name or password. Remaining attempts: {remaining}."),
        );
    }
    let locked = "The account is locked. It will be unlocked in 15 minutes 0 seconds.";
    env.login_http(USER, "wrong")
        .await
        .assert_error(400, "SDK.LOGIN.1003", locked);
    // Even the right password is refused, and the lock does not move.
    env.login_http(USER, OLD_PASSWORD)
        .await
        .assert_error(400, "SDK.LOGIN.1003", locked);
    let h = with_header(device_headers(CLIENT), "X-L", Some("zh"));
    env.post_to(
        "/api/v2/sdk/login",
        &h,
        json!({ "user_name": USER, "password": OLD_PASSWORD }),
    )
    .await
    .assert_error(400, "SDK.LOGIN.1003", "账号已锁定，将在15分0秒后解锁。");
    env.emulator().advance_clock(Duration::from_secs(61));
    env.login_http(USER, OLD_PASSWORD).await.assert_error(
        400,
        "SDK.LOGIN.1003",
        "The account is locked. It will be unlocked in 13 minutes 59 seconds.",
    );
    // Other users are not locked.
    assert_eq!(
        env.login_http("bob", OLD_PASSWORD).await.body["status"],
        "SUCCESS"
    );
    env.emulator().advance_clock(Duration::from_secs(838));
    env.login_http(USER, OLD_PASSWORD).await.assert_error(
        400,
        "SDK.LOGIN.1003",
        "The account is locked. It will be unlocked in 0 minutes 1 seconds.",
    );
    env.emulator().advance_clock(Duration::from_secs(1));
    // Unlocked: the count starts again.
    env.login_http(USER, "wrong").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 4.",
    );
    assert_eq!(
        env.login_http(USER, OLD_PASSWORD).await.body["status"],
        "SUCCESS"
    );
}

#[tokio::test]
async fn a_success_resets_the_count() {
    let env = start().await;
    for _ in 0..4 {
        assert_eq!(
            env.login_http(USER, "wrong").await.body["error_code"],
            "LOGIN.0002"
        );
    }
    assert_eq!(
        env.login_http(USER, OLD_PASSWORD).await.body["status"],
        "SUCCESS"
    );
    for remaining in [4, 3, 2, 1] {
        env.login_http(USER, "wrong").await.assert_error(
            400,
            "LOGIN.0002",
            &format!("Invalid account name or password. Remaining attempts: {remaining}."),
        );
    }
}

#[tokio::test]
async fn unknown_names_are_locked_too_and_lockout_is_configurable() {
    let env = start_with(EmulatorConfig {
        lockout_threshold: 2,
        lockout_duration: Duration::from_secs(90),
        ..EmulatorConfig::default()
    })
    .await;
    env.login_http("nobody", "x").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 1.",
    );
    env.login_http("nobody", "x").await.assert_error(
        400,
        "SDK.LOGIN.1003",
        "The account is locked. It will be unlocked in 1 minutes 30 seconds.",
    );
    env.login_http(USER, "x").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 1.",
    );
    env.emulator().advance_clock(Duration::from_secs(90));
    env.login_http("nobody", "x").await.assert_error(
        400,
        "LOGIN.0002",
        "Invalid account name or password. Remaining attempts: 1.",
    );
}

#[tokio::test]
async fn guessing_many_names_does_not_reset_a_users_count() {
    let env = std::sync::Arc::new(start().await);
    for remaining in (1..=4).rev() {
        env.login_http(USER, "x").await.assert_error(
            400,
            "LOGIN.0002",
            &format!("Invalid account name or password. Remaining attempts: {remaining}."),
        );
    }
    // More guessed names than the emulator tracks (10 000), each failing once.
    let mut guesses = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let env = env.clone();
        guesses.spawn(async move {
            for i in 0..1_300 {
                let reply = env.login_http(&format!("guess-{worker}-{i}"), "x").await;
                assert_eq!(reply.status.as_u16(), 400, "{reply:?}");
            }
        });
    }
    while let Some(done) = guesses.join_next().await {
        done.expect("guesses");
    }
    // The user's fifth failure still locks.
    env.login_http(USER, "x").await.assert_error(
        400,
        "SDK.LOGIN.1003",
        "The account is locked. It will be unlocked in 15 minutes 0 seconds.",
    );
}

async fn refresh(env: &Env, session: &str) -> Reply {
    let h = with_header(device_headers(CLIENT), "X-session-token", Some(session));
    env.call_raw(reqwest::Method::POST, REFRESH, &h, None).await
}

#[tokio::test]
async fn refresh_without_rotation() {
    let env = start().await;
    let login = env.login_http(USER, OLD_PASSWORD).await;
    let session = login.str("session_token");
    env.emulator().advance_clock(Duration::from_secs(100));
    let reply = refresh(&env, &session).await;
    reply.ok();
    assert_eq!(reply.keys(), keys(&["expire", "id_token", "session_token"]));
    assert_eq!(reply.str("session_token"), session);
    let expire = reply.body["expire"].as_i64().expect("expire");
    assert!(
        (604_699..=604_700).contains(&expire),
        "the session's remaining time: {expire}"
    );
    let id_token = reply.str("id_token");
    assert_ne!(id_token, login.str("id_token"));
    let (old, new) = (jwt_claims(&login.str("id_token")), jwt_claims(&id_token));
    assert_eq!(new["sub"], USER);
    assert!(new["iat"].as_i64() >= old["iat"].as_i64().map(|i| i + 100));
    // The session keeps working.
    assert_eq!(refresh(&env, &session).await.status, 200);
    // Until it expires.
    env.emulator()
        .advance_clock(Duration::from_secs(604_800 - 100));
    refresh(&env, &session).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-session-token has expired.",
    );
}

#[tokio::test]
async fn refresh_with_rotation() {
    let env = start_with(EmulatorConfig {
        rotate_session_on_refresh: true,
        ..EmulatorConfig::default()
    })
    .await;
    let session = env
        .login_http(USER, OLD_PASSWORD)
        .await
        .str("session_token");
    env.emulator().advance_clock(Duration::from_secs(100));
    let reply = refresh(&env, &session).await;
    reply.ok();
    let rotated = reply.str("session_token");
    assert_ne!(rotated, session);
    assert_eq!(rotated.len(), 32);
    assert_eq!(reply.body["expire"], 604_800);
    // The old token stops working, the new one works.
    refresh(&env, &session).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-session-token has expired.",
    );
    let again = refresh(&env, &rotated).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_ne!(again.str("session_token"), rotated);
}

#[tokio::test]
async fn refresh_errors() {
    let env = start_with(EmulatorConfig {
        client_ids: vec![CLIENT.into(), "second".into()],
        ..EmulatorConfig::default()
    })
    .await;
    env.call_raw(
        reqwest::Method::POST,
        REFRESH,
        &device_headers(CLIENT),
        None,
    )
    .await
    .assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-session-token cannot be left blank.",
    );
    refresh(&env, "no-such-session").await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-session-token has expired.",
    );
    // A state token is not a session token.
    let state = env
        .state_token(PasswordExpiry::Expiring, "PASSWORD_WARN")
        .await;
    refresh(&env, &state).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-session-token has expired.",
    );
    // A session of another client.
    env.emulator()
        .set_expiry(USER, PasswordExpiry::Fresh)
        .expect("alice");
    let session = env
        .login_http(USER, OLD_PASSWORD)
        .await
        .str("session_token");
    let h = with_header(device_headers("second"), "X-session-token", Some(&session));
    env.call_raw(reqwest::Method::POST, REFRESH, &h, None)
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-session-token has expired.");
    let h = with_header(h, "X-L", Some("zh"));
    env.call_raw(reqwest::Method::POST, REFRESH, &h, None)
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-session-token已过期。");
    assert_eq!(refresh(&env, &session).await.status, 200);
}

#[tokio::test]
async fn sessions_of_changes_refresh_with_their_lifetime() {
    let env = start().await;
    let (token, code) = env.login();
    let change = env.change(&token, &code, NEW_PASSWORD).await;
    let session = change.str("session_token");
    let reply = refresh(&env, &session).await;
    let expire = reply.body["expire"].as_i64().expect("expire");
    assert!((43_199..=43_200).contains(&expire), "{reply:?}");
    assert_eq!(jwt_claims(&reply.str("id_token"))["sub"], USER);
}
