//! Verifying id_tokens: [`IdTokenVerifier`] (its documentation says how).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Url;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

pub use jsonwebtoken::jwk::JwkSet;

use crate::client::Client;
use crate::config::{Roots, UrlRefusal, check_url, http_client_with_roots, shown_url};
use crate::secret::IdToken;

/// Default tolerance for clock differences when checking `exp` and `nbf`: 60 s.
///
/// The vendor's tokens already carry an `nbf` 120 s before `iat`, so a token from a server
/// whose clock runs up to 3 minutes ahead still passes `nbf`; for `exp` the leeway keeps an
/// expired token usable for at most one more minute.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// Default shortest time between two fetches of the key set: 60 s.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Default time for a whole key fetch (discovery document or key set): 10 s.
pub const DEFAULT_KEY_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Default largest discovery document or key set read: 256 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// The path of the issuer under the base URL, inferred from the `iss` of the vendor's
/// example id_token (`https://<tenant host>/api/v1/oauth2`).
pub const ISSUER_PATH: &str = "/api/v1/oauth2";

/// The only signature algorithm accepted.
const RS256: &str = "RS256";

/// The longest piece of a token (`alg`, `kid`) repeated in an error.
const MAX_ECHO: usize = 64;

/// The claims of a verified id_token.
///
/// The vendor's tokens carry `iss`, `aud` (the client id), `sub` (the user name), `exp`,
/// `iat`, `nbf`, `jti` and the user's `id`, `name`, `userName`, `mobile` and `email`; every
/// other claim is kept in [`extra`](Self::extra). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// `sub`: the subject, the user name in the vendor's tokens.
    pub sub: String,
    /// `id`: the user's id.
    pub id: Option<String>,
    /// `name`: the user's display name.
    pub name: Option<String>,
    /// `userName`: the user name.
    pub user_name: Option<String>,
    /// `mobile`: the mobile number, e.g. `+86-15907132852`.
    pub mobile: Option<String>,
    /// `email`: the e-mail address.
    pub email: Option<String>,
    /// `iss`: the issuer (checked).
    pub iss: String,
    /// `aud`: the audience, one or more client ids (checked to contain this client's).
    pub aud: Vec<String>,
    /// `exp`: when the token expires (checked).
    pub exp: i64,
    /// `iat`: when the token was issued.
    pub iat: Option<i64>,
    /// `nbf`: when the token becomes valid (checked when present).
    pub nbf: Option<i64>,
    /// `jti`: the token's unique id.
    pub jti: Option<String>,
    /// Every other claim, as sent (e.g. the `api` claim of some tenants).
    pub extra: Map<String, Value>,
}

/// Why an id_token was not accepted, or a verifier not built. Never contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is not a JWT (three base64url parts, a JSON header and payload).
    #[error("not a well-formed JWT: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The header names an algorithm other than RS256 (`none`, `HS256`, `RS512`...).
    #[error("the token's algorithm {alg:?} is not accepted (RS256 only)")]
    UnsupportedAlgorithm {
        /// The header's `alg` (at most 64 characters of it).
        alg: String,
    },
    /// The header has no `kid`, so no key can be chosen.
    #[error("the token's header has no `kid`")]
    MissingKeyId,
    /// No RS256 key with the token's `kid`, even after the one refresh allowed (see
    /// [`IdTokenVerifierBuilder::min_refresh_interval`]).
    #[error("no RS256 key with kid {kid:?} in the issuer's key set")]
    UnknownKey {
        /// The header's `kid` (at most 64 characters of it).
        kid: String,
    },
    /// The key set (or the discovery document) could not be fetched or read.
    #[error("cannot get the issuer's keys from {url}: {reason}")]
    KeyFetch {
        /// The URL fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The signature does not match the header and payload (a tampered token, or one
    /// signed by another key with the same `kid`).
    #[error("the token's signature is not valid")]
    BadSignature,
    /// `iss` is not the configured issuer.
    #[error("the token was not issued by {expected}")]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
    },
    /// `aud` does not contain the configured audience (the client id).
    #[error("the token is not meant for {expected}")]
    WrongAudience {
        /// The configured audience.
        expected: String,
    },
    /// `exp` is past (allowing for the leeway).
    #[error("the token expired at {exp} (Unix seconds)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
    },
    /// `nbf` is still to come (allowing for the leeway).
    #[error("the token is not valid before {nbf} (Unix seconds)")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
    },
    /// A required claim (`sub`, `iss`, `aud`, `exp`) is missing.
    #[error("the token has no `{claim}` claim")]
    MissingClaim {
        /// The claim.
        claim: &'static str,
    },
    /// A claim has the wrong type (e.g. a string `exp`).
    #[error("the token's `{claim}` claim has the wrong type")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
    },
    /// The verifier's settings are not usable (from [`IdTokenVerifierBuilder::build`]).
    #[error("invalid {what}: {reason}")]
    Config {
        /// The setting.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl VerifyError {
    /// A short, stable name of the kind of error, for logs and metrics: `malformed`,
    /// `unsupported_algorithm`, `missing_kid`, `unknown_key`, `key_fetch`, `bad_signature`,
    /// `wrong_issuer`, `wrong_audience`, `expired`, `not_yet_valid`, `missing_claim`,
    /// `invalid_claim`, `config`.
    pub fn kind(&self) -> &'static str {
        match self {
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            VerifyError::MissingKeyId => "missing_kid",
            VerifyError::UnknownKey { .. } => "unknown_key",
            VerifyError::KeyFetch { .. } => "key_fetch",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::WrongIssuer { .. } => "wrong_issuer",
            VerifyError::WrongAudience { .. } => "wrong_audience",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::MissingClaim { .. } => "missing_claim",
            VerifyError::InvalidClaim { .. } => "invalid_claim",
            VerifyError::Config { .. } => "config",
        }
    }
}

