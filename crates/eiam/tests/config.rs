//! Building a client: the base URL policy, required settings, environment variables.

use std::collections::HashMap;

use eiam::{Client, ClientBuilder, ConfigError, Language};

fn complete() -> ClientBuilder {
    Client::builder()
        .client_id("client")
        .os_version("os")
        .device_fingerprint("fp")
        .agent("agent")
}

fn base_url_error(url: &str, allow_http: bool) -> Option<String> {
    match complete()
        .base_url(url)
        .allow_http_loopback(allow_http)
        .build()
    {
        Ok(_) => None,
        Err(ConfigError::BaseUrl { reason, .. }) => Some(reason),
        Err(ConfigError::PlainHttpNotAllowed { .. }) => Some("needs allow_http_loopback".into()),
        Err(other) => panic!("{url}: unexpected error {other:?}"),
    }
}

#[test]
fn https_is_accepted_and_trailing_slashes_are_trimmed() {
    let client = complete()
        .base_url("https://tenant.example.com/")
        .build()
        .expect("https works");
    assert_eq!(client.base_url(), "https://tenant.example.com");
    let client = complete()
        .base_url("https://gw.example.com/eiam/")
        .build()
        .expect("a path prefix works");
    assert_eq!(client.base_url(), "https://gw.example.com/eiam");
}

#[test]
fn plain_http_needs_a_loopback_host_and_the_opt_in() {
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "http://127.8.9.10",
    ] {
        assert_eq!(base_url_error(url, true), None, "{url} with opt-in");
        let reason = base_url_error(url, false).expect("refused without opt-in");
        assert!(reason.contains("allow_http_loopback"), "{reason}");
    }
    for url in [
        "http://tenant.example.com",
        "http://10.0.0.1",
        "http://localhost.evil.com",
    ] {
        let reason = base_url_error(url, true).expect("refused even with opt-in");
        assert!(reason.contains("use https"), "{url}: {reason}");
    }
}

#[test]
fn malformed_base_urls_are_refused_with_a_reason() {
    for url in [
        "tenant.example.com",
        "ftp://tenant.example.com",
        "https://tenant.example.com/?x=1",
        "https://user:pw@tenant.example.com",
        "",
    ] {
        assert!(base_url_error(url, false).is_some(), "{url} accepted");
    }
}

#[test]
fn a_refused_base_url_does_not_repeat_its_secrets() {
    for (url, secret) in [
        ("https://user:s3cret-pw@tenant.example.com", "s3cret-pw"),
        ("https://s3cret-user@tenant.example.com", "s3cret-user"),
        (
            "https://tenant.example.com/?token=s3cret-token",
            "s3cret-token",
        ),
        ("https://tenant.example.com/#s3cret-frag", "s3cret-frag"),
        ("http://user:s3cret-pw@tenant.example.com", "s3cret-pw"),
        ("not a url but user:s3cret-pw@host", "s3cret-pw"),
    ] {
        let err = complete().base_url(url).build().expect_err("refused");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(secret), "{url}: {text}");
        }
    }
    // What is not secret stays, so that the message still says which URL it was.
    let err = complete()
        .base_url("https://user:pw@tenant.example.com/base")
        .build()
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("https://***:***@tenant.example.com/base"),
        "{err}"
    );
}

#[test]
fn required_settings_name_their_environment_variable() {
    let err = Client::builder()
        .base_url("https://t.example.com")
        .os_version("os")
        .device_fingerprint("fp")
        .agent("agent")
        .build()
        .expect_err("client id missing");
    assert!(
        matches!(
            err,
            ConfigError::Missing {
                env: "EIAM_CLIENT_ID",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("EIAM_CLIENT_ID"), "{err}");
    let err = complete().build().expect_err("base url missing");
    assert!(err.to_string().contains("EIAM_BASE_URL"), "{err}");
    let err = complete()
        .base_url("https://t.example.com")
        .agent("  ")
        .build()
        .expect_err("blank agent");
    assert!(err.to_string().contains("EIAM_AGENT"), "{err}");
}

#[test]
fn header_values_with_control_characters_are_refused() {
    for (what, builder) in [
        ("agent", complete().agent("Mozilla\r\nX-Injected: 1")),
        ("client id", complete().client_id("abc\n")),
        ("device IP", complete().device_ip("1.2.3.4\0")),
        ("tenant id", complete().tenant_id("t\x7f")),
    ] {
        let err = builder
            .base_url("https://t.example.com")
            .build()
            .expect_err("refused");
        match err {
            ConfigError::Value { what: w, .. } => assert_eq!(w, what),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn settings_come_from_the_environment() {
    let vars: HashMap<&str, &str> = [
        ("EIAM_BASE_URL", "https://tenant.example.com"),
        ("EIAM_CLIENT_ID", "cid"),
        ("EIAM_TENANT_ID", "tid"),
        ("EIAM_OS_VERSION", "linux6"),
        ("EIAM_DEVICE_FINGERPRINT", "fp1"),
        ("EIAM_DEVICE_IP", "10.1.2.3"),
        ("EIAM_AGENT", "svc/1.0"),
        ("EIAM_LANG", "ZH"),
    ]
    .into_iter()
    .collect();
    let builder = ClientBuilder::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
        .expect("valid environment");
    let client = builder.build().expect("complete");
    assert_eq!(client.base_url(), "https://tenant.example.com");
    assert_eq!(client.client_id(), "cid");
}

#[test]
fn a_bad_language_in_the_environment_is_an_error_not_a_default() {
    let err = ClientBuilder::from_lookup(|k| (k == "EIAM_LANG").then(|| "fr".to_owned()))
        .expect_err("fr is not supported");
    assert!(err.to_string().contains("EIAM_LANG"), "{err}");
    assert_eq!("zh".parse::<Language>().ok(), Some(Language::Chinese));
    assert_eq!(" EN ".parse::<Language>().ok(), Some(Language::English));
}
