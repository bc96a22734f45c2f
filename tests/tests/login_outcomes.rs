//! Every outcome of a login, from the documented answers and from the spec's examples.

use eiam::{Error, ExposeSecret, LoginOutcome, Password, SessionStatus};
use eiam_tests::{Canned, CannedServer, repo_file, vendor_client};
use serde_json::Value;

async fn login_answering(body: &str) -> Result<LoginOutcome, Error> {
    let server = CannedServer::start(Canned::json(200, body.as_bytes().to_vec()))
        .await
        .expect("server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    client
        .login("zhangsan", &Password::new("P@ssw0rd123"))
        .await
}

fn spec_example(name: &str) -> String {
    let text = std::fs::read_to_string(repo_file("openapi/eiam.yaml")).expect("spec");
    let spec = xtask::Spec::parse(&text).expect("valid spec");
    let example: &Value = &spec.raw()["paths"]["/api/v2/sdk/login"]["post"]["responses"]["200"]["content"]
        ["application/json"]["examples"][name]["value"];
    assert!(example.is_object(), "no example {name}");
    example.to_string()
}

#[tokio::test]
async fn success_is_a_session() {
    match login_answering(&spec_example("success"))
        .await
        .expect("outcome")
    {
        LoginOutcome::SignedIn(session) => {
            assert_eq!(session.status(), &SessionStatus::Success);
            assert_eq!(session.expires_in().as_secs(), 604800);
            assert!(session.id_token().is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn password_warn_carries_the_token_and_the_policy() {
    match login_answering(&spec_example("password_warn"))
        .await
        .expect("outcome")
    {
        LoginOutcome::PasswordExpiring(expiring) => {
            assert!(expiring.state_token().expose_secret().starts_with("eyJ"));
            let policy = expiring.policy().expect("the vendor's policy parses");
            assert_eq!(
                (policy.min_length(), policy.max_length()),
                (Some(8), Some(18))
            );
            assert!(policy.pattern_checked(), "the vendor's Java regex compiles");
            assert!(
                expiring
                    .check_new_password(&Password::new("P@ssw0rd123"))
                    .is_ok()
            );
            let err = expiring
                .check_new_password(&Password::new("password"))
                .expect_err("one class only");
            assert_eq!(err.kind(), "password_policy");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn password_expired_carries_the_token() {
    let body = r#"{"status":"PASSWORD_EXPIRED","state_token":"st-x","data":"{\"minLength\":8,\"maxLength\":18}"}"#;
    match login_answering(body).await.expect("outcome") {
        LoginOutcome::PasswordExpired(expired) => {
            assert_eq!(expired.state_token().expose_secret(), "st-x");
            let err = expired
                .check_new_password(&Password::new("short"))
                .expect_err("too short");
            assert!(err.to_string().contains("at least 8"), "{err}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn mfa_access_denied_and_unknown_statuses() {
    let mfa = login_answering(r#"{"status":"MFA_AUTH","state_token":"st-m"}"#).await;
    assert!(
        matches!(mfa, Ok(LoginOutcome::SecondFactorRequired(_))),
        "{mfa:?}"
    );
    let denied = login_answering(r#"{"status":"ACCESS_DENIED"}"#).await;
    assert!(
        matches!(denied, Ok(LoginOutcome::AccessDenied)),
        "{denied:?}"
    );
    match login_answering(r#"{"status":"NEW_THING","state_token":"st-n"}"#).await {
        Ok(LoginOutcome::Unknown {
            status,
            state_token,
        }) => {
            assert_eq!(status, "NEW_THING");
            assert_eq!(
                state_token.map(|t| t.expose_secret().to_owned()),
                Some("st-n".into())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_expired_status_without_a_state_token_is_unexpected() {
    let err = login_answering(r#"{"status":"PASSWORD_EXPIRED"}"#)
        .await
        .expect_err("no token to continue with");
    assert_eq!(err.kind(), "unexpected_response");
    assert!(err.to_string().contains("without a state_token"), "{err}");
}

#[tokio::test]
async fn unusable_policy_data_is_reported_not_guessed() {
    let body = r#"{"status":"PASSWORD_EXPIRED","state_token":"st","data":"not json"}"#;
    match login_answering(body).await.expect("outcome") {
        LoginOutcome::PasswordExpired(expired) => {
            assert!(expired.policy().is_none());
            assert!(expired.policy_error().is_some());
            // Without a usable policy the server is the only judge.
            assert!(expired.check_new_password(&Password::new("x")).is_ok());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_login_debug_output_has_no_secret() {
    let body = r#"{"status":"PASSWORD_EXPIRED","state_token":"st-secret-123","data":"{}"}"#;
    let outcome = login_answering(body).await.expect("outcome");
    let printed = format!("{outcome:?}");
    assert!(!printed.contains("st-secret-123"), "{printed}");
}
