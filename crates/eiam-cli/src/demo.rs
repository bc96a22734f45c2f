//! `eiam demo`: the password-expired flow end to end, against an in-process emulator,
//! through the public [`eiam::Client`].
//!
//! The emulator's admin API is called over HTTP with a plain `reqwest` client, as any
//! client of the emulator would; everything that a real application does goes through
//! [`eiam::Client`]. The connection flags (`--base-url`, `--client-id`...) are not used:
//! the demo talks to its own emulator. `--lang`, `--timeout` and `--output` apply.

use std::fmt::Display;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use eiam::{Client, Device, ErrorCode, ExposeSecret, Password, StateToken, VerifyCode};
use eiam_emulator::{DEFAULT_CLIENT_ID, Emulator, EmulatorConfig, NewUser, RunningEmulator};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{self, Failure, shorten};
use crate::{Io, timeout_of};

/// The demo user's login name.
pub(crate) const USER_NAME: &str = "demo.user";
/// The demo user's expired password.
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
/// The path of the call.
const UPDATE_PATH: &str = "/api/v2/sdk/after-login/pwd/update-by-email";
/// The number of steps.
const STEPS: usize = 8;

/// The demo user, whose password has expired.
pub(crate) fn demo_user() -> NewUser {
    NewUser {
        user_name: USER_NAME.into(),
        password: OLD_PASSWORD.into(),
        email: EMAIL.into(),
        mobile: MOBILE.into(),
        name: Some(NAME.into()),
    }
}

/// Runs the demo; prints each step (text) or one summary object (json) on stdout.
pub(crate) async fn demo(global: &GlobalArgs, io: &mut Io<'_>) -> Result<(), Failure> {
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .map_err(|e| Demo::fail(1, "emulator", output::error_chain(&e)))?;
    let mut demo = Demo {
        io,
        format: global.output,
        steps: Vec::new(),
    };
    let result = demo.run(global, &running).await;
    running.shutdown().await;
    let summary = result?;
    demo.finish(summary)
}

/// The name of each step, as reported when it fails.
const STEP_NAMES: [&str; STEPS] = [
    "start the emulator",
    "seed the user",
    "expired login",
    "read the code from the outbox",
    "change the password",
    "verify the id_token",
    "check the stored password",
    "replay the used state token",
];

/// The demo's narration.
struct Demo<'a, 'io> {
    io: &'a mut Io<'io>,
    format: OutputFormat,
    /// The steps done, for the JSON summary.
    steps: Vec<String>,
}

/// One outbox message, as the admin API lists it.
#[derive(Deserialize)]
struct OutboxEntry {
    to: String,
    #[serde(rename = "type")]
    kind: String,
    code: String,
}

impl Demo<'_, '_> {
    /// Prints a step (text) and records it.
    fn step(&mut self, summary: String, details: &[(&str, String)]) {
        let n = self.steps.len() + 1;
        if self.format == OutputFormat::Text {
            let out = &mut self.io.stdout;
            // The narration is best effort: the result is the exit status.
            let _ = writeln!(out, "[{n}/{STEPS}] {summary}");
            for (label, value) in details {
                let _ = writeln!(out, "      {label:<14} {value}");
            }
            let _ = out.flush();
        }
        self.steps.push(summary);
    }

    /// Step `n` (1-based) failed.
    fn fail(n: usize, kind: &'static str, message: impl Display) -> Failure {
        Failure::other(kind, message.to_string()).at_step(step_label(n))
    }

