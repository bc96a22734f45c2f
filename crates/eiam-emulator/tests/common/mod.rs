//! Helpers shared by the HTTP tests.
#![allow(dead_code)]

use eiam_emulator::{Emulator, EmulatorConfig, NewUser, RunningEmulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const USER: &str = "alice";
pub const OLD_PASSWORD: &str = "Old-Passw0rd";
pub const NEW_PASSWORD: &str = "P@ssw0rd123";
pub const EMAIL: &str = "alice@example.com";
pub const MOBILE: &str = "+86-15907132852";
pub const CLIENT: &str = "emulator-client";
pub const PATH: &str = "/api/v2/sdk/after-login/pwd/update-by-email";

/// A running emulator with the user `alice`, and an HTTP client.
pub struct Env {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
    pub user_id: String,
}

/// A reply: status, content type and JSON body (`Value::Null` if the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    /// Asserts an error reply.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, msg: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.content_type, "application/json", "{self:?}");
        assert_eq!(
            self.body,
            json!({ "error_code": code, "error_msg": msg }),
            "{self:?}"
        );
    }
}

pub async fn start() -> Env {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(config: EmulatorConfig) -> Env {
    let running = Emulator::spawn(config).await.expect("spawn");
    let user_id = running
        .emulator()
        .add_user(NewUser {
            user_name: USER.into(),
            password: OLD_PASSWORD.into(),
            email: EMAIL.into(),
            mobile: MOBILE.into(),
            name: Some("Alice Liddell".into()),
        })
        .expect("add alice");
    Env {
        running,
        http: reqwest::Client::new(),
        user_id,
    }
}

/// The headers of a good request.
pub fn headers(client_id: &str, state_token: &str) -> Vec<(String, String)> {
    vec![
        ("X-operating-sys-version".into(), "windows10.1.1".into()),
        ("X-device-fingerprint".into(), "156aysdna213sc50".into()),
        ("X-device-ip".into(), "192.168.1.2".into()),
        (
            "X-agent".into(),
            "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X)".into(),
        ),
        ("X-client-id".into(), client_id.into()),
        ("X-state-token".into(), state_token.into()),
    ]
}

/// `headers` with one header replaced (or removed when `value` is `None`).
pub fn with_header(
    mut headers: Vec<(String, String)>,
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if let Some(v) = value {
        headers.push((name.into(), v.into()));
    }
    headers
}

pub fn body(code: &str, password: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "verify_code": code, "new_password": password })).expect("json")
}

impl Env {
    pub fn emulator(&self) -> &Emulator {
        self.running.emulator()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// An expired login of alice: (state token, code).
    pub fn login(&self) -> (String, String) {
        self.login_for(CLIENT)
    }

    pub fn login_for(&self, client_id: &str) -> (String, String) {
        let login = self
            .emulator()
            .expired_login(USER, Some(client_id))
            .expect("expired login");
        let code = self.emulator().latest_code(EMAIL).expect("code sent");
        (login.state_token, code)
    }

    pub async fn post(&self, headers: &[(String, String)], body: Vec<u8>) -> Reply {
        let mut request = self
            .http
            .post(self.url(PATH))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.expect("send");
        reply(response).await
    }

    /// A change with good headers.
    pub async fn change(&self, token: &str, code: &str, password: &str) -> Reply {
        self.post(&headers(CLIENT, token), body(code, password))
            .await
    }

    pub fn password_is(&self, password: &str) -> bool {
        self.emulator()
            .password_matches(USER, password)
            .expect("alice exists")
    }

    /// Asserts that alice's password is still the old one.
    #[track_caller]
    pub fn assert_unchanged(&self) {
        assert!(self.password_is(OLD_PASSWORD), "password changed");
        assert!(!self.password_is(NEW_PASSWORD), "password changed");
    }

    pub async fn get(&self, path: &str) -> Reply {
        let response = self.http.get(self.url(path)).send().await.expect("send");
        reply(response).await
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("body");
    Reply {
        status,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}
