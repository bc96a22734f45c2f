//! The exact request of every call of the password-expiry flow, as insta snapshots, and the
//! decoding of the documented answers of those calls.

use eiam::{
    CodeType, ExposeSecret, Language, LoginOutcome, Password, SessionToken, StateToken, VerifyCode,
};
use eiam_tests::{Canned, CannedServer, Recorded, vendor, vendor_client};

const SESSION: &str = r#"{"status":"SUCCESS","expire":43200,"session_token":"LGTiTNVDFPlpefV3F3Hla7RUFTqInsqa","id_token":"eyJ.e30.sig"}"#;

/// Runs `call` against a server answering `answer`, and returns the one request it sent.
async fn sent<F, Fut, T>(answer: Canned, call: F) -> (Recorded, T)
where
    F: FnOnce(eiam::Client) -> Fut,
    Fut: Future<Output = T>,
{
    let server = CannedServer::start(answer).await.expect("server");
    let client = vendor_client(&server.base_url())
        .language(Language::English)
        .build()
        .expect("client");
    let out = call(client).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one request");
    (requests[0].clone(), out)
}

fn state() -> StateToken {
    StateToken::new(vendor::STATE_TOKEN)
}

#[tokio::test]
async fn login() {
    let answer = r#"{"status":"PASSWORD_EXPIRED","state_token":"st-1","data":"{\"minLength\":8,\"maxLength\":18}"}"#;
    let (request, outcome) = sent(Canned::json(200, answer), |c| async move {
        c.login("zhangsan", &Password::new("P@ssw0rd123")).await
    })
    .await;
    insta::assert_snapshot!("login", request.render());
    match outcome.expect("outcome") {
        LoginOutcome::PasswordExpired(expired) => {
            assert_eq!(expired.state_token().expose_secret(), "st-1");
            let policy = expired.policy().expect("policy");
            assert_eq!(
                (policy.min_length(), policy.max_length()),
                (Some(8), Some(18))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_captcha() {
    let answer = r#"{"token":"cap-1","originalImageBase64":"iVBORw0KGgo=","jigsawImageBase64":"iVBORw0KGgo=","secretKey":null,"result":null,"repCode":"0000"}"#;
    let (request, captcha) = sent(
        Canned::json(200, answer),
        |c| async move { c.captcha().await },
    )
    .await;
    insta::assert_snapshot!("get_captcha", request.render());
    let captcha = captcha.expect("captcha");
    assert_eq!(captcha.token(), "cap-1");
    assert_eq!(captcha.background_png_base64(), Some("iVBORw0KGgo="));
}

#[tokio::test]
async fn verify_captcha() {
    let captcha_json = r#"{"token":"7d3b3c2ab2a5454e9aa0e3be7c0e2a1f"}"#;
    let server = CannedServer::start(Canned::json(200, captcha_json))
        .await
        .expect("server");
    let client = vendor_client(&server.base_url()).build().expect("client");
    let captcha = client.captcha().await.expect("captcha");
    let answer =
        r#"{"captcha_token":"7d3b3c2ab2a5454e9aa0e3be7c0e2a1f---{\"x\":237.0,\"y\":5.0}"}"#;
    let (request, token) = sent(Canned::json(200, answer), |c| async move {
        c.verify_captcha(&captcha, 237.0, "15201657124").await
    })
    .await;
    insta::assert_snapshot!("verify_captcha", request.render());
    assert_eq!(
        token.expect("token").expose_secret(),
        r#"7d3b3c2ab2a5454e9aa0e3be7c0e2a1f---{"x":237.0,"y":5.0}"#
    );
}

#[tokio::test]
async fn send_email_code() {
    let empty = Canned {
        body: Vec::new(),
        ..Canned::json(200, "")
    };
    let (request, result) = sent(empty, |c| async move {
        let token = eiam::CaptchaToken::new("cap---{\"x\":1.0,\"y\":5.0}");
        c.send_code(
            &CodeType::ChangePasswordEmail,
            "zhangsan@example.com",
            &token,
        )
        .await
    })
    .await;
    insta::assert_snapshot!("send_email_code", request.render());
    result.expect("an empty 200 is success");
}

#[tokio::test]
async fn send_sms_code() {
    let empty = Canned {
        body: Vec::new(),
        ..Canned::json(200, "")
    };
    let (request, result) = sent(empty, |c| async move {
        let token = eiam::CaptchaToken::new("cap---{\"x\":1.0,\"y\":5.0}");
        c.send_code(&CodeType::ChangePasswordSms, "+86-15201657124", &token)
            .await
    })
    .await;
    insta::assert_snapshot!("send_sms_code", request.render());
    result.expect("an empty 200 is success");
}

#[tokio::test]
async fn mobile_by_state_token() {
    let (request, mobile) = sent(
        Canned::json(200, r#"{"mobile":"+86-15201657124"}"#),
        |c| async move { c.mobile_by_state_token(&state()).await },
    )
    .await;
    insta::assert_snapshot!("mobile_by_state_token", request.render());
    assert_eq!(mobile.expect("mobile"), "+86-15201657124");
}

#[tokio::test]
async fn update_password() {
    let (request, session) = sent(Canned::json(200, SESSION), |c| async move {
        c.update_password(
            &state(),
            &Password::new("Old@ssw0rd1"),
            &Password::new("P@ssw0rd123"),
        )
        .await
    })
    .await;
    insta::assert_snapshot!("update_password", request.render());
    assert_eq!(session.expect("session").expires_in().as_secs(), 43200);
}

#[tokio::test]
async fn update_password_by_mobile() {
    let (request, session) = sent(Canned::json(200, SESSION), |c| async move {
        c.update_password_by_mobile(
            &state(),
            &VerifyCode::new("123456"),
            &Password::new("P@ssw0rd123"),
        )
        .await
    })
    .await;
    insta::assert_snapshot!("update_password_by_mobile", request.render());
    session.expect("session");
}

#[tokio::test]
async fn skip_password_update() {
    let (request, session) = sent(Canned::json(200, SESSION), |c| async move {
        eiam::ExpiringPassword::resume(c, state()).skip().await
    })
    .await;
    insta::assert_snapshot!("skip_password_update", request.render());
    session.expect("session");
}

#[tokio::test]
async fn refresh_id_token() {
    let answer = r#"{"session_token":"rotated-session","expire":604800,"id_token":"eyJ.new.sig"}"#;
    let (request, session) = sent(Canned::json(200, answer), |c| async move {
        c.refresh_id_token(&SessionToken::new("LGTiTNVDFPlpefV3F3Hla7RUFTqInsqa"))
            .await
    })
    .await;
    insta::assert_snapshot!("refresh_id_token", request.render());
    let session = session.expect("session");
    assert_eq!(session.session_token().expose_secret(), "rotated-session");
    assert_eq!(session.expires_in().as_secs(), 604800);
}
