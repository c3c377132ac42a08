//! [`write_storm_style`]: a JSON re-writer that gives a component the bytes Storm 2.8.3's
//! multi-lang side would send it (json-smart's escapes, Java's number text, `HashMap`
//! key order), with a fast path for texts Storm leaves unchanged.

use super::java_numbers::{write_big_decimal, write_java_double};

/// Why [`write_storm_style`] could not re-write a text: it was not valid JSON, or it held
/// something Storm's parser refuses (a decimal exponent out of `BigDecimal`'s range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormStyleError {
    /// Byte offset in the input where the problem starts.
    pub offset: usize,
    /// What is wrong there.
    pub reason: &'static str,
}

impl std::fmt::Display for StormStyleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for StormStyleError {}

/// Appends `json`, a valid JSON text (a tuple's values, a message id, a conf), as Storm
/// 2.8.3 writes the same value to a multi-lang subprocess.
///
/// Storm parses what a component emits with shaded json-smart (permissive mode) and writes
/// it on with `JSONValue.toJSONString`, through a UTF-8 writer. The result differs from
/// what the component sent (measured with the real jars, see `storm/README.md`):
///
/// * strings: `/` becomes `\/`; `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t` use their short
///   escapes; the other C0 controls, `U+007F`–`U+009F` and `U+2000`–`U+20FF` (which holds
///   `U+2028`, `U+2029` and `€`) become `\uXXXX` with upper-case hex; everything else is raw
///   UTF-8, emoji included; an escaped lone surrogate (`"\ud800"`) becomes `?`;
/// * integers keep their digits (`-0` becomes `0`);
/// * other numbers of up to 18 characters are Java `double`s, written as
///   `Double.toString` does (`1e3` → `1000.0`, `1e7` → `1.0E7`, `1e400` → `null`); longer
///   ones are `BigDecimal`s (`0.1234567890123456789` stays, `1.0000000000e30` →
///   `1.0000000000E+30`);
/// * objects come out in `java.util.HashMap` iteration order, a repeated key keeps its
///   first place and its last value; insignificant whitespace is dropped.
///
/// A text Storm would send back unchanged (the common case: ASCII strings without `/`,
/// integers, no objects, no whitespace between tokens) is found by one scan and copied.
///
/// ```
/// use sparse_protocol::json::write_storm_style;
///
/// let mut out = Vec::new();
/// write_storm_style(&mut out, r#"["a/b", 1e3, "€", {"b":1,"a":2}]"#).unwrap();
/// assert_eq!(out, br#"["a\/b",1000.0,"\u20AC",{"a":2,"b":1}]"#);
/// ```
///
/// Doubles are written as Java 19 and later print them (the shortest decimal that reads
/// back as the same `double`). Java 17 sometimes prints a longer one for the same value
/// (`2e23` → `1.9999999999999998E23`), so on a Java 17 worker Storm's text can differ in
/// such digits, never in the value.
///
/// Known limit: a map where nine or more keys share a `HashMap` bucket (deliberately
/// colliding hash codes) is ordered as if Java had not made that bucket a tree.
///
/// # Errors
///
/// [`StormStyleError`] when `json` is not valid JSON (the unchanged fast path does not
/// validate, so garbage may also be copied as it is), or a number's exponent is beyond
/// what Storm's parser accepts. `out` then holds a partial text.
pub fn write_storm_style(out: &mut Vec<u8>, json: &str) -> Result<(), StormStyleError> {
    if storm_style_unchanged(json) {
        out.extend_from_slice(json.as_bytes());
        return Ok(());
    }
    let mut w = StormWriter {
        src: json.as_bytes(),
        pos: 0,
        out,
    };
    w.skip_ws();
    w.value(0)?;
    w.skip_ws();
    if w.pos != w.src.len() {
        return Err(w.err("unexpected data after the JSON value"));
    }
    Ok(())
}

/// Appends `s` as a JSON string literal escaped the way json-smart writes a Java string
/// (see [`write_storm_style`]): `/` as `\/`, `U+2000`–`U+20FF` as `\uXXXX`, ...
///
/// ```
/// let mut out = Vec::new();
/// sparse_protocol::json::write_storm_str(&mut out, "a/b €");
/// assert_eq!(out, br#""a\/b \u20AC""#);
/// ```
pub fn write_storm_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        if matches!(ch, '"' | '\\' | '/' | '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}')
        {
            out.extend_from_slice(&s.as_bytes()[start..i]);
            write_storm_char(out, ch);
            start = i + ch.len_utf8();
        }
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// True when Storm would send `json` (assumed valid JSON) back byte for byte: no object,
/// no whitespace outside strings, no `-0`, only integers, and strings with no backslash,
/// `/`, DEL, `U+0080`–`U+009F` or `U+2000`–`U+20FF`. A `false` is conservative.
pub fn storm_style_unchanged(json: &str) -> bool {
    let b = json.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'"' => in_str = false,
                b'\\' | b'/' | 0x00..=0x1f | 0x7f => return false,
                // U+0080..U+009F: C2 80..C2 9F.
                0xc2 if matches!(b.get(i + 1), Some(0x80..=0x9f)) => return false,
                // U+2000..U+20FF: E2 80 80..E2 83 BF.
                0xe2 if matches!(b.get(i + 1), Some(0x80..=0x83)) => return false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'[' | b']' | b',' | b'0'..=b'9' => {}
                b'-' => {
                    if b.get(i + 1) == Some(&b'0') {
                        return false;
                    }
                }
                // The letters of true, false, null ('e' only after a letter: 1e3 is a float).
                b't' | b'r' | b'u' | b'f' | b'a' | b'l' | b's' | b'n' => {}
                b'e' if i > 0 && b[i - 1].is_ascii_lowercase() => {}
                _ => return false,
            }
        }
        i += 1;
    }
    !in_str
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Deepest nesting [`write_storm_style`] follows (serde_json stops at 128).
const MAX_DEPTH: usize = 512;

