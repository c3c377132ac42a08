//! Framing: a message is JSON text, a newline, the line `end`, a newline.
//!
//! The reader follows Storm's Java reader (`JsonSerializer.readString`): it collects lines
//! until one is exactly `end` (a trailing `\r` is tolerated so CRLF works), and joins the
//! lines before it. So pretty-printed, multi-line JSON is accepted and a message may arrive
//! in any number of `read()` calls. `end ` or `END` is not a terminator. A message that is
//! empty or blank is an error, as is end of input in the middle of a message.
//!
//! [`FrameReader`] pulls from a blocking stream; [`FrameBuffer`] is the same rules for a
//! reader that polls non-blocking pipes and takes what each `read` brings.
//!
//! The reader never validates JSON; the caller parses the frame it gets back. It does check
//! UTF-8 (see [`FrameReader::read_frame_str`]) because the protocol is UTF-8 on both sides.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};

mod buffer;

pub use buffer::{Fill, FrameBuffer};

/// The terminator written after every message.
pub const TERMINATOR: &[u8] = b"\nend\n";

/// The largest message a [`FrameReader`] accepts by default: 64 MiB. Storm has no limit
/// (a larger message would exhaust its heap first); a peer that never sends `end` must not
/// exhaust ours. Change it with [`FrameReader::set_max_frame`].
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The underlying read failed.
    Io(io::Error),
    /// Input ended after part of a message; carries what was read so far (lossy UTF-8,
    /// truncated to 200 bytes for messages).
    UnexpectedEof {
        /// The start of the incomplete message.
        partial: String,
    },
    /// An `end` line with nothing but whitespace before it.
    EmptyMessage,
    /// The message grew past the reader's limit before its `end` line.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The start of the message (lossy UTF-8, at most 200 bytes).
        partial: String,
    },
    /// The message is not valid UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte within the message.
        offset: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "read failed: {e}"),
            FrameError::UnexpectedEof { partial } => write!(
                f,
                "input ended in the middle of a message (no `end` line after {partial:?})"
            ),
            FrameError::EmptyMessage => {
                write!(f, "empty message (an `end` line with no JSON before it)")
            }
            FrameError::TooLarge { limit, partial } => write!(
                f,
                "message larger than {limit} bytes without an `end` line (starts {partial:?}); \
                 the limit is sparse.max.frame.bytes"
            ),
            FrameError::InvalidUtf8 { offset } => {
                write!(
                    f,
                    "message is not valid UTF-8 (first bad byte at offset {offset})"
                )
            }
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// Reads `<json>\nend\n` frames from a byte stream.
///
/// Buffered: one `read()` may bring many messages, and a message may span many reads.
pub struct FrameReader<R> {
    inner: BufReader<R>,
    max_frame: usize,
}

impl<R: Read> FrameReader<R> {
    /// Wraps a reader with a 64 KiB buffer, accepting messages of up to
    /// [`DEFAULT_MAX_FRAME`] bytes.
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Sets the largest message accepted, in bytes (at least 1 KiB): a longer one is
    /// [`FrameError::TooLarge`], found before more than that is held in memory.
    pub fn set_max_frame(&mut self, bytes: usize) {
        self.max_frame = bytes.max(1024);
    }

    /// True when bytes are already buffered, so the next read will not block on the
    /// underlying stream. Writers use this to flush only when about to block.
    pub fn has_buffered_input(&self) -> bool {
        !self.inner.buffer().is_empty()
    }

    /// Reads the next message into `out` (cleared first), without the terminator.
    ///
    /// Returns `Ok(false)` at a clean end of input: end of stream with nothing but
    /// whitespace since the last message.
    pub fn read_frame(&mut self, out: &mut Vec<u8>) -> Result<bool, FrameError> {
        out.clear();
        loop {
            let start = out.len();
            // One line at a time, never holding much more than the limit: the message, its
            // line end and an `end\r\n` line fit in `max_frame + 7`.
            let room = (self.max_frame + 7).saturating_sub(start) as u64;
            let n = (&mut self.inner).take(room).read_until(b'\n', out)?;
            if n as u64 == room && out.last() != Some(&b'\n') {
                return Err(self.too_large(out));
            }
            if n == 0 {
                if out.iter().all(u8::is_ascii_whitespace) {
                    out.clear();
                    return Ok(false);
                }
                let shown = &out[..out.len().min(200)];
                return Err(FrameError::UnexpectedEof {
                    partial: String::from_utf8_lossy(shown).into_owned(),
                });
            }
            let mut line = &out[start..];
            if let Some(rest) = line.strip_suffix(b"\n") {
                line = rest;
            }
            if let Some(rest) = line.strip_suffix(b"\r") {
                line = rest;
            }
            if line == b"end" {
                out.truncate(start);
                while matches!(out.last(), Some(b'\n' | b'\r')) {
                    out.pop();
                }
                if out.iter().all(u8::is_ascii_whitespace) {
                    return Err(FrameError::EmptyMessage);
                }
                return Ok(true);
            }
            if out.len() > self.max_frame + 2 {
                return Err(self.too_large(out));
            }
        }
    }

