//! The emulator-only admin API, through HTTP, and the library calls behind it.

mod common;

use std::time::Duration;

use common::*;
use eiam_emulator::{Emulator, EmulatorConfig, EmulatorError, NewUser};
use serde_json::{Value, json};

async fn post_json(env: &Env, path: &str, body: Option<Value>, lang: Option<&str>) -> Reply {
    let mut request = env.http.post(env.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(lang) = lang {
        request = request.header("X-L", lang);
    }
    reply(request.send().await.expect("send")).await
}

fn bob() -> Value {
    json!({
        "user_name": "bob",
        "password": "Bob-Passw0rd",
        "email": "bob@example.com",
        "mobile": "+86-13800000000",
        "name": "Bob"
    })
}

#[tokio::test]
async fn create_users() {
    let env = start().await;
    let created = post_json(&env, "/_emulator/users", Some(bob()), None).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.content_type, "application/json");
    let id = created.body["id"].as_str().expect("id");
    // yyyyMMddHHmmssSSS-XXXX-XXXXXXXXX
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        vec![17, 4, 9],
        "{id}"
    );
    assert!(parts[0].bytes().all(|b| b.is_ascii_digit()));
    assert!(
        parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    assert!(
        env.emulator()
            .password_matches("bob", "Bob-Passw0rd")
            .expect("bob")
    );

    // Without a name.
    let mut carol = bob();
    carol["user_name"] = json!("carol");
    carol.as_object_mut().expect("object").remove("name");
    assert_eq!(
        post_json(&env, "/_emulator/users", Some(carol), None)
            .await
            .status,
        201
    );

    // Duplicate.
    post_json(&env, "/_emulator/users", Some(bob()), None)
        .await
        .assert_error(409, "EMULATOR.USER_EXISTS", "User bob already exists.");
    post_json(&env, "/_emulator/users", Some(bob()), Some("zh"))
        .await
        .assert_error(409, "EMULATOR.USER_EXISTS", "用户bob已存在。");
    // The existing user was not replaced.
    assert!(
        env.emulator()
            .password_matches("bob", "Bob-Passw0rd")
            .expect("bob")
    );
}

#[tokio::test]
async fn create_user_bad_input() {
    let env = start().await;
    let cases: Vec<(Option<Value>, &str)> = vec![
        (None, "body"),
        (Some(json!([])), "body"),
        (
            Some(json!({ "password": "p", "email": "e@x", "mobile": "+86-1380000" })),
            "user_name",
        ),
        (
            Some(
                json!({ "user_name": " ", "password": "p", "email": "e@x", "mobile": "+86-1380000" }),
            ),
            "user_name",
        ),
        (
            Some(
                json!({ "user_name": "u", "password": "", "email": "e@x", "mobile": "+86-1380000" }),
            ),
            "password",
        ),
        (
            Some(
                json!({ "user_name": "u", "password": "p", "email": "ex", "mobile": "+86-1380000" }),
            ),
            "email",
        ),
        (
            Some(
                json!({ "user_name": "u", "password": "p", "email": "e@x", "mobile": "13800000000" }),
            ),
            "mobile",
        ),
        (
            Some(
                json!({ "user_name": "u", "password": "p", "email": "e@x", "mobile": "+86-12a4567" }),
            ),
            "mobile",
        ),
        (
            Some(
                json!({ "user_name": "u", "password": "p", "email": "e@x", "mobile": "+86-1380000", "name": 5 }),
            ),
            "name",
        ),
        (
            Some(
                json!({ "user_name": 1, "password": "p", "email": "e@x", "mobile": "+86-1380000" }),
            ),
            "user_name",
        ),
    ];
    for (body, field) in cases {
        post_json(&env, "/_emulator/users", body.clone(), None)
            .await
            .assert_error(
                400,
                "EMULATOR.BAD_REQUEST",
                &format!("Field {field} is missing or has a bad format."),
            );
        post_json(&env, "/_emulator/users", body, Some("zh"))
            .await
            .assert_error(
                400,
                "EMULATOR.BAD_REQUEST",
                &format!("字段{field}缺失或格式错误。"),
            );
    }
    // Malformed JSON.
    let response = env
        .http
        .post(env.url("/_emulator/users"))
        .body("{")
        .send()
        .await
        .expect("send");
    reply(response).await.assert_error(
        400,
        "EMULATOR.BAD_REQUEST",
        "Field body is missing or has a bad format.",
    );
    assert!(env.emulator().password_matches("u", "p").is_err());
}

