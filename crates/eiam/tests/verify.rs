//! The id_token verifier against the emulator's real RS256 tokens and keys: valid, expired,
//! not yet valid, wrong audience, wrong issuer, tampered, unknown `kid` (one refresh, then
//! an error), refused algorithms (`none`, `HS256`), the refresh bound, and key fetches that
//! fail. Key fetches are counted by a small loopback key server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use eiam::{
    Client, ExposeSecret, IdToken, IdTokenVerifier, IdTokenVerifierBuilder, JwkSet, Password,
    StateToken, VerifyCode, VerifyError,
};
use eiam_emulator::{
    DEFAULT_CLIENT_ID, Emulator, EmulatorConfig, NewUser, RunningEmulator, SigningKey,
};
use serde_json::{Value, json};

const USER: &str = "alice";

async fn spawn(config: EmulatorConfig) -> RunningEmulator {
    let running = Emulator::spawn(config).await.expect("spawn the emulator");
    running
        .emulator()
        .add_user(NewUser {
            user_name: USER.into(),
            password: "Old-Passw0rd!".into(),
            email: "alice@example.com".into(),
            mobile: "+86-15907132852".into(),
            name: Some("Alice".into()),
        })
        .expect("add the user");
    running
}

fn client(running: &RunningEmulator) -> Client {
    Client::builder()
        .base_url(running.base_url())
        .client_id(DEFAULT_CLIENT_ID)
        .os_version("linux")
        .device_fingerprint("fp")
        .agent("verify-test")
        .allow_http_loopback(true)
        .build()
        .expect("client")
}

/// A real id_token: an expired-password login, the e-mailed code, a password change.
async fn mint(running: &RunningEmulator) -> IdToken {
    let emulator = running.emulator();
    let login = emulator.expired_login(USER, None).expect("expired login");
    let code = emulator
        .latest_code("alice@example.com")
        .expect("a code was sent");
    // A new password each time: the emulator refuses recent ones.
    let fresh = format!("N3w-Passw0rd!{}", emulator.outbox().len());
    let session = client(running)
        .update_password_by_email(
            &StateToken::new(login.state_token),
            &VerifyCode::new(code),
            &Password::new(fresh),
        )
        .await
        .expect("password changed");
    session.id_token().expect("an id_token").clone()
}

fn for_emulator(running: &RunningEmulator) -> IdTokenVerifierBuilder {
    IdTokenVerifier::for_client(&client(running))
}

fn parts(token: &IdToken) -> Vec<String> {
    token
        .expose_secret()
        .split('.')
        .map(str::to_owned)
        .collect()
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// No error shows the token or any part of it.
fn assert_no_token_in(error: &VerifyError, token: &IdToken) {
    let shown = format!("{error} {error:?}");
    for part in parts(token) {
        if part.len() > 8 {
            assert!(!shown.contains(&part), "{shown}");
        }
    }
}

/// A loopback server for key sets: `/jwks` (switchable, counted), an OIDC discovery
/// document (counted), and broken answers.
#[derive(Clone)]
struct KeyServer {
    base_url: String,
    jwks: Arc<Mutex<Value>>,
    issuer: Arc<Mutex<String>>,
    jwks_uri: Arc<Mutex<String>>,
    jwks_hits: Arc<AtomicUsize>,
    discovery_hits: Arc<AtomicUsize>,
}

impl KeyServer {
    async fn start(jwks: Value) -> KeyServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let server = KeyServer {
            jwks: Arc::new(Mutex::new(jwks)),
            issuer: Arc::new(Mutex::new(format!("{base_url}/api/v1/oauth2"))),
            jwks_uri: Arc::new(Mutex::new(format!("{base_url}/jwks"))),
            base_url,
            jwks_hits: Arc::new(AtomicUsize::new(0)),
            discovery_hits: Arc::new(AtomicUsize::new(0)),
        };
        let app = Router::new()
            .route("/jwks", get(serve_jwks))
            .route(
                "/api/v1/oauth2/.well-known/openid-configuration",
                get(serve_discovery),
            )
            .route("/big", get(|| async { json_response(big_document()) }))
            .route(
                "/redirect",
                get(|| async {
                    (StatusCode::FOUND, [(header::LOCATION, "/jwks")]).into_response()
                }),
            )
            .route(
                "/html",
                get(|| async { (StatusCode::OK, "<html>proxy</html>").into_response() }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "{}"
                }),
            )
            .route(
                "/empty",
                get(|| async { json_response(json!({"keys": []})) }),
            )
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The issuer its discovery document names: `{base_url}/api/v1/oauth2`, as the vendor's.
    fn issuer(&self) -> String {
        self.issuer.lock().expect("lock").clone()
    }

    fn jwks_hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    fn set_jwks(&self, jwks: Value) {
        *self.jwks.lock().expect("lock") = jwks;
    }
}

