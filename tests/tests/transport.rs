//! The transport policy: TLS with a private CA, header injection refused for every
//! header-bearing setting and token, the overall deadline, no retry of calls that change
//! state, and the opt-in, bounded retry of the safe ones (requests counted on the server).
//! The https / loopback-only http rule itself is tested in `crates/eiam/tests/config.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eiam::{
    CaptchaToken, Certificate, Client, ClientBuilder, CodeType, ConfigError, Error, Password,
    RetryPolicy, SessionToken, StateToken, VerifyCode,
};
use eiam_tests::raw::{RawServer, Step, response};
use eiam_tests::{Canned, CannedServer, vendor_client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

const CAPTCHA: &[u8] =
    br#"{"token":"c-1","originalImageBase64":"iVBO","jigsawImageBase64":"iVBO"}"#;

fn captcha_ok() -> Vec<Step> {
    vec![Step::Write(response(
        "200 OK",
        &[("content-type", "application/json")],
        CAPTCHA,
    ))]
}

fn busy(retry_after: Option<&str>) -> Vec<Step> {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(value) = retry_after {
        headers.push(("retry-after", value));
    }
    vec![Step::Write(response(
        "503 Service Unavailable",
        &headers,
        br#"{"error_code":"SDK.COMMON.1008","error_msg":"The system is busy."}"#,
    ))]
}

// ---------------------------------------------------------------------------------------
// TLS with a private CA

/// A CA, and a certificate it signed for `localhost` and 127.0.0.1.
struct Pki {
    ca_pem: String,
    server: rustls::ServerConfig,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "eiam test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server cert");

    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![server_cert.der().clone(), ca.der().clone()], key)
    .expect("server config");
    Pki {
        ca_pem: ca.pem(),
        server,
    }
}

/// A TLS server on 127.0.0.1 answering every request with a captcha; returns its port
/// and a count of the requests it answered.
async fn tls_server(config: rustls::ServerConfig) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = answered.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), count.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return; // the client refused the certificate
                };
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answer = response("200 OK", &[("content-type", "application/json")], CAPTCHA);
                let _ = tls.write_all(&answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, answered)
}

