//! Frames cut from bytes as they arrive: [`FrameBuffer`], for a reader that must never
//! block in the middle of a message (one thread polling many pipes).
//!
//! [`FrameReader`](super::FrameReader) pulls bytes until it has a whole message, so it
//! needs a thread per stream. A `FrameBuffer` is pushed: [`fill`](FrameBuffer::fill) takes
//! whatever one `read` returns (a non-blocking pipe may return part of a message, or
//! several), and [`next_json`](FrameBuffer::next_json) / [`next_sized`](FrameBuffer::next_sized)
//! hand out each message once all of it is there. The rules, limits and errors are
//! [`FrameReader`](super::FrameReader)'s, so both read the same streams the same way.
//!
//! ```
//! use sparse_protocol::frame::{FrameBuffer, Fill};
//!
//! let mut wire: &[u8] = b"{\"pid\":7}\nend\n{\"command\":\"sync\"}\nend\n{\"comm";
//! let mut frames = FrameBuffer::new();
//! assert!(matches!(frames.fill(&mut wire).unwrap(), Fill::Read(_)));
//! assert_eq!(frames.next_json().unwrap(), Some(&b"{\"pid\":7}"[..]));
//! assert_eq!(frames.next_json().unwrap(), Some(&b"{\"command\":\"sync\"}"[..]));
//! assert_eq!(frames.next_json().unwrap(), None); // the rest has not arrived yet
//! ```

use std::io::{self, Read};

use super::{DEFAULT_MAX_FRAME, FrameError};

/// What one [`FrameBuffer::fill`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// This many bytes were added.
    Read(usize),
    /// Nothing to read now (a non-blocking stream had no bytes).
    WouldBlock,
    /// End of input.
    Eof,
}

/// Bytes read from a stream and not yet handed out as messages.
#[derive(Debug)]
pub struct FrameBuffer {
    /// Always initialised up to its length; data is `buf[pos..end]`.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Where the search for the current JSON message's `end` line resumes: the start of
    /// its first line not yet looked at.
    scan: usize,
    max_frame: usize,
}

impl Default for FrameBuffer {
    fn default() -> Self {
        Self::new()
    }
}

/// The size of the buffer at first and the least room a read is given.
const CHUNK: usize = 64 * 1024;

