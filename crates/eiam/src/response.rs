//! Turning the generated client's results into this crate's [`Error`].

use std::time::{Duration, SystemTime};

use eiam_api::{BodyTooLarge, Captured, Error as ApiCallError, ResponseValue, types};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;

use crate::error::{ApiError, Error, ErrorCode};

/// How much of an unexpected body is read (the rest is dropped unread).
const MAX_UNEXPECTED_BODY: usize = 64 * 1024;
/// How many characters of an unexpected body an error shows.
const EXCERPT_CHARS: usize = 160;
/// How many bytes of a body are masked and cut into an excerpt: the start only, so that a
/// body full of secret fields costs little to mask, however long it is.
const EXCERPT_SOURCE_BYTES: usize = 4096;
/// JSON fields whose values are masked in excerpts (`token` and `secretKey`: the captcha's).
const SECRET_FIELDS: [&str; 10] = [
    "token",
    "secretKey",
    "session_token",
    "id_token",
    "state_token",
    "captcha_token",
    "verify_code",
    "new_password",
    "old_password",
    "password",
];

/// Maps a generated call's result; `captured` is what [`eiam_api::with_options`]
/// recorded of it (the status, which a body that does not decode loses, and
/// `Retry-After`).
pub(crate) async fn map<T>(
    result: Result<ResponseValue<T>, ApiCallError<types::Error>>,
    captured: &Captured,
    timeout: Duration,
) -> Result<ResponseValue<T>, Error> {
    let error = match result {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let status = captured.status;
    let retry_after = captured.retry_after.as_ref().and_then(parse_retry_after);
    Err(match error {
        ApiCallError::ErrorResponse(value) => {
            let status = value.status();
            let body = value.into_inner();
            Error::Api(ApiError {
                status,
                code: ErrorCode::parse(&body.error_code),
                message: body.error_msg,
                retry_after,
            })
        }
        ApiCallError::CommunicationError(e) | ApiCallError::ResponseBodyError(e) => {
            transport(e, status, timeout)
        }
        ApiCallError::InvalidResponsePayload(bytes, e) => Error::UnexpectedResponse {
            status,
            reason: format!(
                "the body is not the documented JSON ({})",
                mask_quoted(&e.to_string())
            ),
            excerpt: excerpt(&bytes),
            retry_after,
        },
        ApiCallError::UnexpectedResponse(response) => {
            unexpected(response, timeout, retry_after).await
        }
        ApiCallError::InvalidRequest(reason) => Error::InvalidInput {
            field: "request",
            reason,
        },
        ApiCallError::InvalidUpgrade(e) => transport(e, status, timeout),
        ApiCallError::Custom(reason) => Error::UnexpectedResponse {
            status,
            reason,
            excerpt: String::new(),
            retry_after,
        },
    })
}

fn transport(e: reqwest::Error, status: Option<StatusCode>, timeout: Duration) -> Error {
    if let Some(too_large) = BodyTooLarge::find(&e) {
        Error::ResponseTooLarge {
            status,
            limit: too_large.limit,
        }
    } else if e.is_timeout() {
        Error::Timeout {
            timeout,
            source: e.without_url(),
        }
    } else {
        Error::Transport(e.without_url())
    }
}

/// A `Retry-After` value: delta-seconds, or an HTTP date (the time left until it, zero
/// if past). Anything else is ignored.
pub(crate) fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A status the spec does not declare (1xx, 3xx...): read a bounded part of the body.
async fn unexpected(
    mut response: reqwest::Response,
    timeout: Duration,
    retry_after: Option<Duration>,
) -> Error {
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
            Err(e) if e.is_timeout() => {
                return Error::Timeout {
                    timeout,
                    source: e.without_url(),
                };
            }
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
        retry_after,
    }
}

