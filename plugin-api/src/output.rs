//! Output collectors: how a component emits, acks, fails and reports.
//!
//! A collector is passed into every call ([`BoltOutput`] for bolts, [`SpoutOutput`] for
//! spouts) and carries a reusable serialization buffer, so an emit serializes the values
//! once, straight into that buffer, and the host copies the bytes into its output.
//!
//! Emits go to the `default` stream, unanchored-or-auto-anchored, without task ids,
//! unless an [`Emit`] says otherwise:
//!
//! ```no_run
//! # use plugin_api::{Emit, BoltOutput, Tuple};
//! # fn demo(out: &mut BoltOutput<'_>, input: &Tuple<'_>) -> plugin_api::Result {
//! out.emit(&["word"])?;                                   // default stream, auto-anchored
//! out.emit_with(&("url", 3), Emit::to("index"))?;         // a named stream
//! out.emit_with(&["x"], Emit::new().anchored_to(&[input]))?;
//! let tasks = out.emit_with(&["y"], Emit::new().with_task_ids())?; // Some(vec![..])
//! # let _ = tasks; Ok(()) }
//! ```

use std::ffi::c_void;
use std::fmt;

use serde::Serialize;

use crate::abi::{EmitV1, STATUS_HOST_FAILED, STATUS_INVALID, STATUS_OK, SpStr};
use crate::host_api::HostHandle;
use crate::tuple::Tuple;

/// Options for one emit. `Emit::new()` is the default stream, auto anchoring, not
/// direct, no task ids.
#[derive(Clone, Copy, Default)]
pub struct Emit<'e> {
    stream: Option<&'e str>,
    anchors: Option<&'e [&'e Tuple<'e>]>,
    direct_task: Option<i64>,
    need_task_ids: bool,
}

impl<'e> Emit<'e> {
    /// Default stream, default anchoring, not direct, no task ids.
    pub fn new() -> Self {
        Emit::default()
    }

    /// Emit on this stream.
    pub fn to(stream: &'e str) -> Self {
        Emit {
            stream: Some(stream),
            ..Emit::default()
        }
    }

    /// Emit on this stream.
    pub fn stream(mut self, stream: &'e str) -> Self {
        self.stream = Some(stream);
        self
    }

    /// Anchor to exactly these input tuples (bolts). An empty slice emits unanchored.
    pub fn anchored_to(mut self, anchors: &'e [&'e Tuple<'e>]) -> Self {
        self.anchors = Some(anchors);
        self
    }

    /// Emit unanchored even when the bolt auto-anchors.
    pub fn unanchored(mut self) -> Self {
        self.anchors = Some(&[]);
        self
    }

    /// Send to this task only (the stream must be consumed with a direct grouping).
    pub fn direct(mut self, task: i64) -> Self {
        self.direct_task = Some(task);
        self
    }

    /// Ask Storm for the destination task ids (one extra round trip; off by default).
    pub fn with_task_ids(mut self) -> Self {
        self.need_task_ids = true;
        self
    }
}

/// Why an emit (or ack, fail, metric) did not happen.
#[derive(Debug)]
pub enum EmitError {
    /// The values could not be serialized to JSON.
    Serialize(serde_json::Error),
    /// The values did not serialize to a JSON array (emit a slice, a `Vec` or a tuple).
    NotAnArray,
    /// The host refused it, as Storm would have killed the task for it: an undeclared
    /// stream, a number of values different from the stream's declared fields, a system
    /// stream (`__…`), a bad direct task. The host logs the reason and adds it to the error
    /// the component reports (so `?` on this error tells Storm and the test kit why).
    Rejected,
    /// The host could not send it (Storm's pipe is closed).
    HostFailed,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::Serialize(e) => write!(f, "values could not be serialized: {e}"),
            EmitError::NotAnArray => write!(f, "values must serialize to a JSON array"),
            EmitError::Rejected => write!(f, "the host refused the emit"),
            EmitError::HostFailed => write!(f, "the host could not send to Storm"),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmitError::Serialize(e) => Some(e),
            _ => None,
        }
    }
}