/// Where the keys come from, as configured.
#[derive(Debug, Clone)]
enum KeySource {
    Discovery,
    JwksUrl(String),
    Keys(JwkSet),
}

/// Builds an [`IdTokenVerifier`]: start from [`IdTokenVerifier::builder`] or
/// [`IdTokenVerifier::for_client`].
#[derive(Debug, Clone)]
pub struct IdTokenVerifierBuilder {
    issuer: String,
    audience: String,
    source: KeySource,
    leeway: Duration,
    min_refresh_interval: Duration,
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: usize,
    allow_http_loopback: bool,
    root_certificates: Vec<reqwest::Certificate>,
    root_certificates_only: bool,
}

impl IdTokenVerifierBuilder {
    /// Takes the keys from the OIDC discovery document
    /// `{issuer}/.well-known/openid-configuration` (its `jwks_uri`). The default.
    pub fn discovery(mut self) -> Self {
        self.source = KeySource::Discovery;
        self
    }

    /// Takes the keys from this JWKS URL (https; see
    /// [`allow_http_loopback`](Self::allow_http_loopback)).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.source = KeySource::JwksUrl(url.into());
        self
    }

    /// Uses these keys and never fetches any.
    pub fn keys(mut self, keys: JwkSet) -> Self {
        self.source = KeySource::Keys(keys);
        self
    }

    /// Tolerance for clock differences when checking `exp` and `nbf` (default
    /// [`DEFAULT_LEEWAY`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The shortest time between two fetches of the key set (default
    /// [`DEFAULT_MIN_REFRESH_INTERVAL`]). A token whose `kid` is unknown triggers one fetch
    /// if the last one is at least this old, and is refused without a fetch otherwise.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Time to establish a connection for a key fetch (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for a whole key fetch (default [`DEFAULT_KEY_FETCH_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest discovery document or key set read, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`]); a larger one is a [`VerifyError::KeyFetch`].
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Allows plain `http://` key URLs when their host is a loopback address (the
    /// emulator), as [`ClientBuilder::allow_http_loopback`](crate::ClientBuilder::allow_http_loopback)
    /// does for the client. Other hosts always need https.
    pub fn allow_http_loopback(mut self, allow: bool) -> Self {
        self.allow_http_loopback = allow;
        self
    }

    /// Trusts `certificate` as a root for the key server's TLS certificate, besides the
    /// system's roots, as [`ClientBuilder::add_root_certificate`](crate::ClientBuilder::add_root_certificate)
    /// does for the client.
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

    /// Checks the settings and builds the verifier. Nothing is fetched yet: the keys are
    /// fetched by the first verification that needs them.
    ///
    /// # Errors
    /// [`VerifyError::Config`]: a blank issuer or audience, a key URL that breaks the https
    /// rule, a fixed key set without a usable RS256 key.
    pub fn build(self) -> Result<IdTokenVerifier, VerifyError> {
        let issuer = self.issuer.trim().to_owned();
        if issuer.is_empty() {
            return Err(config("issuer", "is empty".into()));
        }
        if self.audience.trim().is_empty() {
            return Err(config("audience", "is empty".into()));
        }
        if self.root_certificates_only && self.root_certificates.is_empty() {
            return Err(config(
                "root certificates",
                "root_certificates_only(true) needs at least one add_root_certificate".into(),
            ));
        }
        let tls = Tls {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            root_certificates: self.root_certificates,
            root_certificates_only: self.root_certificates_only,
        };
        let fetch = |what: &'static str, raw: &str| {
            let url = checked(what, raw, self.allow_http_loopback)?;
            let http = tls
                .client(&url)
                .map_err(|e| config(what, format!("cannot create the HTTP client: {e}")))?;
            Ok::<_, VerifyError>(Fetcher { url, http })
        };
        let (source, keys) = match self.source {
            KeySource::Keys(set) => {
                let keys = usable_keys(&set);
                if keys.is_empty() {
                    return Err(config("key set", "has no usable RS256 signing key".into()));
                }
                (Source::Fixed, keys)
            }
            KeySource::JwksUrl(raw) => (Source::Jwks(fetch("JWKS URL", &raw)?), HashMap::new()),
            KeySource::Discovery => {
                // The issuer itself is a URL under the same rule.
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                (
                    Source::Discovery(fetch("issuer", &discovery)?),
                    HashMap::new(),
                )
            }
        };
        Ok(IdTokenVerifier {
            inner: Arc::new(Inner {
                issuer,
                audience: self.audience,
                leeway: self.leeway,
                min_refresh_interval: self.min_refresh_interval,
                tls,
                max_response_bytes: self.max_response_bytes,
                allow_http_loopback: self.allow_http_loopback,
                source,
                keys: RwLock::new(Arc::new(keys)),
                fetch: tokio::sync::Mutex::new(FetchState::default()),
            }),
        })
    }
}

