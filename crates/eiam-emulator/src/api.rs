//! What every emulated `/api/v2/sdk` call shares: the header and body checks, the error
//! answer, id_token and session minting, the state-token look-up; and the JWKS and
//! discovery routes. The calls themselves live in `login`, `captcha`, `code` and
//! `password`; the order of the checks and the choices behind them are described in the
//! [crate documentation](crate).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::IdTokenClaims;
use crate::messages::{Lang, Msg};
use crate::state::{Session, StateToken, User};
use crate::{BODY_LIMIT, Emulator, millis, random};

/// The device headers every call requires, in the order they are checked (names as the
/// vendor spells them). A call's token header (`X-state-token`, `X-session-token`) comes
/// after them.
const DEVICE_HEADERS: [&str; 4] = [
    "X-operating-sys-version",
    "X-device-fingerprint",
    "X-agent",
    "X-client-id",
];

/// The state-token header.
pub(crate) const STATE_TOKEN: &str = "X-state-token";

/// The session-token header.
pub(crate) const SESSION_TOKEN: &str = "X-session-token";

/// `nbf` is this many seconds before `iat` (the vendor's example tokens).
const NBF_LEEWAY_SECS: i64 = 120;

/// The length of a session token (the vendor's examples: 32 letters and digits).
const SESSION_TOKEN_LEN: usize = 32;

/// An error answer of the API: HTTP status, error code and message.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    pub(crate) code: &'static str,
    msg: Msg,
}

impl ApiError {
    /// An HTTP 400 error.
    pub(crate) fn bad(code: &'static str, msg: Msg) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            msg,
        }
    }

    /// `SDK.COMMON.1008`, HTTP 500.
    pub(crate) fn busy() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "SDK.COMMON.1008",
            msg: Msg::SystemBusy,
        }
    }

    /// The `{"error_code","error_msg"}` answer in `lang`.
    fn into_response(self, lang: Lang) -> Response {
        let body = serde_json::json!({
            "error_code": self.code,
            "error_msg": self.msg.text(lang),
        });
        (self.status, Json(body)).into_response()
    }
}

/// The language asked for by the `X-L` header.
pub(crate) fn lang(headers: &HeaderMap) -> Lang {
    Lang::from_header(headers.get("X-L").map(|v| v.as_bytes()))
}

/// The answer of a call named `op`: the success response, or the error in `lang` (logged
/// with its code, never with a secret).
pub(crate) fn finish(op: &'static str, lang: Lang, result: Result<Response, ApiError>) -> Response {
    match result {
        Ok(response) => response,
        Err(e) => {
            tracing::info!(error_code = e.code, op, "emulator: call refused");
            e.into_response(lang)
        }
    }
}

/// HTTP 200 with a JSON body.
pub(crate) fn ok_json<T: Serialize>(value: &T) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

/// A request whose headers passed the checks.
pub(crate) struct Checked {
    /// The registered client id of `X-client-id`.
    pub(crate) client_id: String,
    /// The value of the call's token header (empty when the call has none).
    pub(crate) token: Vec<u8>,
}

/// Steps 1 and 2: the device headers then the call's token header (`token_header`),
/// missing or blank → `SDK.COMMON.1001`; then the client id → `SDK.COMMON.1012`.
pub(crate) fn check_headers(
    emulator: &Emulator,
    headers: &HeaderMap,
    token_header: Option<&'static str>,
) -> Result<Checked, ApiError> {
    let mut values: [&[u8]; 5] = [&[]; 5];
    let names = DEVICE_HEADERS.into_iter().chain(token_header);
    for (slot, name) in values.iter_mut().zip(names) {
        match headers.get(name).map(|v| v.as_bytes()) {
            Some(v) if !v.trim_ascii().is_empty() => *slot = v,
            _ => return Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name))),
        }
    }
    let [_, _, _, client_id, token] = values;
    let config = emulator.config();
    let Some(client_id) = config.client_ids.iter().find(|c| c.as_bytes() == client_id) else {
        return Err(ApiError::bad("SDK.COMMON.1012", Msg::InvalidClientId));
    };
    Ok(Checked {
        client_id: client_id.clone(),
        token: token.to_vec(),
    })
}

/// Step 3: the body as a JSON object (its `Content-Type` is not checked).
pub(crate) fn json_body(
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad("SDK.COMMON.1002", Msg::BodyTooLarge(BODY_LIMIT))
        } else {
            ApiError::bad("SDK.COMMON.1002", Msg::BadFormat("request body"))
        }
    })?;
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank("request body")));
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("SDK.COMMON.1002", Msg::BadFormat("request body")))?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::bad(
            "SDK.COMMON.1007",
            Msg::WrongType("request body"),
        )),
    }
}

