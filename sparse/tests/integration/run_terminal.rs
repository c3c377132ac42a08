//! `sparse run` on a real terminal: the wordcount topology runs in a detached tmux pane
//! of 80 and of 200 columns, and the pane's whole history is read back after the run.
//!
//! The live table is redrawn in place by moving the cursor up one row per line; a line
//! wider than the terminal wraps onto two rows, the redraw leaves the rest behind and
//! old tables pile up on the screen. So after a run whose table was drawn at least
//! twice, none of it may be left in the history, and the summary's lines (joined back
//! with `capture-pane -J` where tmux wrapped them) must fit the width. Nothing here
//! depends on timing: the pane is read once the command has finished.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::run_wordcount::{TempDir, ensure_release_binaries, target_dir, wordcount_project};

/// A private tmux server (its own socket), killed when dropped.
struct Tmux(String);

impl Tmux {
    fn new(tag: &str) -> Tmux {
        Tmux(format!("sparse-test-{tag}-{}", std::process::id()))
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.0)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux (install it: apt-get install tmux): {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Runs `sparse run -n wordcount -t 3` in a `width` x 40 tmux pane and returns the
/// pane's history with wrapped lines joined.
fn run_in_tmux(width: u16) -> String {
    ensure_release_binaries();
    let project = wordcount_project(&format!("tmux{width}"));
    let scratch = TempDir::new(&format!("tmux{width}-done"));
    let done = scratch.0.join("done");
    let script = format!(
        "cd {} && env -u SPARSE_PLUGIN_PATH CARGO_TARGET_DIR={} {} run --no-build -n wordcount -t 3; echo \"exit=$?\"; touch {}; sleep 600",
        quote(&project.0),
        quote(&target_dir()),
        quote(Path::new(env!("CARGO_BIN_EXE_sparse"))),
        quote(&done),
    );
    let tmux = Tmux::new(&width.to_string());
    let w = width.to_string();
    tmux.cmd(&[
        "new-session",
        "-d",
        "-x",
        &w,
        "-y",
        "40",
        "-s",
        "run",
        "sh",
        "-c",
        &script,
    ]);
    // The pane's size can follow a client's; there is none, but pin it anyway.
    tmux.cmd(&["set-option", "-t", "run", "window-size", "manual"]);
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done.exists() {
        assert!(Instant::now() < deadline, "sparse run did not end in 90 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = tmux.cmd(&[
        "capture-pane",
        "-p",
        "-J",
        "-S",
        "-",
        "-E",
        "-",
        "-t",
        "run",
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check(width: usize) -> Vec<String> {
    let pane = run_in_tmux(width as u16);
    let lines: Vec<String> = pane.lines().map(|l| l.trim_end().to_string()).collect();
    assert!(lines.iter().any(|l| l == "exit=0"), "{pane}");
    // The live table (title `[sparse run] t=…`, header with `emit/s`) was cleared whole.
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("emit/s") || l.starts_with("[sparse run] t=")),
        "live table left on the screen:\n{pane}"
    );
    let head = lines
        .iter()
        .position(|l| l.starts_with("component "))
        .unwrap_or_else(|| panic!("no summary:\n{pane}"));
    let end = lines
        .iter()
        .position(|l| l.starts_with("[INFO] stopped"))
        .unwrap_or_else(|| panic!("no stop line:\n{pane}"));
    let summary = &lines[head..end];
    for l in summary {
        assert!(
            l.chars().count() <= width,
            "summary line of {} chars at {width} columns: {l:?}\n{pane}",
            l.chars().count()
        );
    }
    for id in ["sentence-spout", "sentence-splitter", "word-counter"] {
        assert!(summary.iter().any(|l| l.starts_with(id)), "{id}:\n{pane}");
    }
    summary.to_vec()
}

#[test]
fn live_table_and_summary_fit_an_80_column_terminal() {
    let summary = check(80);
    assert!(
        summary
            .iter()
            .any(|l| l.contains("not shown at 80 columns")),
        "{summary:#?}"
    );
}

#[test]
fn a_200_column_terminal_shows_every_summary_column() {
    let summary = check(200);
    for h in ["kind", "received", "ticks", "lat mean", "lat p99"] {
        assert!(summary[0].contains(h), "{h}: {summary:#?}");
    }
}