fn config(what: &'static str, reason: String) -> VerifyError {
    VerifyError::Config { what, reason }
}

/// A URL checked by the crate's https rule (the client's), for a key fetch.
fn checked(what: &'static str, raw: &str, allow_http_loopback: bool) -> Result<Url, VerifyError> {
    check_url(raw, allow_http_loopback, true).map_err(|refusal| {
        let raw = shown_url(raw);
        let reason = match refusal {
            UrlRefusal::Parse(e) => format!("{raw:?} is not a URL: {e}"),
            UrlRefusal::Credentials => format!("{raw:?}: credentials do not belong in a URL"),
            UrlRefusal::PlainHttpLoopback => format!(
                "{raw:?}: plain http is allowed for loopback hosts only after \
                 allow_http_loopback(true)"
            ),
            UrlRefusal::PlainHttp => {
                format!("{raw:?}: plain http is allowed only for loopback hosts; use https")
            }
            UrlRefusal::Scheme | UrlRefusal::QueryOrFragment => {
                format!("{raw:?}: the scheme must be https")
            }
        };
        config(what, reason)
    })
}

/// How key fetches connect: timeouts and TLS roots.
#[derive(Debug, Clone)]
struct Tls {
    connect_timeout: Duration,
    timeout: Duration,
    root_certificates: Vec<reqwest::Certificate>,
    root_certificates_only: bool,
}

impl Tls {
    /// An HTTP client for `url` with the crate's connection rules.
    fn client(&self, url: &Url) -> Result<reqwest::Client, reqwest::Error> {
        let roots = Roots {
            certificates: self.root_certificates.clone(),
            only: self.root_certificates_only,
        };
        http_client_with_roots(url, self.connect_timeout, self.timeout, roots)
    }
}

/// A URL to fetch and the HTTP client that keeps the connection rules for it.
#[derive(Debug, Clone)]
struct Fetcher {
    url: Url,
    http: reqwest::Client,
}

#[derive(Debug)]
enum Source {
    Fixed,
    Jwks(Fetcher),
    Discovery(Fetcher),
}

#[derive(Debug, Default)]
struct FetchState {
    /// When the last fetch was attempted (successful or not).
    last_attempt: Option<Instant>,
    /// Why the last fetch failed, if it did.
    last_error: Option<(String, String)>,
    /// The key set's URL, once discovered.
    jwks: Option<Fetcher>,
}

type Keys = HashMap<String, DecodingKey>;

struct Inner {
    issuer: String,
    audience: String,
    leeway: Duration,
    min_refresh_interval: Duration,
    tls: Tls,
    max_response_bytes: usize,
    allow_http_loopback: bool,
    source: Source,
    /// The usable keys by `kid`; replaced whole by each successful fetch.
    keys: RwLock<Arc<Keys>>,
    /// Held while fetching, so that one fetch serves every waiting verification.
    fetch: tokio::sync::Mutex<FetchState>,
}

