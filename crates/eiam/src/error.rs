//! Errors: one [`Error`] type for every call, and [`ConfigError`] for building a client.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// A service error code, typed for every code in the vendor's table, raw otherwise.
///
/// The table (HTTP 400 unless noted) is in the spec's `Error.error_code` description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `SDK.COMMON.1001`: a parameter is blank (missing header or field).
    ParameterBlank,
    /// `SDK.COMMON.1002`: a parameter has a bad format.
    ParameterFormat,
    /// `SDK.COMMON.1003`: the device information is incomplete.
    DeviceInfoIncomplete,
    /// `SDK.COMMON.1004`: a signature could not be decrypted.
    SignatureDecryption,
    /// `SDK.COMMON.1005`: something (a token, a code) has expired.
    Expired,
    /// `SDK.COMMON.1006`: a parameter is wrong (e.g. an unknown state token).
    ParameterError,
    /// `SDK.COMMON.1007`: a parameter has the wrong type.
    WrongType,
    /// `SDK.COMMON.1008`: the system is busy (HTTP 500). Retryable.
    SystemBusy,
    /// `SDK.COMMON.1009`: unknown authentication configuration.
    UnknownAuthConfig,
    /// `SDK.COMMON.1010`: the global configuration is unavailable.
    GlobalConfigUnavailable,
    /// `SDK.COMMON.1011`: the area-code configuration is unavailable.
    AreaCodeConfigUnavailable,
    /// `SDK.COMMON.1012`: the `X-client-id` is not a known application.
    InvalidClientId,
    /// `SDK.COMMON.1013`: the user does not exist.
    UserNotFound,
    /// `SDK.COMMON.1014`: the application's private key was not found.
    AppPrivateKeyNotFound,
    /// `SDK.LOGIN.1001`: an interface call failed.
    LoginInterfaceError,
    /// `SDK.LOGIN.1002`: the user is not bound.
    UserNotBound,
    /// `SDK.LOGIN.1003`: the account is locked after too many failures.
    AccountLocked,
    /// `SDK.LOGIN.1004`: failed to obtain information.
    LoginInfoUnavailable,
    /// `SDK.SMS.1005`: the SMS verification code is wrong.
    SmsCodeWrong,
    /// `SDK.SMS.1006`: the e-mail verification code is wrong.
    EmailCodeWrong,
    /// `LOGIN.0002`: wrong account name or password (the message says how many attempts
    /// remain).
    InvalidCredentials,
    /// `CAPTCHA.0002`: the captcha answer is wrong.
    CaptchaWrong,
    /// `CAPTCHA.0003`: the captcha token has expired.
    CaptchaExpired,
    /// `CAPTCHA.0004`: the captcha token is not valid.
    CaptchaInvalid,
    /// A code this version does not know, kept as sent.
    Other(String),
}

const CODES: [(&str, ErrorCode); 24] = [
    ("SDK.COMMON.1001", ErrorCode::ParameterBlank),
    ("SDK.COMMON.1002", ErrorCode::ParameterFormat),
    ("SDK.COMMON.1003", ErrorCode::DeviceInfoIncomplete),
    ("SDK.COMMON.1004", ErrorCode::SignatureDecryption),
    ("SDK.COMMON.1005", ErrorCode::Expired),
    ("SDK.COMMON.1006", ErrorCode::ParameterError),
    ("SDK.COMMON.1007", ErrorCode::WrongType),
    ("SDK.COMMON.1008", ErrorCode::SystemBusy),
    ("SDK.COMMON.1009", ErrorCode::UnknownAuthConfig),
    ("SDK.COMMON.1010", ErrorCode::GlobalConfigUnavailable),
    ("SDK.COMMON.1011", ErrorCode::AreaCodeConfigUnavailable),
    ("SDK.COMMON.1012", ErrorCode::InvalidClientId),
    ("SDK.COMMON.1013", ErrorCode::UserNotFound),
    ("SDK.COMMON.1014", ErrorCode::AppPrivateKeyNotFound),
    ("SDK.LOGIN.1001", ErrorCode::LoginInterfaceError),
    ("SDK.LOGIN.1002", ErrorCode::UserNotBound),
    ("SDK.LOGIN.1003", ErrorCode::AccountLocked),
    ("SDK.LOGIN.1004", ErrorCode::LoginInfoUnavailable),
    ("SDK.SMS.1005", ErrorCode::SmsCodeWrong),
    ("SDK.SMS.1006", ErrorCode::EmailCodeWrong),
    ("LOGIN.0002", ErrorCode::InvalidCredentials),
    ("CAPTCHA.0002", ErrorCode::CaptchaWrong),
    ("CAPTCHA.0003", ErrorCode::CaptchaExpired),
    ("CAPTCHA.0004", ErrorCode::CaptchaInvalid),
];

impl ErrorCode {
    /// The typed code for a raw `error_code`.
    pub fn parse(raw: &str) -> ErrorCode {
        CODES
            .iter()
            .find(|(text, _)| *text == raw)
            .map(|(_, code)| code.clone())
            .unwrap_or_else(|| ErrorCode::Other(raw.to_owned()))
    }

