//! Whole-topology tests in `cargo test`: run a topology file on the engine of `sparse run`
//! with a finite input, then assert on what every component emitted, acked and failed,
//! and on the task logs (Storm's `Testing.completeTopology`, for multi-lang components).
//!
//! ```no_run
//! use serde_json::json;
//! use sparse_runner::testing::TopologyTest;
//!
//! let report = TopologyTest::load("topologies/wordcount.clj")
//!     .unwrap()
//!     .replace_spout("sentence-spout", [json!(["a b a"])])
//!     .run()
//!     .unwrap();
//! assert_eq!(report.component("sentence-spout").acked, 1);
//! assert_eq!(
//!     report.emitted("word-counter", "default").last(),
//!     Some(&json!(["a", 2]))
//! );
//! let logs = report.logs("word-counter");
//! assert!(logs.iter().any(|l| l.contains("running wordcount::WordCounter")));
//! ```
//!
//! # How it runs
//! The same [`crate::run`] as `sparse run`: each task is a real `sparse-host` subprocess
//! (or whatever command the topology names) speaking multi-lang, routed by the same
//! groupings and Java hashing, tracked by the same acker. Not in-process: the engine only
//! talks to task processes, and a second, in-process engine would be a second
//! implementation to keep in step. It costs a process start per task (milliseconds).
//!
//! A spout given to [`TopologyTest::replace_spout`] (default stream) or
//! [`TopologyTest::replace_spout_on`] (any stream the spout declares) runs as `sparse-host
//! --component sparse::FixedTuples`, a spout built into `sparse-host` that emits the given
//! rows once each, in the order given, reliably (message id = the row's index), and never
//! replays a failed one.
//!
//! A spout of the topology's own can run instead, limited with
//! [`TopologyTest::run_spout`]`(id, n)`: it gets `next` until it has emitted `n` tuples
//! (all its tasks together, replays included), then no more. It must emit them reliably
//! (with message ids): the run waits for their `n` trees.
//!
//! The run stops when the spouts have seen as many trees acked or failed as there are
//! rows and limited emits, and everything else has drained; or at the timeout, an error
//! naming what is still pending. So every spout must be replaced or limited, unless the
//! test runs for a set time ([`TopologyTest::run_for`]), which then is the stop condition.
//!
//! Every task's stderr is kept whole in the report
//! ([`ComponentReport::stderr`]), as well as echoed on the test's stderr.
//!
//! # Finding `sparse-host` and the plugins
//! `sparse-host` is, in this order: `$SPARSE_HOST`; `sparse-host` in the Cargo target
//! folder of the test binary (`target/debug/` for `target/debug/deps/test-…`) when the
//! test's Cargo workspace builds a `sparse-host` binary (`cargo metadata`; the sparse
//! repository does, after `cargo build`), as `sparse run` decides (a copy left there by
//! hand is passed over); `sparse-host` on `PATH` (`cargo install sparse-host`). It must speak the plugin ABI of
//! the plugins. Plugins are searched first in the test binary's `target/debug/deps/`, where
//! `cargo test` of a plugin crate has just built its `cdylib` (`lib<crate>.so`, not copied
//! up to `target/debug/` by `cargo test`), then where `sparse-host` always looks
//! (`$SPARSE_PLUGIN_PATH`, its own folder).
//!
//! # Wire
//! As under `sparse run`, each handshake offers the fast wire: `sparse-host` tasks accept
//! it, other components stay on JSON; [`TopologyTest::json_wire`] keeps every task on
//! JSON, and [`ComponentReport::fast_wire`] says which wire each task spoke.
//!
//! # Determinism
//! The routing randomness is seeded (0 unless [`TopologyTest::seed`]), so a shuffle
//! grouping deals tuples to the same tasks on every run and per-task results are stable.
//!
//! Ticks and message timeouts run on simulated time ([`crate::clock`]): it stands still
//! while any task has work in flight and jumps to the next tick or timeout when the whole
//! topology is quiet. A tree a bolt never acks fails by timeout at the same simulated time
//! on every run (2 × `topology.message.timeout.secs` when emitted before the first timeout
//! rotation, [`ComponentReport::timed_out`]) without the test waiting that long, and
//! [`TopologyTest::run_for`] N tick periods gives a tick bolt exactly N ticks.
//! [`TopologyTest::real_time`] turns this off. The [`timeout`](TopologyTest::timeout) of
//! the test is always real time.
//!
//! ```no_run
//! use std::time::Duration;
//! use serde_json::json;
//! use sparse_runner::testing::TopologyTest;
//!
//! // Ticks every 10 s for 65 simulated seconds: 6 per task, in well under a second.
//! let report = TopologyTest::load("topologies/wordcount.clj")
//!     .unwrap()
//!     .replace_spout("sentence-spout", [json!(["a b a"])])
//!     .conf("topology.tick.tuple.freq.secs", 10)
//!     .run_for(Duration::from_secs(65))
//!     .run()
//!     .unwrap();
//! assert_eq!(report.component("word-counter").ticks, 2 * 6); // 2 tasks
//! ```
//!
//! The parts: the test and its run here ([`TopologyTest`]), what it reports in `report`
//! ([`Report`]), finding the topology file and `sparse-host` in `locate`.

