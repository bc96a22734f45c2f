//! Turning the generated client's results into this crate's [`Error`].

use std::time::Duration;

use eiam_api::{Error as ApiCallError, ResponseValue, types};
use reqwest::StatusCode;

use crate::error::{ApiError, Error, ErrorCode};

/// How much of an unexpected body is read (the rest is dropped unread).
const MAX_UNEXPECTED_BODY: usize = 64 * 1024;
/// How many characters of an unexpected body an error shows.
const EXCERPT_CHARS: usize = 160;
/// JSON fields whose values are masked in excerpts.
const SECRET_FIELDS: [&str; 6] = [
    "session_token",
    "id_token",
    "state_token",
    "verify_code",
    "new_password",
    "password",
];

/// Maps a generated call's result; `status` is the one recorded by
/// [`eiam_api::with_status_capture`].
pub(crate) async fn map<T>(
    result: Result<ResponseValue<T>, ApiCallError<types::Error>>,
    status: Option<StatusCode>,
    timeout: Duration,
) -> Result<ResponseValue<T>, Error> {
    let error = match result {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    Err(match error {
        ApiCallError::ErrorResponse(value) => {
            let status = value.status();
            let body = value.into_inner();
            Error::Api(ApiError {
                status,
                code: ErrorCode::parse(&body.error_code),
                message: body.error_msg,
            })
        }
        ApiCallError::CommunicationError(e) | ApiCallError::ResponseBodyError(e) => {
            transport(e, timeout)
        }
        ApiCallError::InvalidResponsePayload(bytes, e) => Error::UnexpectedResponse {
            status,
            reason: format!(
                "the body is not the documented JSON ({})",
                mask_quoted(&e.to_string())
            ),
            excerpt: excerpt(&bytes),
        },
        ApiCallError::UnexpectedResponse(response) => unexpected(response, timeout).await,
        ApiCallError::InvalidRequest(reason) => Error::InvalidInput {
            field: "request",
            reason,
        },
        ApiCallError::InvalidUpgrade(e) => transport(e, timeout),
        ApiCallError::Custom(reason) => Error::UnexpectedResponse {
            status,
            reason,
            excerpt: String::new(),
        },
    })
}

fn transport(e: reqwest::Error, timeout: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout { timeout, source: e }
    } else {
        Error::Transport(e.without_url())
    }
}

/// A status the spec does not declare (1xx, 3xx...): read a bounded part of the body.
async fn unexpected(mut response: reqwest::Response, timeout: Duration) -> Error {
    let status = response.status();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_UNEXPECTED_BODY.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_UNEXPECTED_BODY {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Error::Timeout { timeout, source: e },
            Err(_) => break, // what was read is enough to describe it
        }
    }
    let reason = match response.headers().get(reqwest::header::LOCATION) {
        Some(_) if status.is_redirection() => {
            "a redirect, which this client does not follow".to_owned()
        }
        _ => "a status the API does not document".to_owned(),
    };
    Error::UnexpectedResponse {
        status: Some(status),
        reason,
        excerpt: excerpt(&body),
    }
}

/// The start of a body, as text, with control characters dropped and secret fields masked.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}');
    let masked = mask_secret_fields(text);
    let mut out: String = masked
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if masked.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// Replaces the string value of every secret field (`"session_token": "..."`) with `***`,
/// even in truncated or otherwise broken JSON.
fn mask_secret_fields(text: &str) -> String {
    let mut out = text.to_owned();
    for field in SECRET_FIELDS {
        let key = format!("\"{field}\"");
        let mut from = 0;
        while let Some(found) = out[from..].find(&key) {
            let after_key = from + found + key.len();
            let rest = &out[after_key..];
            let trimmed = rest.trim_start();
            let Some(after_colon) = trimmed.strip_prefix(':') else {
                from = after_key;
                continue;
            };
            let value = after_colon.trim_start();
            let Some(inner) = value.strip_prefix('"') else {
                from = after_key;
                continue;
            };
            let start = out.len() - inner.len();
            let end = closing_quote(inner).map_or(out.len(), |i| start + i);
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}

/// Index of the closing quote of a JSON string body (after the opening quote).
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Masks quoted strings in a decoder message (`invalid type: string "…"`), which could
/// otherwise repeat a value from the body.
fn mask_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push('…');
            }
            inside = !inside;
            out.push(c);
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_secret_fields_even_in_broken_json() {
        let body =
            br#"{"status":"SUCCESS","session_token":"LGTiTNVD","id_token" : "eyJ.x.y","expire":4"#;
        let e = excerpt(body);
        assert!(!e.contains("LGTiTNVD") && !e.contains("eyJ.x.y"), "{e}");
        assert!(e.contains(r#""session_token":"***""#), "{e}");
        assert!(e.contains("\"status\":\"SUCCESS\""), "{e}");
        // An unterminated secret value is masked to the end.
        let e = excerpt(br#"{"state_token":"abc\"def"#);
        assert_eq!(e, r#"{"state_token":"***"#);
    }

    #[test]
    fn excerpts_are_short_printable_text() {
        let html = format!("\u{feff}<html>\r\n<body>{}</body>", "x".repeat(500));
        let e = excerpt(html.as_bytes());
        assert!(e.starts_with("<html>  <body>"), "{e}");
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }

    #[test]
    fn decoder_messages_lose_their_quoted_values() {
        assert_eq!(
            mask_quoted(r#"invalid type: string "s3cret", expected i64 at line 1"#),
            r#"invalid type: string "…", expected i64 at line 1"#
        );
    }
}
