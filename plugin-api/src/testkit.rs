//! A test kit: unit-test spouts and bolts in plain `cargo test`, without Storm, without a
//! subprocess.
//!
//! A harness plays the host's part of the ABI in-process and drives your component
//! through the very entry points `sparse-host` calls, so the auto-ack, auto-anchor,
//! auto-fail, tick and batching rules, and the error and panic paths, behave exactly as
//! under Storm. It records everything the component does as [`Event`]s, in order.
//!
//! ```
//! use plugin_api::testkit::{BoltHarness, Recorded, TupleBuilder};
//! use plugin_api::{Bolt, BoltOutput, Context, StreamDecl, Tuple, fields};
//! use serde_json::json;
//!
//! struct Double;
//!
//! impl Bolt for Double {
//!     const OUTPUTS: &'static [StreamDecl] = &[fields(&["n"])];
//!     fn initialize(_: &Context) -> plugin_api::Result<Self> {
//!         Ok(Double)
//!     }
//!     fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
//!         let n: i64 = t.get(0)?;
//!         out.emit(&[n * 2])?;
//!         Ok(())
//!     }
//! }
//!
//! let mut bolt = BoltHarness::<Double>::new().unwrap();
//! bolt.process(TupleBuilder::new(json!([21])).id("t1")).unwrap();
//! assert_eq!(bolt.emitted_values(), vec![json!([42])]);
//! bolt.assert_acked(&["t1"]);
//! bolt.assert_emits_anchored_to("t1");
//!
//! // A value of the wrong type: the tuple is failed and the error reported.
//! let err = bolt.process(TupleBuilder::new(json!(["x"])).id("t2")).unwrap_err();
//! assert!(err.message.contains("value 0"));
//! bolt.assert_failed(&["t2"]);
//! ```

use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

use crate::abi::{
    ABI_MAJOR, ABI_MINOR, ComponentV1, EmitV1, HostApiV1, STATUS_INVALID, STATUS_OK, SpStr, TupleV1,
};
use crate::batching::BatchingBolt;
use crate::bolt::Bolt;
use crate::declare::StreamDecl;
use crate::export::{ComponentEntry, short_name};
use crate::spout::Spout;

/// One thing the component did, as the host would have seen it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An emit.
    Emit {
        /// Stream (`"default"` when not named).
        stream: String,
        /// The values.
        values: Value,
        /// Ids of the input tuples it was anchored to (bolts).
        anchors: Vec<String>,
        /// The message id of a reliable spout emit.
        message_id: Option<Value>,
        /// The task of a direct emit.
        direct_task: Option<i64>,
    },
    /// An input tuple was acked (its id).
    Ack(String),
    /// An input tuple was failed (its id).
    Fail(String),
    /// A log record.
    Log {
        /// The level.
        level: log::Level,
        /// The record's target (module path).
        target: String,
        /// The message.
        message: String,
    },
    /// An error reported to Storm.
    Error(String),
    /// A metric update.
    Metric {
        /// Metric name.
        name: String,
        /// Its parameters.
        params: Value,
    },
}

/// The component returned an error or panicked; the host would end the task here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status code (`STATUS_ERROR` or `STATUS_PANIC`, …).
    pub status: i32,
    /// The message reported to Storm.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "component failed (status {}): {}",
            self.status, self.message
        )
    }
}

impl std::error::Error for Failure {}

