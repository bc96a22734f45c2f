//! Measure 4: what the SDK costs a consumer at build time. Two tiny service crates are
//! written into a temporary directory outside the workspace: one calls the password change
//! through `eiam` (a path dependency on this checkout, without the default `id-token`
//! feature, which it does not use), the other with reqwest (features
//! `rustls` and `json`, as the SDK uses it) and serde by hand; both use tokio with
//! `rt-multi-thread` and `macros`. Both get a copy of the workspace's `Cargo.lock`, so that
//! they build the same versions, and each is built clean (`cargo build --offline`, the dev
//! profile) into a target directory of its own, alternately, and timed.
//!
//! The sources are `crates/eiam-bench/consumers/*.rs`, which the benchmark crate also
//! compiles and calls, so that they keep compiling and working.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::stats::median;

/// Consumer A's source.
pub const WRAPPER_MAIN: &str = include_str!("../consumers/wrapper.rs");
/// Consumer B's source.
pub const RAW_MAIN: &str = include_str!("../consumers/raw.rs");

/// What to do.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The workspace root (where `Cargo.lock` and `crates/eiam` are).
    pub workspace: PathBuf,
    /// Clean builds of each consumer; 0 only writes the crates and fetches their
    /// dependencies (`cargo fetch`).
    pub repeats: usize,
}

impl BuildConfig {
    /// The workspace this crate was built in.
    pub fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }
}

/// The figures of one consumer.
#[derive(Debug, Clone)]
pub struct ConsumerFigures {
    /// `wrapper` or `raw`.
    pub name: &'static str,
    /// Seconds of every clean build.
    pub secs: Vec<f64>,
    /// The crates the build compiled (name and version).
    pub compiled: BTreeSet<String>,
}

impl ConsumerFigures {
    /// Median seconds.
    pub fn median_secs(&self) -> f64 {
        median(&self.secs)
    }
}

/// The result of measure 4.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The wrapper consumer.
    pub wrapper: ConsumerFigures,
    /// The hand-written consumer.
    pub raw: ConsumerFigures,
    /// Median over pairs of wrapper seconds ÷ raw seconds (builds of a pair run back to
    /// back).
    pub ratio: f64,
    /// `cargo -V`.
    pub cargo_version: String,
}

impl BuildReport {
    /// Crates the wrapper's build compiled that the hand-written one did not.
    pub fn extra_crates(&self) -> Vec<&str> {
        self.wrapper
            .compiled
            .difference(&self.raw.compiled)
            .map(String::as_str)
            .filter(|c| !c.starts_with("consumer-"))
            .collect()
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Clean means clean: no compiler cache, and the target directory given here.
    for var in [
        "RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
    ] {
        command.env_remove(var);
    }
    command
}

/// Writes consumer `name` into `dir`.
fn write_consumer(dir: &Path, name: &str, workspace: &Path) -> anyhow::Result<PathBuf> {
    let crate_dir = dir.join(format!("consumer-{name}"));
    std::fs::create_dir_all(crate_dir.join("src"))?;
    let tokio = r#"tokio = { version = "1", features = ["rt-multi-thread", "macros"] }"#;
    let (dependencies, main) = match name {
        "wrapper" => {
            let eiam = workspace.join("crates/eiam").canonicalize()?;
            (
                // What the service uses: the client, without the id_token verifier.
                format!(
                    "eiam = {{ path = {:?}, default-features = false }}\n{tokio}\n",
                    eiam.display().to_string()
                ),
                WRAPPER_MAIN,
            )
        }
        _ => (
            format!(
                "reqwest = {{ version = \"0.13\", default-features = false, features = [\"rustls\", \"json\"] }}\n\
                 serde = {{ version = \"1\", features = [\"derive\"] }}\n{tokio}\n"
            ),
            RAW_MAIN,
        ),
    };
    let manifest = format!(
        "[package]\nname = \"consumer-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{dependencies}\n# A workspace of its own, whatever directory it is in.\n[workspace]\n"
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest)?;
    std::fs::write(crate_dir.join("src/main.rs"), main)?;
    std::fs::copy(workspace.join("Cargo.lock"), crate_dir.join("Cargo.lock"))
        .context("copying the workspace's Cargo.lock")?;
    // Resolve and download once, untimed: prunes the copied lock to what the consumer
    // uses, and fetches what the workspace's own builds did not need (dependencies of
    // other platforms, which resolution wants), so that the timed builds run offline.
    let output = cargo().args(["fetch"]).current_dir(&crate_dir).output()?;
    if !output.status.success() {
        bail!(
            "cargo fetch for consumer-{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(crate_dir)
}

/// One clean build of the crate in `crate_dir`: seconds and the crates compiled.
fn clean_build(crate_dir: &Path) -> anyhow::Result<(f64, BTreeSet<String>)> {
    let target = crate_dir.join("target");
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    let started = Instant::now();
    let output = cargo()
        .args(["build", "--offline", "--target-dir"])
        .arg(&target)
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(crate_dir)
        .output()?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("cargo build in {}: {stderr}", crate_dir.display());
    }
    let compiled = stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Compiling "))
        .map(|c| c.split(" (").next().unwrap_or(c).to_owned())
        .collect();
    std::fs::remove_dir_all(&target)?;
    Ok((secs, compiled))
}

/// Runs measure 4.
///
/// # Errors
/// A consumer that does not resolve or build.
pub fn run(config: &BuildConfig) -> anyhow::Result<BuildReport> {
    let dir = std::env::temp_dir().join(format!("eiam-bench-consumers-{}", std::process::id()));
    let result = run_in(config, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(config: &BuildConfig, dir: &Path) -> anyhow::Result<BuildReport> {
    let wrapper_dir = write_consumer(dir, "wrapper", &config.workspace)?;
    let raw_dir = write_consumer(dir, "raw", &config.workspace)?;
    let mut wrapper = ConsumerFigures {
        name: "wrapper",
        secs: Vec::new(),
        compiled: BTreeSet::new(),
    };
    let mut raw = ConsumerFigures {
        name: "raw",
        secs: Vec::new(),
        compiled: BTreeSet::new(),
    };
    let mut ratios = Vec::new();
    for repeat in 0..config.repeats {
        // W R, R W, W R...: neither always goes first.
        let wrapper_first = repeat % 2 == 0;
        let mut pair = [0.0; 2];
        for step in 0..2 {
            let is_wrapper = (step == 0) == wrapper_first;
            let (figures, crate_dir) = if is_wrapper {
                (&mut wrapper, &wrapper_dir)
            } else {
                (&mut raw, &raw_dir)
            };
            eprintln!(
                "  build cost: clean build {} of consumer-{}",
                repeat + 1,
                figures.name
            );
            let (secs, compiled) = clean_build(crate_dir)?;
            figures.secs.push(secs);
            figures.compiled = compiled;
            pair[usize::from(!is_wrapper)] = secs;
        }
        ratios.push(pair[0] / pair[1]);
    }
    let version = cargo().arg("-V").output()?;
    Ok(BuildReport {
        wrapper,
        raw,
        ratio: median(&ratios),
        cargo_version: String::from_utf8_lossy(&version.stdout).trim().to_owned(),
    })
}
