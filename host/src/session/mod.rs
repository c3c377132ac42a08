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

use plugin_api::abi::{ABI_MAJOR, ABI_MINOR, HostApiV1, STATUS_OK, SpStr};
use sparse_protocol::component::{self, FrameKind, Handshake};
use sparse_protocol::fastwire::{self, StormMsg};
use sparse_protocol::frame::FrameReader;
use sparse_protocol::json;

use crate::error::HostError;
use crate::logging::LogHandle;
use crate::plugin::Component;

// The bolt loop.
mod bolt;
// The ABI callbacks and the checks on emits.
mod emit;
// The spout loop.
mod spout;

use bolt::bolt_loop;
pub use emit::install_log;
use emit::{cb_ack, cb_emit, cb_fail, cb_log, cb_max_log_level, cb_metrics, cb_report_error};
use spout::spout_loop;

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
}

fn lossy(frame: &[u8]) -> String {
    let shown = &frame[..frame.len().min(200)];
    let mut s = String::from_utf8_lossy(shown).into_owned();
    if frame.len() > 200 {
        s.push('…');
    }
    s
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
