//! Not part of the API: decoding an answer without a network, for the fuzz targets
//! (`fuzz/`) and their regression tests. Nothing here is stable.

use crate::captcha::{Captcha, CaptchaToken, CodeType};
use crate::client::Client;
use crate::error::{ConfigError, Error};
use crate::secret::{Password, SessionToken, StateToken, VerifyCode};

/// The secrets the calls of [`decode_response`] send; no error may show them unless the
/// answer itself contained them.
pub const SENT_SECRETS: [&str; 6] = [
    "fuzz-state-token-secret",
    "fuzz-code-secret",
    "Fuzz-0ld-Passw0rd",
    "Fuzz-N3w-Passw0rd",
    "fuzz-session-secret",
    "fuzz-captcha-token-secret",
];

/// The calls whose answers [`decode_response`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `POST /api/v2/sdk/login`.
    Login,
    /// `GET /api/v2/sdk/captcha`.
    Captcha,
    /// `POST /api/v2/sdk/captcha/verify`.
    VerifyCaptcha,
    /// `POST /api/v2/sdk/email/send`.
    SendEmailCode,
    /// `POST /api/v2/sdk/sms/send`.
    SendSmsCode,
    /// `GET /api/v2/sdk/mobile-by-token`.
    MobileByToken,
    /// `POST /api/v2/sdk/pwd/update`.
    UpdatePassword,
    /// `POST /api/v2/sdk/after-login/pwd/update-by-email`.
    UpdateByEmail,
    /// `POST /api/v2/sdk/after-login/pwd/update-by-mobile`.
    UpdateByMobile,
    /// `GET /api/v2/sdk/pwd/skip-update`.
    Skip,
    /// `POST /api/v2/sdk/sso/session-token/id-token`.
    RefreshIdToken,
}

impl Call {
    /// Every call.
    pub const ALL: [Call; 11] = [
        Call::Login,
        Call::Captcha,
        Call::VerifyCaptcha,
        Call::SendEmailCode,
        Call::SendSmsCode,
        Call::MobileByToken,
        Call::UpdatePassword,
        Call::UpdateByEmail,
        Call::UpdateByMobile,
        Call::Skip,
        Call::RefreshIdToken,
    ];
}

/// A client for [`decode_response`] (its base URL is never contacted).
pub fn client() -> Result<Client, ConfigError> {
    Client::builder()
        .base_url("http://127.0.0.1:9")
        .allow_http_loopback(true)
        .client_id("fuzz-client")
        .os_version("fuzz-os")
        .device_fingerprint("fuzz-fp")
        .agent("fuzz-agent")
        .build()
}

/// Runs `call` through `client` with the answer `status`, `headers`, `body` (instead of the
/// network) and returns the `Debug` of what the call returned. Headers that HTTP cannot
/// carry are left out; a status outside 100..=999 becomes 502. Needs a tokio runtime with
/// time enabled.
pub async fn decode_response(
    client: &Client,
    call: Call,
    status: u16,
    headers: &[(Vec<u8>, Vec<u8>)],
    body: Vec<u8>,
) -> Result<String, Error> {
    let mut builder = http::Response::builder()
        .status(http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY));
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    let response = match builder.body(body) {
        Ok(response) => reqwest::Response::from(response),
        Err(e) => {
            return Err(Error::InvalidInput {
                field: "response",
                reason: e.to_string(),
            });
        }
    };
    let [state, code, old, new, session, captcha_token] = SENT_SECRETS;
    let state = StateToken::new(state);
    let code = VerifyCode::new(code);
    let (old, new) = (Password::new(old), Password::new(new));
    let run = async {
        Ok(match call {
            Call::Login => format!("{:?}", client.login("fuzz-user", &old).await?),
            Call::Captcha => format!("{:?}", client.captcha().await?),
            Call::VerifyCaptcha => {
                let captcha = Captcha::from(eiam_api::types::Captcha {
                    token: "fuzz-captcha".into(),
                    original_image_base64: None,
                    jigsaw_image_base64: None,
                    secret_key: None,
                    result: None,
                });
                format!(
                    "{:?}",
                    client
                        .verify_captcha(&captcha, 42.0, "fuzz@example.com")
                        .await?
                )
            }
            Call::SendEmailCode | Call::SendSmsCode => {
                let code_type = if call == Call::SendEmailCode {
                    CodeType::ChangePasswordEmail
                } else {
                    CodeType::ChangePasswordSms
                };
                let token = CaptchaToken::new(captcha_token);
                format!(
                    "{:?}",
                    client
                        .send_code(&code_type, "fuzz@example.com", &token)
                        .await?
                )
            }
            Call::MobileByToken => client.mobile_by_state_token(&state).await?,
            Call::UpdatePassword => {
                format!("{:?}", client.update_password(&state, &old, &new).await?)
            }
            Call::UpdateByEmail => format!(
                "{:?}",
                client.update_password_by_email(&state, &code, &new).await?
            ),
            Call::UpdateByMobile => format!(
                "{:?}",
                client
                    .update_password_by_mobile(&state, &code, &new)
                    .await?
            ),
            Call::Skip => format!("{:?}", client.skip_password_update(&state).await?),
            Call::RefreshIdToken => format!(
                "{:?}",
                client.refresh_id_token(&SessionToken::new(session)).await?
            ),
        })
    };
    eiam_api::with_canned_response(response, run).await
}