/// A server that answers every connection with a 200 whose body of `size` bytes has no
/// `Content-Length` (it ends when the connection closes); returns its URL.
async fn unsized_body_server(size: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/keys", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; 8192];
            let mut sent = 0;
            while sent < size {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            let _ = stream.shutdown().await;
        }
    });
    url
}

fn json_response(value: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn big_document() -> Value {
    json!({"keys": [], "padding": "x".repeat(300 * 1024)})
}

async fn serve_jwks(State(server): State<KeyServer>) -> Response {
    server.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let jwks = server.jwks.lock().expect("lock").clone();
    json_response(jwks)
}

async fn serve_discovery(State(server): State<KeyServer>) -> Response {
    server.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let jwks_uri = server.jwks_uri.lock().expect("lock").clone();
    json_response(json!({
        "issuer": server.issuer(),
        "jwks_uri": jwks_uri,
    }))
}

#[tokio::test]
async fn a_real_token_verifies_by_discovery_with_typed_claims() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let verifier = for_emulator(&running).build().expect("verifier");
    assert_eq!(
        verifier.issuer(),
        format!("{}/api/v1/oauth2", running.base_url())
    );
    assert_eq!(verifier.issuer(), running.emulator().issuer());
    assert_eq!(verifier.audience(), DEFAULT_CLIENT_ID);

    let claims = verifier.verify(&token).await.expect("valid");
    assert_eq!(claims.sub, USER);
    assert_eq!(claims.user_name.as_deref(), Some(USER));
    assert_eq!(claims.name.as_deref(), Some("Alice"));
    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
    assert_eq!(claims.mobile.as_deref(), Some("+86-15907132852"));
    assert!(claims.id.as_deref().is_some_and(|id| !id.is_empty()));
    assert!(claims.jti.as_deref().is_some_and(|jti| !jti.is_empty()));
    assert_eq!(claims.iss, running.emulator().issuer());
    assert_eq!(claims.aud, [DEFAULT_CLIENT_ID]);
    let iat = claims.iat.expect("iat");
    assert_eq!(claims.exp - iat, 7200);
    assert_eq!(claims.nbf, Some(iat - 120));
    assert!((iat - now_secs()).abs() < 60);
    assert!(claims.extra.is_empty(), "{:?}", claims.extra);
    // A second verification uses the cached keys.
    assert_eq!(verifier.verify(&token).await.expect("valid"), claims);
}

#[tokio::test]
async fn a_jwks_url_or_a_fixed_key_set_works_too() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let jwks = format!("{}/api/v1/oauth2/jwks", running.base_url());
    let by_url = for_emulator(&running)
        .jwks_url(jwks)
        .build()
        .expect("verifier");
    assert_eq!(by_url.verify(&token).await.expect("valid").sub, USER);

    let set: JwkSet = serde_json::from_value(running.emulator().jwks()).expect("a JWKS");
    let fixed = IdTokenVerifier::builder(running.emulator().issuer(), DEFAULT_CLIENT_ID)
        .keys(set)
        .build()
        .expect("verifier");
    assert_eq!(fixed.verify(&token).await.expect("valid").sub, USER);
    // No network at all: it works after the emulator is gone.
    running.shutdown().await;
    assert_eq!(fixed.verify(&token).await.expect("valid").sub, USER);
}

