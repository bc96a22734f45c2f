#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod captcha;
mod client;
mod config;
mod error;
mod flow;
mod policy;
mod response;
mod secret;
mod session;

pub use captcha::{Captcha, CaptchaToken, CodeChannel, CodeType};
pub use client::Client;
pub use config::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Device, Language, env};
pub use error::{ApiError, ConfigError, Error, ErrorCode};
pub use flow::{ExpiredPassword, ExpiringPassword, LoginOutcome, PasswordChange, SecondFactor};
pub use policy::{PasswordPolicy, PolicyParseError, PolicyViolation};
pub use reqwest::StatusCode;
pub use secrecy::ExposeSecret;
pub use secret::{IdToken, Password, SessionToken, StateToken, VerifyCode};
pub use session::{Session, SessionStatus};
