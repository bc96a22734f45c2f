//! The library entry point with injected streams, prompt and environment: the no-echo
//! prompt path, which the binary tests cannot reach without a terminal.

use std::collections::HashMap;
use std::io;

use eiam_cli::{Exit, Io, run_from_args};
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, RunningEmulator};

const USER: &str = "bob";
const EMAIL: &str = "bob@example.com";
const OLD: &str = "Old-Passw0rd#1";
const NEW: &str = "N3w-Passw0rd!";

async fn emulator() -> RunningEmulator {
    let running = Emulator::spawn(EmulatorConfig::default())
        .await
        .expect("spawn");
    running
        .emulator()
        .add_user(NewUser {
            user_name: USER.into(),
            password: OLD.into(),
            email: EMAIL.into(),
            mobile: "+86-15907132852".into(),
            name: None,
        })
        .expect("add bob");
    running
}

struct Outcome {
    exit: Exit,
    stdout: String,
    stderr: String,
    prompts: Vec<String>,
}

/// Runs `eiam` in-process with the environment `env`, answering the prompts with
/// `answers` (no prompt at all when `answers` is `None`).
async fn eiam(args: &[&str], env: &[(&str, String)], answers: Option<Vec<&str>>) -> Outcome {
    eiam_with_stdin(args, env, answers, "").await
}

/// Like [`eiam`], with `stdin` as the input.
async fn eiam_with_stdin(
    args: &[&str],
    env: &[(&str, String)],
    answers: Option<Vec<&str>>,
    stdin: &str,
) -> Outcome {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let prompts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let exit = {
        let seen = prompts.clone();
        let prompt = answers.map(|answers| {
            let mut answers = answers.into_iter().map(str::to_owned);
            Box::new(move |text: &str| {
                seen.lock().expect("lock").push(text.to_owned());
                answers
                    .next()
                    .ok_or_else(|| io::Error::other("no more answers"))
            }) as eiam_cli::PromptFn<'_>
        });
        let mut io = Io {
            stdout: Box::new(&mut stdout),
            stderr: Box::new(&mut stderr),
            stdin: Box::new(io::Cursor::new(stdin.as_bytes().to_vec())),
            prompt,
            env: Box::new(move |name: &str| env.get(name).cloned()),
        };
        let mut argv = vec!["eiam"];
        argv.extend_from_slice(args);
        run_from_args(argv, &mut io).await
    };
    let prompts = prompts.lock().expect("lock").clone();
    Outcome {
        exit,
        stdout: String::from_utf8(stdout).expect("utf-8"),
        stderr: String::from_utf8(stderr).expect("utf-8"),
        prompts,
    }
}

