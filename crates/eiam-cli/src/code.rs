//! `eiam captcha get`, `eiam captcha verify` and `eiam code send`.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use eiam::{Captcha, CodeChannel, CodeType, ExposeSecret};
use serde_json::json;

use crate::args::{CaptchaGetArgs, CaptchaVerifyArgs, CodeSendArgs, GlobalArgs, OutputFormat};
use crate::output::{self, Failure};
use crate::pwd::write_failure;
use crate::{Io, client_from};

/// `eiam captcha get`: prints the captcha's token; with `--save-images` writes the PNGs.
pub(crate) async fn captcha_get(
    global: &GlobalArgs,
    args: CaptchaGetArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    let captcha = client.captcha().await.map_err(|e| Failure::from_call(&e))?;
    let saved = match &args.save_images {
        Some(dir) => Some(save_images(&captcha, dir)?),
        None => None,
    };
    let background = image_len(captcha.background_png_base64());
    let jigsaw = image_len(captcha.jigsaw_png_base64());
    let path_text = |p: Option<&PathBuf>| p.map(|p| p.display().to_string());
    let (background_path, jigsaw_path) = match &saved {
        Some((b, j)) => (path_text(b.as_ref()), path_text(j.as_ref())),
        None => (None, None),
    };
    let written = match global.output {
        OutputFormat::Json => output::write_json(
            &mut io.stdout,
            &json!({
                "token": captcha.token(),
                "background_png_bytes": background,
                "jigsaw_png_bytes": jigsaw,
                "saved": saved.as_ref().map(|_| json!({
                    "background": background_path,
                    "jigsaw": jigsaw_path,
                })),
            }),
        ),
        OutputFormat::Text => {
            let out = &mut io.stdout;
            let describe = |len: Option<usize>, path: Option<&String>| match (len, path) {
                (Some(len), Some(path)) => format!("{len} bytes, saved to {path}"),
                (Some(len), None) => format!("{len} bytes"),
                (None, _) => "(none)".to_owned(),
            };
            writeln!(out, "token:      {}", captcha.token())
                .and_then(|()| {
                    writeln!(
                        out,
                        "background: {}",
                        describe(background, background_path.as_ref())
                    )
                })
                .and_then(|()| {
                    writeln!(
                        out,
                        "jigsaw:     {}",
                        describe(jigsaw, jigsaw_path.as_ref())
                    )
                })
                .and_then(|()| out.flush())
        }
    };
    written.map_err(write_failure)
}

/// The decoded size of an image, if it is there and decodes.
fn image_len(base64: Option<&str>) -> Option<usize> {
    base64.and_then(|b| decode_png(b).ok()).map(|b| b.len())
}

/// Decodes a base64 image (a `data:` prefix, if any, is dropped).
fn decode_png(base64: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let body = base64
        .split_once(";base64,")
        .map_or(base64, |(_, body)| body);
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact)
}

/// Writes `captcha-<token>-background.png` and `captcha-<token>-jigsaw.png` into `dir`.
fn save_images(
    captcha: &Captcha,
    dir: &Path,
) -> Result<(Option<PathBuf>, Option<PathBuf>), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::other(
            "io",
            format!("cannot create the directory {}: {e}", dir.display()),
        )
    })?;
    let stem = file_stem(captcha.token());
    let write = |name: &str, base64: Option<&str>| -> Result<Option<PathBuf>, Failure> {
        let Some(base64) = base64 else {
            return Ok(None);
        };
        let bytes = decode_png(base64).map_err(|e| {
            Failure::other(
                "unexpected_response",
                format!("the captcha's {name} image is not base64: {e}"),
            )
        })?;
        let path = dir.join(format!("{stem}-{name}.png"));
        std::fs::write(&path, bytes)
            .map_err(|e| Failure::other("io", format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(path))
    };
    let background = write("background", captcha.background_png_base64())?;
    let jigsaw = write("jigsaw", captcha.jigsaw_png_base64())?;
    Ok((background, jigsaw))
}

/// `captcha-<token>` with only letters, digits, `-` and `_` kept (the token comes from the
/// network and must not choose the path).
fn file_stem(token: &str) -> String {
    let safe: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(64)
        .collect();
    if safe.is_empty() {
        "captcha".to_owned()
    } else {
        format!("captcha-{safe}")
    }
}

/// A captcha known only by its token (what `verify` needs of it).
pub(crate) fn captcha_of_token(token: &str) -> Captcha {
    Captcha::from(eiam_api::types::Captcha {
        token: token.to_owned(),
        jigsaw_image_base64: None,
        original_image_base64: None,
        result: None,
        secret_key: None,
    })
}

/// `eiam captcha verify`: prints the captcha_token.
pub(crate) async fn captcha_verify(
    global: &GlobalArgs,
    args: CaptchaVerifyArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let client = client_from(global, io)?;
    if args.token.trim().is_empty() {
        return Err(Failure::invalid_input(
            "invalid token: is empty; nothing was sent",
        ));
    }
    let captcha = captcha_of_token(args.token.trim());
    let token = client
        .verify_captcha(&captcha, args.x, args.sender.trim())
        .await
        .map_err(|e| Failure::from_call(&e))?;
    let token = token.expose_secret();
    let written = match global.output {
        OutputFormat::Json => {
            output::write_json(&mut io.stdout, &json!({ "captcha_token": token }))
        }
        OutputFormat::Text => writeln!(io.stdout, "{token}").and_then(|()| io.stdout.flush()),
    };
    written.map_err(write_failure)
}

