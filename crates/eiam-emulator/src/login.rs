//! `POST /api/v2/sdk/login` (with the lockout) and the id_token refresh,
//! `POST /api/v2/sdk/sso/session-token/id-token`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use crate::api::{
    ApiError, Checked, SESSION_TOKEN, check_headers, finish, json_body, lang, ok_json, secret_eq,
    secs_until, string_field,
};
use crate::messages::Msg;
use crate::state::{LoginFailures, PasswordExpiry, Purpose, StateToken};
use crate::{Emulator, millis, random};

/// The length of a state token (opaque; the vendor's are JWTs).
pub(crate) const STATE_TOKEN_LEN: usize = 48;

/// Above this many tracked user names, a failed login of a new name that is no user first
/// forgets the names that are neither users nor locked (bounds the memory an attacker can
/// make the emulator use, without letting many guessed names reset a user's count).
const MAX_TRACKED_NAMES: usize = 10_000;

/// The answer of a login (`LoginResponse` of the spec): only the fields of the status.
#[derive(Serialize)]
struct LoginResponse {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

impl LoginResponse {
    /// A status without tokens.
    fn bare(status: &'static str) -> Self {
        Self {
            status,
            session_token: None,
            expire: None,
            id_token: None,
            state_token: None,
            data: None,
        }
    }
}

/// The password policy as sent in `data` (a JSON string).
#[derive(Serialize)]
struct PolicyData {
    #[serde(rename = "minLength")]
    min_length: usize,
    #[serde(rename = "maxLength")]
    max_length: usize,
    #[serde(rename = "regEx")]
    reg_ex: String,
}

/// The answer of an id_token refresh (`IdTokenResponse` of the spec).
#[derive(Serialize)]
struct IdTokenResponse {
    session_token: String,
    expire: u64,
    id_token: String,
}

/// `POST /api/v2/sdk/login`.
pub(crate) async fn login(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = check_headers(&emulator, &headers, None).and_then(|checked| {
        let fields = json_body(body)?;
        let user_name = string_field(&fields, "user_name")?;
        let password = string_field(&fields, "password")?;
        emulator.login(&checked, &user_name, &password)
    });
    finish("login", lang(&headers), result)
}

/// `POST /api/v2/sdk/sso/session-token/id-token`.
pub(crate) async fn refresh_id_token(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
) -> Response {
    let result = check_headers(&emulator, &headers, Some(SESSION_TOKEN))
        .and_then(|checked| emulator.refresh(&checked));
    finish("refresh-id-token", lang(&headers), result)
}

/// `SDK.LOGIN.1003` with the time left until `until_ms`.
fn locked(now_ms: i64, until_ms: i64) -> ApiError {
    let secs = secs_until(now_ms, until_ms);
    ApiError::bad(
        "SDK.LOGIN.1003",
        Msg::AccountLocked {
            minutes: secs / 60,
            seconds: secs % 60,
        },
    )
}

impl Emulator {
    /// The login, under the store's lock: the lock, the password (counting failures), then
    /// the outcome of the user's settings.
    fn login(
        &self,
        checked: &Checked,
        user_name: &str,
        password: &str,
    ) -> Result<Response, ApiError> {
        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;

        if let Some(failures) = store.login_failures.get_mut(user_name)
            && let Some(until) = failures.locked_until_ms
        {
            if now < until {
                return Err(locked(now, until));
            }
            // The lock is over: the count starts again.
            *failures = LoginFailures::default();
        }

        let user = store
            .users
            .get(user_name)
            .filter(|u| secret_eq(&u.password, password));
        let Some(user) = user else {
            if store.login_failures.len() >= MAX_TRACKED_NAMES
                && !store.login_failures.contains_key(user_name)
                && !store.users.contains_key(user_name)
            {
                // Full of guessed names: forget the counts of names that are no user and
                // are not locked. A user's count is never forgotten (there are only so many
                // users), or guessing many names would reset it.
                let users = &store.users;
                store.login_failures.retain(|name, f| {
                    users.contains_key(name) || f.locked_until_ms.is_some_and(|until| now < until)
                });
            }
            let failures = store
                .login_failures
                .entry(user_name.to_owned())
                .or_default();
            failures.count = failures.count.saturating_add(1);
            tracing::info!(user_name, "emulator: login failed");
            if failures.count >= config.lockout_threshold {
                let until = now.saturating_add(millis(config.lockout_duration));
                failures.locked_until_ms = Some(until);
                return Err(locked(now, until));
            }
            return Err(ApiError::bad(
                "LOGIN.0002",
                Msg::LoginFailed {
                    remaining: config.lockout_threshold - failures.count,
                },
            ));
        };
        store.login_failures.remove(user_name);

        let options = user.options;
        let (status, purpose) = if options.access_denied {
            tracing::info!(user_name, "emulator: login denied");
            return Ok(ok_json(&LoginResponse::bare("ACCESS_DENIED")));
        } else if options.mfa {
            ("MFA_AUTH", Purpose::Mfa)
        } else {
            match options.expiry {
                PasswordExpiry::Fresh => {
                    let session = self.mint_session(
                        user,
                        &checked.client_id,
                        now,
                        millis(config.login_session_ttl),
                    )?;
                    tracing::info!(user_name, "emulator: login succeeded");
                    let answer = session.commit(&mut store.sessions);
                    return Ok(ok_json(&LoginResponse {
                        status: "SUCCESS",
                        session_token: Some(answer.session_token),
                        expire: Some(answer.expire),
                        id_token: Some(answer.id_token),
                        ..LoginResponse::bare("SUCCESS")
                    }));
                }
                PasswordExpiry::Expiring => ("PASSWORD_WARN", Purpose::Warn),
                PasswordExpiry::Expired => ("PASSWORD_EXPIRED", Purpose::Expired),
            }
        };
        let data = match purpose {
            Purpose::Mfa => None,
            Purpose::Warn | Purpose::Expired => Some(
                serde_json::to_string(&PolicyData {
                    min_length: config.policy.min_len,
                    max_length: config.policy.max_len,
                    reg_ex: config.policy.regex(),
                })
                .map_err(|_| ApiError::busy())?,
            ),
        };
        let token = random::alphanumeric(STATE_TOKEN_LEN).map_err(|_| ApiError::busy())?;
        store.state_tokens.insert(
            token.clone(),
            StateToken {
                user_name: user_name.to_owned(),
                client_id: checked.client_id.clone(),
                purpose,
                expires_at_ms: now.saturating_add(millis(config.state_token_ttl)),
                used: false,
            },
        );
        tracing::info!(user_name, status, "emulator: login needs a next step");
        Ok(ok_json(&LoginResponse {
            state_token: Some(token),
            data,
            ..LoginResponse::bare(status)
        }))
    }

