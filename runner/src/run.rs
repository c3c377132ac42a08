//! [`run`]: one local run from start to end. It checks the settings, lays the topology out
//! as Storm would, spawns every task with its handshake, hands them to the
//! [`Engine`](crate::engine::Engine), then shuts the tasks down and builds the summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sparse_topology::model::{ComponentKind, Exec, Topology};

use crate::conf::{check_merged, merged_conf};
use crate::engine::{CompRt, Engine, EngineConfig, StopReason, TaskRt};
use crate::process::{self, SpawnSpec, TaskProcess};
use crate::stats::ComponentStats;
use crate::summary::empty_summary;
use crate::{
    Emitted, RunError, RunOptions, RunSummary, Stalled, StopTiming, TaskCounts, TaskFailure,
    TimedOut, console, plan, rng, route, settings, wire, write_summary,
};

/// The conf key that keeps a component on JSON (`"json"`), read as sparse's serializer
/// reads it under Storm.
pub const WIRE_CONF: &str = "sparse.wire";

/// The longest drain after the `-t` duration is reached.
pub const DURATION_DRAIN: Duration = Duration::from_millis(600);
/// The time tasks get after SIGTERM when the `-t` duration is reached.
pub const DURATION_GRACE: Duration = Duration::from_millis(300);
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
                "component `{}` is the JVM class `{}`; the local runner only runs multi-lang (shell) components: \
                 `sparse run` runs such a topology in Storm's LocalCluster instead (see README, \"Reading from Kafka\")",
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
        // As sparse's serializer decides per executor from the same merged conf.
        let offer_fast =
            !opts.json_wire && conf.get(WIRE_CONF).and_then(Value::as_str) != Some("json");
        let ci = comps.len();
        let cs = comp_settings[comp.id.as_str()];
        let tick_secs = match comp.kind {
            ComponentKind::Bolt => cs.tick_secs,
            ComponentKind::Spout => None,
        };
        let max_spout_pending = cs.max_spout_pending;
        let spout_pipeline = cs.spout_pipeline;
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
                offer_fast,
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
                offer_fast,
                max_frame: settings.max_frame_bytes,
                capture_stderr: opts.capture_stderr,
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
            spout_pipeline,
            emit_limit: match comp.kind {
                ComponentKind::Spout => opts.spout_emit_limits.get(&comp.id).copied(),
                ComponentKind::Bolt => None,
            },
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
        clock: opts.clock,
        wall_limit: opts.wall_limit,
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
        timed_out: engine
            .timed_out
            .iter()
            .map(|&(t, after)| TimedOut {
                component: engine.comps[engine.tasks[t].comp].id.clone(),
                task: engine.tasks[t].id,
                after,
            })
            .collect(),
        clock_secs: engine.clock_elapsed().as_secs_f64(),
        tasks: engine
            .tasks
            .iter()
            .zip(&engine.procs)
            .map(|(t, p)| TaskCounts {
                component: engine.comps[t.comp].id.clone(),
                task: t.id,
                acked: t.acked,
                failed: t.failed,
                stderr: p.stderr.captured(),
                fast_wire: p.wire(opts.json_style) == wire::Wire::Fast,
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
fn describe_status(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => s.to_string(),
    }
}
#[cfg(test)]
mod tests {
    use std::path::Path;

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
