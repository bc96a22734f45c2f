//! The emulator-only admin API under `/_emulator/`: no authentication, meant for loopback
//! use by tests and demos. Each route calls the library method of the same name; the routes
//! are listed in the [crate documentation](crate#admin-api-emulator-only).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Emulator;
use crate::error::EmulatorError;
use crate::messages::{Lang, emulator_error};
use crate::state::{NewUser, PasswordExpiry, UserOptions};

/// The admin routes.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/users", post(add_user))
        .route(
            "/_emulator/users/{user_name}/expired-login",
            post(expired_login),
        )
        .route("/_emulator/users/{user_name}/send-code", post(send_code))
        .route("/_emulator/users/{user_name}/expiry", post(set_expiry))
        .route("/_emulator/captcha/{token}", get(captcha_answer))
        .route(
            "/_emulator/users/{user_name}/check-password",
            post(check_password),
        )
        .route("/_emulator/outbox", get(outbox))
        .route("/_emulator/clock/advance", post(advance_clock))
}

/// The language of an admin answer.
fn lang(headers: &HeaderMap) -> Lang {
    Lang::from_header(headers.get("X-L").map(|v| v.as_bytes()))
}

/// The `{"error_code":"EMULATOR.…","error_msg"}` answer of an error.
fn error_response(e: &EmulatorError, lang: Lang) -> Response {
    let (status, code) = match e {
        EmulatorError::UserExists { .. } => (StatusCode::CONFLICT, "EMULATOR.USER_EXISTS"),
        EmulatorError::UserNotFound { .. } => (StatusCode::NOT_FOUND, "EMULATOR.USER_NOT_FOUND"),
        EmulatorError::CaptchaNotFound => (StatusCode::NOT_FOUND, "EMULATOR.CAPTCHA_NOT_FOUND"),
        EmulatorError::UnknownClient { .. } => (StatusCode::BAD_REQUEST, "EMULATOR.UNKNOWN_CLIENT"),
        EmulatorError::InvalidInput { .. } => (StatusCode::BAD_REQUEST, "EMULATOR.BAD_REQUEST"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "EMULATOR.INTERNAL"),
    };
    tracing::info!(error_code = code, "emulator: admin call refused");
    let body = serde_json::json!({ "error_code": code, "error_msg": emulator_error(e, lang) });
    (status, Json(body)).into_response()
}

/// Turns a result into an answer: `ok` on success, the error JSON otherwise.
fn answer<T>(
    headers: &HeaderMap,
    result: Result<T, EmulatorError>,
    ok: impl FnOnce(T) -> Response,
) -> Response {
    match result {
        Ok(v) => ok(v),
        Err(e) => error_response(&e, lang(headers)),
    }
}

/// The body as a JSON object; an empty body is an empty object when `optional`.
fn object(
    body: Result<Bytes, BytesRejection>,
    optional: bool,
) -> Result<Map<String, Value>, EmulatorError> {
    let bad = EmulatorError::InvalidInput { field: "body" };
    let body = body.map_err(|_| EmulatorError::InvalidInput { field: "body" })?;
    if optional && body.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad),
    }
}

/// A string field: `Ok(None)` when missing or `null`, an error when of another type.
fn opt_string(
    map: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, EmulatorError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(EmulatorError::InvalidInput { field }),
    }
}

/// An optional boolean field: `false` when missing or `null`, an error when of another
/// type.
fn opt_bool(map: &Map<String, Value>, field: &'static str) -> Result<bool, EmulatorError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(EmulatorError::InvalidInput { field }),
    }
}

/// The `expiry` field (`"fresh"`, `"expiring"`, `"expired"`); `Fresh` when missing or
/// `null` and not `required`.
fn expiry(map: &Map<String, Value>, required: bool) -> Result<PasswordExpiry, EmulatorError> {
    match opt_string(map, "expiry")? {
        Some(name) => name.parse(),
        None if required => Err(EmulatorError::InvalidInput { field: "expiry" }),
        None => Ok(PasswordExpiry::Fresh),
    }
}

/// A required string field.
fn string(map: &Map<String, Value>, field: &'static str) -> Result<String, EmulatorError> {
    opt_string(map, field)?.ok_or(EmulatorError::InvalidInput { field })
}

