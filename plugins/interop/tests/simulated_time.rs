//! Whole-topology tests of time-driven behaviour on the test kit's simulated time
//! (`sparse_runner::clock`): a tree that no bolt acks fails by timeout at the simulated time
//! Storm's rotation gives, and a tick bolt gets exactly one tick per simulated period,
//! without the test waiting for either in real time. With real time both would outlast the
//! tests' real-time timeout.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use sparse_runner::testing::TopologyTest;

/// The tests' guard in real time: far below the simulated times they cover.
const REAL_TIMEOUT: Duration = Duration::from_secs(20);

/// Writes a topology file with spout `words` and the bolt `bolt` running `class`.
fn topology(name: &str, class: &str, grouping: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulated_time");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.clj"));
    let text = format!(
        r#"(defn {name} [o]
             [{{"words" (rust-spout-spec o "interop::FiniteSpout" ["word"])}}
              {{"bolt" (rust-bolt-spec o {{"words" {grouping}}} "{class}" ["word"])}}])"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_tree_no_bolt_acks_fails_by_timeout_at_simulated_2t() {
    let report = TopologyTest::load(topology("held", "interop::Holder", ":shuffle"))
        .unwrap()
        .replace_spout("words", [json!(["kept"])])
        .conf("topology.message.timeout.secs", 30)
        .timeout(REAL_TIMEOUT)
        .run()
        .unwrap();
    let spout = report.component("words");
    assert_eq!((spout.acked, spout.failed), (0, 1));
    // Emitted before the first rotation (at T = 30 s), failed at the second (2T).
    assert_eq!(spout.timed_out, [Duration::from_secs(60)]);
    assert_eq!(report.component("bolt").acked, 0);
    let logs = report.logs("bolt").concat();
    assert!(logs.contains("holding word=kept"), "{logs}");
}

#[test]
fn a_tick_bolt_gets_one_tick_per_simulated_period() {
    let report = TopologyTest::load(topology("ticks", "interop::Counter", "[\"word\"]"))
        .unwrap()
        .replace_spout("words", [json!(["a"]), json!(["b"]), json!(["a"])])
        .conf("topology.tick.tuple.freq.secs", 10)
        .run_for(Duration::from_secs(65))
        .timeout(REAL_TIMEOUT)
        .run()
        .unwrap();
    assert_eq!(report.component("words").acked, 3);
    let bolt = report.component("bolt");
    assert_eq!(bolt.ticks, 6);
    let logs = report.logs("bolt").concat();
    let ticks: Vec<&str> = logs.lines().filter(|l| l.contains("tick #")).collect();
    assert_eq!(ticks.len(), 6, "{logs}");
    assert!(ticks[5].ends_with("tick #6"), "{logs}");
    // The counts, logged on the first tick after the words arrived (all before it).
    assert!(logs.contains(r#"counts {"a":2,"b":1}"#), "{logs}");
}

#[test]
fn a_busy_topology_still_stops_at_the_real_timeout() {
    // The stuck bolt never answers, so simulated time never moves: the test's real-time
    // timeout must still end the run (and its drain), long before the liveness check
    // (`topology.subprocess.timeout.secs`) would call the task dead.
    let e = TopologyTest::load(topology("stuck", "interop::Stuck", ":shuffle"))
        .unwrap()
        .replace_spout("words", [json!(["x"])])
        .conf("topology.subprocess.timeout.secs", 60)
        .timeout(Duration::from_secs(1))
        .run()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "topology `stuck` did not complete within 1s; still pending: spout `words`: 1 of 1 trees"
    );
}
