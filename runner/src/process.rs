//! Task subprocesses: spawning (no shell, own process group), the three I/O threads of a
//! task, and termination.
//!
//! Per task:
//! * a **reader** thread reads stdout frames, decodes them with Storm's rules and sends
//!   them to the engine in batches (one channel send per burst of buffered input);
//! * a **writer** thread owns stdin and drains a [`WriterQueue`] with Storm's priority:
//!   heartbeat, then task-id lists and commands, then tuples; it writes each lane as one
//!   `write` and so flushes exactly when it is about to block on an empty queue;
//! * a **stderr** thread echoes lines prefixed `[component:task]` and keeps the last ones
//!   for failure reports; a line longer than [`STDERR_LINE_MAX`] is cut there and marked,
//!   the rest of it dropped.
//!
//! Memory per task is bounded: a message read from stdout may not exceed
//! `sparse.max.frame.bytes` (a larger one fails the task, naming the limit), the messages
//! read but not yet handled by the engine are bounded by a [`Credit`] (the reader stops
//! reading, so a component that writes faster than it is listened to blocks on its
//! stdout), and stderr is read a bounded line at a time.
//!
//! Each child runs in its own process group, so a terminal's Ctrl-C reaches only the
//! runner (which then stops gracefully) and termination signals reach grandchildren too.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use sparse_protocol::frame::FrameReader;
use sparse_protocol::shell::{self, ShellMsg};

use super::console::Console;
use super::rng::Rng;
use super::wire::{self, JsonStyle};

