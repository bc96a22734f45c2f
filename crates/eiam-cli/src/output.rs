//! Printing results and errors, as text or as one JSON object, and the exit status.
//!
//! Results go to stdout, errors to stderr. No error text ever contains a password, a
//! verification code or a token: the messages come from this crate and from
//! [`eiam::Error`] / [`eiam::ConfigError`], which carry none.

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::args::OutputFormat;

/// How the command ended: the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Success,
    /// 1: the operation failed (refused by the service, transport, timeout, bad input...).
    Failure,
    /// 2: the command could not run as given (configuration or usage).
    Usage,
}

impl Exit {
    /// The numeric exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A failed command: what to print on stderr and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `api`, `timeout`, `transport`, `unexpected_response`, `invalid_input`, `config`,
    /// `not_signed_in`, `usage`, `io`, `demo`...
    pub(crate) kind: &'static str,
    /// One line, without secrets.
    pub(crate) message: String,
    /// The service's error code (kind `api`).
    pub(crate) code: Option<String>,
    /// The HTTP status, when a response was received.
    pub(crate) status: Option<u16>,
    /// The demo step that failed.
    pub(crate) step: Option<String>,
    /// The exit status.
    pub(crate) exit: Exit,
}

impl Failure {
    fn new(kind: &'static str, message: impl Into<String>, exit: Exit) -> Self {
        Failure {
            kind,
            message: one_line(&message.into()),
            code: None,
            status: None,
            step: None,
            exit,
        }
    }

    /// A configuration problem (exit 2).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new("config", message, Exit::Usage)
    }

    /// The command cannot run as given (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", message, Exit::Usage)
    }

    /// Refused input (exit 1).
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::new("invalid_input", message, Exit::Failure)
    }

    /// Any other failure (exit 1).
    pub(crate) fn other(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(kind, message, Exit::Failure)
    }

    /// Marks the demo step that failed.
    pub(crate) fn at_step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    /// The failure of a call to the service.
    pub(crate) fn from_call(e: &eiam::Error) -> Self {
        if let Some(api) = e.api() {
            return Failure {
                kind: "api",
                message: one_line(&api.message),
                code: Some(api.code.as_str().to_owned()),
                status: Some(api.status.as_u16()),
                step: None,
                exit: Exit::Failure,
            };
        }
        let mut failure = Self::other(e.kind(), error_chain(e));
        failure.status = e.status().map(|s| s.as_u16());
        failure
    }

    /// The failure of building a client from the flags and the environment.
    pub(crate) fn from_config(e: &eiam::ConfigError) -> Self {
        match e {
            eiam::ConfigError::Missing { what, env } => Self::config(format!(
                "missing {what}: give {} or set {env}",
                flag_of(env)
            )),
            eiam::ConfigError::PlainHttpNotAllowed { url } => Self::config(format!(
                "invalid base URL {url:?}: plain http to a loopback host needs \
                     --allow-http-loopback (for the local emulator)"
            )),
            _ => Self::config(error_chain(e)),
        }
    }
}

/// The flag that sets what an environment variable sets.
fn flag_of(env: &str) -> &'static str {
    match env {
        eiam::env::BASE_URL => "--base-url",
        eiam::env::CLIENT_ID => "--client-id",
        eiam::env::TENANT_ID => "--tenant-id",
        eiam::env::OS_VERSION => "--os-version",
        eiam::env::DEVICE_FINGERPRINT => "--device-fingerprint",
        eiam::env::DEVICE_IP => "--device-ip",
        eiam::env::AGENT => "--agent",
        eiam::env::LANG => "--lang",
        _ => "the flag",
    }
}

/// An error and its sources on one line, `a: b: c`, skipping a source whose text the
/// previous one already contains.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    one_line(&text)
}

/// Replaces line breaks and other control characters with spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Prints a failure on stderr and returns its exit status.
pub(crate) fn report(failure: &Failure, format: OutputFormat, stderr: &mut dyn Write) -> Exit {
    // Nothing more can be done if stderr itself fails.
    let _ = match format {
        OutputFormat::Text => writeln!(stderr, "{}", failure_text(failure)),
        OutputFormat::Json => writeln!(stderr, "{}", failure_json(failure)),
    };
    let _ = stderr.flush();
    failure.exit
}

/// `error: ...` on one line.
fn failure_text(f: &Failure) -> String {
    let step = f
        .step
        .as_deref()
        .map_or_else(String::new, |s| format!("{s}: "));
    match (&f.code, f.status) {
        (Some(code), Some(status)) => {
            format!("error: {step}{code} (HTTP {status}): {}", f.message)
        }
        _ => format!("error: {step}{}", f.message),
    }
}

/// `{"error":{"kind","code"?,"message","status"?,"step"?}}`.
fn failure_json(f: &Failure) -> Value {
    let mut error = Map::new();
    error.insert("kind".into(), json!(f.kind));
    if let Some(code) = &f.code {
        error.insert("code".into(), json!(code));
    }
    error.insert("message".into(), json!(f.message));
    if let Some(status) = f.status {
        error.insert("status".into(), json!(status));
    }
    if let Some(step) = &f.step {
        error.insert("step".into(), json!(step));
    }
    json!({ "error": error })
}

/// Writes one JSON object and a newline.
pub(crate) fn write_json(out: &mut dyn Write, value: &Value) -> std::io::Result<()> {
    writeln!(out, "{value}")?;
    out.flush()
}

/// The first 8 characters of a token and `…`, for showing that a token exists without
/// showing it.
pub(crate) fn shorten(token: &str) -> String {
    let mut short: String = token.chars().take(8).collect();
    if token.chars().count() > 8 {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_failures_show_code_status_and_message() {
        let f = Failure {
            kind: "api",
            message: "X-state-token has expired.".into(),
            code: Some("SDK.COMMON.1005".into()),
            status: Some(400),
            step: None,
            exit: Exit::Failure,
        };
        assert_eq!(
            failure_text(&f),
            "error: SDK.COMMON.1005 (HTTP 400): X-state-token has expired."
        );
        assert_eq!(
            failure_json(&f),
            json!({"error": {"kind": "api", "code": "SDK.COMMON.1005",
                "message": "X-state-token has expired.", "status": 400}})
        );
    }

    #[test]
    fn other_failures_are_one_line() {
        let f = Failure::invalid_input("line one\nline two").at_step("read");
        assert_eq!(failure_text(&f), "error: read: line one line two");
        assert_eq!(
            failure_json(&f),
            json!({"error": {"kind": "invalid_input", "message": "line one line two",
                "step": "read"}})
        );
        assert_eq!(f.exit, Exit::Failure);
        assert_eq!(Failure::config("x").exit, Exit::Usage);
    }

    #[test]
    fn missing_settings_name_flag_and_variable() {
        let e = eiam::ConfigError::Missing {
            what: "client id",
            env: eiam::env::CLIENT_ID,
        };
        let f = Failure::from_config(&e);
        assert_eq!(
            f.message,
            "missing client id: give --client-id or set EIAM_CLIENT_ID"
        );
        assert_eq!(f.exit, Exit::Usage);
    }

    #[test]
    fn tokens_are_shortened() {
        assert_eq!(shorten("abcdefghijkl"), "abcdefgh…");
        assert_eq!(shorten("abc"), "abc");
        assert_eq!(Exit::Usage.code(), 2);
    }
}
