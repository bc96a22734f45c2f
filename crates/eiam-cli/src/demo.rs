//! `eiam demo --via email|sms|old-password|skip`: one path of the password-expiry flow end
//! to end, against an in-process emulator, through the public [`eiam::Client`].
//!
//! Everything an application does goes through [`eiam::Client`] and the flow types it
//! returns. What a person would do (solve the captcha, read the e-mail or SMS) is done
//! through the emulator's admin API over HTTP, with a plain `reqwest` client, as any client
//! of the emulator would. The connection flags (`--base-url`, `--client-id`...) are not
//! used: the demo talks to its own emulator. `--lang`, `--timeout` and `--output` apply.

use std::fmt::Display;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use eiam::{
    CaptchaToken, Client, Device, Error, ErrorCode, ExposeSecret, LoginOutcome, Password,
    PasswordChange, Session, VerifyCode,
};
use eiam_emulator::{
    DEFAULT_CLIENT_ID, Emulator, EmulatorConfig, EmulatorError, NewUser, PasswordExpiry,
    RunningEmulator,
};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::args::{GlobalArgs, OutputFormat, Via};
use crate::output::{self, Failure, shorten};
use crate::{Io, timeout_of};

/// The demo user's login name.
pub(crate) const USER_NAME: &str = "demo.user";
/// The demo user's password, expired (or about to expire, for `--via skip`).
pub(crate) const OLD_PASSWORD: &str = "Expired#2024";
/// The demo user's e-mail address.
pub(crate) const EMAIL: &str = "demo.user@example.com";
/// The demo user's mobile number.
pub(crate) const MOBILE: &str = "+86-15900000000";
/// The demo user's display name.
pub(crate) const NAME: &str = "Demo User";
/// The password the demo sets.
const NEW_PASSWORD: &str = "N3w-Passw0rd!";
/// The password of the replayed call (valid, so that only the state token can refuse it).
const REPLAY_PASSWORD: &str = "An0ther-Passw0rd!";

/// The demo user, without its expiry (see [`seed_demo_user`]).
fn demo_user() -> NewUser {
    NewUser {
        user_name: USER_NAME.into(),
        password: OLD_PASSWORD.into(),
        email: EMAIL.into(),
        mobile: MOBILE.into(),
        name: Some(NAME.into()),
    }
}

/// Adds the demo user with its password in the `expiry` state; returns its id.
pub(crate) fn seed_demo_user(
    emulator: &Emulator,
    expiry: PasswordExpiry,
) -> Result<String, EmulatorError> {
    let id = emulator.add_user(demo_user())?;
    emulator.set_expiry(USER_NAME, expiry)?;
    Ok(id)
}

/// The steps of a path, by name (as reported when one fails).
fn plan(via: Via) -> Vec<&'static str> {
    let mut steps = vec!["start the emulator", "seed the user", "log in"];
    match via {
        Via::Email | Via::Sms => {
            if via == Via::Sms {
                steps.push("look up the mobile number");
            }
            steps.extend([
                "get the captcha",
                "verify the captcha",
                "send the code",
                "read the code from the outbox",
                "change the password",
            ]);
        }
        Via::OldPassword => steps.push("change the password"),
        Via::Skip => steps.push("skip the change"),
    }
    steps.extend([
        "verify the id_token",
        "log in again",
        "refresh the id_token",
        "replay the used state token",
    ]);
    steps
}

/// What the demo shows of a path, in its first line.
fn title(via: Via) -> &'static str {
    match via {
        Via::Email => "an expired password changed with an e-mail code",
        Via::Sms => "an expired password changed with an SMS code",
        Via::OldPassword => "an expired password changed with the old password",
        Via::Skip => "a password about to expire, kept for now (skip)",
    }
}

