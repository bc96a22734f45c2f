//! The machine, and `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Report;
use crate::variants::Variant;

/// The goals of the issue.
pub mod goals {
    /// The wrapper's median latency ÷ raw reqwest's, at most.
    pub const LATENCY_RATIO: f64 = 1.02;
    /// The wrapper's throughput ÷ raw reqwest's, at least.
    pub const THROUGHPUT_RATIO: f64 = 0.98;
    /// TCP connections for the sequential calls of one wrapper client.
    pub const CONNECTIONS: u64 = 1;
    /// Emulator flows/s ÷ RSA-2048 signatures/s (all cores), at least.
    pub const FLOW_RATIO: f64 = 0.8;
    /// Clean build of the wrapper consumer ÷ the hand-written one, at most.
    pub const BUILD_RATIO: f64 = 1.15;
    /// Peak memory growth between the first tenth of the calls and the end, as a fraction
    /// of the peak, at most ("no growth": allocator noise only).
    pub const MEMORY_GROWTH: f64 = 0.01;
}

/// The machine a run happened on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Cores available to the process.
    pub cores: usize,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// `MemTotal` of `/proc/meminfo`, GiB.
    pub memory_gib: f64,
    /// The kernel release.
    pub kernel: String,
    /// `rustc -V`.
    pub rustc: String,
    /// The checkout's commit, `+ uncommitted changes` when dirty.
    pub commit: String,
    /// The date and time of the start, UTC.
    pub date: String,
    /// `/proc/loadavg`'s first figure at the start.
    pub load_start: Option<f64>,
    /// The profile the benchmark was built with.
    pub profile: &'static str,
}

impl Machine {
    /// Reads the machine's facts; `workspace` is the checkout (for the commit).
    pub fn read(workspace: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let commit = command_output(Command::new("git").arg("-C").arg(workspace).args([
            "rev-parse",
            "--short",
            "HEAD",
        ]))
        .map(|c| {
            let dirty = command_output(
                Command::new("git")
                    .arg("-C")
                    .arg(workspace)
                    .args(["status", "--porcelain"]),
            )
            .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{c} + uncommitted changes")
            } else {
                c
            }
        })
        .unwrap_or_else(|| "unknown".into());
        Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu,
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into()),
            rustc: command_output(Command::new("rustc").arg("-V"))
                .unwrap_or_else(|| "unknown".into()),
            commit,
            date: utc_now(),
            load_start: load_average(),
            profile: if cfg!(debug_assertions) {
                "debug (not for figures)"
            } else {
                "release"
            },
        }
    }
}

fn command_output(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The one-minute load average.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's method).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn yes(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

fn thousands(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if rounded < 0 { format!("-{out}") } else { out }
}

/// Whether every goal the report measured was met.
pub fn goals_met(report: &Report) -> Vec<(&'static str, bool)> {
    let mut met = Vec::new();
    if let Some(w) = report.latency.get(Variant::Wrapper) {
        met.push(("latency", w.latency_ratio <= goals::LATENCY_RATIO));
        met.push((
            "throughput",
            w.sequential_ratio >= goals::THROUGHPUT_RATIO
                && w.concurrent_ratio >= goals::THROUGHPUT_RATIO,
        ));
    }
    met.push((
        "connection reuse",
        report.reuse.connections(Variant::Wrapper) == Some(goals::CONNECTIONS),
    ));
    if let Some(busiest) = report.flows.busiest() {
        met.push(("emulator", busiest.ratio_all_cores >= goals::FLOW_RATIO));
    }
    if let Some(build) = &report.build {
        met.push(("build cost", build.ratio <= goals::BUILD_RATIO));
    }
    if let Some(w) = report.memory.get(Variant::Wrapper) {
        met.push((
            "memory",
            w.peak_growth_kib <= goals::MEMORY_GROWTH * w.peak_kib,
        ));
    }
    met
}

/// `BENCHMARKS.md`.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = render(report, &mut out);
    out
}

