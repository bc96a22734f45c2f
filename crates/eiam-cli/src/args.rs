//! The command line: global flags and the command tree (clap derive).

use std::net::SocketAddr;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use eiam::{StateToken, VerifyCode};

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
    /// Password operations.
    #[command(subcommand)]
    Pwd(PwdCommand),
    /// Serve the local EIAM emulator (for trying the API by hand).
    Emulator(EmulatorArgs),
    /// Run the password-expired flow end to end against an in-process emulator.
    Demo,
}

/// `eiam pwd ...`.
#[derive(Debug, Subcommand)]
pub enum PwdCommand {
    /// Change an expired password with the code sent by e-mail
    /// (POST /api/v2/sdk/after-login/pwd/update-by-email).
    ///
    /// The new password is asked for twice without echo, or read from the first line of
    /// stdin with --new-password-stdin; it is never a flag value. On success the new
    /// session (status, expire, session_token, id_token) is printed on stdout.
    UpdateByEmail(UpdateByEmailArgs),
}

/// `eiam pwd update-by-email`.
#[derive(Debug, Args)]
pub struct UpdateByEmailArgs {
    /// The state token of the login that answered PASSWORD_EXPIRED (X-state-token)
    #[arg(long, value_name = "TOKEN")]
    pub state_token: StateToken,
    /// The verification code received by e-mail (type CHANGE_PWD_EMS)
    #[arg(long, value_name = "CODE")]
    pub verify_code: VerifyCode,
    /// Read the new password from the first line of stdin instead of prompting
    #[arg(long)]
    pub new_password_stdin: bool,
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
    /// Add the demo user (demo.user, demo.user@example.com) and print how to use it
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
    fn timeouts_are_positive() {
        assert!(Cli::try_parse_from(["eiam", "--timeout", "0", "demo"]).is_err());
        let cli = Cli::try_parse_from(["eiam", "--timeout", "5", "demo"]).expect("parses");
        assert_eq!(cli.global.timeout, Some(5));
    }
}