#[tokio::test]
async fn an_expired_token_is_refused_after_the_leeway() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let verifier = for_emulator(&running).build().expect("verifier");
    let exp = verifier.verify(&token).await.expect("valid").exp;
    let at = |secs: i64| UNIX_EPOCH + Duration::from_secs(secs as u64);

    // Within the default 60 s leeway after `exp`: still accepted.
    verifier
        .verify_at(&token, at(exp + 59))
        .await
        .expect("within the leeway");
    let err = verifier
        .verify_at(&token, at(exp + 60))
        .await
        .expect_err("expired");
    assert!(
        matches!(err, VerifyError::Expired { exp: e } if e == exp),
        "{err:?}"
    );
    assert_eq!(err.kind(), "expired");
    assert_no_token_in(&err, &token);

    let strict = for_emulator(&running)
        .leeway(Duration::ZERO)
        .build()
        .expect("verifier");
    strict
        .verify_at(&token, at(exp - 1))
        .await
        .expect("valid until exp");
    assert!(matches!(
        strict.verify_at(&token, at(exp)).await,
        Err(VerifyError::Expired { .. })
    ));
}

/// A token minted already expired (an id_token lifetime of zero), checked on the real clock.
#[tokio::test]
async fn a_token_minted_expired_is_refused_now() {
    let running = spawn(EmulatorConfig {
        id_token_ttl: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let token = mint(&running).await;
    let verifier = for_emulator(&running)
        .leeway(Duration::ZERO)
        .build()
        .expect("verifier");
    let err = verifier.verify(&token).await.expect_err("expired");
    assert!(matches!(err, VerifyError::Expired { .. }), "{err:?}");
}

/// A token minted by an emulator whose clock runs an hour ahead: its `nbf` is still to come.
#[tokio::test]
async fn a_token_from_the_future_is_not_yet_valid() {
    let running = spawn(EmulatorConfig::default()).await;
    running.emulator().advance_clock(Duration::from_secs(3600));
    let token = mint(&running).await;
    let verifier = for_emulator(&running).build().expect("verifier");
    let err = verifier.verify(&token).await.expect_err("not yet valid");
    let VerifyError::NotYetValid { nbf } = err else {
        panic!("{err:?}");
    };
    assert!((nbf - (now_secs() + 3600 - 120)).abs() < 60, "{nbf}");
    // Once that time has come (within the leeway), it is valid.
    let then = UNIX_EPOCH + Duration::from_secs((nbf - 60) as u64);
    verifier.verify_at(&token, then).await.expect("valid then");
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let verifier = IdTokenVerifier::builder(running.emulator().issuer(), "another-client")
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    let err = verifier.verify(&token).await.expect_err("wrong audience");
    assert!(
        matches!(&err, VerifyError::WrongAudience { expected } if expected == "another-client"),
        "{err:?}"
    );
    assert_no_token_in(&err, &token);
}

#[tokio::test]
async fn a_wrong_issuer_is_refused() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let jwks = format!("{}/api/v1/oauth2/jwks", running.base_url());
    let verifier = IdTokenVerifier::builder(
        "https://tenant.example.com/api/v1/oauth2",
        DEFAULT_CLIENT_ID,
    )
    .jwks_url(jwks)
    .allow_http_loopback(true)
    .build()
    .expect("verifier");
    let err = verifier.verify(&token).await.expect_err("wrong issuer");
    assert!(
        matches!(&err, VerifyError::WrongIssuer { expected } if expected == "https://tenant.example.com/api/v1/oauth2"),
        "{err:?}"
    );

    // By discovery, a document that names another issuer is refused before any key is used.
    let keys = KeyServer::start(running.emulator().jwks()).await;
    *keys.issuer.lock().expect("lock") = "https://elsewhere.example.com".into();
    let verifier = IdTokenVerifier::builder(keys.url("/api/v1/oauth2"), DEFAULT_CLIENT_ID)
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    let err = verifier
        .verify(&token)
        .await
        .expect_err("wrong discovery issuer");
    assert!(
        matches!(&err, VerifyError::KeyFetch { reason, .. } if reason.contains("issuer")),
        "{err:?}"
    );
    assert_eq!(keys.jwks_hits(), 0);
}

#[tokio::test]
async fn a_tampered_payload_or_signature_is_refused() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let verifier = for_emulator(&running).build().expect("verifier");
    let [header, payload, signature] = <[String; 3]>::try_from(parts(&token)).expect("3 parts");

    let mut claims = decode_part(&payload);
    claims["sub"] = json!("mallory");
    claims["userName"] = json!("mallory");
    let forged = IdToken::new(format!("{header}.{}.{signature}", encode_part(&claims)));
    let err = verifier.verify(&forged).await.expect_err("tampered");
    assert!(matches!(err, VerifyError::BadSignature), "{err:?}");
    assert_no_token_in(&err, &forged);

    // A later `exp` is tampering too.
    let mut claims = decode_part(&payload);
    claims["exp"] = json!(claims["exp"].as_i64().expect("exp") + 86_400);
    let extended = IdToken::new(format!("{header}.{}.{signature}", encode_part(&claims)));
    assert!(matches!(
        verifier.verify(&extended).await,
        Err(VerifyError::BadSignature)
    ));

    let mut bytes = URL_SAFE_NO_PAD.decode(&signature).expect("base64url");
    bytes[10] ^= 1;
    let flipped = IdToken::new(format!(
        "{header}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(bytes)
    ));
    assert!(matches!(
        verifier.verify(&flipped).await,
        Err(VerifyError::BadSignature)
    ));

    for (broken, why) in [
        (format!("{header}.{payload}"), "two parts"),
        (format!("{header}.{payload}.{signature}.x"), "four parts"),
        (format!("{header}.%%%.{signature}"), "payload not base64url"),
        ("not a token".to_owned(), "no dots"),
    ] {
        let err = verifier.verify(&IdToken::new(broken)).await.expect_err(why);
        assert!(
            matches!(
                err,
                VerifyError::Malformed { .. } | VerifyError::BadSignature
            ),
            "{why}: {err:?}"
        );
    }
}

