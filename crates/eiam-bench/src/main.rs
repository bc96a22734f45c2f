//! `eiam-bench`: runs every benchmark and writes `BENCHMARKS.md`.
//!
//! ```text
//! eiam-bench [--quick] [--no-build-cost] [--out PATH]   run everything (default out: BENCHMARKS.md
//!                                                       at the workspace root; --quick: stdout)
//! eiam-bench mem-child VARIANT BASE_URL CALLS           (internal) one memory measurement
//! eiam-bench calls VARIANT CALLS                        calls of one variant, for profilers
//! eiam-bench flows FLOWS                                emulator flows of one user, for profilers
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use eiam_bench::build_cost::BuildConfig;
use eiam_bench::variants::Variant;
use eiam_bench::{Options, memory, report, run_all};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("eiam-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<ExitCode> {
    if args.first().map(String::as_str) == Some("mem-child") {
        let [_, variant, base_url, calls] = args.as_slice() else {
            anyhow::bail!("usage: eiam-bench mem-child VARIANT BASE_URL CALLS");
        };
        let variant = Variant::from_name(variant)
            .ok_or_else(|| anyhow::anyhow!("unknown variant {variant}"))?;
        let figures = memory::child(variant, base_url, calls.parse()?)?;
        println!("{}", figures.to_line());
        return Ok(ExitCode::SUCCESS);
    }
    if args.first().map(String::as_str) == Some("calls") {
        // For profilers (e.g. valgrind --tool=callgrind --separate-threads=yes): CALLS
        // sequential calls of one variant on the main thread, the server on another.
        let [_, variant, calls] = args.as_slice() else {
            anyhow::bail!("usage: eiam-bench calls VARIANT CALLS");
        };
        let variant = Variant::from_name(variant)
            .ok_or_else(|| anyhow::anyhow!("unknown variant {variant}"))?;
        let calls: usize = calls.parse()?;
        let server = eiam_bench::server::LoopbackServer::start()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let caller = eiam_bench::variants::Caller::new(variant, &server.base_url())?;
            for _ in 0..calls {
                caller.call().await?;
            }
            anyhow::Ok(())
        })?;
        eprintln!("{calls} calls of {variant}");
        return Ok(ExitCode::SUCCESS);
    }
    if args.first().map(String::as_str) == Some("flows") {
        // For profilers: sequential password-change flows against the emulator.
        let [_, flows] = args.as_slice() else {
            anyhow::bail!("usage: eiam-bench flows FLOWS");
        };
        eiam_bench::flows::profile(flows.parse()?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut quick = false;
    let mut build_cost = true;
    let mut out: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-build-cost" => build_cost = false,
            "--out" => {
                out = Some(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--out needs a path"))?
                        .into(),
                )
            }
            "-h" | "--help" => {
                println!("usage: eiam-bench [--quick] [--no-build-cost] [--out PATH]");
                return Ok(ExitCode::SUCCESS);
            }
            other => anyhow::bail!("unknown argument {other} (see --help)"),
        }
    }
    let exe = std::env::current_exe()?;
    let mut options = if quick {
        Options::quick(exe)
    } else {
        Options::full(exe)
    };
    if !build_cost {
        options.build = None;
    }
    if cfg!(debug_assertions) && !quick {
        eprintln!(
            "eiam-bench: built without optimisations; use bench/run or --release for figures"
        );
    }
    let report = run_all(&options, quick)?;
    let markdown = report::markdown(&report);
    let out = out.or_else(|| (!quick).then(|| BuildConfig::workspace_root().join("BENCHMARKS.md")));
    match out {
        Some(path) => {
            std::fs::write(&path, &markdown)?;
            eprintln!(
                "wrote {} in {:.0} s",
                path.display(),
                report.elapsed.as_secs_f64()
            );
        }
        None => print!("{markdown}"),
    }
    for (goal, met) in report::goals_met(&report) {
        eprintln!("  {goal}: {}", if met { "met" } else { "NOT met" });
    }
    Ok(ExitCode::SUCCESS)
}
