//! Building a [`Client`]: base URL policy, device context, environment variables.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;

use crate::client::{CallSettings, Client, CommonHeaders};
use crate::error::ConfigError;

/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole call, from sending to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// What the default deadline adds to the longest time the attempts and waits can take.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// Default cap on the body of an answer: 1 MiB, far above any documented answer.
pub const DEFAULT_MAX_BODY_BYTES: u64 = eiam_api::DEFAULT_MAX_BODY_BYTES;

/// An opt-in, bounded retry of the calls that change nothing on the server: `GET
/// /api/v2/sdk/captcha` ([`Client::captcha`]) and `GET /api/v2/sdk/mobile-by-token`
/// ([`Client::mobile_by_state_token`]); see [`ClientBuilder::retry_safe_calls`]. Calls that
/// change state (login, code sends, password changes, skip, refresh) are never retried.
///
/// A failed attempt is tried again when [`Error::is_retryable`](crate::Error::is_retryable)
/// says so, at most [`max_retries`](Self::max_retries) times. The wait before a retry is
/// the server's `Retry-After` when it sent one, else an exponential backoff from
/// [`initial_backoff`](Self::initial_backoff) (doubling, at most
/// [`max_wait`](Self::max_wait)). When the server asks for a wait longer than `max_wait`,
/// or the wait would pass the call's [deadline](ClientBuilder::deadline), there is no
/// retry: the error is returned, with [`Error::retry_after`](crate::Error::retry_after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_wait: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 200 ms initial backoff, waits of at most 5 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(200),
            max_wait: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The default policy with `max_retries` retries (attempts = retries + 1).
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        }
    }

    /// The wait before the first retry without `Retry-After` (doubled for each next one).
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait before a retry; a `Retry-After` longer than this ends the retries.
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// How many times a failed attempt may be tried again.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The longest wait before a retry.
    pub fn max_wait_time(&self) -> Duration {
        self.max_wait
    }

    /// The wait before retry number `retry` (1-based) when the server gave no
    /// `Retry-After`.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_wait)
    }

    /// The longest time all attempts and waits can take with a per-attempt `timeout`.
    fn worst_case(&self, timeout: Duration) -> Duration {
        timeout
            .saturating_mul(self.max_retries.saturating_add(1))
            .saturating_add(self.max_wait.saturating_mul(self.max_retries))
    }
}

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
    deadline: Option<Duration>,
    allow_http_loopback: bool,
    max_body_bytes: u64,
    retry: Option<RetryPolicy>,
    root_certificates: Vec<reqwest::Certificate>,
    root_certificates_only: bool,
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
            deadline: None,
            allow_http_loopback: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            retry: None,
            root_certificates: Vec::new(),
            root_certificates_only: false,
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
    /// [`env`](mod@env)); unset or empty variables leave the setting unset.
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

    /// Time for one attempt of a call, from connecting to the end of the answer
    /// (default 30 s). A body that stalls midway ends in [`Error::Timeout`](crate::Error::Timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most time one client method may take in all: every attempt and every wait
    /// between attempts ([`retry_safe_calls`](Self::retry_safe_calls)). Past it the call
    /// ends with [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded). Default: what
    /// the timeout and the retry policy allow at most (the timeout itself without
    /// retries), plus one second.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The most bytes of an answer's body that are read (default
    /// [`DEFAULT_MAX_BODY_BYTES`], 1 MiB). A longer body, or a `Content-Length` announcing
    /// one, ends the call with [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge)
    /// without reading the rest.
    pub fn max_body_bytes(mut self, max: u64) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Retries the calls that change nothing on the server (captcha, mobile by state token)
    /// as `policy` says; off by default. See [`RetryPolicy`].
    pub fn retry_safe_calls(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Trusts `certificate` as a root for the service's TLS certificate, besides the
    /// system's roots: for a service behind a private CA. Read one with
    /// [`Certificate::from_pem`](reqwest::Certificate::from_pem) or
    /// [`Certificate::from_der`](reqwest::Certificate::from_der) (re-exported as
    /// `eiam::Certificate`). Certificate checks themselves cannot be turned off.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Trusts only the roots given with [`add_root_certificate`](Self::add_root_certificate),
    /// not the system's (default `false`).
    pub fn root_certificates_only(mut self, only: bool) -> Self {
        self.root_certificates_only = only;
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
        let roots = Roots {
            certificates: self.root_certificates,
            only: self.root_certificates_only,
        };
        if roots.only && roots.certificates.is_empty() {
            return Err(ConfigError::Value {
                what: "root certificates",
                reason: "root_certificates_only(true) needs at least one add_root_certificate"
                    .into(),
            });
        }
        let http = http_client_with_roots(&base_url, self.connect_timeout, self.timeout, roots)
            .map_err(ConfigError::Http)?;
        let base = base_url.as_str().trim_end_matches('/');
        // By default a little more than what the attempts and waits can take, so that an
        // attempt's own timeout is what reports a stall.
        let deadline = self.deadline.unwrap_or_else(|| {
            match &self.retry {
                Some(policy) => policy.worst_case(self.timeout),
                None => self.timeout,
            }
            .saturating_add(DEADLINE_MARGIN)
        });
        Ok(Client::from_parts(
            eiam_api::Client::new_with_client(base, http),
            headers,
            CallSettings {
                timeout: self.timeout,
                deadline,
                max_body_bytes: self.max_body_bytes,
                retry: self.retry,
            },
        ))
    }

    fn checked_base_url(&self) -> Result<Url, ConfigError> {
        let raw = self.base_url.as_deref().ok_or(ConfigError::Missing {
            what: "base URL",
            env: env::BASE_URL,
        })?;
        check_url(raw, self.allow_http_loopback, false).map_err(|refusal| match refusal {
            UrlRefusal::PlainHttpLoopback => ConfigError::PlainHttpNotAllowed {
                url: shown_url(raw),
            },
            other => ConfigError::BaseUrl {
                url: shown_url(raw),
                reason: other.reason(),
            },
        })
    }
}

