//! A task's stdin and stdout: the [`WriterQueue`] in front of stdin and the writer thread
//! that drains it with Storm's priorities, and the [`StdoutReader`] with which the engine's
//! own thread decodes stdout frames into [`Event`]s, paced by a [`Credit`]. After a
//! handshake reply that accepts the fast wire, the reader reads length-prefixed binary
//! frames instead of JSON (decoded into the same messages) and the writer writes binary
//! heartbeats.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::process::{ChildStdin, ChildStdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex};

use sparse_protocol::fastwire;
use sparse_protocol::frame::{Fill, FrameBuffer, FrameError};
use sparse_protocol::shell::{self, ShellMsg};

use crate::rng::Rng;
use crate::wire::{self, JsonStyle, Wire};

/// What a task's stdout and its writer thread tell the engine.
#[derive(Debug)]
pub enum Event {
    /// The handshake reply.
    Pid {
        /// Task index (engine-local).
        task: usize,
        /// The pid the component reported.
        pid: u32,
        /// It accepted the fast wire: everything after the reply is binary both ways.
        fast: bool,
    },
    /// Decoded messages, in the order the component wrote them.
    Msgs {
        /// Task index.
        task: usize,
        /// The messages.
        msgs: Vec<ShellMsg>,
        /// What they count against the task's [`Credit`]; give it back with
        /// [`Credit::release`] once they are handled.
        bytes: usize,
    },
    /// A protocol violation (bad frame, bad JSON, wrong field type, bad pid reply).
    Bad {
        /// Task index.
        task: usize,
        /// What was wrong.
        error: String,
    },
    /// stdout reached end of input (the process exited or closed it).
    Eof {
        /// Task index.
        task: usize,
    },
    /// Writing to stdin failed (broken pipe).
    WriteFailed {
        /// Task index.
        task: usize,
        /// The error.
        error: String,
    },
}

#[derive(Default)]
struct Lanes {
    /// The unwritten end of frames the engine began writing itself (written first, before
    /// anything queued after them).
    rest: Vec<u8>,
    heartbeat: bool,
    priority: Vec<u8>,
    tuples: Vec<u8>,
    closed: bool,
    /// The writer thread took the lanes and is writing them.
    busy: bool,
    /// The task's stdin (non-blocking), shared with the writer thread; `None` once the
    /// writer has ended (its copy is then the last, and dropping it closes the pipe).
    stdin: Option<Arc<ChildStdin>>,
}

impl Lanes {
    /// Nothing queued or being written: a frame may go straight to the pipe.
    fn idle(&self) -> bool {
        !self.busy
            && !self.heartbeat
            && !self.closed
            && self.rest.is_empty()
            && self.priority.is_empty()
            && self.tuples.is_empty()
            && self.stdin.is_some()
    }

    /// Writes what `lane` holds to the pipe without blocking, as far as the pipe takes
    /// it; a partly written frame's end moves to `rest`. True when all of it was written
    /// (nothing is left for the writer thread).
    fn write_direct(&mut self, lane: fn(&mut Lanes) -> &mut Vec<u8>) -> bool {
        let Some(stdin) = self.stdin.clone() else {
            return false;
        };
        let buf = lane(self);
        let mut done = 0;
        while done < buf.len() {
            match (&*stdin).write(&buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // A full pipe (EAGAIN) or an error: the writer thread takes over, and
                // reports an error when it meets it again.
                Err(_) => break,
            }
        }
        if done == buf.len() {
            buf.clear();
            return true;
        }
        if done > 0 {
            let rest = buf.split_off(done);
            buf.clear();
            self.rest = rest;
        }
        false
    }
}

/// The queue in front of a task's stdin, shared by the engine (producer) and the writer
/// thread (consumer).
///
/// When nothing is queued or being written, a pushed frame is written straight to the
/// (non-blocking) pipe by the pushing thread, as far as the pipe takes it, and the writer
/// thread is not woken: the engine's answer reaches the task without a thread hop. What
/// the pipe does not take is left to the writer thread, in order.
pub struct WriterQueue {
    lanes: Mutex<Lanes>,
    cv: Condvar,
    queued: AtomicUsize,
    unwritten: AtomicUsize,
}

