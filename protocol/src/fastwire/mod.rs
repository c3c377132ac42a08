//! The fast wire: a compact binary framing of the multi-lang messages, spoken between
//! `sparse-host` and sparse's own Storm serializer (`org.sparse.storm.SparseSerializer`,
//! see `storm/serializer/`), so that Storm's JVM neither parses nor writes JSON.
//!
//! # Negotiation
//!
//! Every task starts on JSON. The serializer's handshake is Storm's usual
//! `{"conf":…,"pidDir":…,"context":…}` plus one field, [`OFFER_KEY`]` : `[`WIRE_NAME`]. A
//! component that knows the fast wire answers `{"pid":N,"sparseWire":"sparse-bin-1"}` and
//! both sides switch to binary after that reply; any other component (storm.py, pystorm,
//! an older sparse-host) ignores the field, answers `{"pid":N}`, and the task stays on
//! JSON. The handshake and the pid reply are always JSON.
//!
//! # Framing
//!
//! A message is a big-endian `u32` length, then that many bytes of body (at least one).
//! The body's first byte says what it is:
//!
//! | byte | direction | body after the byte |
//! |---|---|---|
//! | `0x10` bolt tuple | Storm → component | id `str`, comp (`null` or string value), stream `str`, task `i64`, values `list` |
//! | `0x11` spout command | Storm → component | command `str`, id value |
//! | `0x12` task ids | Storm → component | `u32` count, `i32` each |
//! | `0x20` emit | component → Storm | flags `u8` (1 stream, 2 need_task_ids, 4 task, 8 id), [stream `str`], [task `i64`], anchors `u32` + `str` each, [id value], values `list` |
//! | `0x21`/`0x22` ack/fail | component → Storm | id value |
//! | `0x23` log | component → Storm | level `i32` (-1: none given), msg `str` |
//! | `0x24` error | component → Storm | msg `str` |
//! | `0x25` metrics | component → Storm | name value, params value |
//! | `0x26` sync | component → Storm | nothing |
//!
//! `str` is a `u32` byte length and UTF-8; `list` is a `u32` count and that many values.
//!
//! # Values
//!
//! One tag byte, then: `0x00` null, `0x01` false, `0x02` true, `0x03` `i32`, `0x04` `i64`,
//! `0x05` `f64` (NaN and infinities included), `0x06` string (`str`), `0x07` a JSON number
//! too large for `i64` (`str` of its text), `0x08` list, `0x09` map (`u32` count, then
//! key `str` and value, per entry).
//!
//! The integer tags keep Java's types: Storm's JSON parser makes an `Integer` of an integer
//! that fits 32 bits and a `Long` of a larger one, and fields grouping hashes them
//! differently, so [`json_to_value`] picks the same tag and the serializer builds the same
//! class. On the component side values stay JSON text ([`value_to_json`]): a double is
//! written so that it reads back as a double (`100.0`, `1e300`), NaN and the infinities as
//! Storm writes them (`NaN`, `Infinity`, `-Infinity`).
//!
//! ```
//! use sparse_protocol::fastwire::{json_to_value, value_to_json};
//!
//! let mut bin = Vec::new();
//! json_to_value(r#"["snow",9007199254740993,1.5,true,null,{"k":[1]}]"#, &mut bin).unwrap();
//! let mut json = Vec::new();
//! value_to_json(&bin, &mut 0, &mut json).unwrap();
//! assert_eq!(json, br#"["snow",9007199254740993,1.5,true,null,{"k":[1]}]"#);
//! ```

use std::fmt;

// JSON text -> binary values.
mod from_json;
// Component -> Storm messages (emit, ack, fail, log, error, metrics, sync).
mod shell_msg;
// Storm -> component messages (bolt tuples, spout commands, task ids).
mod storm_msg;
// Binary values -> JSON text, and the `Cursor` over a binary body.
mod to_json;