/// Builds an input tuple. Ids are generated (`"1"`, `"2"`, …) unless given.
///
/// The values reach the component as Storm 2.8 writes them (`/` as `\/`, `€` and
/// `U+2028` as `\uXXXX`, numbers as Java prints them, object keys in `HashMap` order),
/// so a component that could not read what Storm sends fails here, not in production.
/// [`TupleBuilder::plain_json`] sends serde_json's text instead.
///
/// ```
/// use plugin_api::testkit::TupleBuilder;
/// use serde_json::json;
///
/// let t = TupleBuilder::new(json!(["and/or", 1e3]));
/// assert_eq!(t.values_json(), r#"["and\/or",1000.0]"#);
/// assert_eq!(t.plain_json().values_json(), r#"["and/or",1000.0]"#);
/// ```
#[derive(Debug, Clone)]
pub struct TupleBuilder {
    id: Option<String>,
    component: String,
    stream: String,
    task: i64,
    values: Value,
    storm_style: bool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl TupleBuilder {
    /// A tuple with these values (a JSON array), from `upstream:default`, task 1.
    pub fn new(values: Value) -> Self {
        TupleBuilder {
            id: None,
            component: "upstream".into(),
            stream: "default".into(),
            task: 1,
            values,
            storm_style: true,
        }
    }

    /// Sends the values as serde_json writes them, not as Storm does.
    pub fn plain_json(mut self) -> Self {
        self.storm_style = false;
        self
    }

    /// The values' JSON text, as the component will receive it.
    pub fn values_json(&self) -> String {
        let plain = self.values.to_string();
        if !self.storm_style {
            return plain;
        }
        let mut out = Vec::with_capacity(plain.len() + 8);
        match sparse_protocol::json::write_storm_style(&mut out, &plain) {
            // The writer emits UTF-8 (its input was); keep the plain text if not.
            Ok(()) => String::from_utf8(out).unwrap_or(plain),
            Err(_) => plain,
        }
    }

    /// Its id (what acks and anchors refer to).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The emitting component.
    pub fn from(mut self, component: impl Into<String>) -> Self {
        self.component = component.into();
        self
    }

    /// The stream.
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = stream.into();
        self
    }

    /// The emitting task.
    pub fn task(mut self, task: i64) -> Self {
        self.task = task;
        self
    }

    fn id_json(&mut self) -> String {
        let id = self
            .id
            .get_or_insert_with(|| NEXT_ID.fetch_add(1, Ordering::Relaxed).to_string());
        Value::String(id.clone()).to_string()
    }
}

/// Topology facts a harness hands the component (like Storm's handshake).
#[derive(Debug, Clone)]
pub struct HarnessConfig {
    /// Storm configuration.
    pub conf: Map<String, Value>,
    /// `topology.name`.
    pub topology: String,
    /// The component id (defaults to the type name).
    pub component: Option<String>,
    /// The task id.
    pub task: i64,
    /// Declared outputs; defaults to the component's `OUTPUTS`. Emits to other streams are
    /// refused, as `sparse-host` refuses them.
    pub outputs: Option<Vec<StreamDecl>>,
    /// The task ids returned to emits that ask for them.
    pub task_ids: Vec<i64>,
}

impl Default for HarnessConfig {
    fn default() -> Self {
        HarnessConfig {
            conf: Map::new(),
            topology: "test".into(),
            component: None,
            task: 1,
            outputs: None,
            task_ids: vec![1],
        }
    }
}

/// The harness's side of the ABI: records what the component does.
struct Recorder {
    events: Vec<Event>,
    /// Declared streams and their fields.
    streams: Vec<(String, Vec<String>)>,
    /// `component:task`, for refusal messages.
    whoami: String,
    /// Why the last emit was refused (added to the component's next error, as the host
    /// does, so a test's `Failure` says why).
    refusal: Option<String>,
    task_ids: Vec<i64>,
    spout: bool,
    last_error: Option<String>,
}

/// Log records may come from any thread; they land here, per recorder.
static LOG_LOCK: Mutex<()> = Mutex::new(());

unsafe fn rec<'a>(ctx: *mut c_void) -> &'a mut Recorder {
    // SAFETY: ctx is the harness's boxed recorder, alive as long as the instance.
    unsafe { &mut *(ctx as *mut Recorder) }
}

