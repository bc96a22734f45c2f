//! The happy path against the emulator: a login whose password expired, the captcha, the
//! e-mailed code, the change, a verified id_token; then a plain login with the new password.

mod common;

use std::time::Duration;

use common::{CLIENT_ID, start};
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, UserOptions};
use serde_json::json;

const EMAIL: &str = "alice@example.com";

async fn emulator_with(expiry: PasswordExpiry) -> eiam_emulator::RunningEmulator {
    let running = Emulator::spawn(EmulatorConfig {
        client_ids: vec![CLIENT_ID.into()],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    running
        .emulator()
        .add_user_with(
            NewUser {
                user_name: "alice".into(),
                password: "Old-Passw0rd!".into(),
                email: EMAIL.into(),
                mobile: "+86-15907132852".into(),
                name: Some("Alice".into()),
            },
            UserOptions::default().expiry(expiry),
        )
        .expect("user");
    running
}

#[tokio::test]
async fn an_expired_password_is_changed_by_email_code_and_the_user_signed_in() {
    let running = emulator_with(PasswordExpiry::Expired).await;
    let emulator = running.emulator();
    let service = start(&running.base_url()).await;

    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["next"], "change_password");
    assert_eq!(answer.body["can_skip"], false);
    let state = answer.body["state"].as_str().expect("state").to_owned();

    // The front end shows the captcha; the user slides the piece to the right place.
    let answer = service
        .post("/password/captcha", json!({"state": state}))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body["background_png_base64"].is_string());
    let captcha_id = answer.body["captcha_id"].as_str().expect("captcha id");
    let x = emulator.captcha_answer(captcha_id).expect("the right x");

    let answer = service
        .post(
            "/password/send-code",
            json!({"state": state, "email": EMAIL, "captcha_x": x}),
        )
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    let code = emulator.latest_code(EMAIL).expect("a code was e-mailed");

    let answer = service
        .post(
            "/password/change",
            json!({"state": state, "code": code, "new_password": "N3w-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["status"], "signed_in");
    // The claims come from the id_token, verified against the emulator's keys.
    assert_eq!(answer.body["user"]["sub"], "alice");
    assert_eq!(answer.body["user"]["name"], "Alice");
    assert_eq!(answer.body["user"]["email"], EMAIL);
    assert!(
        emulator
            .password_matches("alice", "N3w-Passw0rd!")
            .expect("user")
    );

    // The state is used up.
    let answer = service
        .post(
            "/password/change",
            json!({"state": state, "code": code, "new_password": "An0ther-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 404, "{answer:?}");

    // The new password signs in directly.
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "N3w-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["status"], "signed_in");
    assert_eq!(answer.body["user"]["sub"], "alice");
    running.shutdown().await;
}

#[tokio::test]
async fn an_expiring_password_can_be_skipped() {
    let running = emulator_with(PasswordExpiry::Expiring).await;
    let service = start(&running.base_url()).await;
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["can_skip"], true);
    let state = answer.body["state"].as_str().expect("state").to_owned();
    let answer = service
        .post("/password/skip", json!({"state": state}))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["status"], "signed_in");
    assert_eq!(answer.body["user"]["sub"], "alice");
    running.shutdown().await;
}

/// The emulator's code expires (its clock is moved on): the service says so.
#[tokio::test]
async fn an_expired_code_is_410() {
    let running = emulator_with(PasswordExpiry::Expired).await;
    let emulator = running.emulator();
    let service = start(&running.base_url()).await;
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    let state = answer.body["state"].as_str().expect("state").to_owned();
    let answer = service
        .post("/password/captcha", json!({"state": state}))
        .await;
    let x = emulator
        .captcha_answer(answer.body["captcha_id"].as_str().expect("id"))
        .expect("x");
    let answer = service
        .post(
            "/password/send-code",
            json!({"state": state, "email": EMAIL, "captcha_x": x}),
        )
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    let code = emulator.latest_code(EMAIL).expect("code");
    emulator.advance_clock(Duration::from_secs(6 * 60));
    let answer = service
        .post(
            "/password/change",
            json!({"state": state, "code": code, "new_password": "N3w-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 410, "{answer:?}");
    assert_eq!(answer.body["error"], "expired");
    running.shutdown().await;
}
