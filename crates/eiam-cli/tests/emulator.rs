//! `eiam emulator`, through the built binary.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{eiam, one_json_object, run_with_stdin, text};
use serde_json::Value;

#[test]
fn a_non_loopback_address_needs_public() {
    let out = eiam()
        .args(["emulator", "--listen", "0.0.0.0:0"])
        .output()
        .expect("run eiam emulator");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--public"), "{stderr}");
}

/// Waits for the child to exit, up to `limit`; kills it after that.
fn wait_for(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn the_served_emulator_runs_the_flow_by_hand_and_stops_on_ctrl_c() {
    let mut child = eiam()
        .args([
            "--output",
            "json",
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--seed-demo-user",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start eiam emulator");

    // The first stdout line says where it listens.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            panic!("the emulator did not say where it listens");
        }
    };
    let ready = one_json_object(&line);
    let base_url = ready["base_url"].as_str().expect("base_url").to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert_eq!(ready["demo_user"]["user_name"], "demo.user");

    // What a person would do with curl, here with reqwest.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (state_token, code) = runtime.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let login: Value = http
            .post(format!(
                "{base_url}/_emulator/users/demo.user/expired-login"
            ))
            .send()
            .await
            .expect("expired-login")
            .json()
            .await
            .expect("json");
        let outbox: Value = http
            .get(format!("{base_url}/_emulator/outbox"))
            .send()
            .await
            .expect("outbox")
            .json()
            .await
            .expect("json");
        let code = outbox
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["code"].as_str())
            .expect("a code")
            .to_owned();
        let token = login["state_token"]
            .as_str()
            .expect("state_token")
            .to_owned();
        (token, code)
    });

    let mut update = eiam();
    update.args([
        "--base-url",
        &base_url,
        "--allow-http-loopback",
        "--client-id",
        "emulator-client",
        "--os-version",
        "demo",
        "--device-fingerprint",
        "demo",
        "--agent",
        "demo",
        "--output",
        "json",
        "pwd",
        "update-by-email",
        "--state-token",
        &state_token,
        "--verify-code",
        &code,
        "--new-password-stdin",
    ]);
    let out = run_with_stdin(update, "N3w-Passw0rd!\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(one_json_object(&text(&out.stdout))["status"], "SUCCESS");

    // Ctrl-C stops it cleanly.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    let code = wait_for(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("listening on {base_url}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "curl -s -X POST {base_url}/_emulator/users/demo.user/expired-login"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("/_emulator/outbox"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(!stderr.contains("Expired#2024"), "{stderr}");
}
