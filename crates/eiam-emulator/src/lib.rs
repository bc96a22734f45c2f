#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! A local, stateful emulator of one endpoint of the EIAM user API,
//! `POST /api/v2/sdk/after-login/pwd/update-by-email`, for demos and tests.
//!
//! The emulator follows `openapi/eiam.yaml` (headers, bodies, the `{"error_code",
//! "error_msg"}` error schema). Where the vendor's documentation is silent, the choice made
//! is written down next to the code that implements it; this page collects them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), eiam_emulator::EmulatorError> {
//! use eiam_emulator::{Emulator, EmulatorConfig, NewUser};
//!
//! let running = Emulator::spawn(EmulatorConfig::default()).await?;
//! let emulator = running.emulator();
//! emulator.add_user(NewUser {
//!     user_name: "alice".into(),
//!     password: "Old-Passw0rd".into(),
//!     email: "alice@example.com".into(),
//!     mobile: "+86-15907132852".into(),
//!     name: Some("Alice".into()),
//! })?;
//! let login = emulator.expired_login("alice", None)?;
//! let code = emulator.latest_code("alice@example.com");
//! // POST {running.base_url()}/api/v2/sdk/after-login/pwd/update-by-email with
//! // X-state-token: login.state_token and {"verify_code": code, "new_password": ...}
//! # let _ = (login, code);
//! running.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # The endpoint
//!
//! Checks, in this order (the order is our choice), each answering HTTP 400 with the
//! first problem found:
//!
//! 1. The required headers `X-operating-sys-version`, `X-device-fingerprint`, `X-agent`,
//!    `X-client-id`, `X-state-token`, in that order: missing or blank (empty or only
//!    whitespace) → `SDK.COMMON.1001` naming the header. `X-device-ip` and `X-tenant-id`
//!    are optional and ignored; `X-L` chooses the language.
//! 2. `X-client-id` must be one of [`EmulatorConfig::client_ids`] → else `SDK.COMMON.1012`.
//! 3. The body (at most [`BODY_LIMIT`] bytes; its `Content-Type` is not checked, choice):
//!    empty → `SDK.COMMON.1001` (`request body`); larger than the limit or not JSON →
//!    `SDK.COMMON.1002` (`request body`); JSON but not an object → `SDK.COMMON.1007`
//!    (`request body`). Then `verify_code`, then `new_password`: missing, `null`, or blank →
//!    `SDK.COMMON.1001` naming the field; not a string → `SDK.COMMON.1007` naming the field.
//!    Unknown fields are ignored. Values are used as sent (not trimmed).
//! 4. The state token: unknown, or issued for another client id → `SDK.COMMON.1006`
//!    (`X-state-token parameter error.`); expired or already used → `SDK.COMMON.1005`
//!    (`X-state-token has expired.`).
//! 5. The code: the latest `CHANGE_PWD_EMS` code sent to the token's user. None sent, or
//!    wrong → `SDK.SMS.1006` (the code the vendor documents for a wrong e-mail code on the
//!    sibling change-by-email endpoint) and one wrong attempt counted; expired, or burned
//!    by [`EmulatorConfig::max_code_attempts`] wrong attempts → `SDK.COMMON.1005`
//!    (`verify_code has expired.`). Codes are compared in constant time.
//! 6. The password policy ([`PasswordPolicy`]) → `SDK.COMMON.1002` with a message naming the
//!    broken rule; the same password as the current one is a rule of its own. A policy
//!    failure consumes neither the state token nor the code (choice): the user can retry.
//!
//! No error changes the stored state, except the wrong-attempt count of the code. On
//! success, under one lock (so that of concurrent requests with one state token exactly
//! one succeeds and the others get `SDK.COMMON.1005`), the password is changed, the state
//! token and the code are consumed, and the answer is HTTP 200
//! `{"status":"SUCCESS","expire":43200,"session_token":"<32 letters and digits>",
//! "id_token":"<JWT>"}`. The id_token is RS256-signed (header `kid`), with the claims `iss`
//! (`{base_url}/api/v1/oauth2`), `aud` (the client id), `sub` (the user name), `exp`,
//! `iat`, `nbf` (`iat` − 120 s), `jti`, `id`, `name`, `userName`, `mobile`, `email`. Its key
//! is served at `GET /api/v1/oauth2/jwks`, announced by
//! `GET /api/v1/oauth2/.well-known/openid-configuration` (choice: the vendor documents no
//! JWKS location for these tokens; this is the OIDC-discovery layout under the issuer).
//!
//! An internal failure (random generator, signing) answers HTTP 500 `SDK.COMMON.1008`.
//! Every JSON answer has `Content-Type: application/json`.
//!
//! # Messages
//!
//! Every message exists in English and Chinese; `X-L: zh` (any value starting with `zh`,
//! in any case, such as `zh-CN`) selects Chinese, anything else English (choice). All
//! texts live in one table, the private `messages` module.
//!
//! # Admin API (emulator only)
//!
//! Routes under `/_emulator/` exist only in the emulator, have no authentication, and are
//! meant for loopback use by tests and demos. Their errors are
//! `{"error_code":"EMULATOR.…","error_msg":"…"}` (`EMULATOR.BAD_REQUEST` 400,
//! `EMULATOR.UNKNOWN_CLIENT` 400, `EMULATOR.USER_NOT_FOUND` 404, `EMULATOR.USER_EXISTS` 409,
//! `EMULATOR.INTERNAL` 500), in the language of `X-L`.
//!
//! * `POST /_emulator/users` `{"user_name","password","email","mobile","name"?}` → 201
//!   `{"id"}` ([`Emulator::add_user`]).
//! * `POST /_emulator/users/{user_name}/expired-login` (body empty or `{"client_id"}`) →
//!   201 `{"state_token","expires_in"}` (seconds); the code is only in the outbox
//!   ([`Emulator::expired_login`]).
//! * `POST /_emulator/users/{user_name}/send-code` → 204: a new `CHANGE_PWD_EMS` code
//!   ([`Emulator::send_change_pwd_code`]).
//! * `POST /_emulator/users/{user_name}/check-password` `{"password"}` → 200
//!   `{"matches": bool}` ([`Emulator::password_matches`]).
//! * `GET /_emulator/outbox[?to=address]` → 200 `[{"channel","to","type","code","sent_at"}]`,
//!   oldest first ([`Emulator::outbox`]).
//! * `POST /_emulator/clock/advance` `{"seconds": n}` → 204 ([`Emulator::advance_clock`]).
//!
//! # Logging
//!
//! The emulator logs (with `tracing`) user names and error codes only, never a password,
//! code or token.