/// The code type of a `--type` value sent on `channel`: the typed variant of a known value
/// (which must belong to that channel), another value as it is.
pub(crate) fn code_type(value: Option<&str>, channel: CodeChannel) -> Result<CodeType, Failure> {
    let Some(value) = value.map(str::trim) else {
        return Ok(match channel {
            CodeChannel::Email => CodeType::ChangePasswordEmail,
            CodeChannel::Sms => CodeType::ChangePasswordSms,
        });
    };
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Failure::usage(format!(
            "invalid --type {value:?}: a code type is written in capitals, e.g. CHANGE_PWD_EMS"
        )));
    }
    let known = [
        CodeType::ChangePasswordEmail,
        CodeType::ChangePasswordSms,
        CodeType::LoginEmail,
        CodeType::LoginSms,
        CodeType::MfaEmail,
        CodeType::MfaSms,
        CodeType::ForgotPasswordEmail,
        CodeType::ForgotPasswordSms,
    ];
    let code_type = known
        .into_iter()
        .find(|t| t.as_str() == value)
        .unwrap_or_else(|| CodeType::Other {
            channel,
            value: value.to_owned(),
        });
    if code_type.channel() != channel {
        let (flag, other) = match channel {
            CodeChannel::Email => ("--email", "--mobile"),
            CodeChannel::Sms => ("--mobile", "--email"),
        };
        return Err(Failure::usage(format!(
            "--type {value} is sent by {}: use {other} instead of {flag}",
            channel_name(code_type.channel())
        )));
    }
    Ok(code_type)
}

/// `e-mail` or `SMS`.
fn channel_name(channel: CodeChannel) -> &'static str {
    match channel {
        CodeChannel::Email => "e-mail",
        CodeChannel::Sms => "SMS",
    }
}

/// `eiam code send`.
pub(crate) async fn code_send(
    global: &GlobalArgs,
    args: CodeSendArgs,
    io: &mut Io<'_>,
) -> Result<(), Failure> {
    let (channel, to) = match (&args.email, &args.mobile) {
        (Some(email), None) => (CodeChannel::Email, email.trim()),
        (None, Some(mobile)) => (CodeChannel::Sms, mobile.trim()),
        // clap requires exactly one of them.
        _ => return Err(Failure::usage("give either --email or --mobile")),
    };
    let code_type = code_type(args.code_type.as_deref(), channel)?;
    let client = client_from(global, io)?;
    tracing::info!(
        base_url = client.base_url(),
        code_type = code_type.as_str(),
        "sending a verification code"
    );
    client
        .send_code(&code_type, to, &args.captcha_token)
        .await
        .map_err(|e| Failure::from_call(&e))?;
    let channel_json = match channel {
        CodeChannel::Email => "email",
        CodeChannel::Sms => "sms",
    };
    let written = match global.output {
        OutputFormat::Json => output::write_json(
            &mut io.stdout,
            &json!({
                "sent": true,
                "channel": channel_json,
                "to": to,
                "type": code_type.as_str(),
            }),
        ),
        OutputFormat::Text => writeln!(
            io.stdout,
            "sent a {} code by {} to {to}",
            code_type.as_str(),
            channel_name(channel)
        )
        .and_then(|()| io.stdout.flush()),
    };
    written.map_err(write_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_types_default_by_channel_and_must_match_it() {
        let t = |v: Option<&str>, c| code_type(v, c).map(|t| t.as_str().to_owned());
        assert_eq!(
            t(None, CodeChannel::Email).ok().as_deref(),
            Some("CHANGE_PWD_EMS")
        );
        assert_eq!(
            t(None, CodeChannel::Sms).ok().as_deref(),
            Some("CHANGE_PWD_SMS")
        );
        assert_eq!(
            t(Some("LOGIN_SMS"), CodeChannel::Sms).ok().as_deref(),
            Some("LOGIN_SMS")
        );
        // Unknown values are sent as given, on the chosen channel.
        assert_eq!(
            t(Some("BIND_EMAIL_EMS"), CodeChannel::Email)
                .ok()
                .as_deref(),
            Some("BIND_EMAIL_EMS")
        );
        let e = code_type(Some("CHANGE_PWD_SMS"), CodeChannel::Email).expect_err("mismatch");
        assert!(e.message.contains("--mobile"), "{}", e.message);
        assert!(code_type(Some("change pwd"), CodeChannel::Email).is_err());
    }

    #[test]
    fn image_files_are_named_from_a_safe_token() {
        assert_eq!(file_stem("ab/../c d"), "captcha-abcd");
        assert_eq!(file_stem("../"), "captcha");
        assert_eq!(
            decode_png("data:image/png;base64,aGk=").ok(),
            Some(b"hi".to_vec())
        );
        assert_eq!(decode_png("aG\nk=").ok(), Some(b"hi".to_vec()));
    }
}