fn settings(base_url: String) -> Vec<(&'static str, String)> {
    vec![
        ("EIAM_BASE_URL", base_url),
        ("EIAM_CLIENT_ID", "emulator-client".into()),
        ("EIAM_OS_VERSION", "t".into()),
        ("EIAM_DEVICE_FINGERPRINT", "f".into()),
        ("EIAM_AGENT", "a".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_asks_twice_and_the_answers_must_match() {
    let running = emulator().await;
    let emu = running.emulator();
    let login = emu.expired_login(USER, None).expect("login");
    let code = emu.latest_code(EMAIL).expect("code");
    let env = settings(running.base_url());
    let args = [
        "--allow-http-loopback",
        "--output",
        "json",
        "pwd",
        "update-by-email",
        "--state-token",
        &login.state_token,
        "--verify-code",
        &code,
    ];

    // Two different answers: refused, nothing sent.
    let out = eiam(&args, &env, Some(vec![NEW, "N3w-Passw0rd?"])).await;
    assert_eq!(out.exit, Exit::Failure, "{}", out.stderr);
    assert_eq!(out.prompts.len(), 2);
    assert!(out.stderr.contains("differ"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.contains(NEW) && !out.stderr.contains(&code));
    assert!(emu.password_matches(USER, OLD).expect("user"));

    // An empty first answer: refused without asking again.
    let out = eiam(&args, &env, Some(vec![""])).await;
    assert_eq!(out.exit, Exit::Failure, "{}", out.stderr);
    assert_eq!(out.prompts.len(), 1);

    // No terminal: a usage error.
    let out = eiam(&args, &env, None).await;
    assert_eq!(out.exit, Exit::Usage, "{}", out.stderr);
    assert!(
        out.stderr.contains("--new-password-stdin"),
        "{}",
        out.stderr
    );

    // Two equal answers: done.
    let out = eiam(&args, &env, Some(vec![NEW, NEW])).await;
    assert_eq!(out.exit, Exit::Success, "{}", out.stderr);
    let session: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(session["status"], "SUCCESS");
    assert!(emu.password_matches(USER, NEW).expect("user"));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_login_walks_through_with_no_echo_secrets() {
    let running = emulator().await;
    let emu = running.emulator();
    emu.set_expiry(USER, PasswordExpiry::Expired).expect("bob");
    let env = settings(running.base_url());
    // Plain answers (the choice) are lines of stdin; the secrets go through the prompt,
    // the first new password breaking the policy.
    let out = eiam_with_stdin(
        &[
            "--allow-http-loopback",
            "--output",
            "json",
            "login",
            "--user",
            USER,
        ],
        &env,
        Some(vec![OLD, "short", "short", NEW, NEW]),
        "old-password\n",
    )
    .await;
    assert_eq!(out.exit, Exit::Success, "{}", out.stderr);
    assert_eq!(
        out.prompts,
        [
            "Password: ",
            "New password: ",
            "Repeat the new password: ",
            "New password: ",
            "Repeat the new password: ",
        ]
    );
    assert!(
        out.stderr
            .contains("How do you want to change it? [old-password/email/sms]: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("at least 8"), "{}", out.stderr);
    // Secret questions are not written to stderr: the prompt shows them.
    assert!(!out.stderr.contains("New password: "), "{}", out.stderr);
    let session: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(session["status"], "SUCCESS");
    assert!(emu.password_matches(USER, NEW).expect("user"));

    // --no-interactive: only the outcome, even on a terminal.
    emu.set_expiry(USER, PasswordExpiry::Expiring).expect("bob");
    let out = eiam(
        &[
            "--allow-http-loopback",
            "--output",
            "json",
            "login",
            "--user",
            USER,
            "--no-interactive",
        ],
        &env,
        Some(vec![NEW]),
    )
    .await;
    assert_eq!(out.exit, Exit::Success, "{}", out.stderr);
    let answer: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(answer["status"], "PASSWORD_WARN");
    assert_eq!(out.prompts, ["Password: "]);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_session_token_is_asked_without_echo() {
    let running = emulator().await;
    let env = settings(running.base_url());
    let out = eiam(
        &["--allow-http-loopback", "token", "refresh"],
        &env,
        Some(vec!["  unknown-session-token  "]),
    )
    .await;
    assert_eq!(out.exit, Exit::Failure, "{}", out.stderr);
    assert_eq!(out.prompts, ["Session token: "]);
    assert!(out.stderr.contains("SDK.COMMON.1005"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("unknown-session-token"),
        "{}",
        out.stderr
    );
    running.shutdown().await;
}

#[tokio::test]
async fn help_goes_to_stdout_and_usage_errors_exit_2() {
    let out = eiam(&["--help"], &[], None).await;
    assert_eq!(out.exit, Exit::Success);
    for command in [
        "login",
        "captcha",
        "code",
        "pwd",
        "token",
        "emulator",
        "demo",
        "--base-url",
        "--output",
    ] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
    let out = eiam(&["pwd", "update-by-email"], &[], None).await;
    assert_eq!(out.exit, Exit::Usage);
    assert!(out.stderr.contains("--state-token"), "{}", out.stderr);
}

#[tokio::test]
async fn an_unusable_eiam_lang_is_a_config_error() {
    let mut env = settings("https://tenant.example.com".into());
    env.push(("EIAM_LANG", "fr".into()));
    let out = eiam(
        &[
            "pwd",
            "update-by-email",
            "--state-token",
            "st",
            "--verify-code",
            "1",
            "--new-password-stdin",
        ],
        &env,
        None,
    )
    .await;
    assert_eq!(out.exit, Exit::Usage, "{}", out.stderr);
    assert!(out.stderr.contains("EIAM_LANG"), "{}", out.stderr);
}
