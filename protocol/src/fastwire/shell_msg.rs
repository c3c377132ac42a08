//! Component-to-Storm messages on the fast wire: emit, ack, fail, log, error, metrics and
//! sync, written by sparse-host and read by sparse's serializer or by `sparse run`.

use super::from_json::{json_to_list, json_to_value};
use super::to_json::{Cursor, list_to_json, write_value_json};
use super::{FastError, begin_frame, end_frame, fail, put_str, put_u32};
use super::{M_ACK, M_EMIT, M_ERROR, M_FAIL, M_LOG, M_METRICS, M_SYNC, T_NULL, T_STR};
use crate::json::write_str;
use crate::shell::{Emit, ShellMsg};

const F_STREAM: u8 = 1;
const F_NEED_IDS: u8 = 2;
const F_TASK: u8 = 4;
const F_ID: u8 = 8;

/// The parts of an emit, with ids and values as JSON text.
#[derive(Debug, Clone, Default)]
pub struct EmitParts<'a> {
    /// Stream, when not the default.
    pub stream: Option<&'a str>,
    /// Direct task as sent (sparse-host adds 2^32); `None` for a normal emit.
    pub task: Option<i64>,
    /// `need_task_ids`.
    pub need_task_ids: bool,
    /// Anchors: raw JSON ids (quoted strings).
    pub anchors: &'a [&'a str],
    /// Spout message id, raw JSON.
    pub id: Option<&'a str>,
    /// The values, a JSON array.
    pub values: &'a str,
}

/// Appends an emit frame. On error nothing is appended.
pub fn write_emit(out: &mut Vec<u8>, e: &EmitParts<'_>) -> Result<(), FastError> {
    let at = begin_frame(out, M_EMIT);
    let r = (|| {
        let mut flags = 0;
        if e.stream.is_some() {
            flags |= F_STREAM;
        }
        if e.need_task_ids {
            flags |= F_NEED_IDS;
        }
        if e.task.is_some() {
            flags |= F_TASK;
        }
        if e.id.is_some() {
            flags |= F_ID;
        }
        out.push(flags);
        if let Some(s) = e.stream {
            put_str(out, s.as_bytes());
        }
        if let Some(t) = e.task {
            out.extend_from_slice(&t.to_be_bytes());
        }
        put_u32(out, e.anchors.len() as u32);
        for a in e.anchors {
            let s = json_string(a).ok_or_else(|| FastError {
                what: format!("an anchor must be a JSON string id, got {a}"),
                offset: 0,
            })?;
            put_str(out, s.as_bytes());
        }
        if let Some(id) = e.id {
            json_to_value(id, out)?;
        }
        json_to_list(e.values, out)
    })();
    match r {
        Ok(()) => {
            end_frame(out, at);
            Ok(())
        }
        Err(err) => {
            out.truncate(at);
            Err(err)
        }
    }
}

/// The text of a JSON string literal (with escapes decoded), or `None` if `json` is not one.
fn json_string(json: &str) -> Option<std::borrow::Cow<'_, str>> {
    let t = json.trim();
    let inner = t.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains(['\\', '"']) {
        return Some(std::borrow::Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(t)
        .ok()
        .map(std::borrow::Cow::Owned)
}

/// Appends an ack (`fail == false`) or fail frame for a raw JSON id.
pub fn write_ack_fail(out: &mut Vec<u8>, fail_it: bool, id_json: &str) -> Result<(), FastError> {
    let at = begin_frame(out, if fail_it { M_FAIL } else { M_ACK });
    if let Err(e) = json_to_value(id_json, out) {
        out.truncate(at);
        return Err(e);
    }
    end_frame(out, at);
    Ok(())
}

/// Appends a log frame (`level` 0 TRACE … 4 ERROR).
pub fn write_log(out: &mut Vec<u8>, level: i32, msg: &str) {
    let at = begin_frame(out, M_LOG);
    out.extend_from_slice(&level.to_be_bytes());
    put_str(out, msg.as_bytes());
    end_frame(out, at);
}

/// Appends an error frame.
pub fn write_error(out: &mut Vec<u8>, msg: &str) {
    let at = begin_frame(out, M_ERROR);
    put_str(out, msg.as_bytes());
    end_frame(out, at);
}

/// Appends a metrics frame; `params_json` is raw JSON (`null` when empty).
pub fn write_metrics(out: &mut Vec<u8>, name: &str, params_json: &str) -> Result<(), FastError> {
    let at = begin_frame(out, M_METRICS);
    out.push(T_STR);
    put_str(out, name.as_bytes());
    let params = if params_json.is_empty() {
        "null"
    } else {
        params_json
    };
    if let Err(e) = json_to_value(params, out) {
        out.truncate(at);
        return Err(e);
    }
    end_frame(out, at);
    Ok(())
}

/// Appends a sync frame.
pub fn write_sync(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 1, M_SYNC]);
}