impl WriterQueue {
    /// A queue in front of `stdin`, which it makes non-blocking.
    pub(super) fn new(stdin: ChildStdin) -> std::io::Result<Self> {
        rustix::io::ioctl_fionbio(&stdin, true)?;
        Ok(WriterQueue {
            lanes: Mutex::new(Lanes {
                stdin: Some(Arc::new(stdin)),
                ..Lanes::default()
            }),
            cv: Condvar::new(),
            queued: AtomicUsize::new(0),
            unwritten: AtomicUsize::new(0),
        })
    }

    /// Tuples queued and not yet taken by the writer (`topology.shellbolt.max.pending`
    /// applies to this).
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Tuples queued or being written, not yet in the pipe: the task's receive queue,
    /// which `topology.executor.receive.buffer.size` bounds.
    pub fn unwritten(&self) -> usize {
        self.unwritten.load(Ordering::Acquire)
    }

    /// Raises the heartbeat flag (written before anything else queued).
    pub fn heartbeat(&self) {
        self.lanes.lock().unwrap().heartbeat = true;
        self.cv.notify_one();
    }

    /// Queues frames on the priority lane (task ids, spout commands).
    pub fn push_priority(&self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut l = self.lanes.lock().unwrap();
        let direct = l.idle();
        f(&mut l.priority);
        if direct && l.write_direct(|l| &mut l.priority) {
            return;
        }
        drop(l);
        self.cv.notify_one();
    }

    /// Queues `n` tuple frames.
    pub fn push_tuples(&self, n: usize, f: impl FnOnce(&mut Vec<u8>)) {
        let mut l = self.lanes.lock().unwrap();
        let direct = l.idle();
        f(&mut l.tuples);
        if direct {
            if l.write_direct(|l| &mut l.tuples) {
                return;
            }
            if !l.rest.is_empty() {
                // Partly in the pipe, the rest taken from the tuple lane: not queued.
                drop(l);
                self.cv.notify_one();
                return;
            }
        }
        // Counted under the lock, so the writer takes the count with the bytes.
        self.queued.fetch_add(n, Ordering::Relaxed);
        self.unwritten.fetch_add(n, Ordering::AcqRel);
        drop(l);
        self.cv.notify_one();
    }

    /// Closes stdin once what is queued is written.
    pub fn close(&self) {
        self.lanes.lock().unwrap().closed = true;
        self.cv.notify_one();
    }
}

/// Writes all of `buf` to the non-blocking `out`, waiting for room when the pipe is full.
fn write_all(out: &ChildStdin, mut buf: &[u8]) -> std::io::Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    while !buf.is_empty() {
        match (&*out).write(buf) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let mut fds = [PollFd::new(out, PollFlags::OUT)];
                match poll(&mut fds, None) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Ends the writer: the queue lets go of stdin, so the writer's copy is the last one.
struct Release<'a>(&'a WriterQueue);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        if let Ok(mut l) = self.0.lanes.lock() {
            l.stdin = None;
        }
    }
}