#[tokio::test]
async fn expired_login_outbox_and_check_password() {
    let env = start().await;
    let login = post_json(&env, "/_emulator/users/alice/expired-login", None, None).await;
    assert_eq!(login.status, 201, "{login:?}");
    let keys: Vec<&String> = login.body.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 2, "{login:?}");
    assert_eq!(login.body["expires_in"], 600);
    let token = login.body["state_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // The code is in the outbox only.
    let outbox = env.get("/_emulator/outbox").await;
    assert_eq!(outbox.status, 200);
    let messages = outbox.body.as_array().expect("array");
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message["channel"], "email");
    assert_eq!(message["to"], EMAIL);
    assert_eq!(message["type"], "CHANGE_PWD_EMS");
    let code = message["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let sent_at = message["sent_at"].as_i64().expect("sent_at");

    // Another user's message, and the filter; newest last.
    post_json(&env, "/_emulator/users", Some(bob()), None).await;
    env.emulator().advance_clock(Duration::from_secs(30));
    let bob_login = post_json(
        &env,
        "/_emulator/users/bob/expired-login",
        Some(json!({})),
        None,
    )
    .await;
    assert_eq!(bob_login.status, 201);
    let all = env.get("/_emulator/outbox").await.body;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    assert_eq!(all[1]["to"], "bob@example.com");
    assert_eq!(all[1]["sent_at"].as_i64(), Some(sent_at + 30));
    let only_bob = env.get("/_emulator/outbox?to=bob%40example.com").await.body;
    assert_eq!(only_bob.as_array().map(Vec::len), Some(1));
    assert_eq!(only_bob[0]["to"], "bob@example.com");
    let nobody = env
        .get("/_emulator/outbox?to=nobody%40example.com")
        .await
        .body;
    assert_eq!(nobody, json!([]));
    assert_eq!(env.emulator().latest_code(EMAIL), Some(code.clone()));
    assert_eq!(env.emulator().latest_code("nobody@example.com"), None);

    // check-password before and after a change made with the admin-issued token.
    let check = |password: &str| json!({ "password": password });
    let before = post_json(
        &env,
        "/_emulator/users/alice/check-password",
        Some(check(OLD_PASSWORD)),
        None,
    )
    .await;
    assert_eq!(
        (before.status.as_u16(), before.body.clone()),
        (200, json!({ "matches": true }))
    );
    let wrong = post_json(
        &env,
        "/_emulator/users/alice/check-password",
        Some(check(NEW_PASSWORD)),
        None,
    )
    .await;
    assert_eq!(wrong.body, json!({ "matches": false }));
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
    let after = post_json(
        &env,
        "/_emulator/users/alice/check-password",
        Some(check(NEW_PASSWORD)),
        None,
    )
    .await;
    assert_eq!(after.body, json!({ "matches": true }));
    post_json(
        &env,
        "/_emulator/users/alice/check-password",
        Some(json!({})),
        None,
    )
    .await
    .assert_error(
        400,
        "EMULATOR.BAD_REQUEST",
        "Field password is missing or has a bad format.",
    );
    post_json(
        &env,
        "/_emulator/users/nobody/check-password",
        Some(check("x")),
        None,
    )
    .await
    .assert_error(
        404,
        "EMULATOR.USER_NOT_FOUND",
        "User nobody does not exist.",
    );
}

#[tokio::test]
async fn expired_login_errors_and_clients() {
    let env = start_with(EmulatorConfig {
        client_ids: vec![CLIENT.into(), "second-client".into()],
        ..EmulatorConfig::default()
    })
    .await;
    post_json(&env, "/_emulator/users/nobody/expired-login", None, None)
        .await
        .assert_error(
            404,
            "EMULATOR.USER_NOT_FOUND",
            "User nobody does not exist.",
        );
    post_json(
        &env,
        "/_emulator/users/nobody/expired-login",
        None,
        Some("zh"),
    )
    .await
    .assert_error(404, "EMULATOR.USER_NOT_FOUND", "用户nobody不存在。");
    post_json(
        &env,
        "/_emulator/users/alice/expired-login",
        Some(json!({ "client_id": "other" })),
        None,
    )
    .await
    .assert_error(
        400,
        "EMULATOR.UNKNOWN_CLIENT",
        "Client id other is not configured in the emulator.",
    );
    post_json(
        &env,
        "/_emulator/users/alice/expired-login",
        Some(json!({ "client_id": 3 })),
        None,
    )
    .await
    .assert_error(
        400,
        "EMULATOR.BAD_REQUEST",
        "Field client_id is missing or has a bad format.",
    );
    assert!(env.emulator().outbox().is_empty(), "nothing sent on errors");

    let login = post_json(
        &env,
        "/_emulator/users/alice/expired-login",
        Some(json!({ "client_id": "second-client" })),
        None,
    )
    .await;
    let token = login.body["state_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let code = env.emulator().latest_code(EMAIL).expect("code");
    let reply = env
        .post(&headers("second-client", &token), body(&code, NEW_PASSWORD))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&jwt_payload(
            reply.body["id_token"].as_str().expect("id_token")
        ))
        .expect("claims")["aud"],
        "second-client"
    );
}

