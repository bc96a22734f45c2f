//! Helpers shared by the end-to-end tests: the built `eiam` binary and an in-process
//! emulator with a user whose password has expired.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use eiam_emulator::{Emulator, EmulatorConfig, NewUser, RunningEmulator};

pub const USER: &str = "alice";
pub const OLD_PASSWORD: &str = "Old-Passw0rd#1";
pub const NEW_PASSWORD: &str = "N3w-Passw0rd!";
pub const EMAIL: &str = "alice@example.com";
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
                mobile: "+86-15907132852".into(),
                name: Some("Alice Liddell".into()),
            })
            .expect("add alice");
        Fixture {
            running,
            _runtime: runtime,
        }
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
