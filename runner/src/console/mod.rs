//! Console output: component lines prefixed `[component:task]`, the live statistics
//! display, and the final summary table.
//!
//! Every line goes through one [`Console`] so lines from many threads do not interleave.
//! On a terminal the live table is redrawn in place below the log lines (ANSI cursor
//! movement); elsewhere a plain status line is printed every few seconds.
//!
//! A task's own lines (its `log` commands and stderr) go through a [`LineLimiter`]: a
//! component logging thousands of lines a second does not flood the terminal. Lines that
//! repeat one of the task's last few lines (digits aside) and lines beyond [`LineLimiter::MAX_PER_SEC`] a
//! second are counted, and one line per task and second says how many were not shown.
//! The task's log file (`sparse-host`) keeps every record.
//!
//! The parts: [`Console`] (here) serialises the writes; `limit` holds [`LineLimiter`];
//! `tables` draws the live table and the summary fitted to the terminal
//! ([`live_table`], [`summary_table_at`]).

mod limit;
mod tables;

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

pub use limit::LineLimiter;
pub use tables::{
    live_table, live_table_for_terminal, status_line, summary_table, summary_table_at, width_of,
};

struct State {
    /// Lines of the live table currently drawn at the bottom of the terminal.
    table: Vec<String>,
    /// Per-task budget for component lines.
    limiter: LineLimiter,
}

/// Serialised access to stderr.
pub struct Console {
    tty: bool,
    state: Mutex<State>,
}

impl Console {
    /// A console on stderr; the live table is drawn in place only when stderr is a terminal
    /// and `live` is true.
    pub fn stderr(live: bool) -> Self {
        Console {
            tty: live && std::io::stderr().is_terminal(),
            state: Mutex::new(State {
                table: Vec::new(),
                limiter: LineLimiter::default(),
            }),
        }
    }

    /// True when the live table is drawn in place.
    pub fn is_tty(&self) -> bool {
        self.tty
    }

    fn clear_table(&self, st: &State, out: &mut impl Write) {
        if self.tty && !st.table.is_empty() {
            let _ = write!(out, "\x1b[{}A\x1b[J", st.table.len());
        }
    }

    fn draw_table(st: &State, out: &mut impl Write) {
        for l in &st.table {
            let _ = writeln!(out, "{l}");
        }
    }

    /// Prints one line (above the live table, if any).
    pub fn line(&self, text: &str) {
        let st = self.state.lock().unwrap();
        let mut out = std::io::stderr().lock();
        self.clear_table(&st, &mut out);
        let _ = writeln!(out, "{text}");
        if self.tty {
            Self::draw_table(&st, &mut out);
        }
        let _ = out.flush();
    }

    /// Prints a line of a task's own output (log command, stderr) unless it is a repeat
    /// or over the task's budget (see [`LineLimiter`]).
    pub fn task_line(&self, task: &str, text: &str) {
        let mut lines = Vec::new();
        self.state
            .lock()
            .unwrap()
            .limiter
            .offer(task, text, Instant::now(), &mut lines);
        for l in lines {
            self.line(&l);
        }
    }

    /// Prints the summaries of lines not shown, for windows that are over (call about
    /// once a second), or all of them with `force`.
    pub fn flush_hidden(&self, force: bool) {
        let mut lines = Vec::new();
        self.state
            .lock()
            .unwrap()
            .limiter
            .flush(Instant::now(), force, &mut lines);
        for l in lines {
            self.line(&l);
        }
    }

    /// Replaces the live table (terminal) or prints it as plain lines (elsewhere).
    pub fn table(&self, lines: Vec<String>) {
        let mut st = self.state.lock().unwrap();
        let mut out = std::io::stderr().lock();
        if self.tty {
            self.clear_table(&st, &mut out);
            st.table = lines;
            Self::draw_table(&st, &mut out);
        } else {
            for l in &lines {
                let _ = writeln!(out, "{l}");
            }
        }
        let _ = out.flush();
    }

    /// Removes the live table (before the final summary).
    pub fn finish(&self) {
        self.flush_hidden(true);
        let mut st = self.state.lock().unwrap();
        let mut out = std::io::stderr().lock();
        self.clear_table(&st, &mut out);
        st.table.clear();
        let _ = out.flush();
    }
}
