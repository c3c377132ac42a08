//! The local runner behind `sparse run`: a JVM-free stand-in for Storm's ShellSpout and
//! ShellBolt that starts every task of a topology as a multi-lang subprocess.
//!
//! [`run`] expands the topology into tasks exactly as Storm does ([`plan`]), spawns each
//! task's command without a shell (`sparse-host` resolved to the freshly built binary),
//! performs the handshake (merged conf, full context, a real `pidDir`), then plays Storm:
//! spout ping-pong, bolt heartbeats and ticks, groupings with Java hash semantics
//! ([`route`], [`hash`]), the XOR acker with T–2T timeouts and max spout pending
//! ([`acker`]), and every fatal rule. Any task failure stops the whole topology.
//!
//! # Threads
//! * one **engine** thread (the caller's) owns all state: routing, ledger, pending maps,
//!   counters, timers; no locks on the hot path;
//! * per task: a **reader** thread (stdout frames → decoded messages, batched onto one
//!   mpsc channel, at most `sparse.max.frame.bytes` each), a **writer** thread (a 3-lane
//!   queue: heartbeat > task ids / commands > tuples, each lane written with one `write`),
//!   and a **stderr** thread (echo + tail, long lines cut).
//!
//! # Settings
//! Every setting the runner reads is checked before anything starts, with the rules Storm
//! applies at submit ([`settings`]); an invalid one is [`RunError::Setting`].
//!
//! # Backpressure
//! While any bolt task has `topology.shellbolt.max.pending` tuples not yet taken by its
//! writer, no spout gets `next`. Each bolt task's queue is bounded by
//! `topology.executor.receive.buffer.size`: a task whose emit fills one is blocked (its
//! messages held, its stdout no longer read) until there is room. A cycle that blocks
//! itself for the subprocess timeout stops the run, [`RunError::Stalled`] (see [`engine`]).
//!
//! # Simplifications (documented deviations)
//! * One executor per task; all `__acker` tasks share one ledger (same outcomes).
//! * With ackers = 0, the immediate `ack` of a spout emit with an id is sent after the
//!   current command's `sync`, not nested inside it (avoids Storm's 5.3 deadlock).
//!
//! # Summary JSON (`--summary-json FILE`)
//! ```json
//! {"topology": "wordcount", "storm_id": "wordcount-1-1700000000",
//!  "duration_secs": 5.02,
//!  "stop_reason": "duration" | "interrupted" | "failed" | "completed" (test kit),
//!  "failure": null | "text of the failure (a task's, or the stalled cycle's)",
//!  "leftover_pids_killed": [],
//!  "components": [{"id": "sentences", "kind": "spout", "tasks": 1, "emitted": 100,
//!                  "acked": 100, "failed": 0, "received": 0, "ticks": 0,
//!                  "complete_latency_mean_ms": 1.2, "complete_latency_p99_ms": 4.1}, …]}
//! ```
//! Spouts count trees acked/failed (timeouts included) and latency from emit to ack;
//! bolts count the `ack`/`fail` commands they sent for data tuples, the data tuples
//! delivered to them (`received`) and, apart, the tick tuples (`ticks`). Latencies are
//! null for bolts and for spouts with no ack. `stop` records how the run ended:
//! `{"requested_secs": 20.0, "drain_secs": 0.02, "drained": true, "shutdown_secs": 0.01}`
//! (the `-t` asked for, the drain after it, whether every tree completed, the time to
//! end the tasks).
//!
//! # Stopping on time
//! When `-t` is reached the spouts are deactivated and in-flight trees get at most
//! [`DURATION_DRAIN`] to complete; the tasks then get [`DURATION_GRACE`] after SIGTERM
//! before SIGKILL, so a run ends within about a second of what was asked. A Ctrl-C drains
//! longer (up to 5 s, a second Ctrl-C stops at once).
//!
//! # Example
//! The runner takes a topology model ([`sparse_topology`]) and [`RunOptions`]; the task
//! commands it starts come from the model (`sparse-host --component crate::Type`, or any
//! multi-lang program). Before starting anything it lays the topology out exactly as Storm
//! would, so task ids and hashing match a real cluster:
//!
//! ```
//! use std::path::Path;
//! use sparse_runner::plan::{ACKER, assign_task_ids};
//!
//! let t = sparse_topology::clj::load_str(
//!     r#"(defn t [o]
//!          [{"words" (rust-spout-spec o "p::Words" ["word"])}
//!           {"count" (rust-bolt-spec o {"words" ["word"]} "p::Count" ["word" "n"] :p 2)}])"#,
//!     Path::new("t.clj"),
//! )
//! .unwrap();
//! // Storm sorts component ids (acker included) and numbers tasks from 1.
//! let plan = assign_task_ids(&t, 1);
//! assert_eq!(plan.tasks_of(ACKER), &[1]);
//! assert_eq!(plan.tasks_of("count"), &[2, 3]);
//! assert_eq!(plan.tasks_of("words"), &[4]);
//! ```
//!
//! [`run`] then runs it: `run(&topology, &RunOptions::new(project_dir))`.