fn render(r: &Report, out: &mut String) -> std::fmt::Result {
    let m = &r.machine;
    let load = |l: Option<f64>| l.map_or_else(|| "?".into(), |l| format!("{l:.2}"));
    writeln!(out, "# Benchmarks")?;
    writeln!(out)?;
    writeln!(
        out,
        "Written by `bench/run` (`cargo run --release -p eiam-bench`); do not edit by hand. \
         How each figure is measured: [Method](#method)."
    )?;
    if r.quick {
        writeln!(out)?;
        writeln!(out, "**Quick iteration: these figures mean nothing.**")?;
    }
    writeln!(out)?;
    writeln!(out, "| | |")?;
    writeln!(out, "|---|---|")?;
    writeln!(out, "| date | {} |", m.date)?;
    writeln!(
        out,
        "| machine | {} cores (nproc), {}, {:.1} GiB memory, Linux {} |",
        m.cores, m.cpu, m.memory_gib, m.kernel
    )?;
    writeln!(out, "| toolchain | {} |", m.rustc)?;
    writeln!(out, "| commit | {} |", m.commit)?;
    writeln!(out, "| profile | {} |", m.profile)?;
    writeln!(
        out,
        "| load average (1 min) | {} at the start, {} at the end |",
        load(m.load_start),
        load(r.load_end)
    )?;
    writeln!(out, "| run time | {:.0} s |", r.elapsed.as_secs_f64())?;
    writeln!(out)?;

    // Summary.
    writeln!(out, "## Goals")?;
    writeln!(out)?;
    writeln!(out, "| measure | figure | goal | met |")?;
    writeln!(out, "|---|---|---|---|")?;
    if let Some(w) = r.latency.get(Variant::Wrapper) {
        writeln!(
            out,
            "| 1. wrapper ÷ raw reqwest, median latency | {:.3}× | ≤ {:.2}× | {} |",
            w.latency_ratio,
            goals::LATENCY_RATIO,
            yes(w.latency_ratio <= goals::LATENCY_RATIO)
        )?;
        writeln!(
            out,
            "| 1. wrapper ÷ raw reqwest, calls/s with 1 in flight | {:.3}× | ≥ {:.2}× | {} |",
            w.sequential_ratio,
            goals::THROUGHPUT_RATIO,
            yes(w.sequential_ratio >= goals::THROUGHPUT_RATIO)
        )?;
        writeln!(
            out,
            "| 1. wrapper ÷ raw reqwest, calls/s with {} in flight | {:.3}× | ≥ {:.2}× | {} |",
            r.latency.config.in_flight,
            w.concurrent_ratio,
            goals::THROUGHPUT_RATIO,
            yes(w.concurrent_ratio >= goals::THROUGHPUT_RATIO)
        )?;
    }
    if let Some(c) = r.reuse.connections(Variant::Wrapper) {
        writeln!(
            out,
            "| 2. TCP connections for {} sequential wrapper calls | {c} | {} | {} |",
            thousands(r.reuse.calls as f64),
            goals::CONNECTIONS,
            yes(c == goals::CONNECTIONS)
        )?;
    }
    if let Some(b) = r.flows.busiest() {
        writeln!(
            out,
            "| 3. emulator flows/s ÷ RSA-2048 signatures/s ({} threads), {} users | {:.2} | ≥ {:.1} | {} |",
            r.flows.threads,
            b.users,
            b.ratio_all_cores,
            goals::FLOW_RATIO,
            yes(b.ratio_all_cores >= goals::FLOW_RATIO)
        )?;
    }
    match &r.build {
        Some(b) => writeln!(
            out,
            "| 4. clean build, wrapper consumer ÷ hand-written consumer | {:.3}× | ≤ {:.2}× | {} |",
            b.ratio,
            goals::BUILD_RATIO,
            yes(b.ratio <= goals::BUILD_RATIO)
        )?,
        None => writeln!(
            out,
            "| 4. clean build, wrapper consumer ÷ hand-written consumer | not measured | ≤ {:.2}× | |",
            goals::BUILD_RATIO
        )?,
    }
    if let Some(w) = r.memory.get(Variant::Wrapper) {
        let met = w.peak_growth_kib <= goals::MEMORY_GROWTH * w.peak_kib;
        writeln!(
            out,
            "| 5. peak RSS growth from call {} to call {}, wrapper | {:+.0} KiB (peak {:.0} KiB, {:.3}× raw reqwest's) | no growth (≤ {:.0} % of the peak) | {} |",
            thousands((r.memory.calls / 10).max(1) as f64),
            thousands(r.memory.calls as f64),
            w.peak_growth_kib,
            w.peak_kib,
            w.ratio,
            goals::MEMORY_GROWTH * 100.0,
            yes(met)
        )?;
    }
    writeln!(out)?;

    // 1.
    let l = &r.latency;
    writeln!(
        out,
        "## 1. Per-call latency and throughput (update-by-email, loopback)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{} rounds; a round is one batch of {} sequential calls per variant, then one batch of {} calls with {} in flight per variant, in an order that changes every round. Ratios are to raw reqwest in the same round, median over the rounds.",
        l.config.rounds,
        thousands(l.config.sequential_calls as f64),
        thousands(l.config.concurrent_calls as f64),
        l.config.in_flight
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| variant | median µs | ratio | p99 µs | ratio | calls/s, 1 in flight | ratio | calls/s, {} in flight | ratio |",
        l.config.in_flight
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for f in &l.variants {
        writeln!(
            out,
            "| {} | {:.1} | {:.3} | {:.1} | {:.3} | {} | {:.3} | {} | {:.3} |",
            f.variant.label(),
            f.median_us,
            f.latency_ratio,
            f.p99_us,
            f.p99_ratio,
            thousands(f.sequential_per_s),
            f.sequential_ratio,
            thousands(f.concurrent_per_s),
            f.concurrent_ratio
        )?;
    }
    writeln!(out)?;

    match &r.instructions {
        Some(ins) => {
            writeln!(
                out,
                "Instructions per call on the client side, counted by callgrind (repeatable, unlike the timings): only while the call's future is polled (building the request, sending it, reading and decoding the answer; not the connection's task nor the server), the difference between runs of {} and {} calls.",
                thousands(ins.calls.0 as f64),
                thousands(ins.calls.1 as f64)
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "| variant | instructions per call | ratio | more than the layer below |"
            )?;
            writeln!(out, "|---|---:|---:|---:|")?;
            let mut below: Option<f64> = None;
            for f in &ins.variants {
                let more = below.map_or_else(String::new, |b| {
                    let d = f.per_call - b;
                    format!("{}{}", if d >= 0.0 { "+" } else { "" }, thousands(d))
                });
                writeln!(
                    out,
                    "| {} | {} | {:.3} | {} |",
                    f.variant.label(),
                    thousands(f.per_call),
                    f.ratio,
                    more
                )?;
                below = Some(f.per_call);
            }
        }
        None => match &r.instructions_error {
            Some(e) => writeln!(
                out,
                "(Instructions per call: callgrind failed: {})",
                e.lines().next().unwrap_or("")
            )?,
            None => writeln!(
                out,
                "(Instructions per call: not counted, valgrind is not installed.)"
            )?,
        },
    }
    writeln!(out)?;

    // 2.
    writeln!(out, "## 2. Connection reuse")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} sequential calls through one client, each variant against a fresh server that counts the TCP connections it accepts.",
        thousands(r.reuse.calls as f64)
    )?;
    writeln!(out)?;
    writeln!(out, "| variant | connections |")?;
    writeln!(out, "|---|---:|")?;
    for f in &r.reuse.variants {
        writeln!(out, "| {} | {} |", f.variant.label(), f.connections)?;
    }
    writeln!(out)?;

    // 3.
    let fl = &r.flows;
    writeln!(out, "## 3. Emulator: password-change flows per second")?;
    writeln!(out)?;
    writeln!(
        out,
        "A flow: `expired_login` (state token, code e-mailed to the outbox), `latest_code`, then `update-by-email` over HTTP through the `eiam` client, which answers a session with an RS256 id_token. The emulator and the clients share one tokio runtime of {} workers. Signing rates: aws-lc-rs, RSA-2048, PKCS#1 v1.5 SHA-256, the emulator's key, measured between the flow batches; {} repeats of {:.1} s flow batches, medians; {} flows in all.",
        fl.threads,
        fl.config.repeats,
        fl.config.flow_batch.as_secs_f64(),
        thousands(fl.flows as f64)
    )?;
    writeln!(out)?;
    writeln!(out, "| signing | per second |")?;
    writeln!(out, "|---|---:|")?;
    writeln!(
        out,
        "| aws-lc-rs `RsaKeyPair::sign`, 1 thread | {} |",
        thousands(fl.sign_one_core_per_s)
    )?;
    writeln!(
        out,
        "| aws-lc-rs `RsaKeyPair::sign`, {} threads | {} |",
        fl.threads,
        thousands(fl.sign_all_cores_per_s)
    )?;
    writeln!(
        out,
        "| `jsonwebtoken::encode` of an id_token, 1 thread | {} ({:.3}× the raw signature) |",
        thousands(fl.jwt_encode_one_core_per_s),
        fl.jwt_encode_one_core_per_s / fl.sign_one_core_per_s
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| concurrent users | flows/s | ÷ signatures/s, {} threads | ÷ signatures/s, 1 thread | median ms per flow |",
        fl.threads
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|")?;
    for f in &fl.levels {
        writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} |",
            f.users,
            thousands(f.flows_per_s),
            f.ratio_all_cores,
            f.ratio_one_core,
            f.flow_median_ms
        )?;
    }
    writeln!(out)?;

    // 4.
    writeln!(out, "## 4. Build cost for a consumer")?;
    writeln!(out)?;
    match &r.build {
        Some(b) => {
            writeln!(
                out,
                "Two tiny service crates in a temporary directory (sources: `crates/eiam-bench/consumers/`), each built clean with `cargo build --offline` (dev profile) into a target directory of its own, alternately, {} times each; {}.",
                b.wrapper.secs.len(),
                b.cargo_version
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "| consumer | median s | every build, s | crates compiled |"
            )?;
            writeln!(out, "|---|---:|---|---:|")?;
            for c in [&b.wrapper, &b.raw] {
                let all: Vec<String> = c.secs.iter().map(|s| format!("{s:.1}")).collect();
                let what = if c.name == "wrapper" {
                    "`eiam` (path dependency, `default-features = false`) + tokio"
                } else {
                    "reqwest (`rustls`, `json`) + serde + tokio, by hand"
                };
                writeln!(
                    out,
                    "| {what} | {:.1} | {} | {} |",
                    c.median_secs(),
                    all.join(", "),
                    c.compiled.len()
                )?;
            }
            writeln!(out)?;
            writeln!(
                out,
                "Ratio (median of back-to-back pairs): **{:.3}×**. Crates only the wrapper's build compiles: {}.",
                b.ratio,
                b.extra_crates().join(", ")
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "The wrapper's consumer leaves out `eiam`'s one default feature, `id-token` (the id_token verifier, `eiam::IdTokenVerifier`, through `jsonwebtoken`), which it does not use; with it, `jsonwebtoken`, its `zeroize` derive with a second major version of syn (syn 2), `signature`, `untrusted` 0.7 and `base64` are compiled too."
            )?;
        }
        None => match &r.build_error {
            Some(e) => writeln!(
                out,
                "Failed in this run: {}",
                e.lines().next().unwrap_or("")
            )?,
            None => writeln!(out, "Not measured in this run.")?,
        },
    }
    writeln!(out)?;

    // 5.
    let mem = &r.memory;
    writeln!(out, "## 5. Memory")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} sequential calls through one client in a child process per variant ({} processes each, medians), reading `VmHWM` and `VmRSS` from `/proc/self/status` after call {} and at the end.",
        thousands(mem.calls as f64),
        mem.repeats,
        thousands((mem.calls / 10).max(1) as f64)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| variant | peak RSS, KiB | ratio | peak growth, KiB | RSS growth, KiB |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for f in &mem.variants {
        writeln!(
            out,
            "| {} | {} | {:.3} | {:+.0} | {:+.0} |",
            f.variant.label(),
            thousands(f.peak_kib),
            f.ratio,
            f.peak_growth_kib,
            f.rss_growth_kib
        )?;
    }
    writeln!(out)?;
    notes(r, out)?;
    out.push_str(METHOD);
    Ok(())
}

