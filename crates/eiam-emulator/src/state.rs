//! The emulator's stored state: users, state tokens, sessions, captchas, verification
//! codes, failed logins and the outbox.
//!
//! Choices (inferred):
//!
//! * A verification code is stored per user and per type: sending a new code of a type
//!   (`CHANGE_PWD_EMS`, `CHANGE_PWD_SMS`, ...) to a user replaces the previous code of that
//!   type (and resets its wrong-attempt count); codes of other types are untouched.
//! * A code is "burned" once `max_code_attempts` wrong codes were tried: the attempt that
//!   reaches the limit still answers "wrong code", every later attempt, even with the right
//!   code, answers "expired".
//! * A state token is bound to the user and to the client id it was issued for. A used
//!   token is kept as a tombstone so that it answers "expired": the real service most likely
//!   issues signed tokens and deletes their record when they are used, so a token it signed
//!   but cannot find any more reads as expired, not as forged.
//! * A state token also carries its purpose (the login status that issued it: password
//!   about to expire, expired, or second factor needed), which decides the calls it may be
//!   used for.
//! * A user remembers its previous passwords, newest first, up to
//!   [`EmulatorConfig::history_len`](crate::EmulatorConfig::history_len).
//! * Failed logins are counted per submitted user name, known or not (so that an unknown
//!   name answers exactly like a known one, and is locked the same way).
//! * Passwords are kept as given (this is an emulator); they never reach a log or a `Debug`
//!   output.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;

/// The code type of the password change by e-mail.
pub(crate) const CHANGE_PWD_EMS: &str = "CHANGE_PWD_EMS";

/// The code type of the password change by SMS.
pub(crate) const CHANGE_PWD_SMS: &str = "CHANGE_PWD_SMS";

/// The documented `type` values of `POST /api/v2/sdk/email/send`.
pub(crate) const EMAIL_CODE_TYPES: [&str; 7] = [
    "LOGIN_EMS",
    "REGISTER_EMS",
    "MFA_AUTH_EMS",
    "FORGET_PWD_EMS",
    "BIND_EMAIL_EMS",
    "UPDATE_EMAIL_EMS",
    CHANGE_PWD_EMS,
];

/// The documented `type` values of `POST /api/v2/sdk/sms/send`.
pub(crate) const SMS_CODE_TYPES: [&str; 8] = [
    "LOGIN_SMS",
    "REGISTER_SMS",
    "MFA_AUTH_SMS",
    "FORGET_PWD_SMS",
    "BIND_MOBILE_SMS",
    "UPDATE_MOBILE_SMS",
    "OTP_REST_SMS",
    CHANGE_PWD_SMS,
];

/// Where a user's password stands; decides the status of a successful login.
///
/// Written `"fresh"`, `"expiring"` or `"expired"` in the admin API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PasswordExpiry {
    /// The password is valid: login answers `SUCCESS`. The default.
    #[default]
    Fresh,
    /// The password is about to expire: login answers `PASSWORD_WARN`.
    Expiring,
    /// The password has expired: login answers `PASSWORD_EXPIRED`.
    Expired,
}

impl PasswordExpiry {
    /// The admin API's name: `"fresh"`, `"expiring"` or `"expired"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
        }
    }
}

impl FromStr for PasswordExpiry {
    type Err = EmulatorError;

    /// Parses the admin API's name (exactly `fresh`, `expiring` or `expired`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fresh" => Ok(Self::Fresh),
            "expiring" => Ok(Self::Expiring),
            "expired" => Ok(Self::Expired),
            _ => Err(EmulatorError::InvalidInput { field: "expiry" }),
        }
    }
}

/// The login-related settings of a user, for
/// [`Emulator::add_user_with`](crate::Emulator::add_user_with). `Default` is a user whose
/// login simply succeeds; build others with `..UserOptions::default()` or the methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserOptions {
    /// The password's expiry state. Default: [`PasswordExpiry::Fresh`].
    pub expiry: PasswordExpiry,
    /// Whether a second factor is required: login answers `MFA_AUTH` (choice: the emulator
    /// does not implement the second factor itself). Default: `false`.
    pub mfa: bool,
    /// Whether the user may not sign in: login answers `ACCESS_DENIED`. Default: `false`.
    pub access_denied: bool,
}

