//! The code sends: `POST /api/v2/sdk/email/send` and `POST /api/v2/sdk/sms/send`.
//!
//! Checks after the headers and the body, in this order (choice): `type` among the
//! documented values of the channel, else `SDK.COMMON.1002`; the address's format (e-mail
//! `local@domain`; mobile `+CC-number` or 11 digits), else `SDK.COMMON.1002`; the
//! `captcha_token`: unknown or used → `CAPTCHA.0004`, expired → `CAPTCHA.0003`, solved for
//! another sender → `CAPTCHA.0004`; the user with that address (e-mail compared in ASCII
//! lower case; a mobile number with the same country code, or any country code when given
//! as 11 digits; the first user by name when several match), else `SDK.COMMON.1013`. No
//! error uses up the captcha token. On success the token is used up, the code goes to the
//! outbox (to the user's stored address) and the answer is HTTP 200 with an empty body.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::{ApiError, check_headers, finish, json_body, lang, string_field};
use crate::messages::Msg;
use crate::state::{
    Channel, EMAIL_CODE_TYPES, SMS_CODE_TYPES, is_email, is_national_mobile, mobile_matches,
    sender_key, split_mobile,
};
use crate::{CODE_DIGITS, Emulator, millis, random};

/// `POST /api/v2/sdk/email/send`.
pub(crate) async fn email_send(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = emulator.send(Channel::Email, &headers, body);
    finish("email-send", lang(&headers), result)
}

/// `POST /api/v2/sdk/sms/send`.
pub(crate) async fn sms_send(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = emulator.send(Channel::Sms, &headers, body);
    finish("sms-send", lang(&headers), result)
}

impl Emulator {
    /// A code send by `channel`: the checks of the module documentation, then the code.
    fn send(
        &self,
        channel: Channel,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Response, ApiError> {
        check_headers(self, headers, None)?;
        let (field, types): (&'static str, &[&'static str]) = match channel {
            Channel::Email => ("email", &EMAIL_CODE_TYPES),
            Channel::Sms => ("mobile", &SMS_CODE_TYPES),
        };
        let fields = json_body(body)?;
        let address = string_field(&fields, field)?;
        let kind = string_field(&fields, "type")?;
        let captcha_token = string_field(&fields, "captcha_token")?;
        let kind = types
            .iter()
            .copied()
            .find(|t| *t == kind)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1002", Msg::BadFormat("type")))?;
        let address_ok = match channel {
            Channel::Email => is_email(&address),
            Channel::Sms => split_mobile(&address).is_some() || is_national_mobile(&address),
        };
        if !address_ok {
            return Err(ApiError::bad("SDK.COMMON.1002", Msg::BadFormat(field)));
        }
        let code = random::digits(CODE_DIGITS).map_err(|_| ApiError::busy())?;

        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;
        let invalid = || ApiError::bad("CAPTCHA.0004", Msg::CaptchaInvalid);
        let pass = store
            .captcha_passes
            .get_mut(&captcha_token)
            .filter(|p| !p.used)
            .ok_or_else(invalid)?;
        if now >= pass.expires_at_ms {
            return Err(ApiError::bad("CAPTCHA.0003", Msg::CaptchaExpired));
        }
        if pass.sender != sender_key(&address) {
            return Err(invalid());
        }
        let user_name = store
            .users
            .values()
            .filter(|u| match channel {
                Channel::Email => u.email.eq_ignore_ascii_case(&address),
                Channel::Sms => mobile_matches(&address, &u.mobile),
            })
            .map(|u| u.user_name.clone())
            .min()
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        pass.used = true;
        store.send_code(
            &user_name,
            kind,
            channel,
            code,
            now,
            millis(config.code_ttl),
        );
        tracing::info!(user_name, kind, "emulator: code sent");
        Ok(StatusCode::OK.into_response())
    }
}
