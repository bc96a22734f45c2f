//! The service's error paths against the typed mocks generated from the spec (`eiam-mock`):
//! no EIAM server, and each mock checks the request the service's client really sent.

mod common;

use common::{AGENT, CLIENT_ID, FINGERPRINT, OS_VERSION, start};
use eiam_mock::httpmock::MockServer;
use eiam_mock::{MockServerExt, operations, types};
use serde_json::json;

const STATE_TOKEN: &str = "st-0123456789abcdef";
const POLICY: &str = r#"{"maxLength":18,"minLength":8,"regEx":"^(?![a-zA-Z]+$)(?![A-Z0-9]+$)(?![A-Z\\W_]+$)(?![a-z0-9]+$)(?![a-z\\W_]+$)(?![0-9\\W_]+$)[a-zA-Z0-9\\W_]{8,18}$"}"#;

fn error(code: &str, message: &str) -> types::Error {
    types::Error {
        error_code: code.into(),
        error_msg: message.into(),
    }
}

/// The request the service's client sends for a login of `user`: every common header, the
/// optional ones absent, and the body.
fn login_request(when: operations::LoginWhen, user: &str, password: &str) -> operations::LoginWhen {
    when.x_client_id(CLIENT_ID)
        .x_operating_sys_version(OS_VERSION)
        .x_device_fingerprint(FINGERPRINT)
        .x_agent(AGENT)
        .x_device_ip(None)
        .x_tenant_id(None)
        .body(&types::LoginRequest {
            user_name: user.into(),
            password: password.into(),
        })
}

/// A mock login that answers `PASSWORD_EXPIRED` with a state token and the policy.
fn expired_login(server: &MockServer) -> eiam_mock::httpmock::Mock<'_> {
    server.login(|when, then| {
        login_request(when, "alice", "Old-Passw0rd!");
        then.ok(&types::LoginResponse {
            status: "PASSWORD_EXPIRED".into(),
            state_token: Some(STATE_TOKEN.into()),
            data: Some(POLICY.into()),
            session_token: None,
            id_token: None,
            expire: None,
        });
    })
}

async fn log_in(service: &common::Running) -> String {
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["state"]
        .as_str()
        .expect("a state handle")
        .to_owned()
}

#[tokio::test]
async fn an_expired_password_asks_for_a_change_without_showing_the_state_token() {
    let server = MockServer::start_async().await;
    let login = expired_login(&server);
    let service = start(&server.base_url()).await;

    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["status"], "password_change_required");
    assert_eq!(answer.body["next"], "change_password");
    assert_eq!(answer.body["can_skip"], false);
    assert_eq!(answer.body["policy"]["min_length"], 8);
    assert_eq!(answer.body["policy"]["max_length"], 18);
    let state = answer.body["state"].as_str().expect("state");
    assert_eq!(state.len(), 64);
    assert!(!answer.body.to_string().contains(STATE_TOKEN));
    login.assert_async().await;

    // Skipping is refused for an expired password, without a call.
    let answer = service
        .post("/password/skip", json!({"state": state}))
        .await;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert_eq!(answer.body["error"], "change_required");
}

#[tokio::test]
async fn a_wrong_code_can_be_retried() {
    let server = MockServer::start_async().await;
    expired_login(&server);
    let change = server.update_password_by_email(|when, then| {
        when.x_client_id(CLIENT_ID).x_state_token(STATE_TOKEN).body(
            &types::UpdatePasswordByCodeRequest {
                verify_code: "000000".into(),
                new_password: "N3w-Passw0rd!".into(),
            },
        );
        then.client_error(
            400,
            &error("SDK.SMS.1006", "The email verification code is incorrect."),
        );
    });
    let service = start(&server.base_url()).await;
    let state = log_in(&service).await;

    for _ in 0..2 {
        let answer = service
            .post(
                "/password/change",
                json!({"state": state, "code": "000000", "new_password": "N3w-Passw0rd!"}),
            )
            .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(answer.body["error"], "wrong_code");
        assert_eq!(
            answer.body["message"],
            "The email verification code is incorrect."
        );
    }
    // The state was kept for the second try.
    change.assert_calls_async(2).await;
}

