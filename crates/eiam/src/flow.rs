//! The password-expiry login flow as types.
//!
//! [`Client::login`](crate::Client::login) answers a [`LoginOutcome`]. When the password
//! has expired ([`ExpiredPassword`]) it must be changed: with the old password, or with a
//! code sent by e-mail or SMS. When it is about to expire ([`ExpiringPassword`]) the same
//! changes are offered, and also [`ExpiringPassword::skip`]. Only that type has `skip`, so a
//! skip of an expired password does not compile:
//!
//! ```compile_fail
//! # async fn f(expired: eiam::ExpiredPassword) {
//! let _ = expired.skip().await; // no method `skip` on `ExpiredPassword`
//! # }
//! ```

use std::ops::Deref;

use eiam_api::types::LoginResponse;

use crate::captcha::{CaptchaToken, CodeType};
use crate::client::Client;
use crate::error::Error;
use crate::policy::{PasswordPolicy, PolicyParseError};
use crate::secret::{Password, StateToken, VerifyCode};
use crate::session::Session;

/// What a login answered.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// `SUCCESS`: signed in.
    SignedIn(Session),
    /// `PASSWORD_WARN`: signed in only after changing the password or skipping.
    PasswordExpiring(ExpiringPassword),
    /// `PASSWORD_EXPIRED`: the password must be changed.
    PasswordExpired(ExpiredPassword),
    /// `MFA_AUTH`: a second factor is needed (not covered by this SDK yet).
    SecondFactorRequired(SecondFactor),
    /// `ACCESS_DENIED`: the user may not sign in to this application.
    AccessDenied,
    /// A status this version does not know, kept as sent.
    Unknown {
        /// The `status`.
        status: String,
        /// The `state_token`, if one came with it.
        state_token: Option<StateToken>,
    },
}

impl LoginOutcome {
    /// The `status` the service answered (`SUCCESS`, `PASSWORD_WARN`, ...).
    pub fn status(&self) -> &str {
        match self {
            LoginOutcome::SignedIn(_) => "SUCCESS",
            LoginOutcome::PasswordExpiring(_) => "PASSWORD_WARN",
            LoginOutcome::PasswordExpired(_) => "PASSWORD_EXPIRED",
            LoginOutcome::SecondFactorRequired(_) => "MFA_AUTH",
            LoginOutcome::AccessDenied => "ACCESS_DENIED",
            LoginOutcome::Unknown { status, .. } => status,
        }
    }

    pub(crate) fn from_response(client: Client, body: LoginResponse) -> Result<Self, Error> {
        let state = |body: &LoginResponse| {
            body.state_token
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(StateToken::new)
                .ok_or_else(|| Error::UnexpectedResponse {
                    status: Some(reqwest::StatusCode::OK),
                    reason: format!("status {} without a state_token", body.status),
                    excerpt: String::new(),
                    retry_after: None,
                })
        };
        let change = |body: &LoginResponse| -> Result<PasswordChange, Error> {
            Ok(PasswordChange {
                client: client.clone(),
                state_token: state(body)?,
                policy: match body.data.as_deref() {
                    Some(data) => PasswordPolicy::parse(data).map_err(Some),
                    None => Err(None),
                },
            })
        };
        Ok(match body.status.as_str() {
            "SUCCESS" => LoginOutcome::SignedIn(Session::from_login(body)?),
            "PASSWORD_WARN" => LoginOutcome::PasswordExpiring(ExpiringPassword(change(&body)?)),
            "PASSWORD_EXPIRED" => LoginOutcome::PasswordExpired(ExpiredPassword(change(&body)?)),
            "MFA_AUTH" => LoginOutcome::SecondFactorRequired(SecondFactor {
                client: client.clone(),
                state_token: state(&body)?,
            }),
            "ACCESS_DENIED" => LoginOutcome::AccessDenied,
            _ => LoginOutcome::Unknown {
                state_token: body
                    .state_token
                    .filter(|t| !t.is_empty())
                    .map(StateToken::new),
                status: body.status,
            },
        })
    }
}

/// A password that must (or may) be changed before the user is signed in: the operations
/// that [`ExpiredPassword`] and [`ExpiringPassword`] share.
#[derive(Debug)]
pub struct PasswordChange {
    client: Client,
    state_token: StateToken,
    policy: Result<PasswordPolicy, Option<PolicyParseError>>,
}

impl PasswordChange {
    /// Resumes a flow from a saved state token (e.g. kept in a web session between two
    /// requests) as a password that must be changed.
    pub fn resume(client: Client, state_token: StateToken) -> PasswordChange {
        PasswordChange {
            client,
            state_token,
            policy: Err(None),
        }
    }

    /// The state token of this login (secret; keep it to resume the flow later).
    pub fn state_token(&self) -> &StateToken {
        &self.state_token
    }

