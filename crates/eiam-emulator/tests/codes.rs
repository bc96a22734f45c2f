//! The captcha, the code sends and the change by SMS code, through HTTP.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use eiam_emulator::{NewUser, PasswordExpiry};
use serde_json::json;

const NATIONAL: &str = "15907132852";
const BY_MOBILE: &str = "/api/v2/sdk/after-login/pwd/update-by-mobile";

#[tokio::test]
async fn captcha_shape_and_admin_answer() {
    let env = start().await;
    let reply = env
        .get_with("/api/v2/sdk/captcha", &device_headers(CLIENT))
        .await;
    reply.ok();
    assert_eq!(
        reply.keys(),
        vec![
            "jigsawImageBase64",
            "originalImageBase64",
            "result",
            "secretKey",
            "token"
        ]
    );
    assert_eq!(reply.body["secretKey"], json!(null));
    assert_eq!(reply.body["result"], json!(null));
    for image in ["originalImageBase64", "jigsawImageBase64"] {
        let png = STANDARD.decode(reply.str(image)).expect("base64");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{image}");
    }
    let token = reply.str("token");
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let x = env.emulator().captcha_answer(&token).expect("answer");
    assert!((40.0..=260.0).contains(&x) && x.fract() == 0.0, "{x}");
    let admin = env.get(&format!("/_emulator/captcha/{token}")).await;
    assert_eq!(admin.status, 200, "{admin:?}");
    assert_eq!(admin.body, json!({ "x": x }));
    env.get("/_emulator/captcha/nope").await.assert_error(
        404,
        "EMULATOR.CAPTCHA_NOT_FOUND",
        "No captcha with this token is waiting to be solved.",
    );
    // Each captcha is new.
    assert_ne!(env.new_captcha().await, token);
    // The answers vary.
    let mut answers = std::collections::HashSet::new();
    for _ in 0..20 {
        let t = env.new_captcha().await;
        answers.insert(env.emulator().captcha_answer(&t).expect("answer") as i64);
    }
    assert!(answers.len() > 1, "{answers:?}");

    // Expired after 2 minutes.
    env.emulator().advance_clock(Duration::from_secs(120));
    assert_eq!(env.emulator().captcha_answer(&token), None);

    // Headers are checked.
    let h = with_header(device_headers(CLIENT), "X-agent", None);
    env.get_with("/api/v2/sdk/captcha", &h).await.assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-agent cannot be left blank.",
    );
    env.get_with("/api/v2/sdk/captcha", &device_headers("x"))
        .await
        .assert_error(400, "SDK.COMMON.1012", "Invalid X-client-id.");
}

#[tokio::test]
async fn verify_success_and_single_use() {
    let env = start().await;
    let token = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&token).expect("answer");
    let point_json = format!("{{\"x\":{:.1},\"y\":5.0}}", x + 4.9);
    let reply = env
        .post_to(
            "/api/v2/sdk/captcha/verify",
            &device_headers(CLIENT),
            json!({ "point_json": point_json, "token": token, "sender": EMAIL }),
        )
        .await;
    reply.ok();
    assert_eq!(reply.keys(), vec!["captcha_token"]);
    assert_eq!(
        reply.str("captcha_token"),
        format!("{token}---{point_json}")
    );
    // A captcha is verified once.
    env.verify_captcha(&token, x, EMAIL).await.assert_error(
        400,
        "CAPTCHA.0004",
        "The captcha token is invalid.",
    );
    // Within 5.0 on either side.
    let t = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&t).expect("answer");
    assert_eq!(env.verify_captcha(&t, x - 5.0, EMAIL).await.status, 200);
}

