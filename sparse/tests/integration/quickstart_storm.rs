//! A user's own project on real Storm: `sparse quickstart` into a folder outside the
//! repository, a bolt added to the generated crate and wired into the generated `.clj`,
//! then
//!
//! - `sparse jar`, whose jar runs in Storm's LocalCluster (`storm/run-local.sh`);
//! - `sparse run --profile dev`, a debug build, next to leftovers it must not use;
//! - `sparse submit` to the single-node cluster of [`crate::storm_cluster`], which calls
//!   [`submit_to_cluster`] and [`check_cluster_run_and_kill`] so the cluster starts once.
//!
//! `sparse` and `sparse-host` are installed the way the generated README says:
//! `cargo install --path <repo>/host` into `<target>/quickstart-bin` (reusing this target
//! folder's release build), with the `sparse` under test hard-linked next to it. So every
//! command finds the host "next to sparse" (that folder is not on `PATH`). The project
//! builds into `<target>/quickstart-target`, shared with [`crate::quickstart`] so that
//! plugin-api and its dependencies compile once. Every assertion is made from outside:
//! `sparse`'s output, the jar's entries, the task log files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::repo_root;
use crate::run_wordcount::{TempDir, ensure_release_binaries, summary_component, target_dir};
use crate::storm_support::{of, run_local, storm_available, storm_deps, storm_lock, task_logs};

/// The generated project's name: its crate, topology and plugin `libshout_words.so`.
const NAME: &str = "shout_words";

/// The bolt the test adds to the generated crate: upper-cases each counted word, and logs
/// how many it has seen (the first, then every 1000th).
const SHOUTER: &str = r#"
/// Upper-cases every counted word (added to the generated crate by sparse's tests).
pub struct Shouter {
    seen: u64,
}

impl Bolt for Shouter {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["shout"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Shouter { seen: 0 })
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: String = tuple.get(0)?;
        let count: u64 = tuple.get(1)?;
        self.seen += 1;
        if self.seen == 1 || self.seen % 1000 == 0 {
            log::info!("shouted {} words; last {} = {count}", self.seen, word.to_uppercase());
        }
        out.emit(&[word.to_uppercase()])?;
        Ok(())
    }
}

"#;

/// The generated project and the installed tools.
pub(crate) struct Project {
    /// The project folder (outside the repository).
    pub root: PathBuf,
    /// `sparse` and `sparse-host`, side by side.
    pub bin: PathBuf,
    /// The project's `CARGO_TARGET_DIR`.
    pub target: PathBuf,
}

impl Project {
    /// `<bin>/sparse ARGS` in the project, building into [`Project::target`].
    fn sparse(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.bin.join("sparse"));
        c.args(args)
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("SPARSE_PLUGIN_PATH");
        c
    }

    fn host(&self) -> PathBuf {
        self.bin.join("sparse-host")
    }

    /// The plugin file of `profile_dir` (`release`, `debug`).
    fn plugin(&self, profile_dir: &str) -> PathBuf {
        self.target.join(profile_dir).join(format!("lib{NAME}.so"))
    }
}

fn show(o: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let o = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(o.status.success(), "{what}: {}", show(&o));
    o
}

