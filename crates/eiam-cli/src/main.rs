#![forbid(unsafe_code)]
//! The `eiam` command; the logic is in the `eiam_cli` library.

use std::process::ExitCode;

use clap::Parser;
use eiam_cli::{Cli, Io, init_tracing, run};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version (exit 0), or a usage error (exit 2), printed by clap.
        Err(e) => e.exit(),
    };
    let rust_log = std::env::var("RUST_LOG").ok();
    init_tracing(cli.global.verbose, rust_log.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut io = Io::std();
    runtime.block_on(run(cli, &mut io)).into()
}
