//! The host side of the ABI: the callbacks a component calls while the host is inside one
//! of its entry points (emit, ack, fail, log, report_error, metrics), and the checks an
//! emit passes before it is written into the session's output buffer.

use std::ffi::c_void;
use std::io::{Read, Write};

use log::Level;
use plugin_api::abi::{EmitV1, STATUS_HOST_FAILED, STATUS_INVALID, STATUS_OK, SpStr};
use sparse_protocol::{fastwire, json};

use super::{DIRECT_TASK_OFFSET, Session};
use crate::logging::LogHandle;

impl<R: Read, W: Write> Session<R, W> {
    fn check_emit(&self, stream: &str, direct_task: i64, values: &str) -> Result<(), String> {
        let name = if stream.is_empty() { "default" } else { stream };
        if direct_task == 0 && self.default_ok && name == "default" {
            return match self.default_arity {
                Some(n) => self.check_arity(name, n, values),
                None => Ok(()),
            };
        }
        if name.starts_with("__") {
            return Err(format!(
                "emit to the system stream {name:?} refused (streams starting with __ are Storm's own)"
            ));
        }
        if let Some(streams) = &self.streams
            && !streams.contains_key(name)
        {
            let mut known: Vec<&str> = streams.keys().map(String::as_str).collect();
            known.sort_unstable();
            return Err(format!(
                "emit to undeclared stream {name:?} refused (Storm would kill the task); declared: {}",
                known.join(", ")
            ));
        }
        if !(0..=i64::from(i32::MAX)).contains(&direct_task) {
            return Err(format!(
                "emit to direct task {direct_task} refused (task ids are positive 32-bit numbers)"
            ));
        }
        match self.streams.as_ref().and_then(|s| s.get(name)) {
            Some(fields) => self.check_arity(name, fields.len(), values),
            None => Ok(()),
        }
    }

    /// Storm refuses a tuple whose number of values differs from its stream's fields.
    fn check_arity(&self, stream: &str, declared: usize, values: &str) -> Result<(), String> {
        match sparse_protocol::array::count_values(values) {
            Some(n) if n == declared => Ok(()),
            Some(n) => {
                let fields = self
                    .streams
                    .as_ref()
                    .and_then(|s| s.get(stream))
                    .map(|f| f.join(", "))
                    .unwrap_or_default();
                Err(format!(
                    "{}: emit of {n} value{} to stream {stream:?} refused: it declares {declared} field{} [{fields}] (Storm would kill the task)",
                    self.whoami,
                    if n == 1 { "" } else { "s" },
                    if declared == 1 { "" } else { "s" },
                ))
            }
            None => Err(format!(
                "{}: emit to stream {stream:?} refused: the values are not a JSON array",
                self.whoami
            )),
        }
    }

