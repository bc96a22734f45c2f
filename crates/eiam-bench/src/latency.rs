//! Measure 1: per-call latency (median, p99) and throughput with 1 and with many calls in
//! flight, for the four [`Variant`]s, against the [loopback server](crate::server).
//!
//! The variants are interleaved: each round runs one sequential batch of every variant, in
//! an order that rotates from round to round, then one concurrent batch of every variant.
//! Ratios to raw reqwest are taken within a round (the same minute of the same noisy
//! machine) and their median over the rounds is reported.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::ensure;
use tokio::task::JoinSet;

use crate::stats::{median, percentile};
use crate::variants::{Caller, Variant};

/// How much to measure.
#[derive(Debug, Clone)]
pub struct LatencyConfig {
    /// Rounds; every round runs each variant once sequentially and once concurrently.
    pub rounds: usize,
    /// Calls of a sequential batch (one in flight).
    pub sequential_calls: usize,
    /// Calls in flight in a concurrent batch.
    pub in_flight: usize,
    /// Calls of a concurrent batch.
    pub concurrent_calls: usize,
    /// Untimed calls per variant before the first round (fills the pools).
    pub warmup_calls: usize,
}

impl LatencyConfig {
    /// The full benchmark.
    pub fn full() -> LatencyConfig {
        LatencyConfig {
            rounds: 21,
            sequential_calls: 1_000,
            in_flight: 64,
            concurrent_calls: 4_000,
            warmup_calls: 500,
        }
    }

    /// One tiny iteration, to check that the code runs.
    pub fn quick() -> LatencyConfig {
        LatencyConfig {
            rounds: 2,
            sequential_calls: 5,
            in_flight: 4,
            concurrent_calls: 8,
            warmup_calls: 4,
        }
    }
}

/// The figures of one variant.
#[derive(Debug, Clone)]
pub struct VariantFigures {
    /// Which variant.
    pub variant: Variant,
    /// Median latency of a sequential call, µs (all calls of all rounds).
    pub median_us: f64,
    /// 99th percentile latency of a sequential call, µs.
    pub p99_us: f64,
    /// Calls per second with one in flight (median over rounds).
    pub sequential_per_s: f64,
    /// Calls per second with [`LatencyConfig::in_flight`] in flight (median over rounds).
    pub concurrent_per_s: f64,
    /// Median over rounds of this variant's median latency / raw reqwest's, same round.
    pub latency_ratio: f64,
    /// Median over rounds of this variant's p99 latency / raw reqwest's, same round.
    pub p99_ratio: f64,
    /// Median over rounds of this variant's sequential throughput / raw reqwest's.
    pub sequential_ratio: f64,
    /// Median over rounds of this variant's concurrent throughput / raw reqwest's.
    pub concurrent_ratio: f64,
}

/// The result of measure 1.
#[derive(Debug, Clone)]
pub struct LatencyReport {
    /// What was measured.
    pub config: LatencyConfig,
    /// One entry per variant, in [`Variant::ALL`] order.
    pub variants: Vec<VariantFigures>,
}

impl LatencyReport {
    /// The figures of `variant`.
    pub fn get(&self, variant: Variant) -> Option<&VariantFigures> {
        self.variants.iter().find(|f| f.variant == variant)
    }
}

#[derive(Default)]
struct Samples {
    /// Every sequential call's latency, µs.
    all_us: Vec<f64>,
    /// Per round: median latency, p99 latency, sequential and concurrent calls/s.
    round_median_us: Vec<f64>,
    round_p99_us: Vec<f64>,
    round_sequential: Vec<f64>,
    round_concurrent: Vec<f64>,
}

/// Runs measure 1 against the server at `base_url`. Call it inside a tokio runtime (the
/// benchmark uses a current-thread one: one core for the clients, one for the server).
///
/// # Errors
/// Any failed call.
pub async fn run(base_url: &str, config: &LatencyConfig) -> anyhow::Result<LatencyReport> {
    ensure!(config.rounds > 0 && config.sequential_calls > 0 && config.in_flight > 0);
    let callers: Vec<Arc<Caller>> = Variant::ALL
        .into_iter()
        .map(|v| Caller::new(v, base_url).map(Arc::new))
        .collect::<anyhow::Result<_>>()?;
    for caller in &callers {
        concurrent_batch(caller, config.in_flight, config.in_flight).await?;
        for _ in 0..config.warmup_calls {
            caller.call().await?;
        }
    }
    let mut samples: HashMap<Variant, Samples> = HashMap::new();
    let mut latencies = Vec::with_capacity(config.sequential_calls);
    for round in 0..config.rounds {
        let order = rotated(&callers, round);
        for caller in &order {
            latencies.clear();
            let batch = Instant::now();
            for _ in 0..config.sequential_calls {
                let started = Instant::now();
                caller.call().await?;
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
            }
            let per_s = config.sequential_calls as f64 / batch.elapsed().as_secs_f64();
            let s = samples.entry(caller.variant()).or_default();
            s.all_us.extend_from_slice(&latencies);
            s.round_median_us.push(median(&latencies));
            s.round_p99_us.push(percentile(&latencies, 99.0));
            s.round_sequential.push(per_s);
        }
        for caller in &order {
            let per_s = concurrent_batch(caller, config.in_flight, config.concurrent_calls).await?;
            samples
                .entry(caller.variant())
                .or_default()
                .round_concurrent
                .push(per_s);
        }
    }
    let baseline = &samples[&Variant::Reqwest];
    let paired = |mine: &[f64], theirs: &[f64]| {
        let ratios: Vec<f64> = mine.iter().zip(theirs).map(|(m, t)| m / t).collect();
        median(&ratios)
    };
    let variants = Variant::ALL
        .into_iter()
        .map(|variant| {
            let s = &samples[&variant];
            VariantFigures {
                variant,
                median_us: median(&s.all_us),
                p99_us: percentile(&s.all_us, 99.0),
                sequential_per_s: median(&s.round_sequential),
                concurrent_per_s: median(&s.round_concurrent),
                latency_ratio: paired(&s.round_median_us, &baseline.round_median_us),
                p99_ratio: paired(&s.round_p99_us, &baseline.round_p99_us),
                sequential_ratio: paired(&s.round_sequential, &baseline.round_sequential),
                concurrent_ratio: paired(&s.round_concurrent, &baseline.round_concurrent),
            }
        })
        .collect();
    Ok(LatencyReport {
        config: config.clone(),
        variants,
    })
}

/// The callers in the order of `round`: rotated by one each round, reversed every other
/// round, so that each variant runs before and after each other one.
fn rotated(callers: &[Arc<Caller>], round: usize) -> Vec<Arc<Caller>> {
    let mut order = callers.to_vec();
    order.rotate_left(round % callers.len());
    if (round / callers.len()) % 2 == 1 {
        order.reverse();
    }
    order
}

/// `total` calls with `in_flight` of them in flight at any time; calls per second.
async fn concurrent_batch(
    caller: &Arc<Caller>,
    in_flight: usize,
    total: usize,
) -> anyhow::Result<f64> {
    let remaining = Arc::new(AtomicUsize::new(total));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..in_flight.min(total) {
        let caller = Arc::clone(caller);
        let remaining = Arc::clone(&remaining);
        tasks.spawn(async move {
            while remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                caller.call().await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}
