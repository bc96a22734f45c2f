//! How the client reports answers that are not the documented success, and input it
//! refuses before sending.

use std::time::Duration;

use eiam::{Error, ErrorCode, Password, StateToken, VerifyCode};
use eiam_tests::{Canned, CannedServer, vendor_client};

const SECRETS: [&str; 3] = ["st-secret-token", "code-4711", "Pw-Secret-99!"];

async fn call(canned: Canned) -> (Result<eiam::Session, Error>, usize) {
    let server = CannedServer::start(canned).await.expect("start server");
    let client = vendor_client(&server.base_url())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let result = client
        .update_password_by_email(
            &StateToken::new(SECRETS[0]),
            &VerifyCode::new(SECRETS[1]),
            &Password::new(SECRETS[2]),
        )
        .await;
    (result, server.requests().len())
}

fn assert_no_secret(err: &Error) {
    let printed = format!("{err} {err:?}");
    for secret in SECRETS {
        assert!(!printed.contains(secret), "secret in error: {printed}");
    }
}

#[tokio::test]
async fn html_502_from_a_proxy_is_an_unexpected_response_with_status_and_excerpt() {
    let canned = Canned {
        status: axum::http::StatusCode::BAD_GATEWAY,
        headers: vec![("content-type", "text/html".into())],
        body: b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
            .to_vec(),
    };
    let (result, _) = call(canned).await;
    let err = result.expect_err("must fail");
    match &err {
        Error::UnexpectedResponse {
            status, excerpt, ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(502));
            assert!(
                excerpt.starts_with("<html><head><title>502 Bad Gateway"),
                "{excerpt}"
            );
        }
        other => panic!("wrong error: {other:?}"),
    }
    assert!(err.is_retryable());
    assert!(err.to_string().contains("HTTP 502"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn an_html_500_is_retryable_too() {
    let canned = Canned {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        headers: vec![("content-type", "text/html".into())],
        body: b"<html><body>Internal Server Error</body></html>".to_vec(),
    };
    let (result, sent) = call(canned).await;
    let err = result.expect_err("must fail");
    assert!(
        matches!(&err, Error::UnexpectedResponse { status: Some(s), .. } if s.as_u16() == 500),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(sent, 1, "advice only: the client does not retry a change");
}

#[tokio::test]
async fn system_busy_500_is_a_retryable_api_error() {
    let body = r#"{"error_code":"SDK.COMMON.1008","error_msg":"The system is busy."}"#;
    let (result, sent) = call(Canned::json(500, body)).await;
    let err = result.expect_err("must fail");
    assert_eq!(err.code(), Some(&ErrorCode::SystemBusy));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(err.is_retryable());
    assert_eq!(
        sent, 1,
        "the client must not retry a password change by itself"
    );
}

#[tokio::test]
async fn a_200_that_is_not_json_keeps_its_status() {
    let (result, _) = call(Canned::json(200, "<html>maintenance</html>")).await;
    let err = result.expect_err("must fail");
    match &err {
        Error::UnexpectedResponse {
            status,
            excerpt,
            reason,
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(excerpt, "<html>maintenance</html>");
            assert!(reason.contains("not the documented JSON"), "{reason}");
        }
        other => panic!("wrong error: {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_truncated_success_body_never_shows_its_tokens() {
    let body =
        r#"{"status":"SUCCESS","expire":43200,"session_token":"sess-leak-1","id_token":"eyJleak"#;
    let (result, _) = call(Canned::json(200, body)).await;
    let err = result.expect_err("must fail");
    let printed = format!("{err} {err:?}");
    assert!(
        !printed.contains("sess-leak-1") && !printed.contains("eyJleak"),
        "{printed}"
    );
    assert!(printed.contains(r#"\"status\":\"SUCCESS\""#), "{printed}");
}

#[tokio::test]
async fn an_unknown_error_code_is_kept_raw() {
    let body = r#"{"error_code":"SDK.PWD.1234","error_msg":"Password reused."}"#;
    let (result, _) = call(Canned::json(400, body)).await;
    let err = result.expect_err("must fail");
    assert_eq!(err.code(), Some(&ErrorCode::Other("SDK.PWD.1234".into())));
    assert_eq!(
        err.api().map(|a| a.message.as_str()),
        Some("Password reused.")
    );
}

#[tokio::test]
async fn a_4xx_without_the_error_shape_is_unexpected_with_status() {
    let (result, _) = call(Canned::json(403, r#"{"message":"Forbidden"}"#)).await;
    let err = result.expect_err("must fail");
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
}

#[tokio::test]
async fn access_denied_without_a_session_is_not_signed_in() {
    let (result, _) = call(Canned::json(200, r#"{"status":"ACCESS_DENIED"}"#)).await;
    match result {
        Err(Error::NotSignedIn { status }) => assert_eq!(status, "ACCESS_DENIED"),
        other => panic!("wrong result: {other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let canned = Canned {
        status: axum::http::StatusCode::FOUND,
        headers: vec![("location", "https://evil.example/steal".into())],
        body: Vec::new(),
    };
    let (result, sent) = call(canned).await;
    let err = result.expect_err("must fail");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accept and hold the connection without answering.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = vendor_client(&format!("http://{addr}"))
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = client
        .update_password_by_email(
            &StateToken::new(SECRETS[0]),
            &VerifyCode::new(SECRETS[1]),
            &Password::new(SECRETS[2]),
        )
        .await
        .expect_err("must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_no_secret(&err);
    holder.abort();
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = vendor_client(&format!("http://{addr}"))
        .build()
        .expect("client");
    let err = client
        .update_password_by_email(
            &StateToken::new(SECRETS[0]),
            &VerifyCode::new(SECRETS[1]),
            &Password::new(SECRETS[2]),
        )
        .await
        .expect_err("must fail");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_no_secret(&err);
}

#[tokio::test]
async fn blank_inputs_are_refused_before_sending() {
    let server = CannedServer::start(Canned::json(200, "{}"))
        .await
        .expect("server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    let cases = [
        ("state_token", "", "1234", "P@ssw0rd123"),
        ("state_token", "a\r\nX-Evil: 1", "1234", "P@ssw0rd123"),
        ("verify_code", "st", " ", "P@ssw0rd123"),
        ("new_password", "st", "1234", ""),
    ];
    for (field, token, code, password) in cases {
        let err = client
            .update_password_by_email(
                &StateToken::new(token),
                &VerifyCode::new(code),
                &Password::new(password),
            )
            .await
            .expect_err("must be refused");
        match err {
            Error::InvalidInput { field: f, .. } => assert_eq!(f, field),
            other => panic!("{field}: wrong error {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "nothing may be sent");
}
