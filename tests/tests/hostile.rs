//! The client against hostile answers, one test per case, each from a loopback server that
//! misbehaves at the TCP level where it needs to (`eiam_tests::raw`).
//!
//! Every case checks the same promises: a typed result (an error of the expected kind, or
//! success where the oddity is harmless), within the configured timeout (plus a small
//! allowance), no panic, and an error whose `Display` and `Debug` show none of the secrets
//! the call sent. `client_errors.rs` covers the HTML 502 page, a non-JSON 200, a redirect,
//! a server that never answers and a refused connection.
//!
//! Decisions written down here:
//! * A UTF-8 byte-order mark before a JSON answer is accepted (RFC 8259 §8.1 lets a parser
//!   ignore it): a password change the service did perform must not be reported as failed
//!   because something on the way added three bytes.
//! * A body is read up to [`eiam::DEFAULT_MAX_BODY_BYTES`] (1 MiB, configurable with
//!   `ClientBuilder::max_body_bytes`), then the call ends with `Error::ResponseTooLarge`;
//!   a `Content-Length` above the cap ends it before the body is read.
//! * An error body missing `error_msg` (or with fields of the wrong type) is not the
//!   documented error: `Error::UnexpectedResponse` with the status and a masked excerpt.

use std::time::{Duration, Instant};

use eiam::{Error, ErrorCode, Password, StateToken, VerifyCode};
use eiam_tests::raw::{RawServer, Step, head, response};
use eiam_tests::vendor_client;

/// The secrets every call below sends.
const STATE: &str = "st-hostile-secret";
const CODE: &str = "code-7731";
const PASSWORD: &str = "Pw-Hostile-42!";
const SECRETS: [&str; 3] = [STATE, CODE, PASSWORD];

/// The timeout each case configures.
const TIMEOUT: Duration = Duration::from_millis(800);
/// What a case may take beyond its timeout (scheduling on a loaded 2-core machine).
const ALLOWANCE: Duration = Duration::from_secs(2);

/// Which call a case makes.
#[derive(Clone, Copy)]
enum Call {
    /// `update_password_by_email`: state-changing, answers a session.
    Change,
    /// `send_code` by e-mail: answers 200 with an empty body.
    SendCode,
    /// `captcha`: a safe call.
    Captcha,
}

struct Outcome {
    result: Result<String, Error>,
    server: RawServer,
}

impl Outcome {
    fn err(&self) -> &Error {
        match &self.result {
            Err(e) => e,
            Ok(v) => panic!("expected an error, got {v}"),
        }
    }
}

/// Starts a server playing `script`, makes `call` against it with a client built by
/// `configure` (timeout [`TIMEOUT`] already set), and checks the common promises.
async fn run_with(
    script: Vec<Step>,
    call: Call,
    configure: impl FnOnce(eiam::ClientBuilder) -> eiam::ClientBuilder,
) -> Outcome {
    let server = RawServer::start(script).await.expect("server");
    let client = configure(vendor_client(&server.base_url()).timeout(TIMEOUT))
        .build()
        .expect("client");
    let started = Instant::now();
    let result = match call {
        Call::Change => client
            .update_password_by_email(
                &StateToken::new(STATE),
                &VerifyCode::new(CODE),
                &Password::new(PASSWORD),
            )
            .await
            .map(|s| format!("{s:?}")),
        Call::SendCode => client
            .send_code(
                &eiam::CodeType::ChangePasswordEmail,
                "bob@example.com",
                &eiam::CaptchaToken::new(PASSWORD),
            )
            .await
            .map(|()| "sent".to_owned()),
        Call::Captcha => client.captcha().await.map(|c| format!("{c:?}")),
    };
    let took = started.elapsed();
    assert!(
        took < TIMEOUT + ALLOWANCE,
        "the call took {took:?} with a timeout of {TIMEOUT:?}"
    );
    if let Err(e) = &result {
        let printed = format!("{e} | {e:?}");
        for secret in SECRETS {
            assert!(!printed.contains(secret), "secret {secret:?} in {printed}");
        }
    }
    Outcome { result, server }
}

async fn run(script: Vec<Step>, call: Call) -> Outcome {
    run_with(script, call, |b| b).await
}

fn unexpected(err: &Error) -> (Option<u16>, &str, &str) {
    match err {
        Error::UnexpectedResponse {
            status,
            reason,
            excerpt,
            ..
        } => (
            status.map(|s| s.as_u16()),
            reason.as_str(),
            excerpt.as_str(),
        ),
        other => panic!("expected an unexpected response, got {other:?}"),
    }
}

