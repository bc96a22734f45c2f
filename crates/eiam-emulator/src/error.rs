//! The error type of the library API and of the admin API.

use std::fmt;

use crate::messages::{Lang, emulator_error};

/// An error of the emulator's library API (and of its `/_emulator/` admin routes).
///
/// Its [`Display`](fmt::Display) text is the English message of
/// [the message table](crate#messages); no variant carries a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmulatorError {
    /// A user with this user name already exists.
    UserExists {
        /// The user name.
        user_name: String,
    },
    /// No user has this user name.
    UserNotFound {
        /// The user name.
        user_name: String,
    },
    /// The client id is not one of [`EmulatorConfig::client_ids`](crate::EmulatorConfig).
    UnknownClient {
        /// The client id.
        client_id: String,
    },
    /// No captcha with this token is waiting to be solved (unknown or expired).
    CaptchaNotFound,
    /// An input field is missing or has a bad format (admin input).
    InvalidInput {
        /// The field's name.
        field: &'static str,
    },
    /// The configuration cannot be used.
    InvalidConfig(ConfigProblem),
    /// The RSA signing key could not be generated or parsed.
    Key,
    /// The system random number generator failed.
    Random,
    /// An id_token could not be signed.
    Signing,
    /// Binding or serving failed.
    Io(std::io::Error),
}

/// What is wrong with an [`EmulatorConfig`](crate::EmulatorConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// `client_ids` is empty.
    NoClientIds,
    /// The password policy's lengths are not `1 <= min_len <= max_len`.
    PasswordLength,
    /// The password policy's `min_classes` is larger than 4.
    PasswordClasses,
    /// `max_code_attempts` is 0.
    CodeAttempts,
    /// `lockout_threshold` is 0.
    LockoutThreshold,
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&emulator_error(self, Lang::En))
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for EmulatorError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
