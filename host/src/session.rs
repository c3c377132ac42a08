//! The protocol loop: one task's conversation with Storm, and the host side of the ABI.
//!
//! [`Session`] owns the input (a [`FrameReader`] over stdin) and the output buffer (for
//! the private copy of stdout). The component calls back into it through the
//! [`HostApiV1`] table while the host is inside one of the component's entry points:
//! emits, acks and fails are written straight into the output buffer, and an emit that
//! asks for task ids reads ahead, queueing any tuples or commands that arrive first
//! (Storm's two-queue rule). Output is flushed only when the loop is about to block on
//! input, never after each message.
//!
//! The host never holds a Rust reference to the session across a call into the plugin:
//! the loop works through a raw pointer and borrows the session only between calls, so
//! the callbacks' borrow of it is the only one alive while the component runs.

use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::io::{Read, Write};
use std::time::Duration;

use log::Level;
use plugin_api::abi::{
    ABI_MAJOR, ABI_MINOR, EmitV1, HostApiV1, STATUS_HOST_FAILED, STATUS_INVALID, STATUS_OK, SpStr,
    TupleV1,
};
use sparse_protocol::component::{self, BoltTuple, FrameKind, Handshake, SpoutCommand, TupleView};
use sparse_protocol::fastwire::{self, StormMsg};
use sparse_protocol::frame::FrameReader;
use sparse_protocol::json;

use crate::error::HostError;
use crate::logging::LogHandle;
use crate::plugin::Component;

/// `{"command":"next","id":""}` in both key orders, as Storm writes it.
const NEXT_FRAMES: [&str; 2] = [
    r#"{"command":"next","id":""}"#,
    r#"{"id":"","command":"next"}"#,
];

/// Added to the task of a direct emit (see `Session::emit`).
pub const DIRECT_TASK_OFFSET: i64 = 1 << 32;

/// Output is written to the pipe once this much is buffered, even without blocking.
const OUT_HIGH_WATER: usize = 64 * 1024;

/// What the handshake brought.
#[derive(Debug, Clone)]
pub struct HandshakeInfo {
    /// The `conf` object, as JSON text.
    pub conf: String,
    /// The `context` object, as JSON text.
    pub context: String,
    /// The pid directory.
    pub pid_dir: String,
}

/// One task's protocol state. Create it with [`Session::new`], then call
/// [`Session::handshake`] and [`run_component`].
pub struct Session<R: Read, W: Write> {
    reader: FrameReader<R>,
    sink: W,
    out: Vec<u8>,
    pending_cmds: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    /// Declared streams and their fields from the context (`stream->outputfields`), when
    /// it had them.
    streams: Option<HashMap<String, Vec<String>>>,
    /// The default stream may be emitted to (declared, or nothing declared at all): the
    /// common case skips the stream lookup.
    default_ok: bool,
    /// The number of fields of the default stream, when declared.
    default_arity: Option<usize>,
    /// `component:task`, for messages about this task's emits.
    whoami: String,
    /// Why the last emit was refused: added to the error the component reports next, so
    /// that Storm's error and the task log say what was wrong with the emit.
    refusal: Option<String>,
    log: Option<&'static LogHandle>,
    storm_records: Vec<(u8, String)>,
    /// An I/O or protocol failure inside a callback, reported after the call returns.
    failure: Option<HostError>,
    last_error: Option<String>,
    emitted: u64,
    is_spout: bool,
    /// Speaking the fast wire ([`fastwire`]) since the handshake.
    fast: bool,
    /// Refuse the fast wire even when Storm offers it.
    force_json: bool,
    api: HostApiV1,
}

