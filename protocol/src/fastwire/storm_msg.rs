//! Storm-to-component messages on the fast wire: bolt tuples, spout commands and task ids,
//! written by sparse's serializer or by `sparse run` and read by sparse-host.

use super::from_json::{json_to_list, json_to_value};
use super::to_json::{Cursor, list_to_json, write_value_json};
use super::{FastError, begin_frame, end_frame, fail, put_str, put_u32};
use super::{M_SPOUT, M_TASK_IDS, M_TUPLE, T_NULL, T_STR};
use crate::json::write_str;

/// Appends a bolt tuple frame. `values_json` is the JSON array of values.
pub fn write_bolt_tuple(
    out: &mut Vec<u8>,
    id: &str,
    comp: Option<&str>,
    stream: &str,
    task: i64,
    values_json: &str,
) -> Result<(), FastError> {
    let at = begin_frame(out, M_TUPLE);
    put_str(out, id.as_bytes());
    match comp {
        Some(c) => {
            out.push(T_STR);
            put_str(out, c.as_bytes());
        }
        None => out.push(T_NULL),
    }
    put_str(out, stream.as_bytes());
    out.extend_from_slice(&task.to_be_bytes());
    if let Err(e) = json_to_list(values_json, out) {
        out.truncate(at);
        return Err(e);
    }
    end_frame(out, at);
    Ok(())
}

/// Appends a spout command frame; `id_json` `None` sends `""` as Storm does for `next`.
pub fn write_spout_command(
    out: &mut Vec<u8>,
    command: &str,
    id_json: Option<&str>,
) -> Result<(), FastError> {
    let at = begin_frame(out, M_SPOUT);
    put_str(out, command.as_bytes());
    if let Err(e) = json_to_value(id_json.unwrap_or("\"\""), out) {
        out.truncate(at);
        return Err(e);
    }
    end_frame(out, at);
    Ok(())
}

/// Appends a task-id list frame.
pub fn write_task_ids(out: &mut Vec<u8>, ids: &[i64]) {
    let at = begin_frame(out, M_TASK_IDS);
    put_u32(out, ids.len() as u32);
    for id in ids {
        out.extend_from_slice(&(*id as i32).to_be_bytes());
    }
    end_frame(out, at);
}

/// A message from Storm, decoded for a component. Ids and values are JSON text in the
/// caller's scratch buffer (see [`decode_storm_msg`]), names borrow the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StormMsg<'a> {
    /// A bolt tuple; `id` and `values` are byte ranges of JSON text in the scratch buffer.
    Tuple {
        /// The id as a JSON string, range in scratch.
        id: (usize, usize),
        /// Source component (`None` on heartbeats).
        comp: Option<&'a str>,
        /// Source stream.
        stream: &'a str,
        /// Source task.
        task: i64,
        /// The values as a JSON array, range in scratch.
        values: (usize, usize),
    },
    /// A spout command; `id` is a range of JSON text in scratch.
    Spout {
        /// `next`, `ack`, `fail`, `activate`, `deactivate`, or another name.
        command: &'a str,
        /// The id, JSON, range in scratch.
        id: (usize, usize),
    },
    /// Task ids of an emit.
    TaskIds(Vec<i64>),
}

/// The kind byte of a frame, if it has one.
pub fn kind(frame: &[u8]) -> Option<u8> {
    frame.first().copied()
}

/// Decodes a Storm-to-component frame; JSON text for ids and values is appended to
/// `scratch` (cleared first).
pub fn decode_storm_msg<'a>(
    frame: &'a [u8],
    scratch: &mut Vec<u8>,
) -> Result<StormMsg<'a>, FastError> {
    scratch.clear();
    let mut c = Cursor::new(frame, 0);
    let msg = match c.u8("a message")? {
        M_TUPLE => {
            let id_str = c.str("a tuple's id")?;
            write_str(scratch, id_str);
            let id = (0, scratch.len());
            let at = c.pos;
            let comp = match c.u8("a tuple's component")? {
                T_NULL => None,
                T_STR => Some(c.str("a tuple's component")?),
                t => {
                    return fail(
                        format!(
                            "a tuple's component has value tag 0x{t:02x}, expected a string or null"
                        ),
                        at,
                    );
                }
            };
            let stream = c.str("a tuple's stream")?;
            let task = c.i64("a tuple's task")?;
            let v0 = scratch.len();
            list_to_json(&mut c, scratch)?;
            StormMsg::Tuple {
                id,
                comp,
                stream,
                task,
                values: (v0, scratch.len()),
            }
        }
        M_SPOUT => {
            let command = c.str("a spout command")?;
            write_value_json(&mut c, scratch, 0)?;
            StormMsg::Spout {
                command,
                id: (0, scratch.len()),
            }
        }
        M_TASK_IDS => {
            let n = c.u32("a task-id count")? as usize;
            if n > frame.len() / 4 {
                return fail(format!("task-id count {n} larger than the message"), 1);
            }
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(i64::from(c.i32("a task id")?));
            }
            StormMsg::TaskIds(ids)
        }
        k => {
            return fail(
                format!(
                    "unknown message kind 0x{k:02x} (expected a tuple, spout command or task ids)"
                ),
                0,
            );
        }
    };
    c.expect_end("the message")?;
    Ok(msg)
}