/// Why [`check_url`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlRefusal {
    /// Not a URL.
    Parse(String),
    /// A query or fragment where none is allowed.
    QueryOrFragment,
    /// A user name or password in the URL.
    Credentials,
    /// Plain http to a loopback host, without the opt-in.
    PlainHttpLoopback,
    /// Plain http to another host.
    PlainHttp,
    /// Neither https nor http.
    Scheme,
}

impl UrlRefusal {
    /// Why, in words.
    pub(crate) fn reason(&self) -> String {
        match self {
            UrlRefusal::Parse(e) => e.clone(),
            UrlRefusal::QueryOrFragment => "a base URL has no query or fragment".into(),
            UrlRefusal::Credentials => "credentials do not belong in the base URL".into(),
            UrlRefusal::PlainHttpLoopback => {
                "plain http is allowed for loopback hosts only after opting in".into()
            }
            UrlRefusal::PlainHttp => {
                "plain http is allowed only for loopback hosts; use https".into()
            }
            UrlRefusal::Scheme => "the scheme must be https".into(),
        }
    }
}

/// The URL rule of every connection the crate makes: https, or plain http to a loopback
/// host (`127.0.0.0/8`, `::1`, `localhost`) when `allow_http_loopback`; no credentials in
/// the URL; a query or fragment only if `allow_query`.
pub(crate) fn check_url(
    raw: &str,
    allow_http_loopback: bool,
    allow_query: bool,
) -> Result<Url, UrlRefusal> {
    let url = Url::parse(raw.trim()).map_err(|e| UrlRefusal::Parse(e.to_string()))?;
    if !allow_query && (url.query().is_some() || url.fragment().is_some()) {
        return Err(UrlRefusal::QueryOrFragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) && allow_http_loopback => Ok(url),
        "http" if is_loopback(&url) => Err(UrlRefusal::PlainHttpLoopback),
        "http" => Err(UrlRefusal::PlainHttp),
        _ => Err(UrlRefusal::Scheme),
    }
}

/// A URL as errors and logs may show it: a user name, password, query or fragment (where a
/// secret may hide: `https://user:pw@host`, `?token=...`) is replaced by `***`. A text that
/// is not a URL is shown only if it has none of `@`, `?` and `#`.
pub(crate) fn shown_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) => {
            if !url.username().is_empty() {
                // Only URLs that cannot have credentials refuse them, and then there are none.
                let _ = url.set_username("***");
            }
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            if url.query().is_some() {
                url.set_query(Some("***"));
            }
            if url.fragment().is_some() {
                url.set_fragment(Some("***"));
            }
            url.into()
        }
        Err(_) if raw.contains(['@', '?', '#']) => {
            "(a URL, not shown: it may hold a secret)".into()
        }
        Err(_) => raw.to_owned(),
    }
}

/// The TLS roots a client trusts besides (or, with `only`, instead of) the system's.
#[derive(Default)]
pub(crate) struct Roots {
    pub(crate) certificates: Vec<reqwest::Certificate>,
    pub(crate) only: bool,
}

/// A `reqwest` client that keeps the crate's connection rules for `url`: no redirects
/// (an answer must come from the URL that was checked), https only for an https URL, no
/// proxy for a loopback host, the given timeouts, and the given TLS roots.
pub(crate) fn http_client_with_roots(
    url: &Url,
    connect_timeout: Duration,
    timeout: Duration,
    roots: Roots,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut http = reqwest::Client::builder();
    if roots.only {
        http = http.tls_certs_only(roots.certificates);
    } else if !roots.certificates.is_empty() {
        http = http.tls_certs_merge(roots.certificates);
    }
    if is_loopback(url) {
        // A proxy configured for the outside world must not see loopback traffic.
        http = http.no_proxy();
        // The one loopback name, `localhost`, is trusted by name for plain http: it must not
        // be left to a resolver (a search domain, a hosts file, the network's DNS) to send
        // it elsewhere.
        if let Some(url::Host::Domain(name)) = url.host() {
            let loopback = [
                std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
                std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
            ];
            http = http.resolve_to_addrs(name, &loopback);
        }
    }
    http.connect_timeout(connect_timeout)
        .timeout(timeout)
        // No retry below this crate: a request is sent once, or as its caller says.
        .retry(reqwest::retry::never())
        // A password change must not be replayed to wherever a redirect points.
        .redirect(reqwest::redirect::Policy::none())
        .https_only(url.scheme() == "https")
        .user_agent(concat!("eiam-rust/", env!("CARGO_PKG_VERSION")))
        .build()
}

pub(crate) fn is_loopback(url: &Url) -> bool {
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