unsafe extern "C" fn t_emit(ctx: *mut c_void, e: *const EmitV1) -> i32 {
    // SAFETY: valid for the call, per the ABI.
    let (r, e) = unsafe { (rec(ctx), &*e) };
    // SAFETY: borrowed strings.
    let (stream, values, mid) =
        unsafe { (e.stream.as_str(), e.values.as_str(), e.message_id.as_str()) };
    let stream = if stream.is_empty() { "default" } else { stream };
    let Some((_, fields)) = r.streams.iter().find(|(s, _)| s == stream) else {
        let declared: Vec<&str> = r.streams.iter().map(|(s, _)| s.as_str()).collect();
        let why = format!(
            "{}: emit to undeclared stream {stream:?} refused; declared: {}",
            r.whoami,
            declared.join(", ")
        );
        return r.refuse(why);
    };
    let values = match serde_json::from_str::<Value>(values) {
        Ok(Value::Array(a)) => a,
        _ => {
            let why = format!(
                "{}: emit to stream {stream:?} refused: the values are not a JSON array",
                r.whoami
            );
            return r.refuse(why);
        }
    };
    if values.len() != fields.len() {
        let n = values.len();
        let why = format!(
            "{}: emit of {n} value{} to stream {stream:?} refused: it declares {} field{} [{}] (Storm would kill the task)",
            r.whoami,
            if n == 1 { "" } else { "s" },
            fields.len(),
            if fields.len() == 1 { "" } else { "s" },
            fields.join(", "),
        );
        return r.refuse(why);
    }
    let values = Value::Array(values);
    let anchors = if e.anchor_count == 0 || e.anchors.is_null() {
        Vec::new()
    } else {
        // SAFETY: `anchor_count` borrowed strings.
        unsafe { std::slice::from_raw_parts(e.anchors, e.anchor_count) }
            .iter()
            .map(|a| decode_id(unsafe { a.as_str() }))
            .collect()
    };
    r.events.push(Event::Emit {
        stream: stream.to_owned(),
        values,
        anchors: if r.spout { Vec::new() } else { anchors },
        message_id: if r.spout && !mid.is_empty() {
            serde_json::from_str(mid).ok()
        } else {
            None
        },
        direct_task: (e.direct_task != 0).then_some(e.direct_task),
    });
    if e.need_task_ids != 0
        && e.direct_task == 0
        && let Some(sink) = e.task_ids_sink
    {
        // SAFETY: the plugin's sink with its own pointer.
        unsafe { sink(e.task_ids_user, r.task_ids.as_ptr(), r.task_ids.len()) };
    }
    STATUS_OK
}

impl Recorder {
    /// Records why an emit was refused (as the host logs it) and refuses it.
    fn refuse(&mut self, why: String) -> i32 {
        self.events.push(Event::Log {
            level: log::Level::Error,
            target: "testkit".into(),
            message: why.clone(),
        });
        self.refusal = Some(why);
        STATUS_INVALID
    }
}

fn decode_id(raw: &str) -> String {
    serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned())
}

unsafe extern "C" fn t_ack(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `rec`; borrowed id.
    let (r, id) = unsafe { (rec(ctx), id.as_str()) };
    r.events.push(Event::Ack(decode_id(id)));
    STATUS_OK
}

unsafe extern "C" fn t_fail(ctx: *mut c_void, id: SpStr) -> i32 {
    // SAFETY: see `rec`; borrowed id.
    let (r, id) = unsafe { (rec(ctx), id.as_str()) };
    r.events.push(Event::Fail(decode_id(id)));
    STATUS_OK
}

unsafe extern "C" fn t_log(ctx: *mut c_void, level: u32, target: SpStr, msg: SpStr) {
    let _guard = LOG_LOCK.lock();
    // SAFETY: see `rec`; borrowed strings.
    let (r, target, msg) = unsafe { (rec(ctx), target.as_str(), msg.as_str()) };
    let level = match level {
        1 => log::Level::Error,
        2 => log::Level::Warn,
        3 => log::Level::Info,
        4 => log::Level::Debug,
        _ => log::Level::Trace,
    };
    r.events.push(Event::Log {
        level,
        target: target.to_owned(),
        message: msg.to_owned(),
    });
}

unsafe extern "C" fn t_report_error(ctx: *mut c_void, msg: SpStr) {
    // SAFETY: see `rec`; borrowed message.
    let (r, msg) = unsafe { (rec(ctx), msg.as_str()) };
    let msg = match r.refusal.take() {
        Some(why) if !msg.contains(&why) => format!("{msg}: {why}"),
        _ => msg.to_owned(),
    };
    r.events.push(Event::Error(msg.clone()));
    r.last_error = Some(msg);
}