impl<R: Read, W: Write> Session<R, W> {
    /// A session reading `input` and writing `output`.
    pub fn new(input: R, output: W) -> Box<Self> {
        Box::new(Session {
            reader: FrameReader::new(input),
            sink: output,
            out: Vec::with_capacity(OUT_HIGH_WATER + 4096),
            pending_cmds: VecDeque::new(),
            spare: Vec::new(),
            streams: None,
            default_ok: true,
            default_arity: None,
            whoami: String::new(),
            refusal: None,
            log: None,
            storm_records: Vec::new(),
            failure: None,
            last_error: None,
            emitted: 0,
            is_spout: false,
            fast: false,
            force_json: false,
            api: HostApiV1 {
                struct_size: std::mem::size_of::<HostApiV1>(),
                abi_major: ABI_MAJOR,
                abi_minor: ABI_MINOR,
                emit: cb_emit::<R, W>,
                ack: cb_ack::<R, W>,
                fail: cb_fail::<R, W>,
                log: cb_log,
                report_error: cb_report_error::<R, W>,
                metrics: cb_metrics::<R, W>,
                max_log_level: cb_max_log_level,
            },
        })
    }

    /// Stays on JSON even when Storm offers the fast wire (`SPARSE_WIRE=json`). Call before
    /// [`handshake`](Self::handshake).
    pub fn set_force_json(&mut self, force: bool) {
        self.force_json = force;
    }

