//! The test kit's in-process host: an ABI callback table that records every emit, ack,
//! fail, log and error as an [`Event`], and the harness core that creates a component
//! and calls its entry points the way `sparse-host` does.

use std::ffi::c_void;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::abi::{
    ABI_MAJOR, ABI_MINOR, ComponentV1, EmitV1, HostApiV1, STATUS_INVALID, STATUS_OK, SpStr, TupleV1,
};
use crate::declare::StreamDecl;
use crate::export::ComponentEntry;

use super::{Event, Failure, HarnessConfig, TupleBuilder};

/// The harness's side of the ABI: records what the component does.
pub(super) struct Recorder {
    pub(super) events: Vec<Event>,
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
pub(super) struct Harness {
    pub(super) _entry: ComponentEntry,
    pub(super) vtable: ComponentV1,
    pub(super) instance: *mut c_void,
    pub(super) recorder: Box<Recorder>,
}

impl Harness {
    pub(super) fn new(
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

    pub(super) fn outcome(&self, status: i32) -> Result<(), Failure> {
        if status == STATUS_OK {
            Ok(())
        } else {
            Err(Failure {
                status,
                message: self.recorder.last_error.clone().unwrap_or_default(),
            })
        }
    }

    pub(super) fn tuple(&mut self, mut t: TupleBuilder, tick: bool) -> Result<(), Failure> {
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

    pub(super) fn command(&mut self, f: Option<crate::abi::CommandFn>) -> Result<(), Failure> {
        let Some(f) = f else { return Ok(()) };
        // SAFETY: a live instance.
        let status = unsafe { f(self.instance) };
        self.outcome(status)
    }

    pub(super) fn with_id(
        &mut self,
        f: Option<crate::abi::MessageIdFn>,
        id: &Value,
    ) -> Result<(), Failure> {
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
