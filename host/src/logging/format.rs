//! The log file's line format, and the escaping that keeps one record on one line.
//!
//! ```text
//! 2025-03-14T09:26:53.589Z INFO  counter:7 wordcount::counter: counted storm = 12
//! └───────── time ───────┘ level comp:task └──── target ────┘  └── message ──┘
//! ```
//!
//! * **time**: UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339 with milliseconds); always 24
//!   bytes for years 1970–9999. UTC because Storm workers' time zones differ and the Storm
//!   worker log can be correlated without knowing them.
//! * **level**: `ERROR`, `WARN `, `INFO `, `DEBUG` or `TRACE`, padded to 5 characters.
//! * **component:task**: the component id and the task id.
//! * **target**: the `log` target (by default the Rust module path of the call site);
//!   `-` if it is empty.
//! * **message**: the rest of the line.
//!
//! Fields are separated by one space, the target is followed by `:` and a space, and every
//! record ends with `\n`. **One record is always exactly one line**: in the message, `\n`
//! and `\r` are written as the two characters `\n` and `\r`, and every other control
//! character (C0 except tab, DEL, C1) and U+2028/U+2029 as `\u{XX}`. The component and
//! target are escaped the same way, and whitespace in them as `\u{20}` etc., so the first
//! four fields never contain a space. A backslash is *not* escaped: the escaping exists to
//! keep lines whole and greppable, not to be reversible. Messages sent to Storm are not
//! escaped (the JSON encoding carries newlines faithfully).

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use log::Level;