/// Runs the demo; prints each step (text) or one summary object (json) on stdout.
pub(crate) async fn demo(global: &GlobalArgs, via: Via, io: &mut Io<'_>) -> Result<(), Failure> {
    let mut demo = Demo {
        io,
        format: global.output,
        via,
        plan: plan(via),
        steps: Vec::new(),
    };
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .map_err(|e| demo.fail("emulator", output::error_chain(&e)))?;
    let result = demo.run(global, &running).await;
    running.shutdown().await;
    let summary = result?;
    demo.finish(summary)
}

/// The demo's narration.
struct Demo<'a, 'io> {
    io: &'a mut Io<'io>,
    format: OutputFormat,
    via: Via,
    /// The names of the steps of this path.
    plan: Vec<&'static str>,
    /// The steps done, for the JSON summary.
    steps: Vec<String>,
}

/// One outbox message, as the admin API lists it.
#[derive(Deserialize)]
struct OutboxEntry {
    channel: String,
    to: String,
    #[serde(rename = "type")]
    kind: String,
    code: String,
}

/// The admin API's answer of a captcha.
#[derive(Deserialize)]
struct CaptchaAnswer {
    x: f64,
}

/// How the demo proves the user's identity for the change.
enum Proof {
    Old,
    Email(VerifyCode),
    Sms(VerifyCode),
}

impl Demo<'_, '_> {
    /// Prints a step (text) and records it.
    fn step(&mut self, summary: String, details: &[(&str, String)]) {
        let n = self.steps.len() + 1;
        if self.format == OutputFormat::Text {
            let total = self.plan.len();
            let out = &mut self.io.stdout;
            // The narration is best effort: the result is the exit status.
            let _ = writeln!(out, "[{n}/{total}] {summary}");
            for (label, value) in details {
                let _ = writeln!(out, "      {label:<14} {value}");
            }
            let _ = out.flush();
        }
        self.steps.push(summary);
    }

    /// `step 5/12 (change the password)`: the step under way.
    fn label(&self) -> String {
        let n = self.steps.len() + 1;
        let name = self.plan.get(self.steps.len()).copied().unwrap_or("?");
        format!("step {n}/{} ({name})", self.plan.len())
    }

    /// The step under way failed.
    fn fail(&self, kind: &'static str, message: impl Display) -> Failure {
        Failure::other(kind, message.to_string()).at_step(self.label())
    }

    /// A call of the step under way failed.
    fn call_failed(&self, e: &Error) -> Failure {
        Failure::from_call(e).at_step(self.label())
    }