pub mod acker;
pub mod console;
pub mod engine;
pub mod hash;
pub mod plan;
pub mod process;
pub mod rng;
pub mod route;
pub mod settings;
pub mod stats;
pub mod testing;
pub mod wire;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

use engine::{CompRt, Engine, EngineConfig, StopReason, TaskRt};
use hash::IntRule;
use process::{SpawnSpec, TaskProcess};
use settings::Settings;
use sparse_topology::model::{ComponentKind, Exec, Topology};
use stats::{ComponentStats, ComponentSummary};

/// The longest drain after the `-t` duration is reached.
pub const DURATION_DRAIN: Duration = Duration::from_millis(600);
/// The time tasks get after SIGTERM when the `-t` duration is reached.
pub const DURATION_GRACE: Duration = Duration::from_millis(300);

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
    /// Where the run's private folder (`storm.local.dir`, the tasks' pid files) is made;
    /// the system temp folder when `None`. The folder is removed when the run ends.
    pub run_dir_parent: Option<PathBuf>,
    /// Seed of the routing randomness (the order a shuffle grouping deals tuples to its
    /// tasks); `None` seeds from the clock. With a seed, a spout task's tuples reach the
    /// same bolt tasks on every run, so a test can assert on them.
    pub seed: Option<u64>,
    /// Keep every emitted tuple in [`RunSummary::emitted`] (the test kit, [`testing`]).
    pub record_emits: bool,
    /// Stop once the spouts have seen this many trees acked or failed and everything else
    /// has drained (stop reason `completed`): for a finite input ([`testing`]).
    pub stop_after_trees: Option<u64>,
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
            run_dir_parent: None,
            seed: None,
            record_emits: false,
            stop_after_trees: None,
        }
    }
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
    /// [`RunOptions::record_emits`] is on (not in the summary JSON).
    #[serde(skip)]
    pub emitted: Vec<Emitted>,
    /// Acked and failed counts per task, in task-id order (not in the summary JSON).
    #[serde(skip)]
    pub tasks: Vec<TaskCounts>,
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
}

/// One tuple a task emitted ([`RunOptions::record_emits`]).
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

/// A task that broke the run.
#[derive(Debug, Clone)]
pub struct TaskFailure {
    /// Component id.
    pub component: String,
    /// Task id.
    pub task: i64,
    /// The command it ran.
    pub command: Vec<String>,
    /// What happened.
    pub reason: String,
    /// Exit status; None when it was still running when the failure was detected (it was
    /// then killed by the runner).
    pub exit_status: Option<String>,
    /// Its last stderr lines.
    pub stderr_tail: Vec<String>,
    /// The run's summary up to the failure.
    pub summary: RunSummary,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "component `{}` task {} died: {}",
            self.component, self.task, self.reason
        )?;
        writeln!(f, "  command: {:?}", self.command)?;
        match &self.exit_status {
            Some(s) => writeln!(f, "  exit status: {s}")?,
            None => writeln!(f, "  exit status: still running (killed by sparse run)")?,
        }
        if self.stderr_tail.is_empty() {
            write!(f, "  stderr: (nothing)")
        } else {
            write!(f, "  last stderr lines:")?;
            for l in &self.stderr_tail {
                write!(f, "\n    {l}")?;
            }
            Ok(())
        }
    }
}

