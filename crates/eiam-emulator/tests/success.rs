//! The successful change: answer, state, id_token, JWKS, and the race.

mod common;

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use eiam_emulator::EmulatorConfig;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

#[tokio::test]
async fn success_changes_the_password_and_consumes_token_and_code() {
    let env = start().await;
    let (token, code) = env.login();
    let outbox_before = env.emulator().outbox();
    let reply = env.change(&token, &code, NEW_PASSWORD).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.content_type, "application/json");
    let body = reply.body.as_object().expect("object");
    let keys: HashSet<&str> = body.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from(["status", "expire", "session_token", "id_token"])
    );
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["expire"], 43200);
    let session = body["session_token"].as_str().expect("string");
    assert_eq!(session.len(), 32);
    assert!(session.bytes().all(|b| b.is_ascii_alphanumeric()));
    let id_token = body["id_token"].as_str().expect("string");
    assert_eq!(id_token.split('.').count(), 3);

    assert!(env.password_is(NEW_PASSWORD));
    assert!(!env.password_is(OLD_PASSWORD));
    assert_eq!(env.emulator().outbox(), outbox_before, "nothing was sent");

    // The token is consumed.
    env.change(&token, &code, "An0ther-Passw0rd")
        .await
        .assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
    // And so is the code: a new login must send a new one.
    let fresh = env.emulator().expired_login(USER, None).expect("login");
    let new_code = env.emulator().latest_code(EMAIL).expect("code");
    if new_code != code {
        env.change(&fresh.state_token, &code, "An0ther-Passw0rd")
            .await
            .assert_error(
                400,
                "SDK.SMS.1006",
                "The e-mail verification code is incorrect.",
            );
    }
    assert!(env.password_is(NEW_PASSWORD));
    // Two sessions never share a token.
    let second = env
        .change(&fresh.state_token, &new_code, "An0ther-Passw0rd")
        .await;
    assert_eq!(second.status, 200, "{second:?}");
    assert_ne!(second.body["session_token"], reply.body["session_token"]);
    assert!(env.password_is("An0ther-Passw0rd"));
}

#[tokio::test]
async fn configured_session_lifetime() {
    let env = start_with(EmulatorConfig {
        session_ttl: Duration::from_secs(600),
        ..EmulatorConfig::default()
    })
    .await;
    let (token, code) = env.login();
    let reply = env.change(&token, &code, NEW_PASSWORD).await;
    assert_eq!(reply.body["expire"], 600, "{reply:?}");
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .try_into()
        .expect("i64")
}

#[tokio::test]
async fn id_token_verifies_against_the_served_jwks() {
    let env = start().await;
    let base = env.running.base_url();
    assert_eq!(
        base,
        format!("http://127.0.0.1:{}", env.running.addr().port())
    );
    let issuer = format!("{base}/api/v1/oauth2");

    // Discovery, then the JWKS it names.
    let discovery = env
        .get("/api/v1/oauth2/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.content_type, "application/json");
    assert_eq!(discovery.body["issuer"], json!(issuer));
    let jwks_uri = discovery.body["jwks_uri"].as_str().expect("jwks_uri");
    assert_eq!(jwks_uri, format!("{issuer}/jwks"));
    let response = env.http.get(jwks_uri).send().await.expect("send");
    let jwks = reply(response).await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.content_type, "application/json");
    assert_eq!(jwks.body, env.emulator().jwks());
    let key = &jwks.body["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    let n = key["n"].as_str().expect("n");
    assert!(!n.contains('=') && !n.contains('+') && !n.contains('/'));
    assert_eq!(n.len(), 342, "2048-bit modulus, base64url without padding");
    let set: JwkSet = serde_json::from_value(jwks.body.clone()).expect("jwks");

    let (token, code) = env.login();
    let reply = env.change(&token, &code, NEW_PASSWORD).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let id_token = reply.body["id_token"].as_str().expect("id_token");

    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid");
    assert_eq!(json!(kid), key["kid"]);
    let jwk = set.find(&kid).expect("key of the kid");
    let decoding = DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[CLIENT]);
    validation.set_issuer(&[issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub"]);
    let data = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation).expect("valid");
    let claims = data.claims;
    assert_eq!(claims["iss"], json!(issuer));
    assert_eq!(claims["aud"], CLIENT);
    assert_eq!(claims["sub"], USER);
    assert_eq!(claims["userName"], USER);
    assert_eq!(claims["id"], json!(env.user_id));
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["mobile"], MOBILE);
    assert_eq!(claims["email"], EMAIL);
    let iat = claims["iat"].as_i64().expect("iat");
    assert!((iat - now()).abs() <= 5, "iat {iat} is now");
    assert_eq!(claims["exp"].as_i64(), Some(iat + 7200));
    assert_eq!(claims["nbf"].as_i64(), Some(iat - 120));
    let jti = claims["jti"].as_str().expect("jti");
    assert_eq!(jti.len(), 22);

    // A token with changed claims does not verify.
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut forged_claims = claims.clone();
    forged_claims["sub"] = json!("mallory");
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).expect("json"));
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert!(jsonwebtoken::decode::<Value>(&tampered, &decoding, &validation).is_err());
    // The audience is checked.
    let mut other = Validation::new(Algorithm::RS256);
    other.set_audience(&["another-client"]);
    assert!(jsonwebtoken::decode::<Value>(id_token, &decoding, &other).is_err());
}

#[tokio::test]
async fn id_token_of_an_explicit_key_and_custom_lifetime() {
    let key = eiam_emulator::SigningKey::generate()
        .expect("key")
        .with_kid("k1");
    let env = start_with(EmulatorConfig {
        signing_key: Some(key),
        id_token_ttl: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(env.emulator().jwks()["keys"][0]["kid"], "k1");
    let (token, code) = env.login();
    let reply = env.change(&token, &code, NEW_PASSWORD).await;
    let id_token = reply.body["id_token"].as_str().expect("id_token");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.kid.as_deref(), Some("k1"));
    let set: JwkSet = serde_json::from_value(env.emulator().jwks()).expect("jwks");
    let decoding = DecodingKey::from_jwk(set.find("k1").expect("k1")).expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[CLIENT]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation)
        .expect("valid")
        .claims;
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(60)
    );
}

#[tokio::test]
async fn the_shared_key_is_shared() {
    let a = start().await;
    let b = start().await;
    assert_eq!(a.emulator().jwks(), b.emulator().jwks());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_changes_exactly_one_wins() {
    let env = start().await;
    let (token, code) = env.login();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let http = env.http.clone();
        let url = env.url(PATH);
        let h = headers(CLIENT, &token);
        let body = body(&code, &format!("New-Passw0rd{i:02}"));
        tasks.push(tokio::spawn(async move {
            let mut request = http.post(url).body(body);
            for (name, value) in &h {
                request = request.header(name.as_str(), value.as_str());
            }
            reply(request.send().await.expect("send")).await
        }));
    }
    let mut winners = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let r = task.await.expect("task");
        if r.status == 200 {
            winners.push(i);
        } else {
            r.assert_error(400, "SDK.COMMON.1005", "X-state-token has expired.");
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = format!("New-Passw0rd{:02}", winners[0]);
    assert!(env.password_is(&winner));
}
