//! `sparse run` on topologies with a cycle (a bolt subscribed to its own output): a cycle
//! that keeps growing is bounded and stopped with an error naming it, and one that drains
//! runs through full queues to the end.

use std::time::{Duration, Instant};

use serde_json::json;
use sparse_runner::{self as runner, RunError};
use sparse_topology::model::{ComponentKind, Grouping, Input, Topology};

use crate::run_e2e::{Rec, assert_all_dead, comp, input, opts, topology};

fn expect_stalled(r: Result<runner::RunSummary, RunError>) -> Box<runner::Stalled> {
    match r {
        Err(RunError::Stalled(s)) => s,
        other => panic!("expected a stalled run, got {other:?}"),
    }
}

/// `sentences` (the fixture spout, `n` tuples) -> bolt `mode` (the fixture in that mode,
/// `tasks` tasks), which also subscribes to its own output: a cycle.
fn self_loop(mode: &str, tasks: u32, bolt: &Rec, spout: &Rec, n: u32) -> Topology {
    let mut looping = comp(
        mode,
        ComponentKind::Bolt,
        tasks,
        &[mode, &bolt.path()],
        &["word", "i"],
        input("sentences", Grouping::Shuffle),
    );
    looping.inputs.push(Input {
        source: mode.into(),
        stream: "default".into(),
        grouping: Grouping::Shuffle,
    });
    let n = n.to_string();
    topology(
        mode,
        vec![
            comp(
                "sentences",
                ComponentKind::Spout,
                1,
                &["spout", &spout.path(), &n],
                &["word", "i"],
                vec![],
            ),
            looping,
        ],
    )
}

#[test]
fn a_cycle_that_grows_is_bounded_and_stopped_naming_it() {
    // A bolt fed back to itself, emitting 2 tuples per input: unbounded growth of the runner
    // before (hundreds of MB in seconds). Now its queue is bounded, it blocks on itself, and
    // the run stops once nothing moved for the subprocess timeout.
    let (s, d) = (Rec::new("cycle-spout"), Rec::new("cycle-double"));
    let t = self_loop("double", 1, &d, &s, 5);
    let start = Instant::now();
    let stalled = expect_stalled(runner::run(
        &t,
        &opts(
            40.0,
            json!({"topology.executor.receive.buffer.size": 64,
                   "topology.subprocess.timeout.secs": 2}),
        ),
    ));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let m = &stalled.message;
    assert!(m.contains("the cycle double -> double"), "{m}");
    assert!(m.contains("topology.executor.receive.buffer.size"), "{m}");
    assert_eq!(stalled.summary.stop_reason, "failed");
    assert_eq!(stalled.summary.failure.as_deref(), Some(m.as_str()));
    // What the bolt was sent and did not answer is bounded by its queue, the pipe and the
    // runner's read-ahead, not by the doubling.
    let c = stalled
        .summary
        .components
        .iter()
        .find(|c| c.id == "double")
        .unwrap();
    let open = c.received - c.acked - c.failed;
    eprintln!("stopped after {took:?}: {m}\n{c:?}");
    assert!(open < 10_000, "{c:?}");
    let mut pids = s.pids();
    pids.extend(d.pids());
    assert_all_dead(&pids);
}

#[test]
fn a_cycle_that_drains_runs_through_full_queues() {
    // Each tuple goes round the `loop` bolt i times, through a queue of 4: the queue is full
    // again and again, yet every tree completes.
    let (s, l) = (Rec::new("loop-spout"), Rec::new("loop-bolt"));
    let t = self_loop("loop", 2, &l, &s, 60);
    let summary = runner::run(
        &t,
        &opts(
            6.0,
            json!({"topology.executor.receive.buffer.size": 4,
                   "topology.subprocess.timeout.secs": 2}),
        ),
    )
    .unwrap();
    let by = |id: &str| summary.components.iter().find(|c| c.id == id).unwrap();
    assert_eq!(
        (by("sentences").acked, by("sentences").failed),
        (60, 0),
        "{summary:?}"
    );
    // 60 from the spout, then sum(0..60) rounds.
    assert_eq!(
        by("loop").received,
        60 + (0..60).sum::<u64>(),
        "{summary:?}"
    );
    assert!(summary.stop.drained, "{summary:?}");
}
