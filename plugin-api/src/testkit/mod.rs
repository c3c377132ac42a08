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

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::declare::StreamDecl;

// The in-process host: the ABI callbacks that record events, and the shared harness core.
mod host;
// The bolt and spout harnesses a test drives.
mod harness;

pub use harness::{Batched, BoltHarness, SpoutHarness};

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