/// A topology that could make no progress (see [`engine`]'s backpressure).
#[derive(Debug, Clone)]
pub struct Stalled {
    /// What was blocked on what, naming the components of the cycle.
    pub message: String,
    /// The run's summary up to the stop.
    pub summary: RunSummary,
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// The topology cannot run locally (Java components, custom groupings, …).
    Setup(String),
    /// A task could not be started.
    Spawn {
        /// Component id.
        component: String,
        /// Task id.
        task: i64,
        /// The command.
        command: Vec<String>,
        /// The OS error.
        error: std::io::Error,
    },
    /// A setting has a value Storm (or sparse) refuses; nothing was started.
    Setting(settings::SettingError),
    /// A task died or broke the protocol; the topology was stopped.
    TaskFailed(Box<TaskFailure>),
    /// Tasks in a cycle blocked one another on full queues: no progress was possible, so
    /// the topology was stopped.
    Stalled(Box<Stalled>),
    /// Writing the summary or creating the run directory failed.
    Io(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Setup(m) => write!(f, "cannot run this topology locally: {m}"),
            RunError::Spawn {
                component,
                task,
                command,
                error,
            } => write!(
                f,
                "Error when launching multilang subprocess for component `{component}` task {task}: {command:?}: {error}"
            ),
            RunError::Setting(e) => e.fmt(f),
            RunError::TaskFailed(t) => t.fmt(f),
            RunError::Stalled(s) => f.write_str(&s.message),
            RunError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
}

/// Merges the conf every task starts from: Storm defaults < topology conf < log settings <
/// overrides < flags, plus `topology.name`, `storm.id` and the effective acker count.
pub fn merged_conf(topology: &Topology, opts: &RunOptions, storm_id: &str) -> Map<String, Value> {
    let mut conf = plan::storm_defaults();
    conf.extend(topology.conf.clone());
    let mut log = opts.log.clone();
    if log.get("path").is_none_or(|p| p.is_null() || p == "") {
        log.insert(
            "path".into(),
            json!(opts.project_dir.join("logs").to_string_lossy()),
        );
    }
    if opts.debug {
        log.insert("level".into(), json!("debug"));
    }
    for (k, v) in log {
        conf.insert(format!("streamparse.log.{k}"), v);
    }
    conf.extend(opts.conf_overrides.clone());
    // pystorm (streamparse 3+) reads only `pystorm.log.*`: mirror the settings so Python
    // components log to the same folder, unless the user set those keys themselves.
    let mirrored: Vec<(String, Value)> = conf
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("streamparse.log.")?;
            let v = match (key, v) {
                ("level", Value::String(s)) => json!(s.to_lowercase()),
                _ => v.clone(),
            };
            Some((format!("pystorm.log.{key}"), v))
        })
        .filter(|(k, _)| !opts.conf_overrides.contains_key(k))
        .collect();
    conf.extend(mirrored);
    if opts.debug {
        conf.insert("topology.debug".into(), json!(true));
    }
    if let Some(w) = opts.workers {
        conf.insert("topology.workers".into(), json!(w));
    }
    if let Some(a) = opts.ackers {
        conf.insert("topology.acker.executors".into(), json!(a));
    }
    let workers = as_u64(conf.get("topology.workers")).unwrap_or(1);
    let ackers = as_u64(conf.get("topology.acker.executors")).unwrap_or(workers);
    conf.insert("topology.acker.executors".into(), json!(ackers));
    conf.insert("topology.name".into(), json!(topology.name));
    conf.insert("storm.id".into(), json!(storm_id));
    conf.insert("storm.cluster.mode".into(), json!("local"));
    conf
}

/// Where the value of `key` in [`merged_conf`] came from, for error messages.
fn origin(topology: &Topology, opts: &RunOptions, key: &str) -> &'static str {
    match key {
        "topology.debug" if opts.debug => return "-d",
        "topology.workers" if opts.workers.is_some() => return "-w/-p",
        "topology.acker.executors" if opts.ackers.is_some() => return "-a/-p",
        _ => {}
    }
    if opts.conf_overrides.contains_key(key) {
        "-o or config.json's options"
    } else if key.starts_with("streamparse.log.") {
        "config.json's log settings"
    } else if topology.conf.contains_key(key) {
        "the topology's conf"
    } else if key == "topology.acker.executors" {
        "topology.workers"
    } else {
        "Storm's defaults"
    }
}

