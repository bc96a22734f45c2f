//! A tiny service that changes an expired password with reqwest and serde by hand: consumer
//! B of the build-cost benchmark (reqwest with the same features as the SDK's: `rustls`,
//! `json`). The benchmark crate also compiles this file and calls `change_password`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct ChangeRequest<'a> {
    verify_code: &'a str,
    new_password: &'a str,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SessionResponse {
    status: String,
    expire: Option<i64>,
    session_token: Option<String>,
    id_token: Option<String>,
}

/// Changes the password of the login that answered `state_token`; returns the session's
/// status.
pub async fn change_password(
    base_url: &str,
    state_token: &str,
    verify_code: &str,
    new_password: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let session: SessionResponse = client
        .post(format!(
            "{base_url}/api/v2/sdk/after-login/pwd/update-by-email"
        ))
        .header("X-client-id", "bench-client")
        .header("X-operating-sys-version", "linux-6.1")
        .header("X-device-fingerprint", "b3f1c2d4e5a6978812345678")
        .header("X-agent", "consumer")
        .header("X-state-token", state_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&ChangeRequest {
            verify_code,
            new_password,
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(session.status)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let base_url =
        std::env::var("EIAM_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let status = change_password(&base_url, "state-token", "482913", "N3w-Passw0rd!").await?;
    println!("{status}");
    Ok(())
}