fn json(status: &str, body: &[u8]) -> Vec<Step> {
    vec![Step::Write(response(
        status,
        &[("content-type", "application/json")],
        body,
    ))]
}

const SESSION: &[u8] =
    br#"{"status":"SUCCESS","expire":43200,"session_token":"sess-ok-1","id_token":"eyJ.ok.1"}"#;

#[tokio::test]
async fn a_200_with_an_empty_body_is_unexpected_for_a_change() {
    let out = run(json("200 OK", b""), Call::Change).await;
    let (status, reason, excerpt) = unexpected(out.err());
    assert_eq!(status, Some(200));
    assert!(reason.contains("not the documented JSON"), "{reason}");
    assert_eq!(excerpt, "");
    assert!(!out.err().is_retryable());
}

#[tokio::test]
async fn a_200_with_an_empty_body_is_the_documented_answer_of_a_code_send() {
    let out = run(json("200 OK", b""), Call::SendCode).await;
    assert_eq!(out.result.as_deref().ok(), Some("sent"));
}

#[tokio::test]
async fn truncated_json_in_a_well_framed_chunked_body_is_unexpected() {
    let mut bytes = head("200 OK", &[("content-type", "application/json")]);
    bytes.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
    bytes.extend_from_slice(b"14\r\n{\"status\":\"SUCCESS\",\r\n");
    bytes.extend_from_slice(b"0\r\n\r\n");
    let out = run(vec![Step::Write(bytes)], Call::Change).await;
    let (status, reason, _) = unexpected(out.err());
    assert_eq!(status, Some(200));
    assert!(reason.contains("EOF"), "{reason}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_a_transport_error() {
    let mut bytes = head("200 OK", &[("content-type", "application/json")]);
    bytes.extend_from_slice(b"content-length: 500\r\n\r\n{\"status\":\"SUCC");
    let out = run(vec![Step::Write(bytes)], Call::Change).await;
    assert!(matches!(out.err(), Error::Transport(_)), "{:?}", out.err());
}

#[tokio::test]
async fn wrong_json_types_are_unexpected_and_do_not_echo_values() {
    let body =
        br#"{"status":"SUCCESS","expire":"43200","session_token":998877665544,"id_token":true}"#;
    let out = run(json("200 OK", body), Call::Change).await;
    let (status, reason, excerpt) = unexpected(out.err());
    assert_eq!(status, Some(200));
    assert!(reason.contains("invalid type"), "{reason}");
    let printed = format!("{} {:?}", out.err(), out.err());
    assert!(!printed.contains("998877665544"), "{printed}");
    assert!(excerpt.contains(r#""session_token":***"#), "{excerpt}");
}

#[tokio::test]
async fn an_error_body_with_extra_fields_is_still_the_service_error() {
    let body = br#"{"error_code":"SDK.SMS.1006","error_msg":"Wrong code.","trace_id":"t-1","details":{"a":[1,2]}}"#;
    let out = run(json("400 Bad Request", body), Call::Change).await;
    let err = out.err();
    assert_eq!(err.code(), Some(&ErrorCode::EmailCodeWrong));
    assert_eq!(err.api().map(|a| a.message.as_str()), Some("Wrong code."));
}

#[tokio::test]
async fn a_success_body_with_extra_fields_is_success() {
    let body = br#"{"status":"SUCCESS","expire":43200,"session_token":"sess-ok-1","id_token":"eyJ.ok.1","new_field":{"x":1}}"#;
    let out = run(json("200 OK", body), Call::Change).await;
    let session = out.result.expect("harmless extra fields are accepted");
    assert!(!session.contains("sess-ok-1"), "{session}");
}

#[tokio::test]
async fn an_error_body_without_its_message_is_unexpected_with_the_status() {
    let out = run(
        json("400 Bad Request", br#"{"error_code":"SDK.COMMON.1006"}"#),
        Call::Change,
    )
    .await;
    let (status, reason, excerpt) = unexpected(out.err());
    assert_eq!(status, Some(400));
    assert!(reason.contains("error_msg"), "{reason}");
    assert!(excerpt.contains("SDK.COMMON.1006"), "{excerpt}");
}

#[tokio::test]
async fn an_error_body_with_a_numeric_code_is_unexpected() {
    let out = run(
        json("400 Bad Request", br#"{"error_code":1006,"error_msg":"x"}"#),
        Call::Change,
    )
    .await;
    assert_eq!(unexpected(out.err()).0, Some(400));
}

#[tokio::test]
async fn a_byte_order_mark_before_a_success_is_accepted() {
    let body = [b"\xEF\xBB\xBF".as_slice(), SESSION].concat();
    let out = run(json("200 OK", &body), Call::Change).await;
    assert!(out.result.is_ok(), "{:?}", out.result.err());
}

#[tokio::test]
async fn a_byte_order_mark_before_an_error_keeps_the_service_error() {
    let body = b"\xEF\xBB\xBF{\"error_code\":\"SDK.COMMON.1005\",\"error_msg\":\"expired\"}";
    let out = run(json("400 Bad Request", body), Call::Change).await;
    assert_eq!(out.err().code(), Some(&ErrorCode::Expired));
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_unexpected_with_a_printable_excerpt() {
    let body = b"\xff\xfe\x00{\x80\x81 not text";
    let out = run(json("200 OK", body), Call::Change).await;
    let (status, _, excerpt) = unexpected(out.err());
    assert_eq!(status, Some(200));
    assert!(excerpt.contains('\u{fffd}'), "{excerpt}");
    assert!(!excerpt.chars().any(char::is_control), "{excerpt:?}");
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_is_unexpected() {
    let body = b"{\"status\":\"SUCCESS\",\"expire\":1,\"session_token\":\"a\xffb\"}";
    let out = run(json("200 OK", body), Call::Change).await;
    assert_eq!(unexpected(out.err()).0, Some(200));
}

/// An endless chunked body: the client must stop at its cap, long before the server's
/// 64 MiB are written.
#[tokio::test]
async fn a_huge_body_stops_at_the_cap() {
    let mut start = head("200 OK", &[("content-type", "application/json")]);
    start.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
    let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
    chunk.extend_from_slice(b"\r\n");
    let script = vec![
        Step::Write(start),
        Step::Flood {
            chunk,
            max: 64 << 20,
        },
    ];
    let out = run(script, Call::Change).await;
    match out.err() {
        Error::ResponseTooLarge { status, limit } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(*limit, eiam::DEFAULT_MAX_BODY_BYTES);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(!out.err().is_retryable());
    assert!(
        out.err().to_string().contains("larger than"),
        "{}",
        out.err()
    );
    // Socket buffers take a few MiB at most; the rest was never read.
    assert!(
        out.server.written() < 16 << 20,
        "the server wrote {} bytes",
        out.server.written()
    );
}

#[tokio::test]
async fn a_content_length_above_the_cap_is_refused_before_reading() {
    let mut bytes = head(
        "500 Internal Server Error",
        &[("content-type", "text/html")],
    );
    bytes.extend_from_slice(b"content-length: 10000000000\r\n\r\n<html>");
    let out = run(vec![Step::Write(bytes), Step::Stall], Call::Change).await;
    assert!(
        matches!(out.err(), Error::ResponseTooLarge { .. }),
        "{:?}",
        out.err()
    );
    assert_eq!(out.err().status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn the_cap_is_configurable() {
    let body = format!(
        r#"{{"token":"c1","originalImageBase64":"{}","jigsawImageBase64":"x"}}"#,
        "A".repeat(4000)
    );
    let out = run_with(json("200 OK", body.as_bytes()), Call::Captcha, |b| {
        b.max_body_bytes(1000)
    })
    .await;
    assert!(
        matches!(out.err(), Error::ResponseTooLarge { limit: 1000, .. }),
        "{:?}",
        out.err()
    );
    // The same answer under the default cap is fine.
    let out = run(json("200 OK", body.as_bytes()), Call::Captcha).await;
    assert!(out.result.is_ok(), "{:?}", out.result.err());
}

#[tokio::test]
async fn headers_then_a_stalled_body_time_out() {
    let mut bytes = head("200 OK", &[("content-type", "application/json")]);
    bytes.extend_from_slice(b"content-length: 100\r\n\r\n{\"status\":");
    let out = run(vec![Step::Write(bytes), Step::Stall], Call::Change).await;
    match out.err() {
        Error::Timeout { timeout, .. } => assert_eq!(*timeout, TIMEOUT),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(out.err().is_retryable());
}

#[tokio::test]
async fn a_body_that_trickles_past_the_timeout_times_out() {
    let mut steps = vec![Step::Write(
        [
            head("200 OK", &[("content-type", "application/json")]),
            b"content-length: 40\r\n\r\n".to_vec(),
        ]
        .concat(),
    )];
    for _ in 0..40 {
        steps.push(Step::Write(b" ".to_vec()));
        steps.push(Step::Pause(Duration::from_millis(100)));
    }
    let out = run(steps, Call::Change).await;
    assert!(
        matches!(out.err(), Error::Timeout { .. }),
        "{:?}",
        out.err()
    );
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_transport_error() {
    let mut bytes = head("200 OK", &[("content-type", "application/json")]);
    bytes.extend_from_slice(b"content-length: 300\r\n\r\n{\"status\":\"SUCCESS\",\"sess");
    let script = vec![
        Step::Write(bytes),
        Step::Pause(Duration::from_millis(50)),
        Step::Reset,
    ];
    let out = run(script, Call::Change).await;
    assert!(matches!(out.err(), Error::Transport(_)), "{:?}", out.err());
    assert!(out.err().is_retryable());
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_a_transport_error() {
    let out = run(vec![], Call::Change).await;
    assert!(matches!(out.err(), Error::Transport(_)), "{:?}", out.err());
    assert_eq!(out.server.requests(), 1, "sent once, never retried");
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_a_transport_error() {
    let script = vec![Step::Write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n".to_vec())];
    let out = run(script, Call::Change).await;
    assert!(matches!(out.err(), Error::Transport(_)), "{:?}", out.err());
}

#[tokio::test]
async fn an_oversized_header_section_is_a_transport_error() {
    let mut bytes = head("200 OK", &[]);
    for i in 0..2000 {
        bytes.extend_from_slice(format!("x-filler-{i}: {}\r\n", "v".repeat(400)).as_bytes());
    }
    bytes.extend_from_slice(b"content-length: 2\r\n\r\n{}");
    let out = run(vec![Step::Write(bytes)], Call::Change).await;
    assert!(matches!(out.err(), Error::Transport(_)), "{:?}", out.err());
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_exposes_the_wait_and_is_not_retried() {
    let script = vec![Step::Write(response(
        "429 Too Many Requests",
        &[("retry-after", "7"), ("content-type", "text/plain")],
        b"slow down",
    ))];
    let out = run(script, Call::Change).await;
    let err = out.err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.is_retryable());
    assert_eq!(
        out.server.requests(),
        1,
        "a password change is never retried"
    );
}

#[tokio::test]
async fn a_503_busy_with_a_retry_after_date_keeps_the_service_error() {
    let later = httpdate_in(Duration::from_secs(90));
    let script = vec![Step::Write(response(
        "503 Service Unavailable",
        &[
            ("retry-after", &later),
            ("content-type", "application/json"),
        ],
        br#"{"error_code":"SDK.COMMON.1008","error_msg":"The system is busy."}"#,
    ))];
    let out = run(script, Call::Change).await;
    let err = out.err();
    assert_eq!(err.code(), Some(&ErrorCode::SystemBusy));
    let wait = err.retry_after().expect("retry-after");
    assert!(
        wait > Duration::from_secs(60) && wait <= Duration::from_secs(90),
        "{wait:?}"
    );
    assert_eq!(out.server.requests(), 1);
}

#[tokio::test]
async fn an_unparsable_retry_after_is_ignored() {
    let script = vec![Step::Write(response(
        "503 Service Unavailable",
        &[("retry-after", "whenever")],
        b"",
    ))];
    let out = run(script, Call::Change).await;
    assert_eq!(out.err().status().map(|s| s.as_u16()), Some(503));
    assert_eq!(out.err().retry_after(), None);
}

#[tokio::test]
async fn an_error_message_that_echoes_the_sent_secrets_is_masked() {
    let body = format!(
        r#"{{"error_code":"SDK.COMMON.1002","error_msg":"new_password {PASSWORD} for token {STATE} with code {CODE} refused"}}"#
    );
    let out = run(json("400 Bad Request", body.as_bytes()), Call::Change).await;
    let message = &out.err().api().expect("api error").message;
    assert_eq!(
        message,
        "new_password *** for token *** with code *** refused"
    );
}

#[tokio::test]
async fn an_html_page_that_echoes_the_sent_secrets_is_masked_even_when_cut() {
    // The password falls across the end of the 160-character excerpt.
    let body = format!("<html>{}{PASSWORD}</html>", "x".repeat(150));
    let script = vec![Step::Write(response(
        "502 Bad Gateway",
        &[("content-type", "text/html")],
        body.as_bytes(),
    ))];
    let out = run(script, Call::Change).await;
    let (_, _, excerpt) = unexpected(out.err());
    assert!(excerpt.ends_with("***…"), "{excerpt}");
    assert!(!excerpt.contains("Pw-Host"), "{excerpt}");
}

/// An HTTP date `after` from now.
fn httpdate_in(after: Duration) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + after)
}
