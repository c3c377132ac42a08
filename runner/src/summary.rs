//! What a run reports: [`RunSummary`] (also written as the summary JSON), the per-task
//! counts and recorded emits the test kit reads, and how the run stopped.

use std::path::Path;

use serde::Serialize;

use crate::RunError;
use crate::stats::ComponentSummary;

/// How the run ended, measured by the runner.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StopTiming {
    /// The `-t` duration asked for (null: until interrupted).
    pub requested_secs: Option<f64>,
    /// From the stop request (duration reached, Ctrl-C) to the end of the drain.
    pub drain_secs: f64,
    /// Every tree completed and every bolt answered all it received before the end.
    pub drained: bool,
    /// From the end of the drain to every task gone.
    pub shutdown_secs: f64,
}
/// What a run did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunSummary {
    /// Topology name.
    pub topology: String,
    /// The `storm.id` given to the tasks.
    pub storm_id: String,
    /// Wall time from the first spawn to the end of shutdown.
    pub duration_secs: f64,
    /// `duration`, `interrupted` or `failed`.
    pub stop_reason: String,
    /// The failure message, when a task failed.
    pub failure: Option<String>,
    /// Pids from the pid directory still alive after shutdown (killed).
    pub leftover_pids_killed: Vec<i32>,
    /// Per component, in task-id order.
    pub components: Vec<ComponentSummary>,
    /// How the run ended.
    pub stop: StopTiming,
    /// Every tuple emitted, in the order the engine routed them, when
    /// [`RunOptions::record_emits`](crate::RunOptions::record_emits) is on (not in the summary JSON).
    #[serde(skip)]
    pub emitted: Vec<Emitted>,
    /// Acked and failed counts per task, in task-id order (not in the summary JSON).
    #[serde(skip)]
    pub tasks: Vec<TaskCounts>,
    /// Every tree failed by timeout, in order (not in the summary JSON).
    #[serde(skip)]
    pub timed_out: Vec<TimedOut>,
    /// The engine clock's time from the start to the stop: the duration of the run in
    /// simulated time ([`crate::clock`]); about `duration_secs` in real time (not in the
    /// summary JSON).
    #[serde(skip)]
    pub clock_secs: f64,
}

/// A tree that failed by timeout (`topology.message.timeout.secs`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimedOut {
    /// The spout component.
    pub component: String,
    /// The spout task id.
    pub task: i64,
    /// When it failed, on the engine's clock, from the start of the run.
    pub after: std::time::Duration,
}

/// What one task acked and failed (as [`ComponentSummary`]'s counts, per task).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCounts {
    /// Its component.
    pub component: String,
    /// The task id.
    pub task: i64,
    /// Spouts: trees acked; bolts: `ack`s sent for data tuples.
    pub acked: u64,
    /// Spouts: trees failed (timeouts included); bolts: `fail`s sent.
    pub failed: u64,
    /// Everything the task wrote on stderr, when
    /// [`RunOptions::capture_stderr`](crate::RunOptions::capture_stderr) is on.
    pub stderr: Option<String>,
    /// It spoke the fast wire (accepted the offer in its handshake reply); JSON otherwise.
    pub fast_wire: bool,
}

/// One tuple a task emitted ([`RunOptions::record_emits`](crate::RunOptions::record_emits)).
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    /// The emitting component.
    pub component: String,
    /// Its task id.
    pub task: i64,
    /// The stream.
    pub stream: String,
    /// The values: a JSON array, as the task wrote it.
    pub values: String,
}
pub(crate) fn empty_summary() -> RunSummary {
    RunSummary {
        topology: String::new(),
        storm_id: String::new(),
        duration_secs: 0.0,
        stop_reason: String::new(),
        failure: None,
        leftover_pids_killed: Vec::new(),
        components: Vec::new(),
        stop: StopTiming::default(),
        emitted: Vec::new(),
        tasks: Vec::new(),
        timed_out: Vec::new(),
        clock_secs: 0.0,
    }
}
/// Writes the summary JSON (pretty-printed).
pub fn write_summary(path: &Path, summary: &RunSummary) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(summary).map_err(|e| RunError::Io(e.to_string()))?;
    std::fs::write(path, text + "\n")
        .map_err(|e| RunError::Io(format!("cannot write {}: {e}", path.display())))
}