    fn too_large(&self, out: &[u8]) -> FrameError {
        let shown = &out[..out.len().min(200)];
        FrameError::TooLarge {
            limit: self.max_frame,
            partial: String::from_utf8_lossy(shown).into_owned(),
        }
    }

    /// Like [`read_frame`](Self::read_frame), and checks that the message is UTF-8.
    /// Returns `Ok(None)` at a clean end of input.
    pub fn read_frame_str<'b>(
        &mut self,
        out: &'b mut Vec<u8>,
    ) -> Result<Option<&'b str>, FrameError> {
        if !self.read_frame(out)? {
            return Ok(None);
        }
        match std::str::from_utf8(out) {
            Ok(s) => Ok(Some(s)),
            Err(e) => Err(FrameError::InvalidUtf8 {
                offset: e.valid_up_to(),
            }),
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        self.inner.get_ref()
    }

    /// Reads one fast-wire message ([`crate::fastwire`]): a big-endian `u32` length, then
    /// that many bytes, into `out` (cleared first). The same reader serves both framings, so
    /// a task can switch from JSON to the fast wire after its handshake without losing
    /// buffered bytes. `Ok(false)` at a clean end of input (between messages).
    pub fn read_sized_frame(&mut self, out: &mut Vec<u8>) -> Result<bool, FrameError> {
        out.clear();
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match self.inner.read(&mut len[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(FrameError::UnexpectedEof {
                        partial: format!("{} of the 4 length bytes", got),
                    });
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FrameError::Io(e)),
            }
        }
        let n = u32::from_be_bytes(len) as usize;
        if n == 0 {
            return Err(FrameError::EmptyMessage);
        }
        if n > self.max_frame {
            return Err(FrameError::TooLarge {
                limit: self.max_frame,
                partial: format!("a fast-wire message announcing {n} bytes"),
            });
        }
        out.resize(n, 0);
        let mut at = 0;
        while at < n {
            match self.inner.read(&mut out[at..]) {
                Ok(0) => {
                    let shown = &out[..at.min(200)];
                    return Err(FrameError::UnexpectedEof {
                        partial: format!(
                            "{at} of {n} bytes of a fast-wire message: {}",
                            String::from_utf8_lossy(shown)
                        ),
                    });
                }
                Ok(k) => at += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FrameError::Io(e)),
            }
        }
        Ok(true)
    }
}