fn status_to_result(status: i32) -> Result<(), EmitError> {
    match status {
        STATUS_OK => Ok(()),
        STATUS_INVALID => Err(EmitError::Rejected),
        STATUS_HOST_FAILED => Err(EmitError::HostFailed),
        _ => Err(EmitError::HostFailed),
    }
}

unsafe extern "C" fn collect_task_ids(user: *mut c_void, ids: *const i64, len: usize) {
    // SAFETY: `user` is the `Vec<i64>` passed in `emit_raw`; `ids` is valid for the call.
    unsafe {
        let out = &mut *(user as *mut Vec<i64>);
        out.clear();
        if len > 0 && !ids.is_null() {
            out.extend_from_slice(std::slice::from_raw_parts(ids, len));
        }
    }
}

/// What bolts and spouts share: the host handle and the serialization buffer.
pub(crate) struct Core<'a> {
    pub(crate) host: HostHandle,
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) emitted: usize,
}

impl Core<'_> {
    fn serialize<V: Serialize + ?Sized>(&mut self, values: &V) -> Result<(), EmitError> {
        self.buf.clear();
        serde_json::to_writer(&mut *self.buf, values).map_err(EmitError::Serialize)?;
        if self.buf.first() != Some(&b'[') {
            return Err(EmitError::NotAnArray);
        }
        Ok(())
    }

    /// Serializes `values` into the reusable buffer and hands the text to `f`.
    fn with_serialized<V: Serialize + ?Sized, R>(
        &mut self,
        values: &V,
        f: impl FnOnce(&mut Self, &str) -> Result<R, EmitError>,
    ) -> Result<R, EmitError> {
        self.serialize(values)?;
        let buf = std::mem::take(self.buf);
        // SAFETY: serde_json writes UTF-8.
        let r = f(self, unsafe { std::str::from_utf8_unchecked(&buf) });
        *self.buf = buf;
        r
    }

    /// Sends an emit whose values are already JSON text.
    fn emit_raw(
        &mut self,
        values: &str,
        opts: &Emit<'_>,
        anchors: &[SpStr],
        message_id: &str,
    ) -> Result<Option<Vec<i64>>, EmitError> {
        let mut ids: Vec<i64> = Vec::new();
        let want_ids = opts.need_task_ids && opts.direct_task.is_none();
        let e = EmitV1 {
            struct_size: std::mem::size_of::<EmitV1>(),
            stream: SpStr::new(opts.stream.unwrap_or("")),
            values: SpStr::new(values),
            anchors: anchors.as_ptr(),
            anchor_count: anchors.len(),
            message_id: SpStr::new(message_id),
            direct_task: opts.direct_task.unwrap_or(0),
            need_task_ids: u32::from(want_ids),
            task_ids_sink: if want_ids {
                Some(collect_task_ids)
            } else {
                None
            },
            task_ids_user: &mut ids as *mut Vec<i64> as *mut c_void,
        };
        status_to_result(self.host.emit(&e))?;
        self.emitted += 1;
        Ok(if want_ids {
            Some(ids)
        } else {
            opts.direct_task.map(|t| vec![t])
        })
    }

    fn report_error(&self, msg: &str) {
        self.host.report_error(msg);
    }

    fn metric<P: Serialize + ?Sized>(&mut self, name: &str, params: &P) -> Result<(), EmitError> {
        self.buf.clear();
        serde_json::to_writer(&mut *self.buf, params).map_err(EmitError::Serialize)?;
        // SAFETY: serde_json writes UTF-8.
        let params = unsafe { std::str::from_utf8_unchecked(self.buf) };
        status_to_result(self.host.metrics(name, params))
    }
}