    /// The code as the service writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(raw) => raw,
            known => CODES
                .iter()
                .find(|(_, code)| code == known)
                .map_or("", |(text, _)| text),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered by the service: `{"error_code", "error_msg"}` with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status (400 for most errors, 500 for `SDK.COMMON.1008`).
    pub status: StatusCode,
    /// The typed error code; [`ErrorCode::as_str`] gives the raw one.
    pub code: ErrorCode,
    /// The service's message, in the language asked for with `X-L`.
    pub message: String,
    /// How long the service asked the caller to wait before trying again (its
    /// `Retry-After` header), if it said.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (HTTP {}): {}",
            self.code,
            self.status.as_u16(),
            self.message
        )
    }
}

/// Everything that can go wrong in a call. Never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service refused the call with a documented error body.
    #[error("the service refused the call: {0}")]
    Api(ApiError),
    /// An argument was refused before anything was sent.
    #[error("invalid {field}: {reason}; nothing was sent")]
    InvalidInput {
        /// Which argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The call did not complete within the configured timeout.
    #[error("no complete answer within {timeout:?}")]
    Timeout {
        /// The timeout that ran out.
        timeout: Duration,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The connection failed (DNS, TCP, TLS, reset...).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer was not what the API documents (an HTML page from a proxy, a 200 whose
    /// body is not the documented JSON, a redirect, a success without a session...).
    #[error("unexpected response{}: {reason}{}", status_text(*.status), excerpt_text(.excerpt))]
    UnexpectedResponse {
        /// The HTTP status, when one was received.
        status: Option<StatusCode>,
        /// What was wrong with it.
        reason: String,
        /// The start of the body, with secret fields masked.
        excerpt: String,
        /// How long the server asked the caller to wait before trying again (its
        /// `Retry-After` header, e.g. with a 429 or 503), if it said.
        retry_after: Option<Duration>,
    },
    /// The answer's body was longer than the configured cap
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)); reading
    /// stopped there.
    #[error("unexpected response{}: the body is larger than the {limit} bytes allowed", status_text(*.status))]
    ResponseTooLarge {
        /// The HTTP status, when one was received.
        status: Option<StatusCode>,
        /// The cap, in bytes.
        limit: u64,
    },
    /// The call (all its attempts and the waits between them) did not end within the
    /// configured deadline ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)).
    #[error("the call did not end within its deadline of {deadline:?}")]
    DeadlineExceeded {
        /// The deadline that ran out.
        deadline: Duration,
    },
    /// The new password breaks the password policy the login returned; nothing was sent.
    #[error("{0}; nothing was sent")]
    PasswordPolicy(#[source] crate::policy::PolicyViolation),
    /// The service answered 200 without a session (e.g. `status: ACCESS_DENIED`).
    #[error("the service answered status {status} without a session")]
    NotSignedIn {
        /// The `status` it answered.
        status: String,
    },
}

fn status_text(status: Option<StatusCode>) -> String {
    status.map_or_else(String::new, |s| format!(" (HTTP {})", s.as_u16()))
}

fn excerpt_text(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!("; body starts: {excerpt:?}")
    }
}

impl Error {
    /// The service error, if the service answered one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The typed service error code, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api().map(|e| &e.code)
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::UnexpectedResponse { status, .. } | Error::ResponseTooLarge { status, .. } => {
                *status
            }
            _ => None,
        }
    }

    /// How long the server asked the caller to wait before trying again, from its
    /// `Retry-After` header (seconds, or an HTTP date turned into the time left until
    /// it), when an answer had one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::UnexpectedResponse { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short, stable name of the kind of error, for logs and machine-readable output:
    /// `api`, `invalid_input`, `timeout`, `deadline`, `transport`, `unexpected_response`,
    /// `response_too_large`, `not_signed_in`, `password_policy`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api(_) => "api",
            Error::InvalidInput { .. } => "invalid_input",
            Error::Timeout { .. } => "timeout",
            Error::Transport(_) => "transport",
            Error::UnexpectedResponse { .. } => "unexpected_response",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::DeadlineExceeded { .. } => "deadline",
            Error::NotSignedIn { .. } => "not_signed_in",
            Error::PasswordPolicy(_) => "password_policy",
        }
    }

    /// Whether the same call may succeed if tried again later: timeouts (and an exceeded
    /// deadline), connection failures, `SDK.COMMON.1008` (system busy) and HTTP 408, 429,
    /// 500 (the service's "system busy" status, whatever the body), 502, 503, 504. [`Error::retry_after`] says how long to wait when the server said.
    ///
    /// The SDK never retries a call that changes state (a password change) by itself: after
    /// a timeout the first attempt may have taken effect, and a retry then fails with an
    /// expired state token. The caller decides.
    pub fn is_retryable(&self) -> bool {
        let retryable_status =
            |s: StatusCode| matches!(s.as_u16(), 408 | 429 | 500 | 502 | 503 | 504);
        match self {
            Error::Timeout { .. } | Error::DeadlineExceeded { .. } | Error::Transport(_) => true,
            Error::Api(e) => e.code == ErrorCode::SystemBusy || retryable_status(e.status),
            Error::UnexpectedResponse { status, .. } => status.is_some_and(retryable_status),
            Error::InvalidInput { .. }
            | Error::NotSignedIn { .. }
            | Error::PasswordPolicy(_)
            | Error::ResponseTooLarge { .. } => false,
        }
    }
}