mod admin;
mod api;
mod config;
mod error;
mod jwt;
mod messages;
mod policy;
mod random;
mod state;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{DEFAULT_CLIENT_ID, EmulatorConfig};
pub use error::{ConfigProblem, EmulatorError};
pub use jwt::SigningKey;
pub use policy::{PasswordPolicy, PolicyViolation};
pub use state::{ExpiredLogin, NewUser, OutboxMessage};

use state::{CHANGE_PWD_EMS, Store, User};

/// The largest request body accepted, in bytes (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The length of a generated verification code (choice: 6 digits, like most of the
/// vendor's examples).
const CODE_DIGITS: usize = 6;

/// The issuer base URL used until [`Emulator::set_base_url`] (or `spawn`/`serve`) sets one.
const DEFAULT_BASE_URL: &str = "http://127.0.0.1";

/// A handle to one emulator's state. Cheap to clone: clones share the state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmulatorConfig,
    key: SigningKey,
    store: Mutex<Store>,
    /// Added to the system clock, in milliseconds ([`Emulator::advance_clock`]).
    clock_offset_ms: AtomicI64,
    base_url: RwLock<String>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Saturating conversion of a duration to milliseconds.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The `http://` base URL of a listening address; an unspecified address (`0.0.0.0`,
/// `::`) is replaced by the loopback address of its family.
fn base_url_of(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

impl Emulator {
    /// Creates an emulator with no users.
    ///
    /// # Errors
    /// [`EmulatorError::InvalidConfig`] if `config` cannot be used,
    /// [`EmulatorError::Key`] if no key is given and none can be generated.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config.validate()?;
        let key = match &config.signing_key {
            Some(key) => key.clone(),
            None => SigningKey::shared()?,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                key,
                store: Mutex::new(Store::default()),
                clock_offset_ms: AtomicI64::new(0),
                base_url: RwLock::new(DEFAULT_BASE_URL.to_owned()),
            }),
        })
    }

    /// The whole application: the API, the JWKS and discovery routes and the admin API,
    /// with the body limit [`BODY_LIMIT`].
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/api/v2/sdk/after-login/pwd/update-by-email",
                post(api::update_by_email),
            )
            .route("/api/v1/oauth2/jwks", get(api::jwks))
            .route(
                "/api/v1/oauth2/.well-known/openid-configuration",
                get(api::openid_configuration),
            )
            .merge(admin::routes())
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(self.clone())
    }

    /// Creates an emulator, binds `127.0.0.1:0` and serves it in a tokio task until
    /// [`RunningEmulator::shutdown`] is called or the [`RunningEmulator`] is dropped.
    ///
    /// # Errors
    /// As [`Emulator::new`], and [`EmulatorError::Io`] if binding fails.
    pub async fn spawn(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
        let emulator = Self::new(config)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        emulator.set_base_url(base_url_of(addr));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = emulator.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // Either a shutdown call or the handle being dropped.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(RunningEmulator {
            addr,
            emulator,
            stop,
            task,
        })
    }

    /// Serves the emulator on `listener` until the process ends (or an I/O error). The
    /// issuer base URL becomes `http://{listener's address}` (an unspecified address such
    /// as `0.0.0.0` is shown as the loopback address).
    ///
    /// # Errors
    /// [`EmulatorError::Io`] if the listener's address cannot be read or serving fails.
    pub async fn serve(self, listener: TcpListener) -> Result<(), EmulatorError> {
        self.set_base_url(base_url_of(listener.local_addr()?));
        axum::serve(listener, self.router()).await?;
        Ok(())
    }

    /// Sets the base URL of the issuer (`{base_url}/api/v1/oauth2`), e.g.
    /// `http://127.0.0.1:8080`; a trailing `/` is removed. `spawn` and `serve` set it;
    /// call it when serving [`Emulator::router`] yourself.
    pub fn set_base_url(&self, base_url: impl Into<String>) {
        let mut url: String = base_url.into();
        while url.ends_with('/') {
            url.pop();
        }
        *self
            .inner
            .base_url
            .write()
            .unwrap_or_else(PoisonError::into_inner) = url;
    }

    /// The base URL of the issuer (see [`Emulator::set_base_url`]).
    pub fn base_url(&self) -> String {
        self.inner
            .base_url
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The id_token issuer: `{base_url}/api/v1/oauth2`.
    pub fn issuer(&self) -> String {
        format!("{}/api/v1/oauth2", self.base_url())
    }

    /// The configuration.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// Moves the emulator's clock forward by `by` (tokens and codes expire without
    /// sleeping). The clock is the system clock plus the sum of all advances.
    pub fn advance_clock(&self, by: Duration) {
        let _ =
            self.inner
                .clock_offset_ms
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                    Some(offset.saturating_add(millis(by)))
                });
    }

    /// The emulator's clock, in Unix milliseconds.
    fn now_ms(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, millis);
        system.saturating_add(self.inner.clock_offset_ms.load(Ordering::SeqCst))
    }

    /// The store. The lock is held only by code that does not panic; if it ever was
    /// poisoned, the store is still used as it is.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a user and returns its generated id (in the layout of the vendor's example,
    /// `20220425140138519-BF1B-528B0551B`).
    ///
    /// # Errors
    /// [`EmulatorError::InvalidInput`] if `user_name` is blank, `password` is empty,
    /// `email` is not an address (`local@domain`, no whitespace) or `mobile` is not in the
    /// `+CC-number` form (1 to 4 digits, `-`, 4 to 20 digits);
    /// [`EmulatorError::UserExists`] if the user name is taken.
    pub fn add_user(&self, user: NewUser) -> Result<String, EmulatorError> {
        if user.user_name.trim().is_empty() {
            return Err(EmulatorError::InvalidInput { field: "user_name" });
        }
        if user.password.is_empty() {
            return Err(EmulatorError::InvalidInput { field: "password" });
        }
        let email_ok = user.email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !user.email.contains(char::is_whitespace)
        });
        if !email_ok {
            return Err(EmulatorError::InvalidInput { field: "email" });
        }
        let mobile_ok = user
            .mobile
            .strip_prefix('+')
            .and_then(|m| m.split_once('-'))
            .is_some_and(|(cc, number)| {
                (1..=4).contains(&cc.len())
                    && (4..=20).contains(&number.len())
                    && cc.bytes().chain(number.bytes()).all(|b| b.is_ascii_digit())
            });
        if !mobile_ok {
            return Err(EmulatorError::InvalidInput { field: "mobile" });
        }
        let id = state::user_id(
            self.now_ms(),
            &random::hex_upper(4)?,
            &random::hex_upper(9)?,
        );
        let mut store = self.store();
        if store.users.contains_key(&user.user_name) {
            return Err(EmulatorError::UserExists {
                user_name: user.user_name,
            });
        }
        tracing::info!(user_name = %user.user_name, "emulator: user added");
        store.users.insert(
            user.user_name.clone(),
            User {
                id: id.clone(),
                user_name: user.user_name,
                password: user.password,
                email: user.email,
                mobile: user.mobile,
                name: user.name.unwrap_or_default(),
            },
        );
        Ok(id)
    }

    /// Simulates a password login that answered `PASSWORD_EXPIRED`, followed by a
    /// `CHANGE_PWD_EMS` code sent to the user's e-mail: issues a state token for
    /// `client_id` (default: [`EmulatorConfig::default_client_id`]) and puts a new 6-digit
    /// code into the outbox (replacing the user's previous code). The code is not returned:
    /// read it with [`Emulator::latest_code`] or [`Emulator::outbox`].
    ///
    /// # Errors
    /// [`EmulatorError::UnknownClient`], [`EmulatorError::UserNotFound`],
    /// [`EmulatorError::Random`].
    pub fn expired_login(
        &self,
        user_name: &str,
        client_id: Option<&str>,
    ) -> Result<ExpiredLogin, EmulatorError> {
        let config = &self.inner.config;
        let client_id = client_id.unwrap_or_else(|| config.default_client_id());
        if !config.knows_client(client_id.as_bytes()) {
            return Err(EmulatorError::UnknownClient {
                client_id: client_id.to_owned(),
            });
        }
        let token = random::alphanumeric(48)?;
        let code = random::digits(CODE_DIGITS)?;
        let now = self.now_ms();
        let mut store = self.store();
        if !store.send_code(
            user_name,
            CHANGE_PWD_EMS,
            code,
            now,
            millis(config.code_ttl),
        ) {
            return Err(EmulatorError::UserNotFound {
                user_name: user_name.to_owned(),
            });
        }
        store.state_tokens.insert(
            token.clone(),
            state::StateToken {
                user_name: user_name.to_owned(),
                client_id: client_id.to_owned(),
                expires_at_ms: now.saturating_add(millis(config.state_token_ttl)),
                used: false,
            },
        );
        tracing::info!(user_name, "emulator: expired login, code sent");
        Ok(ExpiredLogin {
            state_token: token,
            expires_in: config.state_token_ttl,
        })
    }

    /// Sends the user a new `CHANGE_PWD_EMS` code (into the outbox), replacing the previous
    /// one and its wrong-attempt count, as `POST /api/v2/sdk/email/send` would.
    ///
    /// # Errors
    /// [`EmulatorError::UserNotFound`], [`EmulatorError::Random`].
    pub fn send_change_pwd_code(&self, user_name: &str) -> Result<(), EmulatorError> {
        let code = random::digits(CODE_DIGITS)?;
        let now = self.now_ms();
        let ttl = millis(self.inner.config.code_ttl);
        if self
            .store()
            .send_code(user_name, CHANGE_PWD_EMS, code, now, ttl)
        {
            tracing::info!(user_name, "emulator: code sent");
            Ok(())
        } else {
            Err(EmulatorError::UserNotFound {
                user_name: user_name.to_owned(),
            })
        }
    }

    /// Every message sent so far, oldest first.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.store().outbox.clone()
    }

    /// The code of the newest message sent to the address `to`.
    pub fn latest_code(&self, to: &str) -> Option<String> {
        self.store()
            .outbox
            .iter()
            .rev()
            .find(|m| m.to == to)
            .map(|m| m.code.clone())
    }

    /// Whether `password` is the user's current password (compared in constant time).
    ///
    /// # Errors
    /// [`EmulatorError::UserNotFound`].
    pub fn password_matches(&self, user_name: &str, password: &str) -> Result<bool, EmulatorError> {
        let store = self.store();
        let user = store
            .users
            .get(user_name)
            .ok_or_else(|| EmulatorError::UserNotFound {
                user_name: user_name.to_owned(),
            })?;
        Ok(aws_lc_rs::constant_time::verify_slices_are_equal(
            user.password.as_bytes(),
            password.as_bytes(),
        )
        .is_ok())
    }

    /// The JWKS document of the id_token key:
    /// `{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid","n","e"}]}`.
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.key.jwks()
    }
}

/// An emulator served on `127.0.0.1` by [`Emulator::spawn`]. Dropping it stops the server
/// too (without waiting).
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    emulator: Emulator,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningEmulator {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        base_url_of(self.addr)
    }

    /// The emulator's state.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops accepting connections and waits (up to 5 seconds) for open requests to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let v4: SocketAddr = ([0, 0, 0, 0], 8080).into();
        assert_eq!(base_url_of(v4), "http://127.0.0.1:8080");
        let v6: SocketAddr = (Ipv6Addr::UNSPECIFIED, 9).into();
        assert_eq!(base_url_of(v6), "http://[::1]:9");
        let lan: SocketAddr = ([10, 1, 2, 3], 80).into();
        assert_eq!(base_url_of(lan), "http://10.1.2.3:80");
    }
}
