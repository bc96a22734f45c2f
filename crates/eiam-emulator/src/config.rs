//! The emulator's configuration.

use std::time::Duration;

use crate::error::{ConfigProblem, EmulatorError};
use crate::jwt::SigningKey;
use crate::policy::PasswordPolicy;

/// The client id of [`EmulatorConfig::default`].
pub const DEFAULT_CLIENT_ID: &str = "emulator-client";

/// How an [`Emulator`](crate::Emulator) behaves. `Default` gives the documented defaults.
///
/// Choices (inferred, the vendor documents none of these lifetimes except the session's
/// example value and the id_token's 2 hours): a state token lives 10 minutes, a
/// verification code 5 minutes and allows 5 wrong attempts.
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
    /// Lifetime of a session token, answered as `expire`. Default: 43200 s (12 hours), the
    /// vendor's example value.
    pub session_ttl: Duration,
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
        } else {
            None
        };
        problem.map_or(Ok(()), |p| Err(EmulatorError::InvalidConfig(p)))
    }
}
