//! Measure 5: peak memory of many sequential calls through one client, each variant in a
//! process of its own (the benchmark's own binary, `eiam-bench mem-child`), reading
//! `VmHWM` (peak resident set) and `VmRSS` from `/proc/self/status` after the first tenth
//! of the calls and at the end: the end's peak is the figure, the difference the growth.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail, ensure};

use crate::stats::median;
use crate::variants::{Caller, Variant};

/// What one child process measured, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildFigures {
    /// Peak resident set after the first tenth of the calls.
    pub hwm_first_kib: u64,
    /// Resident set after the first tenth of the calls.
    pub rss_first_kib: u64,
    /// Peak resident set at the end.
    pub hwm_end_kib: u64,
    /// Resident set at the end.
    pub rss_end_kib: u64,
}

impl ChildFigures {
    /// The line a child prints.
    pub fn to_line(self) -> String {
        format!(
            "hwm_first_kib={} rss_first_kib={} hwm_end_kib={} rss_end_kib={}",
            self.hwm_first_kib, self.rss_first_kib, self.hwm_end_kib, self.rss_end_kib
        )
    }

    /// Parses [`to_line`](Self::to_line)'s output.
    pub fn from_line(line: &str) -> Option<ChildFigures> {
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
        };
        Some(ChildFigures {
            hwm_first_kib: field("hwm_first_kib")?,
            rss_first_kib: field("rss_first_kib")?,
            hwm_end_kib: field("hwm_end_kib")?,
            rss_end_kib: field("rss_end_kib")?,
        })
    }
}

/// The child's side: `calls` sequential calls of `variant` to `base_url` through one
/// client, on a current-thread runtime.
///
/// # Errors
/// A failed call, or `/proc/self/status` unreadable.
pub fn child(variant: Variant, base_url: &str, calls: usize) -> anyhow::Result<ChildFigures> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let caller = Caller::new(variant, base_url)?;
        let first = (calls / 10).max(1);
        for _ in 0..first {
            caller.call().await?;
        }
        let (hwm_first_kib, rss_first_kib) = status_kib()?;
        for _ in first..calls {
            caller.call().await?;
        }
        let (hwm_end_kib, rss_end_kib) = status_kib()?;
        Ok(ChildFigures {
            hwm_first_kib,
            rss_first_kib,
            hwm_end_kib,
            rss_end_kib,
        })
    })
}

/// `(VmHWM, VmRSS)` of this process, KiB.
fn status_kib() -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .with_context(|| format!("no {name} in /proc/self/status"))?;
        Ok(line.trim().trim_end_matches("kB").trim().parse()?)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// The figures of one variant (medians over the repeats).
#[derive(Debug, Clone)]
pub struct MemoryFigures {
    /// Which variant.
    pub variant: Variant,
    /// Peak resident set at the end, KiB.
    pub peak_kib: f64,
    /// Peak at the end minus peak after the first tenth, KiB.
    pub peak_growth_kib: f64,
    /// Resident set at the end minus after the first tenth, KiB.
    pub rss_growth_kib: f64,
    /// Peak ÷ raw reqwest's peak.
    pub ratio: f64,
}

/// The result of measure 5.
#[derive(Debug, Clone)]
pub struct MemoryReport {
    /// Calls per process.
    pub calls: usize,
    /// Processes per variant.
    pub repeats: usize,
    /// One entry per variant.
    pub variants: Vec<MemoryFigures>,
}

impl MemoryReport {
    /// The figures of `variant`.
    pub fn get(&self, variant: Variant) -> Option<&MemoryFigures> {
        self.variants.iter().find(|f| f.variant == variant)
    }
}

/// Runs measure 5: `repeats` child processes of `exe` per variant, interleaved, each making
/// `calls` calls to `base_url`.
///
/// # Errors
/// A child that failed or printed no figures.
pub fn run(
    exe: &Path,
    base_url: &str,
    calls: usize,
    repeats: usize,
) -> anyhow::Result<MemoryReport> {
    ensure!(calls > 0 && repeats > 0);
    let mut figures: Vec<(Variant, ChildFigures)> = Vec::new();
    for repeat in 0..repeats {
        let mut order = Variant::ALL.to_vec();
        order.rotate_left(repeat % Variant::ALL.len());
        for variant in order {
            let output = Command::new(exe)
                .args(["mem-child", variant.name(), base_url, &calls.to_string()])
                .output()
                .with_context(|| format!("starting {}", exe.display()))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                bail!(
                    "mem-child {variant} failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let child = stdout
                .lines()
                .find_map(ChildFigures::from_line)
                .with_context(|| format!("mem-child {variant} printed no figures: {stdout}"))?;
            figures.push((variant, child));
        }
    }
    let of = |variant: Variant, f: fn(&ChildFigures) -> f64| {
        median(
            &figures
                .iter()
                .filter(|(v, _)| *v == variant)
                .map(|(_, c)| f(c))
                .collect::<Vec<_>>(),
        )
    };
    let baseline = of(Variant::Reqwest, |c| c.hwm_end_kib as f64);
    let variants = Variant::ALL
        .into_iter()
        .map(|variant| {
            let peak_kib = of(variant, |c| c.hwm_end_kib as f64);
            MemoryFigures {
                variant,
                peak_kib,
                peak_growth_kib: of(variant, |c| c.hwm_end_kib as f64 - c.hwm_first_kib as f64),
                rss_growth_kib: of(variant, |c| c.rss_end_kib as f64 - c.rss_first_kib as f64),
                ratio: peak_kib / baseline,
            }
        })
        .collect();
    Ok(MemoryReport {
        calls,
        repeats,
        variants,
    })
}