fn tls_client(host: &str, port: u16) -> ClientBuilder {
    vendor_client(&format!("https://{host}:{port}"))
        .allow_http_loopback(false)
        .timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let pki = pki();
    let (port, answered) = tls_server(pki.server).await;
    let err = tls_client("localhost", port)
        .build()
        .expect("client")
        .captcha()
        .await
        .expect_err("unknown CA");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_private_ca_added_to_the_builder_is_trusted() {
    let pki = pki();
    let (port, answered) = tls_server(pki.server).await;
    let ca = Certificate::from_pem(pki.ca_pem.as_bytes()).expect("CA");
    let captcha = tls_client("localhost", port)
        .add_root_certificate(ca)
        .build()
        .expect("client")
        .captcha()
        .await
        .expect("trusted through the private CA");
    assert_eq!(captcha.token(), "c-1");
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn only_the_private_ca_can_be_trusted() {
    let pki = pki();
    let (port, _) = tls_server(pki.server).await;
    let ca = Certificate::from_pem(pki.ca_pem.as_bytes()).expect("CA");
    let captcha = tls_client("127.0.0.1", port)
        .add_root_certificate(ca)
        .root_certificates_only(true)
        .build()
        .expect("client")
        .captcha()
        .await
        .expect("trusted, by IP address too");
    assert_eq!(captcha.token(), "c-1");
    // Asking for private roots only without giving one is a configuration error.
    let err = tls_client("localhost", port)
        .root_certificates_only(true)
        .build()
        .expect_err("no roots");
    assert!(
        matches!(
            err,
            ConfigError::Value {
                what: "root certificates",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_even_from_the_private_ca() {
    use rcgen::{CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["eiam.example.com".to_owned()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("cert");
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("config");
    let (port, answered) = tls_server(server).await;
    let err = tls_client("localhost", port)
        .add_root_certificate(Certificate::from_pem(ca.pem().as_bytes()).expect("CA"))
        .build()
        .expect("client")
        .captcha()
        .await
        .expect_err("wrong name");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------------------
// Header injection

/// Control characters a header must never carry: CR, LF, both, NUL, DEL, ESC, and the C1
/// control NEL.
const BAD: [&str; 7] = ["\r", "\n", "\r\n", "\0", "\x7f", "\x1b", "\u{85}"];

#[test]
fn every_header_setting_refuses_every_control_character() {
    type Set = fn(ClientBuilder, String) -> ClientBuilder;
    let settings: [(&str, Set); 6] = [
        ("client id", |b, v| b.client_id(v)),
        ("OS version", |b, v| b.os_version(v)),
        ("device fingerprint", |b, v| b.device_fingerprint(v)),
        ("agent", |b, v| b.agent(v)),
        ("device IP", |b, v| b.device_ip(v)),
        ("tenant id", |b, v| b.tenant_id(v)),
    ];
    for (what, set) in settings {
        for bad in BAD {
            let value = format!("ok{bad}X-Injected: 1");
            let err = set(vendor_client("https://t.example.com"), value)
                .build()
                .expect_err("refused");
            match err {
                ConfigError::Value { what: w, reason } => {
                    assert_eq!(w, what);
                    assert!(!reason.contains("X-Injected"), "{reason}");
                }
                other => panic!("{what} with {bad:?}: {other:?}"),
            }
        }
    }
    // The `Device` struct goes through the same checks.
    let err = vendor_client("https://t.example.com")
        .device(eiam::Device {
            os_version: "linux".into(),
            fingerprint: "fp\r\nX-Injected: 1".into(),
            ip: None,
            agent: "a".into(),
        })
        .build()
        .expect_err("refused");
    assert!(matches!(
        err,
        ConfigError::Value {
            what: "device fingerprint",
            ..
        }
    ));
}

#[tokio::test]
async fn token_headers_with_control_characters_are_refused_before_sending() {
    let server = CannedServer::start(Canned::json(200, "{}"))
        .await
        .expect("server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    for bad in BAD {
        let token = format!("st{bad}X-Injected: 1");
        let state = StateToken::new(token.as_str());
        let (code, password) = (VerifyCode::new("123456"), Password::new("N3w-Passw0rd!"));
        let results = [
            client.mobile_by_state_token(&state).await.map(drop),
            client
                .update_password(&state, &Password::new("Old-Passw0rd"), &password)
                .await
                .map(drop),
            client
                .update_password_by_email(&state, &code, &password)
                .await
                .map(drop),
            client
                .update_password_by_mobile(&state, &code, &password)
                .await
                .map(drop),
            client
                .refresh_id_token(&SessionToken::new(token.as_str()))
                .await
                .map(drop),
        ];
        for result in results {
            match result {
                Err(Error::InvalidInput { field, .. }) => {
                    assert!(
                        field == "state_token" || field == "session_token",
                        "{field}"
                    );
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
    assert!(server.requests().is_empty(), "nothing may be sent");
}

// ---------------------------------------------------------------------------------------
// Deadline

#[tokio::test]
async fn the_deadline_bounds_a_call_whose_timeout_is_longer() {
    let server = RawServer::start(vec![Step::Stall]).await.expect("server");
    let client = vendor_client(&server.base_url())
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(300))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.captcha().await.expect_err("deadline");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    match &err {
        Error::DeadlineExceeded { deadline } => {
            assert_eq!(*deadline, Duration::from_millis(300));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), "deadline");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn the_deadline_covers_retries_and_their_waits() {
    let server = RawServer::start(busy(None)).await.expect("server");
    let client = vendor_client(&server.base_url())
        .retry_safe_calls(
            RetryPolicy::new(50)
                .initial_backoff(Duration::from_millis(100))
                .max_wait(Duration::from_millis(100)),
        )
        .deadline(Duration::from_millis(700))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.captcha().await.expect_err("busy");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Either the last answer (no time left for another wait) or the deadline itself.
    assert!(
        err.code() == Some(&eiam::ErrorCode::SystemBusy)
            || matches!(err, Error::DeadlineExceeded { .. }),
        "{err:?}"
    );
    let sent = server.requests();
    assert!((2..=8).contains(&sent), "{sent} attempts within 700 ms");
}

// ---------------------------------------------------------------------------------------
// Retries

fn retrying(base_url: &str, policy: RetryPolicy) -> Client {
    vendor_client(base_url)
        .timeout(Duration::from_secs(5))
        .retry_safe_calls(policy)
        .build()
        .expect("client")
}

fn fast() -> RetryPolicy {
    RetryPolicy::new(3).initial_backoff(Duration::from_millis(10))
}

#[tokio::test]
async fn without_the_opt_in_nothing_is_retried() {
    let server = RawServer::start_sequence(vec![busy(None), captcha_ok()])
        .await
        .expect("server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    let err = client.captcha().await.expect_err("busy");
    assert_eq!(err.code(), Some(&eiam::ErrorCode::SystemBusy));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_safe_call_is_retried_until_it_succeeds() {
    let server = RawServer::start_sequence(vec![busy(None), busy(Some("0")), captcha_ok()])
        .await
        .expect("server");
    let captcha = retrying(&server.base_url(), fast())
        .captcha()
        .await
        .expect("third time lucky");
    assert_eq!(captcha.token(), "c-1");
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = RawServer::start(busy(None)).await.expect("server");
    let err = retrying(&server.base_url(), fast())
        .captcha()
        .await
        .expect_err("always busy");
    assert_eq!(err.code(), Some(&eiam::ErrorCode::SystemBusy));
    assert_eq!(server.requests(), 4, "1 attempt + 3 retries");
}

#[tokio::test]
async fn mobile_by_token_is_retried_after_a_transport_failure() {
    let mobile = response(
        "200 OK",
        &[("content-type", "application/json")],
        br#"{"mobile":"+86-15900000001"}"#,
    );
    let server = RawServer::start_sequence(vec![vec![Step::Reset], vec![Step::Write(mobile)]])
        .await
        .expect("server");
    let got = retrying(&server.base_url(), fast())
        .mobile_by_state_token(&StateToken::new("st-1"))
        .await
        .expect("retried");
    assert_eq!(got, "+86-15900000001");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = RawServer::start_sequence(vec![busy(Some("1")), captcha_ok()])
        .await
        .expect("server");
    let started = Instant::now();
    retrying(&server.base_url(), fast())
        .captcha()
        .await
        .expect("after the wait");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(950), "waited only {took:?}");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_ends_the_retries() {
    let server = RawServer::start_sequence(vec![busy(Some("120")), captcha_ok()])
        .await
        .expect("server");
    let started = Instant::now();
    let err = retrying(&server.base_url(), fast().max_wait(Duration::from_secs(2)))
        .captcha()
        .await
        .expect_err("the server asked for too long a wait");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn errors_that_a_retry_cannot_fix_are_not_retried() {
    let refused = response(
        "400 Bad Request",
        &[("content-type", "application/json")],
        br#"{"error_code":"SDK.COMMON.1012","error_msg":"Invalid client id."}"#,
    );
    let server = RawServer::start(vec![Step::Write(refused)])
        .await
        .expect("server");
    let err = retrying(&server.base_url(), fast())
        .captcha()
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some(&eiam::ErrorCode::InvalidClientId));
    assert_eq!(server.requests(), 1);
}

/// Every call that changes state, against a server that is always busy (and says to
/// retry at once), with the retry policy on: each is sent exactly once.
#[tokio::test]
async fn calls_that_change_state_are_never_retried() {
    let server = RawServer::start(busy(Some("0"))).await.expect("server");
    let client = retrying(&server.base_url(), fast());
    let state = StateToken::new("st-1");
    let (code, old, new) = (
        VerifyCode::new("123456"),
        Password::new("Old-Passw0rd"),
        Password::new("N3w-Passw0rd!"),
    );
    let captcha_server = RawServer::start(captcha_ok()).await.expect("server");
    let captcha = vendor_client(&captcha_server.base_url())
        .build()
        .expect("client")
        .captcha()
        .await
        .expect("captcha");
    let calls: Vec<(&str, Result<(), Error>)> = vec![
        ("login", client.login("bob", &old).await.map(drop)),
        (
            "verify_captcha",
            client
                .verify_captcha(&captcha, 10.0, "bob@example.com")
                .await
                .map(drop),
        ),
        (
            "send email code",
            client
                .send_code(
                    &CodeType::ChangePasswordEmail,
                    "bob@example.com",
                    &CaptchaToken::new("ct"),
                )
                .await,
        ),
        (
            "send sms code",
            client
                .send_code(
                    &CodeType::ChangePasswordSms,
                    "15900000001",
                    &CaptchaToken::new("ct"),
                )
                .await,
        ),
        (
            "update_password",
            client.update_password(&state, &old, &new).await.map(drop),
        ),
        (
            "update_password_by_email",
            client
                .update_password_by_email(&state, &code, &new)
                .await
                .map(drop),
        ),
        (
            "update_password_by_mobile",
            client
                .update_password_by_mobile(&state, &code, &new)
                .await
                .map(drop),
        ),
        (
            "refresh_id_token",
            client
                .refresh_id_token(&SessionToken::new("sess"))
                .await
                .map(drop),
        ),
    ];
    // Each answer came from the server (503), so each call was sent at least once; as
    // many requests as calls means each was sent exactly once.
    for (name, result) in &calls {
        let err = result.as_ref().expect_err(name);
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(503),
            "{name}: {err:?}"
        );
        assert!(err.is_retryable(), "{name}: {err:?}");
    }
    assert_eq!(server.requests(), calls.len(), "a call was retried");
}

#[tokio::test]
async fn a_skip_is_never_retried() {
    let warn = response(
        "200 OK",
        &[("content-type", "application/json")],
        br#"{"status":"PASSWORD_WARN","state_token":"st-warn"}"#,
    );
    let server = RawServer::start_sequence(vec![vec![Step::Write(warn)], busy(Some("0"))])
        .await
        .expect("server");
    let client = retrying(&server.base_url(), fast());
    let outcome = client
        .login("bob", &Password::new("Old-Passw0rd"))
        .await
        .expect("login");
    let eiam::LoginOutcome::PasswordExpiring(expiring) = outcome else {
        panic!("expected PASSWORD_WARN, got {outcome:?}");
    };
    let err = expiring.skip().await.expect_err("busy");
    assert!(err.is_retryable());
    assert_eq!(server.requests(), 2, "login + one skip");
}
