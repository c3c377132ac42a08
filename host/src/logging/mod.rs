//! Per-task logging for `sparse-host`: a rotating log file per task, levels from the
//! handshake conf, and forwarding of selected records to Storm.
//!
//! # Pieces
//!
//! * [`LogSettings::from_conf`] reads `streamparse.log.*` (and the `pystorm.log.*` aliases,
//!   and `topology.debug`) from the handshake conf; see [`settings`].
//! * [`log_file_name`] names the file `streamparse_<topology>_<component>_<task>_<pid>.log`
//!   with unsafe characters replaced; see [`sanitize`].
//! * [`RotatingFile`] writes whole lines and rotates like Python's `RotatingFileHandler`,
//!   measured in bytes; see [`rotating`].
//! * [`TaskLog`] is the filter and router: it formats a record (see [`format`](mod@format)
//!   for the line format), writes it to the file and/or queues it for Storm. It is a plain
//!   value, usable and testable without the process-wide logger.
//! * [`init`] wraps a `TaskLog` in an `Arc`, installs it as the `log` crate's logger (for the
//!   host's own `log::info!` etc.) and returns a [`LogHandle`] through which the host feeds
//!   plugin records and drains Storm-bound records.
//!
//! # Routing
//!
//! A record less severe than `level` is dropped before anything else happens (the `log`
//! macros do not even build their arguments, because [`init`] sets `log::set_max_level`,
//! and [`LogHandle::plugin_record`] compares levels first). A record that passes:
//!
//! * is written to the log file, if there is one;
//! * is **also** queued for Storm if it is at least as severe as `storm_level`
//!   (`storm_level` below `level` therefore has no extra effect);
//! * when there is no file (no path configured, the directory unusable at start-up, or the
//!   file failed later) is queued for Storm instead. This is what Storm users see in the
//!   worker log.
//!
//! Storm-bound records are queued, never written here: the protocol loop moves them out with
//! [`LogHandle::drain_storm_records`] (after the `pid` reply, between messages) and sends
//! `{"command":"log","msg":..,"level":n}` itself, with Storm's levels 0 trace, 1 debug,
//! 2 info, 3 warn, 4 error. The message is `"<LEVEL> <target>: <message>"`, unescaped
//! (the level is repeated in the text because Storm 2.6.0–2.8.0 ignores the numeric level).
//! At most [`MAX_STORM_QUEUE_BYTES`] of messages are queued between two drains; beyond
//! that records for Storm are dropped (they still reach the file) and the next drain
//! appends one warning saying how many were dropped.
//!
//! # Failures
//!
//! If the directory cannot be created or the file cannot be opened, [`TaskLog::new`] (and
//! so [`init`]) still succeeds: it records a warning (see [`TaskLog::warnings`]), writes it
//! to stderr, queues it for Storm at warn level, and logs to Storm only. Any later I/O
//! error on the file (write, flush, rotation) does the same: the file is abandoned and
//! logging continues to Storm only. Logging never panics and never stops the task.
//!
//! # Flushing
//!
//! The file is buffered. It is flushed by [`LogHandle::flush`] (call it on every exit path,
//! before `std::process::exit`, which runs no destructors), when the [`LogHandle`] is
//! dropped, and at least once a second while records are written or
//! [`LogHandle::drain_storm_records`] is called (the elapsed time is checked on each; there
//! is no timer thread).
//!
//! # Cost
//!
//! A disabled record costs one comparison. An enabled file-only record costs a clock read,
//! one uncontended mutex lock and the formatting into a reused line buffer: no heap
//! allocation. A Storm-bound record allocates its message `String` (it has to be owned by
//! the queue); the message is formatted once and reused for the file line.
//!
//! # Re-entrancy
//!
//! A record logged while another record is being formatted on the same thread (a `Display`
//! impl that itself logs) is discarded instead of deadlocking.

pub mod format;
pub mod rotating;
pub mod sanitize;
pub mod settings;
pub mod worker_dir;

use std::cell::Cell;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use log::{Level, LevelFilter, Log, Metadata, Record};

