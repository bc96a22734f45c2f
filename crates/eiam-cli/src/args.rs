//! The command line: global flags and the command tree (clap derive).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand, ValueEnum};
use eiam::{CaptchaToken, StateToken, VerifyCode};

/// `eiam`: call the EIAM user API, serve the local emulator, run the demo.
///
/// The connection settings come from the `EIAM_*` environment variables; a flag given on
/// the command line takes precedence over its variable.
#[derive(Debug, Parser)]
#[command(name = "eiam", version, propagate_version = true)]
pub struct Cli {
    /// Flags that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The help heading of the connection flags.
const CONNECTION: &str = "Connection (global; flags win over EIAM_* variables)";
/// The help heading of the output flags.
const OUTPUT: &str = "Output (global)";

/// The global flags. Each connection setting mirrors an environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Base URL of the service, e.g. https://tenant.example.com [env: EIAM_BASE_URL]
    #[arg(long, global = true, value_name = "URL", help_heading = CONNECTION)]
    pub base_url: Option<String>,
    /// The application's client id, sent as X-client-id [env: EIAM_CLIENT_ID]
    #[arg(long, global = true, value_name = "ID", help_heading = CONNECTION)]
    pub client_id: Option<String>,
    /// Tenant id, for ISV applications only (X-tenant-id) [env: EIAM_TENANT_ID]
    #[arg(long, global = true, value_name = "ID", help_heading = CONNECTION)]
    pub tenant_id: Option<String>,
    /// Operating system version, e.g. windows10.1.1 (X-operating-sys-version) [env: EIAM_OS_VERSION]
    #[arg(long, global = true, value_name = "TEXT", help_heading = CONNECTION)]
    pub os_version: Option<String>,
    /// A fingerprint that stays the same for this device (X-device-fingerprint) [env: EIAM_DEVICE_FINGERPRINT]
    #[arg(long, global = true, value_name = "TEXT", help_heading = CONNECTION)]
    pub device_fingerprint: Option<String>,
    /// The device's IP address (X-device-ip, optional) [env: EIAM_DEVICE_IP]
    #[arg(long, global = true, value_name = "IP", help_heading = CONNECTION)]
    pub device_ip: Option<String>,
    /// User-Agent text (X-agent) [env: EIAM_AGENT]
    #[arg(long, global = true, value_name = "TEXT", help_heading = CONNECTION)]
    pub agent: Option<String>,
    /// Language of the service's messages (X-L) [env: EIAM_LANG]
    #[arg(
        long,
        global = true,
        value_enum,
        ignore_case = true,
        value_name = "LANG",
        help_heading = CONNECTION
    )]
    pub lang: Option<Lang>,
    /// Allow a plain http:// base URL on a loopback host (127.0.0.1, ::1, localhost), for
    /// the local emulator
    #[arg(long, global = true, help_heading = CONNECTION)]
    pub allow_http_loopback: bool,
    /// Time limit of a whole call, in seconds (default 30)
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        help_heading = CONNECTION,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub timeout: Option<u64>,
    /// Output format: human-readable text, or one JSON object
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = OutputFormat::Text,
        value_name = "FORMAT",
        help_heading = OUTPUT
    )]
    pub output: OutputFormat,
    /// Log to stderr (-v info, -vv debug, -vvv trace); RUST_LOG also turns logging on
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = OUTPUT)]
    pub verbose: u8,
}

/// The language of the service's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl From<Lang> for eiam::Language {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::En => eiam::Language::English,
            Lang::Zh => eiam::Language::Chinese,
        }
    }
}

