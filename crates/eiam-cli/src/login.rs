//! `eiam login`: the outcome printed, or (interactive) the password change walked through.

use std::io::Write;

use eiam::{
    CaptchaToken, Client, ErrorCode, ExpiredPassword, ExpiringPassword, ExposeSecret, LoginOutcome,
    Password, PasswordChange, Session, VerifyCode,
};
use serde_json::{Value, json};

use crate::args::{GlobalArgs, LoginArgs, OutputFormat, Via};
use crate::input::{Dialogue, secret_from_prompt, secret_from_stdin};
use crate::output::{self, Failure};
use crate::pwd::{print_session, write_failure};
use crate::{Io, client_from};

/// How many times a question is asked before giving up.
const ATTEMPTS: usize = 3;

/// `eiam login`.
pub(crate) async fn login(
    global: &GlobalArgs,
    args: LoginArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    let terminal = io.prompt.is_some();
    let interactive = args.interactive || (terminal && !args.no_interactive);
    let password = if args.password_stdin {
        secret_from_stdin(&mut io.stdin, "the password")?
    } else if interactive && !terminal {
        // --interactive without a terminal: every answer is a line of stdin.
        let password = Dialogue { io }.ask_secret("Password: ", "the password")?;
        if password.is_empty() {
            return Err(Failure::invalid_input(
                "the password is empty; nothing was sent",
            ));
        }
        password
    } else {
        secret_from_prompt(io, "Password: ", "the password", "--password-stdin")?
    };
    let password = Password::new(password);
    tracing::info!(base_url = client.base_url(), "signing in");
    let outcome = client
        .login(&args.user, &password)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    if !interactive {
        return print_outcome(outcome, global.output, io);
    }
    let pending = match outcome {
        LoginOutcome::PasswordExpiring(p) => Pending::Expiring(p),
        LoginOutcome::PasswordExpired(p) => Pending::Expired(p),
        other => return print_outcome(other, global.output, io),
    };
    let session = Walk {
        dialogue: Dialogue { io },
        client: &client,
    }
    .run(&pending, &password)
    .await?;
    print_session(&session, global.output, io)
}