/// `alg: none` and HS256 (with the issuer's public key as the HMAC secret, the classic key
/// confusion) are refused before any key is fetched.
#[tokio::test]
async fn none_and_hs256_tokens_are_refused_without_a_fetch() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let keys = KeyServer::start(running.emulator().jwks()).await;
    let verifier = IdTokenVerifier::builder(running.emulator().issuer(), DEFAULT_CLIENT_ID)
        .jwks_url(keys.url("/jwks"))
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    let [header, payload, _] = <[String; 3]>::try_from(parts(&token)).expect("3 parts");
    let kid = decode_part(&header)["kid"].clone();

    let none_header = encode_part(&json!({"alg": "none", "typ": "JWT", "kid": kid}));
    for forged in [
        format!("{none_header}.{payload}."),
        format!("{none_header}.{payload}"),
    ] {
        let err = verifier
            .verify(&IdToken::new(forged))
            .await
            .expect_err("alg none");
        assert!(
            matches!(&err, VerifyError::UnsupportedAlgorithm { alg } if alg == "none")
                || matches!(err, VerifyError::Malformed { .. }),
            "{err:?}"
        );
    }

    let claims = decode_part(&payload);
    let n = running.emulator().jwks()["keys"][0]["n"]
        .as_str()
        .expect("n")
        .to_owned();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = kid.as_str().map(str::to_owned);
    let hs256 = jsonwebtoken::encode(
        &hs,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(n.as_bytes()).expect("a secret"),
    )
    .expect("HS256 token");
    let hs256 = IdToken::new(hs256);
    let err = verifier.verify(&hs256).await.expect_err("HS256");
    assert!(
        matches!(&err, VerifyError::UnsupportedAlgorithm { alg } if alg == "HS256"),
        "{err:?}"
    );
    assert_eq!(err.kind(), "unsupported_algorithm");
    assert_no_token_in(&err, &hs256);

    for alg in ["RS512", "ES256", "PS256", "rs256"] {
        let other = encode_part(&json!({"alg": alg, "kid": kid}));
        let err = verifier
            .verify(&IdToken::new(format!("{other}.{payload}.c2ln")))
            .await
            .expect_err(alg);
        assert!(
            matches!(&err, VerifyError::UnsupportedAlgorithm { alg: a } if a == alg),
            "{err:?}"
        );
    }
    assert_eq!(
        keys.jwks_hits(),
        0,
        "no key may be fetched for a refused algorithm"
    );

    // The verifier still works for the real token.
    verifier.verify(&token).await.expect("valid");
    assert_eq!(keys.jwks_hits(), 1);
}