mod locate;
mod report;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};
use sparse_topology::model::{ComponentKind, Exec, Topology};

use crate::clock::ClockMode;
use crate::{RunError, RunOptions};
use locate::{find_host, find_upwards, test_target_dir};
pub use report::{ComponentReport, Report};

/// The conf key `sparse::FixedTuples` reads its rows from.
pub const FIXED_TUPLES_KEY: &str = "sparse.fixed.tuples";

/// The default [`TopologyTest::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a topology test could not run or did not finish.
#[derive(Debug)]
pub enum TestError {
    /// The topology file could not be found or read.
    Load(String),
    /// The test is set up wrong (unknown spout, a spout not replaced, no `sparse-host`).
    Setup(String),
    /// The run failed (a task died, a setting Storm refuses, …).
    Run(RunError),
    /// The timeout came before every tree completed.
    Timeout {
        /// What was still pending, per spout.
        message: String,
        /// What the run did until then.
        report: Box<Report>,
    },
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestError::Load(m) | TestError::Setup(m) => f.write_str(m),
            TestError::Run(e) => write!(f, "the topology run failed: {e}"),
            TestError::Timeout { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for TestError {}

/// A topology test: a topology, its replacement spouts and settings (see the module doc).
#[derive(Debug, Clone)]
pub struct TopologyTest {
    topology: Topology,
    /// Per replaced spout, its rows as `sparse::FixedTuples` reads them.
    rows: BTreeMap<String, Vec<Value>>,
    /// Per spout run with a limit, the number of tuples.
    limits: BTreeMap<String, u64>,
    seed: u64,
    timeout: Duration,
    conf: Map<String, Value>,
    host: Option<PathBuf>,
    clock: ClockMode,
    run_for: Option<Duration>,
    json_wire: bool,
}

impl TopologyTest {
    /// Reads a topology file (`.clj` or `.yaml`). A relative path is looked up in the
    /// current folder (a test's is its package folder), then in each parent folder, so
    /// `topologies/x.clj` is found from a plugin crate inside the project.
    ///
    /// # Errors
    ///
    /// [`TestError::Load`] when no such file exists or it does not parse.
    pub fn load(path: impl AsRef<Path>) -> Result<TopologyTest, TestError> {
        let path = find_upwards(path.as_ref())?;
        let topology = sparse_topology::load(&path)
            .map_err(|e| TestError::Load(format!("cannot load {}: {e}", path.display())))?;
        Ok(TopologyTest::new(topology))
    }

    /// A test of a topology already in memory.
    pub fn new(topology: Topology) -> TopologyTest {
        TopologyTest {
            topology,
            rows: BTreeMap::new(),
            limits: BTreeMap::new(),
            seed: 0,
            timeout: DEFAULT_TIMEOUT,
            conf: Map::new(),
            host: None,
            clock: ClockMode::Simulated,
            run_for: None,
            json_wire: false,
        }
    }

    /// Replaces spout `id` by `sparse::FixedTuples` emitting `rows` (each a JSON array of
    /// the values of one tuple on the default stream). An unknown id or a bolt makes
    /// [`run`](Self::run) fail with [`TestError::Setup`]. Rows given by several calls (of
    /// this and [`replace_spout_on`](Self::replace_spout_on)) are emitted in the order given.
    pub fn replace_spout(self, id: &str, rows: impl IntoIterator<Item = Value>) -> Self {
        self.add_rows(id, rows.into_iter().collect())
    }

    /// As [`replace_spout`](Self::replace_spout), with the rows on `stream`, which the
    /// spout must declare ([`TestError::Setup`] otherwise).
    ///
    /// ```no_run
    /// # use serde_json::json;
    /// # use sparse_runner::testing::TopologyTest;
    /// let report = TopologyTest::load("topologies/orders.clj")
    ///     .unwrap()
    ///     .replace_spout("orders", [json!(["book", 2])])
    ///     .replace_spout_on("orders", "cancels", [json!(["book"])])
    ///     .run()
    ///     .unwrap();
    /// assert_eq!(report.emitted("orders", "cancels"), [json!(["book"])]);
    /// ```
    pub fn replace_spout_on(
        self,
        id: &str,
        stream: &str,
        rows: impl IntoIterator<Item = Value>,
    ) -> Self {
        let rows = rows
            .into_iter()
            .map(|values| json!({"stream": stream, "values": values}))
            .collect();
        self.add_rows(id, rows)
    }

    fn add_rows(mut self, id: &str, mut rows: Vec<Value>) -> Self {
        let all = self.rows.entry(id.to_owned()).or_default();
        all.append(&mut rows);
        if let Some(c) = self.topology.components.iter_mut().find(|c| c.id == id)
            && c.kind == ComponentKind::Spout
        {
            c.exec = Exec::Shell {
                command: ["sparse-host", "--component", "sparse::FixedTuples"]
                    .map(String::from)
                    .to_vec(),
            };
            c.conf
                .insert(FIXED_TUPLES_KEY.into(), Value::Array(all.clone()));
        }
        self
    }

    /// Runs spout `id` of the topology itself (not replaced) until it has emitted `n`
    /// tuples, all its tasks together, replays included; the run then waits for their
    /// trees (see the module doc). The spout must emit with message ids.
    pub fn run_spout(mut self, id: &str, n: u64) -> Self {
        self.limits.insert(id.to_owned(), n);
        self
    }

    /// Seeds the routing randomness (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs ticks and message timeouts on the real clock instead of simulated time (see
    /// the module doc).
    pub fn real_time(mut self) -> Self {
        self.clock = ClockMode::Real;
        self
    }

    /// Runs for this long on the engine's clock (simulated time unless
    /// [`real_time`](Self::real_time)) instead of until every tree completed, then drains:
    /// for ticks, timeouts, or a topology that never stops emitting. [`run`](Self::run)
    /// then succeeds once that time is reached.
    pub fn run_for(mut self, duration: Duration) -> Self {
        self.run_for = Some(duration);
        self
    }

    /// How long the run may take, in real time, before it is stopped with
    /// [`TestError::Timeout`] (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets a Storm conf key for every task, over the topology's own conf.
    pub fn conf(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.conf.insert(key.to_owned(), value.into());
        self
    }

    /// Speaks JSON to every task, as `sparse run --json-wire` (default: the fast wire
    /// to `sparse-host` tasks, as `sparse run` and sparse's serializer under Storm).
    pub fn json_wire(mut self, on: bool) -> Self {
        self.json_wire = on;
        self
    }

    /// Uses this `sparse-host` instead of finding one (see the module doc).
    pub fn host_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.host = Some(path.into());
        self
    }

    /// Runs the topology until every tree of the replaced spouts completed.
    ///
    /// # Errors
    ///
    /// [`TestError::Setup`] for a spout not replaced, an unknown replaced id or no
    /// `sparse-host`; [`TestError::Run`] when a task fails; [`TestError::Timeout`].
    pub fn run(self) -> Result<Report, TestError> {
        for id in self.rows.keys().chain(self.limits.keys()) {
            match self.topology.component(id) {
                Some(c) if c.kind == ComponentKind::Spout => {}
                Some(_) => {
                    return Err(TestError::Setup(format!(
                        "`{id}` is a bolt; only spouts can be replaced or limited"
                    )));
                }
                None => {
                    return Err(TestError::Setup(format!(
                        "topology `{}` has no spout `{id}`",
                        self.topology.name
                    )));
                }
            }
        }
        if let Some(id) = self.rows.keys().find(|id| self.limits.contains_key(*id)) {
            return Err(TestError::Setup(format!(
                "spout `{id}` is both replaced and limited: replace_spout runs fixed rows instead of it, run_spout runs it"
            )));
        }
        for (id, rows) in &self.rows {
            let declared = &self.topology.component(id).expect("checked").outputs;
            for row in rows {
                if let Some(s) = row.get("stream").and_then(Value::as_str)
                    && !declared.contains_key(s)
                {
                    return Err(TestError::Setup(format!(
                        "spout `{id}` declares no stream `{s}` (it declares: {})",
                        declared.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        let unlimited: Vec<&str> = self
            .topology
            .components
            .iter()
            .filter(|c| {
                c.kind == ComponentKind::Spout
                    && !self.rows.contains_key(&c.id)
                    && !self.limits.contains_key(&c.id)
            })
            .map(|c| c.id.as_str())
            .collect();
        if !unlimited.is_empty() && self.run_for.is_none() {
            return Err(TestError::Setup(format!(
                "spout(s) {} neither replaced nor limited: a topology test needs a finite input, give it with replace_spout or run_spout (or run for a set time with run_for)",
                unlimited.join(", ")
            )));
        }
        let host = match self.host {
            Some(h) => h,
            None => find_host()?,
        };
        let project = tempfile::tempdir()
            .map_err(|e| TestError::Setup(format!("cannot create a temporary folder: {e}")))?;
        let logs = project.path().join("logs");
        let mut opts = RunOptions::new(project.path());
        opts.live = false;
        opts.print_summary = false;
        opts.wall_limit = Some(self.timeout);
        opts.clock = self.clock;
        opts.duration = self.run_for;
        opts.seed = Some(self.seed);
        opts.conf_overrides = self.conf;
        opts.log
            .insert("path".into(), json!(logs.to_string_lossy()));
        // `cargo test` builds a plugin crate's cdylib into `deps/` (unhashed) and does not
        // copy it up: the test's own build is the one to load.
        opts.plugin_dir = test_target_dir().map(|d| d.join("deps"));
        opts.host_binary = Some(host);
        opts.record_emits = true;
        opts.json_wire = self.json_wire;
        opts.capture_stderr = true;
        opts.spout_emit_limits = self.limits.clone();
        // Each row and each limited emit is one tree.
        let expected: BTreeMap<&String, u64> = self
            .rows
            .iter()
            .map(|(id, rows)| (id, rows.len() as u64))
            .chain(self.limits.iter().map(|(id, &n)| (id, n)))
            .collect();
        if self.run_for.is_none() {
            opts.stop_after_trees = Some(expected.values().sum());
        }
        let summary = crate::run(&self.topology, &opts).map_err(TestError::Run)?;
        let report = Report::new(&self.topology, summary, &logs);
        if let Some(d) = self.run_for {
            if report.summary.clock_secs >= d.as_secs_f64() {
                return Ok(report);
            }
            let message = format!(
                "topology `{}` did not run for {d:?} ({}) within the timeout of {:?}",
                self.topology.name,
                match self.clock {
                    ClockMode::Simulated => "simulated time",
                    ClockMode::Real => "real time",
                },
                self.timeout
            );
            return Err(TestError::Timeout {
                message,
                report: Box::new(report),
            });
        }
        let pending: Vec<String> = expected
            .iter()
            .filter_map(|(id, &n)| {
                let c = report.components.get(*id)?;
                let done = c.acked + c.failed;
                (done < n).then(|| format!("spout `{id}`: {} of {n} trees", n - done))
            })
            .collect();
        // The last trees may complete in the drain after the timeout: that is a success.
        if report.summary.stop_reason == "completed"
            || (pending.is_empty() && report.summary.stop.drained)
        {
            return Ok(report);
        }
        let message = format!(
            "topology `{}` did not complete within {:?}; still pending: {}",
            self.topology.name,
            self.timeout,
            if pending.is_empty() {
                "tuples in bolts (every tree completed, but bolts had not answered all they received)".to_owned()
            } else {
                pending.join("; ")
            }
        );
        Err(TestError::Timeout {
            message,
            report: Box::new(report),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn topology() -> Topology {
        sparse_topology::clj::load_str(
            r#"(defn t [o]
                 [{"words" (rust-spout-spec o "p::Words" ["word"])
                   "more" (rust-spout-spec o "p::Words" ["word"])}
                  {"count" (rust-bolt-spec o {"words" ["word"]} "p::Count" ["word" "n"])}])"#,
            Path::new("t.clj"),
        )
        .unwrap()
    }

    fn setup_error(t: TopologyTest) -> String {
        match t.host_binary("/nonexistent/sparse-host").run() {
            Err(TestError::Setup(m)) => m,
            other => panic!("expected a setup error, got {other:?}"),
        }
    }

    #[test]
    fn every_spout_must_be_replaced_or_limited() {
        let t = TopologyTest::new(topology()).replace_spout("words", [json!(["a"])]);
        assert_eq!(
            setup_error(t),
            "spout(s) more neither replaced nor limited: a topology test needs a finite input, give it with replace_spout or run_spout (or run for a set time with run_for)"
        );
        let t = TopologyTest::new(topology())
            .replace_spout("words", [json!(["a"])])
            .run_spout("words", 3);
        assert_eq!(
            setup_error(t),
            "spout `words` is both replaced and limited: replace_spout runs fixed rows instead of it, run_spout runs it"
        );
    }

    #[test]
    fn rows_go_only_to_declared_streams() {
        let t = TopologyTest::new(topology()).replace_spout_on("words", "nope", [json!(["a"])]);
        assert_eq!(
            setup_error(t.run_spout("more", 1)),
            "spout `words` declares no stream `nope` (it declares: default)"
        );
    }

    #[test]
    fn rows_keep_their_order_across_streams() {
        let t = TopologyTest::new(topology())
            .replace_spout("words", [json!(["a"])])
            .replace_spout_on("words", "default", [json!(["b"])]);
        let c = t.topology.component("words").unwrap();
        assert_eq!(
            c.conf[FIXED_TUPLES_KEY],
            json!([["a"], {"stream": "default", "values": ["b"]}])
        );
    }

    #[test]
    fn only_existing_spouts_can_be_replaced() {
        let t = TopologyTest::new(topology()).replace_spout("nope", []);
        assert_eq!(setup_error(t), "topology `t` has no spout `nope`");
        let t = TopologyTest::new(topology()).replace_spout("count", []);
        assert_eq!(
            setup_error(t),
            "`count` is a bolt; only spouts can be replaced or limited"
        );
    }

    #[test]
    fn a_replaced_spout_runs_the_built_in_fixed_tuples() {
        let t = TopologyTest::new(topology()).replace_spout("words", [json!(["a"]), json!(["b"])]);
        let c = t.topology.component("words").unwrap();
        assert_eq!(
            c.exec,
            Exec::Shell {
                command: vec![
                    "sparse-host".into(),
                    "--component".into(),
                    "sparse::FixedTuples".into()
                ]
            }
        );
        assert_eq!(c.conf[FIXED_TUPLES_KEY], json!([["a"], ["b"]]));
    }

    #[test]
    fn a_missing_topology_file_is_named() {
        let e = TopologyTest::load("no/such/topology.clj").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("no topology file no/such/topology.clj in "),
            "{e}"
        );
    }
}