    /// True when this task speaks the fast wire (decided by the handshake).
    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// Reads the setup message, creates `<pidDir>/<pid>` and queues the `{"pid": N}` reply
    /// (the first message this task sends). When the setup message offers the fast wire
    /// (`"sparseWire":"sparse-bin-1"`, see [`fastwire`]) and JSON is not forced, the reply
    /// accepts it and everything after the reply, both ways, is binary.
    pub fn handshake(&mut self) -> Result<HandshakeInfo, HostError> {
        let mut frame = Vec::new();
        let text = match self.reader.read_frame_str(&mut frame) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(HostError::Protocol(
                    "input ended before the handshake".into(),
                ));
            }
            Err(e) => return Err(HostError::Protocol(format!("reading the handshake: {e}"))),
        };
        let hs: Handshake = serde_json::from_str(text).map_err(|e| {
            HostError::Protocol(format!(
                "the handshake is not {{\"conf\":{{…}},\"pidDir\":\"…\",\"context\":{{…}}}}: {e}"
            ))
        })?;
        let offered = fastwire::offered(text);
        let pid = std::process::id();
        let dir = std::path::Path::new(hs.pid_dir.as_ref());
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::File::create(dir.join(pid.to_string())))
            .map_err(|e| {
                HostError::Io(format!(
                    "cannot create the pid file {}/{pid}: {e}",
                    dir.display()
                ))
            })?;
        self.out.extend_from_slice(b"{\"pid\":");
        json::write_i64(&mut self.out, i64::from(pid));
        if offered && !self.force_json {
            self.out.extend_from_slice(b",\"");
            self.out.extend_from_slice(fastwire::OFFER_KEY.as_bytes());
            self.out.extend_from_slice(b"\":");
            json::write_str(&mut self.out, fastwire::WIRE_NAME);
            self.fast = true;
        }
        self.out.extend_from_slice(b"}\nend\n");
        Ok(HandshakeInfo {
            conf: hs.conf.get().to_owned(),
            context: hs.context.get().to_owned(),
            pid_dir: hs.pid_dir.into_owned(),
        })
    }

    /// Uses the context's `stream->outputfields` to refuse emits to undeclared streams and
    /// emits with a wrong number of values, as Storm would (it kills the task).
    pub fn set_declared_streams(&mut self, context: &serde_json::Value) {
        self.streams = context
            .get("stream->outputfields")
            .and_then(|v| v.as_object())
            .filter(|m| !m.is_empty())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let fields = v.as_array().map_or_else(Vec::new, |a| {
                            a.iter()
                                .map(|f| f.as_str().map_or_else(|| f.to_string(), str::to_owned))
                                .collect()
                        });
                        (k.clone(), fields)
                    })
                    .collect()
            });
        self.default_ok = self
            .streams
            .as_ref()
            .is_none_or(|s| s.contains_key("default"));
        self.default_arity = self
            .streams
            .as_ref()
            .and_then(|s| s.get("default"))
            .map(Vec::len);
        let component = context
            .get("componentid")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        let task = context.get("taskid").and_then(|v| v.as_i64()).unwrap_or(0);
        self.whoami = format!("{component}:{task}");
    }

    /// The largest message accepted from Storm (`sparse.max.frame.bytes`).
    pub fn set_max_frame(&mut self, bytes: usize) {
        self.reader.set_max_frame(bytes);
    }

    /// Routes host log records and Storm-bound records through `log`.
    pub fn set_log(&mut self, log: &'static LogHandle) {
        self.log = Some(log);
    }

    /// Sends `{"command":"error","msg":…}` and flushes (best effort).
    pub fn send_error(&mut self, msg: &str) -> Result<(), HostError> {
        self.write_error(msg);
        self.flush()
    }

    fn write_error(&mut self, msg: &str) {
        if self.fast {
            return fastwire::write_error(&mut self.out, msg);
        }
        self.out
            .extend_from_slice(b"{\"command\":\"error\",\"msg\":");
        json::write_str(&mut self.out, msg);
        self.out.extend_from_slice(b"}\nend\n");
    }

    fn write_sync(&mut self) {
        if self.fast {
            return fastwire::write_sync(&mut self.out);
        }
        self.out.extend_from_slice(b"{\"command\":\"sync\"}\nend\n");
    }

    /// Moves Storm-bound log records into the output.
    fn drain_logs(&mut self) {
        let Some(log) = self.log else { return };
        log.drain_storm_records(&mut self.storm_records);
        for (level, msg) in self.storm_records.drain(..) {
            if self.fast {
                fastwire::write_log(&mut self.out, i32::from(level), &msg);
                continue;
            }
            self.out.extend_from_slice(b"{\"command\":\"log\",\"msg\":");
            json::write_str(&mut self.out, &msg);
            self.out.extend_from_slice(b",\"level\":");
            json::write_i64(&mut self.out, i64::from(level));
            self.out.extend_from_slice(b"}\nend\n");
        }
    }

    /// Writes everything buffered to the pipe.
    pub fn flush(&mut self) -> Result<(), HostError> {
        self.drain_logs();
        if !self.out.is_empty() {
            let r = self
                .sink
                .write_all(&self.out)
                .and_then(|()| self.sink.flush());
            self.out.clear();
            r.map_err(|e| HostError::Io(format!("writing to Storm (stdout): {e}")))?;
        }
        Ok(())
    }

    fn maybe_flush(&mut self) -> Result<(), HostError> {
        if self.out.len() >= OUT_HIGH_WATER {
            let r = self.sink.write_all(&self.out);
            self.out.clear();
            r.map_err(|e| HostError::Io(format!("writing to Storm (stdout): {e}")))?;
        }
        Ok(())
    }

    fn read_frame(&mut self, frame: &mut Vec<u8>) -> Result<bool, HostError> {
        if !self.reader.has_buffered_input() {
            self.flush()?;
            if let Some(log) = self.log {
                log.flush();
            }
        }
        let r = if self.fast {
            self.reader.read_sized_frame(frame)
        } else {
            self.reader.read_frame_str(frame).map(|f| f.is_some())
        };
        r.map_err(|e| HostError::Protocol(e.to_string()))
    }

    /// Task-id list (array), tuple or command (object), or neither, on either wire.
    fn kind(&self, frame: &[u8]) -> FrameKind {
        if !self.fast {
            return component::frame_kind(frame);
        }
        match fastwire::kind(frame) {
            Some(fastwire::M_TASK_IDS) => FrameKind::Array,
            Some(fastwire::M_TUPLE | fastwire::M_SPOUT) => FrameKind::Object,
            _ => FrameKind::Other,
        }
    }

    fn describe(&self, frame: &[u8]) -> String {
        if self.fast {
            let shown = &frame[..frame.len().min(32)];
            let hex: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
            format!(
                "a {}-byte fast-wire message starting {}",
                frame.len(),
                hex.join(" ")
            )
        } else {
            lossy(frame)
        }
    }

    /// The next tuple or command: a queued one first, else from the input. Task-id lists
    /// that nobody asked for are dropped with a warning. `Ok(false)` at end of input.
    fn next_command(&mut self, frame: &mut Vec<u8>) -> Result<bool, HostError> {
        if let Some(queued) = self.pending_cmds.pop_front() {
            let old = std::mem::replace(frame, queued);
            self.spare.push(old);
            return Ok(true);
        }
        loop {
            if !self.read_frame(frame)? {
                return Ok(false);
            }
            match self.kind(frame) {
                FrameKind::Object => return Ok(true),
                FrameKind::Array => {
                    log::warn!(
                        "ignoring a task-id list that no emit asked for: {}",
                        self.describe(frame)
                    );
                }
                FrameKind::Other if self.fast => {
                    return Err(HostError::Protocol(format!(
                        "expected a tuple, spout command or task ids, got {}",
                        self.describe(frame)
                    )));
                }
                FrameKind::Other => {
                    return Err(HostError::Protocol(format!(
                        "expected a JSON object or array, got {}",
                        lossy(frame)
                    )));
                }
            }
        }
    }

    /// After an emit that asked for them: reads until a task-id list arrives, queueing
    /// tuples and commands that come first.
    fn read_task_ids(&mut self) -> Result<Vec<i64>, HostError> {
        loop {
            let mut frame = self.spare.pop().unwrap_or_default();
            if !self.read_frame(&mut frame)? {
                return Err(HostError::Protocol(
                    "input ended while waiting for the task ids of an emit".into(),
                ));
            }
            if self.fast && self.kind(&frame) == FrameKind::Array {
                let ids = match fastwire::decode_storm_msg(&frame, &mut Vec::new()) {
                    Ok(StormMsg::TaskIds(ids)) => ids,
                    Ok(_) => unreachable!("kind checked"),
                    Err(e) => {
                        return Err(HostError::Protocol(format!(
                            "bad task-id list ({e}): {}",
                            self.describe(&frame)
                        )));
                    }
                };
                self.spare.push(frame);
                return Ok(ids);
            }
            match self.kind(&frame) {
                FrameKind::Array => {
                    // SAFETY: read_frame checked UTF-8.
                    let text = unsafe { std::str::from_utf8_unchecked(&frame) };
                    let ids = component::parse_task_ids(text).map_err(|e| {
                        HostError::Protocol(format!("bad task-id list {}: {e}", lossy(&frame)))
                    })?;
                    self.spare.push(frame);
                    return Ok(ids);
                }
                FrameKind::Object => self.pending_cmds.push_back(frame),
                FrameKind::Other => {
                    return Err(HostError::Protocol(format!(
                        "expected a task-id list, got {}",
                        self.describe(&frame)
                    )));
                }
            }
        }
    }

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

