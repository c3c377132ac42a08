//! [`RunOptions`]: everything a caller chooses about a run (duration, conf overrides, the
//! task binary, display, seed, and the test kit's switches).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::clock::ClockMode;
use crate::hash::IntRule;
use crate::wire;

/// How to run a topology.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run this long, then stop gracefully; `None` runs until interrupted.
    pub duration: Option<Duration>,
    /// Conf layered over the topology's own conf: config.json environment options, then
    /// `-o` overrides, already merged by the caller in that order.
    pub conf_overrides: Map<String, Value>,
    /// `-d`: `topology.debug` true, debug log level, every emit printed.
    pub debug: bool,
    /// `topology.workers` (`-w`/`-p`).
    pub workers: Option<u32>,
    /// `topology.acker.executors` (`-a`/`-p`); 0 disables reliability.
    pub ackers: Option<u32>,
    /// Project root: working directory of the tasks, and where `logs/` goes.
    pub project_dir: PathBuf,
    /// Binary substituted for `argv[0] == "sparse-host"`.
    pub host_binary: Option<PathBuf>,
    /// Passed to `sparse-host` as `--plugin-dir` (the project's build output), so plugins
    /// are found wherever `sparse-host` itself is installed.
    pub plugin_dir: Option<PathBuf>,
    /// Working directory of `streamparse_run` (Python) components; `<project>/src` if None.
    pub python_cwd: Option<PathBuf>,
    /// config.json's `log` block (`path`, `level`, `max_bytes`, `backup_count`), passed as
    /// `streamparse.log.*`; `path` defaults to `<project>/logs`.
    pub log: Map<String, Value>,
    /// Write the summary as JSON here.
    pub summary_json: Option<PathBuf>,
    /// Draw the live display (a table on a terminal, a line every 5 s elsewhere).
    pub live: bool,
    /// Print the final summary table on stdout.
    pub print_summary: bool,
    /// Integer hashing rule for fields grouping (Storm ≥2.6 by default).
    pub int_rule: IntRule,
    /// Set to true (e.g. by a SIGINT handler) to stop gracefully; set again to stop now.
    pub interrupt: Arc<AtomicBool>,
    /// How JSON sent to tasks is written: Storm's bytes (default) or plain.
    pub json_style: wire::JsonStyle,
    /// Speak JSON to every task (`sparse run --json-wire`). Otherwise each handshake
    /// offers the fast wire, as sparse's serializer does under Storm: `sparse-host` tasks
    /// accept it, others (Python, ...) stay on JSON. A component whose conf sets
    /// `sparse.wire: json` is not offered it either.
    pub json_wire: bool,
    /// Where the run's private folder (`storm.local.dir`, the tasks' pid files) is made;
    /// the system temp folder when `None`. The folder is removed when the run ends.
    pub run_dir_parent: Option<PathBuf>,
    /// Seed of the routing randomness (the order a shuffle grouping deals tuples to its
    /// tasks); `None` seeds from the clock. With a seed, a spout task's tuples reach the
    /// same bolt tasks on every run, so a test can assert on them.
    pub seed: Option<u64>,
    /// Keep every emitted tuple in [`RunSummary::emitted`](crate::RunSummary::emitted) (the test kit, [`testing`](crate::testing)).
    pub record_emits: bool,
    /// Stop once the spouts have seen this many trees acked or failed and everything else
    /// has drained (stop reason `completed`): for a finite input ([`testing`](crate::testing)).
    pub stop_after_trees: Option<u64>,
    /// The time ticks, message timeouts, `duration` and the drain follow: real (`sparse
    /// run`) or simulated (the test kit), see [`crate::clock`].
    pub clock: ClockMode,
    /// Stop after this much real time whatever the clock (stop reason `duration`): the test
    /// kit's guard against a run that never completes.
    pub wall_limit: Option<Duration>,
    /// Spouts (by component id) that get no more `next` once they have emitted this many
    /// tuples, all their tasks together: a finite run of a topology's own spout (the test
    /// kit's [`run_spout`](crate::testing::TopologyTest::run_spout)).
    pub spout_emit_limits: BTreeMap<String, u64>,
    /// Keep the whole of every task's stderr in [`RunSummary::tasks`](crate::RunSummary::tasks)
    /// (the test kit).
    pub capture_stderr: bool,
}

impl RunOptions {
    /// Defaults for a project directory: run until interrupted, live display on.
    pub fn new(project_dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            duration: None,
            conf_overrides: Map::new(),
            debug: false,
            workers: None,
            ackers: None,
            project_dir: project_dir.into(),
            host_binary: None,
            plugin_dir: None,
            python_cwd: None,
            log: Map::new(),
            summary_json: None,
            live: true,
            print_summary: true,
            int_rule: IntRule::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
            json_style: wire::JsonStyle::default(),
            json_wire: false,
            run_dir_parent: None,
            seed: None,
            record_emits: false,
            stop_after_trees: None,
            clock: ClockMode::Real,
            wall_limit: None,
            spout_emit_limits: BTreeMap::new(),
            capture_stderr: false,
        }
    }
}
