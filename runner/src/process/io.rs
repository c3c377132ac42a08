//! A task's stdin and stdout: the [`WriterQueue`] in front of stdin and the writer thread
//! that drains it with Storm's priorities, and the reader thread that decodes stdout frames
//! into [`Event`]s for the engine, paced by a [`Credit`]. After a handshake reply that
//! accepts the fast wire, the reader reads length-prefixed binary frames instead of JSON
//! (decoded into the same messages) and the writer writes binary heartbeats.

use std::io::{Read, Write};
use std::process::ChildStdin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex};

use sparse_protocol::fastwire;
use sparse_protocol::frame::FrameReader;
use sparse_protocol::shell::{self, ShellMsg};

use crate::rng::Rng;
use crate::wire::{self, JsonStyle, Wire};

/// What a task's I/O threads tell the engine.
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

/// Flow control between a task's reader thread and the engine: the bytes of messages read
/// and not yet handled. The reader stops reading stdout while they exceed
/// [`Credit::LIMIT`]; the engine gives them back as it handles the messages, and holds them
/// while the task is blocked by backpressure.
#[derive(Debug, Default)]
pub struct Credit {
    used: AtomicUsize,
    closed: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
}

impl Credit {
    /// Bytes in flight per task before its reader waits (one message always passes).
    pub const LIMIT: usize = 1 << 20;
    /// What each message counts on top of its length (its decoded form's overhead).
    pub const PER_MESSAGE: usize = 128;

    /// Counts `n` bytes about to be sent to the engine.
    fn add(&self, n: usize) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    /// Waits while more than the limit is in flight (or until [`close`](Self::close)).
    fn wait(&self) {
        if self.used.load(Ordering::Acquire) < Self::LIMIT {
            return;
        }
        let mut g = self.lock.lock().unwrap();
        while self.used.load(Ordering::Acquire) >= Self::LIMIT
            && !self.closed.load(Ordering::Acquire)
        {
            g = self.cv.wait(g).unwrap();
        }
    }

    /// Gives back `n` bytes of handled messages.
    pub fn release(&self, n: usize) {
        let prev = self.used.fetch_sub(n, Ordering::AcqRel);
        if prev >= Self::LIMIT && prev - n < Self::LIMIT {
            let _g = self.lock.lock().unwrap();
            self.cv.notify_all();
        }
    }

    /// Bytes in flight.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Lets the reader go for good (the run is ending).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _g = self.lock.lock().unwrap();
        self.cv.notify_all();
    }
}

pub(super) fn reader_loop(
    task: usize,
    stdout: impl Read,
    events: Sender<Event>,
    max_frame: usize,
    credit: Arc<Credit>,
    fast_wire: Option<Arc<AtomicBool>>,
) {
    let mut r = FrameReader::new(stdout);
    r.set_max_frame(max_frame);
    let mut buf = Vec::new();
    // The handshake reply first; it says whether the task switches to the fast wire
    // (only when it was offered, `fast_wire` is `Some`).
    let fast;
    match r.read_frame_str(&mut buf) {
        Ok(Some(s)) => match shell::decode_pid(s) {
            Ok(pid) => {
                fast = fast_wire.as_ref().is_some_and(|flag| {
                    let accepted = fastwire::offered(s);
                    flag.store(accepted, Ordering::Release);
                    accepted
                });
                if events.send(Event::Pid { task, pid, fast }).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = events.send(Event::Bad {
                    task,
                    error: e.to_string(),
                });
                return;
            }
        },
        Ok(None) => {
            let _ = events.send(Event::Eof { task });
            return;
        }
        Err(e) => {
            let _ = events.send(Event::Bad {
                task,
                error: e.to_string(),
            });
            return;
        }
    }
    let mut batch = Vec::new();
    let mut bytes = 0;
    loop {
        let decoded = if fast {
            match r.read_sized_frame(&mut buf) {
                Ok(true) => Ok(Some(fastwire::decode_shell_msg(&buf).map_err(|e| {
                    format!("invalid fast-wire message from the component: {e}")
                }))),
                Ok(false) => Ok(None),
                Err(e) => Err(e),
            }
        } else {
            r.read_frame_str(&mut buf)
                .map(|f| f.map(|s| shell::decode(s).map_err(|e| e.to_string())))
        };
        let ev = match decoded {
            Ok(Some(Ok(m))) => {
                batch.push(m);
                bytes += buf.len() + Credit::PER_MESSAGE;
                if r.has_buffered_input() && batch.len() < 512 && bytes < Credit::LIMIT / 4 {
                    continue;
                }
                None
            }
            Ok(Some(Err(error))) => Some(Event::Bad { task, error }),
            Ok(None) => Some(Event::Eof { task }),
            Err(e) => Some(Event::Bad {
                task,
                error: e.to_string(),
            }),
        };
        if !batch.is_empty() {
            credit.add(bytes);
            let msgs = Event::Msgs {
                task,
                msgs: std::mem::take(&mut batch),
                bytes: std::mem::take(&mut bytes),
            };
            if events.send(msgs).is_err() {
                return;
            }
        }
        if let Some(ev) = ev {
            let _ = events.send(ev);
            return;
        }
        credit.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

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
