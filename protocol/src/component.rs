//! What Storm sends to a component, as borrowed views of one frame.
//!
//! Parsing borrows from the frame: tuple values, ids and the handshake's `conf` and
//! `context` stay [`RawValue`]s, so a host can hand them on without re-encoding. Ids are
//! opaque JSON: a bolt tuple id is a string in practice, a spout message id can be any
//! JSON value, and both are echoed back byte for byte.
//!
//! Messages are told apart the way Storm's own adapters do it: an array is a task-id
//! list, an object is a tuple (bolts) or a command (spouts).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The first message of every task: `{"conf":{…},"pidDir":"…","context":{…}}`.
#[derive(Debug, Deserialize)]
pub struct Handshake<'a> {
    /// The component's effective Storm configuration (a JSON object).
    #[serde(borrow)]
    pub conf: &'a RawValue,
    /// Directory in which the component creates an empty file named after its pid.
    #[serde(rename = "pidDir", borrow)]
    pub pid_dir: Cow<'a, str>,
    /// The topology context (`task->component`, `taskid`, `componentid`, …).
    #[serde(borrow)]
    pub context: &'a RawValue,
}

/// A tuple delivered to a bolt, including ticks and heartbeats.
#[derive(Debug, Deserialize)]
pub struct BoltTuple<'a> {
    /// The delivery id (a JSON string in practice), kept raw.
    #[serde(borrow)]
    pub id: &'a RawValue,
    /// Source component; `null` on heartbeats.
    #[serde(borrow, default)]
    pub comp: Option<Cow<'a, str>>,
    /// Source stream.
    #[serde(borrow)]
    pub stream: Cow<'a, str>,
    /// Source task (-1 for ticks and heartbeats).
    pub task: i64,
    /// The values, a JSON array kept raw.
    #[serde(borrow)]
    pub tuple: &'a RawValue,
}

impl BoltTuple<'_> {
    /// A heartbeat: answer it with exactly one `sync`, never ack or anchor it.
    pub fn is_heartbeat(&self) -> bool {
        self.task == -1 && self.stream == "__heartbeat"
    }

    /// A tick tuple (`comp == "__system" && stream == "__tick"`, Storm's own test).
    pub fn is_tick(&self) -> bool {
        self.stream == "__tick" && self.comp.as_deref() == Some("__system")
    }
}

/// A command to a spout: `{"command":"next","id":""}`, `ack`, `fail`, `activate`,
/// `deactivate`.
#[derive(Debug, Deserialize)]
pub struct SpoutCommand<'a> {
    /// The command name.
    #[serde(borrow)]
    pub command: Cow<'a, str>,
    /// The message id for `ack`/`fail` (raw JSON, handed back unchanged); `""` otherwise.
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
}

/// The shape of a frame, from its first non-blank byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A JSON object: a tuple or a command.
    Object,
    /// A JSON array: the task ids of an earlier emit.
    Array,
    /// Anything else (not valid protocol input).
    Other,
}

/// Classifies a frame without parsing it.
pub fn frame_kind(frame: &[u8]) -> FrameKind {
    match frame.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => FrameKind::Object,
        Some(b'[') => FrameKind::Array,
        _ => FrameKind::Other,
    }
}

/// Parses a task-id list such as `[2, 7]`.
pub fn parse_task_ids(frame: &str) -> Result<Vec<i64>, serde_json::Error> {
    serde_json::from_str(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_with_null_comp() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"-1","comp":null,"stream":"__heartbeat","task":-1,"tuple":[]}"#,
        )
        .unwrap();
        assert!(t.is_heartbeat());
        assert!(!t.is_tick());
        assert_eq!(t.comp, None);
    }

    #[test]
    fn tuple_values_stay_raw() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"-6955786537413359385","comp":"sentences","stream":"default","task":4,"tuple":["snow \/ white", 1.50]}"#,
        )
        .unwrap();
        assert_eq!(t.id.get(), "\"-6955786537413359385\"");
        assert_eq!(t.tuple.get(), r#"["snow \/ white", 1.50]"#);
        assert!(!t.is_heartbeat());
    }

    #[test]
    fn tick() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"1","comp":"__system","stream":"__tick","task":-1,"tuple":[10]}"#,
        )
        .unwrap();
        assert!(t.is_tick());
    }

    #[test]
    fn spout_ids_of_any_type() {
        for (wire, id) in [
            (r#"{"command":"ack","id":{"k":[1,2]}}"#, r#"{"k":[1,2]}"#),
            (r#"{"command":"fail","id":17}"#, "17"),
            (r#"{"command":"next","id":""}"#, "\"\""),
        ] {
            let c: SpoutCommand = serde_json::from_str(wire).unwrap();
            assert_eq!(c.id.unwrap().get(), id);
        }
        let c: SpoutCommand = serde_json::from_str(r#"{"command":"next"}"#).unwrap();
        assert!(c.id.is_none());
    }

    #[test]
    fn kinds() {
        assert_eq!(frame_kind(b"  [1]"), FrameKind::Array);
        assert_eq!(frame_kind(b"\n{}"), FrameKind::Object);
        assert_eq!(frame_kind(b"garbage"), FrameKind::Other);
        assert_eq!(parse_task_ids("[3, 9]").unwrap(), vec![3, 9]);
    }
}
