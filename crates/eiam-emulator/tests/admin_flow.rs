//! The admin routes and library calls of the password-expiry flow: users' login settings
//! and captcha answers.

mod common;

use common::*;
use eiam_emulator::{EmulatorError, PasswordExpiry, UserOptions};
use serde_json::{Value, json};

async fn post_json(env: &Env, path: &str, body: Value) -> Reply {
    reply(
        env.http
            .post(env.url(path))
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await
}

fn user(name: &str) -> Value {
    json!({
        "user_name": name,
        "password": OLD_PASSWORD,
        "email": format!("{name}@example.com"),
        "mobile": "+86-13800000000",
    })
}

#[tokio::test]
async fn create_users_with_login_settings() {
    let env = start().await;
    let cases = [
        ("fresh", json!({}), "SUCCESS"),
        ("expiring", json!({ "expiry": "expiring" }), "PASSWORD_WARN"),
        (
            "expired",
            json!({ "expiry": "expired", "mfa": false }),
            "PASSWORD_EXPIRED",
        ),
        ("mfa", json!({ "mfa": true, "expiry": null }), "MFA_AUTH"),
        ("denied", json!({ "access_denied": true }), "ACCESS_DENIED"),
    ];
    for (name, extra, status) in cases {
        let mut body = user(name);
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let created = post_json(&env, "/_emulator/users", body).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(
            env.login_http(name, OLD_PASSWORD).await.body["status"],
            status,
            "{name}"
        );
    }
    for (field, value) in [
        ("expiry", json!("EXPIRED")),
        ("expiry", json!("soon")),
        ("expiry", json!(true)),
        ("mfa", json!("yes")),
        ("access_denied", json!(1)),
    ] {
        let mut body = user("bad");
        body[field] = value;
        post_json(&env, "/_emulator/users", body)
            .await
            .assert_error(
                400,
                "EMULATOR.BAD_REQUEST",
                &format!("Field {field} is missing or has a bad format."),
            );
    }
    assert!(
        env.emulator()
            .password_matches("bad", OLD_PASSWORD)
            .is_err()
    );
}

#[tokio::test]
async fn set_the_expiry_through_the_admin_api() {
    let env = start().await;
    for (expiry, status) in [
        ("expired", "PASSWORD_EXPIRED"),
        ("expiring", "PASSWORD_WARN"),
        ("fresh", "SUCCESS"),
    ] {
        let reply = post_json(
            &env,
            &format!("/_emulator/users/{USER}/expiry"),
            json!({ "expiry": expiry }),
        )
        .await;
        assert_eq!(reply.status, 204, "{reply:?}");
        assert_eq!(
            env.login_http(USER, OLD_PASSWORD).await.body["status"],
            status
        );
    }
    post_json(
        &env,
        "/_emulator/users/nobody/expiry",
        json!({ "expiry": "expired" }),
    )
    .await
    .assert_error(
        404,
        "EMULATOR.USER_NOT_FOUND",
        "User nobody does not exist.",
    );
    for body in [json!({}), json!({ "expiry": "later" })] {
        post_json(&env, &format!("/_emulator/users/{USER}/expiry"), body)
            .await
            .assert_error(
                400,
                "EMULATOR.BAD_REQUEST",
                "Field expiry is missing or has a bad format.",
            );
    }
}

#[tokio::test]
async fn library_calls() {
    let env = start().await;
    assert!(matches!(
        env.emulator().set_expiry("nobody", PasswordExpiry::Expired),
        Err(EmulatorError::UserNotFound { .. })
    ));
    assert!(matches!(
        env.emulator().set_mfa("nobody", true),
        Err(EmulatorError::UserNotFound { .. })
    ));
    assert!(matches!(
        env.emulator().set_access_denied("nobody", true),
        Err(EmulatorError::UserNotFound { .. })
    ));
    assert_eq!(env.emulator().captcha_answer("nope"), None);
    assert_eq!(
        "expiring".parse::<PasswordExpiry>().ok(),
        Some(PasswordExpiry::Expiring)
    );
    assert!("Expired".parse::<PasswordExpiry>().is_err());
    assert_eq!(PasswordExpiry::default(), PasswordExpiry::Fresh);
    assert_eq!(PasswordExpiry::Expired.as_str(), "expired");
    let options = UserOptions::default()
        .expiry(PasswordExpiry::Expiring)
        .mfa(true)
        .access_denied(false);
    assert_eq!(
        options,
        UserOptions {
            expiry: PasswordExpiry::Expiring,
            mfa: true,
            access_denied: false
        }
    );
    // add_user_with checks its input as add_user does.
    let bad = eiam_emulator::NewUser {
        user_name: "x".into(),
        password: "p".into(),
        email: "x@example.com".into(),
        mobile: "15907132852".into(),
        name: None,
    };
    assert!(matches!(
        env.emulator().add_user_with(bad, options),
        Err(EmulatorError::InvalidInput { field: "mobile" })
    ));
    // A change sets the expiry back to fresh.
    env.emulator()
        .set_expiry(USER, PasswordExpiry::Expired)
        .expect("alice");
    let (token, code) = env.login();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
    assert_eq!(
        env.login_http(USER, NEW_PASSWORD).await.body["status"],
        "SUCCESS"
    );
}
