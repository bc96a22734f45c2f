//! The change by old password, the skip, the mobile look-up, the password history and the
//! races, through HTTP.

mod common;

use std::time::Duration;

use common::*;
use eiam_emulator::{EmulatorConfig, PasswordExpiry};
use reqwest::Method;
use serde_json::{Value, json};

const UPDATE: &str = "/api/v2/sdk/pwd/update";
const SKIP: &str = "/api/v2/sdk/pwd/skip-update";
const MOBILE_BY_TOKEN: &str = "/api/v2/sdk/mobile-by-token";
const BY_MOBILE: &str = "/api/v2/sdk/after-login/pwd/update-by-mobile";

fn update_body(old: &str, new: &str) -> Value {
    json!({ "old_password": old, "new_password": new })
}

/// A state token of a login of alice (current password `password`) with `expiry`.
async fn token_for(env: &Env, password: &str, expiry: PasswordExpiry) -> String {
    env.emulator().set_expiry(USER, expiry).expect("alice");
    env.login_http(USER, password).await.str("state_token")
}

#[tokio::test]
async fn change_with_the_old_password() {
    let env = start().await;
    for (expiry, status) in [
        (PasswordExpiry::Expired, "PASSWORD_EXPIRED"),
        (PasswordExpiry::Expiring, "PASSWORD_WARN"),
    ] {
        let env = start().await;
        let token = env.state_token(expiry, status).await;
        let reply = env
            .post_to(
                UPDATE,
                &headers(CLIENT, &token),
                update_body(OLD_PASSWORD, NEW_PASSWORD),
            )
            .await;
        reply.ok();
        assert_eq!(
            reply.keys(),
            vec!["expire", "id_token", "session_token", "status"]
        );
        assert_eq!(reply.body["status"], "SUCCESS");
        assert_eq!(reply.body["expire"], 43_200);
        assert_eq!(reply.str("session_token").len(), 32);
        assert_eq!(jwt_claims(&reply.str("id_token"))["sub"], USER);
        assert!(env.password_is(NEW_PASSWORD));
        // Used up.
        env.post_to(
            UPDATE,
            &headers(CLIENT, &token),
            update_body(NEW_PASSWORD, "An0ther-Passw0rd"),
        )
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
        // Fresh again.
        assert_eq!(
            env.login_http(USER, NEW_PASSWORD).await.body["status"],
            "SUCCESS"
        );
    }
    // The admin's expired login works here too.
    let (token, _) = env.login();
    let reply = env
        .post_to(
            UPDATE,
            &headers(CLIENT, &token),
            update_body(OLD_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn change_with_the_old_password_errors() {
    let env = start().await;
    let token = token_for(&env, OLD_PASSWORD, PasswordExpiry::Expired).await;
    let h = headers(CLIENT, &token);
    // A wrong old password: refused, not counted as a failed login, nothing consumed.
    for _ in 0..6 {
        env.post_to(UPDATE, &h, update_body("Wrong-Passw0rd", NEW_PASSWORD))
            .await
            .assert_error(400, "SDK.COMMON.1006", "old_password parameter error.");
    }
    let hz = with_header(h.clone(), "X-L", Some("zh"));
    env.post_to(UPDATE, &hz, update_body("Wrong-Passw0rd", NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.COMMON.1006", "old_password参数错误。");
    assert_eq!(
        env.login_http(USER, OLD_PASSWORD).await.body["status"],
        "PASSWORD_EXPIRED"
    );
    // The policy.
    env.post_to(UPDATE, &h, update_body(OLD_PASSWORD, "abcdefgh"))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter new_password has a bad format: it must contain at least 3 of the \
             following: digits, upper-case letters, lower-case letters, special characters.",
        );
    env.post_to(UPDATE, &h, update_body(OLD_PASSWORD, OLD_PASSWORD))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter new_password has a bad format: it must differ from the current password.",
        );
    // Fields, in order.
    env.post_to(UPDATE, &h, json!({ "new_password": NEW_PASSWORD }))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter old_password cannot be left blank.",
        );
    env.post_to(
        UPDATE,
        &h,
        json!({ "old_password": OLD_PASSWORD, "new_password": 1 }),
    )
    .await
    .assert_error(400, "SDK.COMMON.1007", "new_password has a wrong type.");
    // Tokens.
    env.post_to(
        UPDATE,
        &headers(CLIENT, "forged"),
        update_body(OLD_PASSWORD, NEW_PASSWORD),
    )
    .await
    .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    env.emulator().set_mfa(USER, true).expect("alice");
    let mfa = env.login_http(USER, OLD_PASSWORD).await.str("state_token");
    env.emulator().set_mfa(USER, false).expect("alice");
    env.post_to(
        UPDATE,
        &headers(CLIENT, &mfa),
        update_body(OLD_PASSWORD, NEW_PASSWORD),
    )
    .await
    .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    env.assert_unchanged();
    // The state token expires after 10 minutes.
    env.emulator().advance_clock(Duration::from_secs(600));
    env.post_to(UPDATE, &h, update_body(OLD_PASSWORD, NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    env.assert_unchanged();
}

#[tokio::test]
async fn skip_only_for_an_expiring_password() {
    let env = start().await;
    // Expired: refused, nothing consumed.
    let expired = token_for(&env, OLD_PASSWORD, PasswordExpiry::Expired).await;
    env.get_with(SKIP, &headers(CLIENT, &expired))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1006",
            "The password has expired and must be changed.",
        );
    let hz = with_header(headers(CLIENT, &expired), "X-L", Some("zh"));
    env.get_with(SKIP, &hz)
        .await
        .assert_error(400, "SDK.COMMON.1006", "密码已过期，必须修改。");
    // MFA: refused.
    env.emulator().set_mfa(USER, true).expect("alice");
    let mfa = env.login_http(USER, OLD_PASSWORD).await.str("state_token");
    env.emulator().set_mfa(USER, false).expect("alice");
    env.get_with(SKIP, &headers(CLIENT, &mfa))
        .await
        .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");

    // Expiring: signed in, the token is used up, the password and its state stay.
    let warn = token_for(&env, OLD_PASSWORD, PasswordExpiry::Expiring).await;
    let reply = env.get_with(SKIP, &headers(CLIENT, &warn)).await;
    reply.ok();
    assert_eq!(
        reply.keys(),
        vec!["expire", "id_token", "session_token", "status"]
    );
    assert_eq!(reply.body["status"], "SUCCESS");
    assert_eq!(reply.body["expire"], 43_200);
    let session = reply.str("session_token");
    assert_eq!(session.len(), 32);
    assert_eq!(jwt_claims(&reply.str("id_token"))["sub"], USER);
    env.get_with(SKIP, &headers(CLIENT, &warn))
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    env.assert_unchanged();
    assert_eq!(
        env.login_http(USER, OLD_PASSWORD).await.body["status"],
        "PASSWORD_WARN"
    );
    // The skip's session refreshes.
    let h = with_header(device_headers(CLIENT), "X-session-token", Some(&session));
    let refreshed = env
        .call_raw(
            Method::POST,
            "/api/v2/sdk/sso/session-token/id-token",
            &h,
            None,
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");

    // The expired token still changes the password.
    let reply = env
        .post_to(
            UPDATE,
            &headers(CLIENT, &expired),
            update_body(OLD_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // Headers.
    env.get_with(SKIP, &device_headers(CLIENT))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter X-state-token cannot be left blank.",
        );
}

#[tokio::test]
async fn mobile_by_token() {
    let env = start().await;
    let mut tokens = Vec::new();
    for expiry in [PasswordExpiry::Expiring, PasswordExpiry::Expired] {
        tokens.push(token_for(&env, OLD_PASSWORD, expiry).await);
    }
    env.emulator().set_mfa(USER, true).expect("alice");
    tokens.push(env.login_http(USER, OLD_PASSWORD).await.str("state_token"));
    env.emulator().set_mfa(USER, false).expect("alice");
    for token in &tokens {
        for _ in 0..2 {
            let reply = env.get_with(MOBILE_BY_TOKEN, &headers(CLIENT, token)).await;
            reply.ok();
            assert_eq!(reply.body, json!({ "mobile": MOBILE }));
        }
    }
    // Bad tokens.
    env.get_with(MOBILE_BY_TOKEN, &headers(CLIENT, "forged"))
        .await
        .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    let warn = &tokens[0];
    let reply = env.get_with(SKIP, &headers(CLIENT, warn)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    env.get_with(MOBILE_BY_TOKEN, &headers(CLIENT, warn))
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    env.emulator().advance_clock(Duration::from_secs(600));
    env.get_with(MOBILE_BY_TOKEN, &headers(CLIENT, &tokens[1]))
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    env.get_with(MOBILE_BY_TOKEN, &device_headers(CLIENT))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter X-state-token cannot be left blank.",
        );
}

/// Changes alice's password from `old` to `new` by the old password, answering the reply.
async fn change(env: &Env, old: &str, new: &str) -> Reply {
    let token = token_for(env, old, PasswordExpiry::Expired).await;
    env.post_to(UPDATE, &headers(CLIENT, &token), update_body(old, new))
        .await
}

const REUSED: &str =
    "Parameter new_password has a bad format: it must differ from the 3 previous passwords.";

#[tokio::test]
async fn the_last_three_passwords_cannot_come_back() {
    let env = start().await;
    let [a, b, c, d, e] = [
        OLD_PASSWORD,
        "Second-Passw0rd",
        "Third-Passw0rd",
        "Fourth-Passw0rd",
        "Fifth-Passw0rd",
    ];
    for (old, new) in [(a, b), (b, c), (c, d)] {
        assert_eq!(change(&env, old, new).await.status, 200);
    }
    // Now d; a, b, c are the previous three.
    for reused in [a, b, c] {
        change(&env, d, reused)
            .await
            .assert_error(400, "SDK.COMMON.1002", REUSED);
    }
    change(&env, d, d).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must differ from the current password.",
    );
    let token = token_for(&env, d, PasswordExpiry::Expired).await;
    let hz = with_header(headers(CLIENT, &token), "X-L", Some("zh"));
    env.post_to(UPDATE, &hz, update_body(d, b))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "参数new_password格式错误：不能与前3次使用过的密码相同。",
        );
    assert!(env.password_is(d));
    // After one more change, the oldest (a) may come back.
    assert_eq!(change(&env, d, e).await.status, 200);
    change(&env, e, b)
        .await
        .assert_error(400, "SDK.COMMON.1002", REUSED);
    assert_eq!(change(&env, e, a).await.status, 200);
    assert!(env.password_is(a));
}

#[tokio::test]
async fn history_applies_to_every_path_and_is_configurable() {
    let env = start_with(EmulatorConfig {
        history_len: 1,
        ..EmulatorConfig::default()
    })
    .await;
    // By e-mail code.
    let (token, code) = env.login();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
    let (token, code) = env.login();
    env.change(&token, &code, OLD_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must differ from the 1 previous passwords.",
    );
    // By SMS code.
    let token = token_for(&env, NEW_PASSWORD, PasswordExpiry::Expired).await;
    let sms = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let h = headers(CLIENT, &token);
    let body = json!({ "verify_code": sms, "new_password": OLD_PASSWORD });
    env.post_to(BY_MOBILE, &h, body.clone()).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must differ from the 1 previous passwords.",
    );
    let body = json!({ "verify_code": sms, "new_password": "Third-Passw0rd" });
    assert_eq!(env.post_to(BY_MOBILE, &h, body).await.status, 200);
    // With one remembered, the first password is allowed again.
    assert_eq!(
        change(&env, "Third-Passw0rd", OLD_PASSWORD).await.status,
        200
    );
}

/// One request of a race: method, path, headers, body.
type Call = (Method, &'static str, Vec<(String, String)>, Option<Value>);

/// Concurrent requests; the replies in order.
async fn race(env: &Env, calls: Vec<Call>) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for (method, path, headers, body) in calls {
        tasks.push(tokio::spawn(request(
            env.http.clone(),
            method,
            env.url(path),
            headers,
            body,
        )));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("task"));
    }
    replies
}

/// Asserts that exactly one reply succeeded and the others found the state token used;
/// returns the winner's index.
#[track_caller]
fn exactly_one_wins(replies: &[Reply]) -> usize {
    let winners: Vec<usize> = (0..replies.len())
        .filter(|&i| replies[i].status == 200)
        .collect();
    assert_eq!(winners.len(), 1, "{replies:?}");
    for (i, r) in replies.iter().enumerate() {
        if i != winners[0] {
            r.assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
        }
    }
    winners[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_by_mobile_exactly_one_wins() {
    let env = start().await;
    let token = token_for(&env, OLD_PASSWORD, PasswordExpiry::Expired).await;
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let calls = (0..16)
        .map(|i| {
            let body =
                json!({ "verify_code": code, "new_password": format!("New-Passw0rd{i:02}") });
            (Method::POST, BY_MOBILE, headers(CLIENT, &token), Some(body))
        })
        .collect();
    let winner = exactly_one_wins(&race(&env, calls).await);
    assert!(env.password_is(&format!("New-Passw0rd{winner:02}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_by_old_password_exactly_one_wins() {
    let env = start().await;
    let token = token_for(&env, OLD_PASSWORD, PasswordExpiry::Expiring).await;
    let calls = (0..16)
        .map(|i| {
            let body = update_body(OLD_PASSWORD, &format!("New-Passw0rd{i:02}"));
            (Method::POST, UPDATE, headers(CLIENT, &token), Some(body))
        })
        .collect();
    let winner = exactly_one_wins(&race(&env, calls).await);
    assert!(env.password_is(&format!("New-Passw0rd{winner:02}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skip_and_change_racing_exactly_one_wins() {
    // No history, so that the password can go back and forth.
    let env = start_with(EmulatorConfig {
        history_len: 0,
        ..EmulatorConfig::default()
    })
    .await;
    let mut skips = 0;
    let mut changes = 0;
    for round in 0..8usize {
        let password = if env.password_is(OLD_PASSWORD) {
            OLD_PASSWORD
        } else {
            NEW_PASSWORD
        };
        let other = if password == OLD_PASSWORD {
            NEW_PASSWORD
        } else {
            OLD_PASSWORD
        };
        let token = token_for(&env, password, PasswordExpiry::Expiring).await;
        let mut calls = Vec::new();
        for i in 0..6 {
            if (i + round).is_multiple_of(2) {
                calls.push((Method::GET, SKIP, headers(CLIENT, &token), None));
            } else {
                let body = update_body(password, other);
                calls.push((Method::POST, UPDATE, headers(CLIENT, &token), Some(body)));
            }
        }
        let winner = exactly_one_wins(&race(&env, calls).await);
        if (winner + round).is_multiple_of(2) {
            skips += 1;
            assert!(env.password_is(password), "a skip keeps the password");
        } else {
            changes += 1;
            assert!(env.password_is(other), "a change changes it");
        }
    }
    assert_eq!(skips + changes, 8);
}