pub(super) fn writer_loop(
    task: usize,
    q: Arc<WriterQueue>,
    events: Sender<Event>,
    style: JsonStyle,
    fast: Arc<AtomicBool>,
) {
    let Some(stdin) = q.lanes.lock().unwrap().stdin.clone() else {
        return;
    };
    let _release = Release(&q);
    let mut rng = Rng::from_entropy();
    let mut rest = Vec::new();
    let mut prio = Vec::new();
    let mut tuples = Vec::new();
    let mut hb = Vec::new();
    loop {
        let (heartbeat, closed, taken) = {
            let mut l = q.lanes.lock().unwrap();
            l.busy = false;
            while !l.heartbeat
                && l.rest.is_empty()
                && l.priority.is_empty()
                && l.tuples.is_empty()
                && !l.closed
            {
                l = q.cv.wait(l).unwrap();
            }
            std::mem::swap(&mut rest, &mut l.rest);
            std::mem::swap(&mut prio, &mut l.priority);
            std::mem::swap(&mut tuples, &mut l.tuples);
            let taken = q.queued.swap(0, Ordering::Relaxed);
            let h = std::mem::take(&mut l.heartbeat);
            l.busy = true;
            (h, l.closed, taken)
        };
        hb.clear();
        if heartbeat {
            // Heartbeats are asked for only after the handshake reply, so the flag is set.
            let on = if fast.load(Ordering::Acquire) {
                Wire::Fast
            } else {
                Wire::Json(style)
            };
            wire::heartbeat_on(on, &mut hb, rng.next_u64() as i64);
        }
        for buf in [&rest, &hb, &prio, &tuples] {
            if buf.is_empty() {
                continue;
            }
            if let Err(e) = write_all(&stdin, buf) {
                let _ = events.send(Event::WriteFailed {
                    task,
                    error: e.to_string(),
                });
                return;
            }
        }
        q.unwritten.fetch_sub(taken, Ordering::AcqRel);
        rest.clear();
        prio.clear();
        tuples.clear();
        if closed {
            let l = q.lanes.lock().unwrap();
            if l.rest.is_empty() && l.priority.is_empty() && l.tuples.is_empty() {
                return; // drops stdin: EOF for the component
            }
        }
    }
}

/// Flow control between a task's stdout and the engine: the bytes of messages read and not
/// yet handled. The engine stops reading a task's stdout while they exceed
/// [`Credit::LIMIT`] (the component then blocks on a full pipe); it gives them back as it
/// handles the messages, and holds them while the task is blocked by backpressure.
#[derive(Debug, Default)]
pub struct Credit {
    used: AtomicUsize,
}

impl Credit {
    /// Bytes in flight per task before its stdout is no longer read (one read's messages
    /// always pass).
    pub const LIMIT: usize = 1 << 20;
    /// What each message counts on top of its length (its decoded form's overhead).
    pub const PER_MESSAGE: usize = 128;

    /// Counts `n` bytes about to be handed to the engine.
    fn add(&self, n: usize) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    /// True while more than the limit is in flight: the task's stdout is not read.
    pub fn exhausted(&self) -> bool {
        self.used.load(Ordering::Acquire) >= Self::LIMIT
    }

    /// Gives back `n` bytes of handled messages.
    pub fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }

    /// Bytes in flight.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// Where a task's stdout is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the handshake reply (JSON).
    Handshake,
    /// JSON messages.
    Json,
    /// Fast-wire messages.
    Fast,
    /// End of input or an error was reported: nothing more is read.
    Done,
}

/// A task's stdout, read by the engine's own thread: non-blocking, polled with every
/// other task's, cut into messages by a [`FrameBuffer`] and decoded with Storm's rules
/// (binary after a pid reply that accepts the fast wire). No thread per task and no
/// channel hop: a message costs the engine one `poll` wake-up shared with every task that
/// wrote meanwhile.
pub struct StdoutReader {
    task: usize,
    out: ChildStdout,
    frames: FrameBuffer,
    phase: Phase,
    /// Set when the fast wire was offered; the reply decides it (read by the writer).
    fast_wire: Option<Arc<AtomicBool>>,
    credit: Arc<Credit>,
}

impl StdoutReader {
    /// Reads `out` (made non-blocking) for task `task`.
    pub(super) fn new(
        task: usize,
        out: ChildStdout,
        max_frame: usize,
        credit: Arc<Credit>,
        fast_wire: Option<Arc<AtomicBool>>,
    ) -> std::io::Result<Self> {
        rustix::io::ioctl_fionbio(&out, true)?;
        let mut frames = FrameBuffer::new();
        frames.set_max_frame(max_frame);
        Ok(StdoutReader {
            task,
            out,
            frames,
            phase: Phase::Handshake,
            fast_wire,
            credit,
        })
    }

    /// True while there is more to read: no end of input or error reported yet.
    pub fn open(&self) -> bool {
        self.phase != Phase::Done
    }

