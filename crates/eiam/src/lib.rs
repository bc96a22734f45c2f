// The repository's README is the crate's front page (its examples are doctests), followed
// by this crate's own README (the builder and the rules the client keeps).
#![doc = include_str!("../../../README.md")]
#![doc = ""]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod captcha;
mod client;
mod config;
mod error;
mod flow;
#[doc(hidden)]
pub mod fuzzing;
mod policy;
mod response;
mod secret;
mod session;
#[cfg(feature = "id-token")]
mod verify;

pub use captcha::{Captcha, CaptchaToken, CodeChannel, CodeType};
pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, Device,
    Language, RetryPolicy, env,
};
pub use error::{ApiError, ConfigError, Error, ErrorCode};
pub use flow::{ExpiredPassword, ExpiringPassword, LoginOutcome, PasswordChange, SecondFactor};
pub use policy::{PasswordPolicy, PolicyParseError, PolicyViolation};
pub use reqwest::{Certificate, StatusCode};
pub use secrecy::ExposeSecret;
pub use secret::{IdToken, Password, SessionToken, StateToken, VerifyCode};
pub use session::{Session, SessionStatus};
#[cfg(feature = "id-token")]
pub use verify::{
    DEFAULT_KEY_FETCH_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MIN_REFRESH_INTERVAL, ISSUER_PATH, IdTokenClaims, IdTokenVerifier,
    IdTokenVerifierBuilder, JwkSet, VerifyError,
};