/// Prints a login's outcome on stdout (and, as text, a hint on stderr of what comes next).
fn print_outcome(
    outcome: LoginOutcome,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let (status, state_token, change) = match &outcome {
        LoginOutcome::SignedIn(session) => return print_session(session, format, io),
        LoginOutcome::AccessDenied => {
            return Err(Failure::other(
                "not_signed_in",
                "the service answered ACCESS_DENIED: this user may not sign in to this application",
            ));
        }
        LoginOutcome::PasswordExpiring(p) => ("PASSWORD_WARN", Some(p.state_token()), Some(&**p)),
        LoginOutcome::PasswordExpired(p) => ("PASSWORD_EXPIRED", Some(p.state_token()), Some(&**p)),
        LoginOutcome::SecondFactorRequired(f) => ("MFA_AUTH", Some(f.state_token()), None),
        LoginOutcome::Unknown {
            status,
            state_token,
        } => (status.as_str(), state_token.as_ref(), None),
        _ => {
            return Err(Failure::other(
                "unexpected_response",
                "the login answered an outcome this version of eiam does not know",
            ));
        }
    };
    let state_token = state_token.map(ExposeSecret::expose_secret);
    let written = match format {
        OutputFormat::Json => {
            let mut object = json!({ "status": status, "state_token": state_token });
            if let (Some(change), Some(map)) = (change, object.as_object_mut()) {
                map.insert("policy".into(), policy_json(change));
                if let Some(e) = change.policy_error() {
                    map.insert("policy_error".into(), json!(output::error_chain(e)));
                }
            }
            output::write_json(&mut io.stdout, &object)
        }
        OutputFormat::Text => {
            let out = &mut io.stdout;
            let mut text = format!("status:        {status}\n");
            text.push_str(&format!(
                "state_token:   {}\n",
                state_token.unwrap_or("(none)")
            ));
            if let Some(change) = change {
                text.push_str(&format!("policy:        {}\n", policy_text(change)));
            }
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
    };
    written.map_err(write_failure)?;
    if format == OutputFormat::Text
        && let Some(hint) = next_steps(status)
    {
        let _ = writeln!(io.stderr, "{hint}");
        let _ = io.stderr.flush();
    }
    Ok(())
}

/// The policy as the login sent it (`data`), or `null`.
fn policy_json(change: &PasswordChange) -> Value {
    change
        .policy()
        .map_or(Value::Null, |p| Value::Object(p.raw().clone()))
}

/// The policy in one line.
fn policy_text(change: &PasswordChange) -> String {
    match (change.policy(), change.policy_error()) {
        (Some(policy), _) => policy.to_string(),
        (None, Some(e)) => format!("(not usable: {})", output::error_chain(e)),
        (None, None) => "(none sent)".to_owned(),
    }
}

/// What to do with the state token of a status.
fn next_steps(status: &str) -> Option<&'static str> {
    match status {
        "PASSWORD_EXPIRED" => Some(
            "the password has expired; change it with the state token: eiam pwd update \
             (old password), or eiam captcha get / captcha verify / code send, then \
             eiam pwd update-by-email or update-by-mobile (or run eiam login on a terminal)",
        ),
        "PASSWORD_WARN" => Some(
            "the password is about to expire; keep it with eiam pwd skip, or change it with the \
             state token: eiam pwd update (old password), or eiam captcha get / captcha verify / \
             code send, then eiam pwd update-by-email or update-by-mobile (or run eiam login on \
             a terminal)",
        ),
        "MFA_AUTH" => Some(
            "a second factor is needed, which this version of eiam does not cover; \
             eiam pwd mobile shows the number for an SMS factor",
        ),
        _ => None,
    }
}

/// A password that must or may be changed.
enum Pending {
    /// `PASSWORD_WARN`: change or skip.
    Expiring(ExpiringPassword),
    /// `PASSWORD_EXPIRED`: change.
    Expired(ExpiredPassword),
}

impl Pending {
    fn change(&self) -> &PasswordChange {
        match self {
            Pending::Expiring(p) => p,
            Pending::Expired(p) => p,
        }
    }

    /// The ways offered, in the order shown.
    fn choices(&self) -> &'static [Via] {
        match self {
            Pending::Expiring(_) => &[Via::OldPassword, Via::Email, Via::Sms, Via::Skip],
            Pending::Expired(_) => &[Via::OldPassword, Via::Email, Via::Sms],
        }
    }
}

/// How the password is proven when it is changed.
enum Proof {
    Old(Password),
    Email(VerifyCode),
    Sms(VerifyCode),
}

/// The interactive walk through a password change.
struct Walk<'a, 'd, 'io> {
    dialogue: Dialogue<'d, 'io>,
    client: &'a Client,
}

