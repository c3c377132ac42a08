//! Storm's side of the pipe: decoding what a component sends, encoding what Storm sends.
//!
//! This is the half that Storm's `ShellBolt` / `ShellSpout` implement in Java, used by the
//! local runner (`sparse run`).
//!
//! * Decoding ([`decode`], [`decode_pid`]) applies Storm's strict field-type rules
//!   (`JsonSerializer.readShellMsg`): every field is checked on every command, whatever the
//!   command, so `{"command":"ack","id":"1","stream":1}` is an error. Tuple values and spout
//!   message ids stay raw JSON ([`RawValue`]) so a router can pass them on without
//!   re-encoding.
//! * Encoding ([`write_handshake`], [`write_bolt_tuple`], [`write_heartbeat`],
//!   [`write_tick`], [`write_spout_command`], [`write_task_ids`]) appends complete frames
//!   (`<json>\nend\n`) to an output buffer.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::frame::TERMINATOR;
use crate::json::{write_i64, write_str};

/// Conf key: how many commands Storm's side keeps in a spout's pipe at once (a whole
/// number from 1). Storm's `ShellSpout` has one: it waits for each `sync`. `sparse run` and
/// the jar's `SparseShellSpout` read this key and keep up to [`DEFAULT_SPOUT_PIPELINE`].
pub const SPOUT_PIPELINE_KEY: &str = "sparse.spout.pipeline";
/// The default of [`SPOUT_PIPELINE_KEY`].
pub const DEFAULT_SPOUT_PIPELINE: usize = 8;

/// A message a component sent to Storm, after the handshake.
#[derive(Debug, Clone)]
pub enum ShellMsg {
    /// `emit` (both roles).
    Emit(Emit),
    /// `ack` of a bolt input; `id` is raw JSON (must be the string Storm sent).
    Ack {
        /// The raw id.
        id: Box<RawValue>,
    },
    /// `fail` of a bolt input; `id` is raw JSON (must be the string Storm sent).
    Fail {
        /// The raw id.
        id: Box<RawValue>,
    },
    /// `log`.
    Log {
        /// The text.
        msg: String,
        /// 0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR; anything else or absent means INFO.
        level: Option<i64>,
    },
    /// `error`: reported, nothing else.
    Error {
        /// The text.
        msg: String,
    },
    /// `metrics`.
    Metrics {
        /// Metric name (None when absent or not a string, which Storm treats as fatal).
        name: Option<String>,
        /// Parameters, raw.
        params: Option<Box<RawValue>>,
    },
    /// `sync`: end of a spout's answer, or a bolt's heartbeat reply.
    Sync,
    /// Any other command (ignored by bolts, fatal for spouts).
    Other {
        /// The command name.
        command: String,
    },
}

impl ShellMsg {
    /// The command's name as it appears on the JSON wire (`emit`, `ack`, `sync`, …).
    pub fn command(&self) -> &str {
        match self {
            ShellMsg::Emit(_) => "emit",
            ShellMsg::Ack { .. } => "ack",
            ShellMsg::Fail { .. } => "fail",
            ShellMsg::Log { .. } => "log",
            ShellMsg::Error { .. } => "error",
            ShellMsg::Metrics { .. } => "metrics",
            ShellMsg::Sync => "sync",
            ShellMsg::Other { command } => command,
        }
    }
}

/// An `emit` command.
#[derive(Debug, Clone)]
pub struct Emit {
    /// Stream; `None` when absent or null, meaning `"default"`.
    pub stream: Option<String>,
    /// Direct-emit target; `None` when absent, null or 0 (a normal emit). Like Storm, only
    /// the low 32 bits of a non-zero value count (`4294967305` is task 9).
    pub task: Option<i64>,
    /// `need_task_ids`; absent or null means true.
    pub need_task_ids: bool,
    /// The values: a raw JSON array. `None` when absent or null.
    pub tuple: Option<Box<RawValue>>,
    /// Anchor ids (bolt emits). A single string is accepted as one anchor.
    pub anchors: Vec<String>,
    /// The spout message id, raw; `None` when absent or JSON `null` (unreliable).
    pub id: Option<Box<RawValue>>,
}

impl Emit {
    /// The stream this emit goes to (`"default"` when not given).
    pub fn stream(&self) -> &str {
        self.stream.as_deref().unwrap_or("default")
    }
}