/// The `{user_name}` path segment.
fn user_name(path: Result<Path<String>, PathRejection>) -> Result<String, EmulatorError> {
    path.map(|Path(p)| p)
        .map_err(|_| EmulatorError::InvalidInput { field: "user_name" })
}

/// `POST /_emulator/users`.
async fn add_user(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = object(body, false).and_then(|map| {
        let user = NewUser {
            user_name: string(&map, "user_name")?,
            password: string(&map, "password")?,
            email: string(&map, "email")?,
            mobile: string(&map, "mobile")?,
            name: opt_string(&map, "name")?,
        };
        let options = UserOptions {
            expiry: expiry(&map, false)?,
            mfa: opt_bool(&map, "mfa")?,
            access_denied: opt_bool(&map, "access_denied")?,
        };
        emulator.add_user_with(user, options)
    });
    answer(&headers, result, |id| {
        (StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response()
    })
}

/// `POST /_emulator/users/{user_name}/expired-login`.
async fn expired_login(
    State(emulator): State<Emulator>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = user_name(path).and_then(|user| {
        let map = object(body, true)?;
        let client_id = opt_string(&map, "client_id")?;
        emulator.expired_login(&user, client_id.as_deref())
    });
    answer(&headers, result, |login| {
        let body = serde_json::json!({
            "state_token": login.state_token,
            "expires_in": login.expires_in.as_secs(),
        });
        (StatusCode::CREATED, Json(body)).into_response()
    })
}

/// `POST /_emulator/users/{user_name}/send-code`.
async fn send_code(
    State(emulator): State<Emulator>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let result = user_name(path).and_then(|user| emulator.send_change_pwd_code(&user));
    answer(&headers, result, |()| {
        StatusCode::NO_CONTENT.into_response()
    })
}

/// `POST /_emulator/users/{user_name}/expiry` `{"expiry": "fresh|expiring|expired"}`.
async fn set_expiry(
    State(emulator): State<Emulator>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = user_name(path).and_then(|user| {
        let expiry = expiry(&object(body, false)?, true)?;
        emulator.set_expiry(&user, expiry)
    });
    answer(&headers, result, |()| {
        StatusCode::NO_CONTENT.into_response()
    })
}

/// `GET /_emulator/captcha/{token}` → `{"x": answer}`.
async fn captcha_answer(
    State(emulator): State<Emulator>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let result = path
        .map_err(|_| EmulatorError::InvalidInput { field: "token" })
        .and_then(|Path(token)| {
            emulator
                .captcha_answer(&token)
                .ok_or(EmulatorError::CaptchaNotFound)
        });
    answer(&headers, result, |x| {
        Json(serde_json::json!({ "x": x })).into_response()
    })
}

/// `POST /_emulator/users/{user_name}/check-password`.
async fn check_password(
    State(emulator): State<Emulator>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = user_name(path).and_then(|user| {
        let map = object(body, false)?;
        emulator.password_matches(&user, &string(&map, "password")?)
    });
    answer(&headers, result, |matches| {
        Json(serde_json::json!({ "matches": matches })).into_response()
    })
}

/// The query of `GET /_emulator/outbox`.
#[derive(Deserialize)]
struct OutboxQuery {
    to: Option<String>,
}

/// `GET /_emulator/outbox`.
async fn outbox(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Response {
    let result = query
        .map(|Query(q)| q.to)
        .map_err(|_| EmulatorError::InvalidInput { field: "to" });
    answer(&headers, result, |to| {
        let mut messages = emulator.outbox();
        if let Some(to) = to {
            messages.retain(|m| m.to == to);
        }
        Json(messages).into_response()
    })
}

/// `POST /_emulator/clock/advance` `{"seconds": n}` (a non-negative integer).
async fn advance_clock(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = object(body, false).and_then(|map| {
        map.get("seconds")
            .and_then(Value::as_u64)
            .ok_or(EmulatorError::InvalidInput { field: "seconds" })
    });
    answer(&headers, result, |seconds| {
        emulator.advance_clock(Duration::from_secs(seconds));
        StatusCode::NO_CONTENT.into_response()
    })
}
