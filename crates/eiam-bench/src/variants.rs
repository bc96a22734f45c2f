//! The four ways of making the benchmarked call (update-by-email), each built once and
//! reused for every call, as a service would:
//!
//! * [`Variant::Hyper`]: hyper's pooled client (`hyper_util::client::legacy`), the layer
//!   reqwest is built on; headers and body by hand, the answer decoded with serde.
//! * [`Variant::Reqwest`]: reqwest written the obvious way: `reqwest::Client::new()`,
//!   `.header(...)` for each header, `.json(&body)`, `.error_for_status()`, `.json()`.
//! * [`Variant::Generated`]: the generated client (`eiam-api`) as its docs show it.
//! * [`Variant::Wrapper`]: the `eiam` client services use.
//!
//! All four send the same headers (the four device headers, `X-state-token`,
//! `Accept: application/json`; the generated client and the wrapper add `api-version`, and
//! the wrapper its `User-Agent`) and the same JSON body, and decode the same answer.

use std::fmt;

use anyhow::{Context as _, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

use crate::server::UPDATE_BY_EMAIL_PATH;

/// `X-client-id` of every benchmarked call.
pub const CLIENT_ID: &str = "bench-client";
/// `X-operating-sys-version`.
pub const OS_VERSION: &str = "linux-6.1";
/// `X-device-fingerprint`.
pub const FINGERPRINT: &str = "b3f1c2d4e5a6978812345678";
/// `X-agent`.
pub const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) eiam-bench";
/// `X-state-token` (48 letters and digits, like the emulator's).
pub const STATE_TOKEN: &str = "Zk3mQ9xT2vB7nR4wL8pC1yH6jD5fG0sA3eU9iO2kM7qW4tYx";
/// `verify_code`.
pub const VERIFY_CODE: &str = "482913";
/// `new_password`.
pub const NEW_PASSWORD: &str = "N3w-Passw0rd!";

/// One way of making the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// hyper's pooled client.
    Hyper,
    /// reqwest, written the obvious way.
    Reqwest,
    /// The generated client (`eiam-api`).
    Generated,
    /// The `eiam` client.
    Wrapper,
}

impl Variant {
    /// All four, from the lowest layer up.
    pub const ALL: [Variant; 4] = [
        Variant::Hyper,
        Variant::Reqwest,
        Variant::Generated,
        Variant::Wrapper,
    ];

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Hyper => "hyper",
            Variant::Reqwest => "reqwest",
            Variant::Generated => "generated",
            Variant::Wrapper => "wrapper",
        }
    }

    /// A description for the report.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Hyper => "(a) raw hyper client",
            Variant::Reqwest => "(b) raw reqwest, the obvious way",
            Variant::Generated => "(c) generated client (eiam-api)",
            Variant::Wrapper => "(d) wrapper (eiam)",
        }
    }

    /// The variant of a [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The request body, as a hand-written client would declare it.
#[derive(Serialize)]
struct ChangeBody<'a> {
    verify_code: &'a str,
    new_password: &'a str,
}

/// The answer, as a hand-written client would declare it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // decoded like a service would, not all fields are read here
struct SessionBody {
    status: String,
    expire: Option<i64>,
    session_token: Option<String>,
    id_token: Option<String>,
}

/// A client of one [`Variant`], built once.
// Built once per variant and never moved in the measured loop; boxing the hyper client
// would add an indirection to the baseline only. (Its size depends on the features the
// whole workspace unifies for hyper-util, so the lint fires in some builds only.)
#[allow(clippy::large_enum_variant)]
pub enum Caller {
    /// See [`Variant::Hyper`].
    Hyper {
        /// The pooled client.
        client: HyperClient<HttpConnector, Full<Bytes>>,
        /// The call's URL.
        uri: hyper::Uri,
    },
    /// See [`Variant::Reqwest`].
    Reqwest {
        /// The client.
        client: reqwest::Client,
        /// The call's URL.
        url: String,
    },
    /// See [`Variant::Generated`].
    Generated(eiam_api::Client),
    /// See [`Variant::Wrapper`]; the secrets are built once, as a service holds them.
    Wrapper {
        /// The client.
        client: eiam::Client,
        /// `X-state-token`.
        state_token: eiam::StateToken,
        /// `verify_code`.
        verify_code: eiam::VerifyCode,
        /// `new_password`.
        new_password: eiam::Password,
    },
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Caller({})", self.variant())
    }
}

