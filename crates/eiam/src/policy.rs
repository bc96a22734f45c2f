//! The password policy a login returns (`data`), and the client-side pre-check of a new
//! password against it. The server stays the judge: it also applies rules the policy does
//! not describe (history, weak-password lists, user information).

use std::fmt;

use fancy_regex::Regex;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use crate::secret::Password;

/// The password policy of the tenant, as the login's `data` describes it.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<String>,
    compiled: Option<Regex>,
    raw: Map<String, Value>,
}

/// Why `data` is not a usable policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the password policy in `data` is not usable: {0}")]
pub struct PolicyParseError(String);

/// A rule of the policy that a new password breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer characters than `minLength`.
    #[error("the new password has {length} characters; the policy asks for at least {min}")]
    TooShort {
        /// `minLength`.
        min: usize,
        /// The password's length in characters.
        length: usize,
    },
    /// More characters than `maxLength`.
    #[error("the new password has {length} characters; the policy allows at most {max}")]
    TooLong {
        /// `maxLength`.
        max: usize,
        /// The password's length in characters.
        length: usize,
    },
    /// The policy's regular expression (`regEx`) does not match.
    #[error(
        "the new password does not match the policy's pattern {pattern} (usually: too few kinds of characters among digits, upper case, lower case and special characters)"
    )]
    Pattern {
        /// The pattern, as the service sent it.
        pattern: String,
    },
}

impl PasswordPolicy {
    /// Parses the login's `data`: a JSON object in a string with `minLength`, `maxLength`
    /// (numbers, or numbers in strings) and `regEx` (a Java regular expression); other
    /// keys are kept in [`raw`](Self::raw).
    ///
    /// A `regEx` that this crate's regex engine cannot compile is kept as text but not
    /// checked client-side (the server still checks it).
    pub fn parse(data: &str) -> Result<PasswordPolicy, PolicyParseError> {
        let value: Value =
            serde_json::from_str(data).map_err(|e| PolicyParseError(format!("not JSON ({e})")))?;
        let Value::Object(raw) = value else {
            return Err(PolicyParseError("not a JSON object".into()));
        };
        let length = |key: &str| -> Result<Option<usize>, PolicyParseError> {
            match raw.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| PolicyParseError(format!("`{key}` is not a length: {n}"))),
                Some(Value::String(s)) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| PolicyParseError(format!("`{key}` is not a length: {s:?}"))),
                Some(other) => Err(PolicyParseError(format!(
                    "`{key}` is not a length: {other}"
                ))),
            }
        };
        let min_length = length("minLength")?;
        let max_length = length("maxLength")?;
        let pattern = match raw.get("regEx") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(PolicyParseError(format!("`regEx` is not text: {other}"))),
        };
        let compiled = pattern
            .as_deref()
            .and_then(|p| match Regex::new(&java_classes(p)) {
                Ok(re) => Some(re),
                Err(e) => {
                    tracing::debug!(error = %e, "password policy regEx not checked client-side");
                    None
                }
            });
        Ok(PasswordPolicy {
            min_length,
            max_length,
            pattern,
            compiled,
            raw,
        })
    }

    /// `minLength`, if given.
    pub fn min_length(&self) -> Option<usize> {
        self.min_length
    }

    /// `maxLength`, if given.
    pub fn max_length(&self) -> Option<usize> {
        self.max_length
    }

    /// `regEx`, if given.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_deref()
    }

    /// Whether `regEx` is checked client-side (it compiled).
    pub fn pattern_checked(&self) -> bool {
        self.compiled.is_some()
    }

    /// Every key of `data`, as sent.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// Checks a new password against the length rules, then the pattern; the first rule
    /// broken is returned. The password itself never appears in the result.
    pub fn check(&self, password: &Password) -> Result<(), PolicyViolation> {
        let secret = password.expose_secret();
        let length = secret.chars().count();
        if let Some(min) = self.min_length.filter(|&min| length < min) {
            return Err(PolicyViolation::TooShort { min, length });
        }
        if let Some(max) = self.max_length.filter(|&max| length > max) {
            return Err(PolicyViolation::TooLong { max, length });
        }
        if let (Some(re), Some(pattern)) = (&self.compiled, &self.pattern) {
            // An engine error (e.g. backtracking limit) is not a verdict: the server decides.
            if let Ok(false) = re.is_match(secret) {
                return Err(PolicyViolation::Pattern {
                    pattern: pattern.clone(),
                });
            }
        }
        Ok(())
    }
}

