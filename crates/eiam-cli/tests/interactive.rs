//! The interactive `eiam login`, through the built binary with `--interactive`: every
//! answer is a line of stdin, written when the question has appeared on stderr.

mod common;

use common::{
    Dialogue, EMAIL, Fixture, MOBILE, NEW_PASSWORD, OLD_PASSWORD, USER, assert_no_secrets,
    captcha_token_in, last_line_json, one_json_object,
};
use eiam_emulator::PasswordExpiry;

/// `eiam [extra] login --user alice --interactive`, the password already answered.
fn start(fx: &Fixture, extra: &[&str]) -> Dialogue {
    let mut args = extra.to_vec();
    args.extend(["login", "--user", USER, "--interactive"]);
    let mut d = Dialogue::start(fx.eiam(&args));
    d.wait_for("Password: ");
    d.send(OLD_PASSWORD);
    d
}

/// Answers the captcha question with the right x (read from the emulator).
fn solve_captcha(fx: &Fixture, d: &mut Dialogue) {
    let seen = d.wait_for("x position of the piece: ");
    let x = fx.captcha_x(&captcha_token_in(&seen));
    d.send(&x.to_string());
}

/// Answers the two new-password questions.
fn new_password(d: &mut Dialogue, password: &str) {
    d.wait_for("New password: ");
    d.send(password);
    d.wait_for("Repeat the new password: ");
    d.send(password);
}