unsafe extern "C" fn t_metrics(ctx: *mut c_void, name: SpStr, params: SpStr) -> i32 {
    // SAFETY: see `rec`; borrowed strings.
    let (r, name, params) = unsafe { (rec(ctx), name.as_str(), params.as_str()) };
    r.events.push(Event::Metric {
        name: name.to_owned(),
        params: serde_json::from_str(params).unwrap_or(Value::Null),
    });
    STATUS_OK
}

unsafe extern "C" fn t_max_level(_: *mut c_void) -> u32 {
    crate::abi::LEVEL_TRACE
}

static TEST_HOST: HostApiV1 = HostApiV1 {
    struct_size: std::mem::size_of::<HostApiV1>(),
    abi_major: ABI_MAJOR,
    abi_minor: ABI_MINOR,
    emit: t_emit,
    ack: t_ack,
    fail: t_fail,
    log: t_log,
    report_error: t_report_error,
    metrics: t_metrics,
    max_log_level: t_max_level,
};

/// What bolt and spout harnesses share: the component, its instance, the recorder.
struct Harness {
    _entry: ComponentEntry,
    vtable: ComponentV1,
    instance: *mut c_void,
    recorder: Box<Recorder>,
}

impl Harness {
    fn new(
        entry: ComponentEntry,
        own_outputs: &[StreamDecl],
        name: &str,
        cfg: HarnessConfig,
        spout: bool,
    ) -> Result<Harness, Failure> {
        let vtable = entry.vtable();
        let outputs: Vec<StreamDecl> = cfg.outputs.clone().unwrap_or_else(|| own_outputs.to_vec());
        let component = cfg.component.clone().unwrap_or_else(|| name.to_owned());
        let mut conf = cfg.conf.clone();
        conf.entry("topology.name")
            .or_insert_with(|| json!(cfg.topology));
        let fields: Map<String, Value> = outputs
            .iter()
            .map(|s| (s.name.to_owned(), json!(s.fields)))
            .collect();
        let context = json!({
            "taskid": cfg.task,
            "componentid": component,
            "task->component": { cfg.task.to_string(): component },
            "streams": outputs.iter().map(|s| s.name).collect::<Vec<_>>(),
            "stream->outputfields": fields,
        });
        let mut recorder = Box::new(Recorder {
            events: Vec::new(),
            streams: outputs
                .iter()
                .map(|s| {
                    let fields = s.fields.iter().map(|f| (*f).to_owned()).collect();
                    (s.name.to_owned(), fields)
                })
                .collect(),
            whoami: format!("{component}:{}", cfg.task),
            refusal: None,
            task_ids: cfg.task_ids.clone(),
            spout,
            last_error: None,
        });
        let conf = Value::Object(conf).to_string();
        let context = context.to_string();
        let mut instance = std::ptr::null_mut();
        // SAFETY: a valid table, the recorder as context, strings valid for the call.
        let status = unsafe {
            (vtable.create)(
                &TEST_HOST,
                &mut *recorder as *mut Recorder as *mut c_void,
                SpStr::new(&conf),
                SpStr::new(&context),
                &mut instance,
            )
        };
        if status != STATUS_OK {
            return Err(Failure {
                status,
                message: recorder.last_error.clone().unwrap_or_default(),
            });
        }
        Ok(Harness {
            _entry: entry,
            vtable,
            instance,
            recorder,
        })
    }

    fn outcome(&self, status: i32) -> Result<(), Failure> {
        if status == STATUS_OK {
            Ok(())
        } else {
            Err(Failure {
                status,
                message: self.recorder.last_error.clone().unwrap_or_default(),
            })
        }
    }

    fn tuple(&mut self, mut t: TupleBuilder, tick: bool) -> Result<(), Failure> {
        let id = t.id_json();
        let values = t.values_json();
        let tv = TupleV1 {
            struct_size: std::mem::size_of::<TupleV1>(),
            id: SpStr::new(&id),
            component: SpStr::new(&t.component),
            stream: SpStr::new(&t.stream),
            task: t.task,
            values: SpStr::new(&values),
        };
        let f = if tick {
            self.vtable.tick
        } else {
            self.vtable.process
        };
        let Some(f) = f else {
            return Err(Failure {
                status: STATUS_INVALID,
                message: "not a bolt".into(),
            });
        };
        // SAFETY: a live instance and a tuple valid for the call.
        let status = unsafe { f(self.instance, &tv) };
        self.outcome(status)
    }

