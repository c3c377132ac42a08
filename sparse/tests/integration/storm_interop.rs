//! Interop against real Apache Storm: jars from `sparse jar` run in Storm's LocalCluster
//! through `storm/run-local.sh`, asserted from outside the JVM only: the tasks' log files
//! (`streamparse_<topo>_<comp>_<task>_<pid>.log`), run-local's exit status and Storm's log.
//!
//! Storm runs are serialized by `storm_support::storm_lock` (2 cores) and combined into as few runs as
//! possible: wordcount (30 s), the interop topology (20 s), the crash topology (10 s).
//!
//! Java and Maven are needed (`storm/fetch.sh`). Without them the tests fail when `CI=true`
//! and are skipped with a loud message otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::repo_root;
use crate::run_wordcount::{TempDir, target_dir};
use crate::storm_support::{
    StormRun, TaskLog, assert_fast_wire, counted_words, ensure_binaries, flux_core_jar, of,
    run_local, sparse_jar, storm_available, storm_deps, storm_lock, task_logs,
};

/// `plugins/interop`'s default sentences (a copy of `interop::TEXT`).
const TEXT: [&str; 5] = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
];
/// Sentences with what Storm's JSON writer escapes or passes through: `/` (written `\/`),
/// `\`, `"`, a tab, non-ASCII (raw UTF-8), `€` (U+20AC), emoji (beyond the BMP), U+2028
/// (written `\u2028`; a separator for `split_whitespace`), and a 20,000-character word.
/// Every word must be counted exactly as sent.
fn special_text() -> Vec<String> {
    vec![
        "and/or https://example.com/a/b C:\\tmp\\x".into(),
        "she said \"hi\" it's\ttabbed".into(),
        "café naïve € ™ 日本語 Ünïcödé".into(),
        "emoji 😀 🎉 👩‍👩‍👧 line\u{2028}sep para\u{2029}sep".into(),
        format!("long {}/end", "w".repeat(20_000)),
    ]
}

/// The sentences the spout cycles through: interop's defaults and [`special_text`].
fn all_text() -> Vec<String> {
    TEXT.iter()
        .map(|s| s.to_string())
        .chain(special_text())
        .collect()
}

/// Sentences the interop spout emits.
const SENTENCES: usize = 40;
/// The splitter fails every k-th tuple it receives.
const FAIL_EVERY: usize = 7;
/// `topology.subprocess.timeout.secs` in every run.
const SUBPROCESS_TIMEOUT: u64 = 5;

/// The interop project's `config.json`.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/storm_interop/config.json")
}

fn kv(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

/// Per-word counts of the interop spout's sentences.
fn expected_counts() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    let text = all_text();
    for i in 0..SENTENCES {
        for w in text[i % text.len()].split_whitespace() {
            *m.entry(w.to_string()).or_insert(0) += 1;
        }
    }
    m
}

/// The merged last `counts {...}` of every counter task.
fn merged_counts(logs: &[TaskLog]) -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    for l in of(logs, "counter") {
        let last = l
            .interop()
            .into_iter()
            .rev()
            .find_map(|m| m.strip_prefix("counts "))
            .map(|j| serde_json::from_str::<BTreeMap<String, u64>>(j).unwrap())
            .unwrap_or_default();
        for (w, c) in last {
            assert!(
                all.insert(w.clone(), c).is_none(),
                "{w} counted by two tasks"
            );
        }
    }
    all
}

/// The `HH:MM:SS.mmm` of a task log line, in seconds.
fn secs_of(line: &str) -> f64 {
    let t = line.split('T').nth(1).unwrap_or_default();
    let p: Vec<f64> = t[..12]
        .split(':')
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    p[0] * 3600.0 + p[1] * 60.0 + p[2]
}

fn interop_options(log_dir: &Path) -> Vec<String> {
    vec![
        format!("interop.sentences={SENTENCES}"),
        format!("interop.text={}", serde_json::Value::from(all_text())),
        format!("interop.fail_every={FAIL_EVERY}"),
        format!("topology.subprocess.timeout.secs={SUBPROCESS_TIMEOUT}"),
        format!("streamparse.log.path={}", log_dir.display()),
    ]
}

fn with_o(opts: &[String]) -> Vec<&str> {
    opts.iter().flat_map(|o| ["-o", o.as_str()]).collect()
}

