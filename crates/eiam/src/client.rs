//! The [`Client`] and its calls: one thin method per operation of the spec.

use std::sync::Arc;
use std::time::Duration;

use eiam_api::ResponseValue;
use eiam_api::types;
use secrecy::ExposeSecret;
use tracing::Instrument;

use crate::captcha::{Captcha, CaptchaToken, CodeChannel, CodeType};
use crate::config::{ClientBuilder, Language};
use crate::error::{ConfigError, Error};
use crate::flow::LoginOutcome;
use crate::response;
use crate::secret::{Password, SessionToken, StateToken, VerifyCode};
use crate::session::Session;

/// The headers sent with every call, checked once when the client is built.
#[derive(Debug, Clone)]
pub(crate) struct CommonHeaders {
    pub(crate) client_id: String,
    pub(crate) tenant_id: Option<String>,
    pub(crate) os_version: String,
    pub(crate) fingerprint: String,
    pub(crate) ip: Option<String>,
    pub(crate) agent: String,
    pub(crate) language: Option<Language>,
}

/// A client of the EIAM user API. Cheap to clone (clones share one connection pool and
/// one configuration): build one per service and reuse it.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    api: eiam_api::Client,
    headers: CommonHeaders,
    timeout: Duration,
}

/// Sets the common headers on a generated operation builder: every operation of the spec
/// has the same header parameters, so one macro serves them all.
macro_rules! with_common_headers {
    ($builder:expr, $headers:expr) => {{
        let h: &CommonHeaders = $headers;
        let mut builder = $builder
            .x_client_id(h.client_id.as_str())
            .x_operating_sys_version(h.os_version.as_str())
            .x_device_fingerprint(h.fingerprint.as_str())
            .x_agent(h.agent.as_str());
        if let Some(ip) = &h.ip {
            builder = builder.x_device_ip(ip.as_str());
        }
        if let Some(tenant) = &h.tenant_id {
            builder = builder.x_tenant_id(tenant.as_str());
        }
        if let Some(language) = h.language {
            builder = builder.x_l(language.as_str());
        }
        builder
    }};
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the `EIAM_*` environment variables alone.
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::from_env()?.build()
    }

    pub(crate) fn from_parts(
        api: eiam_api::Client,
        headers: CommonHeaders,
        timeout: Duration,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                api,
                headers,
                timeout,
            }),
        }
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        eiam_api::ClientInfo::baseurl(&self.inner.api)
    }

    /// The client id sent as `X-client-id`.
    pub fn client_id(&self) -> &str {
        &self.inner.headers.client_id
    }

    fn api(&self) -> &eiam_api::Client {
        &self.inner.api
    }

    fn headers(&self) -> &CommonHeaders {
        &self.inner.headers
    }

    /// Runs a generated call in a tracing span and maps its result.
    ///
    /// The span (`eiam.call`, DEBUG) has the operation id, method, path, HTTP status,
    /// duration, the outcome's error kind and the service's error code; never a header
    /// value or a body.
    async fn send<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<ResponseValue<T>, eiam_api::Error<types::Error>>>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!(
            "eiam.call",
            operation,
            method = tracing::field::Empty,
            path = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            error = tracing::field::Empty,
            error_code = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let (result, captured) = eiam_api::with_capture(call).instrument(span.clone()).await;
        let mapped = response::map(result, captured.status, self.inner.timeout)
            .instrument(span.clone())
            .await
            .map(ResponseValue::into_inner);
        if let Some(method) = captured.method {
            span.record("method", method);
        }
        if let Some(path) = &captured.path {
            span.record("path", path.as_str());
        }
        if let Some(status) = captured.status {
            span.record("status", status.as_u16());
        }
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        if let Err(e) = &mapped {
            span.record("error", e.kind());
            if let Some(code) = e.code() {
                span.record("error_code", code.as_str());
            }
        }
        span.in_scope(|| match &mapped {
            Ok(_) => tracing::debug!("call succeeded"),
            Err(e) => tracing::debug!(kind = e.kind(), "call failed"),
        });
        mapped
    }

    /// Signs in with a user name and password: `POST /api/v2/sdk/login`.
    ///
    /// The [`LoginOutcome`] says what comes next: a session, or a password to change
    /// (expired) or to change or skip (about to expire), a second factor, or a refusal.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank user name or password (nothing is sent);
    /// [`Error::Api`] with `LOGIN.0002` for wrong credentials, `SDK.LOGIN.1003` for a locked
    /// account; transport, timeout and unexpected-response errors.
    pub async fn login(&self, user_name: &str, password: &Password) -> Result<LoginOutcome, Error> {
        not_blank("user_name", user_name.trim().is_empty())?;
        not_blank("password", password.is_blank())?;
        let body = types::LoginRequest {
            user_name: user_name.to_owned(),
            password: password.expose_secret().to_owned(),
        };
        let call = with_common_headers!(self.api().login(), self.headers())
            .body(body)
            .send();
        LoginOutcome::from_response(self.clone(), self.send("login", call).await?)
    }

    /// Gets a slider captcha: `GET /api/v2/sdk/captcha`. Every code send needs one.
    pub async fn captcha(&self) -> Result<Captcha, Error> {
        let call = with_common_headers!(self.api().get_captcha(), self.headers()).send();
        Ok(Captcha::from(self.send("get_captcha", call).await?))
    }

    /// Verifies where the user slid the jigsaw piece (`x`, in pixels):
    /// `POST /api/v2/sdk/captcha/verify`. `sender` is the e-mail address or mobile number
    /// the code will go to; the token is valid for that one send.
    pub async fn verify_captcha(
        &self,
        captcha: &Captcha,
        x: f64,
        sender: &str,
    ) -> Result<CaptchaToken, Error> {
        not_blank("sender", sender.trim().is_empty())?;
        if !x.is_finite() {
            return Err(Error::InvalidInput {
                field: "x",
                reason: "is not a finite number".into(),
            });
        }
        let body = types::CaptchaVerifyRequest {
            point_json: format!("{{\"x\":{x:.1},\"y\":5.0}}"),
            token: captcha.token().to_owned(),
            sender: sender.to_owned(),
        };
        let call = with_common_headers!(self.api().verify_captcha(), self.headers())
            .body(body)
            .send();
        Ok(CaptchaToken::new(
            self.send("verify_captcha", call).await?.captcha_token,
        ))
    }

    /// Sends a verification code by e-mail (`POST /api/v2/sdk/email/send`) or SMS
    /// (`POST /api/v2/sdk/sms/send`), as `code_type` says.
    pub async fn send_code(
        &self,
        code_type: &CodeType,
        to: &str,
        captcha: &CaptchaToken,
    ) -> Result<(), Error> {
        not_blank("to", to.trim().is_empty())?;
        let captcha_token = captcha.expose_secret().to_owned();
        let kind = code_type.as_str().to_owned();
        match code_type.channel() {
            CodeChannel::Email => {
                let body = types::EmailSendRequest {
                    email: to.to_owned(),
                    type_: kind,
                    captcha_token,
                };
                let call = with_common_headers!(self.api().send_email_code(), self.headers())
                    .body(body)
                    .send();
                self.send("send_email_code", call).await
            }
            CodeChannel::Sms => {
                let body = types::SmsSendRequest {
                    mobile: to.to_owned(),
                    type_: kind,
                    captcha_token,
                };
                let call = with_common_headers!(self.api().send_sms_code(), self.headers())
                    .body(body)
                    .send();
                self.send("send_sms_code", call).await
            }
        }
    }

    /// The mobile number of a state token's user: `GET /api/v2/sdk/mobile-by-token`.
    pub async fn mobile_by_state_token(&self, state_token: &StateToken) -> Result<String, Error> {
        check_state_token(state_token)?;
        let call = with_common_headers!(self.api().get_mobile_by_state_token(), self.headers())
            .x_state_token(state_token.expose_secret())
            .send();
        Ok(self.send("get_mobile_by_state_token", call).await?.mobile)
    }

    /// Changes an expired (or expiring) password with the old password:
    /// `POST /api/v2/sdk/pwd/update`. Prefer the typed flow from [`Client::login`].
    pub async fn update_password(
        &self,
        state_token: &StateToken,
        old_password: &Password,
        new_password: &Password,
    ) -> Result<Session, Error> {
        check_state_token(state_token)?;
        not_blank("old_password", old_password.is_blank())?;
        not_blank("new_password", new_password.is_blank())?;
        let body = types::UpdatePasswordRequest {
            old_password: old_password.expose_secret().to_owned(),
            new_password: new_password.expose_secret().to_owned(),
        };
        let call = with_common_headers!(self.api().update_password(), self.headers())
            .x_state_token(state_token.expose_secret())
            .body(body)
            .send();
        Session::from_response(self.send("update_password", call).await?)
    }

    /// Changes an expired (or expiring) password with an e-mail verification code:
    /// `POST /api/v2/sdk/after-login/pwd/update-by-email`.
    ///
    /// `state_token` is the one the login answered; the code was sent with
    /// `type = CHANGE_PWD_EMS`. On success the state token is used up and a new
    /// [`Session`] starts. The call is never retried automatically (it changes state); see
    /// [`Error::is_retryable`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (blank code, password or token; nothing is sent),
    /// [`Error::Api`] for the service's refusals (wrong or expired code, expired state
    /// token, password policy...), and transport, timeout and unexpected-response errors.
    pub async fn update_password_by_email(
        &self,
        state_token: &StateToken,
        verify_code: &VerifyCode,
        new_password: &Password,
    ) -> Result<Session, Error> {
        let body = code_change_body(state_token, verify_code, new_password)?;
        let call = with_common_headers!(self.api().update_password_by_email(), self.headers())
            .x_state_token(state_token.expose_secret())
            .body(body)
            .send();
        Session::from_response(self.send("update_password_by_email", call).await?)
    }

    /// Changes an expired (or expiring) password with an SMS verification code (sent with
    /// `type = CHANGE_PWD_SMS`): `POST /api/v2/sdk/after-login/pwd/update-by-mobile`.
    pub async fn update_password_by_mobile(
        &self,
        state_token: &StateToken,
        verify_code: &VerifyCode,
        new_password: &Password,
    ) -> Result<Session, Error> {
        let body = code_change_body(state_token, verify_code, new_password)?;
        let call = with_common_headers!(self.api().update_password_by_mobile(), self.headers())
            .x_state_token(state_token.expose_secret())
            .body(body)
            .send();
        Session::from_response(self.send("update_password_by_mobile", call).await?)
    }

    /// Skips the change of a password that is about to expire:
    /// `GET /api/v2/sdk/pwd/skip-update`. Reached through
    /// [`ExpiringPassword::skip`](crate::ExpiringPassword::skip) only, so that a skip of an
    /// expired password cannot be written.
    pub(crate) async fn skip_password_update(
        &self,
        state_token: &StateToken,
    ) -> Result<Session, Error> {
        check_state_token(state_token)?;
        let call = with_common_headers!(self.api().skip_password_update(), self.headers())
            .x_state_token(state_token.expose_secret())
            .send();
        Session::from_response(self.send("skip_password_update", call).await?)
    }

    /// Gets a fresh id_token for a session: `POST /api/v2/sdk/sso/session-token/id-token`.
    /// Keep using the returned session's token: the service may rotate it.
    pub async fn refresh_id_token(&self, session_token: &SessionToken) -> Result<Session, Error> {
        not_blank("session_token", session_token.is_blank())?;
        if session_token.expose_secret().chars().any(char::is_control) {
            return Err(Error::InvalidInput {
                field: "session_token",
                reason: "contains a control character".into(),
            });
        }
        let call = with_common_headers!(self.api().refresh_id_token(), self.headers())
            .x_session_token(session_token.expose_secret())
            .send();
        Session::from_refresh(self.send("refresh_id_token", call).await?)
    }
}

fn code_change_body(
    state_token: &StateToken,
    verify_code: &VerifyCode,
    new_password: &Password,
) -> Result<types::UpdatePasswordByCodeRequest, Error> {
    check_state_token(state_token)?;
    not_blank("verify_code", verify_code.is_blank())?;
    not_blank("new_password", new_password.is_blank())?;
    Ok(types::UpdatePasswordByCodeRequest {
        verify_code: verify_code.expose_secret().to_owned(),
        new_password: new_password.expose_secret().to_owned(),
    })
}

fn not_blank(field: &'static str, blank: bool) -> Result<(), Error> {
    if blank {
        Err(Error::InvalidInput {
            field,
            reason: "is empty".into(),
        })
    } else {
        Ok(())
    }
}

fn check_state_token(token: &StateToken) -> Result<(), Error> {
    not_blank("state_token", token.is_blank())?;
    if token.expose_secret().chars().any(char::is_control) {
        return Err(Error::InvalidInput {
            field: "state_token",
            reason: "contains a control character".into(),
        });
    }
    Ok(())
}
