//! One command per call, through the built binary, against an in-process emulator: a
//! success and an error each; API errors on stderr carry code and status, never a secret.

mod common;

use std::path::PathBuf;

use common::{
    EMAIL, Fixture, MOBILE, NEW_PASSWORD, OLD_PASSWORD, USER, assert_no_secrets, eiam,
    one_json_object, run_with_stdin, text,
};
use eiam_emulator::PasswordExpiry;
use serde_json::{Map, Value};

/// Runs `fx.eiam(args)` with `input` on stdin: (exit code, stdout, stderr).
fn run(fx: &Fixture, args: &[&str], input: &str) -> (Option<i32>, String, String) {
    let out = run_with_stdin(fx.eiam(args), input);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Runs a JSON command that must succeed: its one object.
#[track_caller]
fn ok_json(fx: &Fixture, args: &[&str], input: &str) -> Map<String, Value> {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(fx, &all, input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    one_json_object(&stdout)
}

/// Runs a JSON command that the service must refuse with `error_code`: the stderr text.
#[track_caller]
fn api_error(fx: &Fixture, args: &[&str], input: &str, error_code: &str) -> String {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(fx, &all, input);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["kind"], "api", "{stderr}");
    assert_eq!(body["error"]["code"], error_code, "{stderr}");
    assert_eq!(body["error"]["status"], 400, "{stderr}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    stderr
}

/// A solved captcha for `sender`: its captcha_token.
fn captcha_token(fx: &Fixture, sender: &str) -> String {
    let captcha = ok_json(fx, &["captcha", "get"], "");
    let token = captcha["token"].as_str().expect("token").to_owned();
    let x = fx.captcha_x(&token).to_string();
    let verified = ok_json(
        fx,
        &[
            "captcha", "verify", "--token", &token, "--x", &x, "--sender", sender,
        ],
        "",
    );
    verified["captcha_token"]
        .as_str()
        .expect("captcha_token")
        .to_owned()
}

// --- login ---------------------------------------------------------------------------

#[test]
fn login_prints_the_session_of_a_fresh_password() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Fresh);
    let (code, stdout, stderr) = run(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(stdout.starts_with("status:        SUCCESS\n"), "{stdout}");
    assert!(stdout.contains("expire:        604800\n"), "{stdout}");
    assert!(stdout.contains("id_token:      eyJ"), "{stdout}");

    let session = ok_json(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    let mut keys: Vec<&str> = session.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["expire", "id_token", "session_token", "status"]);
}

#[test]
fn login_prints_the_state_token_and_policy_of_an_expired_password() {
    let fx = Fixture::start();
    let answer = ok_json(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert_eq!(answer["status"], "PASSWORD_EXPIRED");
    assert!(
        answer["state_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 16)
    );
    assert_eq!(answer["policy"]["minLength"], 8);
    assert_eq!(answer["policy"]["maxLength"], 18);
    assert!(answer["policy"]["regEx"].as_str().is_some());

    // Text: the same, and a hint on stderr.
    fx.set_expiry(PasswordExpiry::Expiring);
    let (code, stdout, stderr) = run(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("status:        PASSWORD_WARN\n"),
        "{stdout}"
    );
    assert!(stdout.contains("state_token:   "), "{stdout}");
    assert!(
        stdout.contains("policy:        8 to 18 characters"),
        "{stdout}"
    );
    assert!(stderr.contains("eiam pwd skip"), "{stderr}");
    assert_no_secrets(&stderr, &[OLD_PASSWORD]);
}

#[test]
fn login_with_a_wrong_password_is_refused_without_the_password() {
    let fx = Fixture::start();
    let stderr = api_error(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        "Wr0ng-Passw0rd!\n",
        "LOGIN.0002",
    );
    assert_no_secrets(&stderr, &["Wr0ng-Passw0rd!", OLD_PASSWORD]);
}

#[test]
fn login_other_outcomes() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Fresh);
    fx.emulator().set_mfa(USER, true).expect("mfa");
    let answer = ok_json(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert_eq!(answer["status"], "MFA_AUTH");
    assert!(answer["state_token"].as_str().is_some());

    fx.emulator().set_mfa(USER, false).expect("no mfa");
    fx.emulator()
        .set_access_denied(USER, true)
        .expect("access denied");
    let (code, stdout, stderr) = run(
        &fx,
        &[
            "--output",
            "json",
            "login",
            "--user",
            USER,
            "--password-stdin",
        ],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty());
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["kind"], "not_signed_in");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ACCESS_DENIED"))
    );
}