fn lossy(frame: &[u8]) -> String {
    let shown = &frame[..frame.len().min(200)];
    let mut s = String::from_utf8_lossy(shown).into_owned();
    if frame.len() > 200 {
        s.push('…');
    }
    s
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

unsafe extern "C" fn cb_emit<R: Read, W: Write>(ctx: *mut c_void, e: *const EmitV1) -> i32 {
    if e.is_null() {
        return STATUS_INVALID;
    }
    // SAFETY: see `session`; `e` is valid for the call.
    unsafe { session::<R, W>(ctx).emit(&*e) }
}

unsafe extern "C" fn cb_ack<R: Read, W: Write>(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `session`.
    unsafe { session::<R, W>(ctx).ack_or_fail(b"{\"command\":\"ack\",\"id\":", id) }
}

unsafe extern "C" fn cb_fail<R: Read, W: Write>(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `session`.
    unsafe { session::<R, W>(ctx).ack_or_fail(b"{\"command\":\"fail\",\"id\":", id) }
}

unsafe extern "C" fn cb_log(_ctx: *mut c_void, level: u32, target: SpStr, msg: SpStr) {
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

unsafe extern "C" fn cb_report_error<R: Read, W: Write>(ctx: *mut c_void, msg: SpStr) {
    // SAFETY: see `session`; `msg` borrowed for the call.
    unsafe { session::<R, W>(ctx).report_error(msg.as_str()) }
}

unsafe extern "C" fn cb_metrics<R: Read, W: Write>(
    ctx: *mut c_void,
    name: SpStr,
    params: SpStr,
) -> i32 {
    // SAFETY: see `session`; borrowed for the call.
    unsafe { session::<R, W>(ctx).metrics(name.as_str(), params.as_str()) }
}

unsafe extern "C" fn cb_max_log_level(_ctx: *mut c_void) -> u32 {
    match LOG.get().map(|l| l.max_level()) {
        Some(log::LevelFilter::Off) => 0,
        Some(log::LevelFilter::Error) => 1,
        Some(log::LevelFilter::Warn) => 2,
        Some(log::LevelFilter::Info) | None => 3,
        Some(log::LevelFilter::Debug) => 4,
        Some(log::LevelFilter::Trace) => 5,
    }
}

/// Frees the session when the loop ends, whichever way.
struct Owned<R: Read, W: Write>(*mut Session<R, W>);

impl<R: Read, W: Write> Drop for Owned<R, W> {
    fn drop(&mut self) {
        // SAFETY: created by Box::into_raw in `run_component`, dropped once.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

/// Destroys the component instance when the loop ends, whichever way.
struct InstanceGuard {
    destroy: plugin_api::abi::DestroyFn,
    instance: *mut c_void,
}

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        // SAFETY: the instance came from this component's `create` and is not used again.
        unsafe { (self.destroy)(self.instance) }
    }
}

/// Creates the component and runs the bolt or spout loop until end of input.
///
/// Returns `Ok(())` at a clean end of input, or the error that ended the task (for a
/// component failure, its error was already sent to Storm with the `error` command).
pub fn run_component<R: Read, W: Write>(
    session: Box<Session<R, W>>,
    component: Component,
    info: &HandshakeInfo,
) -> Result<(), HostError> {
    let sp: *mut Session<R, W> = Box::into_raw(session);
    let _owned = Owned(sp);
    let vtable = component.vtable;
    // SAFETY: borrows end before any call into the plugin (see the module docs).
    unsafe { (*sp).is_spout = component.is_spout() };
    let api: *const HostApiV1 = unsafe { &(*sp).api };
    let mut instance: *mut c_void = std::ptr::null_mut();
    // SAFETY: valid table and session pointer; conf/context borrowed for the call.
    let status = unsafe {
        (vtable.create)(
            api,
            sp as *mut c_void,
            SpStr::new(&info.conf),
            SpStr::new(&info.context),
            &mut instance,
        )
    };
    if status != STATUS_OK || instance.is_null() {
        // SAFETY: no plugin call in progress.
        let s = unsafe { &mut *sp };
        let msg = s.last_error.clone().unwrap_or_else(|| {
            format!(
                "{} failed to initialize (status {status})",
                component.name()
            )
        });
        let _ = s.flush();
        return Err(HostError::ComponentFailed(msg));
    }
    let _instance = InstanceGuard {
        destroy: vtable.destroy,
        instance,
    };
    let result = if component.is_spout() {
        spout_loop(sp, component, instance)
    } else {
        bolt_loop(sp, component, instance)
    };
    // SAFETY: no plugin call in progress.
    let s = unsafe { &mut *sp };
    let flushed = s.flush();
    result.and(flushed)
}

/// After a call into the component: the callbacks' failure, or the component's.
fn after_call<R: Read, W: Write>(
    s: &mut Session<R, W>,
    component: Component,
    status: i32,
) -> Result<(), HostError> {
    if let Some(err) = s.failure.take() {
        return Err(err);
    }
    if status == STATUS_OK {
        return Ok(());
    }
    let msg = s
        .last_error
        .clone()
        .unwrap_or_else(|| format!("{} returned status {status}", component.name()));
    Err(HostError::ComponentFailed(msg))
}

fn bolt_loop<R: Read, W: Write>(
    sp: *mut Session<R, W>,
    component: Component,
    instance: *mut c_void,
) -> Result<(), HostError> {
    let vtable = component.vtable;
    let process = vtable.process.expect("checked at load");
    let tick = vtable.tick;
    let mut frame = Vec::with_capacity(4096);
    let mut scratch = Vec::with_capacity(4096);
    // SAFETY: no plugin call in progress.
    let fast = unsafe { (*sp).fast };
    loop {
        // SAFETY: no plugin call in progress.
        if !unsafe { (*sp).next_command(&mut frame)? } {
            return Ok(());
        }
        let t = if fast {
            fast_tuple(component, &frame, &mut scratch)?
        } else {
            // SAFETY: next_command checked UTF-8.
            let text = unsafe { std::str::from_utf8_unchecked(&frame) };
            match TupleView::parse(text) {
                Ok(t) => t,
                Err(e) => return Err(not_a_tuple(component, text, e)),
            }
        };
        if t.is_heartbeat() {
            // SAFETY: no plugin call in progress.
            unsafe { (*sp).write_sync() };
            continue;
        }
        let tv = TupleV1 {
            struct_size: std::mem::size_of::<TupleV1>(),
            id: SpStr::new(t.id),
            component: SpStr::new(t.comp.as_deref().unwrap_or("")),
            stream: SpStr::new(&t.stream),
            task: t.task,
            values: SpStr::new(t.values),
        };
        let f = match tick {
            Some(tick) if t.is_tick() => tick,
            _ => process,
        };
        // SAFETY: a live instance of this component and a tuple valid for the call.
        let status = unsafe { f(instance, &tv) };
        // SAFETY: the call returned.
        after_call(unsafe { &mut *sp }, component, status)?;
    }
}

/// A bolt tuple from the fast wire, with its id and values as JSON text in `scratch`.
fn fast_tuple<'a>(
    component: Component,
    frame: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<TupleView<'a>, HostError> {
    let msg = fastwire::decode_storm_msg(frame, scratch)
        .map_err(|e| HostError::Protocol(format!("bad fast-wire message from Storm: {e}")))?;
    let (id, comp, stream, task, values) = match msg {
        StormMsg::Tuple {
            id,
            comp,
            stream,
            task,
            values,
        } => (id, comp, stream, task, values),
        StormMsg::Spout { command, .. } => {
            return Err(HostError::WrongRole(format!(
                "{} is a bolt, but Storm sent it the spout command {command:?}; name a bolt here, or use this component in a spout spec",
                component.name()
            )));
        }
        StormMsg::TaskIds(_) => unreachable!("next_command returns tuples and commands"),
    };
    // decode_storm_msg writes JSON text, which is UTF-8.
    let text = |r: (usize, usize)| std::str::from_utf8(&scratch[r.0..r.1]).unwrap_or("");
    Ok(TupleView {
        id: text(id),
        comp: comp.map(std::borrow::Cow::Borrowed),
        stream: std::borrow::Cow::Borrowed(stream),
        task,
        values: text(values),
    })
}

/// A spout command from the fast wire: its name and id (JSON text in `scratch`).
fn fast_command<'a>(
    component: Component,
    frame: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<SpoutCommand<'a>, HostError> {
    let msg = fastwire::decode_storm_msg(frame, scratch)
        .map_err(|e| HostError::Protocol(format!("bad fast-wire message from Storm: {e}")))?;
    match msg {
        StormMsg::Spout { command, id } => {
            let id = std::str::from_utf8(&scratch[id.0..id.1]).unwrap_or("\"\"");
            let id = (id != "\"\"")
                .then(|| serde_json::from_str::<&serde_json::value::RawValue>(id).ok())
                .flatten();
            Ok(SpoutCommand {
                command: std::borrow::Cow::Borrowed(command),
                id,
            })
        }
        StormMsg::Tuple { .. } => Err(HostError::WrongRole(format!(
            "{} is a spout, but Storm sent it a tuple; name a spout here, or use this component in a bolt spec",
            component.name()
        ))),
        StormMsg::TaskIds(_) => unreachable!("next_command returns tuples and commands"),
    }
}

