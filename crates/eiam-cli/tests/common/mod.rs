//! Helpers shared by the end-to-end tests: the built `eiam` binary, an in-process
//! emulator with a user whose password has expired, and a driver for interactive runs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, RunningEmulator};

pub const USER: &str = "alice";
pub const OLD_PASSWORD: &str = "Old-Passw0rd#1";
pub const NEW_PASSWORD: &str = "N3w-Passw0rd!";
pub const EMAIL: &str = "alice@example.com";
pub const MOBILE: &str = "+86-15907132852";
pub const CLIENT_ID: &str = "emulator-client";

/// Every variable the CLI reads, removed from the child's environment so that the
/// developer's own settings cannot leak into a test.
pub const EIAM_VARS: [&str; 9] = [
    "EIAM_BASE_URL",
    "EIAM_CLIENT_ID",
    "EIAM_TENANT_ID",
    "EIAM_OS_VERSION",
    "EIAM_DEVICE_FINGERPRINT",
    "EIAM_DEVICE_IP",
    "EIAM_AGENT",
    "EIAM_LANG",
    "RUST_LOG",
];

/// The built binary, with a clean `EIAM_*` environment.
pub fn eiam() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eiam"));
    for var in EIAM_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` with `input` on stdin and collects its output.
pub fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start eiam");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        // The command may exit before reading (a configuration error): ignore EPIPE.
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("wait for eiam")
}

/// The process output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

/// An emulator served on a runtime of its own, so that tests can block on the child
/// process while the emulator answers.
pub struct Fixture {
    pub running: RunningEmulator,
    _runtime: tokio::runtime::Runtime,
}

/// A state token and the code e-mailed with it.
pub struct Login {
    pub state_token: String,
    pub code: String,
}

impl Fixture {
    /// An emulator with the user `alice`, whose password has expired.
    pub fn start() -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(Emulator::spawn(EmulatorConfig::default()))
            .expect("spawn the emulator");
        running
            .emulator()
            .add_user(NewUser {
                user_name: USER.into(),
                password: OLD_PASSWORD.into(),
                email: EMAIL.into(),
                mobile: MOBILE.into(),
                name: Some("Alice Liddell".into()),
            })
            .expect("add alice");
        running
            .emulator()
            .set_expiry(USER, PasswordExpiry::Expired)
            .expect("alice's password expired");
        Fixture {
            running,
            _runtime: runtime,
        }
    }

    /// Sets alice's password state (what her next login answers).
    pub fn set_expiry(&self, expiry: PasswordExpiry) {
        self.emulator()
            .set_expiry(USER, expiry)
            .expect("alice exists");
    }

    /// `eiam login` with alice's password on stdin (JSON): the state token of a
    /// PASSWORD_EXPIRED or PASSWORD_WARN answer.
    pub fn state_token(&self) -> String {
        let out = run_with_stdin(
            self.eiam(&[
                "--output",
                "json",
                "login",
                "--user",
                USER,
                "--password-stdin",
            ]),
            &format!("{OLD_PASSWORD}\n"),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let answer = one_json_object(&text(&out.stdout));
        answer["state_token"]
            .as_str()
            .expect("a state token")
            .to_owned()
    }

    /// The right x of a captcha.
    pub fn captcha_x(&self, token: &str) -> f64 {
        self.emulator()
            .captcha_answer(token)
            .expect("a captcha waiting to be solved")
    }

    pub fn base_url(&self) -> String {
        self.running.base_url()
    }

    pub fn emulator(&self) -> &Emulator {
        self.running.emulator()
    }

    /// The login that answered PASSWORD_EXPIRED: a state token, and the code.
    pub fn login(&self) -> Login {
        let login = self
            .emulator()
            .expired_login(USER, None)
            .expect("expired login");
        let code = self.emulator().latest_code(EMAIL).expect("a code was sent");
        Login {
            state_token: login.state_token,
            code,
        }
    }

    pub fn password_is(&self, password: &str) -> bool {
        self.emulator()
            .password_matches(USER, password)
            .expect("user exists")
    }

    /// `eiam --base-url … --allow-http-loopback --client-id … --os-version t
    /// --device-fingerprint f --agent a`, then `extra`.
    pub fn eiam(&self, extra: &[&str]) -> Command {
        let mut cmd = eiam();
        cmd.args([
            "--base-url",
            &self.base_url(),
            "--allow-http-loopback",
            "--client-id",
            CLIENT_ID,
            "--os-version",
            "t",
            "--device-fingerprint",
            "f",
            "--agent",
            "a",
        ]);
        cmd.args(extra);
        cmd
    }

    /// `pwd update-by-email --state-token … --verify-code … --new-password-stdin`, with
    /// the global flags of [`Fixture::eiam`] and `extra` before the command.
    pub fn update(&self, extra: &[&str], state_token: &str, code: &str) -> Command {
        let mut cmd = self.eiam(extra);
        cmd.args([
            "pwd",
            "update-by-email",
            "--state-token",
            state_token,
            "--verify-code",
            code,
            "--new-password-stdin",
        ]);
        cmd
    }
}

