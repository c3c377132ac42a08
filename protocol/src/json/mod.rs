//! Writing JSON into an output buffer without building a value tree.
//!
//! The hot paths (an emit, an ack) write a handful of fixed keys around strings and raw
//! JSON fragments that are already valid. These helpers append them to a `Vec<u8>`.
//!
//! [`write_storm_style`] re-writes a JSON text the way Storm 2.8's multi-lang side sends it
//! to a component (json-smart's `JSONValue.toJSONString` after json-smart parsed what a
//! component emitted), so that `sparse run` can show components the bytes Storm shows
//! them: `/` as `\/`, `U+2000`–`U+20FF` as `\uXXXX`, numbers as Java prints them, object
//! keys in `HashMap` order. `storm/README.md` (section "JSON as Storm writes it") has the
//! table, checked against the real jars.

// Re-writing JSON the way Storm 2.8 sends it to a component.
mod storm_style;
// Java's `Double.toString` and `BigDecimal.toString`, for the re-writer.
mod java_numbers;

pub use storm_style::{StormStyleError, storm_style_unchanged, write_storm_str, write_storm_style};

/// Appends `s` as a JSON string literal (quoted and escaped per RFC 8259).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a decimal integer.
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_serde() {
        for s in [
            "plain",
            "q\"uote",
            "back\\slash",
            "nl\nand\ttab",
            "\u{1}ctl\u{1f}",
            "☃ 𝄞",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn integers() {
        let mut out = Vec::new();
        write_i64(&mut out, -9_223_372_036_854_775_808);
        assert_eq!(out, b"-9223372036854775808");
    }
}