#[tokio::test]
async fn an_expired_state_token_means_starting_again() {
    let server = MockServer::start_async().await;
    expired_login(&server);
    server.update_password_by_email(|when, then| {
        when.x_state_token(STATE_TOKEN);
        then.client_error(400, &error("SDK.COMMON.1005", "X-state-token has expired."));
    });
    let service = start(&server.base_url()).await;
    let state = log_in(&service).await;
    let answer = service
        .post(
            "/password/change",
            json!({"state": state, "code": "123456", "new_password": "N3w-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 410, "{answer:?}");
    assert_eq!(answer.body["error"], "expired");
}

#[tokio::test]
async fn a_locked_account_is_423() {
    let server = MockServer::start_async().await;
    let login = server.login(|when, then| {
        login_request(when, "alice", "Wrong-Passw0rd");
        then.client_error(
            400,
            &error(
                "SDK.LOGIN.1003",
                "The account is locked. Try again in 15 minutes.",
            ),
        );
    });
    let service = start(&server.base_url()).await;
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Wrong-Passw0rd"}),
        )
        .await;
    assert_eq!(answer.status, 423, "{answer:?}");
    assert_eq!(answer.body["error"], "account_locked");
    assert_eq!(
        answer.body["message"],
        "The account is locked. Try again in 15 minutes."
    );
    login.assert_async().await;
}

#[tokio::test]
async fn wrong_credentials_are_401() {
    let server = MockServer::start_async().await;
    server.login(|when, then| {
        login_request(when, "alice", "Wrong-Passw0rd");
        then.client_error(
            400,
            &error(
                "LOGIN.0002",
                "Incorrect account or password. 4 attempts left.",
            ),
        );
    });
    let service = start(&server.base_url()).await;
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Wrong-Passw0rd"}),
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.body["error"], "invalid_credentials");
}

#[tokio::test]
async fn a_busy_server_is_503_with_retry_after() {
    let server = MockServer::start_async().await;
    let login = server.login(|when, then| {
        login_request(when, "alice", "Old-Passw0rd!");
        then.server_error(500, &error("SDK.COMMON.1008", "The system is busy."));
    });
    let service = start(&server.base_url()).await;
    let answer = service
        .post(
            "/login",
            json!({"user": "alice", "password": "Old-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.body["error"], "try_again_later");
    assert_eq!(answer.retry_after.as_deref(), Some("5"));
    // A login is not retried by the SDK: the service decides.
    login.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_wrong_captcha_answer_sends_no_code() {
    let server = MockServer::start_async().await;
    expired_login(&server);
    server.get_captcha(|when, then| {
        when.x_client_id(CLIENT_ID);
        then.ok(&types::Captcha {
            token: "captcha-1".into(),
            original_image_base64: Some("iVBOR...".into()),
            jigsaw_image_base64: Some("iVBOR...".into()),
            secret_key: None,
            result: None,
        });
    });
    let verify = server.verify_captcha(|when, then| {
        when.body(&types::CaptchaVerifyRequest {
            point_json: r#"{"x":12.0,"y":5.0}"#.into(),
            token: "captcha-1".into(),
            sender: "alice@example.com".into(),
        });
        then.client_error(400, &error("CAPTCHA.0002", "The captcha is wrong."));
    });
    let send = server.send_email_code(|when, then| {
        when.x_client_id(CLIENT_ID);
        then.ok();
    });
    let service = start(&server.base_url()).await;
    let state = log_in(&service).await;

    let answer = service
        .post("/password/captcha", json!({"state": state}))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["captcha_id"], "captcha-1");
    let code = json!({"state": state, "email": "alice@example.com", "captcha_x": 12.0});
    let answer = service.post("/password/send-code", code.clone()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body["error"], "captcha_failed");
    verify.assert_async().await;
    send.assert_calls_async(0).await;
    // The captcha was used up: a second answer needs a new captcha, without a call.
    let answer = service.post("/password/send-code", code).await;
    assert_eq!(answer.body["error"], "captcha_failed");
    verify.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_password_against_the_policy_is_refused_before_any_call() {
    let server = MockServer::start_async().await;
    expired_login(&server);
    let change = server.update_password_by_email(|when, then| {
        when.x_state_token(STATE_TOKEN);
        then.ok(&types::SessionResponse {
            status: "SUCCESS".into(),
            session_token: Some("session".into()),
            expire: Some(43_200),
            id_token: None,
        });
    });
    let service = start(&server.base_url()).await;
    let state = log_in(&service).await;
    let answer = service
        .post(
            "/password/change",
            json!({"state": state, "code": "123456", "new_password": "short"}),
        )
        .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body["error"], "password_policy");
    change.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_unknown_state_is_404_without_a_call() {
    let server = MockServer::start_async().await;
    let any = server.update_password_by_email(|when, then| {
        when.x_client_id(CLIENT_ID);
        then.client_error(
            400,
            &error("SDK.COMMON.1006", "X-state-token parameter error."),
        );
    });
    let service = start(&server.base_url()).await;
    let answer = service
        .post(
            "/password/change",
            json!({"state": "made-up", "code": "123456", "new_password": "N3w-Passw0rd!"}),
        )
        .await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert_eq!(answer.body["error"], "unknown_state");
    any.assert_calls_async(0).await;
}