impl UserOptions {
    /// These options with another expiry state.
    #[must_use]
    pub fn expiry(self, expiry: PasswordExpiry) -> Self {
        Self { expiry, ..self }
    }

    /// These options with a second factor required (or not).
    #[must_use]
    pub fn mfa(self, mfa: bool) -> Self {
        Self { mfa, ..self }
    }

    /// These options with access denied (or not).
    #[must_use]
    pub fn access_denied(self, access_denied: bool) -> Self {
        Self {
            access_denied,
            ..self
        }
    }
}

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
    /// The channel: `"email"` or `"sms"`.
    pub channel: String,
    /// The recipient: the user's stored e-mail address or mobile number (`+CC-number`).
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
    pub(crate) options: UserOptions,
    /// Previous passwords, newest first.
    pub(crate) history: VecDeque<String>,
}

impl Drop for User {
    /// The current and previous passwords are wiped from memory.
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.password.zeroize();
        self.history.iter_mut().for_each(|old| old.zeroize());
    }
}

impl User {
    /// Whether `password` is one of the `count` newest previous passwords.
    pub(crate) fn used_before(&self, password: &str, count: usize) -> bool {
        self.history
            .iter()
            .take(count)
            .any(|old| old.as_bytes() == password.as_bytes())
    }

    /// Sets a new password: the current one joins the history (which keeps `keep`
    /// entries), and the password is fresh again.
    pub(crate) fn set_password(&mut self, new: &str, keep: usize) {
        let old = std::mem::replace(&mut self.password, new.to_owned());
        self.history.push_front(old);
        self.history.truncate(keep);
        self.options.expiry = PasswordExpiry::Fresh;
    }
}

/// What a state token was issued for: the login status that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `PASSWORD_WARN`: change or skip.
    Warn,
    /// `PASSWORD_EXPIRED`: change.
    Expired,
    /// `MFA_AUTH`: the second factor (only the mobile look-up is emulated).
    Mfa,
}

/// A stored state token.
pub(crate) struct StateToken {
    pub(crate) user_name: String,
    pub(crate) client_id: String,
    pub(crate) purpose: Purpose,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Whether a successful change or skip consumed it.
    pub(crate) used: bool,
}

/// A stored session token.
pub(crate) struct Session {
    pub(crate) user_name: String,
    pub(crate) client_id: String,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// The lifetime it was issued with (a rotated session gets the same).
    pub(crate) ttl_ms: i64,
}

/// A captcha waiting to be solved.
pub(crate) struct Captcha {
    /// The `x` of the right position.
    pub(crate) answer_x: f64,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Whether a verification (right or wrong) used it.
    pub(crate) used: bool,
}

/// A solved captcha (a `captcha_token`), good for one code send to `sender`.
pub(crate) struct CaptchaPass {
    /// The normalised sender ([`sender_key`]).
    pub(crate) sender: String,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Whether a code send used it.
    pub(crate) used: bool,
}

/// The failed logins of one user name.
#[derive(Default)]
pub(crate) struct LoginFailures {
    /// Failed logins in a row.
    pub(crate) count: u32,
    /// The end of the lock, in milliseconds of the emulator's clock.
    pub(crate) locked_until_ms: Option<i64>,
}

/// The channel a code is sent by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Channel {
    /// To the user's e-mail address.
    Email,
    /// To the user's mobile number.
    Sms,
}

/// A stored verification code.
pub(crate) struct Code {
    pub(crate) code: String,
    /// Expiry, in milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// Wrong codes tried against it so far.
    pub(crate) wrong_attempts: u32,
}

impl Drop for Code {
    /// The code is wiped from memory.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.code);
    }
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
    /// Session tokens by token.
    pub(crate) sessions: HashMap<String, Session>,
    /// Captchas by token.
    pub(crate) captchas: HashMap<String, Captcha>,
    /// Solved captchas by `captcha_token`.
    pub(crate) captcha_passes: HashMap<String, CaptchaPass>,
    /// Failed logins by submitted user name.
    pub(crate) login_failures: HashMap<String, LoginFailures>,
}