/// The slow path of [`write_storm_style`]: a recursive-descent pass that writes as it
/// reads, buffering only an object's members (to reorder them).
struct StormWriter<'a, 'o> {
    src: &'a [u8],
    pos: usize,
    out: &'o mut Vec<u8>,
}

/// One member of an object being re-written: where its output sits and how Java hashes
/// its key.
struct Member {
    start: usize,
    end: usize,
    hash: i32,
    key: Vec<u16>,
}

impl StormWriter<'_, '_> {
    fn err(&self, reason: &'static str) -> StormStyleError {
        StormStyleError {
            offset: self.pos,
            reason,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn expect_lit(&mut self, lit: &[u8]) -> Result<(), StormStyleError> {
        if self.src[self.pos..].starts_with(lit) {
            self.out.extend_from_slice(lit);
            self.pos += lit.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), StormStyleError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.src.get(self.pos) {
            Some(b'"') => self.string(None),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b't') => self.expect_lit(b"true"),
            Some(b'f') => self.expect_lit(b"false"),
            Some(b'n') => self.expect_lit(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
            None => Err(self.err("unexpected end of JSON")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), StormStyleError> {
        self.pos += 1;
        self.out.push(b'[');
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.out.push(b']');
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.out.push(b',');
                }
                Some(b']') => {
                    self.pos += 1;
                    self.out.push(b']');
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), StormStyleError> {
        self.pos += 1;
        self.out.push(b'{');
        let region = self.out.len();
        let mut members: Vec<Member> = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.out.push(b'}');
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.err("expected a string key in an object"));
            }
            let start = self.out.len();
            let mut key = Vec::new();
            self.string(Some(&mut key))?;
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b':') {
                return Err(self.err("expected ':' after an object key"));
            }
            self.pos += 1;
            self.out.push(b':');
            self.skip_ws();
            self.value(depth + 1)?;
            let end = self.out.len();
            // Java's String.hashCode over UTF-16 code units.
            let hash = key
                .iter()
                .fold(0i32, |h, &u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
            match members.iter_mut().find(|m| m.key == key) {
                // HashMap.put on an existing key: the value changes, the place does not.
                Some(m) => {
                    m.start = start;
                    m.end = end;
                }
                None => members.push(Member {
                    start,
                    end,
                    hash,
                    key,
                }),
            }
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
        // HashMap iterates bucket by bucket (index: spread hash & (capacity - 1)), each
        // bucket in insertion order (resizes keep it). The table starts at 16 and doubles
        // while size > 0.75 * capacity.
        let mut cap: usize = 16;
        while members.len() * 4 > cap * 3 {
            cap *= 2;
        }
        let bucket = |h: i32| {
            let h = h as u32;
            ((h ^ (h >> 16)) as usize) & (cap - 1)
        };
        members.sort_by_key(|m| bucket(m.hash)); // stable: insertion order within a bucket
        let written = self.out.split_off(region);
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out
                .extend_from_slice(&written[m.start - region..m.end - region]);
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Re-writes a string literal; with `key`, also collects its UTF-16 code units.
    fn string(&mut self, mut key: Option<&mut Vec<u16>>) -> Result<(), StormStyleError> {
        self.pos += 1;
        self.out.push(b'"');
        // json-smart reads a string holding a backslash with its slow reader, which drops
        // raw control characters (IGNORE_CONTROL_CHAR): a raw DEL vanishes there.
        let drop_del = self.src[self.pos..]
            .iter()
            .find(|&&c| c == b'"' || c == b'\\')
            == Some(&b'\\');
        // A high surrogate from a `\uD8xx` escape, waiting for its low half.
        let mut high: Option<u16> = None;
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return Err(self.err("unterminated string"));
            };
            // The code unit(s) or char this step contributes.
            let ch: Option<char>;
            let mut unit: Option<u16> = None;
            match c {
                b'"' => {
                    if let Some(h) = high.take() {
                        self.lone_surrogate(&mut key, h);
                    }
                    self.pos += 1;
                    self.out.push(b'"');
                    return Ok(());
                }
                b'\\' => {
                    let e = self.src.get(self.pos + 1).copied();
                    self.pos += 2;
                    ch = match e {
                        Some(b'"') => Some('"'),
                        Some(b'\\') => Some('\\'),
                        Some(b'/') => Some('/'),
                        Some(b'b') => Some('\u{8}'),
                        Some(b'f') => Some('\u{c}'),
                        Some(b'n') => Some('\n'),
                        Some(b'r') => Some('\r'),
                        Some(b't') => Some('\t'),
                        Some(b'u') => {
                            let hex = self
                                .src
                                .get(self.pos..self.pos + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u16::from_str_radix(h, 16).ok());
                            let Some(u) = hex else {
                                return Err(self.err("bad \\u escape"));
                            };
                            self.pos += 4;
                            unit = Some(u);
                            None
                        }
                        _ => {
                            self.pos -= 2;
                            return Err(self.err("bad escape in a string"));
                        }
                    };
                }
                0x00..=0x1f => return Err(self.err("control character in a string")),
                0x7f if drop_del => {
                    // Gone before pairing: `\ud83d<DEL>\ude00` is one emoji.
                    self.pos += 1;
                    continue;
                }
                _ => {
                    // Valid UTF-8 (the input is a &str): take one whole char.
                    let len = utf8_len(c);
                    let s = std::str::from_utf8(&self.src[self.pos..self.pos + len])
                        .map_err(|_| self.err("invalid UTF-8"))?;
                    ch = s.chars().next();
                    self.pos += len;
                }
            }
            // Pair surrogates coming from escapes; Java's UTF-8 writer turns a lone one
            // into '?'.
            let ch = match (high, unit) {
                (Some(h), Some(u @ 0xdc00..=0xdfff)) => {
                    high = None;
                    let cp = 0x10000 + ((u32::from(h) - 0xd800) << 10) + (u32::from(u) - 0xdc00);
                    char::from_u32(cp)
                }
                (Some(h), _) => {
                    high = None;
                    self.lone_surrogate(&mut key, h);
                    match unit {
                        Some(u @ 0xd800..=0xdbff) => {
                            high = Some(u);
                            continue;
                        }
                        Some(u @ 0xdc00..=0xdfff) => {
                            self.lone_surrogate(&mut key, u);
                            continue;
                        }
                        Some(u) => char::from_u32(u32::from(u)),
                        None => ch,
                    }
                }
                (None, Some(u @ 0xd800..=0xdbff)) => {
                    high = Some(u);
                    continue;
                }
                (None, Some(u @ 0xdc00..=0xdfff)) => {
                    self.lone_surrogate(&mut key, u);
                    continue;
                }
                (None, Some(u)) => char::from_u32(u32::from(u)),
                (None, None) => ch,
            };
            let Some(ch) = ch else {
                return Err(self.err("invalid character"));
            };
            if let Some(k) = key.as_deref_mut() {
                let mut buf = [0u16; 2];
                k.extend_from_slice(ch.encode_utf16(&mut buf));
            }
            write_storm_char(self.out, ch);
        }
    }

    /// A surrogate with no partner: `?` on the wire, the unit itself in the key's hash.
    fn lone_surrogate(&mut self, key: &mut Option<&mut Vec<u16>>, unit: u16) {
        if let Some(k) = key.as_deref_mut() {
            k.push(unit);
        }
        self.out.push(b'?');
    }

    fn number(&mut self) -> Result<(), StormStyleError> {
        let start = self.pos;
        let b = self.src;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits_start {
            return Err(self.err("expected digits in a number"));
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let f = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == f {
                return Err(self.err("expected digits after '.' in a number"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            float = true;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let f = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == f {
                return Err(self.err("expected digits in a number's exponent"));
            }
        }
        self.pos = i;
        // ASCII by construction.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or_default();
        if !float {
            // Integer, Long or BigInteger: the same digits; there is no -0.
            let text = if text == "-0" { "0" } else { text };
            self.out.extend_from_slice(text.as_bytes());
        } else if text.len() > 18 {
            // json-smart (BIG_DIGIT_UNRESTRICTED) keeps long decimals as BigDecimal.
            write_big_decimal(self.out, text).map_err(|reason| StormStyleError {
                offset: start,
                reason,
            })?;
        } else {
            let v: f64 = text.parse().map_err(|_| StormStyleError {
                offset: start,
                reason: "invalid number",
            })?;
            write_java_double(self.out, v);
        }
        Ok(())
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// Appends one char of a string's content as json-smart escapes it.
fn write_storm_char(out: &mut Vec<u8>, ch: char) {
    let short: &[u8] = match ch {
        '"' => b"\\\"",
        '\\' => b"\\\\",
        '/' => b"\\/",
        '\u{8}' => b"\\b",
        '\u{c}' => b"\\f",
        '\n' => b"\\n",
        '\r' => b"\\r",
        '\t' => b"\\t",
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}' => {
            let c = ch as u32;
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(UPPER_HEX[((c >> shift) & 0xf) as usize]);
            }
            return;
        }
        _ => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            return;
        }
    };
    out.extend_from_slice(short);
}

#[cfg(test)]
mod tests;
