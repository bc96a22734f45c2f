//! The emulator's configuration.

use std::time::Duration;

use crate::error::{ConfigProblem, EmulatorError};
use crate::jwt::SigningKey;
use crate::policy::PasswordPolicy;

/// The client id of [`EmulatorConfig::default`].
pub const DEFAULT_CLIENT_ID: &str = "emulator-client";

/// How an [`Emulator`](crate::Emulator) behaves. `Default` gives the documented defaults.
///
/// Choices (inferred, the vendor documents none of these values except the sessions'
/// example lifetimes and the id_token's 2 hours): a state token lives 10 minutes, a
/// verification code 5 minutes and allows 5 wrong attempts; 5 failed logins in a row lock
/// an account for 15 minutes; a new password may not be one of the 3 previous ones; a
/// captcha lives 2 minutes and a solved captcha's token 5 minutes; refreshing an id_token
/// does not rotate the session token.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The registered client ids (`X-client-id` values that are accepted). The first one is
    /// the default client of the admin API. Default: `["emulator-client"]`.
    pub client_ids: Vec<String>,
    /// Lifetime of a state token. Default: 10 minutes.
    pub state_token_ttl: Duration,
    /// Lifetime of a verification code. Default: 5 minutes.
    pub code_ttl: Duration,
    /// How many wrong codes burn a code. Default: 5.
    pub max_code_attempts: u32,
    /// Lifetime of a session token started by a password change or a skip, answered as
    /// `expire`. Default: 43200 s (12 hours), the vendor's example value for these calls.
    pub session_ttl: Duration,
    /// Lifetime of a session token started by a successful login, answered as `expire`.
    /// Default: 604800 s (7 days), the vendor's login example value.
    pub login_session_ttl: Duration,
    /// How many failed logins in a row lock an account (at least 1). Default: 5.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked. Default: 15 minutes.
    pub lockout_duration: Duration,
    /// How many previous passwords a new password may not repeat (the current password is
    /// always refused, on top of these). Default: 3.
    pub history_len: usize,
    /// Lifetime of a captcha (`GET /api/v2/sdk/captcha`) until it is verified. Default:
    /// 2 minutes.
    pub captcha_ttl: Duration,
    /// Lifetime of a `captcha_token` (a solved captcha) until a code is sent with it.
    /// Default: 5 minutes.
    pub captcha_token_ttl: Duration,
    /// Whether refreshing an id_token also replaces the session token (the tenant's
    /// "automatic refresh"); the old token then stops working. Default: `false` (choice: the
    /// vendor makes it a tenant option, off unless enabled).
    pub rotate_session_on_refresh: bool,
    /// Lifetime of an id_token. Default: 7200 s (2 hours), the vendor's default.
    pub id_token_ttl: Duration,
    /// The password policy. Default: [`PasswordPolicy::default`].
    pub policy: PasswordPolicy,
    /// The key that signs id_tokens. Default: `None`, which uses a key generated once per
    /// process and shared by all emulators of the process.
    pub signing_key: Option<SigningKey>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            client_ids: vec![DEFAULT_CLIENT_ID.to_owned()],
            state_token_ttl: Duration::from_secs(10 * 60),
            code_ttl: Duration::from_secs(5 * 60),
            max_code_attempts: 5,
            session_ttl: Duration::from_secs(43_200),
            login_session_ttl: Duration::from_secs(604_800),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            history_len: 3,
            captcha_ttl: Duration::from_secs(2 * 60),
            captcha_token_ttl: Duration::from_secs(5 * 60),
            rotate_session_on_refresh: false,
            id_token_ttl: Duration::from_secs(7_200),
            policy: PasswordPolicy::default(),
            signing_key: None,
        }
    }
}

impl EmulatorConfig {
    /// The default client id: the first of [`client_ids`](Self::client_ids), or `""` when the
    /// list is empty (which [`Emulator::new`](crate::Emulator::new) refuses).
    pub fn default_client_id(&self) -> &str {
        self.client_ids.first().map_or("", String::as_str)
    }

    /// Whether `client_id` is registered.
    pub(crate) fn knows_client(&self, client_id: &[u8]) -> bool {
        self.client_ids.iter().any(|c| c.as_bytes() == client_id)
    }

    /// Checks that the configuration can be used.
    pub(crate) fn validate(&self) -> Result<(), EmulatorError> {
        let problem = if self.client_ids.is_empty() {
            Some(ConfigProblem::NoClientIds)
        } else if self.policy.min_len == 0 || self.policy.min_len > self.policy.max_len {
            Some(ConfigProblem::PasswordLength)
        } else if self.policy.min_classes > 4 {
            Some(ConfigProblem::PasswordClasses)
        } else if self.max_code_attempts == 0 {
            Some(ConfigProblem::CodeAttempts)
        } else if self.lockout_threshold == 0 {
            Some(ConfigProblem::LockoutThreshold)
        } else {
            None
        };
        problem.map_or(Ok(()), |p| Err(EmulatorError::InvalidConfig(p)))
    }
}