/// Writes one message: `json`, then `\nend\n`. Does not flush.
pub fn write_frame<W: Write + ?Sized>(w: &mut W, json: &[u8]) -> io::Result<()> {
    w.write_all(json)?;
    w.write_all(TERMINATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `chunk` bytes per read, to split messages anywhere.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn all_frames(data: &[u8], chunk: usize) -> Result<Vec<String>, FrameError> {
        let mut r = FrameReader::new(Trickle { data, chunk });
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(s) = r.read_frame_str(&mut buf)? {
            got.push(s.to_owned());
        }
        Ok(got)
    }

    #[test]
    fn splits_at_every_byte_boundary() {
        let wire = b"{\"a\":1}\nend\n[1,2]\nend\n{\"command\":\"next\",\"id\":\"\"}\nend\n";
        for chunk in 1..wire.len() + 1 {
            let got = all_frames(wire, chunk).unwrap();
            assert_eq!(
                got,
                ["{\"a\":1}", "[1,2]", "{\"command\":\"next\",\"id\":\"\"}"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn multi_line_json_and_crlf() {
        let wire = b"{\r\n  \"a\": 1,\r\n  \"b\": [2]\r\n}\r\nend\r\n";
        let got = all_frames(wire, 3).unwrap();
        assert_eq!(got.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
        assert_eq!(v["b"][0], 2);
    }

    #[test]
    fn end_must_match_exactly() {
        // `end ` and `END` are not terminators: the message runs on to the real one.
        let wire = b"{\"a\":1}\nend \nEND\nend\n";
        let got = all_frames(wire, 64).unwrap();
        assert_eq!(got, ["{\"a\":1}\nend \nEND"]);
    }

    #[test]
    fn blank_lines_before_json_are_harmless() {
        let got = all_frames(b"\n\n{\"a\":1}\nend\n", 5).unwrap();
        assert_eq!(got[0].trim(), "{\"a\":1}");
    }

    #[test]
    fn empty_message_is_an_error() {
        assert!(matches!(
            all_frames(b"end\n", 64),
            Err(FrameError::EmptyMessage)
        ));
        assert!(matches!(
            all_frames(b"  \nend\n", 64),
            Err(FrameError::EmptyMessage)
        ));
    }

    #[test]
    fn eof_mid_message_is_an_error_and_clean_eof_is_not() {
        match all_frames(b"{\"a\":1}\nend\n{\"half\":", 4) {
            Err(FrameError::UnexpectedEof { partial }) => assert_eq!(partial, "{\"half\":"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(all_frames(b"{\"a\":1}\nend\n\n  ", 4).unwrap().len(), 1);
        assert!(all_frames(b"", 4).unwrap().is_empty());
    }

    #[test]
    fn invalid_utf8_is_reported_with_offset() {
        match all_frames(b"[\"ok\xff\"]\nend\n", 64) {
            Err(FrameError::InvalidUtf8 { offset }) => assert_eq!(offset, 4),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_message_past_the_limit_is_refused_before_it_is_held() {
        let mut big = vec![b'x'; 5000];
        big.extend_from_slice(b"\nend\n");
        let mut r = FrameReader::new(Trickle {
            data: &big,
            chunk: 333,
        });
        r.set_max_frame(4096);
        let mut buf = Vec::new();
        match r.read_frame(&mut buf) {
            Err(FrameError::TooLarge { limit, .. }) => assert_eq!(limit, 4096),
            other => panic!("unexpected {other:?}"),
        }
        assert!(buf.len() <= 4096 + 7, "held {} bytes", buf.len());
        // Many short lines add up too.
        let lines = "[1,\n".repeat(2000) + "2]\nend\n";
        let mut r = FrameReader::new(lines.as_bytes());
        r.set_max_frame(4096);
        assert!(matches!(
            r.read_frame(&mut buf),
            Err(FrameError::TooLarge { .. })
        ));
        // Exactly at the limit is fine, with CRLF.
        let mut exact = vec![b'7'; 4096];
        exact.extend_from_slice(b"\r\nend\r\n");
        let mut r = FrameReader::new(&exact[..]);
        r.set_max_frame(4096);
        assert!(r.read_frame(&mut buf).unwrap());
        assert_eq!(buf.len(), 4096);
    }

    #[test]
    fn non_ascii_round_trips() {
        let mut wire = Vec::new();
        let msg = "[\"snow ☃ white 𝄞\"]";
        write_frame(&mut wire, msg.as_bytes()).unwrap();
        assert_eq!(all_frames(&wire, 1).unwrap(), [msg]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes in any chunking: frames, a clean end or an error; never a panic,
            /// and never more held than the limit allows.
            #[test]
            fn arbitrary_input_never_panics(
                data in prop::collection::vec(any::<u8>(), 0..2000),
                chunk in 1usize..64,
            ) {
                let mut r = FrameReader::new(Trickle { data: &data, chunk });
                r.set_max_frame(1024);
                let mut buf = Vec::new();
                for _ in 0..data.len() + 1 {
                    match r.read_frame_str(&mut buf) {
                        Ok(Some(_)) => prop_assert!(buf.len() <= 1024 + 7),
                        Ok(None) | Err(_) => break,
                    }
                }
            }

            /// Messages written with `write_frame` come back unchanged, however split.
            #[test]
            fn written_frames_read_back(
                msgs in prop::collection::vec(
                    "[^\\n\\r]{0,40}[a-z0-9{}\\]\"é😀]".prop_filter("not a terminator", |m| m.trim() != "end"),
                    1..8,
                ),
                chunk in 1usize..32,
            ) {
                let mut wire = Vec::new();
                for m in &msgs {
                    write_frame(&mut wire, m.as_bytes()).unwrap();
                }
                let got = all_frames(&wire, chunk).unwrap();
                let want: Vec<String> = msgs.iter().map(|m| m.trim_start().to_string()).collect();
                let got: Vec<String> = got.iter().map(|m| m.trim_start().to_string()).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