/// A bolt emit of JSON values: anchored to `opts`' tuples when given, else to `auto`.
fn send(
    core: &mut Core<'_>,
    auto: &[SpStr],
    values: &str,
    opts: &Emit<'_>,
) -> Result<Option<Vec<i64>>, EmitError> {
    match opts.anchors {
        None => core.emit_raw(values, opts, auto, ""),
        Some(tuples) => {
            let anchors: Vec<SpStr> = tuples.iter().map(|t| SpStr::new(t.id_json())).collect();
            core.emit_raw(values, opts, &anchors, "")
        }
    }
}

/// The collector a bolt gets in `process`, `process_tick` and `process_batch`.
pub struct BoltOutput<'a> {
    pub(crate) core: Core<'a>,
    /// Raw ids the emits are anchored to by default: the current input (auto-anchor), or
    /// the whole batch (batching bolts); empty for none.
    pub(crate) auto_anchors: &'a [SpStr],
    /// Raw id of the tuple being processed, if any.
    pub(crate) current: Option<&'a str>,
    /// Set when the component acked or failed the current tuple itself.
    pub(crate) current_handled: bool,
}

impl<'a> BoltOutput<'a> {
    /// Emits `values` (anything that serializes to a JSON array: `&["a"]`, `("a", 1)`,
    /// a `Vec`) on the default stream, anchored to the current input when the bolt
    /// auto-anchors.
    pub fn emit<V: Serialize + ?Sized>(&mut self, values: &V) -> Result<(), EmitError> {
        self.emit_with(values, Emit::new()).map(drop)
    }

    /// Emits on a named stream.
    pub fn emit_to<V: Serialize + ?Sized>(
        &mut self,
        stream: &str,
        values: &V,
    ) -> Result<(), EmitError> {
        self.emit_with(values, Emit::to(stream)).map(drop)
    }

    /// Emits with options; returns the destination task ids when they were asked for
    /// (`Emit::with_task_ids`) or the emit was direct.
    pub fn emit_with<V: Serialize + ?Sized>(
        &mut self,
        values: &V,
        opts: Emit<'_>,
    ) -> Result<Option<Vec<i64>>, EmitError> {
        let auto = self.auto_anchors;
        self.core
            .with_serialized(values, |core, text| send(core, auto, text, &opts))
    }

    /// Emits the values of `input` unchanged (no re-serialization), with options.
    pub fn emit_values_of(
        &mut self,
        input: &Tuple<'_>,
        opts: Emit<'_>,
    ) -> Result<Option<Vec<i64>>, EmitError> {
        send(
            &mut self.core,
            self.auto_anchors,
            input.values_json(),
            &opts,
        )
    }

    /// Acks an input tuple. Taking it by value means it cannot be acked or failed twice.
    pub fn ack(&mut self, tuple: Tuple<'_>) {
        self.mark_handled(&tuple);
        self.core.host.ack(tuple.id_json());
    }

    /// Fails an input tuple: its spout tuple is replayed (or dropped) by the spout.
    pub fn fail(&mut self, tuple: Tuple<'_>) {
        self.mark_handled(&tuple);
        self.core.host.fail(tuple.id_json());
    }

    fn mark_handled(&mut self, tuple: &Tuple<'_>) {
        if self.current == Some(tuple.id_json()) {
            self.current_handled = true;
        }
    }

    /// Reports an error to Storm (shown in the UI). Not fatal by itself.
    pub fn report_error(&self, msg: &str) {
        self.core.report_error(msg);
    }

    /// Sends a metric update (`params` as JSON). Storm needs a matching `IShellMetric`
    /// registered on the Java side; plain Flux topologies have none.
    pub fn metric<P: Serialize + ?Sized>(
        &mut self,
        name: &str,
        params: &P,
    ) -> Result<(), EmitError> {
        self.core.metric(name, params)
    }

    /// How many tuples this collector emitted so far.
    pub fn emitted(&self) -> usize {
        self.core.emitted
    }
}

/// The collector a spout gets in every call.
pub struct SpoutOutput<'a> {
    pub(crate) core: Core<'a>,
    pub(crate) id_buf: &'a mut Vec<u8>,
}

