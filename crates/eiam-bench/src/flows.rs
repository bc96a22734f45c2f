//! Measure 3: the emulator's throughput in full password-change flows per second, with N
//! users changing their passwords at the same time, as a ratio to the machine's RSA-2048
//! signing rate measured in the same run with the same key.
//!
//! A flow is what a user whose password expired goes through after the login:
//! [`Emulator::expired_login`] (a `PASSWORD_EXPIRED` state token and a `CHANGE_PWD_EMS`
//! code e-mailed to the outbox), [`Emulator::latest_code`] (reading the e-mail), then
//! `update-by-email` over HTTP through the `eiam` client, which answers a new session with
//! an RS256 id_token: one RSA-2048 signature per flow, the floor of the emulator's cost.
//!
//! The signing rate is measured with aws-lc-rs (the emulator's crypto library) on the same
//! key, with one thread and with one thread per core; the flows run on a multi-threaded
//! tokio runtime with one worker per core, the clients in the same runtime as the emulator.
//! Signing batches and flow batches are interleaved and repeated; medians are reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use eiam_emulator::{Emulator, EmulatorConfig, NewUser, PasswordExpiry, SigningKey, UserOptions};
use tokio::task::JoinSet;

use crate::stats::median;

/// How much to measure.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// The numbers of concurrent users to measure.
    pub users: Vec<usize>,
    /// Repeats of every batch.
    pub repeats: usize,
    /// Length of a flow batch.
    pub flow_batch: Duration,
    /// Length of a signing batch.
    pub sign_batch: Duration,
}

impl FlowConfig {
    /// The full benchmark.
    pub fn full() -> FlowConfig {
        FlowConfig {
            users: vec![1, 4, 16, 64],
            repeats: 5,
            flow_batch: Duration::from_secs(2),
            sign_batch: Duration::from_secs(1),
        }
    }

    /// One tiny iteration, to check that the code runs.
    pub fn quick() -> FlowConfig {
        FlowConfig {
            users: vec![1, 2],
            repeats: 1,
            flow_batch: Duration::from_millis(100),
            sign_batch: Duration::from_millis(50),
        }
    }
}

/// The figures of one number of concurrent users.
#[derive(Debug, Clone)]
pub struct FlowFigures {
    /// Concurrent users.
    pub users: usize,
    /// Flows per second (median over repeats).
    pub flows_per_s: f64,
    /// Median over repeats of flows/s ÷ the signing rate with one thread per core, measured
    /// next to it.
    pub ratio_all_cores: f64,
    /// Median over repeats of flows/s ÷ the single-thread signing rate measured next to it.
    pub ratio_one_core: f64,
    /// Median time of one flow, ms.
    pub flow_median_ms: f64,
}

/// The result of measure 3.
#[derive(Debug, Clone)]
pub struct FlowReport {
    /// What was measured.
    pub config: FlowConfig,
    /// Threads used for the parallel signing rate and the runtime's workers.
    pub threads: usize,
    /// RSA-2048 PKCS#1 SHA-256 signatures per second with one thread (median).
    pub sign_one_core_per_s: f64,
    /// The same with one thread per core (median).
    pub sign_all_cores_per_s: f64,
    /// `jsonwebtoken::encode` of an id_token with the same key, one thread (median): the
    /// emulator's way of signing, parsing the key anew for every token.
    pub jwt_encode_one_core_per_s: f64,
    /// One entry per number of users.
    pub levels: Vec<FlowFigures>,
    /// Flows completed in all.
    pub flows: u64,
}

impl FlowReport {
    /// The figures for the largest number of users.
    pub fn busiest(&self) -> Option<&FlowFigures> {
        self.levels.iter().max_by_key(|f| f.users)
    }
}

/// The signing-input size of an emulator id_token (base64url header `.` claims), bytes.
const SIGNING_INPUT_LEN: usize = 520;

