//! Benchmarks of the EIAM SDK: what each layer costs against raw hyper and reqwest on the
//! same loopback server, connection reuse, the emulator's throughput against the machine's
//! RSA signing rate, a consumer's build cost and memory.
//!
//! `cargo run --release -p eiam-bench` (or `bench/run`) runs everything and writes
//! `BENCHMARKS.md`; `tests/smoke.rs` runs one tiny iteration of every measure in the test
//! suite, without timing anything against a limit. The harness is custom rather than
//! Criterion: it interleaves the variants round by round and reports paired ratios, runs
//! many calls in flight, measures memory in child processes and times whole cargo builds,
//! none of which Criterion does.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod build_cost;
pub mod flows;
pub mod instructions;
pub mod latency;
pub mod memory;
pub mod report;
pub mod reuse;
pub mod server;
pub mod stats;
pub mod variants;

/// Consumer A of the build-cost measure, compiled here so that it keeps compiling.
#[allow(dead_code, missing_docs)]
#[path = "../consumers/wrapper.rs"]
pub mod consumer_wrapper;

/// Consumer B of the build-cost measure, compiled here so that it keeps compiling.
#[allow(dead_code, missing_docs)]
#[path = "../consumers/raw.rs"]
pub mod consumer_raw;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::ensure;

use crate::build_cost::{BuildConfig, BuildReport};
use crate::flows::{FlowConfig, FlowReport};
use crate::instructions::InstructionReport;
use crate::latency::{LatencyConfig, LatencyReport};
use crate::memory::MemoryReport;
use crate::report::Machine;
use crate::reuse::ReuseReport;
use crate::server::LoopbackServer;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Measure 1.
    pub latency: LatencyConfig,
    /// Measure 1b: the calls of callgrind's short and long runs; `None` skips it (it is
    /// skipped anyway without valgrind).
    pub instructions: Option<(usize, usize)>,
    /// Measure 2: sequential calls through one client.
    pub reuse_calls: usize,
    /// Measure 3.
    pub flows: FlowConfig,
    /// Measure 4; `None` skips it.
    pub build: Option<BuildConfig>,
    /// Measure 5: calls per child process.
    pub memory_calls: usize,
    /// Measure 5: child processes per variant.
    pub memory_repeats: usize,
    /// The benchmark binary, started as `mem-child` for measure 5.
    pub exe: PathBuf,
}

impl Options {
    /// The full benchmark.
    pub fn full(exe: PathBuf) -> Options {
        Options {
            latency: LatencyConfig::full(),
            instructions: Some((200, 1_200)),
            reuse_calls: 1_000,
            flows: FlowConfig::full(),
            build: Some(BuildConfig {
                workspace: BuildConfig::workspace_root(),
                repeats: 3,
            }),
            memory_calls: 10_000,
            memory_repeats: 3,
            exe,
        }
    }

    /// One tiny iteration of everything (the build-cost measure only writes and resolves
    /// the two consumers).
    pub fn quick(exe: PathBuf) -> Options {
        Options {
            latency: LatencyConfig::quick(),
            instructions: Some((1, 3)),
            reuse_calls: 20,
            flows: FlowConfig::quick(),
            build: Some(BuildConfig {
                workspace: BuildConfig::workspace_root(),
                repeats: 0,
            }),
            memory_calls: 20,
            memory_repeats: 1,
            exe,
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The machine, the date, the load.
    pub machine: Machine,
    /// Measure 1.
    pub latency: LatencyReport,
    /// Measure 1b, when valgrind was there.
    pub instructions: Option<InstructionReport>,
    /// Why measure 1b failed, if it did.
    pub instructions_error: Option<String>,
    /// Measure 2.
    pub reuse: ReuseReport,
    /// Measure 3.
    pub flows: FlowReport,
    /// Measure 4, unless skipped.
    pub build: Option<BuildReport>,
    /// Why measure 4 failed, if it did.
    pub build_error: Option<String>,
    /// Measure 5.
    pub memory: MemoryReport,
    /// `/proc/loadavg`'s first figure at the end.
    pub load_end: Option<f64>,
    /// How long the whole run took.
    pub elapsed: Duration,
    /// Whether this was the quick iteration.
    pub quick: bool,
}

/// Runs every measure, in order, printing progress on stderr.
///
/// # Errors
/// The first measure that failed.
pub fn run_all(options: &Options, quick: bool) -> anyhow::Result<Report> {
    let started = Instant::now();
    let machine = Machine::read(&BuildConfig::workspace_root());
    let server = LoopbackServer::start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    eprintln!("1/5 latency and throughput: hyper, reqwest, generated, wrapper…");
    let latency = runtime.block_on(latency::run(&server.base_url(), &options.latency))?;
    ensure!(server.refused() == 0, "the loopback server refused calls");

    let mut instructions_error = None;
    let instructions = match options.instructions {
        Some((short, long)) if instructions::available() => {
            eprintln!("1b/5 instructions per call (callgrind)…");
            // A valgrind that cannot run this binary loses this measure only.
            instructions::run(&options.exe, short, long)
                .map_err(|e| {
                    eprintln!("instructions: {e:#}");
                    instructions_error = Some(format!("{e:#}"));
                })
                .ok()
        }
        _ => None,
    };

    eprintln!("2/5 connection reuse…");
    let reuse = runtime.block_on(reuse::run(options.reuse_calls))?;

    eprintln!("3/5 memory: one child process per variant and repeat…");
    let memory = memory::run(
        &options.exe,
        &server.base_url(),
        options.memory_calls,
        options.memory_repeats,
    )?;
    ensure!(server.refused() == 0, "the loopback server refused calls");
    drop(server);
    drop(runtime);

    eprintln!("4/5 emulator flows and RSA-2048 signing…");
    let flows = flows::run(&options.flows)?;

    let mut build_error = None;
    let build = match &options.build {
        Some(config) => {
            eprintln!("5/5 build cost: clean builds of two consumer crates…");
            // A checkout that does not build at this moment loses this measure only.
            match build_cost::run(config) {
                Ok(report) => Some(report),
                Err(e) => {
                    eprintln!("build cost: {e:#}");
                    build_error = Some(format!("{e:#}"));
                    None
                }
            }
        }
        None => None,
    };
    Ok(Report {
        machine,
        latency,
        instructions,
        instructions_error,
        reuse,
        flows,
        build: build.filter(|b| !b.wrapper.secs.is_empty()),
        build_error,
        memory,
        load_end: report::load_average(),
        elapsed: started.elapsed(),
        quick,
    })
}
