//! Console output: component lines prefixed `[component:task]`, the live statistics
//! display, and the final summary table.
//!
//! Every line goes through one [`Console`] so lines from many threads do not interleave.
//! On a terminal the live table is redrawn in place below the log lines (ANSI cursor
//! movement); elsewhere a plain status line is printed every few seconds.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use super::stats::ComponentStats;

struct State {
    /// Lines of the live table currently drawn at the bottom of the terminal.
    table: Vec<String>,
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
            state: Mutex::new(State { table: Vec::new() }),
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
        let mut st = self.state.lock().unwrap();
        let mut out = std::io::stderr().lock();
        self.clear_table(&st, &mut out);
        st.table.clear();
        let _ = out.flush();
    }
}

/// The live table: per component, tasks, emitted, acked, failed and rates per second
/// since the previous refresh (`prev` holds the counters then).
pub fn live_table(
    stats: &[ComponentStats],
    prev: &[(u64, u64, u64)],
    secs: f64,
    elapsed: f64,
) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<20} {:>5} {:>12} {:>10} {:>12} {:>10} {:>10} {:>8}   t={elapsed:.0}s",
        "component", "tasks", "emitted", "emit/s", "acked", "ack/s", "failed", "fail/s"
    )];
    for (s, p) in stats.iter().zip(prev) {
        let rate = |now: u64, before: u64| (now.saturating_sub(before)) as f64 / secs.max(1e-3);
        lines.push(format!(
            "{:<20} {:>5} {:>12} {:>10.0} {:>12} {:>10.0} {:>10} {:>8.0}",
            s.id,
            s.tasks,
            s.emitted,
            rate(s.emitted, p.0),
            s.acked,
            rate(s.acked, p.1),
            s.failed,
            rate(s.failed, p.2),
        ));
    }
    lines
}

/// One plain status line (non-terminal output).
pub fn status_line(stats: &[ComponentStats], elapsed: f64) -> String {
    let parts: Vec<String> = stats
        .iter()
        .map(|s| format!("{} e={} a={} f={}", s.id, s.emitted, s.acked, s.failed))
        .collect();
    format!("[sparse run] t={elapsed:.0}s {}", parts.join(" | "))
}

/// The final summary table.
pub fn summary_table(stats: &[ComponentStats]) -> String {
    let mut s = format!(
        "{:<20} {:<5} {:>5} {:>12} {:>12} {:>10} {:>12} {:>12}\n",
        "component", "kind", "tasks", "emitted", "acked", "failed", "lat mean ms", "lat p99 ms"
    );
    for c in stats {
        let (mean, p99) = match (&c.kind[..], c.latency.count()) {
            ("spout", n) if n > 0 => (
                format!("{:.2}", c.latency.mean_ms()),
                format!("{:.2}", c.latency.quantile_ms(0.99)),
            ),
            _ => ("-".into(), "-".into()),
        };
        s.push_str(&format!(
            "{:<20} {:<5} {:>5} {:>12} {:>12} {:>10} {:>12} {:>12}\n",
            c.id, c.kind, c.tasks, c.emitted, c.acked, c.failed, mean, p99
        ));
    }
    s
}