/// Runs measure 3 (creates its own runtime).
///
/// # Errors
/// Key generation, the emulator, or a failed flow.
pub fn run(config: &FlowConfig) -> anyhow::Result<FlowReport> {
    ensure!(config.repeats > 0 && !config.users.is_empty());
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pkcs8 = pair.as_der().map_err(|e| anyhow::anyhow!("{e}"))?;
    let signing_key = SigningKey::from_pkcs8_der(pkcs8.as_ref())?;
    let pkcs1 = SigningKey::pkcs1_of_pkcs8(pkcs8.as_ref()).context("PKCS#8 layout")?;
    let jwt_key = jsonwebtoken::EncodingKey::from_rsa_der(pkcs1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    let max_users = config.users.iter().copied().max().unwrap_or(1);
    let (running, client) = runtime.block_on(async {
        let running = Emulator::spawn(EmulatorConfig {
            signing_key: Some(signing_key),
            ..EmulatorConfig::default()
        })
        .await?;
        for i in 0..max_users {
            running.emulator().add_user_with(
                NewUser {
                    user_name: user_name(i),
                    password: "Old-Passw0rd!".into(),
                    email: email(i),
                    mobile: format!("+86-1590{i:07}"),
                    name: Some(format!("Bench User {i}")),
                },
                UserOptions::default().expiry(PasswordExpiry::Expired),
            )?;
        }
        let client = eiam::Client::builder()
            .base_url(running.base_url())
            .allow_http_loopback(true)
            .client_id(running.emulator().config().default_client_id())
            .os_version("linux-6.1")
            .device_fingerprint("eiam-bench")
            .agent("eiam-bench")
            .build()?;
        anyhow::Ok((running, client))
    })?;
    let emulator = running.emulator().clone();
    let generation = Arc::new(AtomicU64::new(0));

    // Warm up: connections, the emulator's maps, the CPU's clock.
    runtime.block_on(flow_batch(
        &emulator,
        &client,
        max_users,
        config.flow_batch / 2,
        &generation,
    ))?;

    let mut sign_one = Vec::new();
    let mut sign_all = Vec::new();
    let mut jwt_one = Vec::new();
    let mut per_level: Vec<Vec<(f64, f64, f64, f64)>> = vec![Vec::new(); config.users.len()];
    let mut flows = 0;
    for repeat in 0..config.repeats {
        let one = sign_rate(&pair, 1, config.sign_batch);
        let all = sign_rate(&pair, threads, config.sign_batch);
        sign_one.push(one);
        sign_all.push(all);
        jwt_one.push(jwt_rate(&jwt_key, config.sign_batch)?);
        let mut order: Vec<usize> = (0..config.users.len()).collect();
        if repeat % 2 == 1 {
            order.reverse();
        }
        for level in order {
            let users = config.users[level];
            let batch = runtime.block_on(flow_batch(
                &emulator,
                &client,
                users,
                config.flow_batch,
                &generation,
            ))?;
            flows += batch.flows;
            let per_s = batch.flows as f64 / batch.elapsed.as_secs_f64();
            per_level[level].push((per_s, per_s / all, per_s / one, batch.flow_median_ms));
        }
    }
    runtime.block_on(running.shutdown());

    let column = |rows: &[(f64, f64, f64, f64)], pick: fn(&(f64, f64, f64, f64)) -> f64| {
        median(&rows.iter().map(pick).collect::<Vec<_>>())
    };
    let levels = config
        .users
        .iter()
        .zip(&per_level)
        .map(|(&users, rows)| FlowFigures {
            users,
            flows_per_s: column(rows, |r| r.0),
            ratio_all_cores: column(rows, |r| r.1),
            ratio_one_core: column(rows, |r| r.2),
            flow_median_ms: column(rows, |r| r.3),
        })
        .collect();
    Ok(FlowReport {
        config: config.clone(),
        threads,
        sign_one_core_per_s: median(&sign_one),
        sign_all_cores_per_s: median(&sign_all),
        jwt_encode_one_core_per_s: median(&jwt_one),
        levels,
        flows,
    })
}

/// For profilers: `flows` flows of one user, one after the other (no signing loop).
///
/// # Errors
/// As [`run`].
pub fn profile(flows: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = Emulator::spawn(EmulatorConfig::default()).await?;
        running.emulator().add_user_with(
            NewUser {
                user_name: user_name(0),
                password: "Old-Passw0rd!".into(),
                email: email(0),
                mobile: "+86-15900000000".into(),
                name: None,
            },
            UserOptions::default(),
        )?;
        let client = eiam::Client::builder()
            .base_url(running.base_url())
            .allow_http_loopback(true)
            .client_id(running.emulator().config().default_client_id())
            .os_version("linux-6.1")
            .device_fingerprint("eiam-bench")
            .agent("eiam-bench")
            .build()?;
        for n in 0..flows {
            one_flow(running.emulator(), &client, 0, n as u64).await?;
        }
        running.shutdown().await;
        anyhow::Ok(())
    })
}

