//! `sparse run` on a topology the JVM-free runner cannot host (a JVM component or a custom
//! grouping): the topology runs in Storm's own LocalCluster instead, and `sparse run` says
//! so before anything starts.
//!
//! The jar is built exactly as `sparse jar` builds it ([`super::make_jar`], written to
//! `<target>/sparse/run/`), Storm's jars are found by
//! [`sparse_deploy::local::run_classpath`], and [`sparse_deploy::local::LocalCluster`] runs
//! sparse's launcher in a `java` child. Its counts (from a Storm task hook, every second) feed
//! the usual live table, final summary table and `--summary-json`. What Storm does not
//! report is said so: the p99 complete latency is `n/a` in the table and `null` in the JSON,
//! as is `stop.drained`; the JSON's `"engine"` is `"storm-local-cluster"`.
//!
//! `-t` counts from the topology's submission (the JVM's start-up, about ten seconds, comes
//! first). At `-t` or Ctrl-C the launcher kills the topology and shuts LocalCluster down;
//! a JVM that does not end in [`STOP_GRACE`] is killed with its process group, which
//! holds every multi-lang subprocess Storm started. A JVM that ends on its own, a Flux or
//! LocalCluster error, or a task Storm reports dead ("Halting process", which does not end
//! LocalCluster's JVM) fails the run (exit status [`super::run::EXIT_RUN_FAILED`]) with the
//! last lines Storm wrote and the path of its log. Storm's warnings and errors are printed
//! above the live table until the stop; the shutdown's own noise (Storm ends every task and
//! reports it dead) stays in the log.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sparse_deploy::local::{self, Event, Launch, LocalCluster};
use sparse_runner::console::{self, Console};
use sparse_runner::stats::ComponentStats;
use sparse_runner::{RunSummary, StopTiming};

use crate::cli::{CliError, CliResult, EXIT_IO, EXIT_RUN_FAILED, EXIT_USAGE};

/// How long the JVM gets to kill the topology and shut LocalCluster down.
pub const STOP_GRACE: Duration = Duration::from_secs(60);
/// The longest wait for the topology's submission.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(180);

/// What the JVM-free runner cannot host, one phrase each.
pub fn blockers(topology: &sparse_topology::model::Topology) -> Vec<String> {
    sparse_topology::validate::local_blockers(topology)
        .iter()
        .map(|d| d.to_string())
        .collect()
}