    async fn run(
        &mut self,
        global: &GlobalArgs,
        running: &RunningEmulator,
    ) -> Result<Value, Failure> {
        let base_url = running.base_url();
        let emulator = running.emulator();
        let timeout = timeout_of(global);
        if self.format == OutputFormat::Text {
            let _ = writeln!(
                self.io.stdout,
                "eiam demo: an expired password changed with an e-mail code, against a local emulator"
            );
        }

        // 1. The emulator.
        self.step(
            format!("emulator listening on {base_url} (client id {DEFAULT_CLIENT_ID})"),
            &[],
        );

        // 2. The user.
        let user_id = emulator
            .add_user(demo_user())
            .map_err(|e| Self::fail(2, "emulator", output::error_chain(&e)))?;
        self.step(
            format!("seeded user {USER_NAME} <{EMAIL}> whose password has expired"),
            &[("id", user_id.clone())],
        );

        // 3. The login that answered PASSWORD_EXPIRED.
        let login = emulator
            .expired_login(USER_NAME, None)
            .map_err(|e| Self::fail(3, "emulator", output::error_chain(&e)))?;
        let state_token = StateToken::new(login.state_token);
        self.step(
            "the login answered PASSWORD_EXPIRED with a state token; a CHANGE_PWD_EMS code was e-mailed"
                .to_owned(),
            &[
                ("state_token", shorten(state_token.expose_secret())),
                ("valid for", format!("{} s", login.expires_in.as_secs())),
            ],
        );

        // 4. The code, from the outbox over HTTP.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .map_err(|e| Self::fail(4, "transport", output::error_chain(&e)))?;
        let outbox: Vec<OutboxEntry> = get_json(&http, &format!("{base_url}/_emulator/outbox"))
            .await
            .map_err(|e| Self::fail(4, "transport", e))?;
        let code = outbox
            .into_iter()
            .rev()
            .find(|m| m.to == EMAIL && m.kind == "CHANGE_PWD_EMS")
            .map(|m| VerifyCode::new(m.code))
            .ok_or_else(|| {
                Self::fail(
                    4,
                    "demo",
                    format!("no CHANGE_PWD_EMS code for {EMAIL} in the outbox"),
                )
            })?;
        self.step(
            "read the code from the outbox (GET /_emulator/outbox)".to_owned(),
            &[(
                "code",
                format!("{} digits", code.expose_secret().chars().count()),
            )],
        );

        // 5. The password change, through the public client.
        let mut builder = Client::builder()
            .base_url(&base_url)
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
        let client = builder
            .build()
            .map_err(|e| Self::fail(5, "config", output::error_chain(&e)))?;
        let session = client
            .update_password_by_email(&state_token, &code, &Password::new(NEW_PASSWORD))
            .await
            .map_err(|e| call_failure(5, &e))?;
        let id_token = session
            .id_token()
            .ok_or_else(|| Self::fail(5, "demo", "the session has no id_token"))?;
        let session_json = json!({
            "status": session.status().as_str(),
            "expire": session.expires_in().as_secs(),
            "session_token": shorten(session.session_token().expose_secret()),
            "id_token": shorten(id_token.expose_secret()),
        });
        self.step(
            format!("changed the password: POST {UPDATE_PATH}"),
            &[
                ("status", session.status().to_string()),
                ("expire", format!("{} s", session.expires_in().as_secs())),
                (
                    "session_token",
                    shorten(session.session_token().expose_secret()),
                ),
                ("id_token", shorten(id_token.expose_secret())),
            ],
        );

        // 6. The id_token, verified against the JWKS.
        let jwks_url = format!("{base_url}/api/v1/oauth2/jwks");
        let jwks: JwkSet = get_json(&http, &jwks_url)
            .await
            .map_err(|e| Self::fail(6, "transport", e))?;
        let issuer = format!("{base_url}/api/v1/oauth2");
        let verified = verify_id_token(id_token.expose_secret(), &jwks, &issuer, DEFAULT_CLIENT_ID)
            .map_err(|e| Self::fail(6, "demo", e))?;
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

        // 7. The stored password.
        let new_stored = emulator
            .password_matches(USER_NAME, NEW_PASSWORD)
            .map_err(|e| Self::fail(7, "emulator", output::error_chain(&e)))?;
        let old_accepted = emulator
            .password_matches(USER_NAME, OLD_PASSWORD)
            .map_err(|e| Self::fail(7, "emulator", output::error_chain(&e)))?;
        if !new_stored || old_accepted {
            return Err(Self::fail(
                7,
                "demo",
                format!(
                    "the emulator stores the wrong password (new stored: {new_stored}, old still accepted: {old_accepted})"
                ),
            ));
        }
        self.step(
            "the emulator now holds the new password; the old one no longer matches".to_owned(),
            &[],
        );

        // 8. The used state token, refused.
        let replay = client
            .update_password_by_email(&state_token, &code, &Password::new(REPLAY_PASSWORD))
            .await;
        let refusal = match replay {
            Ok(_) => {
                return Err(Self::fail(
                    8,
                    "demo",
                    "the used state token was accepted a second time",
                ));
            }
            Err(e) if e.code() == Some(&ErrorCode::Expired) => e,
            Err(e) => {
                let mut failure = call_failure(8, &e);
                failure.message = format!("expected SDK.COMMON.1005, got: {}", failure.message);
                return Err(failure);
            }
        };
        let api = refusal
            .api()
            .ok_or_else(|| Self::fail(8, "demo", "the refusal carries no service error"))?;
        self.step(
            "a second change with the used state token is refused".to_owned(),
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

        Ok(json!({
            "result": "passed",
            "base_url": base_url,
            "client_id": DEFAULT_CLIENT_ID,
            "user": { "id": user_id, "user_name": USER_NAME, "email": EMAIL, "name": NAME },
            "session": session_json,
            "id_token": {
                "verified": true,
                "alg": "RS256",
                "kid": verified.kid,
                "jwks_url": jwks_url,
                "claims": Value::Object(verified.claims),
            },
            "passwords": { "new_stored": new_stored, "old_accepted": old_accepted },
            "replay": {
                "refused": true,
                "code": api.code.as_str(),
                "status": api.status.as_u16(),
                "message": api.message,
            },
        }))
    }

    /// Ends the demo: the last line (text) or the summary object (json).
    fn finish(self, mut summary: Value) -> Result<(), Failure> {
        let written = match self.format {
            OutputFormat::Text => writeln!(self.io.stdout, "demo passed: all {STEPS} steps")
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

/// `step 5/8 (change the password)`.
fn step_label(n: usize) -> String {
    let name = n
        .checked_sub(1)
        .and_then(|i| STEP_NAMES.get(i))
        .copied()
        .unwrap_or("?");
    format!("step {n}/{STEPS} ({name})")
}

/// A failed call of step `n`.
fn call_failure(n: usize, e: &eiam::Error) -> Failure {
    Failure::from_call(e).at_step(step_label(n))
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