fn not_a_tuple(component: Component, text: &str, e: serde_json::Error) -> HostError {
    if let Ok(cmd) = serde_json::from_str::<SpoutCommand>(text) {
        return HostError::WrongRole(format!(
            "{} is a bolt, but Storm sent it the spout command {:?}; name a bolt here, or use this component in a spout spec",
            component.name(),
            cmd.command
        ));
    }
    HostError::Protocol(format!(
        "expected a tuple, got {}: {e}",
        lossy(text.as_bytes())
    ))
}

/// A spout command from the JSON wire.
fn json_command(component: Component, text: &str) -> Result<SpoutCommand<'_>, HostError> {
    // `next` is most of a spout's traffic and Storm writes it in one of two key
    // orders: recognise it without a parse.
    if NEXT_FRAMES.contains(&text) {
        return Ok(SpoutCommand {
            command: "next".into(),
            id: None,
        });
    }
    match serde_json::from_str::<SpoutCommand>(text) {
        Ok(c) => Ok(c),
        Err(e) => {
            if serde_json::from_str::<BoltTuple>(text).is_ok() {
                return Err(HostError::WrongRole(format!(
                    "{} is a spout, but Storm sent it a tuple; name a spout here, or use this component in a bolt spec",
                    component.name()
                )));
            }
            Err(HostError::Protocol(format!(
                "expected a spout command, got {}: {e}",
                lossy(text.as_bytes())
            )))
        }
    }
}

