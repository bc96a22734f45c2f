//! The vendor's documented answers, byte for byte, decode to the right values; and the
//! spec's `examples` are those same documents.

use eiam::{ErrorCode, ExposeSecret, Password, SessionStatus, StateToken, VerifyCode};
use eiam_tests::{Canned, CannedServer, repo_file, vendor_client, vendor_fixture};
use serde_json::Value;

async fn call_against(canned: Canned) -> Result<eiam::Session, eiam::Error> {
    let server = CannedServer::start(canned).await.expect("start server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    client
        .update_password_by_email(
            &StateToken::new("st"),
            &VerifyCode::new("1234"),
            &Password::new("P@ssw0rd123"),
        )
        .await
}

#[tokio::test]
async fn documented_success_decodes_to_a_session() {
    let body = vendor_fixture("success-200.json");
    let documented: Value = serde_json::from_slice(&body).expect("fixture is JSON");
    let session = call_against(Canned::json(200, body))
        .await
        .expect("success");
    assert_eq!(session.status(), &SessionStatus::Success);
    assert_eq!(session.expires_in(), std::time::Duration::from_secs(43200));
    assert_eq!(
        session.session_token().expose_secret(),
        "LGTiTNVDFPlpefV3F3Hla7RUFTqInsqa"
    );
    assert_eq!(
        session.id_token().map(|t| t.expose_secret().to_owned()),
        documented["id_token"].as_str().map(str::to_owned)
    );
}

#[tokio::test]
async fn documented_error_decodes_to_a_typed_api_error() {
    let err = call_against(Canned::json(400, vendor_fixture("error-400.json")))
        .await
        .expect_err("error");
    let api = err.api().expect("an API error");
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.code, ErrorCode::ParameterBlank);
    assert_eq!(api.code.as_str(), "SDK.COMMON.1001");
    assert_eq!(api.message, "Parameter X-client-id cannot be left blank.");
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "the service refused the call: SDK.COMMON.1001 (HTTP 400): Parameter X-client-id cannot be left blank."
    );
}

fn spec() -> Value {
    let text = std::fs::read_to_string(repo_file("openapi/eiam.yaml")).expect("spec");
    xtask::Spec::parse(&text).expect("valid spec").raw().clone()
}

#[test]
fn spec_examples_are_the_vendors_documents() {
    let spec = spec();
    let op = &spec["paths"]["/api/v2/sdk/after-login/pwd/update-by-email"]["post"];
    let fixture = |name: &str| -> Value {
        serde_json::from_slice(&vendor_fixture(name)).expect("fixture is JSON")
    };
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["examples"]["vendor"]["value"],
        fixture("request.json")
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["examples"]["vendor"]["value"],
        fixture("success-200.json")
    );
    assert_eq!(
        spec["components"]["responses"]["ClientError"]["content"]["application/json"]["examples"]["vendor"]
            ["value"],
        fixture("error-400.json")
    );
}

#[test]
fn every_documented_error_code_has_a_typed_kind() {
    let codes = [
        "SDK.COMMON.1001",
        "SDK.COMMON.1002",
        "SDK.COMMON.1003",
        "SDK.COMMON.1004",
        "SDK.COMMON.1005",
        "SDK.COMMON.1006",
        "SDK.COMMON.1007",
        "SDK.COMMON.1008",
        "SDK.COMMON.1009",
        "SDK.COMMON.1010",
        "SDK.COMMON.1011",
        "SDK.COMMON.1012",
        "SDK.COMMON.1013",
        "SDK.COMMON.1014",
        "SDK.LOGIN.1001",
        "SDK.LOGIN.1002",
        "SDK.LOGIN.1003",
        "SDK.LOGIN.1004",
    ];
    let spec = spec();
    let described =
        spec["components"]["schemas"]["Error"]["properties"]["error_code"]["description"]
            .as_str()
            .expect("description");
    let mut kinds = std::collections::HashSet::new();
    for code in codes {
        let typed = ErrorCode::parse(code);
        assert!(!matches!(typed, ErrorCode::Other(_)), "{code} is not typed");
        assert_eq!(typed.as_str(), code, "round trip");
        assert!(described.contains(code), "{code} missing from the spec");
        assert!(kinds.insert(typed), "{code} shares a kind");
    }
    assert_eq!(
        ErrorCode::parse("SDK.PWD.9999"),
        ErrorCode::Other("SDK.PWD.9999".into())
    );
    assert_eq!(ErrorCode::parse("SDK.PWD.9999").as_str(), "SDK.PWD.9999");
}
