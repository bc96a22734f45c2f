//! The check of the `decode_response` fuzz target, shared with the regression tests
//! (`tests/tests/fuzz_regressions.rs` includes this file): one input as the answer to one
//! call of the client, through `eiam::fuzzing::decode_response` (no network).
//!
//! Input: one byte choosing the call, three ASCII digits of status (else 200), then
//! `name: value` header lines up to a blank line (`\n\n`), then the body.
//!
//! Checks: no panic; every error prints (`Display`, `Debug`), and none shows a secret the
//! call sent unless the answer itself contained it.

use eiam::fuzzing::{Call, SENT_SECRETS, decode_response};

/// Headers as name and value bytes.
type Headers = Vec<(Vec<u8>, Vec<u8>)>;

/// Splits an input into the call, status, headers and body.
pub fn split(data: &[u8]) -> Option<(Call, u16, Headers, Vec<u8>)> {
    let (&choice, rest) = data.split_first()?;
    let call = Call::ALL[usize::from(choice) % Call::ALL.len()];
    let (status, rest) = match rest.get(..3) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => {
            let status = digits
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
            (status, &rest[3..])
        }
        _ => (200, rest),
    };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (&[][..], rest),
    };
    let headers = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let value = line[colon + 1..].trim_ascii();
            Some((line[..colon].trim_ascii().to_vec(), value.to_vec()))
        })
        .collect();
    Some((call, status, headers, body.to_vec()))
}

/// Runs one input; panics when a check fails.
pub async fn check(client: &eiam::Client, data: &[u8]) {
    let Some((call, status, headers, body)) = split(data) else {
        return;
    };
    let result = decode_response(client, call, status, &headers, body).await;
    if let Err(e) = result {
        let printed = format!("{e} | {e:?}");
        let _ = (
            e.kind(),
            e.is_retryable(),
            e.retry_after(),
            e.status(),
            e.code(),
        );
        for secret in SENT_SECRETS {
            if printed.contains(secret) {
                assert!(
                    data.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{call:?}: a sent secret in an error the answer did not contain: {printed}"
                );
            }
        }
    }
}
