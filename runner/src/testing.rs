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
//! A spout given to [`TopologyTest::replace_spout`] runs as `sparse-host --component
//! sparse::FixedTuples`, a spout built into `sparse-host` that emits the given rows once
//! each on the default stream, reliably (message id = the row's index), and never replays
//! a failed one. Every spout must be replaced: the run stops when the spouts have seen as
//! many trees acked or failed as there are rows, and everything else has drained; or at
//! the timeout, an error naming what is still pending.
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
//! Ticks and message timeouts run on the real clock.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};
use sparse_topology::model::{ComponentKind, Exec, Topology};

use crate::{RunError, RunOptions, RunSummary};

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
    rows: BTreeMap<String, usize>,
    seed: u64,
    timeout: Duration,
    conf: Map<String, Value>,
    host: Option<PathBuf>,
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
            seed: 0,
            timeout: DEFAULT_TIMEOUT,
            conf: Map::new(),
            host: None,
            json_wire: false,
        }
    }

    /// Replaces spout `id` by `sparse::FixedTuples` emitting `rows` (each a JSON array of
    /// the values of one tuple on the default stream). An unknown id or a bolt makes
    /// [`run`](Self::run) fail with [`TestError::Setup`].
    pub fn replace_spout(mut self, id: &str, rows: impl IntoIterator<Item = Value>) -> Self {
        let rows: Vec<Value> = rows.into_iter().collect();
        let n = rows.len();
        if let Some(c) = self.topology.components.iter_mut().find(|c| c.id == id)
            && c.kind == ComponentKind::Spout
        {
            c.exec = Exec::Shell {
                command: ["sparse-host", "--component", "sparse::FixedTuples"]
                    .map(String::from)
                    .to_vec(),
            };
            c.conf.insert(FIXED_TUPLES_KEY.into(), Value::Array(rows));
        }
        self.rows.insert(id.to_owned(), n);
        self
    }

    /// Seeds the routing randomness (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long the run may take before it is stopped with [`TestError::Timeout`]
    /// (default [`DEFAULT_TIMEOUT`]).
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
        for id in self.rows.keys() {
            match self.topology.component(id) {
                Some(c) if c.kind == ComponentKind::Spout => {}
                Some(_) => {
                    return Err(TestError::Setup(format!(
                        "`{id}` is a bolt; only spouts can be replaced"
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
        let unreplaced: Vec<&str> = self
            .topology
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Spout && !self.rows.contains_key(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        if !unreplaced.is_empty() {
            return Err(TestError::Setup(format!(
                "spout(s) {} not replaced: a topology test needs a finite input, give it with replace_spout",
                unreplaced.join(", ")
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
        opts.duration = Some(self.timeout);
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
        opts.stop_after_trees = Some(self.rows.values().map(|&n| n as u64).sum());
        let summary = crate::run(&self.topology, &opts).map_err(TestError::Run)?;
        let report = Report::new(&self.topology, summary, &logs);
        let pending: Vec<String> = self
            .rows
            .iter()
            .filter_map(|(id, &n)| {
                let c = report.components.get(id)?;
                let done = (c.acked + c.failed) as usize;
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

/// What one component did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentReport {
    /// Spouts: trees acked; bolts: `ack`s sent for data tuples.
    pub acked: u64,
    /// Spouts: trees failed (timeouts included); bolts: `fail`s sent.
    pub failed: u64,
    /// Tuples emitted, per stream, in order.
    pub emitted: BTreeMap<String, Vec<Value>>,
    /// Tuples emitted per task id, then per stream, in order.
    pub tasks: BTreeMap<i64, BTreeMap<String, Vec<Value>>>,
    /// `(acked, failed)` per task id, every task of the component included.
    pub outcomes: BTreeMap<i64, (u64, u64)>,
    /// Per task id: it spoke the fast wire (`sparse-host` accepts it unless the test
    /// sets [`TopologyTest::json_wire`]); other components stay on JSON.
    pub fast_wire: BTreeMap<i64, bool>,
    /// Log text of each task (its `sparse-host` log file), by task id.
    pub logs: BTreeMap<i64, String>,
}

/// What a topology test run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per component id.
    pub components: BTreeMap<String, ComponentReport>,
    /// The run's summary, as `sparse run --summary-json` writes it.
    pub summary: RunSummary,
}

impl Report {
    fn new(topology: &Topology, summary: RunSummary, logs: &Path) -> Report {
        let mut components: BTreeMap<String, ComponentReport> = topology
            .components
            .iter()
            .map(|c| (c.id.clone(), ComponentReport::default()))
            .collect();
        for s in &summary.components {
            if let Some(c) = components.get_mut(&s.id) {
                c.acked = s.acked;
                c.failed = s.failed;
            }
        }
        for t in &summary.tasks {
            if let Some(c) = components.get_mut(&t.component) {
                c.outcomes.insert(t.task, (t.acked, t.failed));
                c.fast_wire.insert(t.task, t.fast_wire);
            }
        }
        for e in &summary.emitted {
            let Some(c) = components.get_mut(&e.component) else {
                continue;
            };
            let values: Value = serde_json::from_str(&e.values).unwrap_or(Value::Null);
            c.emitted
                .entry(e.stream.clone())
                .or_default()
                .push(values.clone());
            c.tasks
                .entry(e.task)
                .or_default()
                .entry(e.stream.clone())
                .or_default()
                .push(values);
        }
        // sparse-host names its log `streamparse_<topology>_<component>_<task>_<pid>.log`.
        let prefix = format!("streamparse_{}_", topology.name);
        for entry in std::fs::read_dir(logs).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(".log"))
            else {
                continue;
            };
            let mut parts = rest.rsplitn(3, '_');
            let (_pid, task, comp) = (parts.next(), parts.next(), parts.next());
            if let (Some(task), Some(comp)) = (task.and_then(|t| t.parse().ok()), comp)
                && let Some(c) = components.get_mut(comp)
            {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                c.logs.insert(task, text);
            }
        }
        Report {
            components,
            summary,
        }
    }

    /// What component `id` did; an empty report for an id the topology does not have.
    pub fn component(&self, id: &str) -> &ComponentReport {
        static EMPTY: std::sync::OnceLock<ComponentReport> = std::sync::OnceLock::new();
        self.components
            .get(id)
            .unwrap_or_else(|| EMPTY.get_or_init(ComponentReport::default))
    }

    /// The tuples component `id` emitted on `stream`, in order (all its tasks).
    pub fn emitted(&self, id: &str, stream: &str) -> &[Value] {
        self.component(id)
            .emitted
            .get(stream)
            .map_or(&[], Vec::as_slice)
    }

    /// The log texts of component `id`'s tasks, in task order.
    pub fn logs(&self, id: &str) -> Vec<&str> {
        self.component(id)
            .logs
            .values()
            .map(String::as_str)
            .collect()
    }
}

fn find_upwards(path: &Path) -> Result<PathBuf, TestError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| TestError::Load(format!("cannot read the current folder: {e}")))?;
    cwd.ancestors()
        .map(|d| d.join(path))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            TestError::Load(format!(
                "no topology file {} in {} or any folder above it",
                path.display(),
                cwd.display()
            ))
        })
}

/// Whether the Cargo workspace of the running test (`$CARGO_MANIFEST_DIR`, set by `cargo
/// test`) has a `sparse-host` binary target; `None` when `cargo metadata` cannot tell.
fn workspace_builds_host() -> Option<bool> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let meta: Value = serde_json::from_slice(&out.stdout).ok()?;
    let packages = meta.get("packages")?.as_array()?;
    Some(packages.iter().any(|p| {
        p.get("targets")
            .and_then(Value::as_array)
            .is_some_and(|ts| {
                ts.iter().any(|t| {
                    t.get("name") == Some(&json!("sparse-host"))
                        && t.get("kind")
                            .and_then(Value::as_array)
                            .is_some_and(|k| k.contains(&json!("bin")))
                })
            })
    }))
}

/// The Cargo target folder of the running test binary (`…/target/debug`).
fn test_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    Some(if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent()?.to_path_buf()
    } else {
        dir.to_path_buf()
    })
}

/// `$SPARSE_HOST`, else `sparse-host` in the test binary's Cargo target folder, else on
/// `PATH`.
fn find_host() -> Result<PathBuf, TestError> {
    if let Some(h) = std::env::var_os("SPARSE_HOST") {
        let h = PathBuf::from(h);
        return if h.is_file() {
            Ok(h)
        } else {
            Err(TestError::Setup(format!(
                "SPARSE_HOST is {}, which is not a file",
                h.display()
            )))
        };
    }
    let target = test_target_dir().filter(|_| workspace_builds_host() != Some(false));
    let path = std::env::var_os("PATH").unwrap_or_default();
    target
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|d| d.join("sparse-host"))
        .find(|c| c.is_file())
        .ok_or_else(|| {
            TestError::Setup(format!(
                "no sparse-host in the test's target folder ({}) or on PATH; build it (`cargo build` in the sparse workspace), install it (`cargo install sparse-host`) or set SPARSE_HOST",
                target.map_or_else(|| "unknown".into(), |t| t.display().to_string())
            ))
        })
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
    fn every_spout_must_be_replaced() {
        let t = TopologyTest::new(topology()).replace_spout("words", [json!(["a"])]);
        assert_eq!(
            setup_error(t),
            "spout(s) more not replaced: a topology test needs a finite input, give it with replace_spout"
        );
    }

    #[test]
    fn only_existing_spouts_can_be_replaced() {
        let t = TopologyTest::new(topology()).replace_spout("nope", []);
        assert_eq!(setup_error(t), "topology `t` has no spout `nope`");
        let t = TopologyTest::new(topology()).replace_spout("count", []);
        assert_eq!(
            setup_error(t),
            "`count` is a bolt; only spouts can be replaced"
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