    fn command(&mut self, f: Option<crate::abi::CommandFn>) -> Result<(), Failure> {
        let Some(f) = f else { return Ok(()) };
        // SAFETY: a live instance.
        let status = unsafe { f(self.instance) };
        self.outcome(status)
    }

    fn with_id(&mut self, f: Option<crate::abi::MessageIdFn>, id: &Value) -> Result<(), Failure> {
        let Some(f) = f else { return Ok(()) };
        let raw = id.to_string();
        // SAFETY: a live instance; the id borrowed for the call.
        let status = unsafe { f(self.instance, SpStr::new(&raw)) };
        self.outcome(status)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // SAFETY: the instance came from this vtable's create.
        unsafe { (self.vtable.destroy)(self.instance) }
    }
}

/// Reading back what a component did; shared by both harnesses.
pub trait Recorded {
    /// Every event so far, in order.
    fn events(&self) -> &[Event];

    /// Forgets the events so far (e.g. between the set-up and the part under test).
    fn clear_events(&mut self);

    /// What `pick` takes from each event, in order.
    fn select<T>(&self, pick: impl Fn(&Event) -> Option<T>) -> Vec<T> {
        self.events().iter().filter_map(pick).collect()
    }

    /// The values of every emit, in order.
    fn emitted_values(&self) -> Vec<Value> {
        self.select(|e| match e {
            Event::Emit { values, .. } => Some(values.clone()),
            _ => None,
        })
    }

    /// The values emitted on one stream.
    fn emitted_on(&self, stream: &str) -> Vec<Value> {
        self.select(|e| match e {
            Event::Emit {
                stream: s, values, ..
            } if s == stream => Some(values.clone()),
            _ => None,
        })
    }

    /// Ids acked, in order.
    fn acked(&self) -> Vec<String> {
        self.select(|e| match e {
            Event::Ack(id) => Some(id.clone()),
            _ => None,
        })
    }

    /// Ids failed, in order.
    fn failed(&self) -> Vec<String> {
        self.select(|e| match e {
            Event::Fail(id) => Some(id.clone()),
            _ => None,
        })
    }

    /// Log messages at `level` or more severe.
    fn logs(&self, level: log::Level) -> Vec<String> {
        self.select(|e| match e {
            Event::Log {
                level: l, message, ..
            } if *l <= level => Some(message.clone()),
            _ => None,
        })
    }

    /// Errors reported to Storm.
    fn errors(&self) -> Vec<String> {
        self.select(|e| match e {
            Event::Error(m) => Some(m.clone()),
            _ => None,
        })
    }

    /// Panics (with every event listed) unless exactly these ids were acked, in order.
    fn assert_acked(&self, ids: &[&str]) {
        let got = self.acked();
        assert!(
            got == ids,
            "expected acks {ids:?}, got {got:?}\n{}",
            self.describe()
        );
    }

    /// Panics unless exactly these ids were failed, in order.
    fn assert_failed(&self, ids: &[&str]) {
        let got = self.failed();
        assert!(
            got == ids,
            "expected fails {ids:?}, got {got:?}\n{}",
            self.describe()
        );
    }

    /// Panics unless exactly these values were emitted, in order.
    fn assert_emitted(&self, values: &[Value]) {
        let got = self.emitted_values();
        assert!(
            got == values,
            "expected emits {values:?}, got {got:?}\n{}",
            self.describe()
        );
    }

    /// A numbered list of the events, for failure messages.
    fn describe(&self) -> String {
        let mut s = String::from("events:\n");
        for (i, e) in self.events().iter().enumerate() {
            s.push_str(&format!("  {i:>3}: {e:?}\n"));
        }
        s
    }
}

/// Drives a [`Bolt`] (or, with [`BoltHarness::batching`], a [`BatchingBolt`]).
pub struct BoltHarness<B> {
    h: Harness,
    _b: PhantomData<B>,
}

impl<B> BoltHarness<B> {
    /// Feeds a tuple to `process`.
    pub fn process(&mut self, tuple: TupleBuilder) -> Result<(), Failure> {
        self.h.tuple(tuple, false)
    }