/// What a task's I/O threads tell the engine.
#[derive(Debug)]
pub enum Event {
    /// The handshake reply.
    Pid {
        /// Task index (engine-local).
        task: usize,
        /// The pid the component reported.
        pid: u32,
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

fn writer_loop(
    task: usize,
    mut stdin: ChildStdin,
    q: Arc<WriterQueue>,
    events: Sender<Event>,
    style: JsonStyle,
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
            wire::heartbeat(style, &mut hb, rng.next_u64() as i64);
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

fn reader_loop(
    task: usize,
    stdout: impl Read,
    events: Sender<Event>,
    max_frame: usize,
    credit: Arc<Credit>,
) {
    let mut r = FrameReader::new(stdout);
    r.set_max_frame(max_frame);
    let mut buf = Vec::new();
    // The handshake reply first.
    match r.read_frame_str(&mut buf) {
        Ok(Some(s)) => match shell::decode_pid(s) {
            Ok(pid) => {
                if events.send(Event::Pid { task, pid }).is_err() {
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
        let ev = match r.read_frame_str(&mut buf) {
            Ok(Some(s)) => match shell::decode(s) {
                Ok(m) => {
                    batch.push(m);
                    bytes += s.len() + Credit::PER_MESSAGE;
                    if r.has_buffered_input() && batch.len() < 512 && bytes < Credit::LIMIT / 4 {
                        continue;
                    }
                    None
                }
                Err(e) => Some(Event::Bad {
                    task,
                    error: e.to_string(),
                }),
            },
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

/// The last stderr lines of a task, and whether its stderr has closed.
#[derive(Default)]
pub struct StderrTail {
    lines: Mutex<VecDeque<String>>,
    done: AtomicBool,
}

impl StderrTail {
    const KEEP: usize = 20;
    /// The longest line kept for a failure report.
    const LINE_MAX: usize = 2048;

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().cloned().collect()
    }

    /// Waits (bounded) until stderr has reached end of input.
    pub fn wait_done(&self, max: Duration) {
        let end = Instant::now() + max;
        while !self.done.load(Ordering::Acquire) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The longest stderr line echoed and kept whole; a longer one is cut here, marked, and
/// the rest of it (up to its newline) dropped.
pub const STDERR_LINE_MAX: usize = 32 * 1024;

/// The mark that ends a cut stderr line.
pub fn cut_mark() -> String {
    format!(" [... line cut at {STDERR_LINE_MAX} bytes by sparse run]")
}

fn stderr_line(prefix: &str, line: &[u8], cut: bool, tail: &StderrTail, console: &Console) {
    let text = String::from_utf8_lossy(line);
    let mut text = text.trim_end_matches(['\n', '\r']).to_string();
    if cut {
        text.push_str(&cut_mark());
    }
    console.task_line(prefix, &format!("{prefix} {text}"));
    // A failure report quotes the last lines: shorter still.
    if text.len() > StderrTail::LINE_MAX {
        let mut end = StderrTail::LINE_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" [...]");
    }
    let mut l = tail.lines.lock().unwrap();
    if l.len() == StderrTail::KEEP {
        l.pop_front();
    }
    l.push_back(text);
}

fn stderr_loop(prefix: String, stderr: impl Read, tail: Arc<StderrTail>, console: Arc<Console>) {
    let mut r = BufReader::with_capacity(64 * 1024, stderr);
    let mut line = Vec::new();
    // Dropping the rest of a line that was cut.
    let mut skipping = false;
    loop {
        let buf = match r.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(b) => b,
        };
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let used = chunk.len() + usize::from(newline.is_some());
        if skipping {
            skipping = newline.is_none();
        } else if line.len() + chunk.len() > STDERR_LINE_MAX {
            let room = STDERR_LINE_MAX - line.len();
            line.extend_from_slice(&chunk[..room]);
            stderr_line(&prefix, &line, true, &tail, &console);
            line.clear();
            skipping = newline.is_none();
        } else {
            line.extend_from_slice(chunk);
            if newline.is_some() {
                stderr_line(&prefix, &line, false, &tail, &console);
                line.clear();
            }
        }
        r.consume(used);
    }
    if !line.is_empty() {
        stderr_line(&prefix, &line, false, &tail, &console);
    }
    tail.done.store(true, Ordering::Release);
}

/// A running task process and its I/O threads.
pub struct TaskProcess {
    /// The child (None once reaped).
    pub child: Child,
    /// The child's pid (also its process group id).
    pub pid: u32,
    /// The stdin queue.
    pub writer: Arc<WriterQueue>,
    /// The last stderr lines.
    pub stderr: Arc<StderrTail>,
    /// Flow control of what the reader thread sends the engine.
    pub credit: Arc<Credit>,
    /// Exit status once reaped.
    pub status: Option<ExitStatus>,
    threads: Vec<JoinHandle<()>>,
}

/// What to start.
pub struct SpawnSpec<'a> {
    /// Engine task index.
    pub index: usize,
    /// The argv (`argv[0]` already substituted).
    pub argv: &'a [String],
    /// Working directory.
    pub cwd: &'a Path,
    /// `[component:task]`.
    pub prefix: String,
    /// The handshake frame, written first.
    pub handshake: Vec<u8>,
    /// How the writer thread writes heartbeats.
    pub json_style: JsonStyle,
    /// The largest message read from the task's stdout (`sparse.max.frame.bytes`).
    pub max_frame: usize,
}

/// Starts a task: spawns the process and its threads, and queues the handshake.
pub fn spawn(
    spec: SpawnSpec<'_>,
    events: &Sender<Event>,
    console: &Arc<Console>,
) -> std::io::Result<TaskProcess> {
    let (prog, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut child = Command::new(prog)
        .args(args)
        .current_dir(spec.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pid = child.id();
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let writer = Arc::new(WriterQueue::default());
    writer.push_priority(|b| b.extend_from_slice(&spec.handshake));
    let tail = Arc::new(StderrTail::default());
    let i = spec.index;
    let style = spec.json_style;
    let mut threads = Vec::new();
    let name = |k: &str| format!("{k}-{i}");
    {
        let (q, ev) = (writer.clone(), events.clone());
        threads.push(
            std::thread::Builder::new()
                .name(name("w"))
                .spawn(move || writer_loop(i, stdin, q, ev, style))?,
        );
    }
    let credit = Arc::new(Credit::default());
    {
        let (ev, cr, max) = (events.clone(), credit.clone(), spec.max_frame);
        threads.push(
            std::thread::Builder::new()
                .name(name("r"))
                .spawn(move || reader_loop(i, stdout, ev, max, cr))?,
        );
    }
    {
        let (t, c, p) = (tail.clone(), console.clone(), spec.prefix);
        threads.push(
            std::thread::Builder::new()
                .name(name("e"))
                .spawn(move || stderr_loop(p, stderr, t, c))?,
        );
    }
    Ok(TaskProcess {
        child,
        pid,
        writer,
        stderr: tail,
        credit,
        status: None,
        threads,
    })
}

/// Sends `sig` to a process group (nothing for a pgid that is not a valid pid: never to
/// group 0, our own, or to every process, as a raw `kill(-0 or -1)` would).
pub fn signal_group(pgid: u32, sig: Signal) {
    if let Some(pid) = pid(i32::try_from(pgid).unwrap_or(0)) {
        // The group may be gone already (ESRCH): nothing to do then.
        let _ = rustix::process::kill_process_group(pid, sig);
    }
}

/// True when a process with this pid exists (and is not a zombie we could see).
pub fn pid_alive(pid: i32) -> bool {
    self::pid(pid).is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
}

/// A process id, for a positive `raw` only (`Pid::from_raw` rejects negatives by panicking).
fn pid(raw: i32) -> Option<Pid> {
    if raw > 0 { Pid::from_raw(raw) } else { None }
}

impl TaskProcess {
    /// Reaps the child if it has exited.
    pub fn try_reap(&mut self) -> Option<ExitStatus> {
        if self.status.is_none()
            && let Ok(Some(s)) = self.child.try_wait()
        {
            self.status = Some(s);
        }
        self.status
    }
}

/// Terminates tasks: closes stdin and SIGTERMs every process group, waits up to `grace`
/// for them to exit, SIGKILLs what is left, reaps everything and joins the I/O threads.
pub fn terminate_all(procs: &mut [TaskProcess], grace: Duration) {
    for p in procs.iter_mut() {
        p.writer.close();
        p.credit.close();
        if p.try_reap().is_none() {
            signal_group(p.pid, Signal::TERM);
        }
    }
    let end = Instant::now() + grace;
    while Instant::now() < end && procs.iter_mut().any(|p| p.try_reap().is_none()) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for p in procs.iter_mut() {
        // Kill the whole group, even after the leader exited (grandchildren).
        signal_group(p.pid, Signal::KILL);
        if p.status.is_none() {
            p.status = p.child.wait().ok();
        }
    }
    for p in procs.iter_mut() {
        p.stderr.wait_done(Duration::from_millis(500));
        for t in p.threads.drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// Kills (SIGKILL) every pid listed in `pid_dir` that is still alive; returns them.
pub fn kill_listed_pids(pid_dir: &Path) -> Vec<i32> {
    let mut killed = Vec::new();
    let Ok(rd) = std::fs::read_dir(pid_dir) else {
        return killed;
    };
    for e in rd.flatten() {
        if let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok())
            && pid > 1
            && let Some(p) = self::pid(pid)
            && rustix::process::kill_process(p, Signal::KILL).is_ok()
        {
            killed.push(pid);
        }
    }
    killed
}

/// A fresh private per-run directory `sparse-run-XXXXXX` (random suffix, mode 0700) in
/// `parent`, or in the system temp dir when `None`. It is removed when the returned
/// [`tempfile::TempDir`] is dropped, on every path out of a run (errors and panics too).
pub fn make_run_dir(parent: Option<&Path>) -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let mut b = tempfile::Builder::new();
    b.prefix("sparse-run-")
        .permissions(std::fs::Permissions::from_mode(0o700));
    match parent {
        Some(p) => b.tempdir_in(p),
        None => b.tempdir(),
    }
}

impl Drop for TaskProcess {
    fn drop(&mut self) {
        self.credit.close();
        if self.status.is_none() {
            signal_group(self.pid, Signal::KILL);
            self.status = self.child.wait().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn pid_alive_never_means_a_group_or_every_process() {
        // Raw kill(0, 0) and kill(-1, 0) succeed: they address our group / every process.
        assert!(!pid_alive(0));
        assert!(!pid_alive(-1));
        assert!(pid_alive(std::process::id() as i32));
    }

    #[test]
    fn a_group_is_signalled_and_listed_pids_are_killed() {
        let mut leader = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        signal_group(leader.id(), Signal::TERM);
        assert_eq!(leader.wait().unwrap().signal(), Some(15));

        let mut listed = Command::new("sleep").arg("30").spawn().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(listed.id().to_string()), "").unwrap();
        std::fs::write(dir.path().join("not-a-pid"), "").unwrap();
        assert_eq!(kill_listed_pids(dir.path()), [listed.id() as i32]);
        assert_eq!(listed.wait().unwrap().signal(), Some(9));
    }
}