    fn emit(&mut self, e: &EmitV1) -> i32 {
        // SAFETY: borrowed from the plugin for the call.
        let (stream, values, message_id) =
            unsafe { (e.stream.as_str(), e.values.as_str(), e.message_id.as_str()) };
        if let Err(msg) = self.check_emit(stream, e.direct_task, values) {
            log::error!("{msg}");
            self.refusal = Some(msg);
            return STATUS_INVALID;
        }
        if values.is_empty() {
            log::error!("emit without values refused");
            return STATUS_INVALID;
        }
        if self.fast {
            return self.emit_fast(e, stream, values, message_id);
        }
        let out = &mut self.out;
        out.extend_from_slice(b"{\"command\":\"emit\",\"tuple\":");
        out.extend_from_slice(values.as_bytes());
        if !stream.is_empty() && stream != "default" {
            out.extend_from_slice(b",\"stream\":");
            json::write_str(out, stream);
        }
        if self.is_spout {
            if !message_id.is_empty() {
                out.extend_from_slice(b",\"id\":");
                out.extend_from_slice(message_id.as_bytes());
            }
        } else if e.anchor_count > 0 && !e.anchors.is_null() {
            // SAFETY: `anchor_count` borrowed strings, per the ABI.
            let anchors = unsafe { std::slice::from_raw_parts(e.anchors, e.anchor_count) };
            out.extend_from_slice(b",\"anchors\":[");
            for (i, a) in anchors.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // SAFETY: borrowed raw JSON ids.
                out.extend_from_slice(unsafe { a.as_str() }.as_bytes());
            }
            out.push(b']');
        }
        let want_ids = e.need_task_ids != 0 && e.direct_task == 0;
        if e.direct_task != 0 {
            // Storm >= 2.6 parses a small `task` as Integer and then fails casting it to
            // Long, killing the task. Adding 2^32 makes it a Long, and Storm emits to its
            // low 32 bits, `(int) task`: the same task on every Storm version.
            out.extend_from_slice(b",\"task\":");
            json::write_i64(out, e.direct_task + DIRECT_TASK_OFFSET);
        } else if !want_ids {
            out.extend_from_slice(b",\"need_task_ids\":false");
        }
        out.extend_from_slice(b"}\nend\n");
        self.after_emit(e, want_ids)
    }

    /// The emit on the fast wire: the same message, values converted from the component's
    /// JSON to binary.
    fn emit_fast(&mut self, e: &EmitV1, stream: &str, values: &str, message_id: &str) -> i32 {
        let mut anchors: Vec<&str> = Vec::new();
        if !self.is_spout && e.anchor_count > 0 && !e.anchors.is_null() {
            // SAFETY: `anchor_count` borrowed strings, per the ABI.
            let raw = unsafe { std::slice::from_raw_parts(e.anchors, e.anchor_count) };
            // SAFETY: borrowed raw JSON ids.
            anchors.extend(raw.iter().map(|a| unsafe { a.as_str() }));
        }
        let want_ids = e.need_task_ids != 0 && e.direct_task == 0;
        let parts = fastwire::EmitParts {
            stream: (!stream.is_empty() && stream != "default").then_some(stream),
            // See the JSON path for why 2^32 is added.
            task: (e.direct_task != 0).then_some(e.direct_task + DIRECT_TASK_OFFSET),
            // As on the JSON wire, where a direct emit leaves the field out (true).
            need_task_ids: want_ids || e.direct_task != 0,
            anchors: &anchors,
            id: (self.is_spout && !message_id.is_empty()).then_some(message_id),
            values,
        };
        if let Err(err) = fastwire::write_emit(&mut self.out, &parts) {
            let msg = format!("{}: emit refused: {err}", self.whoami);
            log::error!("{msg}");
            self.refusal = Some(msg);
            return STATUS_INVALID;
        }
        self.after_emit(e, want_ids)
    }

    fn after_emit(&mut self, e: &EmitV1, want_ids: bool) -> i32 {
        self.emitted += 1;
        if want_ids {
            let ids = match self.flush().and_then(|()| self.read_task_ids()) {
                Ok(ids) => ids,
                Err(err) => {
                    self.failure = Some(err);
                    return STATUS_HOST_FAILED;
                }
            };
            if let Some(sink) = e.task_ids_sink {
                // SAFETY: the plugin's sink with its own user pointer; ids borrowed.
                unsafe { sink(e.task_ids_user, ids.as_ptr(), ids.len()) };
            }
        } else if let Err(err) = self.maybe_flush() {
            self.failure = Some(err);
            return STATUS_HOST_FAILED;
        }
        STATUS_OK
    }

    fn ack_or_fail(&mut self, command: &[u8], id: SpStr) -> i32 {
        if self.is_spout {
            log::error!("a spout cannot ack or fail tuples (Storm would kill the task)");
            return STATUS_INVALID;
        }
        // SAFETY: borrowed raw JSON id.
        let id = unsafe { id.as_str() };
        if id.is_empty() {
            return STATUS_INVALID;
        }
        if self.fast {
            let is_fail = command.starts_with(b"{\"command\":\"fail");
            if let Err(err) = fastwire::write_ack_fail(&mut self.out, is_fail, id) {
                log::error!("ack/fail of id {id} refused: {err}");
                return STATUS_INVALID;
            }
            return match self.maybe_flush() {
                Ok(()) => STATUS_OK,
                Err(err) => {
                    self.failure = Some(err);
                    STATUS_HOST_FAILED
                }
            };
        }
        self.out.extend_from_slice(command);
        self.out.extend_from_slice(id.as_bytes());
        self.out.extend_from_slice(b"}\nend\n");
        match self.maybe_flush() {
            Ok(()) => STATUS_OK,
            Err(err) => {
                self.failure = Some(err);
                STATUS_HOST_FAILED
            }
        }
    }

    fn report_error(&mut self, msg: &str) {
        // An error that follows a refused emit gets the reason (the component only saw a
        // status code), so Storm's error says what was wrong.
        let msg = match self.refusal.take() {
            Some(why) if !msg.contains(&why) => format!("{msg}: {why}"),
            _ => msg.to_owned(),
        };
        log::error!("{msg}");
        self.write_error(&msg);
        self.last_error = Some(msg);
    }

    fn metrics(&mut self, name: &str, params: &str) -> i32 {
        if name.is_empty() {
            return STATUS_INVALID;
        }
        if self.fast {
            return match fastwire::write_metrics(&mut self.out, name, params) {
                Ok(()) => STATUS_OK,
                Err(err) => {
                    log::error!("metrics {name:?} refused: {err}");
                    STATUS_INVALID
                }
            };
        }
        self.out
            .extend_from_slice(b"{\"command\":\"metrics\",\"name\":");
        json::write_str(&mut self.out, name);
        self.out.extend_from_slice(b",\"params\":");
        self.out.extend_from_slice(if params.is_empty() {
            b"null"
        } else {
            params.as_bytes()
        });
        self.out.extend_from_slice(b"}\nend\n");
        STATUS_OK
    }
}

