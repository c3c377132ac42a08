//! A task's stderr: each line echoed on the console prefixed `[component:task]`, the last
//! ones kept for failure reports ([`StderrTail`]), an overlong line cut.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::console::Console;

/// The last stderr lines of a task, and whether its stderr has closed.
#[derive(Default)]
pub struct StderrTail {
    lines: Mutex<VecDeque<String>>,
    done: AtomicBool,
}

impl StderrTail {
    const KEEP: usize = 20;
    /// The longest line kept for a failure report.
    const LINE_MAX: usize = 2048;

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().cloned().collect()
    }

    /// Waits (bounded) until stderr has reached end of input.
    pub fn wait_done(&self, max: Duration) {
        let end = Instant::now() + max;
        while !self.done.load(Ordering::Acquire) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The longest stderr line echoed and kept whole; a longer one is cut here, marked, and
/// the rest of it (up to its newline) dropped.
pub const STDERR_LINE_MAX: usize = 32 * 1024;

/// The mark that ends a cut stderr line.
pub fn cut_mark() -> String {
    format!(" [... line cut at {STDERR_LINE_MAX} bytes by sparse run]")
}

fn stderr_line(prefix: &str, line: &[u8], cut: bool, tail: &StderrTail, console: &Console) {
    let text = String::from_utf8_lossy(line);
    let mut text = text.trim_end_matches(['\n', '\r']).to_string();
    if cut {
        text.push_str(&cut_mark());
    }
    console.task_line(prefix, &format!("{prefix} {text}"));
    // A failure report quotes the last lines: shorter still.
    if text.len() > StderrTail::LINE_MAX {
        let mut end = StderrTail::LINE_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" [...]");
    }
    let mut l = tail.lines.lock().unwrap();
    if l.len() == StderrTail::KEEP {
        l.pop_front();
    }
    l.push_back(text);
}

pub(super) fn stderr_loop(
    prefix: String,
    stderr: impl Read,
    tail: Arc<StderrTail>,
    console: Arc<Console>,
) {
    let mut r = BufReader::with_capacity(64 * 1024, stderr);
    let mut line = Vec::new();
    // Dropping the rest of a line that was cut.
    let mut skipping = false;
    loop {
        let buf = match r.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(b) => b,
        };
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let used = chunk.len() + usize::from(newline.is_some());
        if skipping {
            skipping = newline.is_none();
        } else if line.len() + chunk.len() > STDERR_LINE_MAX {
            let room = STDERR_LINE_MAX - line.len();
            line.extend_from_slice(&chunk[..room]);
            stderr_line(&prefix, &line, true, &tail, &console);
            line.clear();
            skipping = newline.is_none();
        } else {
            line.extend_from_slice(chunk);
            if newline.is_some() {
                stderr_line(&prefix, &line, false, &tail, &console);
                line.clear();
            }
        }
        r.consume(used);
    }
    if !line.is_empty() {
        stderr_line(&prefix, &line, false, &tail, &console);
    }
    tail.done.store(true, Ordering::Release);
}
