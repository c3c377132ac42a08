//! `sparse run` end to end through the real `sparse` binary on the repository's wordcount
//! topology (Rust components in `sparse-host`): the JSON summary's counters, the exit
//! status, the task log files, no process left behind, a component missing from its
//! plugin, and `-d`; and on projects of Python fixture components: a flood of log lines,
//! a huge stderr line and stdout message (bounded memory), and settings Storm refuses.
//!
//! The runs use `--no-build`; the release `sparse-host` and `libwordcount.so` they need
//! are built once per test binary by [`ensure_release_binaries`] (a no-op when current).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::repo_root;

/// The quickstart's four sentences, in the order `wordcount::SentenceSpout` emits them
/// (a copy of `plugins/wordcount/src/lib.rs`'s `SENTENCES`).
const SENTENCES: [&str; 4] = [
    "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
    "I was very glad to get a present from her",
    "He will be here in half an hour",
    "She saw him eating a sandwich",
];

/// Words per sentence after the splitter's rule (strip `.,!?`, split on spaces).
fn words_per_sentence() -> [u64; 4] {
    SENTENCES.map(|s| {
        s.replace(['.', ',', '!', '?'], "")
            .split(' ')
            .filter(|w| !w.trim().is_empty())
            .count() as u64
    })
}

/// Words in the sentences with message ids `0..n`: the spout emits sentence `id % 4`.
pub(crate) fn words_in_first(n: u64) -> u64 {
    let w = words_per_sentence();
    let per_cycle: u64 = w.iter().sum();
    per_cycle * (n / 4) + w[..(n % 4) as usize].iter().sum::<u64>()
}

/// The target directory the test binary was built in (`<target>/debug`'s parent); release
/// binaries are built there, and `sparse run --no-build` is pointed at it through
/// `CARGO_TARGET_DIR` (it looks for `<CARGO_TARGET_DIR or <root>/target>/release/sparse-host`).
pub(crate) fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_sparse"))
        .parent()
        .and_then(Path::parent)
        .expect("the sparse binary lives in <target>/<profile>/")
        .to_path_buf()
}

/// Builds `sparse-host` and the wordcount plugin in release mode once per test binary.
pub(crate) fn ensure_release_binaries() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let t = Instant::now();
        let out = Command::new(&cargo)
            .args(["build", "--release", "-p", "sparse-host", "-p", "wordcount"])
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .map_err(|e| format!("cannot run {cargo:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo build --release -p sparse-host -p wordcount failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        eprintln!(
            "release sparse-host + wordcount ready in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        Ok(())
    });
    if let Err(e) = r {
        panic!("{e}");
    }
    let release = target_dir().join("release");
    for f in ["sparse-host", "libwordcount.so"] {
        assert!(
            release.join(f).exists(),
            "{} is missing",
            release.join(f).display()
        );
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "sparse-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a directory tree (regular files and folders).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// What one `sparse run` did.
pub(crate) struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The `--summary-json` file, when written.
    pub summary: Option<Value>,
    pub wall: Duration,
    /// The peak resident memory of `sparse` itself, in KiB: the largest `VmHWM` read from
    /// `/proc/PID/status` while it ran (sampled every 20 ms). Not wait4(2)'s `ru_maxrss`:
    /// Linux starts a child's `ru_maxrss` at the RSS high-water mark of the process that
    /// spawned it, so it reported this test binary's own peak (140 MB with tests running
    /// in parallel) instead of `sparse`'s.
    pub max_rss_kib: u64,
}

