//! An example service that signs its users in through EIAM with the `eiam` crate, as a
//! real service would: the living answer to "how do I use this in my service".
//!
//! It is an HTTP service of its own (axum) with a small JSON API for its front end:
//!
//! | call | body | answer |
//! |---|---|---|
//! | `POST /login` | `{"user","password"}` | `200 {"status":"signed_in","user":{…}}`, or `200 {"status":"password_change_required","next":"change_password","state","can_skip","policy"}` (`policy`: `{"min_length","max_length","description"}` or `null`) |
//! | `POST /password/captcha` | `{"state"}` | `200 {"captcha_id","background_png_base64","jigsaw_png_base64"}` |
//! | `POST /password/send-code` | `{"state","email","captcha_x"}` | `204`: a code was e-mailed |
//! | `POST /password/change` | `{"state","code","new_password"}` | `200 {"status":"signed_in","user":{…}}` |
//! | `POST /password/skip` | `{"state"}` | `200 {"status":"signed_in",…}` (only when `can_skip`) |
//!
//! Errors are `{"error": "<kind>", "message": "…"}`: `invalid_credentials` (401),
//! `account_locked` (423), `wrong_code` (400: try again), `expired` (410: send a new code,
//! or log in again), `captcha_failed` (400: get a new captcha), `password_policy` (400),
//! `unknown_state` (404: log in again), `try_again_later` (503, with `Retry-After`),
//! `access_denied` (403), `second_factor_not_supported` (501), `upstream_error` (502).
//!
//! # The expired-password flow
//!
//! A login whose password has expired answers a state token. The service keeps it (and the
//! password policy, and the captcha) on its side, in memory, under a random `state` handle
//! that it gives to the front end; the token itself never leaves the service.
//!
//! A code send needs a solved slider captcha. The service fetches the captcha from EIAM
//! and passes the two images on; its front end shows them, the user slides the piece, and
//! the front end sends the x position the user chose (`captcha_x`) with the e-mail address.
//! The service then verifies the answer with EIAM and sends the code. The captcha is good
//! for one try: after `captcha_failed`, get a new one.
//!
//! After the change, the service verifies the id_token EIAM answered (signature, issuer,
//! audience, lifetime, with [`eiam::IdTokenVerifier`]) and answers the user's claims. A
//! real service would start its own session here (a cookie); this example just answers the
//! claims.
//!
//! # Running it
//!
//! `cargo run -p example-service` reads the `EIAM_*` variables of
//! [`eiam::Client::from_env`] and listens on `EXAMPLE_LISTEN` (default `127.0.0.1:3000`).
//! Against the emulator: `cargo run -p eiam-cli -- emulator --listen 127.0.0.1:8080
//! --seed-demo-user`, then `EIAM_BASE_URL=http://127.0.0.1:8080` and friends (plain http to
//! a loopback host is allowed with `EXAMPLE_ALLOW_HTTP_LOOPBACK=1`).
//!
//! Its tests show both ways of testing such a service: the typed mocks (`eiam-mock`) for
//! the error paths, the emulator for the happy path.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use eiam::{
    Captcha, Client, Error, ErrorCode, ExpiredPassword, ExpiringPassword, IdTokenClaims,
    IdTokenVerifier, LoginOutcome, Password, PasswordChange, Session, VerifyCode,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long a pending password change is kept (the state token behind it expires on the
/// service's side anyway).
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);

/// The most pending password changes kept at once; more are refused with 503.
pub const MAX_FLOWS: usize = 10_000;

/// What the service answers `Retry-After` with when EIAM is busy, in seconds.
const RETRY_AFTER_SECS: u64 = 5;

/// The service: an EIAM client, an id_token verifier and the pending password changes.
#[derive(Debug)]
pub struct Service {
    client: Client,
    verifier: IdTokenVerifier,
    flows: Mutex<HashMap<String, Arc<Flow>>>,
}

/// A login whose password must (or may) be changed.
#[derive(Debug)]
enum Pending {
    Expired(ExpiredPassword),
    Expiring(ExpiringPassword),
}

impl Pending {
    fn change(&self) -> &PasswordChange {
        match self {
            Pending::Expired(p) => p,
            Pending::Expiring(p) => p,
        }
    }
}

#[derive(Debug)]
struct Flow {
    pending: Pending,
    /// The captcha shown to the user, until an answer is checked.
    captcha: Mutex<Option<Captcha>>,
    created: Instant,
}

impl Service {
    /// A service calling EIAM with `client`, verifying id_tokens with `verifier` (usually
    /// `IdTokenVerifier::for_client(&client).build()?`).
    pub fn new(client: Client, verifier: IdTokenVerifier) -> Service {
        Service {
            client,
            verifier,
            flows: Mutex::new(HashMap::new()),
        }
    }