    async fn run(
        &mut self,
        global: &GlobalArgs,
        running: &RunningEmulator,
    ) -> Result<Value, Failure> {
        let via = self.via;
        let base_url = running.base_url();
        let emulator = running.emulator();
        let timeout = timeout_of(global);
        if self.format == OutputFormat::Text {
            let _ = writeln!(
                self.io.stdout,
                "eiam demo --via {}: {}, against a local emulator",
                via.as_str(),
                title(via)
            );
        }
        let mut summary = Map::new();
        summary.insert("via".into(), json!(via.as_str()));
        summary.insert("base_url".into(), json!(base_url));
        summary.insert("client_id".into(), json!(DEFAULT_CLIENT_ID));

        // The emulator.
        self.step(
            format!("emulator listening on {base_url} (client id {DEFAULT_CLIENT_ID})"),
            &[],
        );

        // The user.
        let expiry = if via == Via::Skip {
            PasswordExpiry::Expiring
        } else {
            PasswordExpiry::Expired
        };
        let user_id = seed_demo_user(emulator, expiry)
            .map_err(|e| self.fail("emulator", output::error_chain(&e)))?;
        self.step(
            format!(
                "seeded user {USER_NAME} <{EMAIL}>, {MOBILE}, whose password {}",
                if via == Via::Skip {
                    "is about to expire"
                } else {
                    "has expired"
                }
            ),
            &[("id", user_id.clone())],
        );
        summary.insert(
            "user".into(),
            json!({ "id": user_id, "user_name": USER_NAME, "email": EMAIL, "mobile": MOBILE,
                    "name": NAME }),
        );

        // The login.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .map_err(|e| self.fail("transport", output::error_chain(&e)))?;
        let client = self.client(global, &base_url)?;
        let outcome = client
            .login(USER_NAME, &Password::new(OLD_PASSWORD))
            .await
            .map_err(|e| self.call_failed(&e))?;
        let (expiring, expired) = match outcome {
            LoginOutcome::PasswordExpiring(p) if via == Via::Skip => (Some(p), None),
            LoginOutcome::PasswordExpired(p) if via != Via::Skip => (None, Some(p)),
            other => {
                return Err(self.fail(
                    "demo",
                    format!("unexpected login outcome: {}", outcome_name(&other)),
                ));
            }
        };
        let change: &PasswordChange = match (&expiring, &expired) {
            (Some(p), _) => p,
            (_, Some(p)) => p,
            _ => return Err(self.fail("demo", "no login outcome")),
        };
        let status = if expiring.is_some() {
            "PASSWORD_WARN"
        } else {
            "PASSWORD_EXPIRED"
        };
        let policy = change
            .policy()
            .map_or_else(|| "(none)".to_owned(), ToString::to_string);
        self.step(
            format!("POST /api/v2/sdk/login answered {status} with a state token and the policy"),
            &[
                ("state_token", shorten(change.state_token().expose_secret())),
                ("policy", policy),
            ],
        );
        summary.insert(
            "login".into(),
            json!({
                "status": status,
                "state_token": shorten(change.state_token().expose_secret()),
                "policy": change.policy().map(|p| Value::Object(p.raw().clone())),
            }),
        );

        // The proof: nothing more, a code by e-mail or a code by SMS.
        let proof = match via {
            Via::Email => Proof::Email(
                self.send_and_read_code(&client, &http, &base_url, change, EMAIL, &mut summary)
                    .await?,
            ),
            Via::Sms => {
                let mobile = change.mobile().await.map_err(|e| self.call_failed(&e))?;
                self.step(
                    "GET /api/v2/sdk/mobile-by-token: the number to send the SMS to".to_owned(),
                    &[("mobile", mobile.clone())],
                );
                summary.insert("mobile".into(), json!(mobile));
                Proof::Sms(
                    self.send_and_read_code(
                        &client,
                        &http,
                        &base_url,
                        change,
                        &mobile,
                        &mut summary,
                    )
                    .await?,
                )
            }
            Via::OldPassword | Via::Skip => Proof::Old,
        };

        // The change, or the skip.
        let new_password = Password::new(NEW_PASSWORD);
        let session = match (&proof, &expiring) {
            (_, Some(expiring)) => expiring.skip().await,
            (Proof::Old, None) => {
                change
                    .change_with_old_password(&Password::new(OLD_PASSWORD), &new_password)
                    .await
            }
            (Proof::Email(code), None) => change.change_with_email_code(code, &new_password).await,
            (Proof::Sms(code), None) => change.change_with_sms_code(code, &new_password).await,
        }
        .map_err(|e| self.call_failed(&e))?;
        let (what, path) = match (&proof, via) {
            (_, Via::Skip) => ("kept the password", "GET /api/v2/sdk/pwd/skip-update"),
            (Proof::Old, _) => (
                "changed the password with the old one",
                "POST /api/v2/sdk/pwd/update",
            ),
            (Proof::Email(_), _) => (
                "changed the password with the e-mail code",
                "POST /api/v2/sdk/after-login/pwd/update-by-email",
            ),
            (Proof::Sms(_), _) => (
                "changed the password with the SMS code",
                "POST /api/v2/sdk/after-login/pwd/update-by-mobile",
            ),
        };
        let mut details = session_details(&session);
        details.insert(0, ("call", path.to_owned()));
        self.step(format!("{what}: signed in"), &details);
        summary.insert("session".into(), short_session_json(&session));

        // The id_token, verified against the JWKS.
        let id_token = session
            .id_token()
            .ok_or_else(|| self.fail("demo", "the session has no id_token"))?;
        let jwks_url = format!("{base_url}/api/v1/oauth2/jwks");
        let jwks: JwkSet = get_json(&http, &jwks_url)
            .await
            .map_err(|e| self.fail("transport", e))?;
        let issuer = format!("{base_url}/api/v1/oauth2");
        let verified = verify_id_token(id_token.expose_secret(), &jwks, &issuer, DEFAULT_CLIENT_ID)
            .map_err(|e| self.fail("demo", e))?;
        let now = unix_now();
        let claim_lines: Vec<(String, String)> = verified
            .claims
            .iter()
            .map(|(name, value)| (name.clone(), claim_text(name, value, now)))
            .collect();
        let mut details = vec![
            (
                "key",
                format!("RS256, kid {}, from GET /api/v1/oauth2/jwks", verified.kid),
            ),
            ("checked", "signature, iss, aud, exp, nbf, sub".to_owned()),
        ];
        details.extend(claim_lines.iter().map(|(n, v)| (n.as_str(), v.clone())));
        self.step(
            "verified the id_token's signature and claims".to_owned(),
            &details,
        );
        summary.insert(
            "id_token".into(),
            json!({
                "verified": true,
                "alg": "RS256",
                "kid": verified.kid,
                "jwks_url": jwks_url,
                "claims": Value::Object(verified.claims),
            }),
        );

        // A new login: with the new password it succeeds; after a skip the same password
        // is still about to expire.
        let password = if via == Via::Skip {
            OLD_PASSWORD
        } else {
            NEW_PASSWORD
        };
        let relogin = client
            .login(USER_NAME, &Password::new(password))
            .await
            .map_err(|e| self.call_failed(&e))?;
        let relogin_status = outcome_name(&relogin);
        let expected = if via == Via::Skip {
            // The emulator documents that only a change makes a password fresh again.
            "PASSWORD_WARN"
        } else {
            "SUCCESS"
        };
        if relogin_status != expected {
            return Err(self.fail(
                "demo",
                format!("the new login answered {relogin_status}, expected {expected}"),
            ));
        }
        let details = match &relogin {
            LoginOutcome::SignedIn(s) => session_details(s),
            _ => vec![("status", relogin_status.to_owned())],
        };
        let summary_line = if via == Via::Skip {
            "logged in again with the same password: PASSWORD_WARN again (a skip does not renew \
             the password; only a change does)"
        } else {
            "logged in with the new password: SUCCESS"
        };
        self.step(summary_line.to_owned(), &details);
        summary.insert("relogin".into(), json!({ "status": relogin_status }));

        // The id_token refresh, for the session of the change (or skip).
        let refreshed = client
            .refresh_id_token(session.session_token())
            .await
            .map_err(|e| self.call_failed(&e))?;
        let new_id_token = refreshed
            .id_token()
            .ok_or_else(|| self.fail("demo", "the refresh gave no id_token"))?;
        let verified_new = verify_id_token(
            new_id_token.expose_secret(),
            &jwks,
            &issuer,
            DEFAULT_CLIENT_ID,
        )
        .map_err(|e| self.fail("demo", e))?;
        let rotated =
            refreshed.session_token().expose_secret() != session.session_token().expose_secret();
        let jti = |claims: &Map<String, Value>| claims.get("jti").cloned().unwrap_or(Value::Null);
        self.step(
            "POST /api/v2/sdk/sso/session-token/id-token: a new id_token, verified too".to_owned(),
            &[
                ("id_token", shorten(new_id_token.expose_secret())),
                ("jti", jti(&verified_new.claims).to_string()),
                ("expire", format!("{} s", refreshed.expires_in().as_secs())),
                (
                    "session_token",
                    if rotated {
                        "rotated (keep the new one)".to_owned()
                    } else {
                        "unchanged".to_owned()
                    },
                ),
            ],
        );
        summary.insert(
            "refresh".into(),
            json!({
                "session_token_rotated": rotated,
                "expire": refreshed.expires_in().as_secs(),
                "id_token": {
                    "verified": true,
                    "kid": verified_new.kid,
                    "new": new_id_token.expose_secret() != id_token.expose_secret(),
                    "claims": Value::Object(verified_new.claims),
                },
            }),
        );

        // The used state token, refused.
        let replay_password = Password::new(REPLAY_PASSWORD);
        let replay = match (&proof, &expiring) {
            (_, Some(expiring)) => expiring.skip().await,
            (Proof::Old, None) => {
                change
                    .change_with_old_password(&new_password, &replay_password)
                    .await
            }
            (Proof::Email(code), None) => {
                change.change_with_email_code(code, &replay_password).await
            }
            (Proof::Sms(code), None) => change.change_with_sms_code(code, &replay_password).await,
        };
        let refusal = match replay {
            Ok(_) => {
                return Err(self.fail("demo", "the used state token was accepted a second time"));
            }
            Err(e) if e.code() == Some(&ErrorCode::Expired) => e,
            Err(e) => {
                let mut failure = self.call_failed(&e);
                failure.message = format!("expected SDK.COMMON.1005, got: {}", failure.message);
                return Err(failure);
            }
        };
        let api = refusal
            .api()
            .ok_or_else(|| self.fail("demo", "the refusal carries no service error"))?;
        self.step(
            format!(
                "the same {} with the used state token is refused",
                if via == Via::Skip { "skip" } else { "change" }
            ),
            &[(
                "answer",
                format!(
                    "{} (HTTP {}): {}",
                    api.code,
                    api.status.as_u16(),
                    api.message
                ),
            )],
        );
        summary.insert(
            "replay".into(),
            json!({
                "refused": true,
                "code": api.code.as_str(),
                "status": api.status.as_u16(),
                "message": api.message,
            }),
        );

        let mut result = Map::new();
        result.insert("result".into(), json!("passed"));
        result.extend(summary);
        Ok(Value::Object(result))
    }

