//! Shared Storm helpers for the integration tests: one Storm JVM at a time
//! ([`storm_lock`]), finding Storm's jars (or failing under `CI=true`), building topology
//! jars with `sparse jar`, running them in LocalCluster through `storm/run-local.sh`, and
//! reading the tasks' log files (`streamparse_<topo>_<comp>_<task>_<pid>.log`).
//!
//! Used by every `storm_*` module and by `quickstart_storm`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use crate::repo_root;
use crate::run_wordcount::{ensure_release_binaries, target_dir};

/// One Storm JVM at a time (2 cores); other Storm test modules should take it too.
pub(crate) fn storm_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when `java` and `mvn` run. Missing: a failure under `CI=true`, else a loud skip.
pub(crate) fn storm_available(test: &str) -> bool {
    let runs = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing: Vec<&str> = [("java", "-version"), ("mvn", "-v")]
        .into_iter()
        .filter(|(c, a)| !runs(c, a))
        .map(|(c, _)| c)
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test}: {} not found; the Storm interop tests need Java 17 and Maven (see storm/README.md, storm/fetch.sh)",
        missing.join(" and ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("\n!!!!!!!!!! SKIPPED: {msg} !!!!!!!!!!\n");
    false
}

/// `storm/fetch.sh` once: the folder of Storm's jars.
pub(crate) fn storm_deps() -> PathBuf {
    static DEPS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DEPS.get_or_init(|| {
        let out = Command::new(repo_root().join("storm/fetch.sh"))
            .output()
            .map_err(|e| format!("cannot run storm/fetch.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "storm/fetch.sh failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let s = String::from_utf8_lossy(&out.stdout);
        Ok(PathBuf::from(s.lines().last().unwrap_or_default().trim()))
    })
    .clone()
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Release `sparse-host`, `libwordcount.so` and `libinterop.so`.
pub(crate) fn ensure_binaries() {
    ensure_release_binaries();
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(&cargo)
            .args(["build", "--release", "-p", "interop"])
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(e) = r {
        panic!("cargo build --release -p interop failed:\n{e}");
    }
}

/// `sparse jar --no-build -O out ARGS...` (release binaries from the test's target dir).
pub(crate) fn sparse_jar(args: &[&str], out: &Path) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .arg("jar")
        .args(args)
        .args(["--no-build", "-O"])
        .arg(out)
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sparse jar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        out.to_string_lossy()
    );
    out.to_path_buf()
}

/// What one `storm/run-local.sh` run left behind.
pub(crate) struct StormRun {
    pub status: i32,
    pub storm_log: String,
    pub stdout: String,
    pub secs: f64,
}

impl StormRun {
    /// Storm's log up to `STOPPING LOCAL MODE CLUSTER` (later lines are shutdown noise).
    pub(crate) fn before_stop(&self) -> &str {
        self.storm_log
            .split("STOPPING LOCAL MODE CLUSTER")
            .next()
            .unwrap_or_default()
    }
}

pub(crate) fn run_local(jar: &Path, ttl: u32, run_dir: &Path, extra: &[&str]) -> StormRun {
    let t = Instant::now();
    let yaml = jar.with_extension("yaml");
    let out = Command::new(repo_root().join("storm/run-local.sh"))
        .args(["--ttl", &ttl.to_string(), "--run-dir"])
        .arg(run_dir)
        .args(extra)
        .arg(&yaml)
        .arg(jar)
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!(
        "run-local {} (ttl {ttl}): {:.1} s, {}",
        jar.display(),
        secs,
        stdout.lines().last().unwrap_or_default()
    );
    StormRun {
        status: out.status.code().unwrap_or(-1),
        storm_log: std::fs::read_to_string(run_dir.join("storm.log")).unwrap_or_default(),
        stdout: format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)),
        secs,
    }
}

/// A task log file: component, task id and the messages (text after `<comp>:<task> `).
pub(crate) struct TaskLog {
    pub file: String,
    pub component: String,
    pub task: i64,
    pub lines: Vec<String>,
}

impl TaskLog {
    /// Messages of the `interop` target (the text after `interop: `).
    pub(crate) fn interop(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| l.split_once(" interop: ").map(|(_, m)| m))
            .collect()
    }
}

/// Reads every `streamparse_<topo>_<comp>_<task>_<pid>.log` in `dir`.
pub(crate) fn task_logs(dir: &Path, topo: &str) -> Vec<TaskLog> {
    let mut logs = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let rest = name
            .strip_prefix(&format!("streamparse_{topo}_"))
            .and_then(|r| r.strip_suffix(".log"))
            .unwrap_or_else(|| panic!("unexpected file {name}"));
        let mut parts: Vec<&str> = rest.rsplitn(3, '_').collect();
        parts.reverse();
        let [component, task, pid] = parts[..] else {
            panic!("bad log file name {name}")
        };
        assert!(pid.parse::<u32>().is_ok(), "{name}");
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        logs.push(TaskLog {
            file: name.clone(),
            component: component.to_string(),
            task: task.parse().unwrap(),
            lines: text.lines().map(str::to_string).collect(),
        });
    }
    logs.sort_by_key(|l| l.task);
    logs
}

/// Every task ran on the fast wire: `sparse jar` packed sparse's serializer (Storm's jars
/// are found in `storm/target/deps-*`) and each sparse-host accepted its offer.
pub(crate) fn assert_fast_wire(logs: &[TaskLog]) {
    for l in logs {
        let started = l
            .lines
            .iter()
            .find(|x| x.contains(" running ") && x.contains("sparse-host"))
            .unwrap_or_else(|| panic!("{}: no start line", l.file));
        assert!(started.ends_with(", fast wire"), "{}: {started}", l.file);
    }
}

pub(crate) fn of<'a>(logs: &'a [TaskLog], component: &str) -> Vec<&'a TaskLog> {
    logs.iter().filter(|l| l.component == component).collect()
}

/// Words counted by the given counter tasks: each logs `counted N words` every 1000 words,
/// so the largest N of each task, summed.
pub(crate) fn counted_words(counters: &[&TaskLog]) -> u64 {
    counters
        .iter()
        .map(|l| {
            l.lines
                .iter()
                .filter_map(|x| {
                    x.split("counted ")
                        .nth(1)?
                        .split(' ')
                        .next()?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0)
        })
        .sum()
}

/// The flux-core jar among Storm's jars (`storm_deps()/lib`).
pub(crate) fn flux_core_jar(deps: &Path) -> PathBuf {
    std::fs::read_dir(deps.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("flux-core-")
        })
        .unwrap_or_else(|| panic!("no flux-core jar in {}", deps.join("lib").display()))
}
