//! Fast-wire values to JSON text: the [`Cursor`] that reads a binary body, and the writers
//! that turn its values back into JSON (doubles so they read back as doubles).

use super::{
    FastError, MAX_DEPTH, T_BIGNUM, T_F64, T_FALSE, T_I32, T_I64, T_LIST, T_MAP, T_NULL, T_STR,
    T_TRUE, fail,
};
use crate::json::{write_i64, write_str};

/// A cursor over one binary message body.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    b: &'a [u8],
    /// The next byte to read.
    pub pos: usize,
    /// Write NaN and ±Infinity as `null` (strict JSON) instead of Storm's bare `NaN` /
    /// `Infinity` tokens.
    pub nonfinite_as_null: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos`.
    pub fn new(b: &'a [u8], pos: usize) -> Self {
        Cursor {
            b,
            pos,
            nonfinite_as_null: false,
        }
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

pub(super) fn write_value_json(
    c: &mut Cursor<'_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), FastError> {
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
        T_F64 => {
            let v = f64::from_bits(c.i64("a double")? as u64);
            if c.nonfinite_as_null && !v.is_finite() {
                out.extend_from_slice(b"null");
            } else {
                write_f64(out, v);
            }
        }
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
