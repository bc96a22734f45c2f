#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Argument doc comments are also the `--help` text, where a URL is plain text.
#![allow(rustdoc::bare_urls)]
//! The `eiam` command, as a library: [`run`] executes a parsed [`Cli`] with injectable
//! stdin, stdout, stderr, password prompt and environment ([`Io`]), so that it can be
//! tested in-process; `src/main.rs` only wires it to the real process.
//!
//! ```text
//! eiam [global flags] login --user NAME [--password-stdin] [--interactive | --no-interactive]
//! eiam [global flags] captcha get [--save-images DIR]
//! eiam [global flags] captcha verify --token T --x X --sender ADDRESS
//! eiam [global flags] code send (--email ADDRESS | --mobile NUMBER) [--type TYPE] --captcha-token T
//! eiam [global flags] pwd mobile --state-token T
//! eiam [global flags] pwd update --state-token T [--passwords-stdin]
//! eiam [global flags] pwd update-by-email --state-token T --verify-code C [--new-password-stdin]
//! eiam [global flags] pwd update-by-mobile --state-token T --verify-code C [--new-password-stdin]
//! eiam [global flags] pwd skip --state-token T
//! eiam [global flags] token refresh [--session-token-stdin]
//! eiam [global flags] emulator [--listen 127.0.0.1:8080] [--public] [--seed-demo-user]
//! eiam [global flags] demo [--via email|sms|old-password|skip]
//! ```
//!
//! Passwords, codes and session tokens are read from the no-echo prompt or from stdin,
//! never from a flag.
//!
//! Exit status: 0 done, 1 the operation failed, 2 configuration or usage error.

mod args;
mod code;
mod demo;
mod input;
mod login;
mod output;
mod pwd;
mod serve;

use std::ffi::OsString;
use std::future::Future;
use std::io::{self, BufRead, IsTerminal, Write};
use std::time::Duration;

use clap::Parser;

pub use args::{
    CaptchaCommand, CaptchaGetArgs, CaptchaVerifyArgs, Cli, CodeCommand, CodeSendArgs, Command,
    DemoArgs, EmulatorArgs, GlobalArgs, Lang, LoginArgs, OutputFormat, PwdCommand, RefreshArgs,
    StateTokenArgs, TokenCommand, UpdateArgs, UpdateByCodeArgs, UpdateByEmailArgs, Via,
};
pub use output::Exit;

use output::Failure;

/// Reads a line without echo from the terminal, after showing a prompt.
pub type PromptFn<'a> = Box<dyn FnMut(&str) -> io::Result<String> + Send + 'a>;
/// Looks up an environment variable.
pub type EnvFn<'a> = Box<dyn Fn(&str) -> Option<String> + Send + Sync + 'a>;

/// Where a command reads and writes: the process's streams ([`Io::std`]) or test buffers.
pub struct Io<'a> {
    /// Results.
    pub stdout: Box<dyn Write + Send + 'a>,
    /// Errors, progress and hints.
    pub stderr: Box<dyn Write + Send + 'a>,
    /// Input (`--new-password-stdin`, `--password-stdin`, the interactive answers...).
    pub stdin: Box<dyn BufRead + Send + 'a>,
    /// The no-echo password prompt; `None` when there is no terminal to prompt on.
    pub prompt: Option<PromptFn<'a>>,
    /// The environment (the `EIAM_*` variables).
    pub env: EnvFn<'a>,
}

impl Io<'static> {
    /// The process's stdin, stdout, stderr and environment; the prompt (rpassword, on the
    /// terminal) is available when stdin is a terminal.
    pub fn std() -> Self {
        let prompt: Option<PromptFn<'static>> = if io::stdin().is_terminal() {
            Some(Box::new(|text: &str| rpassword::prompt_password(text)))
        } else {
            None
        };
        Io {
            stdout: Box::new(io::stdout()),
            stderr: Box::new(io::stderr()),
            stdin: Box::new(io::BufReader::new(io::stdin())),
            prompt,
            env: Box::new(|name: &str| std::env::var(name).ok()),
        }
    }
}