/// A run of `eiam` that is answered as it asks: stderr is collected as it comes, the test
/// waits for a question, then writes the answer line.
pub struct Dialogue {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// How much of stderr the waits have passed.
    cursor: usize,
    stdout_reader: JoinHandle<Vec<u8>>,
    stderr_reader: JoinHandle<()>,
}

/// How a dialogue ended.
pub struct Ended {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Dialogue {
    pub fn start(mut cmd: Command) -> Dialogue {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start eiam");
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let stdout_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.read_to_end(&mut bytes);
            bytes
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match err.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().expect("lock").extend_from_slice(&buf[..n]),
                }
            }
        });
        Dialogue {
            child,
            stdin,
            stderr,
            cursor: 0,
            stdout_reader,
            stderr_reader,
        }
    }

    /// The stderr written so far.
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("lock")).into_owned()
    }

    /// Waits (up to 20 s) until stderr, after what earlier waits passed, contains
    /// `marker`; returns the text from the previous position to the end of the marker.
    #[track_caller]
    pub fn wait_for(&mut self, marker: &str) -> String {
        let start = Instant::now();
        loop {
            let all = self.stderr_so_far();
            if let Some(found) = all.get(self.cursor..).and_then(|rest| rest.find(marker)) {
                let end = self.cursor + found + marker.len();
                let seen = all[self.cursor..end].to_owned();
                self.cursor = end;
                return seen;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("no {marker:?} on stderr; so far:\n{all}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Writes one answer line.
    pub fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            // The command may have ended already: its exit status tells.
            let _ = stdin.write_all(format!("{line}\n").as_bytes());
            let _ = stdin.flush();
        }
    }

    /// Closes stdin and waits for the end.
    pub fn finish(mut self) -> Ended {
        drop(self.stdin.take());
        let start = Instant::now();
        let code = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status.code();
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("eiam did not end; stderr:\n{}", self.stderr_so_far());
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = self.stdout_reader.join().expect("stdout reader");
        let _ = self.stderr_reader.join();
        let stderr = String::from_utf8_lossy(&self.stderr.lock().expect("lock")).into_owned();
        Ended {
            code,
            stdout: text(&stdout),
            stderr,
        }
    }
}

/// The token of the captcha named in the interactive login's hint
/// (`curl -s <base>/_emulator/captcha/<token>`).
#[track_caller]
pub fn captcha_token_in(stderr: &str) -> String {
    let (_, rest) = stderr
        .rsplit_once("/_emulator/captcha/")
        .unwrap_or_else(|| panic!("no captcha hint in {stderr}"));
    rest.chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// The last line of a text, as one JSON object.
#[track_caller]
pub fn last_line_json(output: &str) -> serde_json::Map<String, serde_json::Value> {
    let line = output.lines().last().expect("a line");
    one_json_object(line)
}

/// Asserts that none of `secrets` appears in `output`.
#[track_caller]
pub fn assert_no_secrets(output: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !output.contains(secret),
            "a secret ({} chars) leaked into: {output}",
            secret.len()
        );
    }
}

/// The single JSON object of an output (one line).
#[track_caller]
pub fn one_json_object(output: &str) -> serde_json::Map<String, serde_json::Value> {
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line of JSON: {output:?}");
    match serde_json::from_str(lines[0]) {
        Ok(serde_json::Value::Object(map)) => map,
        other => panic!("not a JSON object: {other:?} in {output:?}"),
    }
}