impl Outcome {
    /// The summary's entry for a component.
    pub fn component(&self, id: &str) -> &Value {
        let s = self.summary.as_ref().expect("no summary JSON written");
        s["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no component {id} in {s:#}"))
    }

    /// A counter of a component.
    pub fn count(&self, id: &str, key: &str) -> u64 {
        self.component(id)[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{id}.{key} is not a count"))
    }

    /// Everything, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "status {}\n--- summary\n{:#}\n--- stdout\n{}\n--- stderr (last 40 lines)\n{}",
            self.status,
            self.summary.clone().unwrap_or(Value::Null),
            self.stdout,
            tail(&self.stderr, 40)
        )
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs `sparse run --no-build --summary-json <temp file> ARGS` in `cwd`, with the
/// release binaries of [`target_dir`] and extra environment; kills it after 60 s.
pub(crate) fn sparse_run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let dir = TempDir::new("run-summary");
    let summary = dir.0.join("summary.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparse"));
    cmd.arg("run")
        .arg("--no-build")
        .arg("--summary-json")
        .arg(&summary)
        .args(args)
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("SPARSE_PLUGIN_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("cannot start sparse");
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            String::from_utf8_lossy(&b).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let deadline = started + Duration::from_secs(60);
    let pid = child.id();
    let status_file = format!("/proc/{pid}/status");
    let mut max_rss_kib = 0;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        }) {
            max_rss_kib = max_rss_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("cannot wait for sparse") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sparse run {args:?} still running after 60 s; stderr:\n{}",
                tail(&err.join().unwrap(), 40)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    let summary = std::fs::read_to_string(&summary)
        .ok()
        .map(|s| serde_json::from_str(&s).expect("summary JSON parses"));
    Outcome {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        summary,
        wall,
        max_rss_kib,
    }
}

/// Component `id`'s entry in a `--summary-json` document (panics naming it when absent).
pub(crate) fn summary_component(s: &Value, id: &str) -> Value {
    s["components"]
        .as_array()
        .unwrap_or_else(|| panic!("no components in {s}"))
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {s}"))
        .clone()
}