    /// The password policy the login returned: `None` when the login sent none or sent
    /// one that is not usable (see [`policy_error`](Self::policy_error)).
    pub fn policy(&self) -> Option<&PasswordPolicy> {
        self.policy.as_ref().ok()
    }

    /// Why the login's policy is not usable, when it sent one that is not.
    pub fn policy_error(&self) -> Option<&PolicyParseError> {
        self.policy.as_ref().err().and_then(Option::as_ref)
    }

    /// Checks a new password against the policy before any call (the change methods do
    /// this too). Without a usable policy every password passes: the server decides.
    pub fn check_new_password(&self, new_password: &Password) -> Result<(), Error> {
        match self.policy() {
            Some(policy) => policy.check(new_password).map_err(Error::PasswordPolicy),
            None => Ok(()),
        }
    }

    /// The user's mobile number, to send an SMS code to.
    pub async fn mobile(&self) -> Result<String, Error> {
        self.client.mobile_by_state_token(&self.state_token).await
    }

    /// Sends a `CHANGE_PWD_EMS` code to the user's e-mail address (a solved captcha
    /// verified for that address first).
    pub async fn send_email_code(&self, email: &str, captcha: &CaptchaToken) -> Result<(), Error> {
        self.client
            .send_code(&CodeType::ChangePasswordEmail, email, captcha)
            .await
    }

    /// Sends a `CHANGE_PWD_SMS` code to the user's mobile number (see
    /// [`mobile`](Self::mobile)).
    pub async fn send_sms_code(&self, mobile: &str, captcha: &CaptchaToken) -> Result<(), Error> {
        self.client
            .send_code(&CodeType::ChangePasswordSms, mobile, captcha)
            .await
    }

    /// Changes the password with the old one.
    pub async fn change_with_old_password(
        &self,
        old_password: &Password,
        new_password: &Password,
    ) -> Result<Session, Error> {
        self.check_new_password(new_password)?;
        self.client
            .update_password(&self.state_token, old_password, new_password)
            .await
    }

    /// Changes the password with the code sent by e-mail.
    pub async fn change_with_email_code(
        &self,
        code: &VerifyCode,
        new_password: &Password,
    ) -> Result<Session, Error> {
        self.check_new_password(new_password)?;
        self.client
            .update_password_by_email(&self.state_token, code, new_password)
            .await
    }

    /// Changes the password with the code sent by SMS.
    pub async fn change_with_sms_code(
        &self,
        code: &VerifyCode,
        new_password: &Password,
    ) -> Result<Session, Error> {
        self.check_new_password(new_password)?;
        self.client
            .update_password_by_mobile(&self.state_token, code, new_password)
            .await
    }
}

/// `PASSWORD_EXPIRED`: the password must be changed (every [`PasswordChange`] method);
/// there is no skip.
#[derive(Debug)]
pub struct ExpiredPassword(PasswordChange);

impl Deref for ExpiredPassword {
    type Target = PasswordChange;
    fn deref(&self) -> &PasswordChange {
        &self.0
    }
}

/// `PASSWORD_WARN`: the password is about to expire: change it (every
/// [`PasswordChange`] method) or [`skip`](Self::skip).
#[derive(Debug)]
pub struct ExpiringPassword(PasswordChange);

impl Deref for ExpiringPassword {
    type Target = PasswordChange;
    fn deref(&self) -> &PasswordChange {
        &self.0
    }
}

impl ExpiringPassword {
    /// Resumes a flow from a saved state token of a `PASSWORD_WARN` login. The type is the
    /// caller's word: a token of an expired password resumed here is refused by the
    /// service at [`skip`](Self::skip) (`SDK.COMMON.1006`). A resumed flow has no policy.
    pub fn resume(client: Client, state_token: StateToken) -> ExpiringPassword {
        ExpiringPassword(PasswordChange::resume(client, state_token))
    }

    /// Keeps the password for now and signs in: `GET /api/v2/sdk/pwd/skip-update`.
    pub async fn skip(&self) -> Result<Session, Error> {
        self.0
            .client
            .skip_password_update(&self.0.state_token)
            .await
    }
}

/// `MFA_AUTH`: a second factor is needed. This SDK does not cover the MFA calls yet; the
/// state token and the mobile number are available for them.
#[derive(Debug)]
pub struct SecondFactor {
    client: Client,
    state_token: StateToken,
}

impl SecondFactor {
    /// The state token of this login.
    pub fn state_token(&self) -> &StateToken {
        &self.state_token
    }

    /// The user's mobile number, for an SMS second factor.
    pub async fn mobile(&self) -> Result<String, Error> {
        self.client.mobile_by_state_token(&self.state_token).await
    }
}
