//! Building a [`Client`]: base URL policy, device context, environment variables.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;

use crate::client::{Client, CommonHeaders};
use crate::error::ConfigError;

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole call, from sending to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The language of the service's messages (`X-L`). The service supports only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English (`en`).
    English,
    /// Chinese (`zh`).
    Chinese,
}

impl Language {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh",
        }
    }
}

impl FromStr for Language {
    type Err = ConfigError;

    /// `en` or `zh`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Language::English),
            "zh" => Ok(Language::Chinese),
            _ => Err(ConfigError::Value {
                what: "language",
                reason: format!("{s:?} is not supported; use `en` or `zh`"),
            }),
        }
    }
}

/// The calling device, sent as the `X-operating-sys-version`, `X-device-fingerprint`,
/// `X-device-ip` and `X-agent` headers of every call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// Operating system version, e.g. `windows10.1.1`.
    pub os_version: String,
    /// A fingerprint that stays the same for this device.
    pub fingerprint: String,
    /// The device's IP address (optional).
    pub ip: Option<String>,
    /// User-Agent text, e.g. the browser's.
    pub agent: String,
}

/// Builds a [`Client`]. Start from [`Client::builder`] or [`ClientBuilder::from_env`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: Option<String>,
    client_id: Option<String>,
    tenant_id: Option<String>,
    os_version: Option<String>,
    fingerprint: Option<String>,
    ip: Option<String>,
    agent: Option<String>,
    language: Option<Language>,
    connect_timeout: Duration,
    timeout: Duration,
    allow_http_loopback: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: None,
            client_id: None,
            tenant_id: None,
            os_version: None,
            fingerprint: None,
            ip: None,
            agent: None,
            language: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            allow_http_loopback: false,
        }
    }
}

/// The environment variables [`ClientBuilder::from_env`] reads.
pub mod env {
    /// Base URL, e.g. `https://tenant.example.com`.
    pub const BASE_URL: &str = "EIAM_BASE_URL";
    /// The application's client id (`X-client-id`).
    pub const CLIENT_ID: &str = "EIAM_CLIENT_ID";
    /// Tenant id for ISV applications (`X-tenant-id`).
    pub const TENANT_ID: &str = "EIAM_TENANT_ID";
    /// `X-operating-sys-version`.
    pub const OS_VERSION: &str = "EIAM_OS_VERSION";
    /// `X-device-fingerprint`.
    pub const DEVICE_FINGERPRINT: &str = "EIAM_DEVICE_FINGERPRINT";
    /// `X-device-ip`.
    pub const DEVICE_IP: &str = "EIAM_DEVICE_IP";
    /// `X-agent`.
    pub const AGENT: &str = "EIAM_AGENT";
    /// `X-L`: `en` or `zh`.
    pub const LANG: &str = "EIAM_LANG";
}