/// What holds back each goal this run did not meet: the causes found by profiling
/// (callgrind, `cargo build --timings`), with this run's figures.
fn notes(r: &Report, out: &mut String) -> std::fmt::Result {
    let met: std::collections::HashMap<_, _> = goals_met(r).into_iter().collect();
    if met.values().all(|m| *m) {
        return Ok(());
    }
    writeln!(out, "## What holds the goals back")?;
    writeln!(out)?;
    let unmet = |goal: &str| met.get(goal) == Some(&false);
    if unmet("latency") || unmet("throughput") {
        let (Some(raw), Some(wrapper)) = (
            r.latency.get(Variant::Reqwest),
            r.latency.get(Variant::Wrapper),
        ) else {
            return Ok(());
        };
        writeln!(
            out,
            "**Latency and throughput (measure 1).** The wrapper's median call takes {:.1} µs more than the raw reqwest call's ({:.1} µs against {:.1} µs), on loopback where nothing else takes time; on a network, where a call takes milliseconds, the same microseconds are a fraction of a per cent.",
            wrapper.median_us - raw.median_us,
            wrapper.median_us,
            raw.median_us
        )?;
        if let Some(ins) = &r.instructions
            && let (Some(raw), Some(generated), Some(wrapper)) = (
                ins.get(Variant::Reqwest),
                ins.get(Variant::Generated),
                ins.get(Variant::Wrapper),
            )
        {
            writeln!(
                out,
                "Counted by callgrind, the generated client costs {} instructions per call more than raw reqwest and the wrapper {} more than the generated client.",
                thousands(generated.per_call - raw.per_call),
                thousands(wrapper.per_call - generated.per_call)
            )?;
        }
        writeln!(
            out,
            "Most of it is below `eiam`, where callgrind's per-function counts put it (inclusive, per call, on the machine above):"
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "* progenitor's generated builder: every header value becomes a `String` (and the messages for unset parameters are allocated up front), the headers go into a `HeaderMap` of their own that reqwest then merges into the request's (`reqwest::util::replace_headers`, about 3 900), so every header name is parsed and hashed twice; the per-call timeout of its reqwest client adds a timer (the obvious raw call has none). Generated code is not edited by hand: only another output of the generator (headers written straight into the request) would remove this."
        )?;
        writeln!(
            out,
            "* the response-body cap of `eiam-api` (`ClientHooks::exec`): the response is converted to an `http::Response` and back with its URL and its body boxed twice more (`capped`, about 2 300, and reading through the wrapper body about 2 400). The first chunk is no longer copied (fixed here), the conversion is what reqwest's API allows."
        )?;
        writeln!(
            out,
            "* `eiam` itself: the whole-call deadline (a second timer, even for calls that are never retried), the tracing span and its records, the checks and copies of the secrets (about 1 500), and moves of the larger futures."
        )?;
        writeln!(out)?;
    }
    if unmet("emulator")
        && let Some(b) = r.flows.busiest()
    {
        writeln!(
            out,
            "**Emulator (measure 3).** With {} users, {} flows/s is {:.2} of the signing rate of all {} cores, {:.2} of one core's. Besides its signature, every flow runs one HTTP call end to end on the same cores (the client's request and answer, the emulator's routing, JSON, header and state-token checks, the id_token's claims) and the in-process `expired_login`; the remaining gap is that work. The load average above counts other processes, which take cores from both the flows and the signing loops, not always alike. Fixed here: the id_token was signed with `jsonwebtoken::encode`, which parses and checks the RSA key for every token ({:.2} of a bare signature's rate, measured above), and under the emulator's one lock, so that changes of different users waited for each other's signatures; the emulator now keeps the parsed key and signs outside the lock (the checks run again under the lock before the change is committed).",
            b.users,
            thousands(b.flows_per_s),
            b.ratio_all_cores,
            r.flows.threads,
            b.ratio_one_core,
            r.flows.jwt_encode_one_core_per_s / r.flows.sign_one_core_per_s
        )?;
        writeln!(out)?;
    }
    if unmet("build cost")
        && let Some(b) = &r.build
    {
        writeln!(
            out,
            "**Build cost (measure 4).** The wrapper's consumer compiles {} crates the hand-written one does not: {}. The heavy ones: `fancy-regex` with `regex-automata` and `regex-syntax` (the client-side check of the password policy's `regEx`, about 17 s of CPU in a clean dev build here); `progenitor-client`; and `eiam-api` and `eiam` themselves. Trimmed: tracing's default `attributes` (a proc-macro on syn 2) and fancy-regex's `perf` (aho-corasick), both unused, and the verifier, behind the default feature `id-token` that this consumer leaves out. What is left: the policy's regex check (`fancy-regex`, about 17 s of CPU), which a feature could make optional too, and the generated client itself.",
            b.extra_crates().len(),
            b.extra_crates().join(", ")
        )?;
        writeln!(out)?;
    }
    if unmet("memory") {
        writeln!(
            out,
            "**Memory (measure 5).** The wrapper's peak grew between the first tenth of the calls and the end: see the table above."
        )?;
        writeln!(out)?;
    }
    Ok(())
}

/// The method section of `BENCHMARKS.md`.
const METHOD: &str = include_str!("method.md");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1_234_567.4), "1\u{202f}234\u{202f}567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1000.0), "-1\u{202f}000");
    }
}