/// Checks every setting the runner reads, in the merged conf and in each component's own
/// conf, with Storm's rules ([`settings`]); nothing is started.
///
/// # Errors
///
/// [`RunError::Setting`] naming the first invalid key, its value and where it came from.
pub fn check_settings(topology: &Topology, opts: &RunOptions) -> Result<Settings, RunError> {
    let base = merged_conf(topology, opts, "check");
    check_merged(topology, opts, &base).map(|(s, _)| s)
}

fn check_merged(
    topology: &Topology,
    opts: &RunOptions,
    base: &Map<String, Value>,
) -> Result<(Settings, Vec<settings::ComponentSettings>), RunError> {
    let s = settings::check_conf(base, |k| origin(topology, opts, k)).map_err(RunError::Setting)?;
    let mut comps = Vec::new();
    for c in &topology.components {
        let conf = plan::component_conf(base, &c.conf, c.kind);
        comps.push(settings::check_component(&c.id, &conf, &c.conf).map_err(RunError::Setting)?);
    }
    Ok((s, comps))
}

fn resolve_argv(command: &[String], opts: &RunOptions) -> Vec<String> {
    let mut argv = command.to_vec();
    if argv.first().is_some_and(|a| a == "sparse-host") {
        if let Some(host) = &opts.host_binary {
            argv[0] = host.to_string_lossy().into_owned();
        }
        if let Some(dir) = &opts.plugin_dir {
            argv.insert(1, "--plugin-dir".into());
            argv.insert(2, dir.to_string_lossy().into_owned());
        }
    }
    argv
}

fn task_cwd(command: &[String], opts: &RunOptions) -> PathBuf {
    if command.first().is_some_and(|c| c == "streamparse_run") {
        opts.python_cwd
            .clone()
            .unwrap_or_else(|| opts.project_dir.join("src"))
    } else {
        opts.project_dir.clone()
    }
}