    /// The client, configured for the emulator.
    fn client(&self, global: &GlobalArgs, base_url: &str) -> Result<Client, Failure> {
        let timeout = timeout_of(global);
        let mut builder = Client::builder()
            .base_url(base_url)
            .client_id(DEFAULT_CLIENT_ID)
            .device(Device {
                os_version: "eiam-demo".into(),
                fingerprint: "eiam-demo-device".into(),
                ip: Some("127.0.0.1".into()),
                agent: concat!("eiam-cli/", env!("CARGO_PKG_VERSION")).into(),
            })
            .timeout(timeout)
            .connect_timeout(timeout.min(eiam::DEFAULT_CONNECT_TIMEOUT))
            .allow_http_loopback(true);
        if let Some(lang) = global.lang {
            builder = builder.language(lang.into());
        }
        builder
            .build()
            .map_err(|e| self.fail("config", output::error_chain(&e)))
    }

    /// The captcha (its answer read from the admin API), the code send and the code read
    /// from the outbox: four steps.
    async fn send_and_read_code(
        &mut self,
        client: &Client,
        http: &reqwest::Client,
        base_url: &str,
        change: &PasswordChange,
        to: &str,
        summary: &mut Map<String, Value>,
    ) -> Result<VerifyCode, Failure> {
        let sms = self.via == Via::Sms;
        // The captcha; a person would slide the piece, the demo asks the emulator.
        let captcha = client.captcha().await.map_err(|e| self.call_failed(&e))?;
        let answer_url = format!("{base_url}/_emulator/captcha/{}", captcha.token());
        let answer: CaptchaAnswer = get_json(http, &answer_url)
            .await
            .map_err(|e| self.fail("transport", e))?;
        self.step(
            "GET /api/v2/sdk/captcha; the answer read from GET /_emulator/captcha/{token}"
                .to_owned(),
            &[
                ("token", captcha.token().to_owned()),
                ("x", format!("{}", answer.x)),
            ],
        );
        let captcha_token: CaptchaToken = client
            .verify_captcha(&captcha, answer.x, to)
            .await
            .map_err(|e| self.call_failed(&e))?;
        self.step(
            format!("POST /api/v2/sdk/captcha/verify for {to}: a captcha_token for one send"),
            &[("captcha_token", shorten(captcha_token.expose_secret()))],
        );
        summary.insert(
            "captcha".into(),
            json!({ "token": captcha.token(), "x": answer.x, "verified": true }),
        );

        // The send.
        let (kind, channel, path) = if sms {
            ("CHANGE_PWD_SMS", "sms", "POST /api/v2/sdk/sms/send")
        } else {
            ("CHANGE_PWD_EMS", "email", "POST /api/v2/sdk/email/send")
        };
        let sent = if sms {
            change.send_sms_code(to, &captcha_token).await
        } else {
            change.send_email_code(to, &captcha_token).await
        };
        sent.map_err(|e| self.call_failed(&e))?;
        self.step(format!("{path}: a {kind} code to {to}"), &[]);

        // The code, from the outbox over HTTP.
        let outbox: Vec<OutboxEntry> = get_json(http, &format!("{base_url}/_emulator/outbox"))
            .await
            .map_err(|e| self.fail("transport", e))?;
        let code = outbox
            .into_iter()
            .rev()
            .find(|m| m.kind == kind && m.channel == channel)
            .ok_or_else(|| self.fail("demo", format!("no {kind} code in the outbox")))?;
        self.step(
            "read the code from the outbox (GET /_emulator/outbox)".to_owned(),
            &[
                ("to", code.to.clone()),
                ("code", format!("{} digits", code.code.chars().count())),
            ],
        );
        summary.insert(
            "code".into(),
            json!({ "channel": channel, "type": kind, "to": code.to }),
        );
        Ok(VerifyCode::new(code.code))
    }