/// A token signed by a key the issuer does not publish: one fetch, then `UnknownKey`
/// without fetching again.
#[tokio::test]
async fn an_unknown_kid_is_refused_after_one_refresh() {
    let published = spawn(EmulatorConfig::default()).await;
    let other_key = SigningKey::generate()
        .expect("a key")
        .with_kid("not-published");
    let rogue = spawn(EmulatorConfig {
        signing_key: Some(other_key),
        ..EmulatorConfig::default()
    })
    .await;
    let rogue_token = mint(&rogue).await;
    let keys = KeyServer::start(published.emulator().jwks()).await;
    let verifier = IdTokenVerifier::builder(rogue.emulator().issuer(), DEFAULT_CLIENT_ID)
        .jwks_url(keys.url("/jwks"))
        .allow_http_loopback(true)
        .build()
        .expect("verifier");

    let err = verifier
        .verify(&rogue_token)
        .await
        .expect_err("unknown kid");
    assert!(
        matches!(&err, VerifyError::UnknownKey { kid } if kid == "not-published"),
        "{err:?}"
    );
    assert_eq!(keys.jwks_hits(), 1);
    for _ in 0..5 {
        let err = verifier
            .verify(&rogue_token)
            .await
            .expect_err("unknown kid");
        assert!(matches!(err, VerifyError::UnknownKey { .. }), "{err:?}");
    }
    assert_eq!(
        keys.jwks_hits(),
        1,
        "no second fetch within the refresh bound"
    );

    // A key with the published kid but another key: the signature does not match.
    let same_kid = SigningKey::generate().expect("a key").with_kid(
        published.emulator().jwks()["keys"][0]["kid"]
            .as_str()
            .expect("kid"),
    );
    let impostor = spawn(EmulatorConfig {
        signing_key: Some(same_kid),
        ..EmulatorConfig::default()
    })
    .await;
    let impostor_token = mint(&impostor).await;
    let verifier = IdTokenVerifier::builder(impostor.emulator().issuer(), DEFAULT_CLIENT_ID)
        .jwks_url(keys.url("/jwks"))
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    assert!(matches!(
        verifier.verify(&impostor_token).await,
        Err(VerifyError::BadSignature)
    ));
}

/// Key rotation: a new `kid` is fetched once the refresh bound has passed, and concurrent
/// verifications share one fetch.
#[tokio::test]
async fn a_rotated_key_is_found_by_one_refresh_within_the_bound() {
    let old = spawn(EmulatorConfig::default()).await;
    let new_key = SigningKey::generate().expect("a key").with_kid("rotated");
    let new = spawn(EmulatorConfig {
        signing_key: Some(new_key),
        ..EmulatorConfig::default()
    })
    .await;
    // One issuer, two keys: the second emulator signs as the first one's issuer.
    new.emulator().set_base_url(old.base_url());
    let old_token = mint(&old).await;
    let new_token = mint(&new).await;
    let keys = KeyServer::start(old.emulator().jwks()).await;
    // Long enough that a loaded machine does not pass it between two steps by accident.
    let bound = Duration::from_secs(2);
    let verifier = IdTokenVerifier::builder(old.emulator().issuer(), DEFAULT_CLIENT_ID)
        .jwks_url(keys.url("/jwks"))
        .allow_http_loopback(true)
        .min_refresh_interval(bound)
        .build()
        .expect("verifier");
    verifier.verify(&old_token).await.expect("valid");
    assert_eq!(keys.jwks_hits(), 1);

    // The issuer rotates: both keys are published.
    let mut both = old.emulator().jwks();
    let new_jwk = new.emulator().jwks()["keys"][0].clone();
    both["keys"].as_array_mut().expect("keys").push(new_jwk);
    keys.set_jwks(both);

    // The last fetch is recent: no refresh yet...
    let err = verifier
        .verify(&new_token)
        .await
        .expect_err("not yet refreshed");
    assert!(
        matches!(&err, VerifyError::UnknownKey { kid } if kid == "rotated"),
        "{err:?}"
    );
    assert_eq!(keys.jwks_hits(), 1);
    // ...once the bound has passed, one refresh finds the new key.
    tokio::time::sleep(bound + Duration::from_millis(50)).await;
    let claims = verifier
        .verify(&new_token)
        .await
        .expect("valid after refresh");
    assert_eq!(claims.sub, USER);
    assert_eq!(keys.jwks_hits(), 2);
    // Both keys are cached now.
    verifier.verify(&old_token).await.expect("valid");
    verifier.verify(&new_token).await.expect("valid");
    assert_eq!(keys.jwks_hits(), 2);

    // Concurrent verifications with an unknown kid after the bound: one fetch for all.
    tokio::time::sleep(bound + Duration::from_millis(50)).await;
    let unknown = with_kid(&old_token, "never-published");
    let results = verify_concurrently(&verifier, &unknown, 8).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(VerifyError::UnknownKey { .. }))),
        "{results:?}"
    );
    assert_eq!(
        keys.jwks_hits(),
        3,
        "one fetch for all concurrent verifications"
    );
}