/// Verifies id_tokens: the RS256 signature with the issuer's key chosen by `kid`, then
/// `iss`, `aud` (the client id), `exp` and `nbf` with a leeway (default
/// [`DEFAULT_LEEWAY`]). Uses [`jsonwebtoken`]; no cryptography of its own.
///
/// The id_token a login or a password change answers is an RS256 JWT; its claims are only
/// worth trusting once verified. Only `alg: RS256` is accepted: `none`, `HS256` and every
/// other algorithm are refused ([`VerifyError::UnsupportedAlgorithm`]) before any key is
/// looked at.
///
/// Where the keys come from (the vendor documents no JWKS location for these tokens):
///
/// * OIDC discovery, the default: `GET {issuer}/.well-known/openid-configuration`, whose
///   `issuer` must be the configured one and whose `jwks_uri` names the key set;
/// * a JWKS URL given directly ([`IdTokenVerifierBuilder::jwks_url`]);
/// * a fixed key set ([`IdTokenVerifierBuilder::keys`]), never refreshed.
///
/// Fetches follow the client's rules: https only (plain http only for a loopback host after
/// [`allow_http_loopback`](IdTokenVerifierBuilder::allow_http_loopback)), no redirects,
/// timeouts, and a bounded answer size. Key URLs named inside a token (`jku`, `x5u`, `jwk`
/// headers) are never used.
///
/// Fetched keys are cached and chosen by the token's `kid`. A `kid` not in the cache (a key
/// rotation) makes the verifier fetch the key set again, once, and not more often than
/// [`IdTokenVerifierBuilder::min_refresh_interval`] (default 60 s), so that tokens with
/// made-up `kid`s cannot turn the verifier into a load generator against the issuer.
/// Concurrent verifications share one fetch.
///
/// Cheap to clone (clones share the key cache): build one per service and reuse it.
///
/// ```no_run
/// use eiam::{Client, IdTokenVerifier};
///
/// # async fn run(client: Client, session: eiam::Session) -> Result<(), Box<dyn std::error::Error>> {
/// // Issuer `{base_url}/api/v1/oauth2`, audience the client id, keys by OIDC discovery.
/// let verifier = IdTokenVerifier::for_client(&client).build()?;
/// if let Some(id_token) = session.id_token() {
///     let claims = verifier.verify(id_token).await?;
///     println!("signed in: {} <{:?}>", claims.sub, claims.email);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct IdTokenVerifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.inner.source {
            Source::Fixed => "fixed keys".to_owned(),
            Source::Jwks(f) | Source::Discovery(f) => shown_url(f.url.as_str()),
        };
        f.debug_struct("IdTokenVerifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("keys_from", &source)
            .field("leeway", &self.inner.leeway)
            .finish_non_exhaustive()
    }
}