    /// Ends the demo: the last line (text) or the summary object (json).
    fn finish(self, mut summary: Value) -> Result<(), Failure> {
        let written = match self.format {
            OutputFormat::Text => writeln!(
                self.io.stdout,
                "demo passed: all {} steps (--via {})",
                self.steps.len(),
                self.via.as_str()
            )
            .and_then(|()| self.io.stdout.flush()),
            OutputFormat::Json => {
                if let Some(object) = summary.as_object_mut() {
                    object.insert("steps".into(), json!(self.steps));
                }
                output::write_json(&mut self.io.stdout, &summary)
            }
        };
        written.map_err(|e| Failure::other("io", format!("cannot write the result: {e}")))
    }
}

/// The status a login outcome stands for.
fn outcome_name(outcome: &LoginOutcome) -> &str {
    match outcome {
        LoginOutcome::SignedIn(_) => "SUCCESS",
        LoginOutcome::PasswordExpiring(_) => "PASSWORD_WARN",
        LoginOutcome::PasswordExpired(_) => "PASSWORD_EXPIRED",
        LoginOutcome::SecondFactorRequired(_) => "MFA_AUTH",
        LoginOutcome::AccessDenied => "ACCESS_DENIED",
        LoginOutcome::Unknown { status, .. } => status,
        _ => "(an outcome this version does not know)",
    }
}