/// A required, non-blank string field of the body (used as sent, not trimmed).
pub(crate) fn string_field(
    fields: &Map<String, Value>,
    name: &'static str,
) -> Result<String, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name)))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::bad("SDK.COMMON.1007", Msg::WrongType(name))),
    }
}

/// The state token sent as `X-state-token`: unknown or issued for another client →
/// `SDK.COMMON.1006`; expired or used → `SDK.COMMON.1005`.
pub(crate) fn state_token<'a>(
    tokens: &'a mut HashMap<String, StateToken>,
    raw: &[u8],
    client_id: &str,
    now_ms: i64,
) -> Result<&'a mut StateToken, ApiError> {
    let token = std::str::from_utf8(raw)
        .ok()
        .and_then(|t| tokens.get_mut(t))
        .filter(|t| t.client_id == client_id)
        .ok_or_else(|| ApiError::bad("SDK.COMMON.1006", Msg::ParamError(STATE_TOKEN)))?;
    if token.used || now_ms >= token.expires_at_ms {
        return Err(ApiError::bad("SDK.COMMON.1005", Msg::Expired(STATE_TOKEN)));
    }
    Ok(token)
}

/// Whether two secrets are equal, compared in constant time.
pub(crate) fn secret_eq(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// Seconds from `now_ms` until `until_ms`, rounded up (0 if past).
pub(crate) fn secs_until(now_ms: i64, until_ms: i64) -> i64 {
    let left = until_ms.saturating_sub(now_ms).max(0);
    left.div_euclid(1000) + i64::from(left.rem_euclid(1000) > 0)
}

/// The answer of a password change or skip (`SessionResponse` of the spec).
#[derive(Serialize)]
pub(crate) struct SessionResponse {
    pub(crate) status: &'static str,
    pub(crate) expire: u64,
    pub(crate) session_token: String,
    pub(crate) id_token: String,
}

/// A new session, minted but not stored yet.
pub(crate) struct NewSession {
    pub(crate) token: String,
    pub(crate) id_token: String,
    pub(crate) session: Session,
}

impl NewSession {
    /// Stores the session and returns the `SUCCESS` answer.
    pub(crate) fn commit(self, sessions: &mut HashMap<String, Session>) -> SessionResponse {
        let expire = u64::try_from(self.session.ttl_ms / 1000).unwrap_or(0);
        sessions.insert(self.token.clone(), self.session);
        SessionResponse {
            status: "SUCCESS",
            expire,
            session_token: self.token,
            id_token: self.id_token,
        }
    }
}

impl Emulator {
    /// A new id_token for `user`, audience `client_id` (see the crate documentation for the
    /// claims).
    pub(crate) fn id_token(
        &self,
        user: &User,
        client_id: &str,
        now_ms: i64,
    ) -> Result<String, ApiError> {
        let jti = random::bytes(16).map_err(|_| ApiError::busy())?;
        let iat = now_ms.div_euclid(1000);
        let claims = IdTokenClaims {
            iss: self.issuer(),
            aud: client_id,
            sub: &user.user_name,
            exp: iat.saturating_add(millis(self.config().id_token_ttl) / 1000),
            iat,
            nbf: iat - NBF_LEEWAY_SECS,
            jti: URL_SAFE_NO_PAD.encode(jti),
            id: &user.id,
            name: &user.name,
            user_name: &user.user_name,
            mobile: &user.mobile,
            email: &user.email,
        };
        self.inner.key.sign(&claims).map_err(|_| ApiError::busy())
    }

    /// A new session token of `ttl_ms` and id_token for `user`; nothing is stored, so that a
    /// failure here changes nothing.
    pub(crate) fn mint_session(
        &self,
        user: &User,
        client_id: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<NewSession, ApiError> {
        let token = random::alphanumeric(SESSION_TOKEN_LEN).map_err(|_| ApiError::busy())?;
        let id_token = self.id_token(user, client_id, now_ms)?;
        Ok(NewSession {
            token,
            id_token,
            session: Session {
                user_name: user.user_name.clone(),
                client_id: client_id.to_owned(),
                expires_at_ms: now_ms.saturating_add(ttl_ms),
                ttl_ms,
            },
        })
    }
}

/// `GET /api/v1/oauth2/jwks`.
pub(crate) async fn jwks(State(emulator): State<Emulator>) -> Json<Value> {
    Json(emulator.jwks())
}

/// `GET /api/v1/oauth2/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(State(emulator): State<Emulator>) -> Json<Value> {
    let issuer = emulator.issuer();
    Json(serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_up_to_seconds() {
        assert_eq!(secs_until(0, 0), 0);
        assert_eq!(secs_until(0, 1), 1);
        assert_eq!(secs_until(0, 1000), 1);
        assert_eq!(secs_until(0, 1001), 2);
        assert_eq!(secs_until(5000, 1000), 0);
    }
}