#[tokio::test]
async fn verify_errors() {
    let env = start().await;
    // Wrong place: the captcha is used up.
    let token = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&token).expect("answer");
    env.verify_captcha(&token, x + 5.5, EMAIL)
        .await
        .assert_error(400, "CAPTCHA.0002", "The captcha answer is incorrect.");
    env.verify_captcha(&token, x, EMAIL).await.assert_error(
        400,
        "CAPTCHA.0004",
        "The captcha token is invalid.",
    );
    let h = with_header(device_headers(CLIENT), "X-L", Some("zh"));
    let t = env.new_captcha().await;
    env.post_to(
        "/api/v2/sdk/captcha/verify",
        &h,
        json!({ "point_json": "{\"x\":1000.0,\"y\":5.0}", "token": t, "sender": EMAIL }),
    )
    .await
    .assert_error(400, "CAPTCHA.0002", "图形验证码校验失败。");
    // Unknown.
    env.verify_captcha("0123456789abcdef0123456789abcdef", 100.0, EMAIL)
        .await
        .assert_error(400, "CAPTCHA.0004", "The captcha token is invalid.");
    // Expired.
    let token = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&token).expect("answer");
    env.emulator().advance_clock(Duration::from_secs(120));
    env.verify_captcha(&token, x, EMAIL).await.assert_error(
        400,
        "CAPTCHA.0004",
        "The captcha token is invalid.",
    );
    // Bad point_json: not consumed.
    let token = env.new_captcha().await;
    let x = env.emulator().captcha_answer(&token).expect("answer");
    for bad in [
        "237",
        "{\"x\":\"237\",\"y\":5.0}",
        "{\"x\":237.0}",
        "{\"y\":5.0}",
        "not json",
        "[237.0,5.0]",
    ] {
        env.post_to(
            "/api/v2/sdk/captcha/verify",
            &device_headers(CLIENT),
            json!({ "point_json": bad, "token": token, "sender": EMAIL }),
        )
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter point_json has a bad format.",
        );
    }
    // Missing fields, in order.
    let cases = [
        (json!({ "token": token, "sender": EMAIL }), "point_json"),
        (
            json!({ "point_json": "{\"x\":1,\"y\":5}", "sender": EMAIL }),
            "token",
        ),
        (
            json!({ "point_json": "{\"x\":1,\"y\":5}", "token": token, "sender": "" }),
            "sender",
        ),
    ];
    for (body, field) in cases {
        env.post_to("/api/v2/sdk/captcha/verify", &device_headers(CLIENT), body)
            .await
            .assert_error(
                400,
                "SDK.COMMON.1001",
                &format!("Parameter {field} cannot be left blank."),
            );
    }
    assert_eq!(env.verify_captcha(&token, x, EMAIL).await.status, 200);
}

#[tokio::test]
async fn email_and_sms_sends_deliver_to_the_outbox() {
    let env = start().await;
    // E-mail.
    let captcha = env.captcha_token(EMAIL).await;
    let reply = env
        .send_code("email", EMAIL, "CHANGE_PWD_EMS", &captcha)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.raw.is_empty(), "{reply:?}");
    let outbox = env.emulator().outbox();
    assert_eq!(outbox.len(), 1);
    let msg = &outbox[0];
    assert_eq!(
        (msg.channel.as_str(), msg.to.as_str(), msg.kind.as_str()),
        ("email", EMAIL, "CHANGE_PWD_EMS")
    );
    assert_eq!(msg.code.len(), 6);
    assert!(msg.code.bytes().all(|b| b.is_ascii_digit()));
    // The captcha token is single-use.
    env.send_code("email", EMAIL, "CHANGE_PWD_EMS", &captcha)
        .await
        .assert_error(400, "CAPTCHA.0004", "The captcha token is invalid.");

    // SMS, with the number as +CC-number and as 11 digits, the captcha's sender in the
    // other form.
    let captcha = env.captcha_token(NATIONAL).await;
    let reply = env
        .send_code("mobile", MOBILE, "CHANGE_PWD_SMS", &captcha)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.raw.is_empty());
    let captcha = env.captcha_token(MOBILE).await;
    let reply = env
        .send_code("mobile", NATIONAL, "MFA_AUTH_SMS", &captcha)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let outbox = env.emulator().outbox();
    assert_eq!(outbox.len(), 3);
    for (msg, kind) in outbox[1..].iter().zip(["CHANGE_PWD_SMS", "MFA_AUTH_SMS"]) {
        assert_eq!(
            (msg.channel.as_str(), msg.to.as_str(), msg.kind.as_str()),
            ("sms", MOBILE, kind)
        );
    }
    // E-mail addresses are compared in ASCII lower case.
    let captcha = env.captcha_token("ALICE@example.com").await;
    let reply = env
        .send_code("email", "Alice@Example.COM", "LOGIN_EMS", &captcha)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        env.emulator().outbox().last().map(|m| m.to.clone()),
        Some(EMAIL.to_owned())
    );
}

