//! `eiam pwd ...`: the calls made with a login's state token, and `eiam token refresh`.

use std::io::Write;

use eiam::{ExpiringPassword, ExposeSecret, Password, Session, SessionToken};
use serde_json::json;

use crate::args::{
    GlobalArgs, OutputFormat, RefreshArgs, StateTokenArgs, UpdateArgs, UpdateByCodeArgs,
};
use crate::input::{new_password_from_prompt, secret_from_prompt, secret_from_stdin};
use crate::output::{self, Failure};
use crate::{Io, client_from};

/// Which code a change uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeChannel {
    /// `update-by-email`.
    Email,
    /// `update-by-mobile`.
    Sms,
}

/// `eiam pwd update-by-email` / `update-by-mobile`: changes the password with a code and
/// prints the new session on stdout.
pub(crate) async fn update_by_code(
    global: &GlobalArgs,
    args: UpdateByCodeArgs,
    channel: CodeChannel,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    // The configuration is checked before the password is asked for.
    let client = client_from(global, io)?;
    let new_password = if args.new_password_stdin {
        Password::new(secret_from_stdin(&mut io.stdin, "the new password")?)
    } else {
        new_password_from_prompt(io, "--new-password-stdin")?
    };
    let result = match channel {
        CodeChannel::Email => {
            tracing::info!(
                base_url = client.base_url(),
                "changing the password by e-mail code"
            );
            client
                .update_password_by_email(&args.state_token, &args.verify_code, &new_password)
                .await
        }
        CodeChannel::Sms => {
            tracing::info!(
                base_url = client.base_url(),
                "changing the password by SMS code"
            );
            client
                .update_password_by_mobile(&args.state_token, &args.verify_code, &new_password)
                .await
        }
    };
    let session = result.map_err(|e| Failure::from_call(&e))?;
    print_session(&session, global.output, io)
}

/// `eiam pwd update`: changes the password with the old one.
pub(crate) async fn update(
    global: &GlobalArgs,
    args: UpdateArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    let (old_password, new_password) = if args.passwords_stdin {
        let old = secret_from_stdin(&mut io.stdin, "the old password (line 1)")?;
        let new = secret_from_stdin(&mut io.stdin, "the new password (line 2)")?;
        (Password::new(old), Password::new(new))
    } else {
        let old = secret_from_prompt(
            io,
            "Old password: ",
            "the old password",
            "--passwords-stdin",
        )?;
        let new = new_password_from_prompt(io, "--passwords-stdin")?;
        (Password::new(old), new)
    };
    tracing::info!(
        base_url = client.base_url(),
        "changing the password with the old one"
    );
    let session = client
        .update_password(&args.state_token, &old_password, &new_password)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    print_session(&session, global.output, io)
}

/// `eiam pwd mobile`: prints the mobile number of the state token's user.
pub(crate) async fn mobile(
    global: &GlobalArgs,
    args: StateTokenArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    let mobile = client
        .mobile_by_state_token(&args.state_token)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    let written = match global.output {
        OutputFormat::Json => output::write_json(&mut io.stdout, &json!({ "mobile": mobile })),
        OutputFormat::Text => writeln!(io.stdout, "{mobile}").and_then(|()| io.stdout.flush()),
    };
    written.map_err(write_failure)
}

/// `eiam pwd skip`: keeps a password that is about to expire and prints the session.
pub(crate) async fn skip(
    global: &GlobalArgs,
    args: StateTokenArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    tracing::info!(base_url = client.base_url(), "skipping the password change");
    let session = ExpiringPassword::resume(client, args.state_token)
        .skip()
        .await
        .map_err(|e| Failure::from_call(&e))?;
    print_session(&session, global.output, io)
}

/// `eiam token refresh`: a fresh id_token for a session token.
pub(crate) async fn refresh(
    global: &GlobalArgs,
    args: RefreshArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    let token = if args.session_token_stdin {
        secret_from_stdin(&mut io.stdin, "the session token")?
    } else {
        secret_from_prompt(
            io,
            "Session token: ",
            "the session token",
            "--session-token-stdin",
        )?
    };
    // A pasted token may carry surrounding blanks; a token never does.
    let token = SessionToken::new(token.trim());
    tracing::info!(base_url = client.base_url(), "refreshing the id_token");
    let session = client
        .refresh_id_token(&token)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    print_session(&session, global.output, io)
}

/// The failure of writing the result.
pub(crate) fn write_failure(e: std::io::Error) -> Failure {
    Failure::other("io", format!("cannot write the result: {e}"))
}

/// The session as a JSON object: status, expire, session_token, id_token.
pub(crate) fn session_json(session: &Session) -> serde_json::Value {
    json!({
        "status": session.status().as_str(),
        "expire": session.expires_in().as_secs(),
        "session_token": session.session_token().expose_secret(),
        "id_token": session.id_token().map(ExposeSecret::expose_secret),
    })
}

/// Prints status, expire, session_token and id_token on stdout.
pub(crate) fn print_session(
    session: &Session,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let written = match format {
        OutputFormat::Json => output::write_json(&mut io.stdout, &session_json(session)),
        OutputFormat::Text => write_session_text(session, &mut io.stdout),
    };
    written.map_err(write_failure)
}

/// The text form of a session.
fn write_session_text(session: &Session, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "status:        {}", session.status())?;
    writeln!(out, "expire:        {}", session.expires_in().as_secs())?;
    writeln!(
        out,
        "session_token: {}",
        session.session_token().expose_secret()
    )?;
    writeln!(
        out,
        "id_token:      {}",
        session
            .id_token()
            .map_or("(none)", ExposeSecret::expose_secret)
    )?;
    out.flush()
}
