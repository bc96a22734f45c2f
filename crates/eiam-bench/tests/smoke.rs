//! One tiny iteration of every benchmark, so that the benchmark code keeps compiling and
//! working. No figure is checked against a limit: only that every measure ran, every call
//! succeeded, and one client used one connection.

use std::path::PathBuf;

use eiam_bench::server::LoopbackServer;
use eiam_bench::variants::Variant;
use eiam_bench::{Options, consumer_raw, consumer_wrapper, report, run_all};

#[test]
fn every_measure_runs_once() {
    let options = Options::quick(PathBuf::from(env!("CARGO_BIN_EXE_eiam-bench")));
    let report = run_all(&options, true).expect("the quick benchmark runs");
    assert_eq!(report.latency.variants.len(), Variant::ALL.len());
    for variant in Variant::ALL {
        assert_eq!(report.reuse.connections(variant), Some(1), "{variant}");
        assert!(report.memory.get(variant).is_some_and(|m| m.peak_kib > 0.0));
    }
    assert!(report.flows.flows > 0);
    assert!(report.flows.sign_all_cores_per_s > 0.0);
    let markdown = report::markdown(&report);
    assert!(markdown.contains("## 5. Memory"), "{markdown}");
}

#[tokio::test]
async fn the_build_cost_consumers_work() {
    let server = LoopbackServer::start().expect("server");
    let url = server.base_url();
    let a = consumer_wrapper::change_password(&url, "state", "482913", "N3w-Passw0rd!").await;
    let b = consumer_raw::change_password(&url, "state", "482913", "N3w-Passw0rd!").await;
    assert_eq!(a.expect("wrapper consumer"), "SUCCESS");
    assert_eq!(b.expect("hand-written consumer"), "SUCCESS");
    assert_eq!(server.refused(), 0);
}
