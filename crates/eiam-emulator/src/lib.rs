#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! A local, stateful emulator of the EIAM user API's password-expiry login flow
//! (`/api/v2/sdk/...`), for demos and tests.
//!
//! The emulator follows `openapi/eiam.yaml` (headers, bodies, the `{"error_code",
//! "error_msg"}` error schema). Where the vendor's documentation is silent, the choice made
//! is written down next to the code that implements it; this page collects them (marked
//! *choice*).
//!
//! ```no_run
//! # async fn demo() -> Result<(), eiam_emulator::EmulatorError> {
//! use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, UserOptions};
//!
//! let running = Emulator::spawn(EmulatorConfig::default()).await?;
//! let emulator = running.emulator();
//! emulator.add_user_with(
//!     NewUser {
//!         user_name: "alice".into(),
//!         password: "Old-Passw0rd".into(),
//!         email: "alice@example.com".into(),
//!         mobile: "+86-15907132852".into(),
//!         name: Some("Alice".into()),
//!     },
//!     UserOptions::default().expiry(PasswordExpiry::Expired),
//! )?;
//! // POST {running.base_url()}/api/v2/sdk/login → PASSWORD_EXPIRED with a state token;
//! // GET /api/v2/sdk/captcha, solve it with emulator.captcha_answer(token),
//! // POST /api/v2/sdk/captcha/verify, POST /api/v2/sdk/email/send (CHANGE_PWD_EMS),
//! // read the code with emulator.latest_code("alice@example.com"), then
//! // POST /api/v2/sdk/after-login/pwd/update-by-email.
//! // Or, without the HTTP steps before the change:
//! let login = emulator.expired_login("alice", None)?;
//! let code = emulator.latest_code("alice@example.com");
//! # let _ = (login, code);
//! running.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Common checks
//!
//! Every `/api/v2/sdk` call checks, in this order (the order is our choice), answering
//! HTTP 400 with the first problem found:
//!
//! 1. The required headers `X-operating-sys-version`, `X-device-fingerprint`, `X-agent`,
//!    `X-client-id`, then the call's token header if it has one (`X-state-token`,
//!    `X-session-token`), in that order: missing or blank (empty or only whitespace) →
//!    `SDK.COMMON.1001` naming the header. `X-device-ip` and `X-tenant-id` are optional and
//!    ignored; `X-L` chooses the language.
//! 2. `X-client-id` must be one of [`EmulatorConfig::client_ids`] → else `SDK.COMMON.1012`.
//! 3. For calls with a body (at most [`BODY_LIMIT`] bytes; its `Content-Type` is not
//!    checked, choice): empty → `SDK.COMMON.1001` (`request body`); larger than the limit
//!    or not JSON → `SDK.COMMON.1002` (`request body`); JSON but not an object →
//!    `SDK.COMMON.1007` (`request body`). Then each field, in the order of the spec's
//!    schema: missing, `null`, or blank → `SDK.COMMON.1001` naming the field; not a string
//!    → `SDK.COMMON.1007` naming the field. Unknown fields are ignored. Values are used as
//!    sent (not trimmed). Calls without a body (GET, the refresh) ignore any body.
//! 4. A state token (`X-state-token`): unknown, or issued for another client id →
//!    `SDK.COMMON.1006` (`X-state-token parameter error.`); expired
//!    ([`EmulatorConfig::state_token_ttl`]) or already used → `SDK.COMMON.1005`
//!    (`X-state-token has expired.`). A state token carries the user and its purpose, the
//!    login status that issued it (`PASSWORD_WARN`, `PASSWORD_EXPIRED`, `MFA_AUTH`).
//!
//! Each check-and-consume runs under one lock: of concurrent requests with one state token
//! (or captcha, or captcha token) exactly one succeeds, the others find it used. An
//! internal failure (random generator, signing) answers HTTP 500 `SDK.COMMON.1008`. Every
//! JSON answer has `Content-Type: application/json`.
//!
//! # Login: `POST /api/v2/sdk/login` `{user_name, password}`
//!
//! The user is found by `user_name` only (choice: not by e-mail or mobile). A wrong
//! password or an unknown user → `LOGIN.0002`
//! `Invalid account name or password. Remaining attempts: N.` (OneAccess's example). Unknown
//! names answer exactly like known ones, counts and lock included (choice: names cannot be
//! probed). Failures are counted per submitted name; after
//! [`EmulatorConfig::lockout_threshold`] (5, choice) failures in a row, the failure that
//! reaches it and every later login, even with the right password, answers
//! `SDK.LOGIN.1003` `The account is locked. It will be unlocked in {m} minutes {s}
//! seconds.` (seconds rounded up) until [`EmulatorConfig::lockout_duration`] (15 minutes,
//! choice) has passed; the lock does not move while locked (choice); then the count starts
//! again. A successful login resets the count. Refused bodies or headers do not count.
//!
//! With the right password, HTTP 200 with the fields of the status only (choice: the order
//! of precedence is ours): a user marked `access_denied` → `{"status":"ACCESS_DENIED"}`;
//! else a user marked `mfa` → `MFA_AUTH` + `state_token` (choice: the second factor itself
//! is not emulated; the token serves `mobile-by-token`); else by the user's
//! [`PasswordExpiry`]: fresh → `SUCCESS` + `session_token` (32 letters and digits) +
//! `expire` ([`EmulatorConfig::login_session_ttl`], 604800 s, the vendor's example) +
//! `id_token`; expiring → `PASSWORD_WARN` + `state_token` + `data`; expired →
//! `PASSWORD_EXPIRED` + `state_token` + `data`. State tokens are 48 letters and digits
//! (choice: opaque; the vendor's are JWTs). `data` is a JSON string
//! `{"minLength","maxLength","regEx"}` of the configured [`PasswordPolicy`]; `regEx` is
//! [`PasswordPolicy::regex`], a Java regex that agrees with the emulator's checker.
//!
//! # Captcha
//!
//! * `GET /api/v2/sdk/captcha` → `{"token","originalImageBase64","jigsawImageBase64",
//!   "secretKey":null,"result":null}`: the token is 32 lower-case hex digits, the images are
//!   fixed 1×1 PNGs (choice). The right `x` is a random whole number in 40..=260 (choice),
//!   readable with [`Emulator::captcha_answer`] or `GET /_emulator/captcha/{token}`. A
//!   captcha lives [`EmulatorConfig::captcha_ttl`] (2 minutes, choice).
//! * `POST /api/v2/sdk/captcha/verify` `{point_json, token, sender}`: `point_json` must be
//!   a JSON object with numbers `x` and `y` (`y` is not checked, choice) → else
//!   `SDK.COMMON.1002`; an unknown, used or expired captcha → `CAPTCHA.0004`; `x` more than
//!   5.0 away from the answer → `CAPTCHA.0002` and the captcha is used up (choice: fetch a
//!   new one); else `{"captcha_token":"<token>---<point_json>"}`, bound to `sender`, valid
//!   [`EmulatorConfig::captcha_token_ttl`] (5 minutes, choice), good for one send. Senders
//!   are compared with mobile numbers reduced to their national part (`+86-15907132852`
//!   and `15907132852` are one sender) and e-mail addresses in ASCII lower case (choice).
//!
//! # Code sends: `POST /api/v2/sdk/email/send` and `/sms/send`
//!
//! `{email|mobile, type, captcha_token}`. In this order (choice): `type` must be one of the
//! documented values of the channel (the spec's lists, e.g. `CHANGE_PWD_EMS` for e-mail,
//! `CHANGE_PWD_SMS` for SMS) → else `SDK.COMMON.1002`; the address must be `local@domain`,
//! or a mobile number as `+CC-number` or 11 digits → else `SDK.COMMON.1002`; the captcha
//! token: unknown or used → `CAPTCHA.0004`, expired → `CAPTCHA.0003`, solved for another
//! sender → `CAPTCHA.0004` (choice); the user with that address (e-mail in ASCII lower case;
//! a mobile number with the same country code, or any when given as 11 digits; choice) →
//! else `SDK.COMMON.1013` (choice). No error uses up the captcha token (choice). Success:
//! HTTP 200 with an empty body; a new 6-digit code (choice) goes to the outbox (`channel`
//! `email`/`sms`, `to` the user's stored address or number, `type`). Codes are kept per
//! user and type: a new one replaces the previous one of its type. No resend throttle.
//!
//! # After a `PASSWORD_WARN` / `PASSWORD_EXPIRED` login
//!
//! * `GET /api/v2/sdk/mobile-by-token` → `{"mobile":"+CC-number"}` (the stored number in
//!   full, as in the vendor's example); any purpose; the token is not consumed.
//! * `POST /api/v2/sdk/after-login/pwd/update-by-email` and `.../update-by-mobile`
//!   `{verify_code, new_password}`: one implementation, by the code type `CHANGE_PWD_EMS` /
//!   `CHANGE_PWD_SMS`. After the common checks: an `MFA_AUTH` token → `SDK.COMMON.1006`
//!   (choice); then the user's latest code of that type: none sent, or wrong → by e-mail
//!   `SDK.SMS.1006`, by SMS `SDK.SMS.1005`, and one wrong attempt counted; expired
//!   ([`EmulatorConfig::code_ttl`]), or burned by [`EmulatorConfig::max_code_attempts`]
//!   wrong attempts → `SDK.COMMON.1005` (`verify_code has expired.`). Codes are compared
//!   in constant time.
//! * `POST /api/v2/sdk/pwd/update` `{old_password, new_password}`: an `MFA_AUTH` token →
//!   `SDK.COMMON.1006` (choice); a wrong old password → `SDK.COMMON.1006`
//!   (`old_password parameter error.`), which does not count toward the login lockout
//!   (choice).
//! * Then, for the three changes, the password policy ([`PasswordPolicy`]) →
//!   `SDK.COMMON.1002` naming the broken rule (the current password is a rule of its own);
//!   then the history: one of the user's [`EmulatorConfig::history_len`] (3, choice)
//!   previous passwords → `SDK.COMMON.1002` (`it must differ from the 3 previous
//!   passwords.`). A policy or history failure consumes neither the state token nor the
//!   code (choice). On success the password changes, the user's expiry becomes fresh, the
//!   state token and the code are consumed and the answer is HTTP 200
//!   `{"status":"SUCCESS","expire":43200,"session_token","id_token"}`
//!   ([`EmulatorConfig::session_ttl`]).
//! * `GET /api/v2/sdk/pwd/skip-update`: a `PASSWORD_WARN` token → the same `SUCCESS`
//!   answer, the token is consumed, the password and its expiry stay (the next login warns
//!   again, choice); a `PASSWORD_EXPIRED` token → `SDK.COMMON.1006` `The password has
//!   expired and must be changed.` and nothing is consumed (choice); an `MFA_AUTH` token →
//!   `SDK.COMMON.1006` (`X-state-token parameter error.`).
//!
//! No error changes the stored state, except the wrong-attempt count of a code, the
//! failed-login count, and a captcha used by a wrong answer.
//!
//! # Sessions and the id_token refresh
//!
//! Every session token issued (login, change, skip) is stored with its expiry.
//! `POST /api/v2/sdk/sso/session-token/id-token` with `X-session-token` →
//! `{"session_token","expire","id_token"}` with a new id_token. An unknown or expired
//! session, or one issued for another client id → `SDK.COMMON.1005`
//! (`X-session-token has expired.`, choice). Without
//! [`EmulatorConfig::rotate_session_on_refresh`] (the default, choice) the same session
//! token comes back with `expire` = its remaining seconds (rounded up; the expiry does not
//! move, choice); with it, a new session token of the same lifetime replaces the old one,
//! which stops working.
//!
//! The id_token is RS256-signed (header `kid`), with the claims `iss`
//! (`{base_url}/api/v1/oauth2`), `aud` (the client id), `sub` (the user name), `exp`,
//! `iat`, `nbf` (`iat` − 120 s), `jti`, `id`, `name`, `userName`, `mobile`, `email`. Its key
//! is served at `GET /api/v1/oauth2/jwks`, announced by
//! `GET /api/v1/oauth2/.well-known/openid-configuration` (choice: the vendor documents no
//! JWKS location for these tokens; this is the OIDC-discovery layout under the issuer).
//!
//! # Messages
//!
//! Every message exists in English and Chinese; `X-L: zh` (any value starting with `zh`,
//! in any case, such as `zh-CN`) selects Chinese, anything else English (choice). All
//! texts live in one table, the private `messages` module. The texts of `CAPTCHA.*`,
//! `SDK.SMS.1005` and `SDK.LOGIN.1003` are ours (choice: the vendor documents their meaning,
//! `LOGIN.0002`'s English text only).
//!
//! # Admin API (emulator only)
//!
//! Routes under `/_emulator/` exist only in the emulator, have no authentication, and are
//! meant for loopback use by tests and demos. Their errors are
//! `{"error_code":"EMULATOR.…","error_msg":"…"}` (`EMULATOR.BAD_REQUEST` 400,
//! `EMULATOR.UNKNOWN_CLIENT` 400, `EMULATOR.USER_NOT_FOUND` 404,
//! `EMULATOR.CAPTCHA_NOT_FOUND` 404, `EMULATOR.USER_EXISTS` 409, `EMULATOR.INTERNAL` 500),
//! in the language of `X-L`.
//!
//! * `POST /_emulator/users` `{"user_name","password","email","mobile","name"?,
//!   "expiry"?: "fresh"|"expiring"|"expired","mfa"?: bool,"access_denied"?: bool}` → 201
//!   `{"id"}` ([`Emulator::add_user_with`]).
//! * `POST /_emulator/users/{user_name}/expiry` `{"expiry"}` → 204
//!   ([`Emulator::set_expiry`]).
//! * `POST /_emulator/users/{user_name}/expired-login` (body empty or `{"client_id"}`) →
//!   201 `{"state_token","expires_in"}` (seconds): a `PASSWORD_EXPIRED` state token and a
//!   `CHANGE_PWD_EMS` code, which is only in the outbox ([`Emulator::expired_login`]).
//! * `POST /_emulator/users/{user_name}/send-code` → 204: a new `CHANGE_PWD_EMS` code
//!   ([`Emulator::send_change_pwd_code`]).
//! * `POST /_emulator/users/{user_name}/check-password` `{"password"}` → 200
//!   `{"matches": bool}` ([`Emulator::password_matches`]).
//! * `GET /_emulator/captcha/{token}` → 200 `{"x": number}`, the right answer of a captcha
//!   that has not expired ([`Emulator::captcha_answer`]).
//! * `GET /_emulator/outbox[?to=address]` → 200 `[{"channel","to","type","code","sent_at"}]`,
//!   oldest first ([`Emulator::outbox`]).
//! * `POST /_emulator/clock/advance` `{"seconds": n}` → 204 ([`Emulator::advance_clock`]).
//!
//! # Logging
//!
//! The emulator logs (with `tracing`) user names, call names, code types and error codes
//! only, never a password, code, captcha answer or token.

