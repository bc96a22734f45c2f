//! Every refusal of `update-by-email`, through HTTP: status, code, message, and that nothing
//! changed.

mod common;

use std::time::Duration;

use common::*;
use eiam_emulator::EmulatorConfig;
use serde_json::json;

const REQUIRED: [&str; 5] = [
    "X-operating-sys-version",
    "X-device-fingerprint",
    "X-agent",
    "X-client-id",
    "X-state-token",
];

#[tokio::test]
async fn each_missing_or_blank_header_english_and_chinese() {
    let env = start().await;
    let (token, code) = env.login();
    for name in REQUIRED {
        for value in [None, Some(""), Some("   ")] {
            let h = with_header(headers(CLIENT, &token), name, value);
            env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
                400,
                "SDK.COMMON.1001",
                &format!("Parameter {name} cannot be left blank."),
            );
            for zh in ["zh", "zh-CN", "ZH"] {
                let h = with_header(h.clone(), "X-L", Some(zh));
                env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
                    400,
                    "SDK.COMMON.1001",
                    &format!("参数{name}不能为空。"),
                );
            }
            for en in ["en", "fr", ""] {
                let h = with_header(h.clone(), "X-L", Some(en));
                env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
                    400,
                    "SDK.COMMON.1001",
                    &format!("Parameter {name} cannot be left blank."),
                );
            }
        }
    }
    env.assert_unchanged();
    // The token and code were not consumed.
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn headers_are_checked_in_order() {
    let env = start().await;
    // Everything missing: the first required header is named.
    env.post(&[], body("1", "x")).await.assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-operating-sys-version cannot be left blank.",
    );
    // Missing X-agent and unknown client: the missing header wins.
    let h = with_header(headers("nobody", "t"), "X-agent", None);
    env.post(&h, b"{".to_vec()).await.assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-agent cannot be left blank.",
    );
    // Missing state token and unknown client: still a header problem first.
    let h = with_header(headers("nobody", "t"), "X-state-token", None);
    env.post(&h, b"{".to_vec()).await.assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-state-token cannot be left blank.",
    );
    // The optional headers may be missing.
    let (token, code) = env.login();
    let h = with_header(headers(CLIENT, &token), "X-device-ip", None);
    assert_eq!(env.post(&h, body(&code, NEW_PASSWORD)).await.status, 200);
}