    /// Reads what the pipe holds (one `read`) and appends what it brought to `events`: the
    /// handshake reply, then the decoded messages as one [`Event::Msgs`] (counted against
    /// the task's [`Credit`]), and [`Event::Bad`] or [`Event::Eof`] last when the stream
    /// ends or breaks the protocol (nothing is read after that).
    pub fn pump(&mut self, events: &mut Vec<Event>) {
        if self.phase == Phase::Done {
            return;
        }
        let task = self.task;
        let eof = match self.frames.fill(&mut self.out) {
            Ok(Fill::Read(_)) => false,
            Ok(Fill::WouldBlock) => return,
            Ok(Fill::Eof) => true,
            Err(e) => {
                self.phase = Phase::Done;
                events.push(Event::Bad {
                    task,
                    error: FrameError::Io(e).to_string(),
                });
                return;
            }
        };
        let mut msgs = Vec::new();
        let mut bytes = 0;
        let mut end = None;
        loop {
            match self.next_item() {
                Ok(Some(Item::Pid { pid, offered })) => {
                    let fast = self.fast_wire.as_ref().is_some_and(|flag| {
                        flag.store(offered, Ordering::Release);
                        offered
                    });
                    self.phase = if fast { Phase::Fast } else { Phase::Json };
                    events.push(Event::Pid { task, pid, fast });
                }
                Ok(Some(Item::Msg(m, len))) => {
                    bytes += len + Credit::PER_MESSAGE;
                    msgs.push(m);
                }
                Ok(None) => break,
                Err(error) => {
                    end = Some(Event::Bad { task, error });
                    break;
                }
            }
        }
        if !msgs.is_empty() {
            self.credit.add(bytes);
            events.push(Event::Msgs { task, msgs, bytes });
        }
        if end.is_none() && eof {
            end = Some(match self.frames.finish(self.phase == Phase::Fast) {
                Ok(()) => Event::Eof { task },
                Err(e) => Event::Bad {
                    task,
                    error: e.to_string(),
                },
            });
        }
        if let Some(ev) = end {
            self.phase = Phase::Done;
            events.push(ev);
        }
    }
}

/// One thing decoded from a task's stdout.
enum Item {
    /// The handshake reply, and whether it accepts the fast wire.
    Pid { pid: u32, offered: bool },
    /// A message, and its length on the wire.
    Msg(ShellMsg, usize),
}

/// `frame` as text, or the protocol error for bytes that are not UTF-8.
fn utf8(frame: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(frame).map_err(|e| {
        FrameError::InvalidUtf8 {
            offset: e.valid_up_to(),
        }
        .to_string()
    })
}

impl StdoutReader {
    /// The next whole message in the buffer, decoded as the phase says; `Ok(None)` until
    /// one has arrived. Errors are the text of the task's protocol error.
    fn next_item(&mut self) -> Result<Option<Item>, String> {
        match self.phase {
            Phase::Handshake => {
                let Some(frame) = self.frames.next_json().map_err(|e| e.to_string())? else {
                    return Ok(None);
                };
                let s = utf8(frame)?;
                let pid = shell::decode_pid(s).map_err(|e| e.to_string())?;
                Ok(Some(Item::Pid {
                    pid,
                    offered: fastwire::offered(s),
                }))
            }
            Phase::Json => {
                let Some(frame) = self.frames.next_json().map_err(|e| e.to_string())? else {
                    return Ok(None);
                };
                let m = shell::decode(utf8(frame)?).map_err(|e| e.to_string())?;
                Ok(Some(Item::Msg(m, frame.len())))
            }
            Phase::Fast => {
                let Some(frame) = self.frames.next_sized().map_err(|e| e.to_string())? else {
                    return Ok(None);
                };
                let m = fastwire::decode_shell_msg(frame)
                    .map_err(|e| format!("invalid fast-wire message from the component: {e}"))?;
                Ok(Some(Item::Msg(m, frame.len())))
            }
            Phase::Done => Ok(None),
        }
    }
}

impl AsFd for StdoutReader {
    /// The pipe, to poll.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.out.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::process::{Command, Stdio};