impl Caller {
    /// Builds the client of `variant` for the server at `base_url` (`http://127.0.0.1:PORT`).
    ///
    /// # Errors
    /// If the client cannot be built.
    pub fn new(variant: Variant, base_url: &str) -> anyhow::Result<Caller> {
        let url = format!("{base_url}{UPDATE_BY_EMAIL_PATH}");
        Ok(match variant {
            Variant::Hyper => {
                let mut connector = HttpConnector::new();
                // As reqwest does by default.
                connector.set_nodelay(true);
                Caller::Hyper {
                    client: HyperClient::builder(TokioExecutor::new()).build(connector),
                    uri: url.parse()?,
                }
            }
            Variant::Reqwest => Caller::Reqwest {
                client: reqwest::Client::new(),
                url,
            },
            Variant::Generated => Caller::Generated(eiam_api::Client::new(base_url)),
            Variant::Wrapper => Caller::Wrapper {
                client: eiam::Client::builder()
                    .base_url(base_url)
                    .allow_http_loopback(true)
                    .client_id(CLIENT_ID)
                    .os_version(OS_VERSION)
                    .device_fingerprint(FINGERPRINT)
                    .agent(AGENT)
                    .build()?,
                state_token: eiam::StateToken::new(STATE_TOKEN),
                verify_code: eiam::VerifyCode::new(VERIFY_CODE),
                new_password: eiam::Password::new(NEW_PASSWORD),
            },
        })
    }

    /// Which variant this is.
    pub fn variant(&self) -> Variant {
        match self {
            Caller::Hyper { .. } => Variant::Hyper,
            Caller::Reqwest { .. } => Variant::Reqwest,
            Caller::Generated(_) => Variant::Generated,
            Caller::Wrapper { .. } => Variant::Wrapper,
        }
    }

    /// Makes one call and checks that it answered `SUCCESS` with a session token.
    ///
    /// # Errors
    /// Any failure of the call.
    pub async fn call(&self) -> anyhow::Result<()> {
        match self {
            Caller::Hyper { client, uri } => {
                let body = serde_json::to_vec(&ChangeBody {
                    verify_code: VERIFY_CODE,
                    new_password: NEW_PASSWORD,
                })?;
                let request = hyper::Request::post(uri.clone())
                    .header("X-client-id", CLIENT_ID)
                    .header("X-operating-sys-version", OS_VERSION)
                    .header("X-device-fingerprint", FINGERPRINT)
                    .header("X-agent", AGENT)
                    .header("X-state-token", STATE_TOKEN)
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))?;
                let response = client.request(request).await?;
                ensure!(response.status().is_success(), "HTTP {}", response.status());
                let bytes = response.into_body().collect().await?.to_bytes();
                let session: SessionBody = serde_json::from_slice(&bytes)?;
                check(&session.status, session.session_token.as_deref())
            }
            Caller::Reqwest { client, url } => {
                let session: SessionBody = client
                    .post(url)
                    .header("X-client-id", CLIENT_ID)
                    .header("X-operating-sys-version", OS_VERSION)
                    .header("X-device-fingerprint", FINGERPRINT)
                    .header("X-agent", AGENT)
                    .header("X-state-token", STATE_TOKEN)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .json(&ChangeBody {
                        verify_code: VERIFY_CODE,
                        new_password: NEW_PASSWORD,
                    })
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                check(&session.status, session.session_token.as_deref())
            }
            Caller::Generated(client) => {
                let session = client
                    .update_password_by_email()
                    .x_client_id(CLIENT_ID)
                    .x_operating_sys_version(OS_VERSION)
                    .x_device_fingerprint(FINGERPRINT)
                    .x_agent(AGENT)
                    .x_state_token(STATE_TOKEN)
                    .body(eiam_api::types::UpdatePasswordByCodeRequest {
                        verify_code: VERIFY_CODE.to_owned(),
                        new_password: NEW_PASSWORD.to_owned(),
                    })
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .into_inner();
                check(&session.status, session.session_token.as_deref())
            }
            Caller::Wrapper {
                client,
                state_token,
                verify_code,
                new_password,
            } => {
                let session = client
                    .update_password_by_email(state_token, verify_code, new_password)
                    .await?;
                ensure!(
                    *session.status() == eiam::SessionStatus::Success,
                    "status {}",
                    session.status()
                );
                Ok(())
            }
        }
    }
}

fn check(status: &str, session_token: Option<&str>) -> anyhow::Result<()> {
    ensure!(status == "SUCCESS", "status {status}");
    session_token.context("no session_token")?;
    Ok(())
}