#[test]
fn email_with_a_policy_violation_then_a_good_password() {
    let fx = Fixture::start();
    let mut d = start(&fx, &[]);
    let seen = d.wait_for("How do you want to change it? ");
    assert!(seen.contains("Your password has expired"), "{seen}");
    assert!(
        seen.contains("Password policy: 8 to 18 characters"),
        "{seen}"
    );
    d.wait_for("[old-password/email/sms]: ");
    d.send("email");
    d.wait_for("E-mail address to send the code to: ");
    d.send(EMAIL);
    let seen = d.wait_for("x position of the piece: ");
    assert!(seen.contains("Fetched a slider captcha"), "{seen}");
    assert!(
        seen.contains(&format!("curl -s {}/_emulator/captcha/", fx.base_url())),
        "{seen}"
    );
    let x = fx.captcha_x(&captcha_token_in(&seen));
    d.send(&x.to_string());
    let seen = d.wait_for("Code from the e-mail: ");
    assert!(seen.contains("The captcha is solved"), "{seen}");
    assert!(seen.contains(&format!("e-mail to {EMAIL}")), "{seen}");
    let code = fx.emulator().latest_code(EMAIL).expect("an e-mailed code");
    d.send(&code);

    // Too short: refused before anything is sent, and asked again.
    new_password(&mut d, "Sh0rt!");
    let seen = d.wait_for("New password: ");
    assert!(
        seen.contains(
            "Not sent: the new password has 6 characters; the policy asks for at least 8"
        ),
        "{seen}"
    );
    // Not made of enough kinds of characters: the pattern.
    d.send("onlylowercase");
    d.wait_for("Repeat the new password: ");
    d.send("onlylowercase");
    let seen = d.wait_for("New password: ");
    assert!(
        seen.contains("does not match the policy's pattern"),
        "{seen}"
    );
    d.send(NEW_PASSWORD);
    d.wait_for("Repeat the new password: ");
    d.send(NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert!(
        end.stderr.contains("Password changed; signed in."),
        "{}",
        end.stderr
    );
    assert!(
        end.stdout.contains("status:        SUCCESS"),
        "{}",
        end.stdout
    );
    assert!(end.stdout.contains("session_token: "), "{}", end.stdout);
    assert!(fx.password_is(NEW_PASSWORD));
    assert_no_secrets(
        &end.stderr,
        &[OLD_PASSWORD, NEW_PASSWORD, "Sh0rt!", "onlylowercase", &code],
    );
}

#[test]
fn sms_shows_the_number_and_prints_json() {
    let fx = Fixture::start();
    let mut d = start(&fx, &["--output", "json"]);
    d.wait_for("[old-password/email/sms]: ");
    d.send("SMS");
    let seen = d.wait_for("x position of the piece: ");
    assert!(
        seen.contains(&format!("The code will be sent by SMS to {MOBILE}.")),
        "{seen}"
    );
    let x = fx.captcha_x(&captcha_token_in(&seen));
    d.send(&x.to_string());
    d.wait_for("Code from the SMS: ");
    let code = fx.emulator().latest_code(MOBILE).expect("a code by SMS");
    let kinds: Vec<String> = fx.emulator().outbox().into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("CHANGE_PWD_SMS"));
    d.send(&code);
    new_password(&mut d, NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    let session = one_json_object(&end.stdout);
    assert_eq!(session["status"], "SUCCESS");
    assert!(
        session["id_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("eyJ"))
    );
    assert!(fx.password_is(NEW_PASSWORD));
    assert_no_secrets(&end.stderr, &[OLD_PASSWORD, NEW_PASSWORD, &code]);
}

#[test]
fn old_password_uses_the_login_password() {
    let fx = Fixture::start();
    let mut d = start(&fx, &["--output", "json"]);
    d.wait_for("[old-password/email/sms]: ");
    d.send("old-password");
    let seen = d.wait_for("New password: ");
    assert!(seen.contains("used as the old password"), "{seen}");
    assert!(!seen.contains("captcha"), "{seen}");
    d.send(NEW_PASSWORD);
    d.wait_for("Repeat the new password: ");
    // Two different answers: asked again.
    d.send("N3w-Passw0rd?");
    let seen = d.wait_for("New password: ");
    assert!(seen.contains("The two passwords differ"), "{seen}");
    d.send(NEW_PASSWORD);
    d.wait_for("Repeat the new password: ");
    d.send(NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert_eq!(one_json_object(&end.stdout)["status"], "SUCCESS");
    assert!(fx.password_is(NEW_PASSWORD));
    assert_no_secrets(&end.stderr, &[OLD_PASSWORD, NEW_PASSWORD, "N3w-Passw0rd?"]);
}

#[test]
fn skip_is_offered_for_an_expiring_password() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Expiring);
    let mut d = start(&fx, &[]);
    let seen = d.wait_for("[old-password/email/sms/skip]: ");
    assert!(seen.contains("Your password is about to expire."), "{seen}");
    d.send("skip");
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert!(end.stderr.contains("Kept the password"), "{}", end.stderr);
    assert!(
        end.stdout.contains("status:        SUCCESS"),
        "{}",
        end.stdout
    );
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn skip_is_neither_offered_nor_accepted_for_an_expired_password() {
    let fx = Fixture::start();
    let mut d = start(&fx, &["--output", "json"]);
    let seen = d.wait_for("? [");
    let prompt = d.wait_for("]: ");
    assert_eq!(prompt, "old-password/email/sms]: ", "{seen}");
    d.send("skip");
    let seen = d.wait_for("How do you want to change it? [old-password/email/sms]: ");
    assert!(
        seen.contains(
            "skip is not possible: the password has expired and must be changed. \
             Choose old-password, email, sms."
        ),
        "{seen}"
    );
    d.send("skip");
    d.wait_for("[old-password/email/sms]: ");
    d.send("skip");
    let end = d.finish();
    assert_eq!(end.code, Some(1), "{}", end.stderr);
    assert!(end.stdout.is_empty(), "{}", end.stdout);
    let error = last_line_json(&end.stderr);
    assert_eq!(error["error"]["kind"], "invalid_input");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no valid choice")),
        "{}",
        end.stderr
    );
    assert_eq!(end.stderr.matches("skip is not possible").count(), 3);
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn the_end_of_input_stops_the_walk_without_a_change() {
    let fx = Fixture::start();
    let mut d = start(&fx, &[]);
    d.wait_for("[old-password/email/sms]: ");
    d.send("skip");
    d.wait_for("skip is not possible");
    let end = d.finish();
    assert_eq!(end.code, Some(1), "{}", end.stderr);
    let last = end.stderr.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("error: no answer for the choice (end of input)"),
        "{}",
        end.stderr
    );
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn a_wrong_code_is_an_api_error_without_secrets() {
    let fx = Fixture::start();
    let mut d = start(&fx, &["--output", "json"]);
    d.wait_for("[old-password/email/sms]: ");
    d.send("email");
    d.wait_for("E-mail address to send the code to: ");
    d.send(EMAIL);
    solve_captcha(&fx, &mut d);
    d.wait_for("Code from the e-mail: ");
    let code = fx.emulator().latest_code(EMAIL).expect("an e-mailed code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    d.send(wrong);
    new_password(&mut d, NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(1), "{}", end.stderr);
    assert!(end.stdout.is_empty(), "{}", end.stdout);
    let error = last_line_json(&end.stderr);
    assert_eq!(error["error"]["kind"], "api");
    assert_eq!(error["error"]["code"], "SDK.SMS.1006");
    assert_eq!(error["error"]["status"], 400);
    assert_no_secrets(&end.stderr, &[OLD_PASSWORD, NEW_PASSWORD, wrong, &code]);
    assert!(fx.password_is(OLD_PASSWORD));
}

#[test]
fn a_wrong_captcha_answer_gets_a_new_captcha() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Expiring);
    let mut d = start(&fx, &[]);
    d.wait_for("[old-password/email/sms/skip]: ");
    d.send("email");
    d.wait_for("E-mail address to send the code to: ");
    d.send(EMAIL);
    let seen = d.wait_for("x position of the piece: ");
    let first = captcha_token_in(&seen);
    let x = fx.captcha_x(&first);
    // Far from the answer (the emulator allows 5 pixels), and not a number first.
    d.send("left");
    d.wait_for("That is not a number of pixels");
    d.wait_for("x position of the piece: ");
    d.send(&(x + 100.0).to_string());
    let seen = d.wait_for("x position of the piece: ");
    assert!(seen.contains("here is a new captcha"), "{seen}");
    let second = captcha_token_in(&seen);
    assert_ne!(first, second);
    d.send(&fx.captcha_x(&second).to_string());
    d.wait_for("Code from the e-mail: ");
    let code = fx.emulator().latest_code(EMAIL).expect("an e-mailed code");
    d.send(&code);
    new_password(&mut d, NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert!(fx.password_is(NEW_PASSWORD));
}

#[test]
fn a_password_refused_by_the_service_is_asked_again() {
    // The current password passes the client-side policy check, but the service refuses
    // it (it must differ from the current one).
    let fx = Fixture::start();
    let mut d = start(&fx, &[]);
    d.wait_for("[old-password/email/sms]: ");
    d.send("old-password");
    new_password(&mut d, OLD_PASSWORD);
    let seen = d.wait_for("New password: ");
    assert!(
        seen.contains("The service refused the new password"),
        "{seen}"
    );
    d.send(NEW_PASSWORD);
    d.wait_for("Repeat the new password: ");
    d.send(NEW_PASSWORD);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert!(fx.password_is(NEW_PASSWORD));
    assert_no_secrets(&end.stderr, &[OLD_PASSWORD, NEW_PASSWORD]);
}

#[test]
fn a_signed_in_user_gets_the_session_without_questions() {
    let fx = Fixture::start();
    fx.set_expiry(PasswordExpiry::Fresh);
    let d = start(&fx, &["--output", "json"]);
    let end = d.finish();
    assert_eq!(end.code, Some(0), "{}", end.stderr);
    assert_eq!(one_json_object(&end.stdout)["status"], "SUCCESS");
    assert_eq!(end.stderr.trim(), "Password:", "{}", end.stderr);
}