    /// Feeds a tick tuple (`__system:__tick`, values `[freq]`).
    pub fn tick(&mut self, freq: u64) -> Result<(), Failure> {
        self.h.tuple(
            TupleBuilder::new(json!([freq]))
                .from("__system")
                .stream("__tick")
                .task(-1),
            true,
        )
    }

    /// A heartbeat: `sparse-host` answers it with `sync` without calling the component,
    /// so nothing happens here either; present so tests can interleave them.
    pub fn heartbeat(&mut self) {}

    /// Asserts every emit so far is anchored to `id`.
    pub fn assert_emits_anchored_to(&self, id: &str) {
        for e in &self.h.recorder.events {
            if let Event::Emit { anchors, .. } = e {
                assert!(
                    anchors.iter().any(|a| a == id),
                    "an emit is not anchored to {id:?}\n{}",
                    self.describe()
                );
            }
        }
    }
}

impl<B: Bolt> BoltHarness<B> {
    /// A harness with the default configuration.
    pub fn new() -> Result<Self, Failure> {
        Self::with_config(HarnessConfig::default())
    }

    /// A harness with this configuration.
    pub fn with_config(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<B>();
        Ok(BoltHarness {
            h: Harness::new(
                ComponentEntry::bolt::<B>(name),
                B::OUTPUTS,
                name,
                cfg,
                false,
            )?,
            _b: PhantomData,
        })
    }
}

/// Marks a [`BoltHarness`] that drives a [`BatchingBolt`].
pub struct Batched<B>(PhantomData<B>);

impl<B: BatchingBolt> BoltHarness<Batched<B>> {
    /// A harness for a batching bolt.
    pub fn batching(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<B>();
        Ok(BoltHarness {
            h: Harness::new(
                ComponentEntry::batching_bolt::<B>(name),
                B::OUTPUTS,
                name,
                cfg,
                false,
            )?,
            _b: PhantomData,
        })
    }
}

impl<B> Recorded for BoltHarness<B> {
    fn events(&self) -> &[Event] {
        &self.h.recorder.events
    }
    fn clear_events(&mut self) {
        self.h.recorder.events.clear();
    }
}

/// Drives a [`Spout`].
pub struct SpoutHarness<S> {
    h: Harness,
    _s: PhantomData<S>,
}

impl<S: Spout> SpoutHarness<S> {
    /// A harness with the default configuration.
    pub fn new() -> Result<Self, Failure> {
        Self::with_config(HarnessConfig::default())
    }

    /// A harness with this configuration.
    pub fn with_config(cfg: HarnessConfig) -> Result<Self, Failure> {
        let name = short_name::<S>();
        Ok(SpoutHarness {
            h: Harness::new(
                ComponentEntry::spout::<S>(name),
                S::OUTPUTS,
                name,
                cfg,
                true,
            )?,
            _s: PhantomData,
        })
    }

    /// `activate`.
    pub fn activate(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.activate)
    }

    /// `deactivate`.
    pub fn deactivate(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.deactivate)
    }

    /// `next`.
    pub fn next_tuple(&mut self) -> Result<(), Failure> {
        self.h.command(self.h.vtable.next_tuple)
    }

    /// `ack` with a message id (as the spout emitted it).
    pub fn ack(&mut self, message_id: Value) -> Result<(), Failure> {
        self.h.with_id(self.h.vtable.ack, &message_id)
    }

    /// `fail` with a message id.
    pub fn fail(&mut self, message_id: Value) -> Result<(), Failure> {
        self.h.with_id(self.h.vtable.fail, &message_id)
    }

    /// `(message id, values)` of every emit, in order (`None` for unreliable emits).
    pub fn emits(&self) -> Vec<(Option<Value>, Value)> {
        self.select(|e| match e {
            Event::Emit {
                message_id, values, ..
            } => Some((message_id.clone(), values.clone())),
            _ => None,
        })
    }
}

impl<S> Recorded for SpoutHarness<S> {
    fn events(&self) -> &[Event] {
        &self.h.recorder.events
    }
    fn clear_events(&mut self) {
        self.h.recorder.events.clear();
    }
}