#[test]
fn login_without_a_terminal_needs_password_stdin() {
    let fx = Fixture::start();
    let (code, _, stderr) = run(&fx, &["login", "--user", USER], "");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--password-stdin"), "{stderr}");
    // And there is no flag for it.
    let (code, _, _) = run(&fx, &["login", "--user", USER, "--password", "x"], "");
    assert_eq!(code, Some(2));
}

// --- captcha -------------------------------------------------------------------------

#[test]
fn captcha_get_prints_the_token_and_saves_the_images() {
    let fx = Fixture::start();
    let dir = std::env::temp_dir().join(format!("eiam-cli-captcha-{}", std::process::id()));
    let dir_text = dir.display().to_string();
    let answer = ok_json(&fx, &["captcha", "get", "--save-images", &dir_text], "");
    let token = answer["token"].as_str().expect("token");
    assert!(fx.emulator().captcha_answer(token).is_some());
    for name in ["background", "jigsaw"] {
        let path = PathBuf::from(answer["saved"][name].as_str().expect("saved path"));
        assert!(path.starts_with(&dir), "{path:?}");
        let bytes = std::fs::read(&path).expect("written");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{path:?}");
        assert_eq!(answer[&format!("{name}_png_bytes")], bytes.len());
    }
    let _ = std::fs::remove_dir_all(&dir);

    // Text: the token line.
    let (code, stdout, stderr) = run(&fx, &["captcha", "get"], "");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("token:      "), "{stdout}");
}