use format::{Message, TimeFormatter};

pub use format::storm_level_number;
pub use rotating::RotatingFile;
pub use sanitize::{TaskIdentity, log_file_name, sanitize_name};
pub use settings::{LogConfigError, LogSettings, parse_level};

/// Most bytes of Storm-bound messages queued between two drains.
pub const MAX_STORM_QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// Line buffers grown beyond this by a huge record are shrunk back after use.
const MAX_KEPT_LINE_CAPACITY: usize = 64 * 1024;
const INITIAL_LINE_CAPACITY: usize = 512;

/// The filter and router for one task's records; see the [module documentation](self).
///
/// Thread-safe (`Sync`): all mutable state sits behind one mutex.
pub struct TaskLog {
    level: LevelFilter,
    storm_level: LevelFilter,
    /// `component:task`, escaped, computed once.
    prefix: Vec<u8>,
    /// The file opened at start-up, if any.
    file_path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

struct Inner {
    file: Option<RotatingFile>,
    line: Vec<u8>,
    time: TimeFormatter,
    storm: Vec<(u8, String)>,
    storm_bytes: usize,
    storm_dropped: u64,
    warnings: Vec<String>,
}

impl Inner {
    /// Records a warning: kept, written to stderr and queued for Storm.
    fn warn(&mut self, text: String) {
        crate::warn_stderr!("sparse-host: warning: {text}");
        self.queue(
            storm_level_number(Level::Warn),
            format!("WARN sparse_host::logging: {text}"),
        );
        self.warnings.push(text);
    }

    fn queue(&mut self, level: u8, msg: String) {
        if self.storm_bytes + msg.len() > MAX_STORM_QUEUE_BYTES {
            self.storm_dropped += 1;
            return;
        }
        self.storm_bytes += msg.len();
        self.storm.push((level, msg));
    }

    /// Abandons the file after an I/O error; from now on records go to Storm only.
    fn file_failed(&mut self, err: &io::Error, level: LevelFilter) {
        let path = self.file.take().map(|f| f.path().display().to_string());
        self.warn(format!(
            "log file {} failed: {err}; logging to Storm only from now on (records at {} and above)",
            path.as_deref().unwrap_or("?"),
            level_name(level),
        ));
    }
}

fn level_name(level: LevelFilter) -> &'static str {
    match level {
        LevelFilter::Off => "off",
        LevelFilter::Error => "error",
        LevelFilter::Warn => "warning",
        LevelFilter::Info => "info",
        LevelFilter::Debug => "debug",
        LevelFilter::Trace => "trace",
    }
}

