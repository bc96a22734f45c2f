//! `eiam demo`, through the built binary.

mod common;

use std::time::{Duration, Instant};

use common::{eiam, one_json_object, text};

#[test]
fn the_demo_shows_the_session_and_the_verified_claims() {
    let started = Instant::now();
    let out = eiam().arg("demo").output().expect("run eiam demo");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    for expected in [
        "[1/8]",
        "status         SUCCESS",
        "expire         43200 s",
        "session_token",
        "verified the id_token's signature and claims",
        "sub            \"demo.user\"",
        "email          \"demo.user@example.com\"",
        "aud            \"emulator-client\"",
        "/api/v1/oauth2\"",
        "no longer matches",
        "SDK.COMMON.1005 (HTTP 400)",
        "demo passed",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    // Tokens are shown shortened only.
    let token_line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("session_token"))
        .expect("session_token line");
    assert!(token_line.ends_with('…'), "{token_line}");
    assert!(!stdout.contains("Expired#2024") && !stdout.contains("N3w-Passw0rd!"));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn the_json_demo_prints_one_summary_object() {
    let out = eiam()
        .args(["--output", "json", "demo"])
        .output()
        .expect("run eiam demo");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let summary = one_json_object(&text(&out.stdout));
    assert_eq!(summary["result"], "passed");
    assert_eq!(summary["session"]["status"], "SUCCESS");
    assert_eq!(summary["session"]["expire"], 43200);
    assert!(
        summary["session"]["session_token"]
            .as_str()
            .is_some_and(|t| t.ends_with('…') && t.chars().count() == 9)
    );
    let id_token = &summary["id_token"];
    assert_eq!(id_token["verified"], true);
    assert_eq!(id_token["alg"], "RS256");
    let claims = &id_token["claims"];
    assert_eq!(claims["sub"], "demo.user");
    assert_eq!(claims["userName"], "demo.user");
    assert_eq!(claims["aud"], "emulator-client");
    assert_eq!(claims["email"], "demo.user@example.com");
    assert_eq!(claims["mobile"], "+86-15900000000");
    assert_eq!(claims["name"], "Demo User");
    let base_url = summary["base_url"].as_str().expect("base_url");
    assert_eq!(claims["iss"], format!("{base_url}/api/v1/oauth2"));
    assert!(claims["exp"].as_i64().is_some_and(|e| e > 0));
    assert_eq!(summary["passwords"]["new_stored"], true);
    assert_eq!(summary["passwords"]["old_accepted"], false);
    assert_eq!(summary["replay"]["refused"], true);
    assert_eq!(summary["replay"]["code"], "SDK.COMMON.1005");
    assert_eq!(summary["replay"]["status"], 400);
    assert_eq!(summary["steps"].as_array().map(Vec::len), Some(8));
}

#[test]
fn the_demo_ignores_the_connection_environment_and_honours_lang() {
    let out = eiam()
        .args(["--output", "json", "--lang", "zh", "demo"])
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