impl Store {
    /// Stores a new code for a user, replacing any previous code of the same type, and
    /// puts the message (to the user's address of `channel`) into the outbox.
    pub(crate) fn send_code(
        &mut self,
        user_name: &str,
        kind: &'static str,
        channel: Channel,
        code: String,
        now_ms: i64,
        ttl_ms: i64,
    ) -> bool {
        let Some(user) = self.users.get(user_name) else {
            return false;
        };
        let (channel, to) = match channel {
            Channel::Email => ("email", &user.email),
            Channel::Sms => ("sms", &user.mobile),
        };
        self.outbox.push(OutboxMessage {
            channel: channel.to_owned(),
            to: to.clone(),
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

/// Whether `email` looks like an address: `local@domain`, both non-empty, no whitespace.
pub(crate) fn is_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace)
    })
}

/// The `(country code, number)` of a mobile number in the vendor's `+CC-number` form (1 to
/// 4 digits, `-`, 4 to 20 digits).
pub(crate) fn split_mobile(mobile: &str) -> Option<(&str, &str)> {
    mobile
        .strip_prefix('+')
        .and_then(|m| m.split_once('-'))
        .filter(|(cc, number)| {
            (1..=4).contains(&cc.len())
                && (4..=20).contains(&number.len())
                && cc.bytes().chain(number.bytes()).all(|b| b.is_ascii_digit())
        })
}

/// Whether `mobile` is 11 digits (the OneAccess form, without a country code).
pub(crate) fn is_national_mobile(mobile: &str) -> bool {
    mobile.len() == 11 && mobile.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the number a caller gave (`+CC-number` or 11 digits) designates the stored
/// number `stored` (`+CC-number`): the same number, with the same country code when one is
/// given (choice).
pub(crate) fn mobile_matches(given: &str, stored: &str) -> bool {
    match (split_mobile(given), split_mobile(stored)) {
        (Some(given), Some(stored)) => given == stored,
        (None, Some((_, number))) => is_national_mobile(given) && given == number,
        _ => false,
    }
}

/// The form a captcha's `sender` and a send call's address are compared in (choice): a
/// mobile number without its country code (`+86-15907132852` and `15907132852` are the same
/// sender), an e-mail address in ASCII lower case, anything else as given.
pub(crate) fn sender_key(sender: &str) -> String {
    match split_mobile(sender) {
        Some((_, number)) => number.to_owned(),
        None => sender.to_ascii_lowercase(),
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
    fn addresses() {
        assert!(is_email("a@b") && !is_email("a@") && !is_email("a b@c") && !is_email("ab"));
        assert_eq!(split_mobile("+86-15907132852"), Some(("86", "15907132852")));
        assert_eq!(split_mobile("+12345-1234"), None);
        assert_eq!(split_mobile("+1-123"), None);
        assert_eq!(split_mobile("86-15907132852"), None);
        assert_eq!(split_mobile("+86-1590713285x"), None);
        assert!(is_national_mobile("15907132852"));
        assert!(!is_national_mobile("1590713285") && !is_national_mobile("+5907132852"));
        let stored = "+86-15907132852";
        assert!(mobile_matches("+86-15907132852", stored));
        assert!(mobile_matches("15907132852", stored));
        assert!(!mobile_matches("+1-15907132852", stored));
        assert!(!mobile_matches("15907132853", stored));
        assert!(!mobile_matches("+86-15907132852 ", stored));
        assert!(!mobile_matches("15907132852", "+1-5550100"));
        assert_eq!(sender_key("+86-15907132852"), "15907132852");
        assert_eq!(sender_key("15907132852"), "15907132852");
        assert_eq!(sender_key("Alice@Example.com"), "alice@example.com");
    }

    #[test]
    fn history_keeps_the_newest() {
        let mut user = User {
            id: String::new(),
            user_name: "u".into(),
            password: "p0".into(),
            email: String::new(),
            mobile: String::new(),
            name: String::new(),
            options: UserOptions::default().expiry(PasswordExpiry::Expired),
            history: VecDeque::new(),
        };
        for p in ["p1", "p2", "p3", "p4"] {
            user.set_password(p, 2);
        }
        assert_eq!(user.password, "p4");
        assert_eq!(user.history, ["p3", "p2"]);
        assert_eq!(user.options.expiry, PasswordExpiry::Fresh);
        assert!(user.used_before("p2", 2) && !user.used_before("p2", 1));
        assert!(!user.used_before("p1", 2) && !user.used_before("p4", 2));
        user.set_password("p5", 0);
        assert!(user.history.is_empty());
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