/// How results and errors are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object: the result on stdout, or `{"error": {...}}` on stderr.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with a user name and password (POST /api/v2/sdk/login).
    ///
    /// Prints the outcome: for SUCCESS the session; for PASSWORD_WARN / PASSWORD_EXPIRED
    /// the state token and the password policy (the state token is what the `pwd` commands
    /// need). On a terminal (or with --interactive) an expiring or expired password is
    /// changed on the spot: you are asked which way and walked through it.
    Login(LoginArgs),
    /// The slider captcha that every code send needs.
    #[command(subcommand)]
    Captcha(CaptchaCommand),
    /// Verification codes.
    #[command(subcommand)]
    Code(CodeCommand),
    /// Password operations (after a login answered PASSWORD_WARN or PASSWORD_EXPIRED).
    #[command(subcommand)]
    Pwd(PwdCommand),
    /// Session tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Serve the local EIAM emulator (for trying the API by hand).
    Emulator(EmulatorArgs),
    /// Run one path of the password-expiry flow end to end against an in-process emulator.
    Demo(DemoArgs),
}

/// `eiam login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The user name
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
    /// Walk through the password change even when stdin is not a terminal: every answer
    /// (passwords and codes included) is then read from a line of stdin
    #[arg(long, conflicts_with = "no_interactive")]
    pub interactive: bool,
    /// Only print the outcome, even on a terminal
    #[arg(long)]
    pub no_interactive: bool,
}

/// `eiam captcha ...`.
#[derive(Debug, Subcommand)]
pub enum CaptchaCommand {
    /// Get a slider captcha (GET /api/v2/sdk/captcha) and print its token.
    Get(CaptchaGetArgs),
    /// Verify where the jigsaw piece was slid (POST /api/v2/sdk/captcha/verify) and print
    /// the captcha_token that a code send needs.
    Verify(CaptchaVerifyArgs),
}

/// `eiam captcha get`.
#[derive(Debug, Args)]
pub struct CaptchaGetArgs {
    /// Write the background and the jigsaw piece as PNG files into this directory
    /// (created if missing)
    #[arg(long, value_name = "DIR")]
    pub save_images: Option<PathBuf>,
}

/// `eiam captcha verify`.
#[derive(Debug, Args)]
pub struct CaptchaVerifyArgs {
    /// The captcha's token (from `eiam captcha get`)
    #[arg(long, value_name = "TOKEN")]
    pub token: String,
    /// The x position, in pixels, where the jigsaw piece was slid
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub x: f64,
    /// The e-mail address or mobile number the code will be sent to
    #[arg(long, value_name = "ADDRESS")]
    pub sender: String,
}

/// `eiam code ...`.
#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Send a verification code by e-mail (POST /api/v2/sdk/email/send) or SMS
    /// (POST /api/v2/sdk/sms/send).
    Send(CodeSendArgs),
}

/// `eiam code send`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("to").required(true).args(["email", "mobile"])))]
pub struct CodeSendArgs {
    /// Send by e-mail to this address
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// Send by SMS to this number (+86-15900000000 or 15900000000)
    #[arg(long, value_name = "NUMBER")]
    pub mobile: Option<String>,
    /// What the code is for [default: CHANGE_PWD_EMS with --email, CHANGE_PWD_SMS with
    /// --mobile]
    #[arg(long = "type", value_name = "TYPE")]
    pub code_type: Option<String>,
    /// The captcha_token of a captcha verified for this address or number
    #[arg(long, value_name = "TOKEN")]
    pub captcha_token: CaptchaToken,
}

/// `eiam pwd ...`.
#[derive(Debug, Subcommand)]
pub enum PwdCommand {
    /// Print the mobile number of a state token's user (GET /api/v2/sdk/mobile-by-token).
    Mobile(StateTokenArgs),
    /// Change the password with the old one (POST /api/v2/sdk/pwd/update).
    ///
    /// The old password is asked for once and the new one twice, without echo; or both are
    /// read from stdin with --passwords-stdin (first line old, second line new). On success
    /// the new session is printed.
    Update(UpdateArgs),
    /// Change an expired password with the code sent by e-mail
    /// (POST /api/v2/sdk/after-login/pwd/update-by-email).
    ///
    /// The new password is asked for twice without echo, or read from the first line of
    /// stdin with --new-password-stdin; it is never a flag value. On success the new
    /// session (status, expire, session_token, id_token) is printed on stdout.
    UpdateByEmail(UpdateByEmailArgs),
    /// Change an expired password with the code sent by SMS
    /// (POST /api/v2/sdk/after-login/pwd/update-by-mobile).
    ///
    /// The new password is asked for as with update-by-email.
    UpdateByMobile(UpdateByCodeArgs),
    /// Keep a password that is about to expire and sign in (GET /api/v2/sdk/pwd/skip-update).
    ///
    /// Only for a login that answered PASSWORD_WARN; an expired password must be changed.
    Skip(StateTokenArgs),
}

