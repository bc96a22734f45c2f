//! Reading answers: secrets from the no-echo prompt or from stdin lines, and the
//! question-and-answer dialogue of the interactive login.
//!
//! No function here ever writes an answer anywhere; error messages name what was asked
//! for, never what was typed.

use std::io::{BufRead, Write};

use eiam::{ExposeSecret, Password};

use crate::Io;
use crate::output::Failure;

/// One line of `stdin`, without its line ending; `None` at the end of the input.
pub(crate) fn read_line(stdin: &mut dyn BufRead, what: &str) -> Result<Option<String>, Failure> {
    let mut bytes = Vec::new();
    let n = stdin
        .read_until(b'\n', &mut bytes)
        .map_err(|e| Failure::other("io", format!("cannot read {what} from stdin: {e}")))?;
    if n == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Failure::invalid_input(format!("{what} read from stdin is not UTF-8")))
}

/// A non-empty secret from the next line of stdin (`what` names it in errors, e.g.
/// "the new password").
pub(crate) fn secret_from_stdin(stdin: &mut dyn BufRead, what: &str) -> Result<String, Failure> {
    match read_line(stdin, what)? {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(Failure::invalid_input(format!(
            "{what} read from stdin is empty; nothing was sent"
        ))),
    }
}

/// A non-empty secret from the no-echo prompt; a usage error naming `stdin_flag` when
/// there is no terminal.
pub(crate) fn secret_from_prompt(
    io: &mut Io<'_>,
    prompt_text: &str,
    what: &str,
    stdin_flag: &str,
) -> Result<String, Failure> {
    let Some(prompt) = io.prompt.as_mut() else {
        return Err(Failure::usage(format!(
            "stdin is not a terminal, so {what} cannot be asked for; pipe it in with {stdin_flag}"
        )));
    };
    let text = prompt(prompt_text)
        .map_err(|e| Failure::other("io", format!("cannot read {what}: {e}")))?;
    if text.is_empty() {
        return Err(Failure::invalid_input(format!(
            "{what} is empty; nothing was sent"
        )));
    }
    Ok(text)
}

/// The new password, asked twice without echo; the answers must match.
pub(crate) fn new_password_from_prompt(
    io: &mut Io<'_>,
    stdin_flag: &str,
) -> Result<Password, Failure> {
    let first = Password::new(secret_from_prompt(
        io,
        "New password: ",
        "the new password",
        stdin_flag,
    )?);
    let second = Password::new(secret_from_prompt(
        io,
        "Repeat the new password: ",
        "the new password",
        stdin_flag,
    )?);
    if first.expose_secret() != second.expose_secret() {
        return Err(Failure::invalid_input(
            "the two passwords differ; nothing was sent",
        ));
    }
    Ok(first)
}

/// The questions and answers of the interactive login. Every question goes to stderr.
/// Plain answers are lines of stdin; secret answers come from the no-echo prompt on a
/// terminal, or from lines of stdin when there is none (`--interactive`, for scripts and
/// tests).
pub(crate) struct Dialogue<'a, 'io> {
    pub(crate) io: &'a mut Io<'io>,
}

impl Dialogue<'_, '_> {
    /// Tells the person something (stderr; best effort).
    pub(crate) fn say(&mut self, text: &str) {
        let _ = writeln!(self.io.stderr, "{text}");
        let _ = self.io.stderr.flush();
    }

    /// Asks a question whose answer may be shown: the next line of stdin, trimmed.
    pub(crate) fn ask(&mut self, question: &str, what: &str) -> Result<String, Failure> {
        let _ = write!(self.io.stderr, "{question}");
        let _ = self.io.stderr.flush();
        let answer = read_line(&mut self.io.stdin, what);
        if self.io.prompt.is_none() || !matches!(answer, Ok(Some(_))) {
            // Not a terminal, or no answer: nothing echoed a line break.
            let _ = writeln!(self.io.stderr);
        }
        Ok(answer?.ok_or_else(|| no_answer(what))?.trim().to_owned())
    }

    /// Asks for a secret: without echo on a terminal, else the next line of stdin (the
    /// question then goes to stderr). An empty answer is returned as is.
    pub(crate) fn ask_secret(&mut self, question: &str, what: &str) -> Result<String, Failure> {
        if let Some(prompt) = self.io.prompt.as_mut() {
            return prompt(question)
                .map_err(|e| Failure::other("io", format!("cannot read {what}: {e}")));
        }
        let _ = write!(self.io.stderr, "{question}");
        let _ = self.io.stderr.flush();
        let answer = read_line(&mut self.io.stdin, what);
        // Nothing echoed the answer: end the prompt's line.
        let _ = writeln!(self.io.stderr);
        answer?.ok_or_else(|| no_answer(what))
    }
}

/// The input ended before `what` was answered.
fn no_answer(what: &str) -> Failure {
    Failure::invalid_input(format!(
        "no answer for {what} (end of input); nothing more was sent"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Result<String, Failure> {
        let mut reader = input;
        secret_from_stdin(&mut reader, "the new password")
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

    #[test]
    fn lines_are_read_one_by_one() {
        let mut reader = &b"one\r\ntwo\n\nthree"[..];
        let mut next = || read_line(&mut reader, "x").expect("readable");
        assert_eq!(next().as_deref(), Some("one"));
        assert_eq!(next().as_deref(), Some("two"));
        assert_eq!(next().as_deref(), Some(""));
        assert_eq!(next().as_deref(), Some("three"));
        assert_eq!(next(), None);
    }
}