fn jwt_payload(jwt: &str) -> Vec<u8> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("payload");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64")
}

#[tokio::test]
async fn send_code_and_clock_routes() {
    let env = start().await;
    let (token, code1) = env.login();
    let sent = env
        .http
        .post(env.url("/_emulator/users/alice/send-code"))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status().as_u16(), 204);
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    assert_eq!(env.emulator().outbox().len(), 2);
    assert_eq!(
        env.emulator().latest_code(EMAIL).as_deref(),
        Some(code2.as_str())
    );
    let _ = code1;
    post_json(&env, "/_emulator/users/nobody/send-code", None, None)
        .await
        .assert_error(
            404,
            "EMULATOR.USER_NOT_FOUND",
            "User nobody does not exist.",
        );

    // The clock route expires the code (5 minutes).
    let advanced = post_json(
        &env,
        "/_emulator/clock/advance",
        Some(json!({ "seconds": 300 })),
        None,
    )
    .await;
    assert_eq!(advanced.status.as_u16(), 204);
    env.change(&token, &code2, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code has expired.",
    );
    post_json(
        &env,
        "/_emulator/clock/advance",
        Some(json!({ "seconds": -1 })),
        None,
    )
    .await
    .assert_error(
        400,
        "EMULATOR.BAD_REQUEST",
        "Field seconds is missing or has a bad format.",
    );
}

#[tokio::test]
async fn library_api_errors_and_debug() {
    let emulator = Emulator::new(EmulatorConfig::default()).expect("new");
    let user = NewUser {
        user_name: "dave".into(),
        password: "Dave-Secret-1".into(),
        email: "dave@example.com".into(),
        mobile: "+1-5550100".into(),
        name: None,
    };
    emulator.add_user(user.clone()).expect("add");
    assert!(matches!(
        emulator.add_user(user.clone()),
        Err(EmulatorError::UserExists { .. })
    ));
    assert!(matches!(
        emulator.expired_login("nobody", None),
        Err(EmulatorError::UserNotFound { .. })
    ));
    assert!(matches!(
        emulator.expired_login("dave", Some("other")),
        Err(EmulatorError::UnknownClient { .. })
    ));
    assert!(matches!(
        emulator.password_matches("nobody", "x"),
        Err(EmulatorError::UserNotFound { .. })
    ));
    let login = emulator.expired_login("dave", None).expect("login");
    assert_eq!(login.expires_in, Duration::from_secs(600));
    let code = emulator.latest_code("dave@example.com").expect("code");
    let outbox = emulator.outbox();
    // No Debug output shows a secret.
    let debug = format!(
        "{user:?} {login:?} {outbox:?} {emulator:?} {:?}",
        emulator.config()
    );
    for secret in ["Dave-Secret-1", login.state_token.as_str(), code.as_str()] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("dave"));
    // Errors display their English message.
    assert_eq!(
        EmulatorError::UserExists {
            user_name: "dave".into()
        }
        .to_string(),
        "User dave already exists."
    );
    // Bad configurations are refused.
    for config in [
        EmulatorConfig {
            client_ids: vec![],
            ..EmulatorConfig::default()
        },
        EmulatorConfig {
            max_code_attempts: 0,
            ..EmulatorConfig::default()
        },
        EmulatorConfig {
            policy: eiam_emulator::PasswordPolicy {
                min_len: 9,
                max_len: 8,
                min_classes: 1,
            },
            ..EmulatorConfig::default()
        },
        EmulatorConfig {
            policy: eiam_emulator::PasswordPolicy {
                min_len: 8,
                max_len: 18,
                min_classes: 5,
            },
            ..EmulatorConfig::default()
        },
    ] {
        assert!(matches!(
            Emulator::new(config),
            Err(EmulatorError::InvalidConfig(_))
        ));
    }
    // The router can be used directly, with a base URL set by hand.
    emulator.set_base_url("http://example.test:1/");
    assert_eq!(emulator.base_url(), "http://example.test:1");
    assert_eq!(emulator.issuer(), "http://example.test:1/api/v1/oauth2");
    let _router = emulator.router();
}

#[tokio::test]
async fn serve_on_a_listener_and_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let emulator = Emulator::new(EmulatorConfig::default()).expect("new");
    let handle = emulator.clone();
    let task = tokio::spawn(emulator.serve(listener));
    let url = format!("http://{addr}/api/v1/oauth2/.well-known/openid-configuration");
    let body: Value = reqwest::get(&url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["issuer"], format!("http://{addr}/api/v1/oauth2"));
    assert_eq!(handle.base_url(), format!("http://{addr}"));
    task.abort();

    let env = start().await;
    let url = env.url("/_emulator/outbox");
    env.running.shutdown().await;
    assert!(reqwest::get(&url).await.is_err(), "stopped");
}