/// Runs the topology in LocalCluster (see the module doc).
pub fn exec(
    args: &super::run::Args,
    resolved: &sparse_project::Resolved,
    why: &[String],
    interrupt: &std::sync::atomic::AtomicBool,
) -> CliResult {
    let topology = &resolved.opened.topology;
    let root = resolved.opened.project.root.clone();
    log::info!(
        "`sparse run` runs this topology in Storm's LocalCluster (a JVM), not in sparse's \
         JVM-free runner, because the runner cannot host:\n  {}\nStorm's executors, acker and \
         multi-lang bridge run it, with Storm's semantics; the counts come from Storm.",
        why.join("\n  ")
    );
    let mut ignored = Vec::new();
    if args.parallelism.par.is_some() || args.parallelism.workers.is_some() {
        ignored.push("-p/-w (use -o topology.workers=N)");
    }
    if args.parallelism.ackers.is_some() {
        ignored.push("-a (use -o topology.acker.executors=N)");
    }
    if args.seed.is_some() {
        ignored.push("--seed");
    }
    if args.json_style != super::run::JsonStyleArg::Storm {
        ignored.push("--json-style");
    }
    if !ignored.is_empty() {
        log::warn!("not used on LocalCluster: {}", ignored.join(", "));
    }
    let classpath = local::run_classpath(&root)
        .map_err(|e| CliError::new(EXIT_USAGE, format!("error: {e}")))?;
    let built = super::build_and_choose(
        &root,
        topology,
        &args.build,
        crate::cli::EXIT_BUILD_FAILED,
        true,
    )?;
    let run_dir = sparse_project::release::target_dir(&root)
        .join("sparse/run")
        .join(sparse_deploy::jar::file_stem(&topology.name));
    let output = run_dir.join(format!(
        "{}.jar",
        sparse_deploy::jar::file_stem(&topology.name)
    ));
    let flux_core = sparse_deploy::jar::find_flux_core(&root);
    // `--json-wire` keeps Storm's JSON serializer in the jar, as `sparse jar --json-wire`.
    let jar = super::make_jar(resolved, built, output, flux_core, args.json_wire)?;
    log::info!(
        "starting Storm's LocalCluster: {} with Storm's jars {classpath}; Storm's log: {}",
        jar.jar.display(),
        run_dir.join("storm.log").display()
    );
    let launch = Launch {
        jar: jar.jar.clone(),
        yaml: jar.yaml.clone(),
        classpath,
        run_dir,
    };
    let mut cluster = LocalCluster::start(&launch).map_err(|e| {
        let code = match e {
            local::LocalError::Io { .. } | local::LocalError::Spawn { .. } => EXIT_IO,
            _ => EXIT_USAGE,
        };
        CliError::new(code, format!("error: {e}"))
    })?;
    let outcome = drive(&mut cluster, args, interrupt);
    cluster.finish(STOP_GRACE);
    let Outcome {
        stats,
        storm_id,
        reason,
        failure,
        started,
        stop_asked,
        stopped_at,
        tail,
    } = outcome;
    let shutdown_secs = stopped_at.elapsed().as_secs_f64();
    println!("{}", console::summary_table(&stats));
    if let Some(path) = &args.summary_json {
        let summary = RunSummary {
            topology: topology.name.clone(),
            storm_id,
            duration_secs: started.elapsed().as_secs_f64(),
            stop_reason: reason.into(),
            failure: failure.clone(),
            leftover_pids_killed: Vec::new(),
            components: stats.iter().map(ComponentStats::summary).collect(),
            stop: StopTiming {
                requested_secs: args.time.filter(|t| *t > 0.0),
                drain_secs: stop_asked.map_or(0.0, |s| {
                    stopped_at.saturating_duration_since(s).as_secs_f64()
                }),
                drained: false,
                shutdown_secs,
            },
            emitted: Vec::new(),
            tasks: Vec::new(),
            timed_out: Vec::new(),
            clock_secs: started.elapsed().as_secs_f64(),
        };
        let mut v = serde_json::to_value(&summary)
            .map_err(|e| CliError::new(EXIT_IO, format!("error: {e}")))?;
        v["engine"] = json!("storm-local-cluster");
        v["stop"]["drained"] = Value::Null;
        v["storm_log"] = json!(cluster.log.display().to_string());
        let text = serde_json::to_string_pretty(&v).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|e| {
            CliError::new(
                EXIT_IO,
                format!("error: cannot write {}: {e}", path.display()),
            )
        })?;
    }
    match failure {
        None => {
            log::info!(
                "stopped ({reason}) after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(f) => {
            let mut msg = format!("error: {f}");
            if !tail.is_empty() {
                msg.push_str("\nStorm's last lines:\n  ");
                msg.push_str(&tail.join("\n  "));
            }
            msg.push_str(&format!("\nStorm's log: {}", cluster.log.display()));
            Err(CliError::new(EXIT_RUN_FAILED, msg))
        }
    }
}

struct Outcome {
    stats: Vec<ComponentStats>,
    storm_id: String,
    reason: &'static str,
    failure: Option<String>,
    started: Instant,
    stop_asked: Option<Instant>,
    stopped_at: Instant,
    tail: Vec<String>,
}

fn to_stats(figures: &[local::Figures]) -> Vec<ComponentStats> {
    figures
        .iter()
        .map(|f| ComponentStats {
            id: f.id.clone(),
            kind: f.kind.clone(),
            tasks: f.tasks,
            emitted: f.emitted,
            acked: f.acked,
            failed: f.failed,
            received: f.executed,
            ticks: f.ticks,
            reported_latency_mean_ms: f.complete_latency_mean_ms,
            ..Default::default()
        })
        .collect()
}

