//! [`Context`]: the Storm configuration and topology context a component is created with.

use serde_json::{Map, Value};

/// What Storm tells a task about itself in the handshake: the effective configuration
/// (`conf`) and the topology context (task ids, streams, groupings).
///
/// ```
/// use plugin_api::Context;
///
/// let ctx = Context::from_json(
///     r#"{"topology.name":"wordcount","topology.tick.tuple.freq.secs":5}"#,
///     r#"{"taskid":3,"componentid":"word-counter","task->component":{"3":"word-counter"}}"#,
/// ).unwrap();
/// assert_eq!(ctx.topology_name(), "wordcount");
/// assert_eq!(ctx.component_id(), "word-counter");
/// assert_eq!(ctx.task_id(), 3);
/// assert_eq!(ctx.conf_u64("topology.tick.tuple.freq.secs"), Some(5));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Context {
    conf: Map<String, Value>,
    topology: Value,
}

impl Context {
    /// Parses the handshake's `conf` and `context` JSON objects. A missing or `null`
    /// context is accepted (Storm before 0.10 sent less).
    pub fn from_json(conf: &str, context: &str) -> Result<Context, serde_json::Error> {
        let conf: Map<String, Value> = if conf.trim().is_empty() {
            Map::new()
        } else {
            serde_json::from_str(conf)?
        };
        let topology: Value = if context.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(context)?
        };
        Ok(Context { conf, topology })
    }

    /// Builds a context from values (used by the test kit).
    pub fn new(conf: Map<String, Value>, topology: Value) -> Context {
        Context { conf, topology }
    }

    /// The whole Storm configuration.
    pub fn conf(&self) -> &Map<String, Value> {
        &self.conf
    }

    /// One configuration value.
    pub fn conf_value(&self, key: &str) -> Option<&Value> {
        self.conf.get(key).filter(|v| !v.is_null())
    }

    /// A configuration value that is a non-negative integer (or a numeric string).
    pub fn conf_u64(&self, key: &str) -> Option<u64> {
        match self.conf_value(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A configuration value that is a string.
    pub fn conf_str(&self, key: &str) -> Option<&str> {
        self.conf_value(key)?.as_str()
    }

    /// `topology.debug`.
    pub fn debug(&self) -> bool {
        self.conf_value("topology.debug")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The topology context JSON (`task->component`, `stream->outputfields`, …).
    pub fn topology_context(&self) -> &Value {
        &self.topology
    }

    /// `topology.name` from the configuration (empty if absent).
    pub fn topology_name(&self) -> &str {
        self.conf_str("topology.name").unwrap_or("")
    }

    /// This task's component id (`componentid`; empty if absent).
    pub fn component_id(&self) -> &str {
        self.topology
            .get("componentid")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// This task's id (`taskid`; 0 if absent).
    pub fn task_id(&self) -> i64 {
        self.topology
            .get("taskid")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// The task ids of a component, ascending.
    pub fn component_tasks(&self, component: &str) -> Vec<i64> {
        let mut tasks: Vec<i64> = self
            .topology
            .get("task->component")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, c)| c.as_str() == Some(component))
                    .filter_map(|(t, _)| t.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        tasks.sort_unstable();
        tasks
    }
}