/// A record's message: already formatted (from a plugin) or still `format_args!` (host).
#[derive(Clone, Copy)]
pub(crate) enum Message<'a> {
    Str(&'a str),
    Args(fmt::Arguments<'a>),
}

/// The level column: 5 characters.
pub(crate) fn level_label(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN ",
        Level::Info => "INFO ",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

/// Storm's numeric `log` level: 0 trace, 1 debug, 2 info, 3 warn, 4 error.
pub fn storm_level_number(level: Level) -> u8 {
    match level {
        Level::Trace => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Warn => 3,
        Level::Error => 4,
    }
}

/// Formats UTC timestamps, recomputing the date and time of day only when the second
/// changes.
pub(crate) struct TimeFormatter {
    secs: u64,
    /// `YYYY-MM-DDTHH:MM:SS` for `secs`.
    text: String,
}

impl TimeFormatter {
    pub(crate) fn new() -> Self {
        let mut f = TimeFormatter {
            secs: 0,
            text: String::with_capacity(24),
        };
        f.set(0);
        f
    }

    fn set(&mut self, secs: u64) {
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        self.secs = secs;
        self.text.clear();
        // Writing to a String cannot fail.
        let _ = write!(
            self.text,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        );
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` for `now` (times before 1970 print as 1970).
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, now: SystemTime) {
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        if since.as_secs() != self.secs {
            self.set(since.as_secs());
        }
        out.extend_from_slice(self.text.as_bytes());
        let ms = since.subsec_millis();
        out.extend_from_slice(&[
            b'.',
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
            b'Z',
        ]);
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31) in the proleptic Gregorian
/// calendar. Works in 400-year eras of 146 097 days, with years starting on 1 March so the
/// leap day is the last day of a year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // 1970-01-01 is day 719 468 counted from 0000-03-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March … 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Whether `c` is escaped in a message.
fn escaped_in_message(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

fn push_escape(out: &mut Vec<u8>, c: char) {
    match c {
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        c => {
            // `\u{1b}`: lower-case hex, no padding, like Rust's own escapes.
            let mut tmp = [0u8; 16];
            let mut cursor = std::io::Cursor::new(&mut tmp[..]);
            let _ = std::io::Write::write_fmt(&mut cursor, format_args!("\\u{{{:x}}}", c as u32));
            let n = cursor.position() as usize;
            out.extend_from_slice(&tmp[..n]);
        }
    }
}

/// Appends `s` with line breaks and control characters escaped (see the module docs).
///
/// Scans bytes and copies unescaped runs in one go; only bytes that can start a character
/// needing an escape (C0, DEL, the `0xC2` lead byte of C1 and the `0xE2` lead byte of
/// U+2028/U+2029) are looked at more closely. Continuation bytes are `0x80..=0xBF`, so a
/// match is always at a character boundary.
pub(crate) fn escape_message(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x20 && b != 0x7f && b != 0xc2 && b != 0xe2 {
            i += 1;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or_default();
        let n = c.len_utf8();
        if escaped_in_message(c) {
            out.extend_from_slice(&bytes[start..i]);
            push_escape(out, c);
            start = i + n;
        }
        i += n;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Appends a field (component, target): escaped like a message, and whitespace too.
pub(crate) fn escape_field(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b.is_ascii_graphic()) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut utf8 = [0u8; 4];
    for c in s.chars() {
        if c.is_whitespace() || escaped_in_message(c) {
            push_escape(out, c);
        } else {
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
}

/// `fmt::Write` into a byte buffer, escaping as it goes: a host record's
/// `format_args!` is written straight into the line buffer, with no intermediate String.
struct EscapingWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for EscapingWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_message(self.0, s);
        Ok(())
    }
}

/// Appends a message, escaped.
pub(crate) fn write_message(out: &mut Vec<u8>, msg: Message<'_>) {
    match msg {
        Message::Str(s) => escape_message(out, s),
        Message::Args(args) => match args.as_str() {
            Some(s) => escape_message(out, s),
            // A Display impl that fails leaves what it wrote so far; the line stays whole.
            None => {
                let _ = fmt::write(&mut EscapingWriter(out), args);
            }
        },
    }
}

/// The `component:task` field, computed once per task.
pub(crate) fn line_prefix(component: &str, task_id: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(component.len() + 24);
    escape_field(&mut out, component);
    out.push(b':');
    out.extend_from_slice(task_id.to_string().as_bytes());
    out
}

/// Appends one complete line (ending in `\n`) to `out`.
pub(crate) fn format_line(
    out: &mut Vec<u8>,
    time: &mut TimeFormatter,
    now: SystemTime,
    level: Level,
    prefix: &[u8],
    target: &str,
    msg: Message<'_>,
) {
    time.write(out, now);
    out.push(b' ');
    out.extend_from_slice(level_label(level).as_bytes());
    out.push(b' ');
    out.extend_from_slice(prefix);
    out.push(b' ');
    if target.is_empty() {
        out.push(b'-');
    } else {
        escape_field(out, target);
    }
    out.extend_from_slice(b": ");
    write_message(out, msg);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn ts(secs: u64, millis: u64) -> String {
        let mut out = Vec::new();
        TimeFormatter::new().write(&mut out, at(secs, millis));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_match_known_dates() {
        // Checked with `date -u -d @<secs>`.
        assert_eq!(ts(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(ts(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(ts(951_868_799, 999), "2000-02-29T23:59:59.999Z");
        assert_eq!(ts(1_709_210_096, 42), "2024-02-29T12:34:56.042Z");
        assert_eq!(ts(4_102_444_800, 100), "2100-01-01T00:00:00.100Z");
        assert_eq!(ts(4_107_542_399, 0), "2100-02-28T23:59:59.000Z");
        assert_eq!(ts(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
        assert_eq!(ts(253_402_300_799, 999), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn timestamps_agree_with_day_by_day_walk() {
        // Walk forward one day at a time from 1970 and compare against a naive calendar.
        let (mut y, mut m, mut d) = (1970u64, 1u64, 1u64);
        for days in 0..(200 * 366) {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][(m - 1) as usize];
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn cached_second_is_refreshed() {
        let mut f = TimeFormatter::new();
        let mut out = Vec::new();
        f.write(&mut out, at(59, 999));
        f.write(&mut out, at(60, 0));
        f.write(&mut out, at(60, 1));
        f.write(&mut out, UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:59.999Z1970-01-01T00:01:00.000Z1970-01-01T00:01:00.001Z\
             1970-01-01T00:00:00.000Z"
        );
    }

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        escape_message(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn messages_are_escaped_to_one_line() {
        assert_eq!(esc("plain text"), "plain text");
        assert_eq!(esc("a\nb\r\nc"), "a\\nb\\r\\nc");
        assert_eq!(esc("tab\tkept"), "tab\tkept");
        assert_eq!(esc("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(esc("nul\0del\u{7f}"), "nul\\u{0}del\\u{7f}");
        assert_eq!(
            esc("nel\u{85}ls\u{2028}ps\u{2029}"),
            "nel\\u{85}ls\\u{2028}ps\\u{2029}"
        );
        // Non-control characters sharing the lead bytes are untouched.
        assert_eq!(esc("\u{a0}é€—…"), "\u{a0}é€—…");
        assert_eq!(esc("back\\slash"), "back\\slash");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn fields_escape_whitespace_too() {
        let mut out = Vec::new();
        escape_field(&mut out, "my comp\n\u{a0}x");
        assert_eq!(String::from_utf8(out).unwrap(), "my\\u{20}comp\\n\\u{a0}x");
        assert_eq!(line_prefix("count-bolt", 12), b"count-bolt:12");
        assert_eq!(line_prefix("a b", -1), b"a\\u{20}b:-1");
    }

    #[test]
    fn full_line_format() {
        let mut out = Vec::new();
        let mut time = TimeFormatter::new();
        let prefix = line_prefix("counter", 7);
        format_line(
            &mut out,
            &mut time,
            at(1_741_944_413, 589),
            Level::Info,
            &prefix,
            "wordcount::counter",
            Message::Args(format_args!("counted {} = {}", "storm", 12)),
        );
        format_line(
            &mut out,
            &mut time,
            at(1_741_944_413, 590),
            Level::Warn,
            &prefix,
            "",
            Message::Str("two\nlines"),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2025-03-14T09:26:53.589Z INFO  counter:7 wordcount::counter: counted storm = 12\n\
             2025-03-14T09:26:53.590Z WARN  counter:7 -: two\\nlines\n"
        );
    }

    #[test]
    fn args_with_newlines_are_escaped_while_formatting() {
        let mut out = Vec::new();
        let name = "x\ny";
        write_message(&mut out, Message::Args(format_args!("{name}|{}", 1)));
        assert_eq!(out, b"x\\ny|1");
    }

    #[test]
    fn storm_levels() {
        assert_eq!(storm_level_number(Level::Trace), 0);
        assert_eq!(storm_level_number(Level::Debug), 1);
        assert_eq!(storm_level_number(Level::Info), 2);
        assert_eq!(storm_level_number(Level::Warn), 3);
        assert_eq!(storm_level_number(Level::Error), 4);
    }
}
