//! The emulated endpoint, `POST /api/v2/sdk/after-login/pwd/update-by-email`, and the
//! JWKS and discovery routes. The order of the checks and the choices behind them are
//! described in the [crate documentation](crate).

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
use crate::state::CHANGE_PWD_EMS;
use crate::{BODY_LIMIT, Emulator, millis, random};

/// The required headers, in the order they are checked (names as the vendor spells them).
const REQUIRED_HEADERS: [&str; 5] = [
    "X-operating-sys-version",
    "X-device-fingerprint",
    "X-agent",
    "X-client-id",
    "X-state-token",
];

/// `nbf` is this many seconds before `iat` (the vendor's example tokens).
const NBF_LEEWAY_SECS: i64 = 120;

/// An error answer of the API: HTTP status, error code and message.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    msg: Msg,
}

impl ApiError {
    /// An HTTP 400 error.
    fn bad(code: &'static str, msg: Msg) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            msg,
        }
    }

    /// `SDK.COMMON.1008`, HTTP 500.
    fn busy() -> Self {
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

/// A request that passed the header and body checks.
struct ChangeRequest {
    client_id: String,
    state_token: Vec<u8>,
    verify_code: String,
    new_password: String,
}

/// The success answer.
#[derive(Serialize)]
struct SessionResponse {
    status: &'static str,
    expire: u64,
    session_token: String,
    id_token: String,
}

/// `POST /api/v2/sdk/after-login/pwd/update-by-email`.
pub(crate) async fn update_by_email(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let lang = Lang::from_header(headers.get("X-L").map(|v| v.as_bytes()));
    let result =
        parse_request(&emulator, &headers, body).and_then(|r| emulator.change_password(&r));
    match result {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => {
            tracing::info!(error_code = e.code, "emulator: update-by-email refused");
            e.into_response(lang)
        }
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

/// Steps 1 to 3: headers, client id, body.
fn parse_request(
    emulator: &Emulator,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ChangeRequest, ApiError> {
    let mut values: [&[u8]; 5] = [&[]; 5];
    for (slot, name) in values.iter_mut().zip(REQUIRED_HEADERS) {
        match headers.get(name).map(|v| v.as_bytes()) {
            Some(v) if !v.trim_ascii().is_empty() => *slot = v,
            _ => return Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name))),
        }
    }
    let [_, _, _, client_id, state_token] = values;
    let config = emulator.config();
    let Some(client_id) = config.client_ids.iter().find(|c| c.as_bytes() == client_id) else {
        return Err(ApiError::bad("SDK.COMMON.1012", Msg::InvalidClientId));
    };
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
    let Value::Object(fields) = value else {
        return Err(ApiError::bad(
            "SDK.COMMON.1007",
            Msg::WrongType("request body"),
        ));
    };
    Ok(ChangeRequest {
        client_id: client_id.clone(),
        state_token: state_token.to_vec(),
        verify_code: string_field(&fields, "verify_code")?,
        new_password: string_field(&fields, "new_password")?,
    })
}

/// A required, non-blank string field of the body.
fn string_field(fields: &Map<String, Value>, name: &'static str) -> Result<String, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::bad("SDK.COMMON.1001", Msg::Blank(name)))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::bad("SDK.COMMON.1007", Msg::WrongType(name))),
    }
}

impl Emulator {
    /// Steps 4 to 6 and the change itself, all under the store's lock.
    fn change_password(&self, req: &ChangeRequest) -> Result<SessionResponse, ApiError> {
        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;

        // The state token.
        let token = std::str::from_utf8(&req.state_token)
            .ok()
            .and_then(|t| store.state_tokens.get_mut(t))
            .filter(|t| t.client_id == req.client_id)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1006", Msg::ParamError("X-state-token")))?;
        if token.used || now >= token.expires_at_ms {
            return Err(ApiError::bad(
                "SDK.COMMON.1005",
                Msg::Expired("X-state-token"),
            ));
        }

        // The code.
        let code_key = (token.user_name.clone(), CHANGE_PWD_EMS);
        let Some(code) = store.codes.get_mut(&code_key) else {
            return Err(ApiError::bad("SDK.SMS.1006", Msg::WrongEmailCode));
        };
        if code.wrong_attempts >= config.max_code_attempts || now >= code.expires_at_ms {
            return Err(ApiError::bad(
                "SDK.COMMON.1005",
                Msg::Expired("verify_code"),
            ));
        }
        if aws_lc_rs::constant_time::verify_slices_are_equal(
            code.code.as_bytes(),
            req.verify_code.as_bytes(),
        )
        .is_err()
        {
            code.wrong_attempts = code.wrong_attempts.saturating_add(1);
            return Err(ApiError::bad("SDK.SMS.1006", Msg::WrongEmailCode));
        }

        // The password policy.
        let user = store
            .users
            .get_mut(&token.user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        config
            .policy
            .check(&req.new_password, &user.password)
            .map_err(|v| ApiError::bad("SDK.COMMON.1002", Msg::BadPassword(v)))?;

        // Mint the new session before changing anything, so that a failure changes nothing.
        let session_token = random::alphanumeric(32).map_err(|_| ApiError::busy())?;
        let jti = random::bytes(16).map_err(|_| ApiError::busy())?;
        let iat = now.div_euclid(1000);
        let claims = IdTokenClaims {
            iss: self.issuer(),
            aud: &req.client_id,
            sub: &user.user_name,
            exp: iat.saturating_add(millis(config.id_token_ttl) / 1000),
            iat,
            nbf: iat - NBF_LEEWAY_SECS,
            jti: URL_SAFE_NO_PAD.encode(jti),
            id: &user.id,
            name: &user.name,
            user_name: &user.user_name,
            mobile: &user.mobile,
            email: &user.email,
        };
        let id_token = self.inner.key.sign(&claims).map_err(|_| ApiError::busy())?;

        // Commit.
        user.password.clone_from(&req.new_password);
        token.used = true;
        store.codes.remove(&code_key);
        tracing::info!(user_name = %user.user_name, "emulator: password changed by e-mail code");
        Ok(SessionResponse {
            status: "SUCCESS",
            expire: config.session_ttl.as_secs(),
            session_token,
            id_token,
        })
    }
}