/// Runs a topology locally until the duration elapses, it is interrupted, or a task fails.
pub fn run(topology: &Topology, opts: &RunOptions) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    for c in &topology.components {
        if let Exec::Java(def) = &c.exec {
            return Err(RunError::Setup(format!(
                "component `{}` is the JVM class `{}`; `sparse run` only runs multi-lang (shell) components without a JVM: \
                 run this topology in Storm's LocalCluster with `sparse jar` and storm/run-local.sh (see README, \"Reading from Kafka\")",
                c.id, def.class_name
            )));
        }
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let storm_id = format!("{}-1-{secs}", topology.name);
    let base = merged_conf(topology, opts, &storm_id);
    let (settings, comp_settings) = check_merged(topology, opts, &base)?;
    let comp_settings: std::collections::HashMap<&str, settings::ComponentSettings> = topology
        .components
        .iter()
        .map(|c| c.id.as_str())
        .zip(comp_settings)
        .collect();
    let ackers = settings.ackers;
    let plan = plan::assign_task_ids(topology, ackers);
    let mut rng = opts
        .seed
        .map_or_else(rng::Rng::from_entropy, rng::Rng::seeded);
    let routes = route::Routes::build(topology, &plan, &mut rng, opts.int_rule)
        .map_err(|e| RunError::Setup(e.0))?;

    // Removed when `run_dir_guard` drops: on every return below, and on a panic.
    let run_dir_guard = process::make_run_dir(opts.run_dir_parent.as_deref())
        .map_err(|e| RunError::Io(format!("cannot create the run folder: {e}")))?;
    let run_dir = run_dir_guard.path().to_path_buf();
    let pid_dir = run_dir.join("pids");
    std::fs::create_dir_all(&pid_dir).map_err(|e| RunError::Io(e.to_string()))?;
    let mut base_with_dir = base.clone();
    base_with_dir.insert("storm.local.dir".into(), json!(run_dir.to_string_lossy()));
    if let Some(dir) = base.get("streamparse.log.path").and_then(Value::as_str) {
        let _ = std::fs::create_dir_all(dir);
    }

    let console = Arc::new(console::Console::stderr(opts.live));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut comps = Vec::new();
    let mut stats = Vec::new();
    let mut tasks = Vec::new();
    let mut procs: Vec<TaskProcess> = Vec::new();
    let mut commands = Vec::new();
    // Components in task-id order, acker excluded.
    let ordered: Vec<&sparse_topology::model::Component> = plan
        .component_tasks
        .keys()
        .filter_map(|id| topology.component(id))
        .collect::<Vec<_>>();
    let mut ordered = ordered;
    ordered.sort_by(|a, b| plan::java_str_cmp(&a.id, &b.id));
    let now = Instant::now();
    for comp in ordered {
        let Exec::Shell { command } = &comp.exec else {
            unreachable!("checked above")
        };
        let conf = plan::component_conf(&base_with_dir, &comp.conf, comp.kind);
        let conf_json = Value::Object(conf.clone()).to_string();
        let ci = comps.len();
        let cs = comp_settings[comp.id.as_str()];
        let tick_secs = match comp.kind {
            ComponentKind::Bolt => cs.tick_secs,
            ComponentKind::Spout => None,
        };
        let max_spout_pending = cs.max_spout_pending;
        let mut idxs = Vec::new();
        for &tid in plan.tasks_of(&comp.id) {
            let ctx = plan::context_json(topology, &plan, tid).to_string();
            let mut hs = Vec::new();
            if let Err(e) = wire::handshake(
                opts.json_style,
                &mut hs,
                &conf_json,
                &pid_dir.to_string_lossy(),
                &ctx,
            ) {
                process::terminate_all(&mut procs, Duration::from_secs(2));
                return Err(RunError::Setup(format!(
                    "the conf of component `{}` holds a value Storm's JSON parser rejects: {e}",
                    comp.id
                )));
            }
            let argv = resolve_argv(command, opts);
            let cwd = task_cwd(command, opts);
            let spec = SpawnSpec {
                index: tasks.len(),
                argv: &argv,
                cwd: &cwd,
                prefix: format!("[{}:{tid}]", comp.id),
                handshake: hs,
                json_style: opts.json_style,
                max_frame: settings.max_frame_bytes,
            };
            match process::spawn(spec, &tx, &console) {
                Ok(p) => procs.push(p),
                Err(error) => {
                    process::terminate_all(&mut procs, Duration::from_secs(2));
                    process::kill_listed_pids(&pid_dir);
                    return Err(RunError::Spawn {
                        component: comp.id.clone(),
                        task: tid,
                        command: argv,
                        error,
                    });
                }
            }
            idxs.push(tasks.len());
            tasks.push(TaskRt::new(tid, ci, comp.kind, now));
            commands.push(argv);
        }
        stats.push(ComponentStats {
            id: comp.id.clone(),
            kind: match comp.kind {
                ComponentKind::Spout => "spout".into(),
                ComponentKind::Bolt => "bolt".into(),
            },
            tasks: idxs.len() as u32,
            ..Default::default()
        });
        comps.push(CompRt {
            id: comp.id.clone(),
            kind: comp.kind,
            tick_secs,
            max_spout_pending,
            tasks: idxs,
        });
    }
    drop(tx);

    let timeout_secs = settings.message_timeout_secs;
    let cfg = EngineConfig {
        ackers,
        message_timeout: Duration::from_secs(timeout_secs),
        timeouts_enabled: settings.timeouts_enabled,
        bolt_max_pending: settings.shellbolt_max_pending,
        receive_buffer: settings.receive_buffer,
        subprocess_timeout: settings.subprocess_timeout,
        duration: opts.duration,
        drain_timeout: Duration::from_secs(timeout_secs.min(5)),
        duration_drain: DURATION_DRAIN,
        debug: settings.debug,
        live: opts.live,
        json_style: opts.json_style,
        record_emits: opts.record_emits,
        stop_after_trees: opts.stop_after_trees,
    };
    let mut engine = Engine::new(
        cfg,
        comps,
        tasks,
        procs,
        routes,
        stats,
        console.clone(),
        opts.interrupt.clone(),
        rng,
    );
    let reason = engine.run(rx);
    let drain_end = Instant::now();
    let drained = engine.drained();
    let drain_secs = engine.stopping_since().map_or(0.0, |s| {
        drain_end.saturating_duration_since(s).as_secs_f64()
    });

    // Shut down: a failed task is checked for an exit status before anything is killed.
    let failed_alive = if let StopReason::Failed { task, .. } = &reason {
        let p = &mut engine.procs[*task];
        let end = Instant::now() + Duration::from_millis(200);
        while p.try_reap().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        p.status.is_none()
    } else {
        false
    };
    let grace = match reason {
        StopReason::Duration | StopReason::Completed => DURATION_GRACE,
        _ => Duration::from_secs(3),
    };
    process::terminate_all(&mut engine.procs, grace);
    let leftover = process::kill_listed_pids(&pid_dir);
    let shutdown_secs = drain_end.elapsed().as_secs_f64();
    drop(run_dir_guard);
    console.finish();

    let failure = match &reason {
        StopReason::Failed { task, reason } => {
            let t = &engine.tasks[*task];
            let p = &engine.procs[*task];
            Some(TaskFailure {
                component: engine.comps[t.comp].id.clone(),
                task: t.id,
                command: commands[*task].clone(),
                reason: reason.clone(),
                exit_status: if failed_alive {
                    None
                } else {
                    p.status.map(describe_status)
                },
                stderr_tail: p.stderr.lines(),
                summary: empty_summary(),
            })
        }
        _ => None,
    };
    let stalled = match &reason {
        StopReason::Stalled { message } => Some(message.clone()),
        _ => None,
    };
    let summary = RunSummary {
        topology: topology.name.clone(),
        storm_id,
        duration_secs: started.elapsed().as_secs_f64(),
        stop_reason: match reason {
            StopReason::Duration => "duration",
            StopReason::Completed => "completed",
            StopReason::Interrupted => "interrupted",
            StopReason::Failed { .. } | StopReason::Stalled { .. } => "failed",
        }
        .into(),
        failure: failure
            .as_ref()
            .map(ToString::to_string)
            .or(stalled.clone()),
        leftover_pids_killed: leftover,
        components: engine.stats.iter().map(ComponentStats::summary).collect(),
        stop: StopTiming {
            requested_secs: opts.duration.map(|d| d.as_secs_f64()),
            drain_secs,
            drained,
            shutdown_secs,
        },
        emitted: std::mem::take(&mut engine.emitted)
            .into_iter()
            .map(|e| Emitted {
                component: engine.comps[e.comp].id.clone(),
                task: e.task,
                stream: e.stream,
                values: e.values,
            })
            .collect(),
        tasks: engine
            .tasks
            .iter()
            .map(|t| TaskCounts {
                component: engine.comps[t.comp].id.clone(),
                task: t.id,
                acked: t.acked,
                failed: t.failed,
            })
            .collect(),
    };
    if opts.print_summary {
        println!("{}", console::summary_table(&engine.stats));
    }
    if let Some(path) = &opts.summary_json {
        write_summary(path, &summary)?;
    }
    match (failure, stalled) {
        (Some(mut f), _) => {
            f.summary = summary;
            Err(RunError::TaskFailed(Box::new(f)))
        }
        (None, Some(message)) => Err(RunError::Stalled(Box::new(Stalled { message, summary }))),
        (None, None) => Ok(summary),
    }
}