/// Log files in `dir` as (file name, contents).
pub(crate) fn log_files(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("no log dir {}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The pid at the end of a task log file name `streamparse_<topo>_<comp>_<task>_<pid>.log`.
pub(crate) fn pid_of_log(name: &str) -> i32 {
    name.trim_end_matches(".log")
        .rsplit('_')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in log file name {name}"))
}

/// Panics if a process with this pid is alive and its command line mentions `what`
/// (a zombie has an empty command line; a reused pid runs something else).
pub(crate) fn assert_gone(pid: i32, what: &str) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(
        !cmdline.contains(what),
        "process {pid} ({cmdline}) is still running after sparse run exited"
    );
}

/// Live processes (pid and command line) whose working directory is in `dir`; every task
/// of a run has the project, or its `src/`, as working directory.
pub(crate) fn processes_in(dir: &Path) -> Vec<(i32, String)> {
    let dir = dir.canonicalize().unwrap();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cwd) = std::fs::read_link(e.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(&dir) {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if !zombie {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Panics if [`processes_in`] finds any process in `dir`.
pub(crate) fn assert_no_process_in(dir: &Path) {
    let left = processes_in(dir);
    assert!(
        left.is_empty(),
        "processes still run in {} after sparse run exited: {left:?}",
        dir.display()
    );
}

/// The equalities that hold for a sentence spout → splitter → word counter topology
/// stopped gracefully (`-t`): the spout is deactivated and the run ends once every tree is
/// complete and every bolt has acked all it received, so nothing is in flight at the end
/// and every count is exact:
///
/// * spout: every emit acked (`emitted == acked`), none failed, so the sentences sent are
///   exactly message ids `0..acked` (no replay);
/// * splitter: received every sentence once (shuffle) and acked each; its emits are the
///   words of those sentences, [`words_in_first`]`(acked)`;
/// * counter: received every word once (fields grouping), acked each, and emitted one
///   `[word, count]` per word.
///
/// The drain after `-t` is bounded (`DURATION_DRAIN`, 600 ms). On a starved machine it can
/// end with trees still in flight; the summary then says `stop.drained: false`, and what
/// still holds is checked instead: nothing failed, no spout acked more than it emitted, no
/// bolt acked more than it received, and the splitter received every acked sentence.
pub(crate) fn assert_wordcount_counts(o: &Outcome, spout: &str, splitter: &str, counter: &str) {
    let d = o.dump();
    let s = o
        .summary
        .as_ref()
        .unwrap_or_else(|| panic!("no summary\n{d}"));
    assert_eq!(s["stop_reason"], "duration", "{d}");
    assert_eq!(s["failure"], Value::Null, "{d}");
    assert_eq!(s["leftover_pids_killed"], serde_json::json!([]), "{d}");
    for c in s["components"].as_array().unwrap() {
        assert_eq!(c["failed"], 0, "failures in {}\n{d}", c["id"]);
    }

    let sentences = o.count(spout, "acked");
    assert!(sentences > 0, "no sentence acked\n{d}");
    assert!(
        o.component(spout)["complete_latency_mean_ms"].is_number(),
        "{d}"
    );
    if s["stop"]["drained"] != Value::Bool(true) {
        eprintln!(
            "note: the run ended with trees in flight (stop: {}); checking bounds, not equalities",
            s["stop"]
        );
        let emitted = o.count(spout, "emitted");
        assert!(
            emitted >= sentences,
            "{emitted} emitted, {sentences} acked\n{d}"
        );
        for c in [splitter, counter] {
            assert!(o.count(c, "acked") <= o.count(c, "received"), "{c}\n{d}");
        }
        assert!(o.count(splitter, "received") >= sentences, "{d}");
        return;
    }
    assert_eq!(o.count(spout, "emitted"), sentences, "{d}");

    assert_eq!(o.count(splitter, "received"), sentences, "{d}");
    assert_eq!(o.count(splitter, "acked"), sentences, "{d}");
    let words = o.count(splitter, "emitted");
    assert_eq!(words, words_in_first(sentences), "{d}");

    assert_eq!(o.count(counter, "received"), words, "{d}");
    assert_eq!(o.count(counter, "acked"), words, "{d}");
    assert_eq!(o.count(counter, "emitted"), words, "{d}");
}

/// A copy of the repository's project (config.json and the wordcount topology) in a
/// temporary folder, so the default log folder `<project>/logs` is the copy's.
pub(crate) fn wordcount_project(name: &str) -> TempDir {
    let d = TempDir::new(name);
    std::fs::copy(repo_root().join("config.json"), d.0.join("config.json")).unwrap();
    std::fs::create_dir_all(d.0.join("topologies")).unwrap();
    std::fs::copy(
        repo_root().join("topologies/wordcount.clj"),
        d.0.join("topologies/wordcount.clj"),
    )
    .unwrap();
    d
}

#[test]
fn words_per_sentence_are_known() {
    assert_eq!(words_per_sentence(), [20, 10, 8, 6]);
    assert_eq!(words_in_first(0), 0);
    assert_eq!(words_in_first(3), 38);
    assert_eq!(words_in_first(8821), 97040);
}

#[test]
fn wordcount_runs_and_counts_add_up() {
    ensure_release_binaries();
    let project = wordcount_project("run-wc");
    let o = sparse_run(&project.0, &["-n", "wordcount", "-t", "4"], &[]);
    let d = o.dump();
    assert!(o.status.success(), "{d}");
    assert_eq!(o.status.code(), Some(0), "{d}");
    assert_wordcount_counts(&o, "sentence-spout", "sentence-splitter", "word-counter");
    // Stopped on time: 4 s plus a drain far below its 5 s bound.
    let secs = o.summary.as_ref().unwrap()["duration_secs"]
        .as_f64()
        .unwrap();
    assert!((4.0..7.0).contains(&secs), "ran {secs} s\n{d}");
    assert!(o.wall < Duration::from_secs(15), "{d}");
    // The final table is printed.
    assert!(o.stdout.contains("sentence-splitter"), "{d}");
    assert!(o.stderr.contains("stopped (duration)"), "{d}");

    // One log file per task in <project>/logs (the default path), named like the seed's,
    // at info level (no debug records without -d).
    let logs = log_files(&project.0.join("logs"));
    let names: Vec<String> = logs
        .iter()
        .map(|(n, _)| n.rsplit_once('_').unwrap().0.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "streamparse_wordcount_sentence-splitter_2",
            "streamparse_wordcount_sentence-splitter_3",
            "streamparse_wordcount_sentence-spout_4",
            "streamparse_wordcount_word-counter_5",
            "streamparse_wordcount_word-counter_6",
        ],
        "{d}"
    );
    for (name, text) in &logs {
        assert!(text.contains("sparse-host"), "{name}: {text}");
        assert!(!text.contains("DEBUG"), "{name} has debug records");
    }
    // No sparse-host left running.
    for (name, _) in &logs {
        assert_gone(pid_of_log(name), "sparse-host");
    }
    assert_no_process_in(&project.0);
}

#[test]
fn a_component_missing_from_its_plugin_fails_the_run() {
    ensure_release_binaries();
    let project = TempDir::new("run-nope");
    std::fs::copy(
        repo_root().join("config.json"),
        project.0.join("config.json"),
    )
    .unwrap();
    std::fs::create_dir_all(project.0.join("topologies")).unwrap();
    std::fs::write(
        project.0.join("topologies/nope.clj"),
        r#"(ns nope (:use [streamparse.specs]) (:gen-class))
(defn nope [options]
  [{"sentence-spout" (rust-spout-spec options "wordcount::SentenceSpout" ["sentence"])}
   {"nope-bolt" (rust-bolt-spec options {"sentence-spout" :shuffle} "wordcount::Nope" ["word"])}])
"#,
    )
    .unwrap();
    let o = sparse_run(&project.0, &["-t", "4"], &[]);
    let d = o.dump();
    assert_eq!(o.status.code(), Some(7), "{d}");
    // The runner's message names component, task, command and exit status, and quotes
    // sparse-host's own error from its stderr.
    for needle in [
        "error: component `nope-bolt` task 2 died",
        "\"--component\", \"wordcount::Nope\"]",
        "exit status: exited with code 4",
        "component not found",
        "has no component \"Nope\"",
    ] {
        assert!(o.stderr.contains(needle), "stderr lacks {needle:?}\n{d}");
    }
    let s = o.summary.as_ref().expect("summary written on failure");
    assert_eq!(s["stop_reason"], "failed", "{d}");
    assert!(
        s["failure"]
            .as_str()
            .unwrap()
            .contains("component not found"),
        "{d}"
    );
    // Stopped at once, not after -t.
    assert!(o.wall < Duration::from_secs(3), "{d}");
    // The spout task (which may have been stopped before it opened its log file) is gone.
    assert_no_process_in(&project.0);
}

#[test]
fn debug_flag_sets_topology_debug_and_debug_logging() {
    ensure_release_binaries();
    // Run in the repository itself, with `-o streamparse.log.path=...` overriding the log
    // folder so nothing is written to the repository's logs/.
    let logs = TempDir::new("run-wc-debug-logs");
    let log_opt = format!("streamparse.log.path={}", logs.0.display());
    let o = sparse_run(
        &repo_root(),
        &["-n", "wordcount", "-t", "1", "-d", "-o", &log_opt],
        &[],
    );
    let d = o.dump();
    assert!(o.status.success(), "{d}");
    assert_wordcount_counts(&o, "sentence-spout", "sentence-splitter", "word-counter");
    // topology.debug: the runner prints every emit.
    assert!(
        o.stderr
            .contains("[sentence-spout:4] emit stream=default values=[\"She advised him"),
        "{d}"
    );
    // Debug log level in the tasks' files, in the overridden folder: one file per task,
    // plus the backups of those that rotated (a second of debug records can pass the
    // 1 MB `max_bytes` of config.json).
    let files = log_files(&logs.0);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let current: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert_eq!(current.len(), 5, "{names:?}");
    for n in &names {
        assert!(
            current
                .iter()
                .any(|c| n == c || n.strip_prefix(c).is_some_and(|r| r.starts_with('.'))),
            "{n} is neither a task log nor one's backup: {names:?}"
        );
    }
    let counted: usize = files
        .iter()
        .filter(|(n, _)| n.contains("_word-counter_"))
        .map(|(_, t)| {
            t.lines()
                .filter(|l| l.contains("DEBUG") && l.contains("counted "))
                .count()
        })
        .sum();
    assert!(counted > 0, "no debug `counted` record in {files:?}");
}

#[test]
fn the_orphan_check_sees_a_process_in_the_project() {
    let dir = TempDir::new("orphan-check");
    let mut child = Command::new("sleep")
        .arg("30")
        .current_dir(&dir.0)
        .spawn()
        .unwrap();
    let seen = processes_in(&dir.0);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter()
            .any(|(pid, cmd)| *pid == child.id() as i32 && cmd.starts_with("sleep")),
        "{seen:?}"
    );
    assert_no_process_in(&dir.0);
}

/// A project of Python shell components (`tests/fixtures/multilang_comp.py`): a
/// `<script>` running the fixture for each `(script, mode and arguments)` pair, `REC` in the
/// arguments standing for `<project>/rec.txt`, and `topologies/<name>.clj`.
fn fixture_project(dir: &str, scripts: &[(&str, &str)], name: &str, clj: &str) -> TempDir {
    let project = TempDir::new(dir);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mixed_project/config.json"),
        project.0.join("config.json"),
    )
    .unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multilang_comp.py");
    let rec = project.0.join("rec.txt");
    for (script, args) in scripts {
        let args = args.replace("REC", &rec.to_string_lossy());
        std::fs::write(
            project.0.join(script),
            format!("exec python3 '{}' {args}\n", fixture.display()),
        )
        .unwrap();
    }
    std::fs::create_dir_all(project.0.join("topologies")).unwrap();
    std::fs::write(project.0.join(format!("topologies/{name}.clj")), clj).unwrap();
    project
}

/// What a user sees while a component floods its log: `sparse run` through the binary on
/// a project whose bolt sends thousands of `log` commands (`WARN flood: line <n>`, level 3)
/// and stderr lines (`tests/fixtures/multilang_comp.py logflood`).
#[test]
fn flooding_component_does_not_flood_the_console() {
    let project = fixture_project(
        "run-flood",
        &[("spout.sh", "spout REC 400"), ("noisy.sh", "logflood REC")],
        "flood",
        r#"(ns flood)
(defn flood [options]
  [{"spout" (shell-spout-spec ["bash" "spout.sh"] ["word" "i"])}
   {"noisy" (shell-bolt-spec {"spout" :shuffle} "bash" "noisy.sh" ["word"])}])
"#,
    );
    let o = sparse_run(&project.0, &["-n", "flood", "-t", "3"], &[]);
    let d = o.dump();
    assert!(o.status.success(), "{d}");
    let tuples = o.component("noisy")["acked"].as_u64().unwrap() as usize;
    assert!(tuples > 0, "{d}");
    // One level, not two.
    assert!(!o.stderr.contains("WARN WARN"), "{d}");
    assert!(o.stderr.contains("[noisy:2] WARN flood: line 1\n"), "{d}");
    // 5 log lines and 1 stderr line per tuple (up to 2,400), of which a handful reach the
    // console, with the count of the others.
    let shown = o
        .stderr
        .lines()
        .filter(|l| l.contains("flood: line"))
        .count();
    let noise = o.stderr.lines().filter(|l| l.contains(" noise ")).count();
    assert!(
        shown <= 3 && noise <= 3,
        "{shown} log and {noise} stderr lines shown\n{d}"
    );
    let hidden: u64 = o
        .stderr
        .lines()
        .filter_map(|l| {
            l.split_once(" ... ")?
                .1
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert_eq!(hidden as usize + shown + noise, 6 * tuples, "{d}");
}

/// A component that writes a 300 MiB stderr line without a newline, then starts a 300 MiB
/// message on stdout: the line is cut and marked, the message fails the task naming the
/// limit set with `-o sparse.max.frame.bytes`, and `sparse` never holds either (it used to
/// buffer both: about 600 MB for the stderr line alone).
#[test]
fn huge_stderr_line_and_message_are_bounded() {
    let project = fixture_project(
        "run-huge",
        &[("spout.sh", "spout REC 0"), ("huge.sh", "hugeout REC 300")],
        "huge",
        r#"(ns huge)
(defn huge [options]
  [{"spout" (shell-spout-spec ["bash" "spout.sh"] ["word" "i"])}
   {"huge" (shell-bolt-spec {"spout" :shuffle} "bash" "huge.sh" ["word"])}])
"#,
    );
    let o = sparse_run(
        &project.0,
        &[
            "-n",
            "huge",
            "-t",
            "30",
            "-o",
            "sparse.max.frame.bytes=1048576",
        ],
        &[],
    );
    let d = o.dump();
    let d = &d[..d.len().min(20_000)];
    assert_eq!(o.status.code(), Some(7), "{d}");
    assert!(
        o.stderr.contains(
            "error: component `huge` task 2 died: protocol error: message larger than 1048576 bytes"
        ) && o.stderr.contains("the limit is sparse.max.frame.bytes"),
        "{d}"
    );
    // The stderr line: its first 32 KiB, then the mark.
    let cut = format!(
        "[huge:2] {} [... line cut at 32768 bytes by sparse run]",
        "x".repeat(32768)
    );
    assert!(o.stderr.contains(&cut), "{d}");
    eprintln!("peak memory of sparse run (VmHWM): {} KiB", o.max_rss_kib);
    assert!(o.max_rss_kib < 64 * 1024, "{} KiB\n{d}", o.max_rss_kib);
    assert_no_process_in(&project.0);
}

/// Settings Storm refuses at submit are usage errors naming the key and the value, found
/// before anything is built or started (here in a fresh `sparse quickstart` project that
/// was never built).
#[test]
fn settings_storm_refuses_are_usage_errors() {
    let dir = TempDir::new("run-bad-settings");
    let o = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["quickstart", "badconf", "--path"])
        .arg(&dir.0)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let project = dir.0.join("badconf");
    for (opt, needle) in [
        (
            "topology.message.timeout.secs=abc",
            "error: invalid setting topology.message.timeout.secs = \"abc\" (from -o or config.json's options): must be a whole number from 1 to 2147483647",
        ),
        (
            "topology.message.timeout.secs=-1",
            "invalid setting topology.message.timeout.secs = -1 (from -o",
        ),
        (
            "topology.max.spout.pending=0",
            "invalid setting topology.max.spout.pending = 0 (from -o or config.json's options): must be a whole number from 1 to 2147483647 (Storm's Config rules; it rejects this at submit); leave it unset for no limit",
        ),
        (
            "sparse.max.frame.bytes=12",
            "invalid setting sparse.max.frame.bytes = 12 (from -o",
        ),
    ] {
        let o = sparse_run(&project, &["-t", "1", "-o", opt], &[]);
        let d = o.dump();
        assert_eq!(o.status.code(), Some(2), "{opt}: {d}");
        assert!(o.stderr.contains(needle), "{opt}: {d}");
        // Stopped before the build: nothing built, nothing run.
        assert!(!o.stderr.contains("sparse-host"), "{opt}: {d}");
        assert!(o.summary.is_none(), "{opt}: {d}");
    }
    assert!(!project.join("target").exists());
}
