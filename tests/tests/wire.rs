//! The exact request the client sends, for the vendor's example values.

use eiam::{Language, Password, StateToken, VerifyCode};
use eiam_tests::{Canned, CannedServer, vendor, vendor_client, vendor_fixture};

#[tokio::test]
async fn update_by_email_request_matches_the_snapshot() {
    let server = CannedServer::start(Canned::json(200, vendor_fixture("success-200.json")))
        .await
        .expect("start server");
    let client = vendor_client(&server.base_url())
        .language(Language::Chinese)
        .build()
        .expect("client");
    client
        .update_password_by_email(
            &StateToken::new(vendor::STATE_TOKEN),
            &VerifyCode::new(vendor::VERIFY_CODE),
            &Password::new(vendor::NEW_PASSWORD),
        )
        .await
        .expect("vendor success example decodes");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one request, no retry");
    insta::assert_snapshot!("update_by_email_request", requests[0].render());
}

#[tokio::test]
async fn request_body_is_the_vendors_example() {
    let server = CannedServer::start(Canned::json(200, vendor_fixture("success-200.json")))
        .await
        .expect("start server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    client
        .update_password_by_email(
            &StateToken::new(vendor::STATE_TOKEN),
            &VerifyCode::new(vendor::VERIFY_CODE),
            &Password::new(vendor::NEW_PASSWORD),
        )
        .await
        .expect("call");
    let sent: serde_json::Value =
        serde_json::from_slice(&server.requests()[0].body).expect("json body");
    let documented: serde_json::Value =
        serde_json::from_slice(&vendor_fixture("request.json")).expect("fixture");
    assert_eq!(sent, documented);
}

#[tokio::test]
async fn optional_headers_are_left_out_when_not_configured() {
    let server = CannedServer::start(Canned::json(200, vendor_fixture("success-200.json")))
        .await
        .expect("start server");
    let client = eiam::Client::builder()
        .base_url(server.base_url())
        .allow_http_loopback(true)
        .client_id("c")
        .os_version("o")
        .device_fingerprint("f")
        .agent("a")
        .build()
        .expect("client");
    client
        .update_password_by_email(
            &StateToken::new("s"),
            &VerifyCode::new("1"),
            &Password::new("p"),
        )
        .await
        .expect("call");
    let headers = &server.requests()[0].headers;
    for absent in ["x-device-ip", "x-l", "x-tenant-id"] {
        assert!(headers.get(absent).is_none(), "{absent} sent");
    }
    assert_eq!(headers["x-client-id"], "c");
    assert_eq!(headers["x-state-token"], "s");
}

#[tokio::test]
async fn tenant_id_is_sent_when_configured() {
    let server = CannedServer::start(Canned::json(200, vendor_fixture("success-200.json")))
        .await
        .expect("start server");
    let client = vendor_client(&server.base_url())
        .tenant_id("tenant-42")
        .build()
        .expect("client");
    client
        .update_password_by_email(
            &StateToken::new("s"),
            &VerifyCode::new("1"),
            &Password::new("p"),
        )
        .await
        .expect("call");
    assert_eq!(server.requests()[0].headers["x-tenant-id"], "tenant-42");
}
