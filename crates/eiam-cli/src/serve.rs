//! `eiam emulator`: serves the local emulator until Ctrl-C.

use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use eiam_emulator::{DEFAULT_CLIENT_ID, Emulator, EmulatorConfig, PasswordExpiry};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::Io;
use crate::args::{EmulatorArgs, GlobalArgs, OutputFormat};
use crate::demo;
use crate::output::{self, Failure};

/// Binds, prints where the emulator is (stderr; with `--output json` also one JSON object
/// on stdout) and serves until `shutdown` resolves.
pub(crate) async fn serve(
    global: &GlobalArgs,
    args: &EmulatorArgs,
    io: &mut Io<'_>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Failure> {
    if !args.listen.ip().is_loopback() && !args.public {
        return Err(Failure::usage(format!(
            "refusing to listen on {}, which is not a loopback address: the emulator has no \
             authentication; add --public to do it anyway",
            args.listen
        )));
    }
    let mut config = EmulatorConfig::default();
    if !args.accept_client_ids.is_empty() {
        config.client_ids.clone_from(&args.accept_client_ids);
    }
    let client_ids = config.client_ids.clone();
    let emulator = Emulator::new(config).map_err(|e| {
        Failure::config(format!(
            "cannot create the emulator: {}",
            output::error_chain(&e)
        ))
    })?;
    if args.seed_demo_user {
        demo::seed_demo_user(&emulator, PasswordExpiry::Expired).map_err(|e| {
            Failure::other(
                "emulator",
                format!("cannot add the demo user: {}", output::error_chain(&e)),
            )
        })?;
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::other("io", format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::other("io", format!("cannot read the listening address: {e}")))?;
    let base_url = base_url_of(addr);
    let client_id = client_ids.first().map_or(DEFAULT_CLIENT_ID, String::as_str);

    let hints = hints(&base_url, client_id, args.seed_demo_user);
    // A hint that cannot be written is no reason not to serve.
    let _ = write!(io.stderr, "{hints}");
    let _ = io.stderr.flush();
    if global.output == OutputFormat::Json {
        let ready = ready_json(&base_url, &client_ids, args.seed_demo_user);
        let _ = output::write_json(&mut io.stdout, &ready);
    }

    let result = tokio::select! {
        served = emulator.serve(listener) => served,
        () = shutdown => Ok(()),
    };
    match result {
        Ok(()) => {
            let _ = writeln!(io.stderr, "eiam emulator: stopped");
            Ok(())
        }
        Err(e) => Err(Failure::other(
            "io",
            format!("the emulator stopped: {}", output::error_chain(&e)),
        )),
    }
}

/// `http://IP:PORT` of a listening address, an unspecified IP shown as loopback (as the
/// emulator does for its issuer).
fn base_url_of(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// The text printed on stderr when the emulator is listening.
fn hints(base_url: &str, client_id: &str, seeded: bool) -> String {
    let mut text = format!(
        "eiam emulator: listening on {base_url} (client id {client_id}); Ctrl-C stops it\n\
         \x20 API:   POST {base_url}/api/v2/sdk/login, GET {base_url}/api/v2/sdk/captcha, ... \
         (openapi/eiam.yaml)\n\
         \x20 JWKS:  GET  {base_url}/api/v1/oauth2/jwks\n\
         \x20 admin (no authentication, emulator only):\n\
         \x20   POST {base_url}/_emulator/users  {{\"user_name\",\"password\",\"email\",\"mobile\",\"name\"}}\n\
         \x20   POST {base_url}/_emulator/users/{{user_name}}/expired-login  -> state_token (+ a code in the outbox)\n\
         \x20   GET  {base_url}/_emulator/captcha/{{token}}  -> the captcha's answer {{\"x\"}}\n\
         \x20   GET  {base_url}/_emulator/outbox[?to=address]\n\
         \x20   POST {base_url}/_emulator/users/{{user_name}}/check-password  {{\"password\"}}\n\
         \x20   POST {base_url}/_emulator/clock/advance  {{\"seconds\"}}\n"
    );
    if seeded {
        let user = demo::USER_NAME;
        let email = demo::EMAIL;
        let flags = format!(
            "--base-url {base_url} --allow-http-loopback --client-id {client_id} \
             --os-version demo --device-fingerprint demo --agent demo"
        );
        text.push_str(&format!(
            "demo user: {user} ({name}, {email}, {mobile}); its password has expired \
             (the password is in `eiam emulator --help`)\n\
             \x20 log in and change the password, guided (asks which way, then walks you through):\n\
             \x20      eiam {flags} login --user {user}\n\
             \x20 or by hand, without a login:\n\
             \x20 1. simulate the login that answers PASSWORD_EXPIRED (prints the state token):\n\
             \x20      curl -s -X POST {base_url}/_emulator/users/{user}/expired-login\n\
             \x20 2. read the e-mailed code from the outbox:\n\
             \x20      curl -s '{base_url}/_emulator/outbox?to={email}'\n\
             \x20 3. change the password (you will be asked for the new one):\n\
             \x20      eiam {flags} pwd update-by-email --state-token <state_token> --verify-code <code>\n",
            name = demo::NAME,
            mobile = demo::MOBILE,
        ));
    }
    text
}

/// The `--output json` line: where the emulator is.
fn ready_json(base_url: &str, client_ids: &[String], seeded: bool) -> Value {
    let demo_user = seeded.then(|| {
        json!({
            "user_name": demo::USER_NAME,
            "email": demo::EMAIL,
            "mobile": demo::MOBILE,
            "name": demo::NAME,
        })
    });
    json!({
        "base_url": base_url,
        "client_ids": client_ids,
        "jwks_url": format!("{base_url}/api/v1/oauth2/jwks"),
        "admin": {
            "users": format!("{base_url}/_emulator/users"),
            "expired_login": format!("{base_url}/_emulator/users/{{user_name}}/expired-login"),
            "captcha_answer": format!("{base_url}/_emulator/captcha/{{token}}"),
            "outbox": format!("{base_url}/_emulator/outbox"),
        },
        "demo_user": demo_user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_show_a_reachable_address() {
        assert_eq!(
            base_url_of(([0, 0, 0, 0], 8080).into()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            base_url_of((Ipv6Addr::LOCALHOST, 9).into()),
            "http://[::1]:9"
        );
    }

    #[test]
    fn hints_show_the_demo_user_only_when_seeded() {
        let plain = hints("http://127.0.0.1:1", "c", false);
        assert!(plain.contains("/_emulator/outbox"), "{plain}");
        assert!(!plain.contains("demo.user"), "{plain}");
        let seeded = hints("http://127.0.0.1:1", "c", true);
        assert!(
            seeded.contains(
                "curl -s -X POST http://127.0.0.1:1/_emulator/users/demo.user/expired-login"
            ),
            "{seeded}"
        );
        assert!(seeded.contains("login --user demo.user"), "{seeded}");
        assert!(!seeded.contains(demo::OLD_PASSWORD), "{seeded}");
    }
}
