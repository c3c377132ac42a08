//! A Python streamparse bolt in a mixed topology with Rust components, run by the real
//! `sparse` binary: `tests/fixtures/mixed_project` wires `wordcount::SentenceSpout` (Rust)
//! → `bolts.split.SplitBolt` (a streamparse 5 `Bolt`, run by streamparse's own
//! `streamparse_run` console script with `src/` as working directory) → `wordcount::WordCounter`
//! (Rust).
//!
//! streamparse and pystorm come from PyPI, installed into a venv by `.ci/python-venv.sh`.
//! The venv is `$SPARSE_TEST_VENV` (the venv folder or its `bin/`), else
//! `<repo>/target/py-venv`. When it is missing the test creates it with the script (needs
//! network), except under `CI=true`, where it fails: CI must create it beforehand.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::repo_root;
use crate::run_wordcount::{
    TempDir, assert_gone, assert_no_process_in, assert_wordcount_counts, copy_dir,
    ensure_release_binaries, log_files, pid_of_log, sparse_run,
};

/// The venv's `bin/` holding `streamparse_run`, created if needed (see the module docs).
fn venv_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = BIN.get_or_init(|| {
        let venv = std::env::var_os("SPARSE_TEST_VENV")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target/py-venv"));
        for bin in [venv.clone(), venv.join("bin")] {
            if bin.join("streamparse_run").is_file() {
                return Ok(bin);
            }
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "the Python venv for the runner tests is missing: no streamparse_run in {} or \
                 its bin/. CI must create it before `cargo test`: \
                 `export SPARSE_TEST_VENV=\"$(bash .ci/python-venv.sh)\"`",
                venv.display()
            ));
        }
        let script = repo_root().join(".ci/python-venv.sh");
        eprintln!(
            "creating the Python venv {} with {}",
            venv.display(),
            script.display()
        );
        let out = Command::new("bash")
            .arg(&script)
            .arg(&venv)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !bin.join("streamparse_run").is_file() {
            return Err(format!(
                "{} printed {}, which has no streamparse_run",
                script.display(),
                bin.display()
            ));
        }
        Ok(bin)
    });
    match r {
        Ok(b) => b.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn path_with(bin: &Path) -> String {
    let mut dirs = vec![bin.to_path_buf()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn python_streamparse_bolt_runs_between_rust_components() {
    let bin = venv_bin();
    ensure_release_binaries();
    // A copy, so that logs/ and Python's __pycache__ stay out of the source tree.
    let project = TempDir::new("run-mixed");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mixed_project"),
        &project.0,
    );
    let path = path_with(&bin);
    let o = sparse_run(&project.0, &["-t", "4"], &[("PATH", &path)]);
    let d = o.dump();
    assert_eq!(o.status.code(), Some(0), "{d}");
    // Task ids in Java string order: __acker 1, sentence-spout 2, split 3-4, word-counter 5-6.
    assert_eq!(
        o.count("split", "acked"),
        o.count("sentence-spout", "acked")
    );
    assert_wordcount_counts(&o, "sentence-spout", "split", "word-counter");

    // Both Python tasks started under streamparse_run, got their context and conf, and
    // logged to their own pystorm files in the project's logs folder (the runner mirrors
    // streamparse.log.* as pystorm.log.*, which is what pystorm reads).
    let logs = log_files(&project.0.join("logs"));
    let mut pids = Vec::new();
    for task in [3, 4] {
        let (name, text) = logs
            .iter()
            .find(|(n, _)| n.starts_with(&format!("pystorm_mixed_split_{task}_")))
            .unwrap_or_else(|| panic!("no pystorm log file for split task {task}\n{d}"));
        let line = text
            .lines()
            .find(|l| l.contains(&format!("SplitBolt ready: task {task}, pid ")))
            .unwrap_or_else(|| panic!("no ready line in {name}: {text}"));
        assert!(line.ends_with("topology.debug False"), "{line}");
        let pid: i32 = line
            .split("pid ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no pid in {line}"));
        assert_eq!(pid, pid_of_log(name), "the file name carries the pid");
        pids.push(pid);
    }
    // Python processes and the Rust tasks are all gone.
    for pid in pids {
        assert_gone(pid, "streamparse_run");
    }
    let rust_logs: Vec<&(String, String)> = logs
        .iter()
        .filter(|(n, _)| n.starts_with("streamparse_"))
        .collect();
    let rust_tasks: Vec<&str> = rust_logs
        .iter()
        .map(|(n, _)| n.rsplit_once('_').unwrap().0)
        .collect();
    assert_eq!(
        rust_tasks,
        [
            "streamparse_mixed_sentence-spout_2",
            "streamparse_mixed_word-counter_5",
            "streamparse_mixed_word-counter_6",
        ],
        "{d}"
    );
    // The Rust tasks took the fast wire `sparse run` offers; the Python ones ignored the
    // offer and stayed on JSON (their counts add up above).
    for (name, text) in &rust_logs {
        let started = text
            .lines()
            .find(|l| l.contains(" running ") && l.contains("sparse-host"))
            .unwrap_or_else(|| panic!("{name}: no start line"));
        assert!(started.ends_with(", fast wire"), "{name}: {started}");
    }
    for (name, _) in rust_logs {
        assert_gone(pid_of_log(name), "sparse-host");
    }
    assert_no_process_in(&project.0);
    // The source tree was not used as the working directory of anything but the copy.
    assert!(
        !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mixed_project/logs")
            .exists()
    );
}