/// A command that needs only the state token.
#[derive(Debug, Args)]
pub struct StateTokenArgs {
    /// The state token of the login that answered PASSWORD_WARN or PASSWORD_EXPIRED
    /// (X-state-token)
    #[arg(long, value_name = "TOKEN")]
    pub state_token: StateToken,
}

/// `eiam pwd update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The state token of the login that answered PASSWORD_WARN or PASSWORD_EXPIRED
    /// (X-state-token)
    #[arg(long, value_name = "TOKEN")]
    pub state_token: StateToken,
    /// Read the old password (first line) and the new one (second line) from stdin instead
    /// of prompting
    #[arg(long)]
    pub passwords_stdin: bool,
}

/// `eiam pwd update-by-email`.
pub type UpdateByEmailArgs = UpdateByCodeArgs;

/// `eiam pwd update-by-email` and `eiam pwd update-by-mobile`.
#[derive(Debug, Args)]
pub struct UpdateByCodeArgs {
    /// The state token of the login that answered PASSWORD_WARN or PASSWORD_EXPIRED
    /// (X-state-token)
    #[arg(long, value_name = "TOKEN")]
    pub state_token: StateToken,
    /// The verification code received (type CHANGE_PWD_EMS by e-mail, CHANGE_PWD_SMS by SMS)
    #[arg(long, value_name = "CODE")]
    pub verify_code: VerifyCode,
    /// Read the new password from the first line of stdin instead of prompting
    #[arg(long)]
    pub new_password_stdin: bool,
}

/// `eiam token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Get a fresh id_token for a session (POST /api/v2/sdk/sso/session-token/id-token).
    ///
    /// The session token is asked for without echo, or read from the first line of stdin
    /// with --session-token-stdin; it is never a flag value. Prints the session, whose
    /// session_token may be a new one (keep it).
    Refresh(RefreshArgs),
}

/// `eiam token refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Read the session token from the first line of stdin instead of prompting
    #[arg(long)]
    pub session_token_stdin: bool,
}

/// `eiam demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which way the password is changed (skip: an expiring password is kept)
    #[arg(long, value_enum, default_value_t = Via::Email, value_name = "WAY")]
    pub via: Via,
}

/// A way through the password-expiry flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// A code sent by e-mail (CHANGE_PWD_EMS).
    Email,
    /// A code sent by SMS (CHANGE_PWD_SMS).
    Sms,
    /// The old password.
    OldPassword,
    /// Keep a password that is about to expire (PASSWORD_WARN only).
    Skip,
}

impl Via {
    /// The name used on the command line and in prompts.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Email => "email",
            Via::Sms => "sms",
            Via::OldPassword => "old-password",
            Via::Skip => "skip",
        }
    }
}