impl IdTokenVerifier {
    /// A builder for tokens of `issuer` (the exact `iss`) meant for `audience` (the client
    /// id). Keys come by OIDC discovery unless the builder says otherwise.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use eiam::IdTokenVerifier;
    ///
    /// # fn run() -> Result<(), eiam::VerifyError> {
    /// let verifier = IdTokenVerifier::builder(
    ///     "https://tenant.example.com/api/v1/oauth2",
    ///     "nTo1eRIub60vPb54WeE6aojPwYwImtl4",
    /// )
    /// .jwks_url("https://tenant.example.com/api/v1/oauth2/jwks")
    /// .leeway(Duration::from_secs(30))
    /// .build()?;
    /// # let _ = verifier;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> IdTokenVerifierBuilder {
        IdTokenVerifierBuilder {
            issuer: issuer.into(),
            audience: audience.into(),
            source: KeySource::Discovery,
            leeway: DEFAULT_LEEWAY,
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
            connect_timeout: crate::config::DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_KEY_FETCH_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_http_loopback: false,
            root_certificates: Vec::new(),
            root_certificates_only: false,
        }
    }

    /// A builder for the tokens `client`'s calls answer: issuer
    /// `{base_url}/api/v1/oauth2` ([`ISSUER_PATH`]), audience the client id, keys by OIDC
    /// discovery. Plain http is allowed exactly when the client's base URL is plain http
    /// (which the client allows only for a loopback host after opting in).
    ///
    /// The issuer path is inferred from the `iss` of the vendor's example id_token; if a
    /// tenant's tokens say otherwise, use [`IdTokenVerifier::builder`] with the `iss` they
    /// carry.
    pub fn for_client(client: &Client) -> IdTokenVerifierBuilder {
        let base = client.base_url().trim_end_matches('/');
        IdTokenVerifier::builder(format!("{base}{ISSUER_PATH}"), client.client_id())
            .allow_http_loopback(base.starts_with("http://"))
    }

    /// The issuer tokens must come from.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The audience tokens must be meant for.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// Verifies `token` now and returns its claims.
    ///
    /// # Errors
    /// Every [`VerifyError`] but `Config`.
    pub async fn verify(&self, token: &IdToken) -> Result<IdTokenClaims, VerifyError> {
        self.verify_at(token, SystemTime::now()).await
    }

    /// Verifies `token` as if the time were `now` (for tests, or to re-check a logged
    /// event): the signature, issuer and audience as [`verify`](Self::verify) does, `exp`
    /// and `nbf` against `now`.
    ///
    /// # Errors
    /// Every [`VerifyError`] but `Config`.
    pub async fn verify_at(
        &self,
        token: &IdToken,
        now: SystemTime,
    ) -> Result<IdTokenClaims, VerifyError> {
        let token = token.expose_secret().trim();
        let header = Header::parse(token)?;
        let key = self.key_for(&header.kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.inner.issuer.as_str()]);
        validation.set_audience(&[self.inner.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Checked below against `now`, which jsonwebtoken cannot be given.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| self.map_jwt_error(e.into_kind()))?;

        let claims = IdTokenClaims::from_map(data.claims)?;
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let leeway = i64::try_from(self.inner.leeway.as_secs()).unwrap_or(i64::MAX);
        // RFC 7519: valid before `exp`, and from `nbf` on.
        if now >= claims.exp.saturating_add(leeway) {
            return Err(VerifyError::Expired { exp: claims.exp });
        }
        if let Some(nbf) = claims.nbf
            && now.saturating_add(leeway) < nbf
        {
            return Err(VerifyError::NotYetValid { nbf });
        }
        Ok(claims)
    }

    fn map_jwt_error(&self, kind: ErrorKind) -> VerifyError {
        match kind {
            ErrorKind::InvalidSignature => VerifyError::BadSignature,
            ErrorKind::InvalidIssuer => VerifyError::WrongIssuer {
                expected: self.inner.issuer.clone(),
            },
            ErrorKind::InvalidAudience => VerifyError::WrongAudience {
                expected: self.inner.audience.clone(),
            },
            ErrorKind::MissingRequiredClaim(claim) => VerifyError::MissingClaim {
                claim: claim_name(&claim),
            },
            ErrorKind::InvalidClaimFormat(claim) => VerifyError::InvalidClaim {
                claim: claim_name(&claim),
            },
            ErrorKind::Json(_) => VerifyError::Malformed {
                reason: "the payload is not a JSON object",
            },
            ErrorKind::Base64(_) | ErrorKind::Utf8(_) => VerifyError::Malformed {
                reason: "a part is not base64url",
            },
            // Anything else (a key the crypto library refuses...) is no valid signature.
            _ => VerifyError::BadSignature,
        }
    }

    /// The cached key for `kid`, fetching the key set when allowed (see the module docs).
    async fn key_for(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let unknown = || VerifyError::UnknownKey { kid: echo(kid) };
        if matches!(self.inner.source, Source::Fixed) {
            return Err(unknown());
        }
        let mut state = self.inner.fetch.lock().await;
        // Another verification may have fetched while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let recent = state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.inner.min_refresh_interval);
        if recent {
            // A key set that could not be fetched at all is a fetch error, not an unknown key.
            return match (&state.last_error, self.has_keys()) {
                (Some((url, reason)), false) => Err(VerifyError::KeyFetch {
                    url: url.clone(),
                    reason: format!(
                        "{reason} (not retried until {:?} after that attempt)",
                        self.inner.min_refresh_interval
                    ),
                }),
                _ => Err(unknown()),
            };
        }
        state.last_attempt = Some(Instant::now());
        match self.fetch_keys(&mut state).await {
            Ok(keys) => {
                state.last_error = None;
                tracing::debug!(keys = keys.len(), "eiam: id_token keys fetched");
                *self
                    .inner
                    .keys
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            }
            Err(e) => {
                if let VerifyError::KeyFetch { url, reason } = &e {
                    tracing::warn!(%url, %reason, "eiam: cannot fetch the id_token keys");
                    state.last_error = Some((url.clone(), reason.clone()));
                }
                return Err(e);
            }
        }
        self.cached(kid).ok_or_else(unknown)
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    fn has_keys(&self) -> bool {
        !self
            .inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Fetches the key set (discovering its URL first if needed).
    async fn fetch_keys(&self, state: &mut FetchState) -> Result<Keys, VerifyError> {
        let jwks = match &self.inner.source {
            Source::Fixed => return Ok(Keys::new()),
            Source::Jwks(fetcher) => fetcher.clone(),
            Source::Discovery(discovery) => match &state.jwks {
                Some(fetcher) => fetcher.clone(),
                None => {
                    let fetcher = self.discover(discovery).await?;
                    state.jwks = Some(fetcher.clone());
                    fetcher
                }
            },
        };
        let document = self.fetch_json(&jwks).await?;
        let set: JwkSet = parse_key_set(&document).ok_or_else(|| VerifyError::KeyFetch {
            url: shown_url(jwks.url.as_str()),
            reason: "not a JWKS document (no `keys` array)".into(),
        })?;
        let keys = usable_keys(&set);
        if keys.is_empty() {
            return Err(VerifyError::KeyFetch {
                url: shown_url(jwks.url.as_str()),
                reason: "the key set has no usable RS256 signing key".into(),
            });
        }
        Ok(keys)
    }

    /// Reads the discovery document: its `issuer` must be ours, its `jwks_uri` obeys the
    /// https rule.
    async fn discover(&self, discovery: &Fetcher) -> Result<Fetcher, VerifyError> {
        let document = self.fetch_json(discovery).await?;
        let bad = |reason: String| VerifyError::KeyFetch {
            url: shown_url(discovery.url.as_str()),
            reason,
        };
        match document.get("issuer").and_then(Value::as_str) {
            Some(issuer) if issuer == self.inner.issuer => {}
            Some(_) => {
                return Err(bad(format!(
                    "the discovery document's issuer is not {}",
                    self.inner.issuer
                )));
            }
            None => return Err(bad("the discovery document has no `issuer`".into())),
        }
        let raw = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("the discovery document has no `jwks_uri`".into()))?;
        let url =
            checked("jwks_uri", raw, self.inner.allow_http_loopback).map_err(|e| match e {
                VerifyError::Config { reason, .. } => bad(format!("jwks_uri {reason}")),
                other => other,
            })?;
        // The key set may live on another host: its connection rules follow its own URL.
        let http = self
            .inner
            .tls
            .client(&url)
            .map_err(|e| bad(format!("cannot create the HTTP client: {e}")))?;
        Ok(Fetcher { url, http })
    }

    /// GETs a JSON document of at most `max_response_bytes`.
    async fn fetch_json(&self, fetcher: &Fetcher) -> Result<Value, VerifyError> {
        let fail = |reason: String| VerifyError::KeyFetch {
            url: shown_url(fetcher.url.as_str()),
            reason,
        };
        let max = self.inner.max_response_bytes;
        let mut response = fetcher
            .http
            .get(fetcher.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fail(transport_reason(e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {}", status.as_u16())));
        }
        let too_large = || fail(format!("the answer is larger than {max} bytes"));
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail(transport_reason(e)))?
        {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| fail("the answer is not JSON".into()))
    }
}

fn transport_reason(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        // Without the URL, which the caller already shows.
        e.without_url().to_string()
    }
}