#[tokio::test]
async fn send_errors_consume_nothing() {
    let env = start().await;
    env.emulator()
        .add_user(NewUser {
            user_name: "bob".into(),
            password: OLD_PASSWORD.into(),
            email: "bob@example.com".into(),
            mobile: "+1-5550100".into(),
            name: None,
        })
        .expect("bob");
    let captcha = env.captcha_token(EMAIL).await;
    let send = |body: serde_json::Value| {
        let env = &env;
        async move {
            env.post_to("/api/v2/sdk/email/send", &device_headers(CLIENT), body)
                .await
        }
    };
    // Missing fields, in order.
    for (body, field) in [
        (
            json!({ "type": "CHANGE_PWD_EMS", "captcha_token": captcha }),
            "email",
        ),
        (
            json!({ "email": EMAIL, "type": " ", "captcha_token": captcha }),
            "type",
        ),
        (
            json!({ "email": EMAIL, "type": "CHANGE_PWD_EMS", "captcha_token": null }),
            "captcha_token",
        ),
    ] {
        send(body).await.assert_error(
            400,
            "SDK.COMMON.1001",
            &format!("Parameter {field} cannot be left blank."),
        );
    }
    // Types: documented values of the channel only.
    for kind in ["CHANGE_PWD_SMS", "change_pwd_ems", "WHATEVER"] {
        env.send_code("email", EMAIL, kind, &captcha)
            .await
            .assert_error(400, "SDK.COMMON.1002", "Parameter type has a bad format.");
    }
    env.send_code("mobile", MOBILE, "CHANGE_PWD_EMS", &captcha)
        .await
        .assert_error(400, "SDK.COMMON.1002", "Parameter type has a bad format.");
    // Address formats.
    env.send_code("email", "alice", "CHANGE_PWD_EMS", &captcha)
        .await
        .assert_error(400, "SDK.COMMON.1002", "Parameter email has a bad format.");
    for bad in [
        "1590713285",
        "+86 15907132852",
        "86-15907132852",
        "abcdefghijk",
    ] {
        env.send_code("mobile", bad, "CHANGE_PWD_SMS", &captcha)
            .await
            .assert_error(400, "SDK.COMMON.1002", "Parameter mobile has a bad format.");
    }
    // Unknown captcha token; a solved captcha for another sender.
    env.send_code("email", EMAIL, "CHANGE_PWD_EMS", "nope---{}")
        .await
        .assert_error(400, "CAPTCHA.0004", "The captcha token is invalid.");
    env.send_code("email", "bob@example.com", "CHANGE_PWD_EMS", &captcha)
        .await
        .assert_error(400, "CAPTCHA.0004", "The captcha token is invalid.");
    let h = with_header(device_headers(CLIENT), "X-L", Some("zh"));
    env.post_to(
        "/api/v2/sdk/email/send",
        &h,
        json!({ "email": EMAIL, "type": "CHANGE_PWD_EMS", "captcha_token": "x" }),
    )
    .await
    .assert_error(400, "CAPTCHA.0004", "图形验证码凭证无效。");
    // No user with that address (or with that number and country code).
    let stranger = env.captcha_token("carol@example.com").await;
    env.send_code("email", "carol@example.com", "CHANGE_PWD_EMS", &stranger)
        .await
        .assert_error(400, "SDK.COMMON.1013", "The user does not exist.");
    let wrong_cc = env.captcha_token("+1-15907132852").await;
    env.send_code("mobile", "+1-15907132852", "CHANGE_PWD_SMS", &wrong_cc)
        .await
        .assert_error(400, "SDK.COMMON.1013", "The user does not exist.");
    assert!(env.emulator().outbox().is_empty());
    // None of that used up the captcha token.
    let reply = env
        .send_code("email", EMAIL, "CHANGE_PWD_EMS", &captcha)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // Headers first.
    let h = with_header(device_headers(CLIENT), "X-device-fingerprint", Some(""));
    env.post_to("/api/v2/sdk/sms/send", &h, json!({}))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter X-device-fingerprint cannot be left blank.",
        );
}