/// `pattern` with Java's meaning of the shorthand classes, which the service's `regEx` is
/// written for (a Java regular expression): there `\w`, `\d` and `\s` are ASCII only, so
/// `\W` (a "special character" in the vendor's policy) matches `ä` or `密`, while the
/// regex engine here gives them their Unicode meaning. Each becomes an explicit class
/// (nested when inside a class: `[a-z\W]` is `[a-z[^0-9A-Za-z_]]`); every other escape is
/// kept as written.
fn java_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('s') => out.push_str("[ \\t\\n\\x0B\\f\\r]"),
            Some('S') => out.push_str("[^ \\t\\n\\x0B\\f\\r]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

impl fmt::Display for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min_length, self.max_length) {
            (Some(min), Some(max)) => write!(f, "{min} to {max} characters")?,
            (Some(min), None) => write!(f, "at least {min} characters")?,
            (None, Some(max)) => write!(f, "at most {max} characters")?,
            (None, None) => write!(f, "any length")?,
        }
        if let Some(p) = &self.pattern {
            write!(f, ", matching {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendor's policy shape (CIAM example): 8 to 18, at least 3 of 4 classes.
    const VENDOR: &str = r#"{"maxLength":18,"minLength":8,"regEx":"^(?![a-zA-Z]+$)(?![A-Z0-9]+$)(?![A-Z\\W_]+$)(?![a-z0-9]+$)(?![a-z\\W_]+$)(?![0-9\\W_]+$)[a-zA-Z0-9\\W_]{8,18}$","pwdHistory":3}"#;

    fn check(data: &str, password: &str) -> Result<(), PolicyViolation> {
        PasswordPolicy::parse(data)
            .expect("policy")
            .check(&Password::new(password))
    }

    #[test]
    fn the_vendor_policy_is_parsed_and_checked() {
        let policy = PasswordPolicy::parse(VENDOR).expect("policy");
        assert_eq!(
            (policy.min_length(), policy.max_length()),
            (Some(8), Some(18))
        );
        assert!(policy.pattern_checked());
        assert_eq!(policy.raw()["pwdHistory"], 3);
        assert_eq!(check(VENDOR, "P@ssw0rd123"), Ok(()));
        assert_eq!(check(VENDOR, "Passw0rd"), Ok(()), "3 classes suffice");
        assert_eq!(
            check(VENDOR, "Sh0rt!"),
            Err(PolicyViolation::TooShort { min: 8, length: 6 })
        );
        assert_eq!(
            check(VENDOR, "Way-Too-L0ng-Password-1"),
            Err(PolicyViolation::TooLong {
                max: 18,
                length: 23
            })
        );
        assert!(matches!(
            check(VENDOR, "onlylowercase"),
            Err(PolicyViolation::Pattern { .. })
        ));
        assert!(matches!(
            check(VENDOR, "lower1234"),
            Err(PolicyViolation::Pattern { .. })
        ));
    }

    #[test]
    fn shorthand_classes_mean_what_they_mean_in_java() {
        // `\W` counts non-ASCII letters as special characters, as the service does.
        assert_eq!(check(VENDOR, "Pässw0rd1"), Ok(()));
        assert_eq!(check(VENDOR, "密码Ab1xyz1"), Ok(()));
        // ... and only as special characters: eight of them are one class of four.
        assert!(matches!(
            check(VENDOR, "ÄÖÜßéèàç"),
            Err(PolicyViolation::Pattern { .. })
        ));
        // `\d` is only 0-9: Arabic-Indic digits are not digits there.
        let digits = r#"{"regEx":"^\\d+$"}"#;
        assert_eq!(check(digits, "0123"), Ok(()));
        assert!(matches!(
            check(digits, "٠١٢٣"),
            Err(PolicyViolation::Pattern { .. })
        ));
        // An escaped backslash is left alone, and so are other escapes.
        assert_eq!(java_classes(r"\\w\.\p{L}"), r"\\w\.\p{L}");
        assert_eq!(java_classes(r"[a-z\W_]"), r"[a-z[^0-9A-Za-z_]_]");
        assert_eq!(
            java_classes(r"^\S\s$"),
            r"^[^ \t\n\x0B\f\r][ \t\n\x0B\f\r]$"
        );
    }

    #[test]
    fn lengths_count_characters_and_may_be_strings() {
        let data = r#"{"minLength":"4","maxLength":5}"#;
        assert_eq!(check(data, "äöüß"), Ok(()));
        assert_eq!(
            check(data, "äöüßéè"),
            Err(PolicyViolation::TooLong { max: 5, length: 6 })
        );
    }

    #[test]
    fn violations_never_repeat_the_password() {
        let err = check(VENDOR, "onlylowercase").expect_err("violation");
        assert!(!err.to_string().contains("onlylowercase"), "{err}");
    }

    #[test]
    fn unusable_data_is_an_error_not_an_empty_policy() {
        for bad in [
            "",
            "not json",
            "[1]",
            r#"{"minLength":-1}"#,
            r#"{"regEx":5}"#,
        ] {
            assert!(PasswordPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pattern_the_engine_cannot_compile_is_left_to_the_server() {
        let policy = PasswordPolicy::parse(r#"{"minLength":8,"regEx":"(?<!unclosed"}"#)
            .expect("still a policy");
        assert!(!policy.pattern_checked());
        assert_eq!(policy.check(&Password::new("anything-long")), Ok(()));
    }
}