/// Secrets shorter than this are not searched for in the texts of an answer (masking
/// every `a` of a message would hide the message, not the secret).
const MIN_REDACTED_LEN: usize = 4;

impl Error {
    /// This error with every occurrence of one of `secrets` (as sent, or escaped as in a
    /// JSON string) in the texts that came from the answer replaced by `***`: a server
    /// that echoes a password or code in its message must not make the error print it.
    /// A secret cut short at the end of an excerpt is masked too.
    pub(crate) fn redact(mut self, secrets: &[&str]) -> Self {
        let forms: Vec<String> = secrets
            .iter()
            .filter(|s| s.len() >= MIN_REDACTED_LEN)
            .flat_map(|s| {
                let escaped = serde_json::to_string(s).unwrap_or_default();
                let escaped = escaped.trim_matches('"').to_owned();
                [(*s).to_owned(), escaped]
            })
            .collect();
        if forms.is_empty() {
            return self;
        }
        let scrub = |text: &mut String| {
            for form in &forms {
                if text.contains(form.as_str()) {
                    *text = text.replace(form.as_str(), "***");
                }
            }
        };
        match &mut self {
            Error::Api(e) => {
                scrub(&mut e.message);
                if let ErrorCode::Other(raw) = &mut e.code {
                    scrub(raw);
                }
            }
            Error::UnexpectedResponse {
                reason, excerpt, ..
            } => {
                scrub(reason);
                scrub(excerpt);
                mask_cut_secret(excerpt, &forms);
            }
            Error::NotSignedIn { status } => scrub(status),
            Error::InvalidInput { reason, .. } => scrub(reason),
            _ => {}
        }
        self
    }
}

/// Masks the start of a secret at the very end of an excerpt cut with `…`.
fn mask_cut_secret(excerpt: &mut String, forms: &[String]) {
    let Some(body) = excerpt.strip_suffix('…') else {
        return;
    };
    for form in forms {
        let cut = form
            .char_indices()
            .map(|(i, _)| i)
            .filter(|&i| i >= MIN_REDACTED_LEN)
            .rev()
            .find(|&i| body.ends_with(&form[..i]));
        if let Some(i) = cut {
            let keep = body.len() - i;
            *excerpt = format!("{}***…", &body[..keep]);
            return;
        }
    }
}

/// Why a [`Client`](crate::Client) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was not given.
    #[error("missing {what} (set it on the builder or in {env})")]
    Missing {
        /// The setting.
        what: &'static str,
        /// The environment variable that can provide it.
        env: &'static str,
    },
    /// The base URL is not usable.
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// A plain `http://` base URL of a loopback host, without the opt-in
    /// ([`ClientBuilder::allow_http_loopback`](crate::ClientBuilder::allow_http_loopback)).
    #[error("plain http base URL {url:?}: allowed for loopback hosts only after opting in")]
    PlainHttpNotAllowed {
        /// The URL as given.
        url: String,
    },
    /// A setting that becomes a header has a character a header cannot carry.
    #[error("invalid {what}: {reason}")]
    Value {
        /// The setting.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be created (e.g. no TLS roots).
    #[error("cannot create the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    fn api(message: &str) -> Error {
        Error::Api(ApiError {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::Other("X.pw=Secret-1".into()),
            message: message.into(),
            retry_after: None,
        })
    }

    #[test]
    fn echoed_secrets_are_masked_raw_and_json_escaped() {
        let e = api(r#"bad "Secret-1" and Se\"c\\ret and 123"#).redact(&[
            "Secret-1",
            "Se\"c\\ret",
            "123",
        ]);
        let printed = format!("{e} {e:?}");
        assert!(!printed.contains("Secret-1"), "{printed}");
        assert!(!printed.contains(r#"Se\"c\\ret"#), "{printed}");
        // Shorter than 4 characters: not searched for.
        assert!(printed.contains("123"), "{printed}");
    }

    #[test]
    fn a_secret_cut_at_the_end_of_an_excerpt_is_masked() {
        let e = Error::UnexpectedResponse {
            status: None,
            reason: "r".into(),
            excerpt: "<html>the password is Hunter2-Pass…".into(),
            retry_after: None,
        }
        .redact(&["Hunter2-Password!"]);
        match e {
            Error::UnexpectedResponse { excerpt, .. } => {
                assert_eq!(excerpt, "<html>the password is ***…");
            }
            other => panic!("{other:?}"),
        }
    }
}
