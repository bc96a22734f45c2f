//! Running the example service on a loopback port in front of an EIAM base URL (the typed
//! mocks' server or the emulator), and calling it as its front end would.

#![allow(dead_code)]

use eiam::{Client, IdTokenVerifier};
use example_service::Service;
use serde_json::Value;

pub const CLIENT_ID: &str = "emulator-client";
pub const OS_VERSION: &str = "linux";
pub const FINGERPRINT: &str = "fp-example";
pub const AGENT: &str = "example-service-test";

/// The service, served on `127.0.0.1:0` in a task of the test's runtime.
pub struct Running {
    pub url: String,
    http: reqwest::Client,
}

/// The EIAM client the service would build from its configuration.
pub fn eiam_client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .client_id(CLIENT_ID)
        .os_version(OS_VERSION)
        .device_fingerprint(FINGERPRINT)
        .agent(AGENT)
        .allow_http_loopback(true)
        .build()
        .expect("EIAM client")
}

pub async fn start(eiam_base_url: &str) -> Running {
    let client = eiam_client(eiam_base_url);
    let verifier = IdTokenVerifier::for_client(&client)
        .build()
        .expect("verifier");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = Service::new(client, verifier).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Running {
        url,
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("HTTP client"),
    }
}

/// What the service answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

impl Running {
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            retry_after,
            body,
        }
    }
}
