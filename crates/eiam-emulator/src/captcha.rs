//! The slider captcha: `GET /api/v2/sdk/captcha` and `POST /api/v2/sdk/captcha/verify`.
//!
//! Choices (inferred; the vendor documents the shapes, not the rules): the images are fixed
//! 1×1 PNGs (the emulator has no picture to slide); the right `x` is a random whole number
//! in `40..=260` (`y` is not checked); an answer within 5.0 of it is right; a captcha lives
//! [`EmulatorConfig::captcha_ttl`](crate::EmulatorConfig::captcha_ttl) and serves one
//! verification, right or wrong; a wrong answer uses it up, so a new captcha must be
//! fetched. A right answer gives a `captcha_token` `<token>---<point_json>` bound to the
//! `sender`, valid [`EmulatorConfig::captcha_token_ttl`](crate::EmulatorConfig), good for
//! one code send.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use crate::api::{ApiError, check_headers, finish, json_body, lang, ok_json, string_field};
use crate::messages::Msg;
use crate::state::{Captcha, CaptchaPass, sender_key};
use crate::{Emulator, millis, random};

/// The background image: a 1×1 grey PNG, base64.
const BACKGROUND_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mM4ceIEAAS0Alko01LsAAAAAElFTkSuQmCC";

/// The jigsaw piece: a 1×1 blue PNG, base64.
const JIGSAW_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mOwqTgBAAJwAX3bO4b4AAAAAElFTkSuQmCC";

/// The range of the right `x`.
const ANSWER_X: (u32, u32) = (40, 260);

/// How far from the right `x` an answer may be.
const TOLERANCE: f64 = 5.0;

/// The length of a captcha token (the vendor's example: 32 lower-case hex digits).
const CAPTCHA_TOKEN_LEN: usize = 32;

/// A new captcha (`Captcha` of the spec; the vendor's null fields stay null).
#[derive(Serialize)]
struct CaptchaResponse {
    token: String,
    #[serde(rename = "originalImageBase64")]
    original_image_base64: &'static str,
    #[serde(rename = "jigsawImageBase64")]
    jigsaw_image_base64: &'static str,
    #[serde(rename = "secretKey")]
    secret_key: Option<String>,
    result: Option<bool>,
}

/// `GET /api/v2/sdk/captcha`.
pub(crate) async fn captcha(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    let result = check_headers(&emulator, &headers, None).and_then(|_| emulator.new_captcha());
    finish("captcha", lang(&headers), result)
}

/// `POST /api/v2/sdk/captcha/verify`.
pub(crate) async fn verify(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = check_headers(&emulator, &headers, None).and_then(|_| {
        let fields = json_body(body)?;
        let point_json = string_field(&fields, "point_json")?;
        let token = string_field(&fields, "token")?;
        let sender = string_field(&fields, "sender")?;
        let x = point_x(&point_json)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1002", Msg::BadFormat("point_json")))?;
        emulator.verify_captcha(&token, &point_json, x, &sender)
    });
    finish("captcha-verify", lang(&headers), result)
}

/// The `x` of a `point_json` `{"x":number,"y":number}` (other keys are ignored).
fn point_x(point_json: &str) -> Option<f64> {
    let point: Value = serde_json::from_str(point_json).ok()?;
    point.get("y").and_then(Value::as_f64)?;
    point.get("x").and_then(Value::as_f64)
}

impl Emulator {
    /// Stores a new captcha (forgetting the expired ones) and answers it.
    fn new_captcha(&self) -> Result<Response, ApiError> {
        let token = random::hex_lower(CAPTCHA_TOKEN_LEN).map_err(|_| ApiError::busy())?;
        let x = random::in_range(ANSWER_X.0, ANSWER_X.1).map_err(|_| ApiError::busy())?;
        let now = self.now_ms();
        let mut store = self.store();
        store.captchas.retain(|_, c| now < c.expires_at_ms);
        store.captchas.insert(
            token.clone(),
            Captcha {
                answer_x: f64::from(x),
                expires_at_ms: now.saturating_add(millis(self.config().captcha_ttl)),
                used: false,
            },
        );
        tracing::info!("emulator: captcha issued");
        Ok(ok_json(&CaptchaResponse {
            token,
            original_image_base64: BACKGROUND_PNG,
            jigsaw_image_base64: JIGSAW_PNG,
            secret_key: None,
            result: None,
        }))
    }

    /// Checks an answer under the store's lock: an unknown, used or expired captcha →
    /// `CAPTCHA.0004`; a wrong `x` → `CAPTCHA.0002` (the captcha is used up); else a
    /// `captcha_token` for `sender`.
    fn verify_captcha(
        &self,
        token: &str,
        point_json: &str,
        x: f64,
        sender: &str,
    ) -> Result<Response, ApiError> {
        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;
        let captcha = store
            .captchas
            .get_mut(token)
            .filter(|c| !c.used && now < c.expires_at_ms)
            .ok_or_else(|| ApiError::bad("CAPTCHA.0004", Msg::CaptchaInvalid))?;
        captcha.used = true;
        if (x - captcha.answer_x).abs() > TOLERANCE {
            return Err(ApiError::bad("CAPTCHA.0002", Msg::CaptchaWrong));
        }
        let captcha_token = format!("{token}---{point_json}");
        store.captcha_passes.insert(
            captcha_token.clone(),
            CaptchaPass {
                sender: sender_key(sender),
                expires_at_ms: now.saturating_add(millis(config.captcha_token_ttl)),
                used: false,
            },
        );
        tracing::info!("emulator: captcha solved");
        Ok(ok_json(
            &serde_json::json!({ "captcha_token": captcha_token }),
        ))
    }

    /// The right `x` of a captcha that has not expired (used or not), for tests and demos;
    /// `None` for an unknown or expired token. Also at `GET /_emulator/captcha/{token}`.
    pub fn captcha_answer(&self, token: &str) -> Option<f64> {
        let now = self.now_ms();
        self.store()
            .captchas
            .get(token)
            .filter(|c| now < c.expires_at_ms)
            .map(|c| c.answer_x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn images_are_pngs() {
        for image in [BACKGROUND_PNG, JIGSAW_PNG] {
            let bytes = STANDARD.decode(image).unwrap_or_default();
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{image}");
            assert!(bytes.ends_with(b"IEND\xaeB`\x82"), "{image}");
        }
    }

    #[test]
    fn points() {
        assert_eq!(point_x(r#"{"x":237.0,"y":5.0}"#), Some(237.0));
        assert_eq!(point_x(r#"{"x":12,"y":5,"z":1}"#), Some(12.0));
        assert_eq!(point_x(r#"{"x":"1","y":5.0}"#), None);
        assert_eq!(point_x(r#"{"x":1}"#), None);
        assert_eq!(point_x(r#"[1,5]"#), None);
        assert_eq!(point_x("237"), None);
        assert_eq!(point_x(""), None);
    }
}