/// Reads the launcher's events until LocalCluster has stopped (or the JVM is gone),
/// drawing the live table, and asks it to stop at `-t` or Ctrl-C.
fn drive(
    cluster: &mut LocalCluster,
    args: &super::run::Args,
    interrupt: &std::sync::atomic::AtomicBool,
) -> Outcome {
    let console = Console::stderr(true);
    let duration = args.time.filter(|t| *t > 0.0).map(Duration::from_secs_f64);
    let started = Instant::now();
    let mut o = Outcome {
        stats: Vec::new(),
        storm_id: String::new(),
        reason: "duration",
        failure: None,
        started,
        stop_asked: None,
        stopped_at: started,
        tail: Vec::new(),
    };
    let mut submitted: Option<Instant> = None;
    let mut prev: Vec<(u64, u64, u64)> = Vec::new();
    let mut last_draw = Instant::now();
    let mut next_status = Instant::now();
    let mut stopped = false;
    loop {
        let now = Instant::now();
        if o.stop_asked.is_none() {
            let due = match (submitted, duration) {
                (Some(s), Some(d)) => now >= s + d,
                _ => false,
            };
            let waited_too_long = submitted.is_none() && now - started > SUBMIT_TIMEOUT;
            if interrupt.load(Ordering::Relaxed) || due || waited_too_long {
                if interrupt.load(Ordering::Relaxed) {
                    o.reason = "interrupted";
                } else if waited_too_long {
                    o.reason = "failed";
                    o.failure = Some(format!(
                        "LocalCluster did not submit the topology within {} s",
                        SUBMIT_TIMEOUT.as_secs()
                    ));
                }
                log::info!("stopping: killing the topology and shutting LocalCluster down");
                cluster.request_stop();
                o.stop_asked = Some(now);
            }
        }
        if let Some(s) = o.stop_asked
            && now - s > STOP_GRACE
        {
            break;
        }
        match cluster.events().recv_timeout(Duration::from_millis(200)) {
            Ok(Event::Submitted { id }) => {
                log::info!(
                    "submitted to LocalCluster as {id}{}",
                    duration.map_or_else(
                        || "; Ctrl-C stops it".to_string(),
                        |d| format!("; running for {:.0} s", d.as_secs_f64())
                    )
                );
                o.storm_id = id;
                submitted = Some(Instant::now());
            }
            Ok(Event::Stats(f)) => {
                o.stats = to_stats(&f);
                if prev.len() != o.stats.len() {
                    prev = vec![(0, 0, 0); o.stats.len()];
                }
                if o.stop_asked.is_none() {
                    let elapsed = submitted.map_or(0.0, |s| s.elapsed().as_secs_f64());
                    if console.is_tty() {
                        let secs = last_draw.elapsed().as_secs_f64();
                        console.table(console::live_table_for_terminal(
                            &o.stats, &prev, secs, elapsed,
                        ));
                    } else if Instant::now() >= next_status {
                        next_status = Instant::now() + Duration::from_secs(5);
                        console.line(&console::status_line(&o.stats, elapsed));
                    }
                    last_draw = Instant::now();
                    prev = o
                        .stats
                        .iter()
                        .map(|s| (s.emitted, s.acked, s.failed))
                        .collect();
                }
            }
            Ok(Event::Stopping) => {}
            Ok(Event::Stopped) => stopped = true,
            Ok(Event::Error(m)) => {
                o.reason = "failed";
                o.failure.get_or_insert(m);
            }
            Ok(Event::Stderr(line)) => {
                // A multi-lang task that dies does not end LocalCluster's JVM: like the local
                // runner, stop the whole run on it. Once stopping, Storm ends the tasks and
                // reports each as dead: that noise stays in Storm's log.
                if o.stop_asked.is_none() {
                    if line.contains("Halting process") {
                        o.reason = "failed";
                        o.failure = Some(format!("a task died in LocalCluster: {line}"));
                        cluster.request_stop();
                        o.stop_asked = Some(Instant::now());
                    }
                    console.task_line("[storm]", &format!("[storm] {line}"));
                }
                o.tail.push(line);
                if o.tail.len() > 20 {
                    o.tail.remove(0);
                }
            }
            Ok(Event::Closed) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                if !stopped && o.failure.is_none() {
                    o.reason = "failed";
                    let status = cluster.finish(Duration::from_secs(5));
                    o.failure = Some(format!(
                        "the LocalCluster JVM ended before the run was over ({})",
                        status.map_or_else(|| "killed".to_string(), |s| s.to_string())
                    ));
                }
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if !stopped && o.failure.is_none() && cluster.try_wait().is_some() {
                    // stdout still open (a subprocess holds it) but the JVM is gone.
                    o.reason = "failed";
                    o.failure = Some(format!(
                        "the LocalCluster JVM ended before the run was over ({})",
                        cluster
                            .try_wait()
                            .map_or_else(String::new, |s| s.to_string())
                    ));
                    break;
                }
            }
        }
    }
    console.finish();
    o.stopped_at = Instant::now();
    o
}