    /// The HTTP API (see the crate docs).
    pub fn router(self) -> Router {
        Router::new()
            .route("/login", post(login))
            .route("/password/captcha", post(captcha))
            .route("/password/send-code", post(send_code))
            .route("/password/change", post(change))
            .route("/password/skip", post(skip))
            .with_state(Arc::new(self))
    }

    fn flows(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Flow>>> {
        self.flows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a pending change under a new random handle.
    fn keep(&self, pending: Pending) -> Result<String, ApiFailure> {
        let handle = random_handle().ok_or_else(ApiFailure::internal)?;
        let mut flows = self.flows();
        flows.retain(|_, flow| flow.created.elapsed() < FLOW_TTL);
        if flows.len() >= MAX_FLOWS {
            return Err(ApiFailure::busy("too many password changes in progress"));
        }
        flows.insert(
            handle.clone(),
            Arc::new(Flow {
                pending,
                captcha: Mutex::new(None),
                created: Instant::now(),
            }),
        );
        Ok(handle)
    }

    fn flow(&self, handle: &str) -> Result<Arc<Flow>, ApiFailure> {
        self.flows()
            .get(handle)
            .filter(|flow| flow.created.elapsed() < FLOW_TTL)
            .cloned()
            .ok_or_else(|| {
                ApiFailure::new(
                    StatusCode::NOT_FOUND,
                    "unknown_state",
                    "no password change in progress with this state; log in again",
                )
            })
    }

    fn forget(&self, handle: &str) {
        self.flows().remove(handle);
    }

    /// The answer for a new session: the verified claims of its id_token.
    async fn signed_in(&self, session: &Session) -> Result<Response, ApiFailure> {
        let user = match session.id_token() {
            Some(token) => Some(self.verifier.verify(token).await.map_err(|e| {
                tracing::warn!(error = %e, "id_token refused");
                ApiFailure::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_error",
                    "the identity service answered a token that does not verify",
                )
            })?),
            None => None,
        };
        Ok(Json(json!({
            "status": "signed_in",
            "expires_in": session.expires_in().as_secs(),
            "user": user.as_ref().map(UserInfo::from),
        }))
        .into_response())
    }
}

/// Who signed in, from the verified id_token.
#[derive(Debug, Serialize)]
struct UserInfo {
    sub: String,
    name: Option<String>,
    email: Option<String>,
}

impl From<&IdTokenClaims> for UserInfo {
    fn from(claims: &IdTokenClaims) -> Self {
        UserInfo {
            sub: claims.sub.clone(),
            name: claims.name.clone(),
            email: claims.email.clone(),
        }
    }
}

/// 32 random bytes in hex.
fn random_handle() -> Option<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// An error answer of this service.
#[derive(Debug)]
struct ApiFailure {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl ApiFailure {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            error,
            message: message.into(),
        }
    }

    fn internal() -> Self {
        ApiFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    fn busy(message: &str) -> Self {
        ApiFailure::new(StatusCode::SERVICE_UNAVAILABLE, "try_again_later", message)
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.error, "message": self.message})),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }
}

/// What the front end is told about a failed EIAM call. The service's own messages are
/// safe to pass on (they never hold a secret); other errors are logged and summarised.
impl From<Error> for ApiFailure {
    fn from(e: Error) -> Self {
        let message = e.api().map(|api| api.message.clone());
        let with = |status, error, fallback: &str| {
            ApiFailure::new(status, error, message.clone().unwrap_or(fallback.into()))
        };
        match (e.code(), &e) {
            (Some(ErrorCode::InvalidCredentials), _) => with(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong user name or password",
            ),
            (Some(ErrorCode::AccountLocked), _) => with(
                StatusCode::LOCKED,
                "account_locked",
                "the account is locked; try again later",
            ),
            (Some(ErrorCode::EmailCodeWrong | ErrorCode::SmsCodeWrong), _) => {
                with(StatusCode::BAD_REQUEST, "wrong_code", "the code is wrong")
            }
            (Some(ErrorCode::Expired), _) => with(
                StatusCode::GONE,
                "expired",
                "expired: send a new code, or log in again",
            ),
            (
                Some(
                    ErrorCode::CaptchaWrong | ErrorCode::CaptchaExpired | ErrorCode::CaptchaInvalid,
                ),
                _,
            ) => with(
                StatusCode::BAD_REQUEST,
                "captcha_failed",
                "the captcha was not solved; get a new one",
            ),
            (Some(ErrorCode::ParameterFormat), _) => with(
                StatusCode::BAD_REQUEST,
                "password_policy",
                "the new password is not accepted",
            ),
            (_, Error::PasswordPolicy(violation)) => ApiFailure::new(
                StatusCode::BAD_REQUEST,
                "password_policy",
                violation.to_string(),
            ),
            (_, Error::InvalidInput { field, .. }) => ApiFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("{field} is missing"),
            ),
            (_, e) if e.is_retryable() => {
                tracing::warn!(error = %e, "identity service unavailable");
                ApiFailure::busy("the identity service is busy; try again later")
            }
            (_, e) => {
                tracing::warn!(error = %e, kind = e.kind(), "identity service call failed");
                ApiFailure::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_error",
                    "the identity service failed",
                )
            }
        }
    }
}

