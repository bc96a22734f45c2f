//! Secret values: passwords, verification codes and tokens.
//!
//! Each is a distinct type so that a code cannot be passed where a password is expected.
//! They keep their value in a [`secrecy::SecretString`] (zeroized on drop); `Debug` prints
//! only the type name and `[REDACTED]`, and there is no `Display`. Read the value with
//! [`ExposeSecret::expose_secret`](secrecy::ExposeSecret::expose_secret) where it must be
//! used, and nowhere else.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// Whether the value is empty or only white space.
            pub fn is_blank(&self) -> bool {
                self.0.expose_secret().trim().is_empty()
            }
        }

        impl ExposeSecret<str> for $name {
            fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

secret_type!(
    /// A user's password (current or new).
    Password
);
secret_type!(
    /// A verification code received by e-mail or SMS.
    VerifyCode
);
secret_type!(
    /// The temporary `state_token` of a login whose password expired or is about to.
    /// Single-use: a successful password change consumes it.
    StateToken
);
secret_type!(
    /// A `session_token`: the user's session, exchangeable for an SSO ticket.
    SessionToken
);
secret_type!(
    /// A `captcha_token`: proof that a captcha was solved, good for one code send to the
    /// address or number it was verified for.
    CaptchaToken
);
secret_type!(
    /// An `id_token`: a short-lived RS256 JWT with the user's claims. Verify it before
    /// trusting its claims.
    IdToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let printed = format!(
            "{:?} {:?} {:?} {:?} {:?}",
            Password::new("hunter2-pw"),
            VerifyCode::new("492817"),
            StateToken::new("st-abc"),
            SessionToken::new("sess-xyz"),
            IdToken::new("eyJ.id.tok"),
        );
        for secret in ["hunter2-pw", "492817", "st-abc", "sess-xyz", "eyJ.id.tok"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("Password([REDACTED])"), "{printed}");
    }

    #[test]
    fn blank_values_are_detected() {
        assert!(Password::new("").is_blank());
        assert!(VerifyCode::new(" \t").is_blank());
        assert!(!VerifyCode::new("1234").is_blank());
        assert_eq!(VerifyCode::new("1234").expose_secret(), "1234");
    }
}
