//! `eiam pwd update-by-email`.

use std::io::{BufRead, Write};

use eiam::{ExposeSecret, Password, Session};
use serde_json::json;

use crate::args::{GlobalArgs, OutputFormat, UpdateByEmailArgs};
use crate::output::{self, Failure};
use crate::{Io, client_from};

/// Changes the password and prints the new session on stdout.
pub(crate) async fn update_by_email(
    global: &GlobalArgs,
    args: UpdateByEmailArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    // The configuration is checked before the password is asked for.
    let client = client_from(global, io)?;
    let new_password = if args.new_password_stdin {
        password_from_stdin(&mut io.stdin)?
    } else {
        password_from_prompt(io)?
    };
    tracing::info!(
        base_url = client.base_url(),
        "changing the password by e-mail code"
    );
    let session = client
        .update_password_by_email(&args.state_token, &args.verify_code, &new_password)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    print_session(&session, global.output, io)
        .map_err(|e| Failure::other("io", format!("cannot write the result: {e}")))
}

/// The first line of stdin, without its line ending.
fn password_from_stdin(stdin: &mut dyn BufRead) -> Result<Password, Failure> {
    let mut bytes = Vec::new();
    stdin.read_until(b'\n', &mut bytes).map_err(|e| {
        Failure::other(
            "io",
            format!("cannot read the new password from stdin: {e}"),
        )
    })?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::invalid_input("the new password read from stdin is not UTF-8; nothing was sent")
    })?;
    if text.is_empty() {
        return Err(Failure::invalid_input(
            "the new password read from stdin is empty; nothing was sent",
        ));
    }
    Ok(Password::new(text))
}

/// Asks twice, without echo, and compares.
fn password_from_prompt(io: &mut Io<'_>) -> Result<Password, Failure> {
    let Some(prompt) = io.prompt.as_mut() else {
        return Err(Failure::usage(
            "stdin is not a terminal, so the new password cannot be asked for; \
             pipe it in with --new-password-stdin",
        ));
    };
    let prompt_failure =
        |e: std::io::Error| Failure::other("io", format!("cannot read the new password: {e}"));
    let first = Password::new(prompt("New password: ").map_err(prompt_failure)?);
    if first.expose_secret().is_empty() {
        return Err(Failure::invalid_input(
            "the new password is empty; nothing was sent",
        ));
    }
    let second = Password::new(prompt("Repeat the new password: ").map_err(prompt_failure)?);
    if first.expose_secret() != second.expose_secret() {
        return Err(Failure::invalid_input(
            "the two passwords differ; nothing was sent",
        ));
    }
    Ok(first)
}

/// Prints status, expire, session_token and id_token on stdout.
fn print_session(session: &Session, format: OutputFormat, io: &mut Io<'_>) -> std::io::Result<()> {
    let expire = session.expires_in().as_secs();
    let session_token = session.session_token().expose_secret();
    let id_token = session.id_token().map(ExposeSecret::expose_secret);
    match format {
        OutputFormat::Json => output::write_json(
            &mut io.stdout,
            &json!({
                "status": session.status().as_str(),
                "expire": expire,
                "session_token": session_token,
                "id_token": id_token,
            }),
        ),
        OutputFormat::Text => {
            let out = &mut io.stdout;
            writeln!(out, "status:        {}", session.status())?;
            writeln!(out, "expire:        {expire}")?;
            writeln!(out, "session_token: {session_token}")?;
            writeln!(out, "id_token:      {}", id_token.unwrap_or("(none)"))?;
            out.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Result<String, Failure> {
        let mut reader = input;
        password_from_stdin(&mut reader).map(|p| p.expose_secret().to_owned())
    }

    #[test]
    fn stdin_gives_the_first_line_without_its_ending() {
        assert_eq!(
            read(b"N3w-Passw0rd!\n").ok().as_deref(),
            Some("N3w-Passw0rd!")
        );
        assert_eq!(read(b"a b \r\nsecond\n").ok().as_deref(), Some("a b "));
        assert_eq!(read(b"no newline").ok().as_deref(), Some("no newline"));
    }

    #[test]
    fn an_empty_first_line_is_refused() {
        for input in [&b""[..], b"\n", b"\r\n", b"\nsecond\n"] {
            let e = read(input).expect_err("empty");
            assert_eq!(e.kind, "invalid_input");
        }
        assert_eq!(read(b"\xff\n").expect_err("utf-8").kind, "invalid_input");
    }
}
