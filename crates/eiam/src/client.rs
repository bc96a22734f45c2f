//! The [`Client`] and its calls.

use std::time::Duration;

use secrecy::ExposeSecret;

use crate::config::{ClientBuilder, Language};
use crate::error::{ConfigError, Error};
use crate::response;
use crate::secret::{Password, StateToken, VerifyCode};
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

/// A client of the EIAM user API. Cheap to clone; clones share one connection pool, so
/// build one per service and reuse it.
#[derive(Debug, Clone)]
pub struct Client {
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
            api,
            headers,
            timeout,
        }
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        eiam_api::ClientInfo::baseurl(&self.api)
    }

    /// The client id sent as `X-client-id`.
    pub fn client_id(&self) -> &str {
        &self.headers.client_id
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
        check_state_token(state_token)?;
        not_blank("verify_code", verify_code.is_blank())?;
        not_blank("new_password", new_password.is_blank())?;
        let body = eiam_api::types::UpdatePasswordByCodeRequest {
            verify_code: verify_code.expose_secret().to_owned(),
            new_password: new_password.expose_secret().to_owned(),
        };
        let call = with_common_headers!(self.api.update_password_by_email(), &self.headers)
            .x_state_token(state_token.expose_secret())
            .body(body)
            .send();
        let (result, status) = eiam_api::with_status_capture(call).await;
        let value = response::map(result, status, self.timeout).await?;
        Session::from_response(value.into_inner())
    }
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
    if token.expose_secret().chars().any(|c| c.is_control()) {
        return Err(Error::InvalidInput {
            field: "state_token",
            reason: "contains a control character".into(),
        });
    }
    Ok(())
}