/// `eiam emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on (IP:PORT; port 0 picks a free one)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Allow a non-loopback listen address (the emulator has no authentication)
    #[arg(long)]
    pub public: bool,
    /// Add the demo user (demo.user, demo.user@example.com, +86-15900000000), whose password
    /// Expired#2024 has expired, and print how to use it
    #[arg(long)]
    pub seed_demo_user: bool,
    /// A client id the emulator accepts (repeatable; default emulator-client)
    #[arg(long = "accept-client-id", value_name = "ID")]
    pub accept_client_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use eiam::ExposeSecret;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from([
            "eiam",
            "pwd",
            "update-by-email",
            "--state-token",
            "st",
            "--verify-code",
            "123456",
            "--lang",
            "ZH",
            "--output",
            "json",
            "-vv",
        ])
        .expect("parses");
        assert_eq!(cli.global.lang, Some(Lang::Zh));
        assert_eq!(cli.global.output, OutputFormat::Json);
        assert_eq!(cli.global.verbose, 2);
        let Command::Pwd(PwdCommand::UpdateByEmail(args)) = cli.command else {
            panic!("wrong command");
        };
        assert_eq!(args.state_token.expose_secret(), "st");
        assert_eq!(args.verify_code.expose_secret(), "123456");
        assert!(!args.new_password_stdin);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let cli = Cli::try_parse_from([
            "eiam",
            "pwd",
            "update-by-email",
            "--state-token",
            "st-secret-token",
            "--verify-code",
            "908172",
        ])
        .expect("parses");
        let printed = format!("{cli:?}");
        assert!(!printed.contains("st-secret-token"), "{printed}");
        assert!(!printed.contains("908172"), "{printed}");
    }

    #[test]
    fn there_is_no_password_flag() {
        let e = Cli::try_parse_from([
            "eiam",
            "pwd",
            "update-by-email",
            "--state-token",
            "st",
            "--verify-code",
            "1",
            "--new-password",
            "x",
        ])
        .expect_err("no such flag");
        assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn new_commands_keep_their_secrets_out_of_debug() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["eiam"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).expect("parses")
        };
        for args in [
            &[
                "code",
                "send",
                "--email",
                "a@b.c",
                "--captcha-token",
                "cap-secret-1",
            ][..],
            &["pwd", "skip", "--state-token", "st-secret-token"],
            &["pwd", "update", "--state-token", "st-secret-token"],
            &[
                "pwd",
                "update-by-mobile",
                "--state-token",
                "st-secret-token",
                "--verify-code",
                "908172",
            ],
        ] {
            let printed = format!("{:?}", parse(args));
            for secret in ["cap-secret-1", "st-secret-token", "908172"] {
                assert!(!printed.contains(secret), "{printed}");
            }
        }
    }

    #[test]
    fn the_demo_path_defaults_to_email_and_x_may_be_negative() {
        let cli = Cli::try_parse_from(["eiam", "demo"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Demo(DemoArgs { via: Via::Email })
        ));
        let cli = Cli::try_parse_from(["eiam", "demo", "--via", "old-password"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Demo(DemoArgs {
                via: Via::OldPassword
            })
        ));
        let cli = Cli::try_parse_from([
            "eiam", "captcha", "verify", "--token", "t", "--x", "-3.5", "--sender", "s",
        ])
        .expect("parses");
        let Command::Captcha(CaptchaCommand::Verify(args)) = cli.command else {
            panic!("wrong command");
        };
        assert!((args.x + 3.5).abs() < f64::EPSILON);
    }

    #[test]
    fn no_secret_is_a_flag() {
        for args in [
            &["login", "--user", "u", "--password", "x"][..],
            &["token", "refresh", "--session-token", "x"],
            &["pwd", "update", "--state-token", "s", "--old-password", "x"],
        ] {
            let mut argv = vec!["eiam"];
            argv.extend_from_slice(args);
            let e = Cli::try_parse_from(argv).expect_err("no such flag");
            assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
        }
        assert!(
            Cli::try_parse_from([
                "eiam",
                "login",
                "--user",
                "u",
                "--interactive",
                "--no-interactive"
            ])
            .is_err()
        );
    }

    #[test]
    fn timeouts_are_positive() {
        assert!(Cli::try_parse_from(["eiam", "--timeout", "0", "demo"]).is_err());
        let cli = Cli::try_parse_from(["eiam", "--timeout", "5", "demo"]).expect("parses");
        assert_eq!(cli.global.timeout, Some(5));
    }
}
