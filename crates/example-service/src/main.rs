//! `example-service`: the example service on `EXAMPLE_LISTEN` (default `127.0.0.1:3000`),
//! configured by the `EIAM_*` variables; see the library docs.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use eiam::{ClientBuilder, IdTokenVerifier};
use example_service::Service;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let allow_http = std::env::var("EXAMPLE_ALLOW_HTTP_LOOPBACK").is_ok_and(|v| v == "1");
    let client = ClientBuilder::from_env()?
        .allow_http_loopback(allow_http)
        .build()?;
    let verifier = IdTokenVerifier::for_client(&client).build()?;
    let listen = std::env::var("EXAMPLE_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    tracing::info!(address = %listener.local_addr()?, "example service listening");
    axum::serve(listener, Service::new(client, verifier).router()).await?;
    Ok(())
}