/// The keys of a JWKS document; a key this crate cannot parse is skipped rather than
/// failing the whole set (a set may carry encryption keys or newer key types).
fn parse_key_set(document: &Value) -> Option<JwkSet> {
    let keys = document.get("keys")?.as_array()?;
    Some(JwkSet {
        keys: keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect(),
    })
}

/// The RS256 signing keys of a set, by `kid`: RSA keys with a `kid`, whose `use` (if any)
/// is `sig` and whose `alg` (if any) is RS256. The first of two keys with one `kid` wins.
fn usable_keys(set: &JwkSet) -> Keys {
    let mut keys = Keys::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.as_deref() else {
            continue;
        };
        let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
        let signing = matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        );
        let rs256 = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
        if !(rsa && signing && rs256) || keys.contains_key(kid) {
            continue;
        }
        if let Ok(key) = DecodingKey::from_jwk(jwk) {
            keys.insert(kid.to_owned(), key);
        }
    }
    keys
}

/// What the verifier reads from a JWT header before choosing a key.
#[derive(Debug)]
struct Header {
    kid: String,
}

impl Header {
    /// Parses the header of a compact JWS and refuses every algorithm but RS256 before any
    /// key is looked at.
    fn parse(token: &str) -> Result<Header, VerifyError> {
        let malformed = |reason| VerifyError::Malformed { reason };
        let mut parts = token.split('.');
        let (Some(header), Some(_payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("not three dot-separated parts"));
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed("the header is not base64url"))?;
        let header: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|_| malformed("the header is not a JSON object"))?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg,
            Some(_) => return Err(malformed("the header's `alg` is not a string")),
            None => return Err(malformed("the header has no `alg`")),
        };
        if alg != RS256 {
            return Err(VerifyError::UnsupportedAlgorithm { alg: echo(alg) });
        }
        if header.contains_key("crit") {
            // RFC 7515 §4.1.11: extensions the recipient does not understand must fail.
            return Err(malformed("the header has critical extensions"));
        }
        match header.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => Ok(Header { kid: kid.clone() }),
            Some(Value::String(_)) | None => Err(VerifyError::MissingKeyId),
            Some(_) => Err(malformed("the header's `kid` is not a string")),
        }
    }
}

