//! The password policy applied to `new_password`.
//!
//! Defaults come from the vendor's documented defaults (OneAccess, research notes §6):
//! 8 to 18 characters, at least three of four character classes. Choices where the vendor
//! is silent (inferred):
//!
//! * Length counts characters (Unicode scalar values), not bytes.
//! * The classes are ASCII digits, ASCII upper-case letters, ASCII lower-case letters and
//!   special characters. The documented specials are ``~!#$%&+-,*:;<=>@_?^`./``; every
//!   other character that is not an ASCII letter or digit counts as special too (any other
//!   printable ASCII such as `"` or `(`, and any non-ASCII character). This is what the
//!   vendor's `regEx` (`^(?![a-zA-Z]+$)...`, built on `\W`, which in Java is
//!   `[^a-zA-Z0-9_]`) does.
//! * Whitespace and control characters are refused.
//! * The new password must differ from the current one.
//! * The rules are checked in this order, and the first broken rule is reported: length,
//!   characters, classes, differs from the current password.

/// A password policy. `Default` is the vendor's default policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length, in characters (default 8).
    pub min_len: usize,
    /// Maximum length, in characters (default 18).
    pub max_len: usize,
    /// How many of the four classes (digits, upper case, lower case, special) a password
    /// must use, 0 to 4 (default 3).
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_len: 8,
            max_len: 18,
            min_classes: 3,
        }
    }
}

/// The first rule of a [`PasswordPolicy`] that a password breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyViolation {
    /// The password is shorter than `min` or longer than `max` characters.
    Length {
        /// The policy's minimum length.
        min: usize,
        /// The policy's maximum length.
        max: usize,
    },
    /// The password contains whitespace or a control character.
    Characters,
    /// The password uses fewer than `min` character classes.
    Classes {
        /// The policy's minimum number of classes.
        min: usize,
    },
    /// The password is the current password.
    SameAsCurrent,
}

impl PasswordPolicy {
    /// Checks `new` against the policy; `current` is the user's current password.
    ///
    /// # Errors
    /// The first rule `new` breaks, in the order of the module documentation.
    pub fn check(&self, new: &str, current: &str) -> Result<(), PolicyViolation> {
        let len = new.chars().count();
        if len < self.min_len || len > self.max_len {
            return Err(PolicyViolation::Length {
                min: self.min_len,
                max: self.max_len,
            });
        }
        if new.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(PolicyViolation::Characters);
        }
        let has = |f: fn(&char) -> bool| usize::from(new.chars().any(|c| f(&c)));
        let classes = has(char::is_ascii_digit)
            + has(char::is_ascii_uppercase)
            + has(char::is_ascii_lowercase)
            + has(|c| !c.is_ascii_alphanumeric());
        if classes < self.min_classes {
            return Err(PolicyViolation::Classes {
                min: self.min_classes,
            });
        }
        if new == current {
            return Err(PolicyViolation::SameAsCurrent);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(new: &str) -> Result<(), PolicyViolation> {
        PasswordPolicy::default().check(new, "Old-Passw0rd")
    }

    #[test]
    fn defaults() {
        let len = Err(PolicyViolation::Length { min: 8, max: 18 });
        let classes = Err(PolicyViolation::Classes { min: 3 });
        assert_eq!(check("P@ssw0rd123"), Ok(()));
        assert_eq!(check("Ab1!xyz"), len);
        assert_eq!(check("Ab1!xyzw"), Ok(()));
        assert_eq!(check("Ab1!xyzwAb1!xyzwAb"), Ok(()));
        assert_eq!(check("Ab1!xyzwAb1!xyzwAb1"), len);
        // Characters, not bytes: 8 characters of which 2 are 3-byte characters.
        assert_eq!(check("密码Ab1xyz"), Ok(()));
        assert_eq!(check("Ab1 xyzwq"), Err(PolicyViolation::Characters));
        assert_eq!(check("Ab1\txyzwq"), Err(PolicyViolation::Characters));
        assert_eq!(check("Ab1\u{7f}xyzwq"), Err(PolicyViolation::Characters));
        assert_eq!(check("abcdefgh1"), classes);
        assert_eq!(check("ABCDEFGH!"), classes);
        assert_eq!(check("abcdEFGH"), classes);
        assert_eq!(check("abcdEFGH1"), Ok(()));
        assert_eq!(check("abcdefg1\""), Ok(()));
        assert_eq!(check("Old-Passw0rd"), Err(PolicyViolation::SameAsCurrent));
    }

    #[test]
    fn configurable() {
        let p = PasswordPolicy {
            min_len: 4,
            max_len: 5,
            min_classes: 1,
        };
        assert_eq!(p.check("abcd", "x"), Ok(()));
        assert_eq!(
            p.check("abcdef", "x"),
            Err(PolicyViolation::Length { min: 4, max: 5 })
        );
    }
}
