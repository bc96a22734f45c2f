//! `eiam pwd update-by-email`, through the built binary, against an in-process emulator.

mod common;

use common::{
    CLIENT_ID, Fixture, NEW_PASSWORD, OLD_PASSWORD, assert_no_secrets, eiam, one_json_object,
    run_with_stdin, text,
};
use serde_json::Value;

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn success_prints_the_session_as_text() {
    let fx = Fixture::start();
    let login = fx.login();
    let out = run_with_stdin(
        fx.update(&[], &login.state_token, &login.code),
        &format!("{NEW_PASSWORD}\n"),
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_owned()
    };
    assert_eq!(field("status"), "SUCCESS");
    assert_eq!(field("expire"), "43200");
    assert_eq!(field("session_token").len(), 32, "{stdout}");
    assert_eq!(field("id_token").split('.').count(), 3, "{stdout}");
    assert!(fx.password_is(NEW_PASSWORD));
    assert!(!fx.password_is(OLD_PASSWORD));
}

#[test]
fn json_success_then_the_used_token_is_refused() {
    let fx = Fixture::start();
    let login = fx.login();
    let out = run_with_stdin(
        fx.update(&["--output", "json"], &login.state_token, &login.code),
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let session = one_json_object(&text(&out.stdout));
    let mut keys: Vec<&str> = session.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["expire", "id_token", "session_token", "status"]);
    assert_eq!(session["status"], "SUCCESS");
    assert_eq!(session["expire"], 43200);
    assert!(
        session["session_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        session["id_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("eyJ"))
    );
    assert!(fx.password_is(NEW_PASSWORD));
    assert!(!fx.password_is(OLD_PASSWORD));

    // The same call again: the state token is used up.
    let again = run_with_stdin(
        fx.update(&["--output", "json"], &login.state_token, &login.code),
        "An0ther-Passw0rd!\n",
    );
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(again.stdout.is_empty(), "{}", text(&again.stdout));
    let body = one_json_object(&stderr);
    let error = body["error"].as_object().expect("error object");
    assert_eq!(error["kind"], "api");
    assert_eq!(error["code"], "SDK.COMMON.1005");
    assert_eq!(error["status"], 400);
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_no_secrets(
        &stderr,
        &[
            NEW_PASSWORD,
            "An0ther-Passw0rd!",
            &login.code,
            &login.state_token,
        ],
    );
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn a_wrong_code_is_refused_with_sdk_sms_1006() {
    let fx = Fixture::start();
    let login = fx.login();
    let wrong = if login.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let out = run_with_stdin(
        fx.update(&[], &login.state_token, wrong),
        &format!("{NEW_PASSWORD}\n"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.starts_with("error: SDK.SMS.1006 (HTTP 400): "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_no_secrets(
        &stderr,
        &[NEW_PASSWORD, wrong, &login.code, &login.state_token],
    );
    assert!(fx.password_is(OLD_PASSWORD));

    // JSON variant.
    let out = run_with_stdin(
        fx.update(&["--output", "json"], &login.state_token, wrong),
        &format!("{NEW_PASSWORD}\n"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["code"], "SDK.SMS.1006");
    assert_eq!(body["error"]["status"], 400);
    assert_no_secrets(
        &stderr,
        &[NEW_PASSWORD, wrong, &login.code, &login.state_token],
    );
}

#[test]
fn lang_zh_gives_chinese_messages() {
    let fx = Fixture::start();
    let login = fx.login();
    let out = run_with_stdin(
        fx.update(&["--lang", "zh"], &login.state_token, "not-the-code"),
        &format!("{NEW_PASSWORD}\n"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("SDK.SMS.1006"), "{stderr}");
    assert!(has_chinese(&stderr), "{stderr}");

    // English by default.
    let out = run_with_stdin(
        fx.update(&[], &login.state_token, "not-the-code"),
        &format!("{NEW_PASSWORD}\n"),
    );
    assert!(!has_chinese(&text(&out.stderr)), "{}", text(&out.stderr));

    // EIAM_LANG does the same; the flag wins over it.
    let mut cmd = fx.update(&[], &login.state_token, "not-the-code");
    cmd.env("EIAM_LANG", "zh");
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    assert!(has_chinese(&text(&out.stderr)), "{}", text(&out.stderr));
    let mut cmd = fx.update(&["--lang", "en"], &login.state_token, "not-the-code");
    cmd.env("EIAM_LANG", "fr");
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SDK.SMS.1006") && !has_chinese(&stderr),
        "{stderr}"
    );
}

#[test]
fn environment_variables_work_like_flags() {
    let fx = Fixture::start();
    let login = fx.login();
    let mut cmd = eiam();
    cmd.env("EIAM_BASE_URL", fx.base_url())
        .env("EIAM_CLIENT_ID", CLIENT_ID)
        .env("EIAM_OS_VERSION", "t")
        .env("EIAM_DEVICE_FINGERPRINT", "f")
        .env("EIAM_DEVICE_IP", "127.0.0.1")
        .env("EIAM_AGENT", "a")
        .env("EIAM_LANG", "en")
        .env("EIAM_TENANT_ID", "tenant-1")
        .args([
            "--allow-http-loopback",
            "--output",
            "json",
            "pwd",
            "update-by-email",
            "--state-token",
            &login.state_token,
            "--verify-code",
            &login.code,
            "--new-password-stdin",
        ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let session = one_json_object(&text(&out.stdout));
    assert_eq!(session["status"], "SUCCESS");
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn flags_win_over_environment_variables() {
    let fx = Fixture::start();
    let login = fx.login();
    let mut cmd = fx.update(&[], &login.state_token, &login.code);
    cmd.env("EIAM_CLIENT_ID", "some-other-client")
        .env("EIAM_BASE_URL", "https://tenant.example.invalid");
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn a_missing_client_id_is_a_usage_error_naming_the_variable() {
    let fx = Fixture::start();
    let login = fx.login();
    let mut cmd = eiam();
    cmd.args([
        "--base-url",
        &fx.base_url(),
        "--allow-http-loopback",
        "--os-version",
        "t",
        "--device-fingerprint",
        "f",
        "--agent",
        "a",
        "pwd",
        "update-by-email",
        "--state-token",
        &login.state_token,
        "--verify-code",
        &login.code,
        "--new-password-stdin",
    ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("EIAM_CLIENT_ID"), "{stderr}");
    assert!(stderr.contains("--client-id"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_no_secrets(&stderr, &[NEW_PASSWORD, &login.code, &login.state_token]);
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn config_errors_in_json() {
    let out = run_with_stdin(
        {
            let mut cmd = eiam();
            cmd.args([
                "--output",
                "json",
                "pwd",
                "update-by-email",
                "--state-token",
                "st",
                "--verify-code",
                "123456",
                "--new-password-stdin",
            ]);
            cmd
        },
        "N3w-Passw0rd!\n",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["kind"], "config");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("EIAM_BASE_URL")),
        "{stderr}"
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let mut cmd = eiam();
    cmd.args([
        "--base-url",
        "http://example.com",
        "--allow-http-loopback",
        "--client-id",
        CLIENT_ID,
        "--os-version",
        "t",
        "--device-fingerprint",
        "f",
        "--agent",
        "a",
        "pwd",
        "update-by-email",
        "--state-token",
        "st",
        "--verify-code",
        "123456",
        "--new-password-stdin",
    ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("https"), "{stderr}");
    assert!(stderr.contains("http://example.com"), "{stderr}");
    assert_no_secrets(&stderr, &[NEW_PASSWORD, "123456"]);
}

#[test]
fn plain_http_to_loopback_needs_the_flag() {
    let fx = Fixture::start();
    let login = fx.login();
    let mut cmd = eiam();
    cmd.args([
        "--base-url",
        &fx.base_url(),
        "--client-id",
        CLIENT_ID,
        "--os-version",
        "t",
        "--device-fingerprint",
        "f",
        "--agent",
        "a",
        "pwd",
        "update-by-email",
        "--state-token",
        &login.state_token,
        "--verify-code",
        &login.code,
        "--new-password-stdin",
    ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-http-loopback"), "{stderr}");
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn an_empty_password_on_stdin_sends_nothing() {
    let fx = Fixture::start();
    let login = fx.login();
    for input in ["", "\n", "\r\n"] {
        for format in ["text", "json"] {
            let out = run_with_stdin(
                fx.update(&["--output", format], &login.state_token, &login.code),
                input,
            );
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(out.stdout.is_empty());
            assert!(stderr.contains("empty"), "{stderr}");
            if format == "json" {
                assert_eq!(one_json_object(&stderr)["error"]["kind"], "invalid_input");
            }
            assert_no_secrets(&stderr, &[&login.code, &login.state_token]);
        }
    }
    assert!(fx.password_is(OLD_PASSWORD));
    // Nothing was sent: the state token and the code still work.
    let out = run_with_stdin(
        fx.update(&[], &login.state_token, &login.code),
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn only_the_first_line_of_stdin_is_the_password() {
    let fx = Fixture::start();
    let login = fx.login();
    let out = run_with_stdin(
        fx.update(&[], &login.state_token, &login.code),
        &format!("{NEW_PASSWORD}\r\nsecond line\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn a_policy_violation_is_an_api_error_without_the_password() {
    let fx = Fixture::start();
    let login = fx.login();
    let weak = "short1";
    let out = run_with_stdin(
        fx.update(&["--output", "json"], &login.state_token, &login.code),
        &format!("{weak}\n"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["kind"], "api");
    assert_eq!(body["error"]["code"], "SDK.COMMON.1002");
    assert_no_secrets(&stderr, &[weak, &login.code, &login.state_token]);
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn without_a_terminal_the_password_must_come_from_stdin() {
    let fx = Fixture::start();
    let login = fx.login();
    let mut cmd = fx.eiam(&[]);
    cmd.args([
        "pwd",
        "update-by-email",
        "--state-token",
        &login.state_token,
        "--verify-code",
        &login.code,
    ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--new-password-stdin"), "{stderr}");
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn an_unreachable_service_is_a_transport_error() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut cmd = eiam();
    cmd.args([
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "--allow-http-loopback",
        "--client-id",
        CLIENT_ID,
        "--os-version",
        "t",
        "--device-fingerprint",
        "f",
        "--agent",
        "a",
        "--timeout",
        "5",
        "--output",
        "json",
        "pwd",
        "update-by-email",
        "--state-token",
        "st",
        "--verify-code",
        "123456",
        "--new-password-stdin",
    ]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["kind"], "transport", "{stderr}");
    assert_eq!(body["error"].get("code"), None::<&Value>);
    assert_no_secrets(&stderr, &[NEW_PASSWORD, "123456"]);
}

#[test]
fn the_password_cannot_be_given_as_a_flag() {
    let out = run_with_stdin(
        {
            let mut cmd = eiam();
            cmd.args([
                "pwd",
                "update-by-email",
                "--state-token",
                "st",
                "--verify-code",
                "1",
                "--new-password",
                "N3w-Passw0rd!",
            ]);
            cmd
        },
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}