impl FrameBuffer {
    /// An empty buffer accepting messages of up to [`DEFAULT_MAX_FRAME`] bytes.
    pub fn new() -> Self {
        FrameBuffer {
            buf: Vec::new(),
            pos: 0,
            end: 0,
            scan: 0,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Sets the largest message accepted, in bytes (at least 1 KiB), as
    /// [`FrameReader::set_max_frame`](super::FrameReader::set_max_frame) does.
    pub fn set_max_frame(&mut self, bytes: usize) {
        self.max_frame = bytes.max(1024);
    }

    /// Bytes held that are not yet part of a message handed out.
    pub fn pending(&self) -> usize {
        self.end - self.pos
    }

    /// One `read` from `r` into the buffer (retried on `EINTR`). Messages already whole in
    /// the buffer should be taken first: this never holds more than about the largest
    /// message allowed.
    pub fn fill<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<Fill> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
            self.scan = 0;
        }
        if self.buf.len() - self.end < CHUNK / 4 {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.scan -= self.pos;
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.buf.len() - self.end < CHUNK / 4 {
                let want = (self.buf.len() * 2).max(CHUNK);
                self.buf.resize(want, 0);
            }
        }
        loop {
            match r.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(Fill::Eof),
                Ok(n) => {
                    self.end += n;
                    return Ok(Fill::Read(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Fill::WouldBlock),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next whole `<json>\nend\n` message, without its terminator; `Ok(None)` until all
    /// of it has arrived. Errors as [`FrameReader::read_frame`](super::FrameReader::read_frame):
    /// an empty message, or one growing past the limit without an `end` line.
    pub fn next_json(&mut self) -> Result<Option<&[u8]>, FrameError> {
        loop {
            let Some(nl) = self.buf[self.scan..self.end]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| self.scan + i)
            else {
                if self.end - self.pos > self.max_frame + 7 {
                    return Err(self.too_large());
                }
                return Ok(None);
            };
            let mut line = &self.buf[self.scan..nl];
            if let Some(rest) = line.strip_suffix(b"\r") {
                line = rest;
            }
            if line == b"end" {
                let start = self.pos;
                let mut stop = self.scan;
                while stop > start && matches!(self.buf[stop - 1], b'\n' | b'\r') {
                    stop -= 1;
                }
                self.pos = nl + 1;
                self.scan = self.pos;
                let msg = &self.buf[start..stop];
                if msg.iter().all(u8::is_ascii_whitespace) {
                    return Err(FrameError::EmptyMessage);
                }
                return Ok(Some(msg));
            }
            self.scan = nl + 1;
            if self.scan - self.pos > self.max_frame + 2 {
                return Err(self.too_large());
            }
        }
    }

    /// The next whole fast-wire message (a big-endian `u32` length, then the body), without
    /// its length; `Ok(None)` until all of it has arrived. Errors as
    /// [`FrameReader::read_sized_frame`](super::FrameReader::read_sized_frame).
    pub fn next_sized(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let have = &self.buf[self.pos..self.end];
        if have.len() < 4 {
            return Ok(None);
        }
        let n = u32::from_be_bytes([have[0], have[1], have[2], have[3]]) as usize;
        if n == 0 {
            return Err(FrameError::EmptyMessage);
        }
        if n > self.max_frame {
            return Err(FrameError::TooLarge {
                limit: self.max_frame,
                partial: format!("a fast-wire message announcing {n} bytes"),
            });
        }
        if have.len() < 4 + n {
            return Ok(None);
        }
        let start = self.pos + 4;
        self.pos = start + n;
        self.scan = self.pos;
        Ok(Some(&self.buf[start..start + n]))
    }

    /// At end of input: `Ok` when what is left is no message at all (nothing, or only
    /// whitespace between JSON messages), else the error
    /// [`FrameReader`](super::FrameReader) gives for a stream that ends inside a message.
    pub fn finish(&self, sized: bool) -> Result<(), FrameError> {
        let rest = &self.buf[self.pos..self.end];
        if sized {
            if rest.is_empty() {
                return Ok(());
            }
            if rest.len() < 4 {
                return Err(FrameError::UnexpectedEof {
                    partial: format!("{} of the 4 length bytes", rest.len()),
                });
            }
            let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let body = &rest[4..];
            return Err(FrameError::UnexpectedEof {
                partial: format!(
                    "{} of {n} bytes of a fast-wire message: {}",
                    body.len(),
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            });
        }
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        Err(FrameError::UnexpectedEof {
            partial: String::from_utf8_lossy(&rest[..rest.len().min(200)]).into_owned(),
        })
    }

    fn too_large(&self) -> FrameError {
        let rest = &self.buf[self.pos..self.end];
        FrameError::TooLarge {
            limit: self.max_frame,
            partial: String::from_utf8_lossy(&rest[..rest.len().min(200)]).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::FrameReader;
    use super::*;
    use proptest::prelude::*;

    /// Hands out at most `chunk` bytes per read, then says "would block" once, to split
    /// messages anywhere as a non-blocking pipe does.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
        block_next: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.block_next && !self.data.is_empty() {
                self.block_next = false;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.block_next = true;
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Every JSON message of `data` through a buffer, or the first error (as text).
    fn json_frames(data: &[u8], chunk: usize, max: usize) -> Result<Vec<Vec<u8>>, String> {
        let mut r = Trickle {
            data,
            chunk,
            block_next: false,
        };
        let mut b = FrameBuffer::new();
        b.set_max_frame(max);
        let mut got = Vec::new();
        loop {
            let fill = b.fill(&mut r).map_err(|e| e.to_string())?;
            while let Some(m) = b.next_json().map_err(|e| e.to_string())? {
                got.push(m.to_vec());
            }
            if fill == Fill::Eof {
                b.finish(false).map_err(|e| e.to_string())?;
                return Ok(got);
            }
        }
    }

    /// The same through [`FrameReader`].
    fn reader_frames(data: &[u8], max: usize) -> Result<Vec<Vec<u8>>, String> {
        let mut r = FrameReader::new(data);
        r.set_max_frame(max);
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while r.read_frame(&mut buf).map_err(|e| e.to_string())? {
            got.push(buf.clone());
        }
        Ok(got)
    }

    #[test]
    fn json_messages_split_anywhere_come_out_whole() {
        let wire = b"{\"a\":1}\nend\n[1,\n2]\r\nend\r\n  \n{\"command\":\"next\"}\nend\n";
        for chunk in 1..wire.len() + 1 {
            assert_eq!(
                json_frames(wire, chunk, 1 << 20).unwrap(),
                reader_frames(wire, 1 << 20).unwrap(),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn errors_are_the_readers() {
        for (wire, want) in [
            (&b"{\"a\":1}\nend\n  \nend\n"[..], "empty message"),
            (b"{\"a\":1}\nen", "input ended in the middle"),
            (b"{\"a\":1}", "input ended in the middle"),
        ] {
            let err = json_frames(wire, 3, 1 << 20).unwrap_err();
            assert!(err.contains(want), "{err}");
            assert_eq!(err, reader_frames(wire, 1 << 20).unwrap_err());
        }
        let long = [b"[\"".as_slice(), &[b'x'; 5000], b"\"]\nend\n"].concat();
        let err = json_frames(&long, 700, 1024).unwrap_err();
        assert!(err.contains("larger than 1024 bytes"), "{err}");
        let one_line = [b"[\"".as_slice(), &[b'x'; 5000]].concat();
        let err = json_frames(&one_line, 700, 1024).unwrap_err();
        assert!(err.contains("larger than 1024 bytes"), "{err}");
    }

    #[test]
    fn sized_messages_split_anywhere_come_out_whole() {
        let mut wire = Vec::new();
        for body in [&b"a"[..], b"hello", &[7u8; 300]] {
            wire.extend_from_slice(&(body.len() as u32).to_be_bytes());
            wire.extend_from_slice(body);
        }
        for chunk in 1..wire.len() + 1 {
            let mut r = Trickle {
                data: &wire,
                chunk,
                block_next: false,
            };
            let mut b = FrameBuffer::new();
            let mut got = Vec::new();
            loop {
                let fill = b.fill(&mut r).unwrap();
                while let Some(m) = b.next_sized().unwrap() {
                    got.push(m.len());
                }
                if fill == Fill::Eof {
                    b.finish(true).unwrap();
                    break;
                }
            }
            assert_eq!(got, [1, 5, 300], "chunk {chunk}");
        }
        let mut b = FrameBuffer::new();
        b.fill(&mut &[0u8, 0, 0, 9, 1, 2][..]).unwrap();
        assert_eq!(b.next_sized().unwrap(), None);
        let err = b.finish(true).unwrap_err().to_string();
        assert!(err.contains("2 of 9 bytes"), "{err}");
        let mut b = FrameBuffer::new();
        b.set_max_frame(2000);
        b.fill(&mut &[0u8, 1, 0, 0][..]).unwrap();
        let err = b.next_sized().unwrap_err().to_string();
        assert!(err.contains("announcing 65536 bytes"), "{err}");
    }

    #[test]
    fn a_message_larger_than_the_first_buffer_grows_it() {
        let big = [b"[\"".as_slice(), &[b'y'; 200_000], b"\"]\nend\n"].concat();
        let got = json_frames(&big, 70_000, 1 << 20).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), 200_004);
    }

    proptest! {
        /// Any bytes, split anywhere: the same messages, or the same error, as FrameReader.
        #[test]
        fn reads_what_the_frame_reader_reads(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"end\n".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\r\n".to_vec()),
                    Just(b" ".to_vec()),
                    Just(b"end\r\n".to_vec()),
                    "[a-z{}\":,]{0,12}".prop_map(|s| s.into_bytes()),
                ],
                0..24,
            ),
            chunk in 1usize..40,
        ) {
            let wire = parts.concat();
            let ours = json_frames(&wire, chunk, 1 << 20);
            let theirs = reader_frames(&wire, 1 << 20);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                // Both fail; our error may come at a different message, never a different kind.
                (Err(a), Err(b)) => prop_assert_eq!(a.split(' ').next(), b.split(' ').next()),
                (a, b) => prop_assert!(false, "buffer {:?} vs reader {:?}", a, b),
            }
        }
    }
}