    /// Every event a child's stdout brings, read as the engine reads it (poll, then one
    /// read per wake-up), until the reader is done.
    fn events_of(script: &str, offer_fast: bool) -> Vec<Event> {
        use rustix::event::{PollFd, PollFlags, poll};
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let flag = offer_fast.then(|| Arc::new(AtomicBool::new(false)));
        let mut r = StdoutReader::new(
            3,
            child.stdout.take().unwrap(),
            1 << 20,
            Arc::new(Credit::default()),
            flag,
        )
        .unwrap();
        let mut events = Vec::new();
        while r.open() {
            let mut fds = [PollFd::new(&r, PollFlags::IN)];
            poll(&mut fds, None).unwrap();
            r.pump(&mut events);
        }
        child.wait().unwrap();
        events
    }

    #[test]
    fn the_engine_reads_a_task_s_stdout_in_order() {
        let evs = events_of(
            r#"printf '{"pid": 42}\nend\n{"command":"sync"}\nend\n'; sleep 0.05; printf '{"command":"ack","id":"7"}\nend\n'"#,
            false,
        );
        let got: Vec<String> = evs
            .iter()
            .map(|e| match e {
                Event::Pid { task, pid, fast } => format!("pid {task} {pid} {fast}"),
                Event::Msgs { msgs, .. } => format!("{} msgs", msgs.len()),
                Event::Eof { task } => format!("eof {task}"),
                other => format!("{other:?}"),
            })
            .collect();
        // The sync and the ack came in two writes: at least two batches, none lost.
        assert_eq!(got.first().map(String::as_str), Some("pid 3 42 false"));
        assert_eq!(got.last().map(String::as_str), Some("eof 3"));
        let n: usize = evs
            .iter()
            .map(|e| match e {
                Event::Msgs { msgs, .. } => msgs.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(n, 2, "{got:?}");
    }

    #[test]
    fn a_broken_stream_is_reported_once_with_what_came_before() {
        let evs = events_of(
            r#"printf '{"pid": 1}\nend\n{"command":"sync"}\nend\nnot json\nend\nmore'"#,
            true,
        );
        assert!(matches!(evs[0], Event::Pid { fast: false, .. }), "{evs:?}");
        assert!(
            matches!(&evs[1], Event::Msgs { msgs, .. } if msgs.len() == 1),
            "{evs:?}"
        );
        assert!(matches!(&evs[2], Event::Bad { task: 3, .. }), "{evs:?}");
        assert_eq!(evs.len(), 3, "nothing after the error: {evs:?}");
        let evs = events_of(r#"printf '{"pid": 1}\nend\n{"command":"sy'"#, false);
        match &evs[..] {
            [Event::Pid { .. }, Event::Bad { error, .. }] => {
                assert!(error.contains("input ended in the middle"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// Frames pushed while the pipe is full (the first one only partly written straight to
    /// it) reach the task whole and in order, and closing the queue closes the pipe.
    #[test]
    fn frames_reach_a_full_pipe_whole_and_in_order() {
        let mut cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let q = Arc::new(WriterQueue::new(cat.stdin.take().unwrap()).unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let w = {
            let q = q.clone();
            let fast = Arc::new(AtomicBool::new(false));
            std::thread::spawn(move || writer_loop(0, q, tx, JsonStyle::Storm, fast))
        };
        // Larger than any pipe buffer: `cat` cannot take it all before we push the rest.
        let big: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        q.push_priority(|b| b.extend_from_slice(&big));
        let mut want = big.clone();
        for i in 0..1000u32 {
            let frame = format!("tuple {i}\n");
            q.push_tuples(1, |b| b.extend_from_slice(frame.as_bytes()));
            want.extend_from_slice(frame.as_bytes());
        }
        q.close();
        let mut got = Vec::new();
        cat.stdout.take().unwrap().read_to_end(&mut got).unwrap();
        assert!(
            got == want,
            "{} bytes read, {} written",
            got.len(),
            want.len()
        );
        assert!(cat.wait().unwrap().success());
        w.join().unwrap();
        assert!(rx.try_recv().is_err(), "no write failure");
        assert_eq!(q.unwritten(), 0);
    }
}