type Answer = Result<Response, ApiFailure>;

/// `POST /login`.
#[derive(Deserialize)]
struct LoginBody {
    user: String,
    password: String,
}

async fn login(State(service): State<Arc<Service>>, Json(body): Json<LoginBody>) -> Answer {
    let outcome = service
        .client
        .login(&body.user, &Password::new(body.password))
        .await?;
    let (pending, can_skip) = match outcome {
        LoginOutcome::SignedIn(session) => return service.signed_in(&session).await,
        LoginOutcome::PasswordExpired(flow) => (Pending::Expired(flow), false),
        LoginOutcome::PasswordExpiring(flow) => (Pending::Expiring(flow), true),
        LoginOutcome::AccessDenied => {
            return Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "this user may not sign in to this application",
            ));
        }
        LoginOutcome::SecondFactorRequired(_) => {
            return Err(ApiFailure::new(
                StatusCode::NOT_IMPLEMENTED,
                "second_factor_not_supported",
                "a second factor is required; this example does not do that",
            ));
        }
        other => {
            tracing::warn!(outcome = ?other, "unknown login outcome");
            return Err(ApiFailure::new(
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                "the identity service answered an unknown login outcome",
            ));
        }
    };
    let policy = pending.change().policy().map(|p| {
        json!({
            "min_length": p.min_length(),
            "max_length": p.max_length(),
            "description": p.to_string(),
        })
    });
    let state = service.keep(pending)?;
    Ok(Json(json!({
        "status": "password_change_required",
        "next": "change_password",
        "state": state,
        "can_skip": can_skip,
        "policy": policy,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct StateBody {
    state: String,
}

/// `POST /password/captcha`.
async fn captcha(State(service): State<Arc<Service>>, Json(body): Json<StateBody>) -> Answer {
    let flow = service.flow(&body.state)?;
    let captcha = service.client.captcha().await?;
    let answer = json!({
        "captcha_id": captcha.token(),
        "background_png_base64": captcha.background_png_base64(),
        "jigsaw_png_base64": captcha.jigsaw_png_base64(),
    });
    *flow.captcha.lock().unwrap_or_else(PoisonError::into_inner) = Some(captcha);
    Ok(Json(answer).into_response())
}

#[derive(Deserialize)]
struct SendCodeBody {
    state: String,
    email: String,
    /// Where the user slid the jigsaw piece, in pixels.
    captcha_x: f64,
}

/// `POST /password/send-code`.
async fn send_code(State(service): State<Arc<Service>>, Json(body): Json<SendCodeBody>) -> Answer {
    let flow = service.flow(&body.state)?;
    // One answer per captcha, right or wrong.
    let captcha = flow
        .captcha
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .ok_or_else(|| {
            ApiFailure::new(
                StatusCode::BAD_REQUEST,
                "captcha_failed",
                "no captcha to answer; get one first",
            )
        })?;
    let token = service
        .client
        .verify_captcha(&captcha, body.captcha_x, &body.email)
        .await?;
    flow.pending
        .change()
        .send_email_code(&body.email, &token)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ChangeBody {
    state: String,
    code: String,
    new_password: String,
}

/// `POST /password/change`.
async fn change(State(service): State<Arc<Service>>, Json(body): Json<ChangeBody>) -> Answer {
    let flow = service.flow(&body.state)?;
    let session = flow
        .pending
        .change()
        .change_with_email_code(
            &VerifyCode::new(body.code),
            &Password::new(body.new_password),
        )
        .await?;
    // The state token is used up.
    service.forget(&body.state);
    service.signed_in(&session).await
}

/// `POST /password/skip`.
async fn skip(State(service): State<Arc<Service>>, Json(body): Json<StateBody>) -> Answer {
    let flow = service.flow(&body.state)?;
    let Pending::Expiring(expiring) = &flow.pending else {
        return Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "change_required",
            "the password has expired; it must be changed",
        ));
    };
    let session = expiring.skip().await?;
    service.forget(&body.state);
    service.signed_in(&session).await
}
