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
//!   characters, classes, differs from the current password. The emulator then refuses a
//!   password among the user's previous ones ([`PolicyViolation::Reused`], see
//!   [`EmulatorConfig::history_len`](crate::EmulatorConfig::history_len)).
//!
//! [`PasswordPolicy::regex`] states the same rules (all but the current and previous
//! passwords) as the `regEx` of the login's `data`: a Java regular expression in the
//! vendor's style (`^` negative lookaheads, then one character class with the lengths `$`).
//! Choices: the character classes are written out (`[0-9]`, `[A-Z]`, `[a-z]`, everything
//! else) instead of the vendor's `\W`, which means `[^a-zA-Z0-9_]` in Java but is
//! Unicode-aware in other engines; the refused characters (whitespace and control
//! characters, as Rust's `char::is_whitespace` and `char::is_control` define them) are
//! excluded explicitly with `\xhh` and `\uhhhh` escapes, which Java, JavaScript and Rust
//! read alike. Known limits: Java and JavaScript count the lengths in UTF-16 units, so a
//! password with characters outside the Basic Multilingual Plane may be judged longer by
//! the regex than by the emulator; Java's `find` lets `$` match before a final line break
//! (use `matches`).

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
#[non_exhaustive]
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
    /// The password is one of the user's `count` previous passwords (checked by the
    /// emulator after the policy, see
    /// [`EmulatorConfig::history_len`](crate::EmulatorConfig::history_len)).
    Reused {
        /// How many previous passwords are remembered.
        count: usize,
    },
}

/// The characters the policy refuses (whitespace and control characters), as the inside of
/// a regex character class.
const REFUSED_CLASS: &str = r"\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The three ASCII classes as regex class ranges: digits, upper case, lower case. The fourth
/// class, special characters, is everything else.
const ASCII_CLASSES: [&str; 3] = ["0-9", "A-Z", "a-z"];

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

    /// The policy's rules as a Java regular expression (the `regEx` of the login's `data`;
    /// see the module documentation). A password matches it exactly when
    /// [`check`](Self::check) finds no length, character or class problem (for characters
    /// of the Basic Multilingual Plane). The default policy gives
    /// `^(?![0-9A-Z]+$)(?![0-9a-z]+$)(?![A-Za-z]+$)(?![^A-Za-z]+$)(?![^0-9a-z]+$)(?![^0-9A-Z]+$)[^…]{8,18}$`
    /// (`…` being the refused characters).
    pub fn regex(&self) -> String {
        let mut out = String::from("^");
        // "At least k classes" = "not made only of the characters of any k - 1 classes".
        // Classes are bits: 1 digits, 2 upper case, 4 lower case, 8 special.
        if let Some(fewer) = self.min_classes.checked_sub(1).filter(|&f| f > 0) {
            for set in 1u8..16 {
                if set.count_ones() as usize != fewer {
                    continue;
                }
                let ascii = |keep: bool| -> String {
                    ASCII_CLASSES
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| (set & (1 << i) != 0) == keep)
                        .map(|(_, c)| *c)
                        .collect()
                };
                if set & 8 == 0 {
                    out.push_str(&format!("(?![{}]+$)", ascii(true)));
                } else {
                    out.push_str(&format!("(?![^{}]+$)", ascii(false)));
                }
            }
        }
        out.push_str(&format!(
            "[^{REFUSED_CLASS}]{{{},{}}}$",
            self.min_len, self.max_len
        ));
        out
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
    fn default_regex_text() {
        assert_eq!(
            PasswordPolicy::default().regex(),
            "^(?![0-9A-Z]+$)(?![0-9a-z]+$)(?![A-Za-z]+$)(?![^A-Za-z]+$)(?![^0-9a-z]+$)\
             (?![^0-9A-Z]+$)[^\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]\
             {8,18}$"
        );
        let p = PasswordPolicy {
            min_len: 1,
            max_len: 50,
            min_classes: 0,
        };
        assert!(p.regex().starts_with("^[^") && p.regex().ends_with("]{1,50}$"));
    }

    /// The regex and the checker agree on every password of a varied set, for every number
    /// of classes.
    #[test]
    fn regex_agrees_with_the_checker() {
        let mut passwords: Vec<String> = [
            "P@ssw0rd123",
            "Ab1!xyz",
            "Ab1!xyzw",
            "Ab1!xyzwAb1!xyzwAb",
            "Ab1!xyzwAb1!xyzwAb1",
            "密码Ab1xyz",
            "密码密码密码密码",
            "Ab1 xyzwq",
            "Ab1\txyzwq",
            "Ab1\u{7f}xyzwq",
            "Ab1\u{a0}xyzwq",
            "Ab1\u{3000}xyzwq",
            "Ab1\u{85}xyzwq",
            "Abcdefg1\n",
            "abcdefgh1",
            "ABCDEFGH!",
            "abcdEFGH",
            "abcdEFGH1",
            "abcdefg1\"",
            "abcdefgh",
            "ABCDEFGH",
            "12345678",
            "!@#$%^&*",
            "abcd!@#$",
            "ABCD!@#$",
            "1234!@#$",
            "1234abcd",
            "1234ABCD",
            "éééééééé1",
            "ÉÉÉÉabcd",
            "abc_defg",
            "ABC_DEFG",
            "abc_DEF1",
            "Ab1!",
            "",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Every mix of classes, at every length around the limits.
        let pools = ["1", "A", "a", "!"];
        for mask in 1u8..16 {
            let chars: Vec<&str> = (0..4)
                .filter(|i| mask & (1 << i) != 0)
                .filter_map(|i| pools.get(i).copied())
                .collect();
            for len in [3, 4, 5, 7, 8, 9, 17, 18, 19] {
                passwords.push(
                    (0..len)
                        .filter_map(|i| chars.get(i % chars.len()))
                        .copied()
                        .collect(),
                );
            }
        }
        for min_classes in 0..=4 {
            for (min_len, max_len) in [(8, 18), (4, 5), (1, 50)] {
                let policy = PasswordPolicy {
                    min_len,
                    max_len,
                    min_classes,
                };
                let regex = fancy_regex::Regex::new(&policy.regex())
                    .unwrap_or_else(|e| panic!("{e}: {}", policy.regex()));
                for password in &passwords {
                    let by_regex = regex.is_match(password).unwrap_or_else(|e| panic!("{e}"));
                    let by_checker = policy.check(password, "").is_ok();
                    assert_eq!(
                        by_regex, by_checker,
                        "{policy:?} {password:?}: regex {by_regex}, checker {by_checker}"
                    );
                }
            }
        }
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