#[tokio::test]
async fn captcha_tokens_expire() {
    let env = start().await;
    let captcha = env.captcha_token(MOBILE).await;
    env.emulator().advance_clock(Duration::from_secs(299));
    let fresh = env.captcha_token(MOBILE).await;
    env.emulator().advance_clock(Duration::from_secs(1));
    env.send_code("mobile", MOBILE, "CHANGE_PWD_SMS", &captcha)
        .await
        .assert_error(400, "CAPTCHA.0003", "The captcha token has expired.");
    assert_eq!(
        env.send_code("mobile", MOBILE, "CHANGE_PWD_SMS", &fresh)
            .await
            .status,
        200
    );
}

fn code_body(code: &str, password: &str) -> serde_json::Value {
    json!({ "verify_code": code, "new_password": password })
}

#[tokio::test]
async fn the_whole_sms_flow_from_a_real_login() {
    let env = start().await;
    let token = env
        .state_token(PasswordExpiry::Expired, "PASSWORD_EXPIRED")
        .await;
    let mobile = env
        .get_with("/api/v2/sdk/mobile-by-token", &headers(CLIENT, &token))
        .await;
    assert_eq!(mobile.body, json!({ "mobile": MOBILE }));
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let reply = env
        .post_to(
            BY_MOBILE,
            &headers(CLIENT, &token),
            code_body(&code, NEW_PASSWORD),
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
    assert_eq!(jwt_claims(&reply.str("id_token"))["mobile"], MOBILE);
    assert!(env.password_is(NEW_PASSWORD));
    // The password is fresh again: the next login signs in.
    assert_eq!(
        env.login_http(USER, NEW_PASSWORD).await.body["status"],
        "SUCCESS"
    );
    // The state token is used up.
    env.post_to(
        BY_MOBILE,
        &headers(CLIENT, &token),
        code_body(&code, "An0ther-Passw0rd"),
    )
    .await
    .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
}

#[tokio::test]
async fn update_by_email_takes_real_login_tokens() {
    let env = start().await;
    let token = env
        .state_token(PasswordExpiry::Expiring, "PASSWORD_WARN")
        .await;
    let code = env.code_by("email", "CHANGE_PWD_EMS").await;
    let reply = env.change(&token, &code, NEW_PASSWORD).await;
    reply.ok();
    assert!(env.password_is(NEW_PASSWORD));
    // An MFA token is refused.
    env.emulator().set_mfa(USER, true).expect("alice");
    let login = env.login_http(USER, NEW_PASSWORD).await;
    assert_eq!(login.body["status"], "MFA_AUTH", "{login:?}");
    let token = login.str("state_token");
    let code = env.code_by("email", "CHANGE_PWD_EMS").await;
    env.change(&token, &code, "An0ther-Passw0rd")
        .await
        .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    assert!(env.password_is(NEW_PASSWORD));
}

#[tokio::test]
async fn codes_are_per_type() {
    let env = start().await;
    let token = env
        .state_token(PasswordExpiry::Expired, "PASSWORD_EXPIRED")
        .await;
    let email_code = env.code_by("email", "CHANGE_PWD_EMS").await;
    let sms_code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let h = headers(CLIENT, &token);
    // The e-mail code does not change the password by mobile (unless the two are equal).
    if email_code != sms_code {
        env.post_to(BY_MOBILE, &h, code_body(&email_code, NEW_PASSWORD))
            .await
            .assert_error(
                400,
                "SDK.SMS.1005",
                "The SMS verification code is incorrect.",
            );
    }
    // A new SMS code replaces the old one, and leaves the e-mail code alone.
    let newer = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    if newer != sms_code {
        env.post_to(BY_MOBILE, &h, code_body(&sms_code, NEW_PASSWORD))
            .await
            .assert_error(
                400,
                "SDK.SMS.1005",
                "The SMS verification code is incorrect.",
            );
    }
    let hz = with_header(h.clone(), "X-L", Some("zh"));
    let wrong = if newer == "000000" {
        "111111"
    } else {
        "000000"
    };
    env.post_to(BY_MOBILE, &hz, code_body(wrong, NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.SMS.1005", "短信验证码错误。");
    env.assert_unchanged();
    let reply = env.change(&token, &email_code, NEW_PASSWORD).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn sms_code_expiry_and_attempt_limit() {
    let env = start().await;
    let token = env
        .state_token(PasswordExpiry::Expired, "PASSWORD_EXPIRED")
        .await;
    let h = headers(CLIENT, &token);
    // No SMS code sent yet.
    env.post_to(BY_MOBILE, &h, code_body("123456", NEW_PASSWORD))
        .await
        .assert_error(
            400,
            "SDK.SMS.1005",
            "The SMS verification code is incorrect.",
        );
    // Five wrong attempts burn the SMS code, not the e-mail code.
    let email_code = env.code_by("email", "CHANGE_PWD_EMS").await;
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        env.post_to(BY_MOBILE, &h, code_body(wrong, NEW_PASSWORD))
            .await
            .assert_error(
                400,
                "SDK.SMS.1005",
                "The SMS verification code is incorrect.",
            );
    }
    env.post_to(BY_MOBILE, &h, code_body(&code, NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.COMMON.1005", "verify_code has expired.");
    // A new SMS code works again, until it expires (5 minutes).
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    env.emulator().advance_clock(Duration::from_secs(300));
    env.post_to(BY_MOBILE, &h, code_body(&code, NEW_PASSWORD))
        .await
        .assert_error(400, "SDK.COMMON.1005", "verify_code has expired.");
    // The e-mail code has expired too by now; the state token (10 minutes) has not.
    env.change(&token, &email_code, NEW_PASSWORD)
        .await
        .assert_error(400, "SDK.COMMON.1005", "verify_code has expired.");
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let reply = env
        .post_to(BY_MOBILE, &h, code_body(&code, NEW_PASSWORD))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn update_by_mobile_request_errors() {
    let env = start().await;
    let token = env
        .state_token(PasswordExpiry::Expired, "PASSWORD_EXPIRED")
        .await;
    let code = env.code_by("mobile", "CHANGE_PWD_SMS").await;
    let h = headers(CLIENT, &token);
    env.post_to(
        BY_MOBILE,
        &with_header(h.clone(), "X-state-token", None),
        code_body(&code, NEW_PASSWORD),
    )
    .await
    .assert_error(
        400,
        "SDK.COMMON.1001",
        "Parameter X-state-token cannot be left blank.",
    );
    env.post_to(BY_MOBILE, &h, json!({ "new_password": NEW_PASSWORD }))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1001",
            "Parameter verify_code cannot be left blank.",
        );
    env.post_to(
        BY_MOBILE,
        &headers(CLIENT, "forged"),
        code_body(&code, NEW_PASSWORD),
    )
    .await
    .assert_error(400, "SDK.COMMON.1006", "X-state-token parameter error.");
    env.post_to(BY_MOBILE, &h, code_body(&code, "weak"))
        .await
        .assert_error(
            400,
            "SDK.COMMON.1002",
            "Parameter new_password has a bad format: it must be 8 to 18 characters long.",
        );
    env.assert_unchanged();
    let reply = env
        .post_to(BY_MOBILE, &h, code_body(&code, NEW_PASSWORD))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}