/// Why a frame is not a valid component message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

#[derive(Deserialize)]
struct RawMsg<'a> {
    #[serde(borrow, default)]
    command: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    msg: Option<&'a RawValue>,
    #[serde(borrow, default)]
    stream: Option<&'a RawValue>,
    #[serde(borrow, default)]
    task: Option<&'a RawValue>,
    #[serde(borrow, default)]
    need_task_ids: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tuple: Option<&'a RawValue>,
    #[serde(borrow, default)]
    anchors: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    level: Option<&'a RawValue>,
}

fn first_byte(v: &RawValue) -> u8 {
    v.get().as_bytes().first().copied().unwrap_or(b' ')
}

fn is_null(v: Option<&RawValue>) -> bool {
    v.is_none_or(|v| v.get() == "null")
}

/// Decodes a raw JSON string value (`"..."`) into its text.
pub fn raw_str(v: &RawValue) -> Option<Cow<'_, str>> {
    if first_byte(v) != b'"' {
        return None;
    }
    let s = v.get();
    let inner = &s[1..s.len() - 1];
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(s).ok().map(Cow::Owned)
}

fn opt_string(v: Option<&RawValue>, field: &str) -> Result<Option<String>, DecodeError> {
    if is_null(v) {
        return Ok(None);
    }
    match raw_str(v.unwrap()) {
        Some(s) => Ok(Some(s.into_owned())),
        None => err(format!(
            "field `{field}` must be a string, got {}",
            v.unwrap()
        )),
    }
}

fn owned(v: &RawValue) -> Box<RawValue> {
    v.to_owned()
}

/// Decodes one component message (a frame's text) with Storm's type rules.
pub fn decode(frame: &str) -> Result<ShellMsg, DecodeError> {
    let trimmed = frame.trim_start();
    if !trimmed.starts_with('{') {
        return err(format!(
            "expected a JSON object with a `command`, got {}",
            excerpt(frame)
        ));
    }
    let raw: RawMsg = serde_json::from_str(frame)
        .map_err(|e| DecodeError(format!("invalid JSON ({e}): {}", excerpt(frame))))?;
    let command = match raw.command {
        None => return err(format!("message has no `command`: {}", excerpt(frame))),
        Some(c) => match raw_str(c) {
            Some(c) => c,
            None if c.get() == "null" => {
                return err(format!("message has no `command`: {}", excerpt(frame)));
            }
            None => return err(format!("`command` must be a string, got {c}")),
        },
    };
    // Every field is type-checked whatever the command (readShellMsg decodes them all).
    let msg = opt_string(raw.msg, "msg")?;
    let stream = opt_string(raw.stream, "stream")?;
    let task = match raw.task {
        v if is_null(v) => None,
        Some(v) => match v.get().parse::<i64>() {
            Ok(0) => None,
            // Storm reads a Long and emits direct to its low 32 bits, `(int) task`; this
            // is also how sparse-host gets past Storm >= 2.6's Integer/Long cast.
            Ok(t) => Some(i64::from(t as i32)),
            Err(_) => return err(format!("field `task` must be an integer, got {v}")),
        },
        None => None,
    };
    let need_task_ids = match raw.need_task_ids {
        v if is_null(v) => true,
        Some(v) => match v.get() {
            "true" => true,
            "false" => false,
            other => {
                return err(format!(
                    "field `need_task_ids` must be a boolean, got {other}"
                ));
            }
        },
        None => true,
    };
    let tuple = match raw.tuple {
        v if is_null(v) => None,
        Some(v) if first_byte(v) == b'[' => Some(owned(v)),
        Some(v) => return err(format!("field `tuple` must be an array, got {v}")),
        None => None,
    };
    let anchors = match raw.anchors {
        v if is_null(v) => Vec::new(),
        Some(v) if first_byte(v) == b'"' => vec![raw_str(v).unwrap().into_owned()],
        Some(v) if first_byte(v) == b'[' => {
            let items: Vec<&RawValue> = serde_json::from_str(v.get())
                .map_err(|e| DecodeError(format!("bad `anchors`: {e}")))?;
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                match raw_str(it) {
                    Some(s) => out.push(s.into_owned()),
                    None => return err(format!("`anchors` must hold strings, got {it}")),
                }
            }
            out
        }
        Some(v) => {
            return err(format!(
                "field `anchors` must be an array of strings, got {v}"
            ));
        }
        None => Vec::new(),
    };
    // A non-string name is ignored (then the null name is fatal for `metrics`).
    let name = raw.name.and_then(raw_str).map(Cow::into_owned);
    // A non-number level is ignored.
    let level = raw.level.and_then(|v| {
        let s = v.get();
        s.parse::<i64>()
            .ok()
            .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
    });

    Ok(match &*command {
        "emit" => ShellMsg::Emit(Emit {
            stream,
            task,
            need_task_ids,
            tuple,
            anchors,
            id: if is_null(raw.id) {
                None
            } else {
                raw.id.map(owned)
            },
        }),
        "ack" | "fail" => {
            let id = match raw.id {
                Some(v) => owned(v),
                None => RawValue::from_string("null".into()).expect("valid JSON"),
            };
            if &*command == "ack" {
                ShellMsg::Ack { id }
            } else {
                ShellMsg::Fail { id }
            }
        }
        "log" => ShellMsg::Log {
            msg: msg.ok_or_else(|| DecodeError("`log` without a string `msg`".into()))?,
            level,
        },
        "error" => ShellMsg::Error {
            msg: msg.unwrap_or_default(),
        },
        "metrics" => ShellMsg::Metrics {
            name,
            params: raw.params.map(owned),
        },
        "sync" => ShellMsg::Sync,
        other => ShellMsg::Other {
            command: other.to_owned(),
        },
    })
}