/// The same token with another `kid` in its header (so its signature no longer matches,
/// which only matters once a key is found).
fn with_kid(token: &IdToken, kid: &str) -> IdToken {
    let [header, payload, signature] = <[String; 3]>::try_from(parts(token)).expect("3 parts");
    let mut h = decode_part(&header);
    h["kid"] = json!(kid);
    IdToken::new(format!("{}.{payload}.{signature}", encode_part(&h)))
}

async fn verify_concurrently(
    verifier: &IdTokenVerifier,
    token: &IdToken,
    n: usize,
) -> Vec<Result<eiam::IdTokenClaims, VerifyError>> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let verifier = verifier.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move { verifier.verify(&token).await }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

#[tokio::test]
async fn discovery_is_read_once_and_the_key_set_on_each_refresh() {
    let running = spawn(EmulatorConfig::default()).await;
    let keys = KeyServer::start(running.emulator().jwks()).await;
    // The emulator signs as the key server's issuer, which serves discovery and keys.
    running.emulator().set_base_url(keys.base_url.clone());
    let token = mint(&running).await;
    let verifier = IdTokenVerifier::builder(keys.issuer(), DEFAULT_CLIENT_ID)
        .allow_http_loopback(true)
        .min_refresh_interval(Duration::ZERO)
        .build()
        .expect("verifier");
    assert_eq!(verifier.verify(&token).await.expect("valid").sub, USER);
    assert_eq!(keys.jwks_hits(), 1);
    for expected in 2..=4 {
        let unknown = with_kid(&token, &format!("unknown-{expected}"));
        assert!(matches!(
            verifier.verify(&unknown).await,
            Err(VerifyError::UnknownKey { .. })
        ));
        assert_eq!(keys.jwks_hits(), expected);
    }
    assert_eq!(keys.discovery_hits.load(Ordering::SeqCst), 1);
    verifier.verify(&token).await.expect("valid");
    assert_eq!(keys.jwks_hits(), 4, "a known kid needs no fetch");
}