/// At most [`MAX_ECHO`] characters of a value from a token, without control characters.
fn echo(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ECHO)
        .collect()
}

fn claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        _ => "unknown",
    }
}

impl IdTokenClaims {
    /// The typed claims of a verified payload; what is not typed stays in `extra`.
    fn from_map(mut map: Map<String, Value>) -> Result<IdTokenClaims, VerifyError> {
        let sub = required(&mut map, "sub", string)?;
        let iss = required(&mut map, "iss", string)?;
        let aud = required(&mut map, "aud", audience)?;
        let exp = required(&mut map, "exp", numeric_date)?;
        Ok(IdTokenClaims {
            sub,
            iss,
            aud,
            exp,
            id: optional(&mut map, "id", string)?,
            name: optional(&mut map, "name", string)?,
            user_name: optional(&mut map, "userName", string)?,
            mobile: optional(&mut map, "mobile", string)?,
            email: optional(&mut map, "email", string)?,
            iat: optional(&mut map, "iat", numeric_date)?,
            nbf: optional(&mut map, "nbf", numeric_date)?,
            jti: optional(&mut map, "jti", string)?,
            extra: map,
        })
    }
}

fn required<T>(
    map: &mut Map<String, Value>,
    claim: &'static str,
    read: fn(Value) -> Option<T>,
) -> Result<T, VerifyError> {
    optional(map, claim, read)?.ok_or(VerifyError::MissingClaim { claim })
}

/// A claim that may be absent (or `null`).
fn optional<T>(
    map: &mut Map<String, Value>,
    claim: &'static str,
    read: fn(Value) -> Option<T>,
) -> Result<Option<T>, VerifyError> {
    match map.remove(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value)
            .map(Some)
            .ok_or(VerifyError::InvalidClaim { claim }),
    }
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A string, or an array of strings (RFC 7519 §4.1.3).
fn audience(value: Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s]),
        Value::Array(items) => items.into_iter().map(string).collect(),
        _ => None,
    }
}