#[test]
fn captcha_get_with_an_unknown_client_is_refused() {
    let fx = Fixture::start();
    let mut cmd = fx.eiam(&["--output", "json", "captcha", "get"]);
    cmd.args(["--client-id", "someone-else"]);
    let out = run_with_stdin(cmd, "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let body = one_json_object(&stderr);
    assert_eq!(body["error"]["code"], "SDK.COMMON.1012");
    assert_eq!(body["error"]["status"], 400);
}

#[test]
fn captcha_verify_prints_the_captcha_token() {
    let fx = Fixture::start();
    let captcha = ok_json(&fx, &["captcha", "get"], "");
    let token = captcha["token"].as_str().expect("token");
    let x = fx.captcha_x(token).to_string();
    let (code, stdout, stderr) = run(
        &fx,
        &[
            "captcha", "verify", "--token", token, "--x", &x, "--sender", EMAIL,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{stderr}");
    let captcha_token = stdout.trim();
    assert!(
        captcha_token.starts_with(&format!("{token}---{{\"x\":")),
        "{stdout}"
    );
}

#[test]
fn captcha_verify_with_a_wrong_x_is_refused() {
    let fx = Fixture::start();
    let captcha = ok_json(&fx, &["captcha", "get"], "");
    let token = captcha["token"].as_str().expect("token");
    let wrong = (fx.captcha_x(token) + 50.0).to_string();
    api_error(
        &fx,
        &[
            "captcha", "verify", "--token", token, "--x", &wrong, "--sender", EMAIL,
        ],
        "",
        "CAPTCHA.0002",
    );
    // Used up: even the right answer is refused now.
    let right = fx.captcha_x(token).to_string();
    let (code, _, stderr) = run(
        &fx,
        &[
            "captcha", "verify", "--token", token, "--x", &right, "--sender", EMAIL,
        ],
        "",
    );
    assert_eq!(code, Some(1), "{stderr}");
}

// --- code send -------------------------------------------------------------------------

#[test]
fn code_send_by_email_and_by_sms() {
    let fx = Fixture::start();
    let token = captcha_token(&fx, EMAIL);
    let (code, stdout, stderr) = run(
        &fx,
        &["code", "send", "--email", EMAIL, "--captcha-token", &token],
        "",
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        format!("sent a CHANGE_PWD_EMS code by e-mail to {EMAIL}")
    );
    let last = fx.emulator().outbox().pop().expect("a message");
    assert_eq!(
        (last.channel.as_str(), last.to.as_str(), last.kind.as_str()),
        ("email", EMAIL, "CHANGE_PWD_EMS")
    );

    let token = captcha_token(&fx, MOBILE);
    let answer = ok_json(
        &fx,
        &[
            "code",
            "send",
            "--mobile",
            MOBILE,
            "--captcha-token",
            &token,
        ],
        "",
    );
    assert_eq!(answer["sent"], true);
    assert_eq!(answer["channel"], "sms");
    assert_eq!(answer["type"], "CHANGE_PWD_SMS");
    let last = fx.emulator().outbox().pop().expect("a message");
    assert_eq!(
        (last.channel.as_str(), last.to.as_str(), last.kind.as_str()),
        ("sms", MOBILE, "CHANGE_PWD_SMS")
    );
}

#[test]
fn code_send_with_a_used_captcha_token_is_refused() {
    let fx = Fixture::start();
    let token = captcha_token(&fx, EMAIL);
    let args = ["code", "send", "--email", EMAIL, "--captcha-token", &token];
    ok_json(&fx, &args, "");
    let stderr = api_error(&fx, &args, "", "CAPTCHA.0004");
    assert_no_secrets(&stderr, &[&token]);
}

#[test]
fn code_send_checks_type_and_channel_before_sending() {
    let fx = Fixture::start();
    let (code, _, stderr) = run(
        &fx,
        &[
            "code",
            "send",
            "--email",
            EMAIL,
            "--type",
            "CHANGE_PWD_SMS",
            "--captcha-token",
            "t",
        ],
        "",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--mobile"), "{stderr}");
    let (code, _, _) = run(
        &fx,
        &[
            "code",
            "send",
            "--email",
            EMAIL,
            "--mobile",
            MOBILE,
            "--captcha-token",
            "t",
        ],
        "",
    );
    assert_eq!(code, Some(2));
    let (code, _, _) = run(&fx, &["code", "send", "--captcha-token", "t"], "");
    assert_eq!(code, Some(2));
    assert!(fx.emulator().outbox().is_empty());
}

// --- pwd mobile ------------------------------------------------------------------------

#[test]
fn pwd_mobile_prints_the_number() {
    let fx = Fixture::start();
    let state_token = fx.state_token();
    let (code, stdout, stderr) = run(&fx, &["pwd", "mobile", "--state-token", &state_token], "");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, format!("{MOBILE}\n"));
    let answer = ok_json(&fx, &["pwd", "mobile", "--state-token", &state_token], "");
    assert_eq!(answer["mobile"], MOBILE);
}

#[test]
fn pwd_mobile_with_an_unknown_state_token_is_refused() {
    let fx = Fixture::start();
    let stderr = api_error(
        &fx,
        &["pwd", "mobile", "--state-token", "not-a-state-token"],
        "",
        "SDK.COMMON.1006",
    );
    assert_no_secrets(&stderr, &["not-a-state-token"]);
}

// --- pwd update ------------------------------------------------------------------------

#[test]
fn pwd_update_changes_the_password_with_the_old_one() {
    let fx = Fixture::start();
    let state_token = fx.state_token();
    let session = ok_json(
        &fx,
        &[
            "pwd",
            "update",
            "--state-token",
            &state_token,
            "--passwords-stdin",
        ],
        &format!("{OLD_PASSWORD}\n{NEW_PASSWORD}\n"),
    );
    assert_eq!(session["status"], "SUCCESS");
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn pwd_update_with_a_wrong_old_password_is_refused() {
    let fx = Fixture::start();
    let state_token = fx.state_token();
    let args = [
        "pwd",
        "update",
        "--state-token",
        &state_token,
        "--passwords-stdin",
    ];
    let stderr = api_error(
        &fx,
        &args,
        &format!("Wr0ng-Passw0rd!\n{NEW_PASSWORD}\n"),
        "SDK.COMMON.1006",
    );
    assert_no_secrets(&stderr, &["Wr0ng-Passw0rd!", NEW_PASSWORD, &state_token]);
    assert!(fx.password_is(OLD_PASSWORD));

    // One line only: nothing is sent.
    let (code, _, stderr) = run(&fx, &args, &format!("{OLD_PASSWORD}\n"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the new password (line 2)"), "{stderr}");
    assert_no_secrets(&stderr, &[OLD_PASSWORD]);
    // Without the flag and a terminal: a usage error.
    let (code, _, stderr) = run(&fx, &["pwd", "update", "--state-token", &state_token], "");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--passwords-stdin"), "{stderr}");
}

// --- pwd update-by-mobile --------------------------------------------------------------

/// A CHANGE_PWD_SMS code sent to alice's mobile: (state token, code).
fn sms_code(fx: &Fixture) -> (String, String) {
    let state_token = fx.state_token();
    let token = captcha_token(fx, MOBILE);
    ok_json(
        fx,
        &[
            "code",
            "send",
            "--mobile",
            MOBILE,
            "--captcha-token",
            &token,
        ],
        "",
    );
    let code = fx.emulator().latest_code(MOBILE).expect("an SMS code");
    (state_token, code)
}

#[test]
fn pwd_update_by_mobile_changes_the_password() {
    let fx = Fixture::start();
    let (state_token, code) = sms_code(&fx);
    let session = ok_json(
        &fx,
        &[
            "pwd",
            "update-by-mobile",
            "--state-token",
            &state_token,
            "--verify-code",
            &code,
            "--new-password-stdin",
        ],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(session["status"], "SUCCESS");
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn pwd_update_by_mobile_with_a_wrong_code_is_refused() {
    let fx = Fixture::start();
    let (state_token, code) = sms_code(&fx);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let stderr = api_error(
        &fx,
        &[
            "pwd",
            "update-by-mobile",
            "--state-token",
            &state_token,
            "--verify-code",
            wrong,
            "--new-password-stdin",
        ],
        &format!("{NEW_PASSWORD}\n"),
        "SDK.SMS.1005",
    );
    assert_no_secrets(&stderr, &[NEW_PASSWORD, wrong, &code, &state_token]);
    assert!(fx.password_is(OLD_PASSWORD));
}

// --- pwd skip --------------------------------------------------------------------------

#[test]
fn pwd_skip_keeps_an_expiring_password() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Expiring);
    let state_token = fx.state_token();
    let (code, stdout, stderr) = run(&fx, &["pwd", "skip", "--state-token", &state_token], "");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("status:        SUCCESS\n"), "{stdout}");
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn pwd_skip_of_an_expired_password_is_refused() {
    let fx = Fixture::start();
    let state_token = fx.state_token();
    let stderr = api_error(
        &fx,
        &["pwd", "skip", "--state-token", &state_token],
        "",
        "SDK.COMMON.1006",
    );
    assert!(stderr.contains("must be changed"), "{stderr}");
    assert_no_secrets(&stderr, &[&state_token]);
}

// --- token refresh ---------------------------------------------------------------------

#[test]
fn token_refresh_gives_a_new_id_token() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Fresh);
    let session = ok_json(
        &fx,
        &["login", "--user", USER, "--password-stdin"],
        &format!("{OLD_PASSWORD}\n"),
    );
    let session_token = session["session_token"].as_str().expect("session_token");
    let refreshed = ok_json(
        &fx,
        &["token", "refresh", "--session-token-stdin"],
        &format!("{session_token}\n"),
    );
    assert_eq!(refreshed["status"], "SUCCESS");
    assert_eq!(refreshed["session_token"], session_token);
    let id_token = refreshed["id_token"].as_str().expect("id_token");
    assert!(id_token.starts_with("eyJ"));
    assert_ne!(Some(id_token), session["id_token"].as_str());
}

#[test]
fn token_refresh_of_an_unknown_session_is_refused() {
    let fx = Fixture::start();
    let bogus = "NoSuchSessionToken0123456789abcd";
    let stderr = api_error(
        &fx,
        &["token", "refresh", "--session-token-stdin"],
        &format!("{bogus}\n"),
        "SDK.COMMON.1005",
    );
    assert_no_secrets(&stderr, &[bogus]);
    // Never a flag; without a terminal the token must come from stdin.
    let (code, _, stderr) = run(&fx, &["token", "refresh"], "");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--session-token-stdin"), "{stderr}");
    let (code, _, _) = run(&fx, &["token", "refresh", "--session-token", bogus], "");
    assert_eq!(code, Some(2));
}

#[test]
fn every_command_is_in_the_help() {
    let out = eiam().arg("--help").output().expect("eiam --help");
    let help = text(&out.stdout);
    for command in [
        "login", "captcha", "code", "pwd", "token", "emulator", "demo",
    ] {
        assert!(help.contains(command), "{help}");
    }
    let out = eiam().args(["pwd", "--help"]).output().expect("help");
    let help = text(&out.stdout);
    for command in [
        "mobile",
        "update",
        "update-by-email",
        "update-by-mobile",
        "skip",
    ] {
        assert!(help.contains(command), "{help}");
    }
}
