//! The emulator's stored state: users, state tokens, verification codes and the outbox.
//!
//! Choices (inferred):
//!
//! * A verification code is stored per user and per type: sending a new `CHANGE_PWD_EMS`
//!   code to a user replaces the previous one (and resets its wrong-attempt count).
//! * A code is "burned" once `max_code_attempts` wrong codes were tried: the attempt that
//!   reaches the limit still answers "wrong code", every later attempt, even with the right
//!   code, answers "expired".
//! * A state token is bound to the user and to the client id it was issued for. A used
//!   token is kept as a tombstone so that it answers "expired": the real service most likely
//!   issues signed tokens and deletes their record when they are used, so a token it signed
//!   but cannot find any more reads as expired, not as forged.
//! * Passwords are kept as given (this is an emulator); they never reach a log or a `Debug`
//!   output.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The code type of the password change by e-mail.
pub(crate) const CHANGE_PWD_EMS: &str = "CHANGE_PWD_EMS";

/// A user to create with [`Emulator::add_user`](crate::Emulator::add_user).
///
/// Its `Debug` output hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The login name (`userName`, the id_token's `sub`); unique.
    pub user_name: String,
    /// The current password (no policy applies to it).
    pub password: String,
    /// The e-mail address codes are sent to.
    pub email: String,
    /// The mobile number in the vendor's `+CC-number` form, e.g. `+86-15907132852`.
    pub mobile: String,
    /// The display name; `None` shows as `""` in the id_token (as in the vendor's example).
    pub name: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("user_name", &self.user_name)
            .field("password", &"<redacted>")
            .field("email", &self.email)
            .field("mobile", &self.mobile)
            .field("name", &self.name)
            .finish()
    }
}

/// The result of [`Emulator::expired_login`](crate::Emulator::expired_login).
///
/// Its `Debug` output hides the state token.
#[derive(Clone, PartialEq, Eq)]
pub struct ExpiredLogin {
    /// The state token to send as `X-state-token`. Secret.
    pub state_token: String,
    /// How long the state token stays valid.
    pub expires_in: std::time::Duration,
}

impl fmt::Debug for ExpiredLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpiredLogin")
            .field("state_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A message "sent" by the emulator: it lands in the outbox instead.
///
/// Serialised as `{"channel","to","type","code","sent_at"}` (the admin API's format). Its
/// `Debug` output hides the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The channel: always `"email"` for now.
    pub channel: String,
    /// The recipient's address.
    pub to: String,
    /// The code type, e.g. `"CHANGE_PWD_EMS"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The verification code. Secret.
    pub code: String,
    /// When it was sent, in Unix seconds of the emulator's clock.
    pub sent_at: i64,
}

impl fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("code", &"<redacted>")
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// A stored user.
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) user_name: String,
    pub(crate) password: String,
    pub(crate) email: String,
    pub(crate) mobile: String,
    pub(crate) name: String,
}

/// A stored state token.
pub(crate) struct StateToken {
    pub(crate) user_name: String,
    pub(crate) client_id: String,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Whether a successful change consumed it.
    pub(crate) used: bool,
}

/// A stored verification code.
pub(crate) struct Code {
    pub(crate) code: String,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Wrong codes tried against it so far.
    pub(crate) wrong_attempts: u32,
}

/// Everything the emulator stores, behind one lock.
#[derive(Default)]
pub(crate) struct Store {
    /// Users by user name.
    pub(crate) users: HashMap<String, User>,
    /// State tokens by token.
    pub(crate) state_tokens: HashMap<String, StateToken>,
    /// Codes by (user name, code type).
    pub(crate) codes: HashMap<(String, &'static str), Code>,
    /// Sent messages, oldest first.
    pub(crate) outbox: Vec<OutboxMessage>,
}

impl Store {
    /// Stores a new code for a user, replacing any previous code of the same type, and
    /// puts the message into the outbox.
    pub(crate) fn send_code(
        &mut self,
        user_name: &str,
        kind: &'static str,
        code: String,
        now_ms: i64,
        ttl_ms: i64,
    ) -> bool {
        let Some(user) = self.users.get(user_name) else {
            return false;
        };
        self.outbox.push(OutboxMessage {
            channel: "email".to_owned(),
            to: user.email.clone(),
            kind: kind.to_owned(),
            code: code.clone(),
            sent_at: now_ms.div_euclid(1000),
        });
        self.codes.insert(
            (user_name.to_owned(), kind),
            Code {
                code,
                expires_at_ms: now_ms.saturating_add(ttl_ms),
                wrong_attempts: 0,
            },
        );
        true
    }
}

/// A user id in the layout of the vendor's example (`20220425140138519-BF1B-528B0551B`):
/// the creation time as `yyyyMMddHHmmssSSS` (UTC), then 4 and 9 random hex digits.
pub(crate) fn user_id(now_ms: i64, hex4: &str, hex9: &str) -> String {
    let millis = now_ms.rem_euclid(1000);
    let secs = now_ms.div_euclid(1000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}{millis:03}-{hex4}-{hex9}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_layout() {
        // 2022-04-25 14:01:38.519 UTC
        assert_eq!(
            user_id(1_650_895_298_519, "BF1B", "528B0551B"),
            "20220425140138519-BF1B-528B0551B"
        );
        assert_eq!(
            user_id(0, "0000", "000000000"),
            "19700101000000000-0000-000000000"
        );
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn debug_hides_secrets() {
        let user = NewUser {
            user_name: "alice".into(),
            password: "Secret-Passw0rd".into(),
            email: "alice@example.com".into(),
            mobile: "+86-15907132852".into(),
            name: None,
        };
        let text = format!("{user:?}");
        assert!(text.contains("alice") && !text.contains("Secret-Passw0rd"));
        let login = ExpiredLogin {
            state_token: "tok-secret".into(),
            expires_in: std::time::Duration::from_secs(1),
        };
        assert!(!format!("{login:?}").contains("tok-secret"));
        let msg = OutboxMessage {
            channel: "email".into(),
            to: "a@b".into(),
            kind: CHANGE_PWD_EMS.into(),
            code: "987654".into(),
            sent_at: 1,
        };
        assert!(!format!("{msg:?}").contains("987654"));
        assert_eq!(
            serde_json::to_value(&msg).ok(),
            Some(serde_json::json!({
                "channel": "email", "to": "a@b", "type": "CHANGE_PWD_EMS",
                "code": "987654", "sent_at": 1
            }))
        );
    }
}
