//! A tiny service that changes an expired password through the `eiam` client: consumer A of
//! the build-cost benchmark (built clean in a crate of its own, with `eiam` as a path
//! dependency). The benchmark crate also compiles this file and calls `change_password`.

/// Changes the password of the login that answered `state_token`; returns the session's
/// status.
pub async fn change_password(
    base_url: &str,
    state_token: &str,
    verify_code: &str,
    new_password: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let client = eiam::Client::builder()
        .base_url(base_url)
        .allow_http_loopback(true)
        .client_id("bench-client")
        .os_version("linux-6.1")
        .device_fingerprint("b3f1c2d4e5a6978812345678")
        .agent("consumer")
        .build()?;
    let session = client
        .update_password_by_email(
            &eiam::StateToken::new(state_token),
            &eiam::VerifyCode::new(verify_code),
            &eiam::Password::new(new_password),
        )
        .await?;
    Ok(session.status().to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let base_url =
        std::env::var("EIAM_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let status = change_password(&base_url, "state-token", "482913", "N3w-Passw0rd!").await?;
    println!("{status}");
    Ok(())
}
