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
    heartbeat: bool,
    priority: Vec<u8>,
    tuples: Vec<u8>,
    closed: bool,
}

/// The queue in front of a task's stdin, shared by the engine (producer) and the writer
/// thread (consumer).
#[derive(Default)]
pub struct WriterQueue {
    lanes: Mutex<Lanes>,
    cv: Condvar,
    queued: AtomicUsize,
    unwritten: AtomicUsize,
}

impl WriterQueue {
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
        f(&mut self.lanes.lock().unwrap().priority);
        self.cv.notify_one();
    }

    /// Queues `n` tuple frames.
    pub fn push_tuples(&self, n: usize, f: impl FnOnce(&mut Vec<u8>)) {
        let mut l = self.lanes.lock().unwrap();
        f(&mut l.tuples);
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

pub(super) fn writer_loop(
    task: usize,
    mut stdin: ChildStdin,
    q: Arc<WriterQueue>,
    events: Sender<Event>,
    style: JsonStyle,
    fast: Arc<AtomicBool>,
) {
    let mut rng = Rng::from_entropy();
    let mut prio = Vec::new();
    let mut tuples = Vec::new();
    let mut hb = Vec::new();
    loop {
        let (heartbeat, closed, taken) = {
            let mut l = q.lanes.lock().unwrap();
            while !l.heartbeat && l.priority.is_empty() && l.tuples.is_empty() && !l.closed {
                l = q.cv.wait(l).unwrap();
            }
            std::mem::swap(&mut prio, &mut l.priority);
            std::mem::swap(&mut tuples, &mut l.tuples);
            let taken = q.queued.swap(0, Ordering::Relaxed);
            let h = std::mem::take(&mut l.heartbeat);
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
        for buf in [&hb, &prio, &tuples] {
            if buf.is_empty() {
                continue;
            }
            if let Err(e) = stdin.write_all(buf) {
                let _ = events.send(Event::WriteFailed {
                    task,
                    error: e.to_string(),
                });
                return;
            }
        }
        q.unwritten.fetch_sub(taken, Ordering::AcqRel);
        prio.clear();
        tuples.clear();
        if closed {
            let l = q.lanes.lock().unwrap();
            if l.priority.is_empty() && l.tuples.is_empty() {
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
