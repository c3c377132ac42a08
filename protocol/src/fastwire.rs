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

use crate::json::{write_i64, write_str};
use crate::shell::{Emit, ShellMsg};

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

const F_STREAM: u8 = 1;
const F_NEED_IDS: u8 = 2;
const F_TASK: u8 = 4;
const F_ID: u8 = 8;

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

// ---------------------------------------------------------------------------------------
// JSON text -> binary value

/// Appends the binary form of one JSON value (surrounding whitespace allowed).
///
/// Accepts strict JSON plus the bare `NaN`, `Infinity` and `-Infinity` that Storm writes for
/// Java doubles. Integers become [`T_I32`] when they fit 32 bits, else [`T_I64`], else
/// [`T_BIGNUM`], as Storm's parser types them; numbers with a fraction or exponent become
/// [`T_F64`].
pub fn json_to_value(json: &str, out: &mut Vec<u8>) -> Result<(), FastError> {
    let mut p = JsonIn {
        b: json.as_bytes(),
        i: 0,
    };
    p.value(out, 0)?;
    p.ws();
    if p.i != p.b.len() {
        return fail("unexpected text after the JSON value", p.i);
    }
    Ok(())
}

/// Like [`json_to_value`] for a JSON array, written as a bare `list` (count, values), the
/// form of a tuple's values.
pub fn json_to_list(json: &str, out: &mut Vec<u8>) -> Result<(), FastError> {
    let mut p = JsonIn {
        b: json.as_bytes(),
        i: 0,
    };
    p.ws();
    if p.peek() != Some(b'[') {
        return fail("expected a JSON array of values", p.i);
    }
    let start = out.len();
    p.value(out, 0)?;
    out.remove(start); // the list tag: a bare list is count + values
    p.ws();
    if p.i != p.b.len() {
        return fail("unexpected text after the JSON array", p.i);
    }
    Ok(())
}