impl ClientBuilder {
    /// A builder with the settings found in the `EIAM_*` environment variables (see
    /// [`env`]); unset or empty variables leave the setting unset.
    pub fn from_env() -> Result<ClientBuilder, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// for configuration systems that are not the process environment).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientBuilder, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = ClientBuilder {
            base_url: get(env::BASE_URL),
            client_id: get(env::CLIENT_ID),
            tenant_id: get(env::TENANT_ID),
            os_version: get(env::OS_VERSION),
            fingerprint: get(env::DEVICE_FINGERPRINT),
            ip: get(env::DEVICE_IP),
            agent: get(env::AGENT),
            ..ClientBuilder::default()
        };
        if let Some(lang) = get(env::LANG) {
            builder.language = Some(lang.parse().map_err(|_| ConfigError::Value {
                what: "language",
                reason: format!("{} = {lang:?}: use `en` or `zh`", env::LANG),
            })?);
        }
        Ok(builder)
    }

    /// The service's base URL, e.g. `https://tenant.example.com` (https required; see
    /// [`allow_http_loopback`](Self::allow_http_loopback)).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The application's client id (`X-client-id`).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The tenant id, for ISV applications only (`X-tenant-id`).
    pub fn tenant_id(mut self, id: impl Into<String>) -> Self {
        self.tenant_id = Some(id.into());
        self
    }

    /// The calling device (all four device headers at once).
    pub fn device(mut self, device: Device) -> Self {
        self.os_version = Some(device.os_version);
        self.fingerprint = Some(device.fingerprint);
        self.ip = device.ip;
        self.agent = Some(device.agent);
        self
    }

    /// `X-operating-sys-version`.
    pub fn os_version(mut self, value: impl Into<String>) -> Self {
        self.os_version = Some(value.into());
        self
    }

    /// `X-device-fingerprint`.
    pub fn device_fingerprint(mut self, value: impl Into<String>) -> Self {
        self.fingerprint = Some(value.into());
        self
    }

    /// `X-device-ip`.
    pub fn device_ip(mut self, value: impl Into<String>) -> Self {
        self.ip = Some(value.into());
        self
    }

    /// `X-agent`.
    pub fn agent(mut self, value: impl Into<String>) -> Self {
        self.agent = Some(value.into());
        self
    }

    /// The language of the service's messages (`X-L`); unset, the service's default.
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for a whole call, from sending to the end of the answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Allows a plain `http://` base URL when its host is a loopback address
    /// (`127.0.0.0/8`, `::1`, `localhost`): for the emulator and local tests. Other hosts
    /// always need https.
    pub fn allow_http_loopback(mut self, allow: bool) -> Self {
        self.allow_http_loopback = allow;
        self
    }

    /// Checks every setting and builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = self.checked_base_url()?;
        let required = |value: Option<String>, what: &'static str, env: &'static str| {
            let value = value
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::Missing { what, env })?;
            header_safe(what, &value)?;
            Ok::<String, ConfigError>(value)
        };
        let optional = |value: Option<String>, what: &'static str| match value
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => header_safe(what, &v).map(|()| Some(v)),
            None => Ok(None),
        };
        let headers = CommonHeaders {
            client_id: required(self.client_id, "client id", env::CLIENT_ID)?,
            os_version: required(self.os_version, "OS version", env::OS_VERSION)?,
            fingerprint: required(
                self.fingerprint,
                "device fingerprint",
                env::DEVICE_FINGERPRINT,
            )?,
            agent: required(self.agent, "agent", env::AGENT)?,
            ip: optional(self.ip, "device IP")?,
            tenant_id: optional(self.tenant_id, "tenant id")?,
            language: self.language,
        };
        let mut http = reqwest::Client::builder();
        if is_loopback(&base_url) {
            // A proxy configured for the outside world must not see loopback traffic.
            http = http.no_proxy();
        }
        let http = http
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // A password change must not be replayed to wherever a redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(base_url.scheme() == "https")
            .user_agent(concat!("eiam-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::Http)?;
        let base = base_url.as_str().trim_end_matches('/');
        Ok(Client::from_parts(
            eiam_api::Client::new_with_client(base, http),
            headers,
            self.timeout,
        ))
    }

    fn checked_base_url(&self) -> Result<Url, ConfigError> {
        let raw = self.base_url.as_deref().ok_or(ConfigError::Missing {
            what: "base URL",
            env: env::BASE_URL,
        })?;
        let bad = |reason: &str| ConfigError::BaseUrl {
            url: raw.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("a base URL has no query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("credentials do not belong in the base URL"));
        }
        match url.scheme() {
            "https" => Ok(url),
            "http" if is_loopback(&url) && self.allow_http_loopback => Ok(url),
            "http" if is_loopback(&url) => Err(ConfigError::PlainHttpNotAllowed {
                url: raw.to_owned(),
            }),
            "http" => Err(bad(
                "plain http is allowed only for loopback hosts; use https",
            )),
            _ => Err(bad("the scheme must be https")),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Refuses values that a header cannot carry, or that could inject another header.
pub(crate) fn header_safe(what: &'static str, value: &str) -> Result<(), ConfigError> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(ConfigError::Value {
            what,
            reason: format!("contains the control character {c:?}"),
        }),
        None => Ok(()),
    }
}