mod admin;
mod api;
mod captcha;
mod code;
mod config;
mod error;
mod jwt;
mod login;
mod messages;
mod password;
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
pub use state::{ExpiredLogin, NewUser, OutboxMessage, PasswordExpiry, UserOptions};

use state::{CHANGE_PWD_EMS, Channel, Purpose, Store, User};

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
            .route("/api/v2/sdk/login", post(login::login))
            .route("/api/v2/sdk/captcha", get(captcha::captcha))
            .route("/api/v2/sdk/captcha/verify", post(captcha::verify))
            .route("/api/v2/sdk/email/send", post(code::email_send))
            .route("/api/v2/sdk/sms/send", post(code::sms_send))
            .route(
                "/api/v2/sdk/mobile-by-token",
                get(password::mobile_by_token),
            )
            .route("/api/v2/sdk/pwd/update", post(password::update))
            .route(
                "/api/v2/sdk/after-login/pwd/update-by-email",
                post(password::update_by_email),
            )
            .route(
                "/api/v2/sdk/after-login/pwd/update-by-mobile",
                post(password::update_by_mobile),
            )
            .route("/api/v2/sdk/pwd/skip-update", get(password::skip_update))
            .route(
                "/api/v2/sdk/sso/session-token/id-token",
                post(login::refresh_id_token),
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

    /// Adds a user whose login simply succeeds ([`UserOptions::default`]) and returns its
    /// generated id (in the layout of the vendor's example, `20220425140138519-BF1B-528B0551B`).
    ///
    /// # Errors
    /// [`EmulatorError::InvalidInput`] if `user_name` is blank, `password` is empty,
    /// `email` is not an address (`local@domain`, no whitespace) or `mobile` is not in the
    /// `+CC-number` form (1 to 4 digits, `-`, 4 to 20 digits);
    /// [`EmulatorError::UserExists`] if the user name is taken.
    ///
    /// Give each user their own e-mail address and mobile number: codes are sent by
    /// address, and when two users share one, the send routes pick the first of them by user
    /// name (a limit of the emulator, not a behaviour of the service).
    pub fn add_user(&self, user: NewUser) -> Result<String, EmulatorError> {
        self.add_user_with(user, UserOptions::default())
    }

    /// Adds a user with login settings (password expiry, second factor, access denied);
    /// otherwise as [`Emulator::add_user`].
    ///
    /// # Errors
    /// As [`Emulator::add_user`].
    pub fn add_user_with(
        &self,
        user: NewUser,
        options: UserOptions,
    ) -> Result<String, EmulatorError> {
        if user.user_name.trim().is_empty() {
            return Err(EmulatorError::InvalidInput { field: "user_name" });
        }
        if user.password.is_empty() {
            return Err(EmulatorError::InvalidInput { field: "password" });
        }
        if !state::is_email(&user.email) {
            return Err(EmulatorError::InvalidInput { field: "email" });
        }
        if state::split_mobile(&user.mobile).is_none() {
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
                options,
                history: std::collections::VecDeque::new(),
            },
        );
        Ok(id)
    }

    /// Changes a user's login settings with `change`.
    fn update_user(
        &self,
        user_name: &str,
        change: impl FnOnce(&mut UserOptions),
    ) -> Result<(), EmulatorError> {
        let mut store = self.store();
        let user = store
            .users
            .get_mut(user_name)
            .ok_or_else(|| EmulatorError::UserNotFound {
                user_name: user_name.to_owned(),
            })?;
        change(&mut user.options);
        tracing::info!(user_name, "emulator: user settings changed");
        Ok(())
    }

    /// Sets the expiry state of a user's password (what the next login answers). A
    /// successful password change sets it back to [`PasswordExpiry::Fresh`].
    ///
    /// # Errors
    /// [`EmulatorError::UserNotFound`].
    pub fn set_expiry(&self, user_name: &str, expiry: PasswordExpiry) -> Result<(), EmulatorError> {
        self.update_user(user_name, |o| o.expiry = expiry)
    }

    /// Sets whether a user's login needs a second factor (`MFA_AUTH`).
    ///
    /// # Errors
    /// [`EmulatorError::UserNotFound`].
    pub fn set_mfa(&self, user_name: &str, mfa: bool) -> Result<(), EmulatorError> {
        self.update_user(user_name, |o| o.mfa = mfa)
    }

    /// Sets whether a user's login is refused with `ACCESS_DENIED`.
    ///
    /// # Errors
    /// [`EmulatorError::UserNotFound`].
    pub fn set_access_denied(
        &self,
        user_name: &str,
        access_denied: bool,
    ) -> Result<(), EmulatorError> {
        self.update_user(user_name, |o| o.access_denied = access_denied)
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
        let token = random::alphanumeric(login::STATE_TOKEN_LEN)?;
        let code = random::digits(CODE_DIGITS)?;
        let now = self.now_ms();
        let mut store = self.store();
        if !store.send_code(
            user_name,
            CHANGE_PWD_EMS,
            Channel::Email,
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
                purpose: Purpose::Expired,
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
            .send_code(user_name, CHANGE_PWD_EMS, Channel::Email, code, now, ttl)
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