impl<'a> SpoutOutput<'a> {
    /// An unreliable emit on the default stream (Storm will not track it).
    pub fn emit<V: Serialize + ?Sized>(&mut self, values: &V) -> Result<(), EmitError> {
        self.emit_with::<V, ()>(values, None, Emit::new()).map(drop)
    }

    /// A reliable emit on the default stream: the spout's `ack` or `fail` is called later
    /// with `message_id` (any JSON-serializable value, handed back unchanged).
    pub fn emit_reliable<I: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        message_id: &I,
        values: &V,
    ) -> Result<(), EmitError> {
        self.emit_with(values, Some(message_id), Emit::new())
            .map(drop)
    }

    /// An unreliable emit on a named stream (as [`BoltOutput::emit_to`]).
    pub fn emit_to<V: Serialize + ?Sized>(
        &mut self,
        stream: &str,
        values: &V,
    ) -> Result<(), EmitError> {
        self.emit_with::<V, ()>(values, None, Emit::to(stream))
            .map(drop)
    }

    /// A reliable emit on a named stream: `ack` or `fail` gets `message_id` back.
    ///
    /// ```
    /// use plugin_api::{Context, SpoutOutput, Spout, StreamDecl, stream};
    /// use plugin_api::testkit::{Recorded, SpoutHarness};
    ///
    /// /// Emits every number on `evens` or `odds`, reliably.
    /// struct Numbers(u64);
    ///
    /// impl Spout for Numbers {
    ///     const OUTPUTS: &'static [StreamDecl] = &[stream("evens", &["n"]), stream("odds", &["n"])];
    ///     fn initialize(_: &Context) -> plugin_api::Result<Self> {
    ///         Ok(Numbers(0))
    ///     }
    ///     fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
    ///         let n = self.0;
    ///         self.0 += 1;
    ///         let to = if n % 2 == 0 { "evens" } else { "odds" };
    ///         out.emit_reliable_to(to, &n, &[n])?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut spout = SpoutHarness::<Numbers>::new().unwrap();
    /// spout.next_tuple().unwrap();
    /// spout.next_tuple().unwrap();
    /// assert_eq!(spout.emitted_on("odds"), [serde_json::json!([1])]);
    /// ```
    pub fn emit_reliable_to<I: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        stream: &str,
        message_id: &I,
        values: &V,
    ) -> Result<(), EmitError> {
        self.emit_with(values, Some(message_id), Emit::to(stream))
            .map(drop)
    }

    /// An emit with options, reliable when `message_id` is given. Returns the destination
    /// task ids when asked for or direct.
    pub fn emit_with<V: Serialize + ?Sized, I: Serialize + ?Sized>(
        &mut self,
        values: &V,
        message_id: Option<&I>,
        opts: Emit<'_>,
    ) -> Result<Option<Vec<i64>>, EmitError> {
        self.id_buf.clear();
        if let Some(id) = message_id {
            serde_json::to_writer(&mut *self.id_buf, id).map_err(EmitError::Serialize)?;
            if self.id_buf == b"null" {
                self.id_buf.clear();
            }
        }
        // SAFETY: serde_json writes UTF-8.
        let id = unsafe { std::str::from_utf8_unchecked(self.id_buf) };
        self.core
            .with_serialized(values, |core, text| core.emit_raw(text, &opts, &[], id))
    }

    /// Reports an error to Storm (shown in the UI). Not fatal by itself.
    pub fn report_error(&self, msg: &str) {
        self.core.report_error(msg);
    }

    /// Sends a metric update (see [`BoltOutput::metric`]).
    pub fn metric<P: Serialize + ?Sized>(
        &mut self,
        name: &str,
        params: &P,
    ) -> Result<(), EmitError> {
        self.core.metric(name, params)
    }

    /// How many tuples this collector emitted so far.
    pub fn emitted(&self) -> usize {
        self.core.emitted
    }
}
