//! Measure 2: connection reuse. Sequential calls through one client, against a fresh
//! [loopback server](crate::server) that counts the TCP connections it accepted.

use anyhow::ensure;

use crate::server::LoopbackServer;
use crate::variants::{Caller, Variant};

/// The connections one variant opened.
#[derive(Debug, Clone, Copy)]
pub struct ReuseFigures {
    /// Which variant.
    pub variant: Variant,
    /// TCP connections the server accepted.
    pub connections: u64,
}

/// The result of measure 2.
#[derive(Debug, Clone)]
pub struct ReuseReport {
    /// Sequential calls per variant.
    pub calls: usize,
    /// One entry per variant.
    pub variants: Vec<ReuseFigures>,
}

impl ReuseReport {
    /// The connections of `variant`.
    pub fn connections(&self, variant: Variant) -> Option<u64> {
        self.variants
            .iter()
            .find(|f| f.variant == variant)
            .map(|f| f.connections)
    }
}

/// Runs measure 2: `calls` sequential calls per variant, each variant against a server of
/// its own. Call it inside a tokio runtime.
///
/// # Errors
/// A failed call, or a request the server refused.
pub async fn run(calls: usize) -> anyhow::Result<ReuseReport> {
    let mut variants = Vec::new();
    for variant in Variant::ALL {
        let server = LoopbackServer::start()?;
        let caller = Caller::new(variant, &server.base_url())?;
        for _ in 0..calls {
            caller.call().await?;
        }
        ensure!(
            server.refused() == 0,
            "the server refused calls of {variant}"
        );
        variants.push(ReuseFigures {
            variant,
            connections: server.accepted(),
        });
    }
    Ok(ReuseReport { calls, variants })
}