/// The start of a body, as text, with control characters dropped and secret fields masked.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = body.len() > EXCERPT_SOURCE_BYTES;
    // A character split at the cut becomes U+FFFD; a secret value cut there is masked to
    // the end.
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_SOURCE_BYTES)]);
    let text = text.trim_start_matches('\u{feff}');
    let masked = mask_secret_fields(text);
    let mut out: String = masked
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if cut || masked.chars().count() > EXCERPT_CHARS {
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
            let (start, end) = match value.strip_prefix('"') {
                Some(inner) => {
                    let start = out.len() - inner.len();
                    (start, closing_quote(inner).map_or(out.len(), |i| start + i))
                }
                // A number, `true`... (or broken JSON): up to the end of the value.
                None => {
                    let start = out.len() - value.len();
                    let len = value
                        .find([',', '}', ']', '\n', '\r'])
                        .unwrap_or(value.len());
                    (start, start + len)
                }
            };
            if start == end || value.starts_with("null") {
                from = after_key;
                continue;
            }
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

/// Masks quoted values in a decoder message (`invalid type: string "…"`, `integer
/// `…``), which could otherwise repeat a value from the body. The names of missing or
/// duplicate fields come from the schema, not the body, and stay.
fn mask_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    // The closing quote, and whether the quoted text is kept.
    let mut inside: Option<(char, bool)> = None;
    for c in message.chars() {
        match inside {
            Some((quote, keep)) if c == quote => {
                if !keep {
                    out.push('…');
                }
                out.push(c);
                inside = None;
            }
            Some((_, true)) => out.push(c),
            Some((_, false)) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    let keep = c == '`'
                        && (out.ends_with("missing field `") || out.ends_with("duplicate field `"));
                    inside = Some((c, keep));
                }
            }
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
    fn a_huge_body_of_secret_fields_is_masked_from_its_start_only() {
        // 1 MiB of `"password":"..."` pairs: masking it all would shift the text once per
        // field. Only the start is masked and shown.
        let mut body = String::from("{");
        while body.len() < 1024 * 1024 {
            body.push_str(r#""password":"s3cret-value","#);
        }
        let e = excerpt(body.as_bytes());
        assert!(!e.contains("s3cret"), "{e}");
        assert!(e.starts_with(r#"{"password":"***","#), "{e}");
        assert!(e.ends_with('…'), "{e}");
        // Cut inside a secret value: masked to the end of what is shown.
        let long = format!(r#"{{"password":"{}"}}"#, "s3cret".repeat(1000));
        let e = excerpt(long.as_bytes());
        assert_eq!(e, r#"{"password":"***…"#);
    }

    #[test]
    fn captcha_secrets_are_masked_too() {
        let e = excerpt(br#"{"token":"71dd26999e314f9abb0c635336976635","secretKey":"k3y-value"}"#);
        assert_eq!(e, r#"{"token":"***","secretKey":"***"}"#);
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
        assert_eq!(
            mask_quoted("invalid type: integer `492817`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            mask_quoted("missing field `error_msg` at line 1 column 30"),
            "missing field `error_msg` at line 1 column 30"
        );
        assert_eq!(
            mask_quoted("unknown variant `s3cret`, expected `A`"),
            "unknown variant `…`, expected `…`"
        );
    }

    #[test]
    fn secret_fields_of_any_type_are_masked() {
        let e =
            excerpt(br#"{"verify_code": 492817, "captcha_token":"c-1", "id_token":null, "x":1}"#);
        assert!(!e.contains("492817") && !e.contains("c-1"), "{e}");
        assert!(e.contains(r#""id_token":null"#), "{e}");
        assert!(e.contains(r#""x":1"#), "{e}");
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let v = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(parse_retry_after(&v("7")), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(&v(" 0 ")), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&v("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let parsed =
            parse_retry_after(&HeaderValue::from_str(&later).expect("date")).expect("a date");
        assert!(parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120));
        assert_eq!(parse_retry_after(&v("soon")), None);
        assert_eq!(parse_retry_after(&v("-3")), None);
    }
}