impl TaskLog {
    /// Builds the task's log: opens (creating the directory if needed)
    /// `<settings.path>/<log_file_name(id)>` when a path is set.
    ///
    /// Never fails: if the file cannot be opened, a warning is recorded, written to stderr
    /// and queued for Storm, and records go to Storm only.
    pub fn new(settings: &LogSettings, id: &TaskIdentity) -> TaskLog {
        let mut inner = Inner {
            file: None,
            line: Vec::with_capacity(INITIAL_LINE_CAPACITY),
            time: TimeFormatter::new(),
            storm: Vec::new(),
            storm_bytes: 0,
            storm_dropped: 0,
            warnings: Vec::new(),
        };
        let mut file_path = None;
        if let Some(dir) = &settings.path {
            let path = dir.join(log_file_name(id));
            match RotatingFile::open(&path, settings.max_bytes, settings.backup_count) {
                Ok(f) => {
                    inner.file = Some(f);
                    file_path = Some(path);
                }
                Err(e) => inner.warn(format!(
                    "cannot write log file {}: {e}; logging to Storm only (records at {} and above)",
                    path.display(),
                    level_name(settings.level),
                )),
            }
        }
        TaskLog {
            level: settings.level,
            storm_level: settings.storm_level,
            prefix: format::line_prefix(&id.component, id.task_id),
            file_path,
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in a Display impl while formatting must not disable logging for good.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The least severe level that is logged at all.
    pub fn max_level(&self) -> LevelFilter {
        self.level
    }

    /// The least severe level also sent to Storm while a file is in use.
    pub fn storm_level(&self) -> LevelFilter {
        self.storm_level
    }

    /// The log file opened at start-up; `None` if no path is configured or it could not be
    /// opened. (Still `Some` after a later I/O error made the log fall back to Storm.)
    pub fn log_file_path(&self) -> Option<&Path> {
        self.file_path.as_deref()
    }

    /// Whether records are currently written to a file.
    pub fn file_active(&self) -> bool {
        self.lock().file.is_some()
    }

    /// Warnings recorded so far (unusable directory, later I/O errors).
    pub fn warnings(&self) -> Vec<String> {
        self.lock().warnings.clone()
    }

    /// Logs an already formatted record (e.g. forwarded by a plugin).
    pub fn record(&self, level: Level, target: &str, msg: &str) {
        self.log_message(level, target, Message::Str(msg));
    }

    /// Logs a record whose message is formatted only if the level is enabled.
    pub fn record_args(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        self.log_message(level, target, Message::Args(args));
    }

    fn log_message(&self, level: Level, target: &str, msg: Message<'_>) {
        if level > self.level {
            return;
        }
        let Ok(_busy) = BusyGuard::enter() else {
            return;
        };
        let now = SystemTime::now();
        let mut guard = self.lock();
        let inner = &mut *guard;

        let to_storm = inner.file.is_none() || level <= self.storm_level;
        let mut storm_msg = to_storm.then(|| storm_message(level, target, msg));

        if let Some(file) = inner.file.as_mut() {
            let text = match &storm_msg {
                Some((s, offset)) => Message::Str(&s[*offset..]),
                None => msg,
            };
            inner.line.clear();
            format::format_line(
                &mut inner.line,
                &mut inner.time,
                now,
                level,
                &self.prefix,
                target,
                text,
            );
            let result = file.write_record(&inner.line);
            if inner.line.capacity() > MAX_KEPT_LINE_CAPACITY {
                inner.line = Vec::with_capacity(INITIAL_LINE_CAPACITY);
            }
            if let Err(e) = result {
                inner.file_failed(&e, self.level);
                if storm_msg.is_none() {
                    storm_msg = Some(storm_message(level, target, msg));
                }
            }
        }
        if let Some((s, _)) = storm_msg {
            inner.queue(storm_level_number(level), s);
        }
    }

    /// Moves the queued Storm-bound records, oldest first, into `out` as
    /// `(storm_level, message)`; also flushes the file if a flush is due.
    pub fn drain_storm_records(&self, out: &mut Vec<(u8, String)>) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(file) = inner.file.as_mut()
            && let Err(e) = file.flush_if_due()
        {
            inner.file_failed(&e, self.level);
        }
        out.append(&mut inner.storm);
        inner.storm_bytes = 0;
        if inner.storm_dropped > 0 {
            out.push((
                storm_level_number(Level::Warn),
                format!(
                    "WARN sparse_host::logging: {} log records for Storm were dropped \
                     (more than {MAX_STORM_QUEUE_BYTES} bytes queued between two messages)",
                    inner.storm_dropped
                ),
            ));
            inner.storm_dropped = 0;
        }
    }

    /// Writes buffered records to the file.
    pub fn flush(&self) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(file) = inner.file.as_mut()
            && let Err(e) = file.flush()
        {
            inner.file_failed(&e, self.level);
        }
    }
}

impl fmt::Debug for TaskLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLog")
            .field("level", &self.level)
            .field("storm_level", &self.storm_level)
            .field("file_path", &self.file_path)
            .finish_non_exhaustive()
    }
}

impl Log for TaskLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        self.log_message(
            record.level(),
            record.target(),
            Message::Args(*record.args()),
        );
    }

    fn flush(&self) {
        TaskLog::flush(self);
    }
}