fn raw(json: Vec<u8>) -> Box<serde_json::value::RawValue> {
    // The cursor writes strict JSON (NaN and Infinity as null), which RawValue takes; the
    // fallback keeps the message decodable should it ever not.
    let s = String::from_utf8(json).expect("value_to_json writes UTF-8");
    serde_json::value::RawValue::from_string(s.clone()).unwrap_or_else(|_| {
        let mut q = Vec::new();
        write_str(&mut q, &s);
        serde_json::value::RawValue::from_string(String::from_utf8(q).expect("utf8"))
            .expect("a JSON string")
    })
}

/// Decodes a component-to-Storm frame into the same [`ShellMsg`] the JSON path gives
/// (used by `sparse run` and the tests). Its values are JSON, so a NaN or ±Infinity double
/// becomes `null`, as `sparse-host` itself writes them on the JSON wire (serde_json);
/// Storm's side of the fast wire (the Java serializer) keeps them as doubles.
pub fn decode_shell_msg(frame: &[u8]) -> Result<ShellMsg, FastError> {
    let mut c = Cursor::new(frame, 0);
    c.nonfinite_as_null = true;
    let value = |c: &mut Cursor<'_>| -> Result<Vec<u8>, FastError> {
        let mut v = Vec::new();
        write_value_json(c, &mut v, 0)?;
        Ok(v)
    };
    let msg = match c.u8("a message")? {
        M_EMIT => {
            let flags = c.u8("an emit's flags")?;
            if flags & !(F_STREAM | F_NEED_IDS | F_TASK | F_ID) != 0 {
                return fail(format!("unknown emit flags 0x{flags:02x}"), 1);
            }
            let stream = if flags & F_STREAM != 0 {
                Some(c.str("an emit's stream")?.to_owned())
            } else {
                None
            };
            let task = if flags & F_TASK != 0 {
                match c.i64("an emit's task")? {
                    0 => None,
                    t => Some(i64::from(t as i32)),
                }
            } else {
                None
            };
            let n = c.u32("an emit's anchor count")? as usize;
            if n > frame.len() / 4 {
                return fail(format!("anchor count {n} larger than the message"), c.pos);
            }
            let mut anchors = Vec::with_capacity(n);
            for _ in 0..n {
                anchors.push(c.str("an anchor")?.to_owned());
            }
            // A null id is an unreliable emit, as on the JSON wire.
            let id = if flags & F_ID != 0 {
                Some(value(&mut c)?).filter(|v| v != b"null").map(raw)
            } else {
                None
            };
            let mut vals = Vec::new();
            list_to_json(&mut c, &mut vals)?;
            ShellMsg::Emit(Emit {
                stream,
                task,
                need_task_ids: flags & F_NEED_IDS != 0,
                tuple: Some(raw(vals)),
                anchors,
                id,
            })
        }
        M_ACK => ShellMsg::Ack {
            id: raw(value(&mut c)?),
        },
        M_FAIL => ShellMsg::Fail {
            id: raw(value(&mut c)?),
        },
        M_LOG => {
            let level = c.i32("a log level")?;
            let msg = c.str("a log message")?.to_owned();
            ShellMsg::Log {
                msg,
                level: (level >= 0).then_some(i64::from(level)),
            }
        }
        M_ERROR => ShellMsg::Error {
            msg: c.str("an error message")?.to_owned(),
        },
        M_METRICS => {
            let at = c.pos;
            let name = match c.u8("a metric name")? {
                T_STR => Some(c.str("a metric name")?.to_owned()),
                T_NULL => None,
                t => return fail(format!("a metric name has value tag 0x{t:02x}"), at),
            };
            ShellMsg::Metrics {
                name,
                params: Some(raw(value(&mut c)?)),
            }
        }
        M_SYNC => ShellMsg::Sync,
        k => {
            return fail(
                format!(
                    "unknown message kind 0x{k:02x} (expected emit, ack, fail, log, error, metrics or sync)"
                ),
                0,
            );
        }
    };
    c.expect_end("the message")?;
    Ok(msg)
}