#[tokio::test]
async fn key_fetch_failures_are_typed_and_bounded() {
    let running = spawn(EmulatorConfig::default()).await;
    let token = mint(&running).await;
    let keys = KeyServer::start(running.emulator().jwks()).await;
    let verify_with = |url: String| {
        let verifier = IdTokenVerifier::builder(running.emulator().issuer(), DEFAULT_CLIENT_ID)
            .jwks_url(url)
            .allow_http_loopback(true)
            .max_response_bytes(64 * 1024)
            .timeout(Duration::from_secs(2))
            .build()
            .expect("verifier");
        let token = token.clone();
        async move { verifier.verify(&token).await.expect_err("no keys") }
    };
    let reason = |err: VerifyError| match err {
        VerifyError::KeyFetch { reason, .. } => reason,
        other => panic!("{other:?}"),
    };

    assert_eq!(reason(verify_with(keys.url("/missing")).await), "HTTP 404");
    let redirect = reason(verify_with(keys.url("/redirect")).await);
    assert_eq!(redirect, "HTTP 302", "redirects are not followed");
    assert_eq!(keys.jwks_hits(), 0);
    assert!(reason(verify_with(keys.url("/html")).await).contains("not JSON"));
    assert!(reason(verify_with(keys.url("/big")).await).contains("larger than 65536 bytes"));
    let endless = unsized_body_server(512 * 1024).await;
    assert!(reason(verify_with(endless).await).contains("larger than 65536 bytes"));
    assert!(reason(verify_with(keys.url("/slow")).await).contains("timed out"));
    assert!(reason(verify_with(keys.url("/empty")).await).contains("no usable RS256"));
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/jwks", listener.local_addr().expect("address"));
        drop(listener);
        url
    };
    assert!(reason(verify_with(closed).await).contains("cannot connect"));

    // After a failure, the next verification within the bound does not fetch again.
    let verifier = IdTokenVerifier::builder(running.emulator().issuer(), DEFAULT_CLIENT_ID)
        .jwks_url(keys.url("/missing"))
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    assert!(matches!(
        verifier.verify(&token).await,
        Err(VerifyError::KeyFetch { .. })
    ));
    let err = verifier.verify(&token).await.expect_err("still no keys");
    assert!(
        matches!(&err, VerifyError::KeyFetch { reason, .. } if reason.contains("not retried")),
        "{err:?}"
    );
    assert_no_token_in(&err, &token);
}

#[tokio::test]
async fn plain_http_keys_need_the_opt_in_and_a_loopback_host() {
    let err = |b: IdTokenVerifierBuilder| b.build().expect_err("refused");
    let running = spawn(EmulatorConfig::default()).await;
    let issuer = running.emulator().issuer();
    assert!(matches!(
        err(IdTokenVerifier::builder(issuer.clone(), DEFAULT_CLIENT_ID)),
        VerifyError::Config { what: "issuer", .. }
    ));
    assert!(matches!(
        err(
            IdTokenVerifier::builder("https://t.example.com/api/v1/oauth2", "c")
                .jwks_url("http://keys.example.com/jwks")
                .allow_http_loopback(true)
        ),
        VerifyError::Config {
            what: "JWKS URL",
            ..
        }
    ));

    // A discovery document may not send the verifier to plain http elsewhere (refused
    // before anything is sent there).
    let keys = KeyServer::start(running.emulator().jwks()).await;
    *keys.jwks_uri.lock().expect("lock") = "http://keys.example.com/jwks".into();
    let verifier = IdTokenVerifier::builder(keys.issuer(), DEFAULT_CLIENT_ID)
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    let token = mint(&running).await;
    let err = verifier
        .verify(&token)
        .await
        .expect_err("plain http jwks_uri");
    assert!(
        matches!(&err, VerifyError::KeyFetch { reason, .. }
            if reason.contains("jwks_uri") && reason.contains("loopback")),
        "{err:?}"
    );
    assert_eq!(keys.jwks_hits(), 0);
}

#[tokio::test]
async fn a_refused_key_url_does_not_repeat_its_secrets() {
    for (url, secret) in [
        ("https://user:s3cret-pw@keys.example.com/jwks", "s3cret-pw"),
        (
            "http://keys.example.com/jwks?api_key=s3cret-key",
            "s3cret-key",
        ),
    ] {
        let err = IdTokenVerifier::builder("https://t.example.com/api/v1/oauth2", "c")
            .jwks_url(url)
            .build()
            .expect_err("refused");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(secret), "{url}: {text}");
        }
    }
    // A discovery document that points at such a URL: the fetch error and its log line
    // do not repeat it either.
    let running = spawn(EmulatorConfig::default()).await;
    let keys = KeyServer::start(running.emulator().jwks()).await;
    *keys.jwks_uri.lock().expect("lock") = "https://user:s3cret-pw@keys.example.com/jwks".into();
    let verifier = IdTokenVerifier::builder(keys.issuer(), DEFAULT_CLIENT_ID)
        .allow_http_loopback(true)
        .build()
        .expect("verifier");
    let token = mint(&running).await;
    let err = verifier.verify(&token).await.expect_err("refused jwks_uri");
    assert!(matches!(err, VerifyError::KeyFetch { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("s3cret-pw"), "{text}");
    }
}