/// `sparse run` of the interop topology for 6 s from the repository, task logs in `logs`.
fn sparse_run_interop(config: &Path, logs: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparse"));
    cmd.args([
        "run",
        "--config",
        config.to_str().unwrap(),
        "-n",
        "interop",
        "--no-build",
        "-t",
        "6",
    ])
    .args(with_o(&interop_options(logs)))
    .current_dir(repo_root())
    .env("CARGO_TARGET_DIR", target_dir());
    cmd
}

/// The repository's wordcount topology in LocalCluster for 30 s, from its jar.
#[test]
fn storm_wordcount_30s() {
    if !storm_available("storm_wordcount_30s") {
        return;
    }
    ensure_binaries();
    let deps = storm_deps();
    let tmp = TempDir::new("storm-wc");
    let logs = tmp.0.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let pending = 200;
    let opts = [
        format!("topology.subprocess.timeout.secs={SUBPROCESS_TIMEOUT}"),
        format!("topology.max.spout.pending={pending}"),
        format!("streamparse.log.path={}", logs.display()),
    ];
    let flux = flux_core_jar(&deps);
    let mut args = vec!["-n", "wordcount.clj", "--flux-core", flux.to_str().unwrap()];
    args.extend(with_o(&opts));
    let jar = sparse_jar(&args, &tmp.0.join("wordcount.jar"));

    let _g = storm_lock();
    let run = run_local(&jar, 30, &tmp.0.join("run"), &[]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let before = run.before_stop();
    assert!(!before.contains("Halting process"), "a task died");
    assert!(!before.contains("heartbeat timeout"));
    assert!(
        before.contains("Extracting resources from jar at") && before.contains("wordcount.jar"),
        "resources/ did not come from our jar"
    );

    let tl = task_logs(&logs, "wordcount");
    let comps: Vec<(&str, i64)> = tl.iter().map(|l| (l.component.as_str(), l.task)).collect();
    assert_eq!(tl.len(), 5, "{comps:?}");
    for (c, n) in [
        ("sentence-spout", 1),
        ("sentence-splitter", 2),
        ("word-counter", 2),
    ] {
        assert_eq!(of(&tl, c).len(), n, "{c}: {comps:?}");
    }
    for l in &tl {
        let started = l
            .lines
            .iter()
            .find(|x| x.contains("sparse-host 0.1.0 running"));
        let started = started.unwrap_or_else(|| panic!("{}: no start line", l.file));
        assert!(
            started.contains(&format!(
                "/resources/plugins/libwordcount.so), task {}",
                l.task
            )),
            "{started}"
        );
    }
    assert_fast_wire(&tl);
    let spout = of(&tl, "sentence-spout")[0];
    assert!(
        !spout.lines.iter().any(|l| l.contains("failed; replaying")),
        "a sentence failed"
    );
    // Each counter logs `counted N words` every 1000 words.
    let words: u64 = counted_words(&of(&tl, "word-counter"));
    // A sentence has at most 19 words; at most `pending` sentences are un-acked at any time
    // and none failed, so at least words/19 - pending sentences were acked.
    let acked_at_least = (words / 19).saturating_sub(pending);
    eprintln!(
        "wordcount in Storm: {words} words counted, >= {acked_at_least} sentences acked in 30 s"
    );
    assert!(acked_at_least >= 1000, "{words} words");
}

/// The interop topology in LocalCluster, then the same under `sparse run`.
#[test]
fn storm_interop_topology_and_sparse_run_agree() {
    if !storm_available("storm_interop_topology_and_sparse_run_agree") {
        return;
    }
    ensure_binaries();
    storm_deps();
    let tmp = TempDir::new("storm-interop");
    let logs = tmp.0.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let opts = interop_options(&logs);
    let config = fixture();
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "-n",
        "interop",
        "--no-flux-core",
    ];
    args.extend(with_o(&opts));
    let jar = sparse_jar(&args, &tmp.0.join("interop.jar"));
    let ttl = 20;
    let run = {
        let _g = storm_lock();
        run_local(&jar, ttl, &tmp.0.join("run"), &["--shell-level", "TRACE"])
    };
    // Every task stayed alive (no "Halting process" before the shutdown).
    assert_eq!(run.status, 0, "{}", run.stdout);
    let before = run.before_stop();
    let tl = task_logs(&logs, "interop");

    // Each task wrote its log file.
    let mut tasks: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &tl {
        *tasks.entry(l.component.as_str()).or_default() += 1;
    }
    let want: BTreeMap<&str, usize> = [
        ("counter", 2),
        ("direct-emitter", 1),
        ("direct-sink", 3),
        ("log-levels", 1),
        ("long-sink", 1),
        ("reporter", 1),
        ("router", 1),
        ("sentences", 1),
        ("short-sink", 1),
        ("splitter", 2),
    ]
    .into();
    assert_eq!(tasks, want);
    assert_fast_wire(&tl);

    // Replays: the splitter failed some sentences, the spout replayed each, all acked.
    let spout = of(&tl, "sentences")[0].interop();
    let failed = spout.iter().filter(|m| m.starts_with("failed id=")).count();
    let replayed = spout
        .iter()
        .filter(|m| m.starts_with("replayed id="))
        .count();
    let failing: usize = of(&tl, "splitter")
        .iter()
        .map(|l| {
            l.interop()
                .iter()
                .filter(|m| m.starts_with("failing tuple"))
                .count()
        })
        .sum();
    assert!(failed >= 1, "no tuple failed: {spout:?}");
    assert_eq!((failed, replayed), (failing, failing));
    let done = format!("all {SENTENCES} sentences acked ({replayed} replays)");
    assert!(spout.contains(&done.as_str()), "{spout:?}");

    // Per-word counts are exact.
    let storm_counts = merged_counts(&tl);
    assert_eq!(storm_counts, expected_counts());

    // Ticks (1 s, counter only) for the whole run; none elsewhere.
    for c in of(&tl, "counter") {
        let ticks = c
            .interop()
            .iter()
            .filter(|m| m.starts_with("tick #"))
            .count();
        assert!(ticks as u32 >= ttl - 8, "{}: {ticks} ticks", c.file);
    }
    assert!(
        tl.iter()
            .all(|l| !l.lines.iter().any(|x| x.contains("unexpected tick")))
    );

    // Heartbeats: after the last sentence the topology idled for more than twice the
    // subprocess timeout, and every task was still alive (status 0, ticks continuing).
    let spout_log = of(&tl, "sentences")[0];
    let done_at = secs_of(spout_log.lines.iter().find(|l| l.contains(&done)).unwrap());
    let last_tick = of(&tl, "counter")[0]
        .lines
        .iter()
        .rev()
        .find(|l| l.contains("interop: tick #"))
        .map(|l| secs_of(l))
        .unwrap();
    let idle = last_tick - done_at;
    eprintln!("idle after the last ack: {idle:.1} s (subprocess timeout {SUBPROCESS_TIMEOUT} s)");
    assert!(
        idle > 2.0 * SUBPROCESS_TIMEOUT as f64,
        "idle only {idle:.1} s"
    );
    assert!(!before.contains("heartbeat timeout"));

    // Named streams route by stream id.
    let mut routed: BTreeMap<String, u64> = BTreeMap::new();
    for (sink, stream) in [("short-sink", "short"), ("long-sink", "long")] {
        for m in of(&tl, sink)[0].interop() {
            let f = kv(m);
            assert_eq!((f["stream"], f["source"]), (stream, "router"), "{m}");
            assert_eq!(f["word"].chars().count() <= 3, stream == "short", "{m}");
            *routed.entry(f["word"].to_string()).or_default() += 1;
        }
    }
    assert_eq!(routed, expected_counts());

    // `log` levels: every level arrives at Storm's matching level.
    for (storm, lvl) in [
        ("TRACE", "TRACE"),
        ("DEBUG", "DEBUG"),
        ("INFO ", "INFO"),
        ("WARN ", "WARN"),
        ("ERROR", "ERROR"),
    ] {
        let probe = format!(
            "name:log-levels {lvl} interop: level-probe {}",
            lvl.to_lowercase()
        );
        let line = before
            .lines()
            .find(|l| l.contains(&probe))
            .unwrap_or_else(|| panic!("no `{probe}` in storm.log"));
        assert!(
            line.contains(&format!(" {storm} o.a.s.t.ShellBolt")) && line.contains("ShellLog pid:"),
            "{line}"
        );
    }
    // The `error` command is reported by Storm; the task lives on.
    assert!(
        before.contains("Shell Process Exception: interop-reporter: a non-fatal error report"),
        "no reported error in storm.log"
    );
    assert!(of(&tl, "reporter")[0].interop().contains(&"reported"));

    // Direct emits reach exactly the addressed task (sparse-host sends task + 2^32).
    let sent: BTreeMap<u64, i64> = of(&tl, "direct-emitter")[0]
        .interop()
        .iter()
        .filter(|m| m.starts_with("direct n="))
        .map(|m| {
            let f = kv(m);
            (f["n"].parse().unwrap(), f["to"].parse().unwrap())
        })
        .collect();
    assert_eq!(sent.len(), SENTENCES + replayed);
    let mut got = BTreeMap::new();
    let mut sinks_used = BTreeSet::new();
    for s in of(&tl, "direct-sink") {
        for m in s.interop() {
            let f = kv(m);
            let me: i64 = f["me"].parse().unwrap();
            assert_eq!(me, s.task, "{m}");
            assert_eq!(f["to"].parse::<i64>().unwrap(), me, "{m}");
            assert_eq!(f["stream"], "jobs");
            got.insert(f["n"].parse::<u64>().unwrap(), me);
            sinks_used.insert(me);
        }
    }
    assert_eq!(got, sent);
    assert_eq!(sinks_used.len(), 3);

    // The same topology under `sparse run` gives the same per-word counts.
    let local_logs = tmp.0.join("local-logs");
    std::fs::create_dir_all(&local_logs).unwrap();
    let t = Instant::now();
    let o = sparse_run_interop(&config, &local_logs).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!(
        "sparse run of the same topology: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let local = task_logs(&local_logs, "interop");
    assert_eq!(merged_counts(&local), storm_counts);
    assert_fast_wire(&local);
}

/// The interop topology (direct emits, named streams, replays, ticks, every log level)
/// under `sparse run` on the fast wire, its default with sparse-host tasks, then with
/// `--json-wire`: the same exact per-word counts, which are the expected ones; each task's
/// log says which wire it ran on. No Storm needed.
#[test]
fn sparse_run_interop_counts_the_same_on_the_fast_wire_and_json() {
    ensure_binaries();
    let tmp = TempDir::new("run-interop-wires");
    let config = fixture();
    let mut per_wire = Vec::new();
    for json_wire in [false, true] {
        let logs = tmp
            .0
            .join(if json_wire { "json-logs" } else { "fast-logs" });
        std::fs::create_dir_all(&logs).unwrap();
        let mut cmd = sparse_run_interop(&config, &logs);
        if json_wire {
            cmd.arg("--json-wire");
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let tl = task_logs(&logs, "interop");
        assert_eq!(
            tl.len(),
            14,
            "{:?}",
            tl.iter().map(|l| &l.file).collect::<Vec<_>>()
        );
        for l in &tl {
            let started = l
                .lines
                .iter()
                .find(|x| x.contains(" running ") && x.contains("sparse-host"))
                .unwrap_or_else(|| panic!("{}: no start line", l.file));
            assert_eq!(
                started.ends_with(", fast wire"),
                !json_wire,
                "{}: {started}",
                l.file
            );
        }
        let spout = of(&tl, "sentences")[0].interop();
        let replayed = spout
            .iter()
            .filter(|m| m.starts_with("replayed id="))
            .count();
        assert!(
            spout.contains(
                &format!("all {SENTENCES} sentences acked ({replayed} replays)").as_str()
            ),
            "{spout:?}"
        );
        per_wire.push(merged_counts(&tl));
    }
    assert_eq!(per_wire[0], expected_counts());
    assert_eq!(per_wire[1], per_wire[0]);
}

/// Builds the fixture topology `name` (`-o` each of `opts`, task logs in `<tmp>/logs`) and
/// runs it in LocalCluster for `ttl` s; a task is expected to die, so the run must end with
/// status 1 and a "Halting process: ShellBolt died" line naming `component`. Returns the
/// run and the temporary folder (task logs in its `logs/`).
fn run_dying_topology(
    name: &str,
    opts: &[String],
    ttl: u32,
    component: &str,
) -> (StormRun, TempDir) {
    ensure_binaries();
    storm_deps();
    let tmp = TempDir::new(&format!("storm-{name}"));
    let logs = tmp.0.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut opts = opts.to_vec();
    opts.push(format!("streamparse.log.path={}", logs.display()));
    let config = fixture();
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "-n",
        name,
        "--no-flux-core",
    ];
    args.extend(with_o(&opts));
    let jar = sparse_jar(&args, &tmp.0.join(format!("{name}.jar")));
    let yaml = std::fs::read_to_string(jar.with_extension("yaml")).unwrap();
    assert!(
        yaml.contains("className: org.sparse.storm.SparseShellBolt"),
        "{yaml}"
    );
    let run = {
        let _g = storm_lock();
        run_local(&jar, ttl, &tmp.0.join("run"), &[])
    };
    assert_eq!(run.status, 1, "{}", run.stdout);
    let before = run.before_stop();
    let halt = before
        .lines()
        .find(|l| l.contains("Halting process: ShellBolt died"))
        .unwrap_or_else(|| panic!("no Halting process line:\n{}", run.stdout));
    assert!(halt.contains(&format!("name:{component}")), "{halt}");
    eprintln!("{name} run: {:.1} s", run.secs);
    (run, tmp)
}

/// A component that returns `Err` dies the way Storm reports it.
#[test]
fn storm_component_error_kills_the_task() {
    if !storm_available("storm_component_error_kills_the_task") {
        return;
    }
    let opts = [
        "interop.sentences=4".to_string(),
        r#"interop.text=["all fine here","a poison pill"]"#.to_string(),
    ];
    let (run, tmp) = run_dying_topology("crash", &opts, 10, "crasher");
    assert!(
        run.stdout.contains("Storm reported a dying component"),
        "{}",
        run.stdout
    );
    let before = run.before_stop();
    assert!(
        before.contains("Shell Process Exception: sparse-host: ")
            || before.contains("interop-crasher: poison value"),
        "the component's error did not reach Storm"
    );
    let logs = tmp.0.join("logs");
    let tl = task_logs(&logs, "crash");
    let crasher = of(&tl, "crasher")[0];
    assert!(
        crasher
            .lines
            .iter()
            .any(|l| l.contains("interop-crasher: poison value \"a poison pill\"")),
        "{:?}",
        crasher.lines
    );
}

/// A component that stops answering (interop::Stuck sleeps in its first tuple) is killed by
/// the shell bolt's heartbeat check after `topology.subprocess.timeout.secs`: on the fast
/// wire that check is sparse's `SparseShellBolt`, so this is its test.
#[test]
fn storm_silent_component_is_killed_by_the_heartbeat_timeout() {
    if !storm_available("storm_silent_component_is_killed_by_the_heartbeat_timeout") {
        return;
    }
    let opts = [
        "interop.sentences=4".to_string(),
        "topology.subprocess.timeout.secs=3".to_string(),
    ];
    let (run, tmp) = run_dying_topology("stuck", &opts, 12, "stuck");
    assert!(
        run.before_stop().contains("subprocess heartbeat timeout"),
        "the task died, but not of its heartbeat"
    );
    let logs = tmp.0.join("logs");
    let tl = task_logs(&logs, "stuck");
    assert!(
        of(&tl, "stuck")[0]
            .lines
            .iter()
            .any(|l| l.contains("stuck")),
        "the bolt never got its first tuple"
    );
}

/// Flux inside the jar finds the YAML as a class-path resource (`--resource /<name>.yaml`)
/// with no flux-core on the class path: what `storm jar x.jar org.apache.storm.flux.Flux
/// --remote --resource /x.yaml` relies on.
#[test]
fn storm_flux_runs_from_the_jar() {
    if !storm_available("storm_flux_runs_from_the_jar") {
        return;
    }
    ensure_binaries();
    let deps = storm_deps();
    let tmp = TempDir::new("storm-flux");
    let mut cp = Vec::new();
    let mut flux = None;
    for e in std::fs::read_dir(deps.join("lib")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("flux-core-")
        {
            flux = Some(p);
        } else {
            cp.push(p);
        }
    }
    let flux = flux.unwrap();
    let jar = sparse_jar(
        &["-n", "wordcount.clj", "--flux-core", flux.to_str().unwrap()],
        &tmp.0.join("wc.jar"),
    );
    cp.insert(0, jar.clone());
    let o = {
        let _g = storm_lock();
        Command::new("java")
            .arg("-cp")
            .arg(std::env::join_paths(&cp).unwrap())
            .args([
                "org.apache.storm.flux.Flux",
                "--dry-run",
                "--resource",
                "/wordcount.yaml",
            ])
            .output()
            .unwrap()
    };
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("Topology Name: wordcount"), "{out}");
    assert!(
        out.contains("sentence-splitter --FIELDS--> word-counter"),
        "{out}"
    );
}