/// A session's fields, tokens shortened.
fn session_details(session: &Session) -> Vec<(&'static str, String)> {
    let mut details = vec![
        ("status", session.status().to_string()),
        ("expire", format!("{} s", session.expires_in().as_secs())),
        (
            "session_token",
            shorten(session.session_token().expose_secret()),
        ),
    ];
    if let Some(id_token) = session.id_token() {
        details.push(("id_token", shorten(id_token.expose_secret())));
    }
    details
}

/// A session as JSON, tokens shortened.
fn short_session_json(session: &Session) -> Value {
    json!({
        "status": session.status().as_str(),
        "expire": session.expires_in().as_secs(),
        "session_token": shorten(session.session_token().expose_secret()),
        "id_token": session.id_token().map(|t| shorten(t.expose_secret())),
    })
}

/// GETs a JSON document.
async fn get_json<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> Result<T, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", output::error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url} answered HTTP {}", status.as_u16()));
    }
    response
        .json::<T>()
        .await
        .map_err(|e| format!("GET {url}: {}", output::error_chain(&e)))
}

/// A verified id_token.
#[derive(Debug)]
struct Verified {
    kid: String,
    claims: Map<String, Value>,
}

/// Verifies the signature (RS256, the JWKS key of the header's `kid`) and the claims
/// `iss`, `aud`, `exp`, `nbf`, `sub`, `userName` and `email`.
fn verify_id_token(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    audience: &str,
) -> Result<Verified, String> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| format!("unreadable header: {e}"))?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("signed with {:?}, not RS256", header.alg));
    }
    let kid = header.kid.ok_or("the header has no kid")?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| format!("no key {kid} in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable JWK {kid}: {e}"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| format!("verification failed: {e}"))?;
    let Value::Object(claims) = data.claims else {
        return Err("the claims are not an object".into());
    };
    // The library checked these; checking them again shows what "verified" means.
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let expect = |name: &str, want: &str| match text(name) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("claim {name} is {got:?}, expected {want:?}")),
    };
    expect("iss", issuer)?;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("claim aud does not name {audience:?}"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("claim exp is not a number")?;
    if exp <= unix_now() {
        return Err("the id_token has expired".into());
    }
    expect("sub", USER_NAME)?;
    expect("userName", USER_NAME)?;
    expect("email", EMAIL)?;
    Ok(Verified { kid, claims })
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A claim's value, with times also shown relative to now.
fn claim_text(name: &str, value: &Value, now: i64) -> String {
    match (name, value.as_i64()) {
        ("exp" | "iat" | "nbf", Some(t)) => {
            let delta = t - now;
            let relative = if delta == 0 {
                "now".to_owned()
            } else if delta > 0 {
                format!("in {}", seconds(delta.unsigned_abs()))
            } else {
                format!("{} ago", seconds(delta.unsigned_abs()))
            };
            format!("{t} ({relative})")
        }
        _ => value.to_string(),
    }
}

/// `7200 s` style durations.
fn seconds(s: u64) -> String {
    format!("{s} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_a_plan_ending_with_the_checks() {
        for via in [Via::Email, Via::Sms, Via::OldPassword, Via::Skip] {
            let steps = plan(via);
            assert_eq!(steps.first(), Some(&"start the emulator"));
            assert_eq!(steps.last(), Some(&"replay the used state token"));
        }
        assert_eq!(plan(Via::Email).len(), 12);
        assert_eq!(plan(Via::Sms).len(), 13);
        assert_eq!(plan(Via::OldPassword).len(), 8);
        assert_eq!(plan(Via::Skip).len(), 8);
    }

    #[test]
    fn the_demo_passwords_satisfy_the_default_policy_and_differ() {
        let policy = eiam_emulator::PasswordPolicy::default();
        assert_ne!(NEW_PASSWORD, OLD_PASSWORD);
        assert_ne!(REPLAY_PASSWORD, NEW_PASSWORD);
        for p in [NEW_PASSWORD, REPLAY_PASSWORD] {
            assert!((policy.min_len..=policy.max_len).contains(&p.chars().count()));
        }
    }

    #[test]
    fn times_are_shown_relative() {
        assert_eq!(claim_text("exp", &json!(1100), 1000), "1100 (in 100 s)");
        assert_eq!(claim_text("iat", &json!(900), 1000), "900 (100 s ago)");
        assert_eq!(
            claim_text("sub", &json!("demo.user"), 1000),
            "\"demo.user\""
        );
    }
}