/// A NumericDate: seconds, possibly with a fraction (dropped).
fn numeric_date(value: Value) -> Option<i64> {
    let n = value.as_number()?;
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.floor() as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn header_checks_come_before_any_key() {
        let token = |header: &str| format!("{}.{}.sig", b64(header), b64("{}"));
        assert!(matches!(
            Header::parse(&token(r#"{"alg":"none"}"#)),
            Err(VerifyError::UnsupportedAlgorithm { alg }) if alg == "none"
        ));
        assert!(matches!(
            Header::parse(&token(r#"{"alg":"HS256","kid":"k"}"#)),
            Err(VerifyError::UnsupportedAlgorithm { alg }) if alg == "HS256"
        ));
        assert!(matches!(
            Header::parse(&token(r#"{"alg":"RS256"}"#)),
            Err(VerifyError::MissingKeyId)
        ));
        assert!(matches!(
            Header::parse(&token(r#"{"alg":"RS256","kid":"k","crit":["x"]}"#)),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            Header::parse("a.b"),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            Header::parse("!!.b.c"),
            Err(VerifyError::Malformed { .. })
        ));
        let long = format!(r#"{{"alg":"{}"}}"#, "x".repeat(500));
        match Header::parse(&token(&long)) {
            Err(VerifyError::UnsupportedAlgorithm { alg }) => assert_eq!(alg.len(), MAX_ECHO),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Header::parse(&token(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#))
                .map(|h| h.kid)
                .ok(),
            Some("k1".to_owned())
        );
    }

    #[test]
    fn claims_are_typed_and_unknown_ones_kept() {
        let map = serde_json::json!({
            "sub": "alice", "iss": "https://t/api/v1/oauth2", "aud": ["c1", "c2"],
            "exp": 1_700_000_000, "iat": 1_699_990_000.5, "nbf": null,
            "userName": "alice", "email": "a@example.com", "api": "{\"x\":1}",
        });
        let Value::Object(map) = map else {
            unreachable!()
        };
        let claims = IdTokenClaims::from_map(map).expect("valid claims");
        assert_eq!(claims.aud, ["c1", "c2"]);
        assert_eq!(claims.iat, Some(1_699_990_000));
        assert_eq!(claims.nbf, None);
        assert_eq!(claims.user_name.as_deref(), Some("alice"));
        assert_eq!(claims.extra.len(), 1);
        assert_eq!(claims.extra["api"], "{\"x\":1}");

        let Value::Object(bad) = serde_json::json!({
            "sub": "a", "iss": "i", "aud": "c", "exp": "soon",
        }) else {
            unreachable!()
        };
        assert!(matches!(
            IdTokenClaims::from_map(bad),
            Err(VerifyError::InvalidClaim { claim: "exp" })
        ));
        let Value::Object(missing) = serde_json::json!({"iss": "i", "aud": "c", "exp": 1}) else {
            unreachable!()
        };
        assert!(matches!(
            IdTokenClaims::from_map(missing),
            Err(VerifyError::MissingClaim { claim: "sub" })
        ));
    }

    #[test]
    fn only_rs256_signing_keys_are_used() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "512", "alg": "RS512", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "ok", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"},
        ]}))
        .expect("a key set");
        let keys = usable_keys(&set);
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["ok"]);
    }

    #[test]
    fn a_key_set_with_an_unknown_key_type_keeps_the_others() {
        let document = serde_json::json!({"keys": [
            {"kty": "future", "kid": "x"},
            {"kty": "RSA", "kid": "ok", "n": "sXch", "e": "AQAB"},
        ]});
        let set = parse_key_set(&document).expect("a key set");
        assert_eq!(usable_keys(&set).len(), 1);
        assert!(parse_key_set(&serde_json::json!({"nokeys": []})).is_none());
    }

    #[test]
    fn build_checks_the_settings() {
        let err = |b: IdTokenVerifierBuilder| b.build().expect_err("refused");
        assert!(matches!(
            err(IdTokenVerifier::builder(" ", "c")),
            VerifyError::Config { what: "issuer", .. }
        ));
        assert!(matches!(
            err(IdTokenVerifier::builder("https://t/api/v1/oauth2", "")),
            VerifyError::Config {
                what: "audience",
                ..
            }
        ));
        assert!(matches!(
            err(IdTokenVerifier::builder(
                "http://example.com/api/v1/oauth2",
                "c"
            )),
            VerifyError::Config { what: "issuer", .. }
        ));
        let loopback = "http://127.0.0.1:9/jwks";
        match err(IdTokenVerifier::builder("i", "c").jwks_url(loopback)) {
            VerifyError::Config { what, reason } => {
                assert_eq!(what, "JWKS URL");
                assert!(reason.contains("allow_http_loopback"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            IdTokenVerifier::builder("i", "c")
                .jwks_url(loopback)
                .allow_http_loopback(true)
                .build()
                .is_ok()
        );
        assert!(matches!(
            err(IdTokenVerifier::builder("i", "c").jwks_url("https://u:p@example.com/jwks")),
            VerifyError::Config { .. }
        ));
        assert!(matches!(
            err(IdTokenVerifier::builder("i", "c").keys(JwkSet { keys: vec![] })),
            VerifyError::Config {
                what: "key set",
                ..
            }
        ));
        assert!(matches!(
            err(IdTokenVerifier::builder("https://t/api/v1/oauth2", "c")
                .root_certificates_only(true)),
            VerifyError::Config {
                what: "root certificates",
                ..
            }
        ));
        assert!(
            IdTokenVerifier::builder("https://t/api/v1/oauth2", "c")
                .build()
                .is_ok()
        );
    }
}
