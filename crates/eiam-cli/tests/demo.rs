//! `eiam demo --via X`, through the built binary, for every path, as text and as JSON.

mod common;

use std::time::{Duration, Instant};

use common::{eiam, one_json_object, text};
use serde_json::{Map, Value};

const PATHS: [&str; 4] = ["email", "sms", "old-password", "skip"];

/// The number of steps of each path.
fn steps_of(via: &str) -> usize {
    match via {
        "email" => 12,
        "sms" => 13,
        _ => 8,
    }
}

/// Runs `eiam [extra] demo --via via`; asserts exit 0 and an empty stderr.
#[track_caller]
fn demo(extra: &[&str], via: &str) -> String {
    let started = Instant::now();
    let out = eiam()
        .args(extra)
        .args(["demo", "--via", via])
        .output()
        .expect("run eiam demo");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "--via {via}\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    stdout
}

#[test]
fn every_path_passes_as_text() {
    for via in PATHS {
        let stdout = demo(&[], via);
        let n = steps_of(via);
        for expected in [
            format!("eiam demo --via {via}: "),
            format!("[1/{n}] emulator listening on http://127.0.0.1:"),
            format!("[{n}/{n}] the same "),
            "verified the id_token's signature and claims".to_owned(),
            "sub            \"demo.user\"".to_owned(),
            "aud            \"emulator-client\"".to_owned(),
            "POST /api/v2/sdk/sso/session-token/id-token: a new id_token, verified too".to_owned(),
            "SDK.COMMON.1005 (HTTP 400)".to_owned(),
            format!("demo passed: all {n} steps (--via {via})"),
        ] {
            assert!(stdout.contains(&expected), "no {expected:?} in:\n{stdout}");
        }
        let path_lines: &[&str] = match via {
            "email" => &[
                "answered PASSWORD_EXPIRED",
                "GET /_emulator/captcha/{token}",
                "POST /api/v2/sdk/captcha/verify for demo.user@example.com",
                "POST /api/v2/sdk/email/send: a CHANGE_PWD_EMS code",
                "changed the password with the e-mail code: signed in",
                "logged in with the new password: SUCCESS",
            ],
            "sms" => &[
                "answered PASSWORD_EXPIRED",
                "GET /api/v2/sdk/mobile-by-token",
                "mobile         +86-15900000000",
                "POST /api/v2/sdk/sms/send: a CHANGE_PWD_SMS code to +86-15900000000",
                "changed the password with the SMS code: signed in",
                "logged in with the new password: SUCCESS",
            ],
            "old-password" => &[
                "answered PASSWORD_EXPIRED",
                "call           POST /api/v2/sdk/pwd/update",
                "logged in with the new password: SUCCESS",
            ],
            _ => &[
                "answered PASSWORD_WARN",
                "call           GET /api/v2/sdk/pwd/skip-update",
                "logged in again with the same password: PASSWORD_WARN again",
                "the same skip with the used state token is refused",
            ],
        };
        for expected in path_lines {
            assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
        }
        // Tokens are shown shortened only; no password or code appears.
        let token_line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("session_token"))
            .expect("session_token line");
        assert!(token_line.ends_with('…'), "{token_line}");
        for secret in ["Expired#2024", "N3w-Passw0rd!", "An0ther-Passw0rd!"] {
            assert!(!stdout.contains(secret), "{secret} in:\n{stdout}");
        }
    }
}

/// The summary object of `eiam --output json demo --via via`.
fn summary(via: &str) -> Map<String, Value> {
    one_json_object(&demo(&["--output", "json"], via))
}

#[test]
fn every_path_passes_as_json() {
    for via in PATHS {
        let s = summary(via);
        assert_eq!(s["result"], "passed", "{via}");
        assert_eq!(s["via"], via);
        assert_eq!(
            s["steps"].as_array().map(Vec::len),
            Some(steps_of(via)),
            "{via}"
        );
        let expected_login = if via == "skip" {
            "PASSWORD_WARN"
        } else {
            "PASSWORD_EXPIRED"
        };
        assert_eq!(s["login"]["status"], expected_login);
        assert_eq!(s["login"]["policy"]["minLength"], 8);
        assert_eq!(s["session"]["status"], "SUCCESS");
        assert_eq!(s["session"]["expire"], 43200);
        assert!(
            s["session"]["session_token"]
                .as_str()
                .is_some_and(|t| t.ends_with('…') && t.chars().count() == 9)
        );
        let id_token = &s["id_token"];
        assert_eq!(id_token["verified"], true);
        assert_eq!(id_token["alg"], "RS256");
        let claims = &id_token["claims"];
        assert_eq!(claims["sub"], "demo.user");
        assert_eq!(claims["userName"], "demo.user");
        assert_eq!(claims["aud"], "emulator-client");
        assert_eq!(claims["email"], "demo.user@example.com");
        assert_eq!(claims["mobile"], "+86-15900000000");
        assert_eq!(claims["name"], "Demo User");
        let base_url = s["base_url"].as_str().expect("base_url");
        assert_eq!(claims["iss"], format!("{base_url}/api/v1/oauth2"));
        let relogin = if via == "skip" {
            "PASSWORD_WARN"
        } else {
            "SUCCESS"
        };
        assert_eq!(s["relogin"]["status"], relogin, "{via}");
        assert_eq!(s["refresh"]["id_token"]["verified"], true);
        assert_eq!(s["refresh"]["id_token"]["new"], true);
        assert_eq!(s["refresh"]["id_token"]["claims"]["sub"], "demo.user");
        assert_eq!(s["refresh"]["session_token_rotated"], false);
        assert_eq!(s["replay"]["refused"], true);
        assert_eq!(s["replay"]["code"], "SDK.COMMON.1005");
        assert_eq!(s["replay"]["status"], 400);
        match via {
            "email" | "sms" => {
                let (channel, kind, to) = if via == "email" {
                    ("email", "CHANGE_PWD_EMS", "demo.user@example.com")
                } else {
                    ("sms", "CHANGE_PWD_SMS", "+86-15900000000")
                };
                assert_eq!(s["code"]["channel"], channel);
                assert_eq!(s["code"]["type"], kind);
                assert_eq!(s["code"]["to"], to);
                assert_eq!(s["captcha"]["verified"], true);
                assert!(s["captcha"]["x"].as_f64().is_some());
            }
            _ => {
                assert!(s.get("code").is_none() && s.get("captcha").is_none());
            }
        }
        if via == "sms" {
            assert_eq!(s["mobile"], "+86-15900000000");
        }
    }
}

#[test]
fn the_default_path_is_email() {
    let s = one_json_object(&{
        let out = eiam()
            .args(["--output", "json", "demo"])
            .output()
            .expect("run eiam demo");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    });
    assert_eq!(s["via"], "email");
}

#[test]
fn an_unknown_path_is_a_usage_error() {
    let out = eiam()
        .args(["demo", "--via", "carrier-pigeon"])
        .output()
        .expect("run eiam demo");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for via in PATHS {
        assert!(stderr.contains(via), "{stderr}");
    }
}

#[test]
fn the_demo_ignores_the_connection_environment_and_honours_lang() {
    let out = eiam()
        .args(["--output", "json", "--lang", "zh", "demo", "--via", "sms"])
        .env("EIAM_BASE_URL", "https://tenant.example.invalid")
        .env("EIAM_CLIENT_ID", "someone-else")
        .output()
        .expect("run eiam demo");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = one_json_object(&text(&out.stdout));
    let message = summary["replay"]["message"].as_str().expect("message");
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{message}"
    );
}