struct JsonIn<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonIn<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), FastError> {
        if depth > MAX_DEPTH {
            return fail(format!("values nested deeper than {MAX_DEPTH}"), self.i);
        }
        self.ws();
        let Some(c) = self.peek() else {
            return fail("expected a JSON value, found the end", self.i);
        };
        match c {
            b'"' => {
                out.push(T_STR);
                self.string(out)
            }
            b'[' => {
                self.i += 1;
                out.push(T_LIST);
                let at = out.len();
                put_u32(out, 0);
                let mut n = 0u32;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.value(out, depth + 1)?;
                    n += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            patch_u32(out, at, n);
                            return Ok(());
                        }
                        _ => return fail("expected `,` or `]` in an array", self.i),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                out.push(T_MAP);
                let at = out.len();
                put_u32(out, 0);
                let mut n = 0u32;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return fail("expected a string key in an object", self.i);
                    }
                    self.string(out)?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return fail("expected `:` after an object key", self.i);
                    }
                    self.i += 1;
                    self.value(out, depth + 1)?;
                    n += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            patch_u32(out, at, n);
                            return Ok(());
                        }
                        _ => return fail("expected `,` or `}` in an object", self.i),
                    }
                }
            }
            b't' if self.lit(b"true") => {
                out.push(T_TRUE);
                Ok(())
            }
            b'f' if self.lit(b"false") => {
                out.push(T_FALSE);
                Ok(())
            }
            b'n' if self.lit(b"null") => {
                out.push(T_NULL);
                Ok(())
            }
            b'N' if self.lit(b"NaN") => {
                out.push(T_F64);
                out.extend_from_slice(&f64::NAN.to_be_bytes());
                Ok(())
            }
            b'I' if self.lit(b"Infinity") => {
                out.push(T_F64);
                out.extend_from_slice(&f64::INFINITY.to_be_bytes());
                Ok(())
            }
            b'-' if self.b[self.i..].starts_with(b"-Infinity") => {
                self.i += 9;
                out.push(T_F64);
                out.extend_from_slice(&f64::NEG_INFINITY.to_be_bytes());
                Ok(())
            }
            b'-' | b'0'..=b'9' => self.number(out),
            _ => fail("expected a JSON value", self.i),
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), FastError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return fail("invalid number", start);
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return fail("invalid number (no digits after `.`)", start);
            }
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return fail("invalid number (no digits in the exponent)", start);
            }
            float = true;
        }
        // ASCII digits and signs only.
        let text = std::str::from_utf8(&self.b[start..self.i]).expect("ascii");
        if float {
            let v: f64 = text.parse().map_err(|_| FastError {
                what: "invalid number".into(),
                offset: start,
            })?;
            out.push(T_F64);
            out.extend_from_slice(&v.to_be_bytes());
        } else if let Ok(v) = text.parse::<i64>() {
            if let Ok(v) = i32::try_from(v) {
                out.push(T_I32);
                out.extend_from_slice(&v.to_be_bytes());
            } else {
                out.push(T_I64);
                out.extend_from_slice(&v.to_be_bytes());
            }
        } else {
            out.push(T_BIGNUM);
            put_str(out, text.as_bytes());
        }
        Ok(())
    }

    /// A JSON string at `self.i` (`"`), written as `str` (length + UTF-8).
    fn string(&mut self, out: &mut Vec<u8>) -> Result<(), FastError> {
        let start = self.i;
        self.i += 1;
        let at = out.len();
        put_u32(out, 0);
        loop {
            let run = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&self.b[run..self.i]);
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    let len = out.len() - at - 4;
                    patch_u32(out, at, len as u32);
                    return Ok(());
                }
                Some(b'\\') => {
                    let esc = self.i;
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return fail("unterminated string", start);
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4(esc)?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return fail("lone surrogate in a \\u escape", esc);
                                }
                                self.i += 2;
                                let lo = self.hex4(esc)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return fail("lone surrogate in a \\u escape", esc);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            match char::from_u32(cp) {
                                Some(c) => c,
                                None => return fail("lone surrogate in a \\u escape", esc),
                            }
                        }
                        _ => return fail("invalid escape in a string", esc),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return fail("control character inside a string", self.i),
                None => return fail("unterminated string", start),
            }
        }
    }

    fn hex4(&mut self, esc: usize) -> Result<u32, FastError> {
        let h = self.b.get(self.i..self.i + 4);
        let v = h
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match v {
            Some(v) if h.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) => {
                self.i += 4;
                Ok(v)
            }
            _ => fail("invalid \\u escape", esc),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Binary -> JSON text

/// A cursor over one binary message body.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    b: &'a [u8],
    /// The next byte to read.
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos`.
    pub fn new(b: &'a [u8], pos: usize) -> Self {
        Cursor { b, pos }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FastError> {
        match self.b.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => fail(
                format!(
                    "message ends inside {what} ({n} bytes needed, {} left)",
                    self.b.len().saturating_sub(self.pos)
                ),
                self.pos,
            ),
        }
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8, FastError> {
        Ok(self.take(1, what)?[0])
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self, what: &str) -> Result<u32, FastError> {
        let s = self.take(4, what)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    /// A big-endian `i32`.
    pub fn i32(&mut self, what: &str) -> Result<i32, FastError> {
        Ok(self.u32(what)? as i32)
    }

    /// A big-endian `i64`.
    pub fn i64(&mut self, what: &str) -> Result<i64, FastError> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_be_bytes(a))
    }

    /// A `str`: length and UTF-8.
    pub fn str(&mut self, what: &str) -> Result<&'a str, FastError> {
        let len = self.u32(what)? as usize;
        let at = self.pos;
        let s = self.take(len, what)?;
        std::str::from_utf8(s)
            .or_else(|e| fail(format!("{what} is not valid UTF-8"), at + e.valid_up_to()))
    }

    /// True when every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }

    /// The error for bytes left over after a complete message.
    pub fn expect_end(&self, what: &str) -> Result<(), FastError> {
        if self.at_end() {
            Ok(())
        } else {
            fail(
                format!("{} unexpected bytes after {what}", self.b.len() - self.pos),
                self.pos,
            )
        }
    }
}

/// Appends the JSON text of the value at `*pos` in `b`, advancing `pos` past it.
pub fn value_to_json(b: &[u8], pos: &mut usize, out: &mut Vec<u8>) -> Result<(), FastError> {
    let mut c = Cursor::new(b, *pos);
    write_value_json(&mut c, out, 0)?;
    *pos = c.pos;
    Ok(())
}

/// Appends a bare `list` (count and values) at the cursor as a JSON array.
pub fn list_to_json(c: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<(), FastError> {
    let n = c.u32("a list's length")?;
    write_items_json(c, out, n, 0)
}

fn write_items_json(
    c: &mut Cursor<'_>,
    out: &mut Vec<u8>,
    n: u32,
    depth: usize,
) -> Result<(), FastError> {
    out.push(b'[');
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        write_value_json(c, out, depth + 1)?;
    }
    out.push(b']');
    Ok(())
}

/// Writes a double as JSON text that reads back as the same double (and as a double).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        // Debug always shows a fraction or an exponent (`100.0`, `1e300`).
        use std::io::Write as _;
        let _ = write!(out, "{v:?}");
    }
}

fn write_value_json(c: &mut Cursor<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), FastError> {
    if depth > MAX_DEPTH {
        return fail(format!("values nested deeper than {MAX_DEPTH}"), c.pos);
    }
    let at = c.pos;
    match c.u8("a value")? {
        T_NULL => out.extend_from_slice(b"null"),
        T_FALSE => out.extend_from_slice(b"false"),
        T_TRUE => out.extend_from_slice(b"true"),
        T_I32 => write_i64(out, i64::from(c.i32("an int")?)),
        T_I64 => write_i64(out, c.i64("a long")?),
        T_F64 => write_f64(out, f64::from_bits(c.i64("a double")? as u64)),
        T_STR => write_str(out, c.str("a string")?),
        T_BIGNUM => {
            let s = c.str("a big number")?;
            let digits = s.strip_prefix('-').unwrap_or(s);
            let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return fail(format!("big number {s:?} is not an integer"), at);
            }
            out.extend_from_slice(s.as_bytes());
        }
        T_LIST => {
            let n = c.u32("a list's length")?;
            write_items_json(c, out, n, depth)?;
        }
        T_MAP => {
            let n = c.u32("a map's size")?;
            out.push(b'{');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, c.str("a map key")?);
                out.push(b':');
                write_value_json(c, out, depth + 1)?;
            }
            out.push(b'}');
        }
        t => return fail(format!("unknown value tag 0x{t:02x}"), at),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Storm -> component (written by the serializer, or by `sparse run`; read by sparse-host)

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

// ---------------------------------------------------------------------------------------
// Component -> Storm (written by sparse-host, read by the serializer or `sparse run`)

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
    // value_to_json writes valid JSON, except NaN/Infinity, which RawValue refuses: those
    // are kept as strings so that the message still decodes.
    let s = String::from_utf8(json).expect("value_to_json writes UTF-8");
    serde_json::value::RawValue::from_string(s.clone()).unwrap_or_else(|_| {
        let mut q = Vec::new();
        write_str(&mut q, &s);
        serde_json::value::RawValue::from_string(String::from_utf8(q).expect("utf8"))
            .expect("a JSON string")
    })
}

/// Decodes a component-to-Storm frame into the same [`ShellMsg`] the JSON path gives
/// (used by `sparse run` and the tests).
pub fn decode_shell_msg(frame: &[u8]) -> Result<ShellMsg, FastError> {
    let mut c = Cursor::new(frame, 0);
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

#[cfg(test)]
mod tests;