#[tokio::test]
async fn unknown_client_id() {
    let env = start().await;
    let (token, code) = env.login();
    // Unknown client, even with a malformed body: the client is checked first.
    for body in [body(&code, NEW_PASSWORD), b"{".to_vec()] {
        env.post(&headers("someone-else", &token), body.clone())
            .await
            .assert_error(400, "SDK.COMMON.1012", "Invalid X-client-id.");
        let h = with_header(headers("someone-else", &token), "X-L", Some("zh"));
        env.post(&h, body)
            .await
            .assert_error(400, "SDK.COMMON.1012", "X-client-id无效。");
    }
    // Client ids are case-sensitive.
    env.post(
        &headers("EMULATOR-CLIENT", &token),
        body(&code, NEW_PASSWORD),
    )
    .await
    .assert_error(400, "SDK.COMMON.1012", "Invalid X-client-id.");
    env.assert_unchanged();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn malformed_empty_and_non_object_bodies() {
    let env = start().await;
    let (token, code) = env.login();
    let h = headers(CLIENT, &token);
    for bad in [
        &b"{"[..],
        b"not json",
        b"{\"verify_code\": \"1\",}",
        b"\xff\xfe",
    ] {
        env.post(&h, bad.to_vec()).await.assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter request body has a bad format.",
        );
    }
    let zh = with_header(h.clone(), "X-L", Some("zh"));
    env.post(&zh, b"{".to_vec())
        .await
        .assert_error(400, "SDK.COMMON.1002", "参数请求体格式错误。");
    for empty in [&b""[..], b"  \n"] {
        env.post(&h, empty.to_vec()).await.assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter request body cannot be left blank.",
        );
    }
    for not_object in [&b"[]"[..], b"\"text\"", b"42", b"null"] {
        env.post(&h, not_object.to_vec()).await.assert_error(
            400,
            "SDK.COMMON.1007",
            "request body has a wrong type.",
        );
    }
    // Deep nesting is a format error, not a crash.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    env.post(&h, deep.into_bytes()).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter request body has a bad format.",
    );
    env.assert_unchanged();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn missing_blank_and_wrongly_typed_fields() {
    let env = start().await;
    let (token, code) = env.login();
    let h = headers(CLIENT, &token);
    let zh = with_header(h.clone(), "X-L", Some("zh"));
    let cases = [
        (
            json!({ "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
            "参数verify_code不能为空。",
        ),
        (
            json!({ "verify_code": code }),
            "SDK.COMMON.1001",
            "Parameter new_password cannot be left blank.",
            "参数new_password不能为空。",
        ),
        (
            json!({}),
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
            "参数verify_code不能为空。",
        ),
        (
            json!({ "verify_code": "", "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
            "参数verify_code不能为空。",
        ),
        (
            json!({ "verify_code": " ", "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
            "参数verify_code不能为空。",
        ),
        (
            json!({ "verify_code": null, "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
            "参数verify_code不能为空。",
        ),
        (
            json!({ "verify_code": code, "new_password": "" }),
            "SDK.COMMON.1001",
            "Parameter new_password cannot be left blank.",
            "参数new_password不能为空。",
        ),
        (
            json!({ "verify_code": 123456, "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1007",
            "verify_code has a wrong type.",
            "verify_code类型错误。",
        ),
        (
            json!({ "verify_code": [code], "new_password": NEW_PASSWORD }),
            "SDK.COMMON.1007",
            "verify_code has a wrong type.",
            "verify_code类型错误。",
        ),
        (
            json!({ "verify_code": code, "new_password": true }),
            "SDK.COMMON.1007",
            "new_password has a wrong type.",
            "new_password类型错误。",
        ),
        (
            json!({ "verify_code": code, "new_password": { "p": 1 } }),
            "SDK.COMMON.1007",
            "new_password has a wrong type.",
            "new_password类型错误。",
        ),
        // verify_code is checked before new_password.
        (
            json!({ "verify_code": 1, "new_password": 2 }),
            "SDK.COMMON.1007",
            "verify_code has a wrong type.",
            "verify_code类型错误。",
        ),
    ];
    for (body, error_code, en, zh_msg) in cases {
        let bytes = serde_json::to_vec(&body).expect("json");
        env.post(&h, bytes.clone())
            .await
            .assert_error(400, error_code, en);
        env.post(&zh, bytes)
            .await
            .assert_error(400, error_code, zh_msg);
    }
    env.assert_unchanged();
    // Unknown fields are ignored.
    let extra =
        json!({ "verify_code": code, "new_password": NEW_PASSWORD, "email": "x@y", "n": 1 });
    let reply = env
        .post(&h, serde_json::to_vec(&extra).expect("json"))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn huge_body() {
    let env = start().await;
    let (token, code) = env.login();
    let h = headers(CLIENT, &token);
    let padding = "x".repeat(70 * 1024);
    let huge = json!({ "verify_code": code, "new_password": NEW_PASSWORD, "padding": padding });
    env.post(&h, serde_json::to_vec(&huge).expect("json"))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter request body has a bad format: it must not be larger than 65536 bytes.",
        );
    let zh = with_header(h.clone(), "X-L", Some("zh"));
    env.post(&zh, vec![b' '; 1024 * 1024]).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "参数请求体格式错误：不能超过65536字节。",
    );
    env.assert_unchanged();
    // Just under the limit is fine.
    let padding = "x".repeat(60 * 1024);
    let big = json!({ "verify_code": code, "new_password": NEW_PASSWORD, "padding": padding });
    let reply = env.post(&h, serde_json::to_vec(&big).expect("json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn unknown_or_forged_state_token() {
    let env = start().await;
    let (token, code) = env.login();
    for forged in [
        "forged",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWJqZW1...",
        &token[1..],
    ] {
        env.post(&headers(CLIENT, forged), body(&code, NEW_PASSWORD))
            .await
            .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
        let h = with_header(headers(CLIENT, forged), "X-L", Some("zh"));
        env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
            400,
            "SDK.COMMON.1006",
            "X-state-token参数错误。",
        );
    }
    // A malformed body is reported before the token.
    env.post(&headers(CLIENT, "forged"), b"{".to_vec())
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter request body has a bad format.",
        );
    env.assert_unchanged();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn expired_state_token() {
    let env = start().await;
    let (token, code) = env.login();
    // Still valid one second before its 10 minutes are up (the code is re-sent so that
    // only the token can expire).
    env.emulator().advance_clock(Duration::from_secs(599));
    env.emulator().send_change_pwd_code(USER).expect("send");
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    env.change(&token, &code2, "short").await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must be 8 to 18 characters long.",
    );
    env.emulator().advance_clock(Duration::from_secs(1));
    env.change(&token, &code2, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-state-token has expired.",
    );
    let h = with_header(headers(CLIENT, &token), "X-L", Some("zh"));
    env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "X-state-token已过期。",
    );
    env.assert_unchanged();
    // A fresh login works.
    let fresh = env.emulator().expired_login(USER, None).expect("login");
    let code3 = env.emulator().latest_code(EMAIL).expect("code");
    assert_eq!(
        env.change(&fresh.state_token, &code3, NEW_PASSWORD)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn used_state_token() {
    let env = start().await;
    let (token, code) = env.login();
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
    // A new code for the user, but the token is used up.
    env.emulator().send_change_pwd_code(USER).expect("send");
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    env.change(&token, &code2, "An0ther-Passw0rd")
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    assert!(env.password_is(NEW_PASSWORD));
}

#[tokio::test]
async fn state_token_of_another_client() {
    let env = start_with(EmulatorConfig {
        client_ids: vec![CLIENT.into(), "second-client".into()],
        ..EmulatorConfig::default()
    })
    .await;
    let (token, code) = env.login_for("second-client");
    env.post(&headers(CLIENT, &token), body(&code, NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    env.assert_unchanged();
    let reply = env
        .post(&headers("second-client", &token), body(&code, NEW_PASSWORD))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(env.password_is(NEW_PASSWORD));
}

#[tokio::test]
async fn wrong_code_then_right_code() {
    let env = start().await;
    let (token, code) = env.login();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        env.change(&token, wrong, NEW_PASSWORD).await.assert_error(
            400,
            "SDK.SMS.1006",
            "The e-mail verification code is incorrect.",
        );
    }
    let h = with_header(headers(CLIENT, &token), "X-L", Some("zh"));
    // A code with extra spaces is wrong too (values are used as sent); this is the 5th.
    env.post(&h, body(&format!(" {code}"), NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.SMS.1006", "邮箱验证码错误。");
    env.assert_unchanged();
    // The 5th wrong attempt burned the code.
    env.change(&token, &code, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code has expired.",
    );
    env.post(&h, body(&code, NEW_PASSWORD)).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code已过期。",
    );
    env.assert_unchanged();
    // A new code works with the same (unconsumed) token.
    env.emulator().send_change_pwd_code(USER).expect("send");
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    assert_eq!(env.change(&token, &code2, NEW_PASSWORD).await.status, 200);
    assert!(env.password_is(NEW_PASSWORD));
}

#[tokio::test]
async fn four_wrong_codes_do_not_burn() {
    let env = start().await;
    let (token, code) = env.login();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(
            env.change(&token, wrong, NEW_PASSWORD).await.body["error_code"],
            "SDK.SMS.1006"
        );
    }
    assert_eq!(env.change(&token, &code, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn configured_attempt_limit() {
    let env = start_with(EmulatorConfig {
        max_code_attempts: 1,
        ..EmulatorConfig::default()
    })
    .await;
    let (token, code) = env.login();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        env.change(&token, wrong, NEW_PASSWORD).await.body["error_code"],
        "SDK.SMS.1006"
    );
    env.change(&token, &code, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code has expired.",
    );
    env.assert_unchanged();
}

#[tokio::test]
async fn expired_code() {
    let env = start().await;
    let (token, code) = env.login();
    env.emulator().advance_clock(Duration::from_secs(299));
    env.change(&token, &code, "short").await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must be 8 to 18 characters long.",
    );
    env.emulator().advance_clock(Duration::from_secs(1));
    env.change(&token, &code, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code has expired.",
    );
    env.assert_unchanged();
    // The token (10 minutes) is still good with a new code.
    env.emulator().send_change_pwd_code(USER).expect("send");
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    assert_eq!(env.change(&token, &code2, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_new_code_replaces_the_old_one() {
    let env = start().await;
    let (token, code1) = env.login();
    env.emulator().send_change_pwd_code(USER).expect("send");
    let code2 = env.emulator().latest_code(EMAIL).expect("code");
    if code1 != code2 {
        env.change(&token, &code1, NEW_PASSWORD).await.assert_error(
            400,
            "SDK.SMS.1006",
            "The e-mail verification code is incorrect.",
        );
        env.assert_unchanged();
    }
    assert_eq!(env.change(&token, &code2, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn no_code_sent() {
    let env = start().await;
    // Two logins: the second's code replaces the first's; using it consumes it.
    let (token1, _) = env.login();
    let (token2, code2) = env.login();
    assert_eq!(env.change(&token2, &code2, NEW_PASSWORD).await.status, 200);
    // Now no code is outstanding for the user.
    env.change(&token1, &code2, "An0ther-Passw0rd")
        .await
        .assert_error(
            400,
            "SDK.SMS.1006",
            "The e-mail verification code is incorrect.",
        );
    assert!(env.password_is(NEW_PASSWORD));
}

#[tokio::test]
async fn password_policy_rules() {
    let env = start().await;
    let (token, code) = env.login();
    let prefix = "Parameter new_password has a bad format: ";
    let zh_prefix = "参数new_password格式错误：";
    let cases = [
        (
            "Ab1!xyz",
            "it must be 8 to 18 characters long.",
            "长度必须为8到18个字符。",
        ),
        (
            "Ab1!xyzwAb1!xyzwAb1",
            "it must be 8 to 18 characters long.",
            "长度必须为8到18个字符。",
        ),
        (
            "Ab1!x yzw",
            "it must not contain spaces or control characters.",
            "不能包含空格或控制字符。",
        ),
        (
            "Ab1!x\tyzw",
            "it must not contain spaces or control characters.",
            "不能包含空格或控制字符。",
        ),
        (
            "abcdefgh12",
            "it must contain at least 3 of the following: digits, upper-case letters, lower-case letters, special characters.",
            "必须至少包含数字、大写字母、小写字母、特殊字符中的3种。",
        ),
        (
            "ABCD!@#$%",
            "it must contain at least 3 of the following: digits, upper-case letters, lower-case letters, special characters.",
            "必须至少包含数字、大写字母、小写字母、特殊字符中的3种。",
        ),
        (
            OLD_PASSWORD,
            "it must differ from the current password.",
            "不能与当前密码相同。",
        ),
    ];
    let zh = with_header(headers(CLIENT, &token), "X-L", Some("zh"));
    for (password, en, zh_msg) in cases {
        env.change(&token, &code, password).await.assert_error(
            400,
            "SDK.COMMON.1002",
            &format!("{prefix}{en}"),
        );
        env.post(&zh, body(&code, password)).await.assert_error(
            400,
            "SDK.COMMON.1002",
            &format!("{zh_prefix}{zh_msg}"),
        );
        env.assert_unchanged();
    }
    // Length counts characters: 8 characters, 14 bytes.
    let reply = env.change(&token, &code, "密码Ab1xyz").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(env.password_is("密码Ab1xyz"));
}

#[tokio::test]
async fn configured_policy() {
    let env = start_with(EmulatorConfig {
        policy: eiam_emulator::PasswordPolicy {
            min_len: 12,
            max_len: 20,
            min_classes: 4,
        },
        ..EmulatorConfig::default()
    })
    .await;
    let (token, code) = env.login();
    env.change(&token, &code, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1002",
        "Parameter new_password has a bad format: it must be 12 to 20 characters long.",
    );
    env.change(&token, &code, "abcdefghijK1")
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter new_password has a bad format: it must contain at least 4 of the following: \
         digits, upper-case letters, lower-case letters, special characters.",
        );
    assert_eq!(env.change(&token, &code, "abcdefghijK1!").await.status, 200);
}

#[tokio::test]
async fn check_order_after_the_body() {
    let env = start().await;
    let (token, code) = env.login();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    // Unknown token and wrong code: the token is reported.
    env.change("forged", wrong, "short").await.assert_error(
        400,
        "SDK.COMMON.1006",
        "X-state-token parameter error.",
    );
    // Wrong code and bad password: the code is reported, and the attempt counts.
    for _ in 0..5 {
        assert_eq!(
            env.change(&token, wrong, "short").await.body["error_code"],
            "SDK.SMS.1006"
        );
    }
    env.change(&token, &code, NEW_PASSWORD).await.assert_error(
        400,
        "SDK.COMMON.1005",
        "verify_code has expired.",
    );
    env.assert_unchanged();
}