fn empty_summary() -> RunSummary {
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
    }
}

fn describe_status(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => s.to_string(),
    }
}

/// Writes the summary JSON (pretty-printed).
pub fn write_summary(path: &Path, summary: &RunSummary) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(summary).map_err(|e| RunError::Io(e.to_string()))?;
    std::fs::write(path, text + "\n")
        .map_err(|e| RunError::Io(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_leaves_no_run_folder() {
        let yaml = "name: t\nspouts:\n- id: s\n  className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout\n  constructorArgs:\n  - [/nonexistent/sparse-test-program]\n  - [word]\n  parallelism: 2\nbolts: []\nstreams: []\n";
        let t = sparse_topology::flux::load_str(yaml, Path::new("t.yaml")).unwrap();
        let project = tempfile::tempdir().unwrap();
        let parent = tempfile::tempdir().unwrap();
        let mut opts = RunOptions::new(project.path());
        opts.live = false;
        opts.print_summary = false;
        opts.run_dir_parent = Some(parent.path().to_path_buf());
        let e = run(&t, &opts).unwrap_err();
        assert!(matches!(e, RunError::Spawn { .. }), "{e}");
        let left: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn run_folders_are_private_and_unpredictable() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let a = process::make_run_dir(Some(parent.path())).unwrap();
        let b = process::make_run_dir(Some(parent.path())).unwrap();
        let name = |d: &tempfile::TempDir| d.path().file_name().unwrap().to_owned();
        assert_ne!(name(&a), name(&b));
        let pid = std::process::id().to_string();
        assert!(!name(&a).to_string_lossy().contains(&pid), "{:?}", name(&a));
        let mode = std::fs::metadata(a.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
    }
}