/// The `LogHandle` for records from other threads (the `log` callback uses no session).
static LOG: std::sync::OnceLock<&'static LogHandle> = std::sync::OnceLock::new();

/// Makes `log` the target of the thread-safe `log` callback.
pub fn install_log(log: &'static LogHandle) {
    let _ = LOG.set(log);
}

unsafe fn session<'a, R: Read, W: Write>(ctx: *mut c_void) -> &'a mut Session<R, W> {
    // SAFETY: ctx is the session pointer given to `create`; the loop holds no reference to
    // it while the component runs.
    unsafe { &mut *(ctx as *mut Session<R, W>) }
}

pub(super) unsafe extern "C" fn cb_emit<R: Read, W: Write>(
    ctx: *mut c_void,
    e: *const EmitV1,
) -> i32 {
    if e.is_null() {
        return STATUS_INVALID;
    }
    // SAFETY: see `session`; `e` is valid for the call.
    unsafe { session::<R, W>(ctx).emit(&*e) }
}

pub(super) unsafe extern "C" fn cb_ack<R: Read, W: Write>(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `session`.
    unsafe { session::<R, W>(ctx).ack_or_fail(b"{\"command\":\"ack\",\"id\":", id) }
}

pub(super) unsafe extern "C" fn cb_fail<R: Read, W: Write>(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `session`.
    unsafe { session::<R, W>(ctx).ack_or_fail(b"{\"command\":\"fail\",\"id\":", id) }
}

pub(super) unsafe extern "C" fn cb_log(_ctx: *mut c_void, level: u32, target: SpStr, msg: SpStr) {
    let level = match level {
        1 => Level::Error,
        2 => Level::Warn,
        3 => Level::Info,
        4 => Level::Debug,
        _ => Level::Trace,
    };
    if let Some(log) = LOG.get() {
        // SAFETY: borrowed for the call.
        let (target, msg) = unsafe { (target.as_str(), msg.as_str()) };
        log.plugin_record(level, target, msg);
    }
}

pub(super) unsafe extern "C" fn cb_report_error<R: Read, W: Write>(ctx: *mut c_void, msg: SpStr) {
    // SAFETY: see `session`; `msg` borrowed for the call.
    unsafe { session::<R, W>(ctx).report_error(msg.as_str()) }
}

pub(super) unsafe extern "C" fn cb_metrics<R: Read, W: Write>(
    ctx: *mut c_void,
    name: SpStr,
    params: SpStr,
) -> i32 {
    // SAFETY: see `session`; borrowed for the call.
    unsafe { session::<R, W>(ctx).metrics(name.as_str(), params.as_str()) }
}

pub(super) unsafe extern "C" fn cb_max_log_level(_ctx: *mut c_void) -> u32 {
    match LOG.get().map(|l| l.max_level()) {
        Some(log::LevelFilter::Off) => 0,
        Some(log::LevelFilter::Error) => 1,
        Some(log::LevelFilter::Warn) => 2,
        Some(log::LevelFilter::Info) | None => 3,
        Some(log::LevelFilter::Debug) => 4,
        Some(log::LevelFilter::Trace) => 5,
    }
}