pub use from_json::{json_to_list, json_to_value};
pub use shell_msg::{
    EmitParts, decode_shell_msg, write_ack_fail, write_emit, write_error, write_log, write_metrics,
    write_sync,
};
pub use storm_msg::{
    StormMsg, decode_storm_msg, kind, write_bolt_tuple, write_spout_command, write_task_ids,
};
pub use to_json::{Cursor, list_to_json, value_to_json, write_f64};

/// The handshake field that offers the fast wire (and the pid reply's field that accepts it).
pub const OFFER_KEY: &str = "sparseWire";
/// This version of the fast wire.
pub const WIRE_NAME: &str = "sparse-bin-1";

/// True when a setup message (`{"conf":…,"pidDir":…,"context":…}`) offers this version of
/// the fast wire (`"sparseWire":"sparse-bin-1"`).
///
/// ```
/// use sparse_protocol::fastwire::offered;
/// assert!(offered(r#"{"conf":{},"pidDir":"/p","context":{},"sparseWire":"sparse-bin-1"}"#));
/// assert!(!offered(r#"{"conf":{},"pidDir":"/p","context":{}}"#));
/// ```
pub fn offered(setup: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Offer<'a> {
        #[serde(rename = "sparseWire", borrow, default)]
        wire: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_str::<Offer>(setup)
        .ok()
        .and_then(|o| o.wire)
        .is_some_and(|w| w == WIRE_NAME)
}

/// Value tag: `null`.
pub const T_NULL: u8 = 0x00;
/// Value tag: `false`.
pub const T_FALSE: u8 = 0x01;
/// Value tag: `true`.
pub const T_TRUE: u8 = 0x02;
/// Value tag: a 32-bit integer (Java `Integer`).
pub const T_I32: u8 = 0x03;
/// Value tag: a 64-bit integer (Java `Long`).
pub const T_I64: u8 = 0x04;
/// Value tag: a double.
pub const T_F64: u8 = 0x05;
/// Value tag: a string.
pub const T_STR: u8 = 0x06;
/// Value tag: an integer beyond 64 bits, as its decimal text (Java `BigInteger`).
pub const T_BIGNUM: u8 = 0x07;
/// Value tag: a list.
pub const T_LIST: u8 = 0x08;
/// Value tag: a map with string keys.
pub const T_MAP: u8 = 0x09;

/// Message: a tuple for a bolt.
pub const M_TUPLE: u8 = 0x10;
/// Message: a spout command.
pub const M_SPOUT: u8 = 0x11;
/// Message: the task ids of an emit.
pub const M_TASK_IDS: u8 = 0x12;
/// Message: emit.
pub const M_EMIT: u8 = 0x20;
/// Message: ack.
pub const M_ACK: u8 = 0x21;
/// Message: fail.
pub const M_FAIL: u8 = 0x22;
/// Message: log.
pub const M_LOG: u8 = 0x23;
/// Message: error.
pub const M_ERROR: u8 = 0x24;
/// Message: metrics.
pub const M_METRICS: u8 = 0x25;
/// Message: sync.
pub const M_SYNC: u8 = 0x26;

/// Values nest at most this deep (a guard against stack exhaustion on hostile input).
pub const MAX_DEPTH: usize = 512;

/// Why bytes or JSON text could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastError {
    /// What is wrong.
    pub what: String,
    /// Byte offset in the input (the binary message or the JSON text).
    pub offset: usize,
}

impl fmt::Display for FastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.what, self.offset)
    }
}

impl std::error::Error for FastError {}

fn fail<T>(what: impl Into<String>, offset: usize) -> Result<T, FastError> {
    Err(FastError {
        what: what.into(),
        offset,
    })
}

// ---------------------------------------------------------------------------------------
// Writing primitives

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s);
}

fn patch_u32(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Starts a frame: reserves its length; finish it with [`end_frame`].
fn begin_frame(out: &mut Vec<u8>, kind: u8) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0, kind]);
    at
}

fn end_frame(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as u32;
    patch_u32(out, at, len);
}

#[cfg(test)]
mod tests;