/// Decodes the handshake reply `{"pid": N}`.
pub fn decode_pid(frame: &str) -> Result<u32, DecodeError> {
    #[derive(Deserialize)]
    struct Pid<'a> {
        #[serde(borrow, default)]
        pid: Option<&'a RawValue>,
    }
    let p: Pid = serde_json::from_str(frame)
        .map_err(|e| DecodeError(format!("invalid pid reply ({e}): {}", excerpt(frame))))?;
    match p.pid {
        Some(v) => v
            .get()
            .parse::<u32>()
            .map_err(|_| DecodeError(format!("`pid` must be a JSON number, got {}", v.get()))),
        None => err(format!(
            "first message must be {{\"pid\": N}}, got {}",
            excerpt(frame)
        )),
    }
}

/// The first 200 characters of a frame, for error messages.
pub fn excerpt(frame: &str) -> String {
    let mut end = frame.len().min(200);
    while !frame.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = frame[..end].to_owned();
    if end < frame.len() {
        s.push('…');
    }
    format!("{s:?}")
}

/// Appends the setup message `{"conf":…,"pidDir":"…","context":…}` as a frame.
/// `conf` and `context` are JSON objects already encoded.
pub fn write_handshake(out: &mut Vec<u8>, conf_json: &str, pid_dir: &str, context_json: &str) {
    out.extend_from_slice(b"{\"conf\":");
    out.extend_from_slice(conf_json.as_bytes());
    out.extend_from_slice(b",\"pidDir\":");
    write_str(out, pid_dir);
    out.extend_from_slice(b",\"context\":");
    out.extend_from_slice(context_json.as_bytes());
    out.push(b'}');
    out.extend_from_slice(TERMINATOR);
}

/// Appends a tuple for a bolt: `{"id":"<id>","comp":…,"stream":…,"task":N,"tuple":<raw>}`.
/// `id` is written as a decimal string; `tuple_json` is the raw values array.
pub fn write_bolt_tuple(
    out: &mut Vec<u8>,
    id: i64,
    comp: Option<&str>,
    stream: &str,
    task: i64,
    tuple_json: &str,
) {
    out.extend_from_slice(b"{\"id\":\"");
    write_i64(out, id);
    out.extend_from_slice(b"\",\"comp\":");
    match comp {
        Some(c) => write_str(out, c),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"stream\":");
    write_str(out, stream);
    out.extend_from_slice(b",\"task\":");
    write_i64(out, task);
    out.extend_from_slice(b",\"tuple\":");
    out.extend_from_slice(tuple_json.as_bytes());
    out.push(b'}');
    out.extend_from_slice(TERMINATOR);
}

/// Appends a heartbeat tuple (`comp` null, stream `__heartbeat`, task -1, no values).
pub fn write_heartbeat(out: &mut Vec<u8>, id: i64) {
    write_bolt_tuple(out, id, None, "__heartbeat", -1, "[]");
}