    /// The refresh, under the store's lock: a new id_token for a valid session (of this
    /// client), and a new session token when rotation is on.
    fn refresh(&self, checked: &Checked) -> Result<Response, ApiError> {
        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;
        let expired = || ApiError::bad("SDK.COMMON.1005", Msg::Expired(SESSION_TOKEN));
        let old_token = std::str::from_utf8(&checked.token).map_err(|_| expired())?;
        let (user_name, ttl_ms, expires_at_ms) = store
            .sessions
            .get(old_token)
            .filter(|s| s.client_id == checked.client_id && now < s.expires_at_ms)
            .map(|s| (s.user_name.clone(), s.ttl_ms, s.expires_at_ms))
            .ok_or_else(expired)?;
        let user = store
            .users
            .get(&user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        let answer = if config.rotate_session_on_refresh {
            // A new session of the same lifetime replaces the old one.
            let new = self.mint_session(user, &checked.client_id, now, ttl_ms)?;
            store.sessions.remove(old_token);
            let new = new.commit(&mut store.sessions);
            IdTokenResponse {
                session_token: new.session_token,
                expire: new.expire,
                id_token: new.id_token,
            }
        } else {
            // The same session, whose expiry does not move.
            IdTokenResponse {
                session_token: old_token.to_owned(),
                expire: u64::try_from(secs_until(now, expires_at_ms)).unwrap_or(0),
                id_token: self.id_token(user, &checked.client_id, now)?,
            }
        };
        tracing::info!(user_name = %user.user_name, "emulator: id_token refreshed");
        Ok(ok_json(&answer))
    }
}
