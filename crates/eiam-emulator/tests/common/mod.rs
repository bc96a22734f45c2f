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
    /// The body as received (lossy UTF-8).
    pub raw: String,
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
        raw: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The device headers of a good request, without a token header.
pub fn device_headers(client_id: &str) -> Vec<(String, String)> {
    with_header(headers(client_id, ""), "X-state-token", None)
}

impl Reply {
    /// Asserts HTTP 200 with a JSON body, and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &serde_json::Map<String, Value> {
        assert_eq!(self.status.as_u16(), 200, "{self:?}");
        assert_eq!(self.content_type, "application/json", "{self:?}");
        self.body.as_object().expect("a JSON object")
    }

    /// A string field of the body.
    #[track_caller]
    pub fn str(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field} in {self:?}"))
            .to_owned()
    }

    /// The sorted field names of the body.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .body
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }
}

impl Env {
    /// A call with any method, path, headers and raw body.
    pub async fn call_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        reply(request.send().await.expect("send")).await
    }

    /// A POST of a JSON body.
    pub async fn post_to(&self, path: &str, headers: &[(String, String)], body: Value) -> Reply {
        let body = serde_json::to_vec(&body).expect("json");
        self.call_raw(reqwest::Method::POST, path, headers, Some(body))
            .await
    }

    /// A GET.
    pub async fn get_with(&self, path: &str, headers: &[(String, String)]) -> Reply {
        self.call_raw(reqwest::Method::GET, path, headers, None)
            .await
    }

    /// `POST /api/v2/sdk/login` with good headers.
    pub async fn login_http(&self, user: &str, password: &str) -> Reply {
        self.post_to(
            "/api/v2/sdk/login",
            &device_headers(CLIENT),
            json!({ "user_name": user, "password": password }),
        )
        .await
    }

    /// A login of alice answering `status`: its state token.
    pub async fn state_token(&self, expiry: eiam_emulator::PasswordExpiry, status: &str) -> String {
        self.emulator().set_expiry(USER, expiry).expect("alice");
        let reply = self.login_http(USER, OLD_PASSWORD).await;
        assert_eq!(reply.body["status"], status, "{reply:?}");
        reply.str("state_token")
    }

    /// A new captcha's token.
    pub async fn new_captcha(&self) -> String {
        self.get_with("/api/v2/sdk/captcha", &device_headers(CLIENT))
            .await
            .str("token")
    }

    /// `POST /api/v2/sdk/captcha/verify` with good headers.
    pub async fn verify_captcha(&self, token: &str, x: f64, sender: &str) -> Reply {
        let point_json = serde_json::to_string(&json!({ "x": x, "y": 5.0 })).expect("json");
        self.post_to(
            "/api/v2/sdk/captcha/verify",
            &device_headers(CLIENT),
            json!({ "point_json": point_json, "token": token, "sender": sender }),
        )
        .await
    }

    /// A solved captcha's `captcha_token` for `sender`.
    pub async fn captcha_token(&self, sender: &str) -> String {
        let token = self.new_captcha().await;
        let x = self.emulator().captcha_answer(&token).expect("answer");
        self.verify_captcha(&token, x, sender)
            .await
            .str("captcha_token")
    }

    /// `POST /api/v2/sdk/email/send` or `/sms/send` with good headers: `field` is `email`
    /// or `mobile`.
    pub async fn send_code(&self, field: &str, to: &str, kind: &str, captcha: &str) -> Reply {
        let path = if field == "email" {
            "/api/v2/sdk/email/send"
        } else {
            "/api/v2/sdk/sms/send"
        };
        self.post_to(
            path,
            &device_headers(CLIENT),
            json!({ field: to, "type": kind, "captcha_token": captcha }),
        )
        .await
    }

    /// Sends alice a code by the real calls (captcha, verify, send) and returns it.
    pub async fn code_by(&self, field: &str, kind: &str) -> String {
        let to = if field == "email" { EMAIL } else { MOBILE };
        let captcha = self.captcha_token(to).await;
        let reply = self.send_code(field, to, kind, &captcha).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        self.emulator().latest_code(to).expect("code sent")
    }
}

/// A request outside `Env` (for spawned tasks): method, URL, headers, JSON body.
pub async fn request(
    http: reqwest::Client,
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
) -> Reply {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    reply(request.send().await.expect("send")).await
}

/// The claims of a JWT, decoded without verifying it.
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}