fn replace_once(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{} no longer holds {from:?}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Installs the tools and generates the project with its extra bolt, once per test binary.
pub(crate) fn project() -> &'static Project {
    static PROJECT: OnceLock<Project> = OnceLock::new();
    PROJECT.get_or_init(|| {
        ensure_release_binaries();
        let target = target_dir();
        let bin_root = target.join("quickstart-bin");
        let bin = bin_root.join("bin");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        run_ok(
            Command::new(cargo)
                .args(["install", "--quiet", "--locked", "--force", "--path"])
                .arg(repo_root().join("host"))
                .arg("--root")
                .arg(&bin_root)
                .env("CARGO_TARGET_DIR", &target),
            "cargo install --path host",
        );
        let sparse = bin.join("sparse");
        let _ = fs::remove_file(&sparse);
        if fs::hard_link(env!("CARGO_BIN_EXE_sparse"), &sparse).is_err() {
            fs::copy(env!("CARGO_BIN_EXE_sparse"), &sparse).unwrap();
        }

        // Outside the repository; left in place after the tests, for a look.
        let base = std::env::temp_dir().join("sparse-quickstart-storm");
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        run_ok(
            Command::new(&sparse)
                .args(["quickstart", NAME])
                .env(
                    "SPARSE_PLUGIN_API_PATH",
                    crate::repo_root().join("plugin-api"),
                )
                .current_dir(&base),
            "sparse quickstart",
        );
        let root = base.join(NAME);

        // The extra bolt: in the crate, exported, and wired after the counter.
        let lib = root.join(format!("plugins/{NAME}/src/lib.rs"));
        replace_once(
            &lib,
            "// The plugin's entry point",
            &format!("{SHOUTER}// The plugin's entry point"),
        );
        replace_once(
            &lib,
            "    bolt WordCounter,\n}",
            "    bolt WordCounter,\n    bolt Shouter,\n}",
        );
        replace_once(
            &root.join(format!("topologies/{NAME}.clj")),
            r#":conf {"topology.tick.tuple.freq.secs" 2})}"#,
            &format!(
                r#":conf {{"topology.tick.tuple.freq.secs" 2}})
     "shout-bolt" (rust-bolt-spec options {{"count-bolt" :shuffle}} "{NAME}::Shouter" ["shout"])}}"#
            ),
        );
        // The .clj is the project's one topology file.
        assert!(!root.join(format!("topologies/{NAME}.yaml")).exists());

        Project {
            root,
            bin,
            target: target.join("quickstart-target"),
        }
    })
}

