//! Measure 1b: instructions per call on the client side, counted by valgrind's callgrind
//! (when `valgrind` is installed): repeatable on a noisy machine, where the timings of
//! measure 1 are not.
//!
//! `eiam-bench calls VARIANT N` makes N sequential calls of one variant; callgrind counts
//! only the instructions executed while the call's future is polled
//! (`--toggle-collect=*Caller::call*`: the request is built, sent, the answer read and
//! decoded; the connection's own task and the server are not counted). Two runs of
//! different lengths are subtracted, so that the first call's connection set-up is not
//! counted either.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::variants::Variant;

/// Instructions per call of one variant.
#[derive(Debug, Clone, Copy)]
pub struct InstructionFigures {
    /// Which variant.
    pub variant: Variant,
    /// Instructions per call.
    pub per_call: f64,
    /// ÷ raw reqwest's.
    pub ratio: f64,
}

/// The result of measure 1b.
#[derive(Debug, Clone)]
pub struct InstructionReport {
    /// Calls of the short and the long run.
    pub calls: (usize, usize),
    /// One entry per variant.
    pub variants: Vec<InstructionFigures>,
}

impl InstructionReport {
    /// The figures of `variant`.
    pub fn get(&self, variant: Variant) -> Option<&InstructionFigures> {
        self.variants.iter().find(|f| f.variant == variant)
    }
}

/// Whether valgrind can be run.
pub fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs measure 1b with the benchmark binary `exe`.
///
/// # Errors
/// valgrind failing, or printing no count.
pub fn run(exe: &Path, short: usize, long: usize) -> anyhow::Result<InstructionReport> {
    let mut per_call = Vec::new();
    for variant in Variant::ALL {
        let a = collected(exe, variant, short)?;
        let b = collected(exe, variant, long)?;
        per_call.push((variant, (b - a) as f64 / (long - short) as f64));
    }
    let baseline = per_call
        .iter()
        .find(|(v, _)| *v == Variant::Reqwest)
        .map_or(f64::NAN, |(_, n)| *n);
    Ok(InstructionReport {
        calls: (short, long),
        variants: per_call
            .into_iter()
            .map(|(variant, per_call)| InstructionFigures {
                variant,
                per_call,
                ratio: per_call / baseline,
            })
            .collect(),
    })
}

/// The instructions callgrind collected in `calls` calls of `variant`.
fn collected(exe: &Path, variant: Variant, calls: usize) -> anyhow::Result<u64> {
    let output = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--toggle-collect=*Caller::call*",
            "--callgrind-out-file=/dev/null",
        ])
        .arg(exe)
        .args(["calls", variant.name(), &calls.to_string()])
        .output()
        .context("starting valgrind")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("valgrind {variant}: {stderr}");
    }
    // "==123== Collected : 15,026,362"
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, n)| n.trim().replace(',', ""))
        })
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no count from callgrind: {stderr}"))
}
