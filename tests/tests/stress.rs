//! The emulator under stress and abuse, through the public client and through raw TCP:
//! races on one state token, many concurrent full flows, hostile requests (never a 500,
//! the server keeps serving), and brute force limited per user.
//!
//! Every load here goes to 127.0.0.1 only, is bounded in count (and each flow in time),
//! and ends by itself.

use std::sync::Arc;
use std::time::Duration;

use eiam::{Client, Error, ErrorCode, ExposeSecret, LoginOutcome, Password, VerifyCode};
use eiam_emulator::{
    Emulator, EmulatorConfig, NewUser, PasswordExpiry, RunningEmulator, UserOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OLD: &str = "Old-Passw0rd";

fn new_user(name: &str, i: usize) -> NewUser {
    NewUser {
        user_name: name.into(),
        password: OLD.into(),
        email: format!("{name}@example.com"),
        mobile: format!("+86-159{i:08}"),
        name: Some(name.into()),
    }
}

async fn emulator() -> (RunningEmulator, Client) {
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = Client::builder()
        .base_url(running.base_url())
        .allow_http_loopback(true)
        .client_id(eiam_emulator::DEFAULT_CLIENT_ID)
        .os_version("linux6")
        .device_fingerprint("fp-stress")
        .agent("eiam-stress")
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    (running, client)
}

fn add(running: &RunningEmulator, name: &str, i: usize, expiry: PasswordExpiry) {
    running
        .emulator()
        .add_user_with(new_user(name, i), UserOptions::default().expiry(expiry))
        .expect("user");
}

fn code_of(err: &Error) -> &str {
    err.code().map_or("(none)", ErrorCode::as_str)
}

// ---------------------------------------------------------------------------------------
// Races

const RACERS: usize = 64;

/// `RACERS` changes with one state token, through the public client: exactly one wins, the
/// others find the token used (`SDK.COMMON.1005`), the stored password is the winner's, the
/// previous one is in the history, and the winner's session works.
async fn race(by_code: bool) {
    let (running, client) = emulator().await;
    add(&running, "bob", 1, PasswordExpiry::Expired);
    let expired = match client
        .login("bob", &Password::new(OLD))
        .await
        .expect("login")
    {
        LoginOutcome::PasswordExpired(expired) => Arc::new(expired),
        other => panic!("{other:?}"),
    };
    if by_code {
        running
            .emulator()
            .send_change_pwd_code("bob")
            .expect("code");
    }
    let code = VerifyCode::new(
        running
            .emulator()
            .latest_code("bob@example.com")
            .unwrap_or_default(),
    );
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let (expired, code) = (expired.clone(), code.clone());
        let password = format!("Race-Passw0rd-{i}");
        calls.spawn(async move {
            let new = Password::new(password.as_str());
            let result = if by_code {
                expired.change_with_email_code(&code, &new).await
            } else {
                expired
                    .change_with_old_password(&Password::new(OLD), &new)
                    .await
            };
            (password, result)
        });
    }
    let results = calls.join_all().await;
    let winners: Vec<_> = results.iter().filter(|(_, r)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "{} winners", winners.len());
    let (winner, session) = winners[0];
    for (_, r) in &results {
        if let Err(e) = r {
            assert_eq!(e.code(), Some(&ErrorCode::Expired), "{e}");
        }
    }
    let emulator = running.emulator();
    assert_eq!(emulator.password_matches("bob", winner).ok(), Some(true));
    for (password, _) in &results {
        if password != winner {
            assert_eq!(emulator.password_matches("bob", password).ok(), Some(false));
        }
    }
    // Nothing half-written: the old password is history (a change back is refused), the
    // winner's session works, and the winner's password signs in.
    let session = session.as_ref().expect("winner");
    client
        .refresh_id_token(session.session_token())
        .await
        .expect("the winner's session works");
    match client.login("bob", &Password::new(winner.as_str())).await {
        Ok(LoginOutcome::SignedIn(_)) => {}
        other => panic!("{other:?}"),
    }
    running
        .emulator()
        .set_expiry("bob", PasswordExpiry::Expired)
        .expect("expiry");
    let LoginOutcome::PasswordExpired(again) = client
        .login("bob", &Password::new(winner.as_str()))
        .await
        .expect("login")
    else {
        panic!("expected PASSWORD_EXPIRED");
    };
    let err = again
        .change_with_old_password(&Password::new(winner.as_str()), &Password::new(OLD))
        .await
        .expect_err("the old password is in the history");
    assert_eq!(err.code(), Some(&ErrorCode::ParameterFormat), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_code_changes_with_one_token_let_exactly_one_win() {
    race(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_racing_old_password_changes_with_one_token_let_exactly_one_win() {
    race(false).await;
}

/// Changes and skips of one `PASSWORD_WARN` token racing: one of them wins; after a winning
/// skip the password is unchanged, after a winning change it is the winner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_skips_and_changes_with_one_token_let_exactly_one_win() {
    let (running, client) = emulator().await;
    add(&running, "eve", 2, PasswordExpiry::Expiring);
    let expiring = match client
        .login("eve", &Password::new(OLD))
        .await
        .expect("login")
    {
        LoginOutcome::PasswordExpiring(expiring) => Arc::new(expiring),
        other => panic!("{other:?}"),
    };
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let expiring = expiring.clone();
        calls.spawn(async move {
            if i % 2 == 0 {
                (None, expiring.skip().await)
            } else {
                let password = format!("Race-Passw0rd-{i}");
                let result = expiring
                    .change_with_old_password(
                        &Password::new(OLD),
                        &Password::new(password.as_str()),
                    )
                    .await;
                (Some(password), result)
            }
        });
    }
    let results = calls.join_all().await;
    let winners: Vec<_> = results.iter().filter(|(_, r)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1);
    let expected = winners[0].0.clone().unwrap_or_else(|| OLD.to_owned());
    assert_eq!(
        running.emulator().password_matches("eve", &expected).ok(),
        Some(true)
    );
    for (_, r) in &results {
        if let Err(e) = r {
            assert_eq!(e.code(), Some(&ErrorCode::Expired), "{e}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Load

const USERS: usize = 48;
const CONCURRENCY: usize = 12;

/// One user's whole flow, by the path `i % 3` chooses: e-mail code, old password, or
/// (for an expiring password) skip. Returns the password the user ends with.
async fn full_flow(
    client: Client,
    emulator: Emulator,
    name: String,
    i: usize,
) -> Result<String, String> {
    let e = |step: &str, err: Error| format!("{name}: {step}: {err}");
    let new = format!("Load-Passw0rd-{i}");
    match client.login(&name, &Password::new(OLD)).await {
        Ok(LoginOutcome::PasswordExpired(expired)) if i.is_multiple_of(3) => {
            let email = format!("{name}@example.com");
            let captcha = client.captcha().await.map_err(|x| e("captcha", x))?;
            let x = emulator
                .captcha_answer(captcha.token())
                .ok_or_else(|| format!("{name}: no captcha answer"))?;
            let token = client
                .verify_captcha(&captcha, x, &email)
                .await
                .map_err(|x| e("verify", x))?;
            expired
                .send_email_code(&email, &token)
                .await
                .map_err(|x| e("send", x))?;
            let code = emulator
                .latest_code(&email)
                .ok_or_else(|| format!("{name}: no code"))?;
            expired
                .change_with_email_code(&VerifyCode::new(code), &Password::new(new.as_str()))
                .await
                .map_err(|x| e("change", x))?;
        }
        Ok(LoginOutcome::PasswordExpired(expired)) => {
            expired
                .change_with_old_password(&Password::new(OLD), &Password::new(new.as_str()))
                .await
                .map_err(|x| e("change", x))?;
        }
        Ok(LoginOutcome::PasswordExpiring(expiring)) => {
            expiring.skip().await.map_err(|x| e("skip", x))?;
            return Ok(OLD.to_owned());
        }
        other => return Err(format!("{name}: unexpected login {other:?}")),
    }
    match client.login(&name, &Password::new(new.as_str())).await {
        Ok(LoginOutcome::SignedIn(session)) => {
            client
                .refresh_id_token(session.session_token())
                .await
                .map_err(|x| e("refresh", x))?;
            Ok(new)
        }
        other => Err(format!("{name}: login after the change: {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_full_flows_for_many_users_all_end_as_expected() {
    let (running, client) = emulator().await;
    for i in 0..USERS {
        let expiry = if i % 3 == 2 {
            PasswordExpiry::Expiring
        } else {
            PasswordExpiry::Expired
        };
        add(&running, &format!("user{i}"), 100 + i, expiry);
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut flows = tokio::task::JoinSet::new();
    for i in 0..USERS {
        let (client, emulator, limit) = (client.clone(), running.emulator().clone(), limit.clone());
        flows.spawn(async move {
            let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
            let flow = full_flow(client, emulator, format!("user{i}"), i);
            tokio::time::timeout(Duration::from_secs(60), flow)
                .await
                .map_err(|_| format!("user{i}: flow did not end in 60 s"))?
                .map(|password| (i, password))
        });
    }
    let results = flows.join_all().await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(results.len(), USERS);
    // Counts after: every user has the expected password; one e-mail per e-mail flow.
    let emulator = running.emulator();
    for (i, password) in results.into_iter().flatten() {
        assert_eq!(
            emulator
                .password_matches(&format!("user{i}"), &password)
                .ok(),
            Some(true),
            "user{i}"
        );
    }
    let by_email = (0..USERS).filter(|i| i % 3 == 0).count();
    assert_eq!(emulator.outbox().len(), by_email);
    // And the server still answers.
    client.captcha().await.expect("still serving");
}

// ---------------------------------------------------------------------------------------
// Hostile requests, over raw TCP

/// Sends `request` as is and returns the status and body of the answer, or `None` if the
/// server closed without one.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> Option<(u16, String)> {
    let mut socket = tokio::net::TcpStream::connect(addr).await.ok()?;
    // A server may answer and close before reading all of a huge body.
    let _ = socket.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer));
    let _ = read.await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

fn request(method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n")
        .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

const DEVICE: [(&str, &[u8]); 4] = [
    ("X-operating-sys-version", b"linux6"),
    ("X-device-fingerprint", b"fp"),
    ("X-agent", b"raw"),
    ("X-client-id", b"emulator-client"),
];

fn with(extra: &[(&'static str, &'static [u8])]) -> Vec<(&'static str, &'static [u8])> {
    let mut headers: Vec<(&str, &[u8])> = DEVICE
        .iter()
        .filter(|(n, _)| !extra.iter().any(|(e, _)| e.eq_ignore_ascii_case(n)))
        .copied()
        .collect();
    headers.extend_from_slice(extra);
    headers
}

const LOGIN: &str = "/api/v2/sdk/login";
const CHANGE: &str = "/api/v2/sdk/after-login/pwd/update-by-email";

/// Each case: a name, the raw request, the expected status, and the expected `error_code`
/// (`None`: the HTTP layer answers, without the API's error body).
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    status: u16,
    code: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let login_body = br#"{"user_name":"bob","password":"x"}"#;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut chunked_huge = format!(
        "POST {LOGIN} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n"
    )
    .into_bytes();
    for (n, v) in DEVICE {
        chunked_huge.extend_from_slice(format!("{n}: ").as_bytes());
        chunked_huge.extend_from_slice(v);
        chunked_huge.extend_from_slice(b"\r\n");
    }
    chunked_huge.extend_from_slice(b"\r\n");
    for _ in 0..20 {
        chunked_huge.extend_from_slice(format!("{:x}\r\n", 8192).as_bytes());
        chunked_huge.extend(std::iter::repeat_n(b' ', 8192));
        chunked_huge.extend_from_slice(b"\r\n");
    }
    chunked_huge.extend_from_slice(b"0\r\n\r\n");
    let mut announced_huge =
        format!("POST {LOGIN} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n").into_bytes();
    for (n, v) in DEVICE {
        announced_huge.extend_from_slice(format!("{n}: ").as_bytes());
        announced_huge.extend_from_slice(v);
        announced_huge.extend_from_slice(b"\r\n");
    }
    announced_huge.extend_from_slice(b"content-length: 10000000000\r\n\r\n{\"user_name\":");
    // The emulator reads up to its limit, then answers: send more than the limit.
    announced_huge.extend(std::iter::repeat_n(b' ', 200 * 1024));
    vec![
        Case {
            name: "malformed JSON",
            bytes: request("POST", LOGIN, &DEVICE, br#"{"user_name":"bob","#),
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "JSON nested 100000 deep",
            bytes: request("POST", LOGIN, &DEVICE, deep.as_bytes()),
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "invalid UTF-8 in the body",
            bytes: request(
                "POST",
                LOGIN,
                &DEVICE,
                b"{\"user_name\":\"b\xffob\",\"password\":\"x\"}",
            ),
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "wrong types",
            bytes: request(
                "POST",
                LOGIN,
                &DEVICE,
                br#"{"user_name":["bob"],"password":1e999}"#,
            ),
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "an array instead of an object",
            bytes: request("POST", LOGIN, &DEVICE, br#"[{"user_name":"bob"}]"#),
            status: 400,
            code: Some("SDK.COMMON.1007"),
        },
        Case {
            name: "a chunked body past the limit",
            bytes: chunked_huge,
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "a Content-Length of 10 GB, the body streaming past the limit",
            bytes: announced_huge,
            status: 400,
            code: Some("SDK.COMMON.1002"),
        },
        Case {
            name: "no headers at all",
            bytes: request("POST", LOGIN, &[], login_body),
            status: 400,
            code: Some("SDK.COMMON.1001"),
        },
        Case {
            name: "an unknown client id",
            bytes: request(
                "POST",
                LOGIN,
                &with(&[("X-client-id", b"nobody")]),
                login_body,
            ),
            status: 400,
            code: Some("SDK.COMMON.1012"),
        },
        Case {
            name: "a client id of non-ASCII bytes",
            bytes: request(
                "POST",
                LOGIN,
                &with(&[("X-client-id", b"emulator-client\xff\xfe")]),
                login_body,
            ),
            status: 400,
            code: Some("SDK.COMMON.1012"),
        },
        Case {
            name: "an agent of non-ASCII bytes and a tab",
            bytes: request(
                "POST",
                LOGIN,
                &with(&[("X-agent", b"\x80\x81\tMozilla\xc3\x28")]),
                login_body,
            ),
            status: 400,
            code: Some("LOGIN.0002"),
        },
        Case {
            name: "X-L of odd bytes falls back to English",
            bytes: request(
                "POST",
                LOGIN,
                &with(&[("X-L", b"\xe4\xb8\xad\xff")]),
                login_body,
            ),
            status: 400,
            code: Some("LOGIN.0002"),
        },
        Case {
            name: "a state token of odd bytes",
            bytes: request(
                "POST",
                CHANGE,
                &with(&[("X-state-token", b"\xff\x00tok")]),
                br#"{"verify_code":"1","new_password":"x"}"#,
            ),
            status: 400,
            code: None, // NUL in a header: refused by the HTTP layer
        },
        Case {
            name: "a state token of non-ASCII bytes",
            bytes: request(
                "POST",
                CHANGE,
                &with(&[("X-state-token", b"\xff\xfetok")]),
                br#"{"verify_code":"1","new_password":"x"}"#,
            ),
            status: 400,
            code: Some("SDK.COMMON.1006"),
        },
        Case {
            name: "a header line without a colon",
            bytes: b"POST /api/v2/sdk/login HTTP/1.1\r\nhost: x\r\nbroken header\r\n\r\n".to_vec(),
            status: 400,
            code: None,
        },
        Case {
            name: "a request line of garbage",
            bytes: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
            status: 400,
            code: None,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_documented_answers_and_the_server_keeps_serving() {
    let (running, client) = emulator().await;
    add(&running, "bob", 3, PasswordExpiry::Fresh);
    let addr = running.addr();
    let mut problems = Vec::new();
    for case in cases() {
        match raw(addr, &case.bytes).await {
            Some((status, body)) => {
                let code = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error_code"].as_str().map(str::to_owned));
                if status != case.status || code.as_deref() != case.code {
                    problems.push(format!(
                        "{}: got {status} {code:?}, expected {} {:?}; body {body:?}",
                        case.name, case.status, case.code
                    ));
                }
            }
            None => problems.push(format!("{}: no answer", case.name)),
        }
    }
    // A request whose body never fully arrives: the server must not hang or die.
    let mut cut = request(
        "POST",
        LOGIN,
        &DEVICE,
        br#"{"user_name":"bob","password":"x"}"#,
    );
    cut.truncate(cut.len() - 10);
    if let Ok(mut socket) = tokio::net::TcpStream::connect(addr).await {
        let _ = socket.write_all(&cut).await;
        drop(socket);
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Still serving, and the failed logins above did not lock bob (refused requests and
    // the wrong passwords of 2 cases are under the threshold).
    match client.login("bob", &Password::new(OLD)).await {
        Ok(LoginOutcome::SignedIn(_)) => {}
        other => panic!("{other:?}"),
    }
}

/// Every route with every method and a few bodies: no answer is a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_answers_a_server_error_to_any_method_or_body() {
    let (running, client) = emulator().await;
    let addr = running.addr();
    let routes = [
        LOGIN,
        "/api/v2/sdk/captcha",
        "/api/v2/sdk/captcha/verify",
        "/api/v2/sdk/email/send",
        "/api/v2/sdk/sms/send",
        "/api/v2/sdk/mobile-by-token",
        "/api/v2/sdk/pwd/update",
        CHANGE,
        "/api/v2/sdk/after-login/pwd/update-by-mobile",
        "/api/v2/sdk/pwd/skip-update",
        "/api/v2/sdk/sso/session-token/id-token",
        "/api/v1/oauth2/jwks",
        "/_emulator/users",
        "/_emulator/outbox",
        "/_emulator/captcha/%ff%00",
        "/_emulator/users/%2e%2e/expiry",
        "/nope",
    ];
    let bodies: [&[u8]; 4] = [b"", b"{}", b"null", br#"{"a":"\ud800"}"#];
    let mut answered = 0;
    for route in routes {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            for body in bodies {
                let headers = with(&[("X-state-token", b"st"), ("X-session-token", b"ss")]);
                let Some((status, body_text)) =
                    raw(addr, &request(method, route, &headers, body)).await
                else {
                    panic!("{method} {route}: no answer");
                };
                assert!(
                    status < 500,
                    "{method} {route} {body:?}: {status} {body_text}"
                );
                answered += 1;
            }
        }
    }
    assert_eq!(answered, routes.len() * 4 * bodies.len());
    client.captcha().await.expect("still serving");
}

// ---------------------------------------------------------------------------------------
// Brute force

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_password_guesses_lock_that_user_only() {
    let (running, client) = emulator().await;
    add(&running, "alice", 4, PasswordExpiry::Fresh);
    add(&running, "bob", 5, PasswordExpiry::Fresh);
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40 {
        let client = client.clone();
        guesses.spawn(async move {
            client
                .login("alice", &Password::new(format!("Guess-{i:04}")))
                .await
        });
    }
    let results = guesses.join_all().await;
    let codes: Vec<String> = results
        .iter()
        .map(|r| match r {
            Err(e) => code_of(e).to_owned(),
            Ok(outcome) => format!("signed in?! {outcome:?}"),
        })
        .collect();
    let wrong = codes.iter().filter(|c| *c == "LOGIN.0002").count();
    let locked = codes.iter().filter(|c| *c == "SDK.LOGIN.1003").count();
    assert_eq!((wrong, locked), (4, 36), "{codes:?}");
    // Even the right password is refused now...
    let err = client
        .login("alice", &Password::new(OLD))
        .await
        .expect_err("locked");
    assert_eq!(err.code(), Some(&ErrorCode::AccountLocked));
    // ...but another user is not affected.
    match client.login("bob", &Password::new(OLD)).await {
        Ok(LoginOutcome::SignedIn(_)) => {}
        other => panic!("{other:?}"),
    }
    // The lock ends after its duration.
    running
        .emulator()
        .advance_clock(Duration::from_secs(15 * 60));
    match client.login("alice", &Password::new(OLD)).await {
        Ok(LoginOutcome::SignedIn(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_code_guesses_burn_that_code_only() {
    let (running, client) = emulator().await;
    add(&running, "alice", 6, PasswordExpiry::Expired);
    add(&running, "bob", 7, PasswordExpiry::Expired);
    let login = |name: &'static str| {
        let client = client.clone();
        async move {
            match client.login(name, &Password::new(OLD)).await {
                Ok(LoginOutcome::PasswordExpired(expired)) => Arc::new(expired),
                other => panic!("{other:?}"),
            }
        }
    };
    let (alice, bob) = (login("alice").await, login("bob").await);
    running
        .emulator()
        .send_change_pwd_code("alice")
        .expect("code");
    running
        .emulator()
        .send_change_pwd_code("bob")
        .expect("code");
    let right = running
        .emulator()
        .latest_code("alice@example.com")
        .expect("code");
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..30u32 {
        let alice = alice.clone();
        // Wrong guesses only (a guess equal to the code is skipped).
        let guess = format!(
            "{:06}",
            (right.parse::<u32>().unwrap_or(0) + 1 + i) % 1_000_000
        );
        guesses.spawn(async move {
            alice
                .change_with_email_code(&VerifyCode::new(guess), &Password::new("Guess-Passw0rd-1"))
                .await
        });
    }
    let results = guesses.join_all().await;
    let codes: Vec<&str> = results
        .iter()
        .map(|r| r.as_ref().map_or_else(code_of, |_| "changed?!"))
        .collect();
    let wrong = codes.iter().filter(|c| **c == "SDK.SMS.1006").count();
    let burned = codes.iter().filter(|c| **c == "SDK.COMMON.1005").count();
    assert_eq!((wrong, burned), (5, 25), "{codes:?}");
    // The right code is burned too now.
    let err = alice
        .change_with_email_code(
            &VerifyCode::new(right.as_str()),
            &Password::new("N3w-Passw0rd!"),
        )
        .await
        .expect_err("burned");
    assert_eq!(err.code(), Some(&ErrorCode::Expired));
    assert_eq!(
        running.emulator().password_matches("alice", OLD).ok(),
        Some(true)
    );
    // Bob's code still works.
    let bobs = running
        .emulator()
        .latest_code("bob@example.com")
        .expect("code");
    bob.change_with_email_code(&VerifyCode::new(bobs), &Password::new("N3w-Passw0rd!"))
        .await
        .expect("bob is not affected");
    assert!(!alice.state_token().expose_secret().is_empty());
}