fn spout_loop<R: Read, W: Write>(
    sp: *mut Session<R, W>,
    component: Component,
    instance: *mut c_void,
) -> Result<(), HostError> {
    let v = component.vtable;
    let mut frame = Vec::with_capacity(256);
    let mut scratch = Vec::with_capacity(256);
    // SAFETY: no plugin call in progress.
    let fast = unsafe { (*sp).fast };
    loop {
        // SAFETY: no plugin call in progress.
        if !unsafe { (*sp).next_command(&mut frame)? } {
            return Ok(());
        }
        let cmd: SpoutCommand = if fast {
            fast_command(component, &frame, &mut scratch)?
        } else {
            // SAFETY: next_command checked UTF-8 (JSON wire).
            let text = unsafe { std::str::from_utf8_unchecked(&frame) };
            json_command(component, text)?
        };
        let id = SpStr::new(cmd.id.map_or("\"\"", |r| r.get()));
        // SAFETY: no plugin call in progress.
        let before = unsafe { (*sp).emitted };
        // SAFETY (all calls): a live instance; `id` borrowed for the call.
        let status = match cmd.command.as_ref() {
            "next" => unsafe { (v.next_tuple.expect("checked at load"))(instance) },
            "ack" => v.ack.map_or(STATUS_OK, |f| unsafe { f(instance, id) }),
            "fail" => v.fail.map_or(STATUS_OK, |f| unsafe { f(instance, id) }),
            "activate" => v.activate.map_or(STATUS_OK, |f| unsafe { f(instance) }),
            "deactivate" => v.deactivate.map_or(STATUS_OK, |f| unsafe { f(instance) }),
            other => {
                log::warn!("unknown spout command {other:?}; answering with sync");
                STATUS_OK
            }
        };
        // SAFETY: the call returned.
        let s = unsafe { &mut *sp };
        if let Err(e) = after_call(s, component, status) {
            s.write_sync();
            return Err(e);
        }
        if cmd.command == "next" && s.emitted == before {
            // Nothing to emit: idle a little, as Storm asks of shell spouts.
            std::thread::sleep(Duration::from_millis(1));
        }
        s.write_sync();
    }
}