impl Walk<'_, '_, '_> {
    async fn run(
        mut self,
        pending: &Pending,
        login_password: &Password,
    ) -> Result<Session, Failure> {
        let change = pending.change();
        let d = &mut self.dialogue;
        d.say(match pending {
            Pending::Expiring(_) => "Your password is about to expire.",
            Pending::Expired(_) => "Your password has expired and must be changed.",
        });
        d.say(&format!("Password policy: {}", policy_text(change)));
        let via = self.choose(pending)?;
        let proof = match via {
            Via::Skip => {
                let Pending::Expiring(expiring) = pending else {
                    return Err(Failure::invalid_input("an expired password cannot be kept"));
                };
                let session = expiring.skip().await.map_err(|e| Failure::from_call(&e))?;
                self.dialogue.say("Kept the password for now; signed in.");
                return Ok(session);
            }
            Via::OldPassword => {
                self.dialogue
                    .say("The password you signed in with is used as the old password.");
                Proof::Old(login_password.clone())
            }
            Via::Email => {
                let address = self
                    .ask_non_empty("E-mail address to send the code to: ", "the e-mail address")?;
                let captcha = self.solve_captcha(&address).await?;
                change
                    .send_email_code(&address, &captcha)
                    .await
                    .map_err(|e| Failure::from_call(&e))?;
                self.dialogue.say(&format!(
                    "Sent a CHANGE_PWD_EMS code by e-mail to {address}."
                ));
                Proof::Email(VerifyCode::new(self.ask_code("Code from the e-mail: ")?))
            }
            Via::Sms => {
                let mobile = change.mobile().await.map_err(|e| Failure::from_call(&e))?;
                self.dialogue
                    .say(&format!("The code will be sent by SMS to {mobile}."));
                let captcha = self.solve_captcha(&mobile).await?;
                change
                    .send_sms_code(&mobile, &captcha)
                    .await
                    .map_err(|e| Failure::from_call(&e))?;
                self.dialogue
                    .say(&format!("Sent a CHANGE_PWD_SMS code by SMS to {mobile}."));
                Proof::Sms(VerifyCode::new(self.ask_code("Code from the SMS: ")?))
            }
        };
        let mut refused = 0;
        loop {
            let new_password = self.ask_new_password(change)?;
            let result = match &proof {
                Proof::Old(old) => change.change_with_old_password(old, &new_password).await,
                Proof::Email(code) => change.change_with_email_code(code, &new_password).await,
                Proof::Sms(code) => change.change_with_sms_code(code, &new_password).await,
            };
            match result {
                Ok(session) => {
                    self.dialogue.say("Password changed; signed in.");
                    return Ok(session);
                }
                // The service judges the password by rules the policy does not state (the
                // previous passwords...): another password may pass.
                Err(e)
                    if e.code() == Some(&ErrorCode::ParameterFormat) && refused + 1 < ATTEMPTS =>
                {
                    refused += 1;
                    let reason = e.api().map_or_else(String::new, |api| api.message.clone());
                    self.dialogue.say(&format!(
                        "The service refused the new password: {reason} Choose another one."
                    ));
                }
                Err(e) => return Err(Failure::from_call(&e)),
            }
        }
    }

    /// Asks which way to go; `skip` is only accepted (and only offered) for an expiring
    /// password.
    fn choose(&mut self, pending: &Pending) -> Result<Via, Failure> {
        let choices = pending.choices();
        let names: Vec<&str> = choices.iter().map(|v| v.as_str()).collect();
        let question = match pending {
            Pending::Expiring(_) => "Change it now, or keep it for now (skip)?",
            Pending::Expired(_) => "How do you want to change it?",
        };
        for _ in 0..ATTEMPTS {
            let answer = self
                .dialogue
                .ask(&format!("{question} [{}]: ", names.join("/")), "the choice")?
                .to_ascii_lowercase();
            if let Some(via) = choices.iter().find(|v| v.as_str() == answer) {
                return Ok(*via);
            }
            if answer == Via::Skip.as_str() {
                self.dialogue.say(&format!(
                    "skip is not possible: the password has expired and must be changed. \
                     Choose {}.",
                    names.join(", ")
                ));
            } else {
                self.dialogue.say(&format!(
                    "Not one of the choices; type {}.",
                    names.join(", ")
                ));
            }
        }
        Err(Failure::invalid_input(format!(
            "no valid choice after {ATTEMPTS} answers (choices: {}); the password was not changed",
            names.join(", ")
        )))
    }

    /// A non-empty plain answer.
    fn ask_non_empty(&mut self, question: &str, what: &str) -> Result<String, Failure> {
        for _ in 0..ATTEMPTS {
            let answer = self.dialogue.ask(question, what)?;
            if !answer.is_empty() {
                return Ok(answer);
            }
            self.dialogue.say("An answer is needed.");
        }
        Err(Failure::invalid_input(format!(
            "no answer for {what} after {ATTEMPTS} attempts; the password was not changed"
        )))
    }

    /// The verification code, without echo.
    fn ask_code(&mut self, question: &str) -> Result<String, Failure> {
        for _ in 0..ATTEMPTS {
            let code = self.dialogue.ask_secret(question, "the code")?;
            let code = code.trim();
            if !code.is_empty() {
                return Ok(code.to_owned());
            }
            self.dialogue.say("The code cannot be empty.");
        }
        Err(Failure::invalid_input(format!(
            "no code after {ATTEMPTS} attempts; the password was not changed"
        )))
    }

    /// Gets a captcha, asks where the piece goes, verifies it for `sender`; a wrong answer
    /// gets a new captcha.
    async fn solve_captcha(&mut self, sender: &str) -> Result<CaptchaToken, Failure> {
        let base_url = self.client.base_url().trim_end_matches('/').to_owned();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let captcha = self
                .client
                .captcha()
                .await
                .map_err(|e| Failure::from_call(&e))?;
            let token = captcha.token().to_owned();
            let d = &mut self.dialogue;
            d.say(&format!(
                "Fetched a slider captcha (token {token}). With the real service you would \
                 slide the jigsaw piece into place in a browser (eiam captcha get --save-images \
                 DIR saves the images); here, type the x position of the piece, in pixels."
            ));
            d.say(&format!(
                "Hint: on the eiam emulator the answer can be read with: \
                 curl -s {base_url}/_emulator/captcha/{token}"
            ));
            let x = self.ask_x()?;
            match self.client.verify_captcha(&captcha, x, sender).await {
                Ok(token) => {
                    self.dialogue.say("The captcha is solved.");
                    return Ok(token);
                }
                Err(e) if e.code() == Some(&ErrorCode::CaptchaWrong) && attempt < ATTEMPTS => {
                    self.dialogue
                        .say("That is not where the piece goes; here is a new captcha.");
                }
                Err(e) => return Err(Failure::from_call(&e)),
            }
        }
    }

    /// The x position: a finite number.
    fn ask_x(&mut self) -> Result<f64, Failure> {
        for _ in 0..ATTEMPTS {
            let answer = self
                .dialogue
                .ask("x position of the piece: ", "the x position")?;
            match answer.parse::<f64>() {
                Ok(x) if x.is_finite() => return Ok(x),
                _ => self
                    .dialogue
                    .say("That is not a number of pixels (e.g. 237 or 237.5)."),
            }
        }
        Err(Failure::invalid_input(format!(
            "no x position after {ATTEMPTS} attempts; the password was not changed"
        )))
    }

    /// The new password, twice without echo, until it passes the policy's pre-check.
    fn ask_new_password(&mut self, change: &PasswordChange) -> Result<Password, Failure> {
        for _ in 0..ATTEMPTS {
            let d = &mut self.dialogue;
            let first = d.ask_secret("New password: ", "the new password")?;
            if first.is_empty() {
                d.say("The new password cannot be empty.");
                continue;
            }
            let second = d.ask_secret("Repeat the new password: ", "the new password")?;
            if first != second {
                d.say("The two passwords differ; try again.");
                continue;
            }
            let password = Password::new(first);
            match change.check_new_password(&password) {
                Ok(()) => return Ok(password),
                Err(eiam::Error::PasswordPolicy(rule)) => {
                    d.say(&format!("Not sent: {rule}. Try again."));
                }
                Err(e) => return Err(Failure::from_call(&e)),
            }
        }
        Err(Failure::invalid_input(format!(
            "no acceptable new password after {ATTEMPTS} attempts; the password was not changed"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_waiting_status_has_a_hint() {
        for status in ["PASSWORD_EXPIRED", "PASSWORD_WARN", "MFA_AUTH"] {
            assert!(next_steps(status).is_some(), "{status}");
        }
        assert!(next_steps("PASSWORD_EXPIRED").is_some_and(|h| !h.contains("skip")));
        assert!(next_steps("SUCCESS").is_none());
    }
}
