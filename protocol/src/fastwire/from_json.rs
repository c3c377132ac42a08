//! JSON text to fast-wire values: a small JSON reader that types integers as Storm's Java
//! parser does (`Integer`, `Long`, `BigInteger`) and accepts the bare `NaN` and infinities
//! Storm writes for doubles.

use super::{
    FastError, MAX_DEPTH, T_BIGNUM, T_F64, T_FALSE, T_I32, T_I64, T_LIST, T_MAP, T_NULL, T_STR,
    T_TRUE, fail, patch_u32, put_str, put_u32,
};

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
