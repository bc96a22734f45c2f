//! The slider captcha and the kinds of verification code.

use std::fmt;

pub use crate::secret::CaptchaToken;

/// A slider captcha: a background image and a jigsaw piece the user slides into place.
/// Show both, read the x position the user chose, then
/// [`Client::verify_captcha`](crate::Client::verify_captcha).
#[derive(Clone, PartialEq, Eq)]
pub struct Captcha {
    token: String,
    background_png_base64: Option<String>,
    jigsaw_png_base64: Option<String>,
}

impl Captcha {
    /// A captcha known only by its token, e.g. one fetched earlier and shown to the user
    /// by another process (the images are then not needed any more).
    pub fn from_token(token: impl Into<String>) -> Captcha {
        Captcha {
            token: token.into(),
            background_png_base64: None,
            jigsaw_png_base64: None,
        }
    }

    /// The captcha's id.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The background image, PNG in base64.
    pub fn background_png_base64(&self) -> Option<&str> {
        self.background_png_base64.as_deref()
    }

    /// The jigsaw piece, PNG in base64.
    pub fn jigsaw_png_base64(&self) -> Option<&str> {
        self.jigsaw_png_base64.as_deref()
    }
}

impl fmt::Debug for Captcha {
    /// Neither the token (with the x position it is most of the secret
    /// [`CaptchaToken`]) nor the images (long): only whether the images are there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("token", &"***")
            .field("images", &self.background_png_base64.is_some())
            .finish()
    }
}

impl From<eiam_api::types::Captcha> for Captcha {
    fn from(c: eiam_api::types::Captcha) -> Self {
        Captcha {
            token: c.token,
            background_png_base64: c.original_image_base64,
            jigsaw_png_base64: c.jigsaw_image_base64,
        }
    }
}

use std::str::FromStr;

/// How a code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChannel {
    /// By e-mail (`POST /api/v2/sdk/email/send`).
    Email,
    /// By SMS (`POST /api/v2/sdk/sms/send`).
    Sms,
}

/// What a verification code is for (the send call's `type`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeType {
    /// `CHANGE_PWD_EMS`: change a password by e-mail code.
    ChangePasswordEmail,
    /// `CHANGE_PWD_SMS`: change a password by SMS code.
    ChangePasswordSms,
    /// `LOGIN_EMS`.
    LoginEmail,
    /// `LOGIN_SMS`.
    LoginSms,
    /// `MFA_AUTH_EMS`.
    MfaEmail,
    /// `MFA_AUTH_SMS`.
    MfaSms,
    /// `FORGET_PWD_EMS`.
    ForgotPasswordEmail,
    /// `FORGET_PWD_SMS`.
    ForgotPasswordSms,
    /// Another documented or future value, with its channel.
    Other {
        /// The channel it is sent on.
        channel: CodeChannel,
        /// The `type` value.
        value: String,
    },
}

impl CodeType {
    /// The `type` value.
    pub fn as_str(&self) -> &str {
        match self {
            CodeType::ChangePasswordEmail => "CHANGE_PWD_EMS",
            CodeType::ChangePasswordSms => "CHANGE_PWD_SMS",
            CodeType::LoginEmail => "LOGIN_EMS",
            CodeType::LoginSms => "LOGIN_SMS",
            CodeType::MfaEmail => "MFA_AUTH_EMS",
            CodeType::MfaSms => "MFA_AUTH_SMS",
            CodeType::ForgotPasswordEmail => "FORGET_PWD_EMS",
            CodeType::ForgotPasswordSms => "FORGET_PWD_SMS",
            CodeType::Other { value, .. } => value,
        }
    }

    /// The channel the code goes by.
    pub fn channel(&self) -> CodeChannel {
        match self {
            CodeType::ChangePasswordEmail
            | CodeType::LoginEmail
            | CodeType::MfaEmail
            | CodeType::ForgotPasswordEmail => CodeChannel::Email,
            CodeType::ChangePasswordSms
            | CodeType::LoginSms
            | CodeType::MfaSms
            | CodeType::ForgotPasswordSms => CodeChannel::Sms,
            CodeType::Other { channel, .. } => *channel,
        }
    }
}

impl FromStr for CodeType {
    type Err = std::convert::Infallible;

    /// The known values give their variant; any other value ending in `_EMS` is an e-mail
    /// code, any other one an SMS code (the vendor's naming: `..._EMS` / `..._SMS`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "CHANGE_PWD_EMS" => CodeType::ChangePasswordEmail,
            "CHANGE_PWD_SMS" => CodeType::ChangePasswordSms,
            "LOGIN_EMS" => CodeType::LoginEmail,
            "LOGIN_SMS" => CodeType::LoginSms,
            "MFA_AUTH_EMS" => CodeType::MfaEmail,
            "MFA_AUTH_SMS" => CodeType::MfaSms,
            "FORGET_PWD_EMS" => CodeType::ForgotPasswordEmail,
            "FORGET_PWD_SMS" => CodeType::ForgotPasswordSms,
            other => CodeType::Other {
                channel: if other.ends_with("_EMS") {
                    CodeChannel::Email
                } else {
                    CodeChannel::Sms
                },
                value: other.to_owned(),
            },
        })
    }
}

impl fmt::Display for CodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token() {
        let captcha = Captcha::from_token("71dd26999e314f9abb0c635336976635");
        let printed = format!("{captcha:?}");
        assert!(!printed.contains("71dd2699"), "{printed}");
        assert_eq!(printed, r#"Captcha { token: "***", images: false }"#);
    }

    #[test]
    fn code_types_round_trip_and_pick_their_channel() {
        for known in [
            "CHANGE_PWD_EMS",
            "CHANGE_PWD_SMS",
            "LOGIN_EMS",
            "MFA_AUTH_SMS",
        ] {
            let parsed: CodeType = known.parse().unwrap_or(CodeType::LoginSms);
            assert_eq!(parsed.as_str(), known);
            assert!(!matches!(parsed, CodeType::Other { .. }), "{known}");
        }
        let other: CodeType = "BIND_EMAIL_EMS".parse().unwrap_or(CodeType::LoginSms);
        assert_eq!(other.channel(), CodeChannel::Email);
        assert_eq!(other.to_string(), "BIND_EMAIL_EMS");
        let other: CodeType = "UPDATE_MOBILE_SMS".parse().unwrap_or(CodeType::LoginEmail);
        assert_eq!(other.channel(), CodeChannel::Sms);
    }
}
