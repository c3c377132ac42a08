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

use std::collections::{HashMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::stats::ComponentStats;

struct State {
    /// Lines of the live table currently drawn at the bottom of the terminal.
    table: Vec<String>,
    /// Per-task budget for component lines.
    limiter: LineLimiter,
}

/// What the console shows of one task's lines in the current one-second window.
#[derive(Debug)]
struct TaskWindow {
    /// The task's latest distinct lines with digit runs replaced by `#` (a log line and a
    /// stderr line may alternate).
    recent: VecDeque<String>,
    start: Instant,
    shown: u32,
    hidden: u64,
}

/// Keeps a task's lines from flooding the console (see the module docs).
///
/// ```
/// use std::time::{Duration, Instant};
/// use sparse::runner::console::LineLimiter;
///
/// let (mut lim, t0, mut out) = (LineLimiter::default(), Instant::now(), Vec::new());
/// for i in 0..1000 {
///     lim.offer("[counter:3]", &format!("[counter:3] INFO counted {i}"), t0, &mut out);
/// }
/// assert_eq!(out, ["[counter:3] INFO counted 0"]); // the rest repeat its shape
/// lim.flush(t0 + Duration::from_secs(1), false, &mut out);
/// assert!(out[1].contains("999 more lines"), "{}", out[1]);
/// ```
#[derive(Debug, Default)]
pub struct LineLimiter {
    tasks: HashMap<String, TaskWindow>,
}

fn shape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                s.push('#');
            }
            in_digits = true;
        } else {
            s.push(c);
            in_digits = false;
        }
    }
    s
}

impl LineLimiter {
    /// Distinct lines shown per task and second.
    pub const MAX_PER_SEC: u32 = 20;
    const WINDOW: Duration = Duration::from_secs(1);
    /// Distinct line shapes remembered per task.
    const RECENT: usize = 4;

    fn summary(task: &str, w: &TaskWindow, now: Instant) -> String {
        format!(
            "{task} ... {} more lines in the last {:.1} s not shown (repeats, or over {} lines/s); every log record is in the task's log file",
            w.hidden,
            now.saturating_duration_since(w.start).as_secs_f64(),
            Self::MAX_PER_SEC
        )
    }

    /// Offers `line` from `task`; pushes onto `out` what to print now.
    pub fn offer(&mut self, task: &str, line: &str, now: Instant, out: &mut Vec<String>) {
        let shape = shape(line);
        let w = self
            .tasks
            .entry(task.to_string())
            .or_insert_with(|| TaskWindow {
                recent: VecDeque::new(),
                start: now,
                shown: 0,
                hidden: 0,
            });
        if now.saturating_duration_since(w.start) >= Self::WINDOW {
            if w.hidden > 0 {
                out.push(Self::summary(task, w, now));
            }
            w.start = now;
            w.shown = 0;
            w.hidden = 0;
        }
        let repeat = w.recent.contains(&shape);
        if repeat || w.shown >= Self::MAX_PER_SEC {
            w.hidden += 1;
        } else {
            w.shown += 1;
            out.push(line.to_string());
        }
        if !repeat {
            if w.recent.len() == Self::RECENT {
                w.recent.pop_front();
            }
            w.recent.push_back(shape);
        }
    }

    /// Summarises the windows that are over (all of them with `force`, at the end).
    pub fn flush(&mut self, now: Instant, force: bool, out: &mut Vec<String>) {
        let mut names: Vec<&String> = self.tasks.keys().collect();
        names.sort();
        let mut done = Vec::new();
        for name in names {
            let w = &self.tasks[name];
            if w.hidden > 0 && (force || now.saturating_duration_since(w.start) >= Self::WINDOW) {
                out.push(Self::summary(name, w, now));
                done.push(name.clone());
            }
        }
        for name in done {
            if let Some(w) = self.tasks.get_mut(&name) {
                w.start = now;
                w.shown = 0;
                w.hidden = 0;
            }
        }
    }
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
        "{:<20} {:<5} {:>5} {:>12} {:>12} {:>12} {:>10} {:>8} {:>12} {:>12}\n",
        "component",
        "kind",
        "tasks",
        "emitted",
        "received",
        "acked",
        "failed",
        "ticks",
        "lat mean ms",
        "lat p99 ms"
    );
    for c in stats {
        let (mean, p99) = match (&c.kind[..], c.latency.count()) {
            ("spout", n) if n > 0 => (
                format!("{:.2}", c.latency.mean_ms()),
                format!("{:.2}", c.latency.quantile_ms(0.99)),
            ),
            _ => ("-".into(), "-".into()),
        };
        let (received, ticks) = if c.kind == "spout" {
            ("-".to_string(), "-".to_string())
        } else {
            (c.received.to_string(), c.ticks.to_string())
        };
        s.push_str(&format!(
            "{:<20} {:<5} {:>5} {:>12} {:>12} {:>12} {:>10} {:>8} {:>12} {:>12}\n",
            c.id, c.kind, c.tasks, c.emitted, received, c.acked, c.failed, ticks, mean, p99
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_summarised_per_task_and_second() {
        let (mut lim, t0, mut out) = (LineLimiter::default(), Instant::now(), Vec::new());
        // 3 simulated seconds of 2,000 lines each: the same shape, and distinct lines.
        for sec in 0..3u64 {
            for i in 0..1000u64 {
                let at = t0 + Duration::from_millis(sec * 1000 + i);
                lim.offer("[a:1]", &format!("[a:1] WARN x: line {i}"), at, &mut out);
                lim.offer(
                    "[b:2]",
                    &format!("[b:2] word{} {}", (b'a' + (i % 26) as u8) as char, i),
                    at,
                    &mut out,
                );
            }
        }
        lim.flush(t0 + Duration::from_secs(3), true, &mut out);
        let of = |task: &str| {
            out.iter()
                .filter(|l| l.starts_with(task))
                .cloned()
                .collect::<Vec<_>>()
        };
        let count = |lines: &[String]| -> u64 {
            lines
                .iter()
                .filter_map(|l| {
                    l.split_once(" ... ")?
                        .1
                        .split(' ')
                        .next()?
                        .parse::<u64>()
                        .ok()
                })
                .sum()
        };
        let a = of("[a:1]");
        assert_eq!(a[0], "[a:1] WARN x: line 0");
        assert_eq!(a.len(), 4, "{a:?}"); // one line, then one summary per second
        assert_eq!(count(&a), 2999);
        let b = of("[b:2]");
        let shown = b.iter().filter(|l| !l.contains(" ... ")).count() as u64;
        assert_eq!(shown, 3 * u64::from(LineLimiter::MAX_PER_SEC), "{b:?}");
        assert_eq!(shown + count(&b), 3000);
    }

    #[test]
    fn a_quiet_task_is_shown_in_full() {
        let (mut lim, t0, mut out) = (LineLimiter::default(), Instant::now(), Vec::new());
        for (i, l) in ["starting", "connected to 10.0.0.1", "ready"]
            .iter()
            .enumerate()
        {
            lim.offer("[a:1]", l, t0 + Duration::from_millis(i as u64), &mut out);
        }
        lim.flush(t0 + Duration::from_secs(5), true, &mut out);
        assert_eq!(out, ["starting", "connected to 10.0.0.1", "ready"]);
    }
}
