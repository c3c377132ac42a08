//! [`LineLimiter`]: keeps a task's own lines (its `log` commands and stderr) from flooding
//! the console. Repeats of a recent line shape (digits aside) and lines over the per-second
//! budget are counted and summarised once a second per task.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

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
/// use sparse_runner::console::LineLimiter;
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