/// Appends a tick tuple (`comp` `__system`, stream `__tick`, task -1, values `[freq]`).
pub fn write_tick(out: &mut Vec<u8>, id: i64, freq_secs: i64) {
    let mut vals = Vec::with_capacity(8);
    vals.push(b'[');
    write_i64(&mut vals, freq_secs);
    vals.push(b']');
    // The buffer holds ASCII digits only.
    let vals = std::str::from_utf8(&vals).expect("ascii");
    write_bolt_tuple(out, id, Some("__system"), "__tick", -1, vals);
}

/// Appends a spout command `{"command":C,"id":<raw id>}`; `id_json` `None` writes `""`
/// (as Storm does for `next`, `activate`, `deactivate`).
pub fn write_spout_command(out: &mut Vec<u8>, command: &str, id_json: Option<&str>) {
    out.extend_from_slice(b"{\"command\":");
    write_str(out, command);
    out.extend_from_slice(b",\"id\":");
    out.extend_from_slice(id_json.unwrap_or("\"\"").as_bytes());
    out.push(b'}');
    out.extend_from_slice(TERMINATOR);
}

/// Appends a task-id list such as `[2,7]`.
pub fn write_task_ids(out: &mut Vec<u8>, ids: &[i64]) {
    out.push(b'[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_i64(out, *id);
    }
    out.push(b']');
    out.extend_from_slice(TERMINATOR);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{BoltTuple, SpoutCommand, parse_task_ids};
    use crate::frame::FrameReader;

    fn one_frame(bytes: &[u8]) -> String {
        let mut r = FrameReader::new(bytes);
        let mut buf = Vec::new();
        let s = r.read_frame_str(&mut buf).unwrap().unwrap().to_owned();
        assert!(!r.read_frame(&mut buf).unwrap());
        s
    }

    #[test]
    fn emit_full() {
        let m = decode(
            r#"{"command":"emit","anchors":["1","-2"],"stream":"s","tuple":["a",1],"need_task_ids":false,"id":{"k":1}}"#,
        )
        .unwrap();
        let ShellMsg::Emit(e) = m else { panic!() };
        assert_eq!(e.stream(), "s");
        assert_eq!(e.anchors, ["1", "-2"]);
        assert!(!e.need_task_ids);
        assert_eq!(e.tuple.unwrap().get(), r#"["a",1]"#);
        assert_eq!(e.id.unwrap().get(), r#"{"k":1}"#);
        assert_eq!(e.task, None);
    }

    #[test]
    fn emit_defaults_and_quirks() {
        let ShellMsg::Emit(e) =
            decode(r#"{"command":"emit","tuple":["x"],"task":0,"anchors":"7","id":null}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.stream(), "default");
        assert!(e.need_task_ids);
        assert_eq!(e.task, None, "task 0 is a normal emit");
        assert_eq!(e.anchors, ["7"], "a single string anchor is accepted");
        assert!(e.id.is_none());
        let ShellMsg::Emit(e) = decode(r#"{"command":"emit","tuple":[],"task":9}"#).unwrap() else {
            panic!()
        };
        assert_eq!(e.task, Some(9));
        let ShellMsg::Emit(e) =
            decode(r#"{"command":"emit","tuple":[],"task":4294967305}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.task, Some(9), "Storm keeps the low 32 bits");
    }

    #[test]
    fn strict_types_apply_to_every_command() {
        for bad in [
            r#"{"command":"ack","id":"1","stream":1}"#,
            r#"{"command":"sync","need_task_ids":"yes"}"#,
            r#"{"command":"emit","tuple":"x"}"#,
            r#"{"command":"emit","tuple":[],"anchors":[1]}"#,
            r#"{"command":"emit","tuple":[],"task":"3"}"#,
            r#"{"command":"log","msg":5}"#,
            r#"{"command":7}"#,
            r#"{"id":"1"}"#,
            r#"["emit"]"#,
            "not json",
            r#"{"command":"emit""#,
        ] {
            assert!(decode(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn log_levels_and_lenient_fields() {
        assert!(matches!(
            decode(r#"{"command":"log","msg":"hi","level":3}"#).unwrap(),
            ShellMsg::Log { msg, level: Some(3) } if msg == "hi"
        ));
        // A non-number level and a non-string name are ignored, not fatal.
        assert!(matches!(
            decode(r#"{"command":"log","msg":"hi","level":"x"}"#).unwrap(),
            ShellMsg::Log { level: None, .. }
        ));
        assert!(matches!(
            decode(r#"{"command":"metrics","name":3,"params":1}"#).unwrap(),
            ShellMsg::Metrics { name: None, params: Some(p) } if p.get() == "1"
        ));
        assert!(matches!(
            decode(r#"{"command":"reset_timeout","id":"1"}"#).unwrap(),
            ShellMsg::Other { command } if command == "reset_timeout"
        ));
        assert!(matches!(
            decode("{\n \"command\": \"sync\"\n}").unwrap(),
            ShellMsg::Sync
        ));
    }

    #[test]
    fn ack_ids_stay_raw() {
        let ShellMsg::Ack { id } = decode(r#"{"command":"ack","id":"-69"}"#).unwrap() else {
            panic!()
        };
        assert_eq!(raw_str(&id).unwrap(), "-69");
        let ShellMsg::Fail { id } = decode(r#"{"command":"fail","id":69}"#).unwrap() else {
            panic!()
        };
        assert!(
            raw_str(&id).is_none(),
            "a numeric id is not the string Storm sent"
        );
        assert_eq!(
            raw_str(&RawValue::from_string(r#""a\"b""#.into()).unwrap()).unwrap(),
            "a\"b"
        );
    }

    #[test]
    fn pid_reply() {
        assert_eq!(decode_pid(r#"{"pid": 4321}"#).unwrap(), 4321);
        assert!(decode_pid(r#"{"pid": "4321"}"#).is_err());
        assert!(decode_pid(r#"{"command":"sync"}"#).is_err());
    }

    #[test]
    fn encoders_round_trip_through_component_views() {
        let mut out = Vec::new();
        write_bolt_tuple(
            &mut out,
            -5,
            Some("spout \"x\""),
            "default",
            4,
            r#"["a",1.50]"#,
        );
        let s = one_frame(&out);
        let t: BoltTuple = serde_json::from_str(&s).unwrap();
        assert_eq!(t.id.get(), "\"-5\"");
        assert_eq!(t.comp.as_deref(), Some("spout \"x\""));
        assert_eq!(t.task, 4);
        assert_eq!(t.tuple.get(), r#"["a",1.50]"#);

        out.clear();
        write_heartbeat(&mut out, 9);
        let s = one_frame(&out);
        let t: BoltTuple = serde_json::from_str(&s).unwrap();
        assert!(t.is_heartbeat() && t.comp.is_none());

        out.clear();
        write_tick(&mut out, 9, 10);
        let s = one_frame(&out);
        let t: BoltTuple = serde_json::from_str(&s).unwrap();
        assert!(t.is_tick());
        assert_eq!(t.tuple.get(), "[10]");

        out.clear();
        write_spout_command(&mut out, "next", None);
        write_spout_command(&mut out, "ack", Some(r#"{"k":[1]}"#));
        let mut r = FrameReader::new(&out[..]);
        let mut buf = Vec::new();
        let c: SpoutCommand =
            serde_json::from_str(r.read_frame_str(&mut buf).unwrap().unwrap()).unwrap();
        assert_eq!((&*c.command, c.id.unwrap().get()), ("next", "\"\""));
        let c: SpoutCommand =
            serde_json::from_str(r.read_frame_str(&mut buf).unwrap().unwrap()).unwrap();
        assert_eq!((&*c.command, c.id.unwrap().get()), ("ack", r#"{"k":[1]}"#));

        out.clear();
        write_task_ids(&mut out, &[3, 9]);
        assert_eq!(parse_task_ids(&one_frame(&out)).unwrap(), [3, 9]);
        out.clear();
        write_task_ids(&mut out, &[]);
        assert_eq!(one_frame(&out), "[]");

        out.clear();
        write_handshake(&mut out, r#"{"a":1}"#, "/tmp/p\"d", r#"{"taskid":3}"#);
        let v: serde_json::Value = serde_json::from_str(&one_frame(&out)).unwrap();
        assert_eq!(v["pidDir"], "/tmp/p\"d");
        assert_eq!(v["context"]["taskid"], 3);
    }
}