impl std::fmt::Debug for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("prompt", &self.prompt.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs a parsed command line; Ctrl-C stops `eiam emulator`.
pub async fn run(cli: Cli, io: &mut Io<'_>) -> Exit {
    run_until(cli, io, ctrl_c()).await
}

/// Like [`run`], with `shutdown` stopping `eiam emulator` instead of Ctrl-C.
pub async fn run_until(
    cli: Cli,
    io: &mut Io<'_>,
    shutdown: impl Future<Output = ()> + Send,
) -> Exit {
    let Cli { global, command } = cli;
    let result = match command {
        Command::Login(args) => login::login(&global, args, io).await,
        Command::Captcha(CaptchaCommand::Get(args)) => code::captcha_get(&global, args, io).await,
        Command::Captcha(CaptchaCommand::Verify(args)) => {
            code::captcha_verify(&global, args, io).await
        }
        Command::Code(CodeCommand::Send(args)) => code::code_send(&global, args, io).await,
        Command::Pwd(PwdCommand::Mobile(args)) => pwd::mobile(&global, args, io).await,
        Command::Pwd(PwdCommand::Update(args)) => pwd::update(&global, args, io).await,
        Command::Pwd(PwdCommand::UpdateByEmail(args)) => {
            pwd::update_by_code(&global, args, pwd::CodeChannel::Email, io).await
        }
        Command::Pwd(PwdCommand::UpdateByMobile(args)) => {
            pwd::update_by_code(&global, args, pwd::CodeChannel::Sms, io).await
        }
        Command::Pwd(PwdCommand::Skip(args)) => pwd::skip(&global, args, io).await,
        Command::Token(TokenCommand::Refresh(args)) => pwd::refresh(&global, args, io).await,
        Command::Emulator(args) => serve::serve(&global, &args, io, shutdown).await,
        Command::Demo(args) => demo::demo(&global, args.via, io).await,
    };
    match result {
        Ok(()) => Exit::Success,
        Err(failure) => output::report(&failure, global.output, &mut io.stderr),
    }
}

/// Parses `args` (the first one is the program name) and runs the command: help and
/// version go to stdout (exit 0), a usage error to stderr (exit 2).
pub async fn run_from_args<I, T>(args: I, io: &mut Io<'_>) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli, io).await,
        Err(e) => {
            let (out, exit) = if e.use_stderr() {
                (&mut io.stderr, Exit::Usage)
            } else {
                (&mut io.stdout, Exit::Success)
            };
            let _ = write!(out, "{}", e.render());
            let _ = out.flush();
            exit
        }
    }
}

/// Installs a `tracing` subscriber writing to stderr when `verbose > 0` (`-v` info, `-vv`
/// debug, `-vvv` trace) or when `rust_log` (the `RUST_LOG` value) is set; otherwise
/// nothing is logged. `RUST_LOG` wins over `-v`.
pub fn init_tracing(verbose: u8, rust_log: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let rust_log = rust_log.filter(|v| !v.trim().is_empty());
    let filter = match (rust_log, verbose) {
        (Some(directives), _) => {
            EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("warn"))
        }
        (None, 0) => return,
        (None, 1) => EnvFilter::new("info"),
        (None, 2) => EnvFilter::new("debug"),
        (None, _) => EnvFilter::new("trace"),
    };
    // Fails only if a subscriber is already installed, which is then kept.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .try_init();
}

/// Resolves when Ctrl-C is pressed; never, if the signal cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The time limit of a call: `--timeout`, or the client's default.
fn timeout_of(global: &GlobalArgs) -> Duration {
    global
        .timeout
        .map_or(eiam::DEFAULT_TIMEOUT, Duration::from_secs)
}

/// A client from the `EIAM_*` variables (read through `io.env`, the one place the
/// environment is read), overridden by the flags given.
fn client_from(global: &GlobalArgs, io: &Io<'_>) -> Result<eiam::Client, Failure> {
    // A `--lang` flag replaces `EIAM_LANG`, so an unusable variable must not stop it.
    let lookup = |name: &str| {
        if name == eiam::env::LANG && global.lang.is_some() {
            None
        } else {
            (io.env)(name)
        }
    };
    let config_failure = |e: eiam::ConfigError| Failure::from_config(&e);
    let mut builder = eiam::ClientBuilder::from_lookup(lookup).map_err(config_failure)?;
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(id) = &global.client_id {
        builder = builder.client_id(id);
    }
    if let Some(id) = &global.tenant_id {
        builder = builder.tenant_id(id);
    }
    if let Some(v) = &global.os_version {
        builder = builder.os_version(v);
    }
    if let Some(v) = &global.device_fingerprint {
        builder = builder.device_fingerprint(v);
    }
    if let Some(v) = &global.device_ip {
        builder = builder.device_ip(v);
    }
    if let Some(v) = &global.agent {
        builder = builder.agent(v);
    }
    if let Some(lang) = global.lang {
        builder = builder.language(lang.into());
    }
    if let Some(secs) = global.timeout {
        let timeout = Duration::from_secs(secs);
        builder = builder
            .timeout(timeout)
            .connect_timeout(timeout.min(eiam::DEFAULT_CONNECT_TIMEOUT));
    }
    builder
        .allow_http_loopback(global.allow_http_loopback)
        .build()
        .map_err(config_failure)
}