/// `"<LEVEL> <target>: <message>"` and the offset of the message in it.
fn storm_message(level: Level, target: &str, msg: Message<'_>) -> (String, usize) {
    let target = if target.is_empty() { "-" } else { target };
    let estimate = match msg {
        Message::Str(s) => s.len(),
        Message::Args(a) => a.as_str().map_or(64, str::len),
    };
    let mut s = String::with_capacity(level.as_str().len() + target.len() + 3 + estimate);
    s.push_str(level.as_str());
    s.push(' ');
    s.push_str(target);
    s.push_str(": ");
    let offset = s.len();
    match msg {
        Message::Str(m) => s.push_str(m),
        Message::Args(a) => {
            let _ = fmt::Write::write_fmt(&mut s, a);
        }
    }
    (s, offset)
}

thread_local! {
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as formatting a record; refuses re-entry.
struct BusyGuard {
    armed: bool,
}

impl BusyGuard {
    fn enter() -> Result<BusyGuard, ()> {
        match BUSY.try_with(|b| b.replace(true)) {
            Ok(false) => Ok(BusyGuard { armed: true }),
            Ok(true) => Err(()),
            // Thread-local storage already torn down (logging from a TLS destructor).
            Err(_) => Ok(BusyGuard { armed: false }),
        }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = BUSY.try_with(|b| b.set(false));
        }
    }
}

/// The host's handle on the installed logger; returned by [`init`].
///
/// Flushes the file when dropped.
#[derive(Debug)]
pub struct LogHandle {
    task: Arc<TaskLog>,
}

impl LogHandle {
    /// Logs a record forwarded from a plugin through the ABI. The level is compared first;
    /// a disabled record costs nothing more.
    pub fn plugin_record(&self, level: Level, target: &str, msg: &str) {
        self.task.record(level, target, msg);
    }

    /// Moves queued Storm-bound records into `out` as `(storm_level, message)` with Storm's
    /// levels 0 trace, 1 debug, 2 info, 3 warn, 4 error; the caller sends each as
    /// `{"command":"log","msg":message,"level":storm_level}`. Also flushes the file if a
    /// flush is due. Call it after the `pid` reply and between messages.
    pub fn drain_storm_records(&self, out: &mut Vec<(u8, String)>) {
        self.task.drain_storm_records(out);
    }

    /// Writes buffered records to the file. Call it on every exit path.
    pub fn flush(&self) {
        self.task.flush();
    }

    /// The least severe level that is logged (what plugins should filter on).
    pub fn max_level(&self) -> LevelFilter {
        self.task.max_level()
    }

    /// The log file opened at start-up, if any.
    pub fn log_file_path(&self) -> Option<&Path> {
        self.task.log_file_path()
    }

    /// Warnings recorded so far (e.g. the directory was unusable).
    pub fn warnings(&self) -> Vec<String> {
        self.task.warnings()
    }

    /// The underlying [`TaskLog`].
    pub fn task_log(&self) -> &TaskLog {
        &self.task
    }
}

impl Drop for LogHandle {
    fn drop(&mut self) {
        self.task.flush();
    }
}

/// [`init`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogInitError {
    /// A `log` logger is already installed in this process (it can be set only once).
    AlreadyInstalled,
}

impl fmt::Display for LogInitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogInitError::AlreadyInstalled => {
                f.write_str("a logger is already installed in this process")
            }
        }
    }
}

impl std::error::Error for LogInitError {}

/// Builds the task's [`TaskLog`], installs it as the process-wide `log` logger and sets
/// `log::set_max_level` to its level, so disabled host-side `log` macros short-circuit.
///
/// An unusable log directory is not an error: a warning is recorded (see
/// [`LogHandle::warnings`]), written to stderr and queued for Storm, and logging continues
/// to Storm only.
///
/// # Errors
///
/// [`LogInitError::AlreadyInstalled`] if a logger was installed before (at most once per
/// process).
pub fn init(settings: &LogSettings, id: &TaskIdentity) -> Result<LogHandle, LogInitError> {
    let task = Arc::new(TaskLog::new(settings, id));
    log::set_boxed_logger(Box::new(Arc::clone(&task)))
        .map_err(|_| LogInitError::AlreadyInstalled)?;
    log::set_max_level(task.max_level());
    Ok(LogHandle { task })
}

#[cfg(test)]
mod tests;