/// The largest `shouted N words` in `lines`.
fn max_shouted<'a>(lines: impl IntoIterator<Item = &'a String>) -> u64 {
    lines
        .into_iter()
        .filter_map(|l| l.split("shouted ").nth(1)?.split(' ').next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// The bytes of one jar entry.
fn entry(jar: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(fs::File::open(jar).unwrap()).unwrap();
    let mut b = Vec::new();
    z.by_name(name)
        .unwrap_or_else(|e| panic!("{}: no {name}: {e}", jar.display()))
        .read_to_end(&mut b)
        .unwrap();
    b
}

/// Asserts that `sparse jar`/`submit` said it packed the installed host and the release
/// plugin.
fn assert_packed_lines(p: &Project, stderr: &str) {
    for line in [
        format!(
            "packing sparse-host {} (next to sparse, profile release, installed by cargo install)",
            p.host().display()
        ),
        format!(
            "packing plugin {} (profile release)",
            p.plugin("release").display()
        ),
    ] {
        assert!(stderr.contains(&line), "stderr lacks {line:?}:\n{stderr}");
    }
}

/// `sparse jar` in the generated project, and the jar in LocalCluster for 20 s: every
/// component's tasks start from the jar's plugin, and words reach the added bolt.
#[test]
fn quickstart_project_jar_runs_in_storm() {
    if !storm_available("quickstart_project_jar_runs_in_storm") {
        return;
    }
    let p = project();
    storm_deps();
    let tmp = TempDir::new("qs-storm");
    let logs = tmp.0.join("logs");
    fs::create_dir_all(&logs).unwrap();
    let out = tmp.0.join(format!("{NAME}.jar"));
    let log_path = format!("streamparse.log.path={}", logs.display());
    let t = Instant::now();
    let o = run_ok(
        p.sparse(&[
            "jar",
            "-n",
            NAME,
            "-o",
            "topology.max.spout.pending=200",
            "-o",
            "topology.subprocess.timeout.secs=5",
            "-o",
            &log_path,
            "-O",
        ])
        .arg(&out),
        "sparse jar",
    );
    eprintln!(
        "sparse jar (with cargo build) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_packed_lines(p, &stderr);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        out.to_string_lossy()
    );
    // Packed byte for byte: the installed host, the plugin just built.
    assert!(entry(&out, "resources/sparse-host") == fs::read(p.host()).unwrap());
    assert!(
        entry(&out, &format!("resources/plugins/lib{NAME}.so"))
            == fs::read(p.plugin("release")).unwrap()
    );

    let run = {
        let _g = storm_lock();
        run_local(&out, 20, &tmp.0.join("run"), &[])
    };
    assert_eq!(run.status, 0, "{}", run.stdout);
    let before = run.before_stop();
    assert!(!before.contains("Halting process"), "a task died");
    let tl = task_logs(&logs, NAME);
    for (c, n) in [("word-spout", 1), ("count-bolt", 2), ("shout-bolt", 1)] {
        assert_eq!(of(&tl, c).len(), n, "{c}");
    }
    for l in &tl {
        let start = l
            .lines
            .iter()
            .find(|x| x.contains("sparse-host 0.1.0 running"))
            .unwrap_or_else(|| panic!("{}: no start line", l.file));
        assert!(
            start.contains(&format!(
                "/resources/plugins/lib{NAME}.so), task {}",
                l.task
            )),
            "{start}"
        );
    }
    let shouted = max_shouted(&of(&tl, "shout-bolt")[0].lines);
    eprintln!("quickstart project in LocalCluster: {shouted}+ words reached the added bolt");
    assert!(shouted >= 1000, "only {shouted} words reached shout-bolt");
    assert!(
        !of(&tl, "word-spout")[0]
            .lines
            .iter()
            .any(|l| l.contains("failed; replaying")),
        "a word failed"
    );
}

/// `sparse run --profile dev` builds and runs the debug build, and passes over a
/// `sparse-host` left in `target/debug`; a plugin no crate of the workspace builds is
/// refused.
#[test]
fn quickstart_project_runs_a_debug_build_and_refuses_leftovers() {
    let p = project();
    let debug = p.target.join("debug");
    fs::create_dir_all(&debug).unwrap();
    // A sparse-host copied into the build folder by hand: it must not run.
    let stale_host = debug.join("sparse-host");
    fs::write(
        &stale_host,
        "#!/bin/sh\necho stale sparse-host ran >&2\nexit 9\n",
    )
    .unwrap();
    fs::set_permissions(
        &stale_host,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let logs = p.root.join("logs");
    let _ = fs::remove_dir_all(&logs);
    let tmp = TempDir::new("qs-debug");
    let summary = tmp.0.join("summary.json");
    let o = p
        .sparse(&[
            "run",
            "-n",
            NAME,
            "--profile",
            "dev",
            "-t",
            "4",
            "--summary-json",
        ])
        .arg(&summary)
        .output()
        .unwrap();
    let _ = fs::remove_file(&stale_host);
    assert!(o.status.success(), "sparse run --profile dev: {}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for line in [
        "cargo build --profile dev".to_string(),
        format!("[WARN] not using {}", stale_host.display()),
        format!("sparse-host {} (next to sparse", p.host().display()),
        format!("plugin {} (profile dev)", p.plugin("debug").display()),
    ] {
        assert!(stderr.contains(&line), "stderr lacks {line:?}:\n{stderr}");
    }
    assert!(!stderr.contains("stale sparse-host ran"), "{stderr}");
    let s: Value = serde_json::from_str(&fs::read_to_string(&summary).unwrap()).unwrap();
    let comp = |id: &str| summary_component(&s, id);
    assert!(comp("shout-bolt")["acked"].as_u64().unwrap() > 0, "{s}");
    assert!(comp("word-spout")["acked"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(comp("word-spout")["failed"], 0, "{s}");
    // Every task loaded the debug plugin.
    let debug_plugin = format!("from {})", p.plugin("debug").display());
    let mut tasks = 0;
    for e in fs::read_dir(&logs).unwrap() {
        let text = fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(text.contains(&debug_plugin), "{text}");
        tasks += 1;
    }
    assert_eq!(tasks, 4);

    // A plugin left from a crate the workspace no longer has: refused, not run.
    let old = p.root.join("topologies/old_words.clj");
    fs::write(
        &old,
        r#"(ns old_words (:use [streamparse.specs]) (:gen-class))
(defn old_words [options]
  [{"word-spout" (rust-spout-spec options "old_words::WordSpout" ["word"])} {}])
"#,
    )
    .unwrap();
    let leftover = debug.join("libold_words.so");
    fs::copy(p.plugin("debug"), &leftover).unwrap();
    let o = p
        .sparse(&[
            "run",
            "-n",
            "old_words",
            "--profile",
            "dev",
            "--no-build",
            "-t",
            "1",
        ])
        .output()
        .unwrap();
    let _ = fs::remove_file(&old);
    let _ = fs::remove_file(&leftover);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let want = format!(
        "error: component `word-spout` runs `old_words::...`, but no crate of this project's workspace ({}) builds {} (its cdylib crates: {NAME})",
        p.root.display(),
        leftover.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
}

/// Part of the cluster test: points the project's `prod` env at `nimbus` (task logs to
/// `logs`) and runs `sparse submit -e prod` with the `java` client.
pub(crate) fn submit_to_cluster(nimbus: &str, classpath: &str, logs: &Path) {
    let p = project();
    let config = p.root.join("config.json");
    let mut c: Value = serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
    c["envs"]["prod"]["nimbus"] = nimbus.into();
    c["envs"]["prod"]["log"]["path"] = logs.display().to_string().into();
    c["envs"]["prod"]["options"] = serde_json::json!({
        "topology.max.spout.pending": 100,
        "topology.message.timeout.secs": 30
    });
    fs::write(&config, serde_json::to_string_pretty(&c).unwrap()).unwrap();
    let t = Instant::now();
    let o = run_ok(
        p.sparse(&["submit", "-e", "prod", "-n", NAME, "-p", "1"])
            .env("SPARSE_STORM_CLIENT", "java")
            .env("SPARSE_STORM_CLASSPATH", classpath)
            .env_remove("SPARSE_NIMBUS")
            .env_remove("SPARSE_FLUX_CORE_JAR"),
        "sparse submit of the quickstart project",
    );
    eprintln!(
        "quickstart project submitted in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert_packed_lines(p, &String::from_utf8_lossy(&o.stderr));
}

/// Part of the cluster test: waits until words reach the added bolt on the cluster, then
/// `sparse kill`s the topology.
pub(crate) fn check_cluster_run_and_kill(classpath: &str, logs: &Path) {
    let p = project();
    let start = Instant::now();
    let mut shouted = 0;
    while shouted < 1000 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "only {shouted} words reached shout-bolt on the cluster after 120 s"
        );
        std::thread::sleep(Duration::from_secs(1));
        let lines: Vec<String> = fs::read_dir(logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("streamparse_{NAME}_shout-bolt_"))
            })
            .flat_map(|e| {
                fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        shouted = max_shouted(&lines);
    }
    eprintln!("quickstart project on the cluster: {shouted}+ words reached the added bolt");
    run_ok(
        p.sparse(&["kill", "-e", "prod", "-n", NAME, "--wait", "1"])
            .env("SPARSE_STORM_CLIENT", "java")
            .env("SPARSE_STORM_CLASSPATH", classpath)
            .env_remove("SPARSE_NIMBUS"),
        "sparse kill of the quickstart project",
    );
}

/// `sparse jar` refuses a plugin that the chosen `sparse-host` cannot load (one built for
/// plugin ABI 2, whose entry symbol is `sparse_plugin_v2`), naming both files.
#[test]
fn quickstart_project_jar_refuses_a_plugin_of_another_abi() {
    let p = project();
    // A custom profile's build folder holding the project's plugin, as built by an
    // incompatible plugin-api (a C library exporting the next major version's symbol).
    let dir = p.target.join("abi2");
    fs::create_dir_all(&dir).unwrap();
    let src = dir.join("v2.c");
    fs::write(
        &src,
        "const void *sparse_plugin_v2(const void *host) { (void)host; return 0; }\n",
    )
    .unwrap();
    let plugin = dir.join(format!("lib{NAME}.so"));
    run_ok(
        Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&plugin)
            .arg(&src),
        "cc -shared",
    );
    let out = dir.join("never.jar");
    let o = p
        .sparse(&["jar", "-n", NAME, "--profile", "abi2", "--no-build", "-O"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let want = format!(
        "error: {} cannot load {}: it has no `sparse_plugin_v1` symbol",
        p.host().display(),
        plugin.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert!(
        stderr.contains("do not speak the same plugin ABI"),
        "{stderr}"
    );
    assert!(!out.exists(), "a jar was written");
}

/// Processes whose command line or working directory is under `dir`.
fn processes_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let needle = dir.to_string_lossy().into_owned();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let p = e.path();
        if !e
            .file_name()
            .to_string_lossy()
            .chars()
            .all(|c| c.is_ascii_digit())
        {
            continue;
        }
        let cmd = fs::read(p.join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cwd = fs::read_link(p.join("cwd")).unwrap_or_default();
        if cmd.contains(&needle) || cwd.starts_with(dir) {
            found.push(format!(
                "{}: {cmd} (in {})",
                e.file_name().to_string_lossy(),
                cwd.display()
            ));
        }
    }
    found
}

/// `sparse run` on a topology with a JVM spout (Storm's `TestWordSpout`) feeding the
/// project's Rust counter: it says it runs the topology in Storm's LocalCluster, runs it
/// from Storm's jars for the time asked, reports Storm's counts in the summary JSON, and
/// leaves no JVM or `sparse-host` behind.
#[test]
fn quickstart_project_runs_a_jvm_spout_in_local_cluster() {
    if !storm_available("quickstart_project_runs_a_jvm_spout_in_local_cluster") {
        return;
    }
    let p = project();
    let deps = storm_deps();
    fs::write(
        p.root.join("topologies/jvm_words.yaml"),
        format!(
            r#"name: jvm_words
config:
  sparse.jvm.outputs: {{words: {{default: [word]}}}}
spouts:
  - id: words
    className: org.apache.storm.testing.TestWordSpout
    parallelism: 1
bolts:
  - id: counter
    className: org.apache.storm.flux.wrappers.bolts.FluxShellBolt
    constructorArgs: [["sparse-host", "--component", "{NAME}::WordCounter"], ["word", "count"]]
    parallelism: 2
streams:
  - from: words
    to: counter
    grouping:
      type: FIELDS
      args: ["word"]
"#
        ),
    )
    .unwrap();
    let tmp = TempDir::new("qs-jvm-run");
    let summary = tmp.0.join("summary.json");
    let t = Instant::now();
    let o = {
        let _g = storm_lock();
        p.sparse(&["run", "-n", "jvm_words", "--time", "20", "--summary-json"])
            .arg(&summary)
            .env("STORM_HOME", &deps)
            .env_remove("SPARSE_STORM_CLASSPATH")
            .output()
            .unwrap()
    };
    eprintln!(
        "sparse run on LocalCluster (with cargo build) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(o.status.success(), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`sparse run` runs this topology in Storm's LocalCluster (a JVM)")
            && err.contains(
                "JVM class `org.apache.storm.testing.TestWordSpout` cannot run in the local runner"
            )
            && err.contains("submitted to LocalCluster as jvm_words-"),
        "{err}"
    );
    assert!(!err.contains("Halting process"), "{err}");
    let s: Value = serde_json::from_slice(&fs::read(&summary).unwrap()).unwrap();
    assert_eq!(s["engine"], "storm-local-cluster", "{s}");
    assert_eq!(s["stop_reason"], "duration", "{s}");
    assert_eq!(s["failure"], Value::Null, "{s}");
    let comp = |id: &str| summary_component(&s, id);
    let (words, counter) = (comp("words"), comp("counter"));
    assert_eq!(
        (words["kind"].as_str(), words["tasks"].as_u64()),
        (Some("spout"), Some(1))
    );
    assert_eq!(
        (counter["kind"].as_str(), counter["tasks"].as_u64()),
        (Some("bolt"), Some(2))
    );
    let emitted = words["emitted"].as_u64().unwrap();
    let received = counter["received"].as_u64().unwrap();
    eprintln!(
        "LocalCluster run: spout emitted {emitted}, counter received {received}, acked {}",
        counter["acked"]
    );
    assert!(emitted > 0 && received > 0, "{s}");
    assert!(counter["acked"].as_u64().unwrap() > 0, "{s}");
    // The counter emits one (word, count) per word it receives.
    assert!(counter["emitted"].as_u64().unwrap() > 0, "{s}");
    // The summary table, on stdout.
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("counter") && out.contains("words"), "{out}");
    // Nothing left running from the run folder.
    let run_dir = p.target.join("sparse/run/jvm_words");
    assert!(run_dir.join("storm.log").is_file());
    let left = processes_under(&run_dir);
    assert!(left.is_empty(), "left running: {left:#?}");
}
