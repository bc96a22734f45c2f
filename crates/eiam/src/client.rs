//! The [`Client`] and its calls: one thin method per operation of the spec.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use eiam_api::ResponseValue;
use eiam_api::types;
use secrecy::ExposeSecret;
use tracing::Instrument;

use crate::captcha::{Captcha, CaptchaToken, CodeChannel, CodeType};
use crate::config::{ClientBuilder, Language, RetryPolicy};
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
    settings: CallSettings,
}

/// How calls are run: timeouts, the body cap, retries of the safe calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallSettings {
    /// Per attempt (reqwest's timeout; reported in [`Error::Timeout`]).
    pub(crate) timeout: Duration,
    /// For a whole client method, attempts and waits included.
    pub(crate) deadline: Duration,
    /// The cap on an answer's body.
    pub(crate) max_body_bytes: u64,
    /// The retry of the safe calls, if opted in.
    pub(crate) retry: Option<RetryPolicy>,
}

/// The type of the generated calls' results.
type ApiResult<T> = Result<ResponseValue<T>, eiam_api::Error<types::Error>>;

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
        settings: CallSettings,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                api,
                headers,
                settings,
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

    /// Runs a generated call once, in a tracing span, within the deadline, and maps its
    /// result. For every call that may change state: never retried.
    ///
    /// The span (`eiam.call`, DEBUG) has the operation id, method, path, HTTP status,
    /// duration, number of attempts, the outcome's error kind and the service's error code;
    /// never a header value or a body.
    ///
    /// `secrets` are the secret values the call sends: any text of the answer that repeats
    /// one (an error message echoing a password, say) shows `***` in its place.
    async fn send<T>(
        &self,
        operation: &'static str,
        secrets: &[&str],
        call: impl Future<Output = ApiResult<T>>,
    ) -> Result<T, Error> {
        let mut call = Some(call);
        // Called once: there is no retry policy.
        self.run(operation, secrets, None, move || call.take())
            .await
    }

    /// Like [`send`](Self::send) for a call that changes nothing on the server: with
    /// [`ClientBuilder::retry_safe_calls`], a retryable failure is tried again as the
    /// [`RetryPolicy`] says. `make` builds a fresh request for each attempt.
    async fn send_safe<T, F: Future<Output = ApiResult<T>>>(
        &self,
        operation: &'static str,
        secrets: &[&str],
        mut make: impl FnMut() -> F,
    ) -> Result<T, Error> {
        let retry = self.inner.settings.retry;
        self.run(operation, secrets, retry, move || Some(make()))
            .await
    }

    async fn run<T, F: Future<Output = ApiResult<T>>>(
        &self,
        operation: &'static str,
        secrets: &[&str],
        retry: Option<RetryPolicy>,
        mut make: impl FnMut() -> Option<F>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!(
            "eiam.call",
            operation,
            method = tracing::field::Empty,
            path = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            attempts = tracing::field::Empty,
            error = tracing::field::Empty,
            error_code = tracing::field::Empty,
        );
        let settings = self.inner.settings;
        let started = std::time::Instant::now();
        // Shared with the attempts so that they survive a deadline that cuts the loop.
        let attempts = AtomicU32::new(0);
        let last = Mutex::new(eiam_api::Captured::default());
        let attempts_loop = async {
            loop {
                let Some(call) = make() else {
                    return Err(Error::InvalidInput {
                        field: "request",
                        reason: "the call cannot be repeated".into(),
                    });
                };
                let attempt = attempts.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                let options = eiam_api::CallOptions {
                    max_body_bytes: settings.max_body_bytes,
                };
                let (result, captured) = eiam_api::with_options(options, call).await;
                let mapped = response::map(result, &captured, settings.timeout)
                    .await
                    .map(ResponseValue::into_inner);
                *last.lock().unwrap_or_else(PoisonError::into_inner) = captured;
                let error = match (mapped, retry) {
                    (Err(e), Some(policy))
                        if e.is_retryable() && attempt <= policy.max_retries() =>
                    {
                        e
                    }
                    (mapped, _) => return mapped,
                };
                let Some(wait) = retry.and_then(|p| retry_wait(&p, &error, attempt)) else {
                    return Err(error);
                };
                if started.elapsed().saturating_add(wait) >= settings.deadline {
                    return Err(error);
                }
                tracing::debug!(
                    kind = error.kind(),
                    wait_ms = wait.as_millis() as u64,
                    "retrying a call that changes nothing"
                );
                tokio::time::sleep(wait).await;
            }
        };
        let mapped = match tokio::time::timeout(settings.deadline, attempts_loop)
            .instrument(span.clone())
            .await
        {
            Ok(mapped) => mapped,
            Err(_) => Err(Error::DeadlineExceeded {
                deadline: settings.deadline,
            }),
        };
        let mapped = mapped.map_err(|e| e.redact(secrets));
        let captured = std::mem::take(&mut *last.lock().unwrap_or_else(PoisonError::into_inner));
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
        span.record("attempts", attempts.load(Ordering::Relaxed));
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
        LoginOutcome::from_response(
            self.clone(),
            self.send("login", &[password.expose_secret()], call)
                .await?,
        )
    }

    /// Gets a slider captcha: `GET /api/v2/sdk/captcha`. Every code send needs one.
    ///
    /// It changes nothing on the server: with
    /// [`ClientBuilder::retry_safe_calls`] a retryable failure is tried again.
    pub async fn captcha(&self) -> Result<Captcha, Error> {
        let make = || with_common_headers!(self.api().get_captcha(), self.headers()).send();
        Ok(Captcha::from(
            self.send_safe("get_captcha", &[], make).await?,
        ))
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
            self.send("verify_captcha", &[], call).await?.captcha_token,
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
                self.send("send_email_code", &[captcha.expose_secret()], call)
                    .await
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
                self.send("send_sms_code", &[captcha.expose_secret()], call)
                    .await
            }
        }
    }

    /// The mobile number of a state token's user: `GET /api/v2/sdk/mobile-by-token`.
    ///
    /// It changes nothing on the server: with
    /// [`ClientBuilder::retry_safe_calls`] a retryable failure is tried again.
    pub async fn mobile_by_state_token(&self, state_token: &StateToken) -> Result<String, Error> {
        check_state_token(state_token)?;
        let make = || {
            with_common_headers!(self.api().get_mobile_by_state_token(), self.headers())
                .x_state_token(state_token.expose_secret())
                .send()
        };
        Ok(self
            .send_safe(
                "get_mobile_by_state_token",
                &[state_token.expose_secret()],
                make,
            )
            .await?
            .mobile)
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
        Session::from_response(
            self.send(
                "update_password",
                &[
                    state_token.expose_secret(),
                    old_password.expose_secret(),
                    new_password.expose_secret(),
                ],
                call,
            )
            .await?,
        )
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
        Session::from_response(
            self.send(
                "update_password_by_email",
                &[
                    state_token.expose_secret(),
                    verify_code.expose_secret(),
                    new_password.expose_secret(),
                ],
                call,
            )
            .await?,
        )
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
        Session::from_response(
            self.send(
                "update_password_by_mobile",
                &[
                    state_token.expose_secret(),
                    verify_code.expose_secret(),
                    new_password.expose_secret(),
                ],
                call,
            )
            .await?,
        )
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
        Session::from_response(
            self.send("skip_password_update", &[state_token.expose_secret()], call)
                .await?,
        )
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
        Session::from_refresh(
            self.send("refresh_id_token", &[session_token.expose_secret()], call)
                .await?,
        )
    }
}

/// The wait before retry number `retry` of a failed safe call, or `None` when the server
/// asked for a longer wait than the policy allows.
fn retry_wait(policy: &RetryPolicy, error: &Error, retry: u32) -> Option<Duration> {
    match error.retry_after() {
        Some(asked) if asked > policy.max_wait_time() => None,
        Some(asked) => Some(asked),
        None => Some(policy.backoff(retry)),
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
