//! Task subprocesses: spawning (no shell, own process group), a task's stdout reader and
//! two I/O threads, and termination.
//!
//! Per task:
//! * its **stdout** is read by the engine's own thread ([`StdoutReader`]): the engine polls
//!   every task's pipe at once, and decodes what a read brings with Storm's rules into one
//!   batch of messages; after a pid reply that accepts the fast wire it reads binary
//!   frames instead (see [`crate::wire`]), decoded into the same messages. No reader
//!   thread: a message from a task wakes only the engine;
//! * a **writer** thread drains a [`WriterQueue`] in front of stdin with Storm's priority:
//!   heartbeat, then task-id lists and commands, then tuples; it writes each lane as one
//!   `write` and so flushes exactly when it is about to block on an empty queue. When the
//!   queue is empty and the writer idle, the engine writes a frame straight to the
//!   (non-blocking) pipe instead, and leaves what the pipe does not take to the writer:
//!   the answer to a task then costs no thread hop;
//! * a **stderr** thread echoes lines prefixed `[component:task]` and keeps the last ones
//!   for failure reports; a line longer than [`STDERR_LINE_MAX`] is cut there and marked,
//!   the rest of it dropped.
//!
//! Memory per task is bounded: a message read from stdout may not exceed
//! `sparse.max.frame.bytes` (a larger one fails the task, naming the limit), the messages
//! read but not yet handled by the engine are bounded by a [`Credit`] (the engine stops
//! reading that task, so a component that writes faster than it is listened to blocks on its
//! stdout), and stderr is read a bounded line at a time.
//!
//! Each child runs in its own process group, so a terminal's Ctrl-C reaches only the
//! runner (which then stops gracefully) and termination signals reach grandchildren too.
//!
//! The parts: `io` holds the stdin writer ([`WriterQueue`]) and the stdout reader
//! ([`StdoutReader`], [`Credit`], [`Event`]), the place where the wire format of task I/O lives; `stderr`
//! echoes and keeps stderr ([`StderrTail`]); this module starts and ends processes.

mod io;
mod stderr;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::console::Console;
use crate::wire::{JsonStyle, Wire};
use io::writer_loop;
pub use io::{Credit, Event, StdoutReader, WriterQueue};
use stderr::stderr_loop;
pub use stderr::{STDERR_LINE_MAX, StderrTail, cut_mark};

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
    /// The task's stdout, which the engine reads.
    pub stdout: StdoutReader,
    /// Flow control of what is read from stdout and not yet handled.
    pub credit: Arc<Credit>,
    /// The task speaks the fast wire (set by the reader from the handshake reply, before
    /// [`Event::Pid`] is handed out; false until then and for JSON tasks).
    pub fast: Arc<AtomicBool>,
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
    /// How the writer thread writes JSON heartbeats.
    pub json_style: JsonStyle,
    /// The handshake offers the fast wire: read binary after a reply that accepts it.
    pub offer_fast: bool,
    /// The largest message read from the task's stdout (`sparse.max.frame.bytes`).
    pub max_frame: usize,
    /// Keep the whole of stderr ([`StderrTail::capturing`]).
    pub capture_stderr: bool,
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
    let writer = Arc::new(WriterQueue::new(stdin)?);
    writer.push_priority(|b| b.extend_from_slice(&spec.handshake));
    let tail = Arc::new(if spec.capture_stderr {
        StderrTail::capturing()
    } else {
        StderrTail::default()
    });
    let i = spec.index;
    let style = spec.json_style;
    let fast = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let name = |k: &str| format!("{k}-{i}");
    {
        let (q, ev, f) = (writer.clone(), events.clone(), fast.clone());
        threads.push(
            std::thread::Builder::new()
                .name(name("w"))
                .spawn(move || writer_loop(i, q, ev, style, f))?,
        );
    }
    let credit = Arc::new(Credit::default());
    let reader = StdoutReader::new(
        i,
        stdout,
        spec.max_frame,
        credit.clone(),
        spec.offer_fast.then(|| fast.clone()),
    )?;
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
        stdout: reader,
        stderr: tail,
        credit,
        fast,
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
    /// The wire the engine writes this task with (`style` for a JSON task).
    pub fn wire(&self, style: JsonStyle) -> Wire {
        if self.fast.load(Ordering::Acquire) {
            Wire::Fast
        } else {
            Wire::Json(style)
        }
    }

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