fn user_name(i: usize) -> String {
    format!("bench-user-{i}")
}

fn email(i: usize) -> String {
    format!("bench-user-{i}@example.com")
}

struct Batch {
    flows: u64,
    elapsed: Duration,
    flow_median_ms: f64,
}

/// `users` users each doing flows, one after the other, for `duration`.
async fn flow_batch(
    emulator: &Emulator,
    client: &eiam::Client,
    users: usize,
    duration: Duration,
    generation: &Arc<AtomicU64>,
) -> anyhow::Result<Batch> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for i in 0..users {
        let emulator = emulator.clone();
        let client = client.clone();
        let generation = Arc::clone(generation);
        tasks.spawn(async move {
            let mut calls_ms = Vec::new();
            // At least one flow per user, however short the batch.
            loop {
                // A new password every time: the emulator refuses the last 3.
                let n = generation.fetch_add(1, Ordering::Relaxed);
                let started = Instant::now();
                one_flow(&emulator, &client, i, n).await?;
                calls_ms.push(started.elapsed().as_secs_f64() * 1e3);
                if Instant::now() >= deadline {
                    break;
                }
            }
            anyhow::Ok(calls_ms)
        });
    }
    let mut calls_ms = Vec::new();
    while let Some(done) = tasks.join_next().await {
        calls_ms.extend(done??);
    }
    Ok(Batch {
        flows: calls_ms.len() as u64,
        elapsed: started.elapsed(),
        flow_median_ms: median(&calls_ms),
    })
}

/// One flow of user `i`, changing the password to the `n`-th benchmark password.
async fn one_flow(
    emulator: &Emulator,
    client: &eiam::Client,
    i: usize,
    n: u64,
) -> anyhow::Result<()> {
    let login = emulator.expired_login(&user_name(i), None)?;
    let code = emulator
        .latest_code(&email(i))
        .context("no code in the outbox")?;
    let session = client
        .update_password_by_email(
            &eiam::StateToken::new(login.state_token),
            &eiam::VerifyCode::new(code),
            &eiam::Password::new(format!("Bench-Pw{n}x")),
        )
        .await?;
    ensure!(session.id_token().is_some(), "no id_token");
    Ok(())
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with `threads` threads signing in a
/// loop for `duration`.
pub fn sign_rate(pair: &KeyPair, threads: usize, duration: Duration) -> f64 {
    let message = vec![b'e'; SIGNING_INPUT_LEN];
    let started = Instant::now();
    let deadline = started + duration;
    let total: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let rng = SystemRandom::new();
                    let mut signature = vec![0; pair.public_modulus_len()];
                    let mut count = 0u64;
                    loop {
                        pair.sign(&RSA_PKCS1_SHA256, &rng, &message, &mut signature)
                            .expect("signing with a valid key");
                        count += 1;
                        if Instant::now() >= deadline {
                            break count;
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("signing thread"))
            .sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

/// `jsonwebtoken::encode` of id_token-like claims per second, one thread.
fn jwt_rate(key: &jsonwebtoken::EncodingKey, duration: Duration) -> anyhow::Result<f64> {
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:41234/api/v1/oauth2",
        "aud": "emulator-client",
        "sub": "bench-user-1",
        "exp": 1_900_007_200,
        "iat": 1_900_000_000,
        "nbf": 1_899_999_880,
        "jti": "yLRTfWcUdbOOyAilwYSFjg",
        "id": "20220425140138519-BF1B-528B0551B",
        "name": "Bench User 1",
        "userName": "bench-user-1",
        "mobile": "+86-15900000001",
        "email": "bench-user-1@example.com",
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    let started = Instant::now();
    let mut count = 0u64;
    loop {
        jsonwebtoken::encode(&header, &claims, key)?;
        count += 1;
        if started.elapsed() >= duration {
            break;
        }
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}
