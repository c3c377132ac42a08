//! The central engine thread: Storm's executors, acker and timers for every task.
//!
//! It owns all mutable runtime state (routing, the XOR ledger, spout pending maps, bolt
//! input maps, counters), so none of it needs locks. It reads every task's stdout itself:
//! one `poll` over all the pipes wakes it, and each pipe that has bytes is read once and
//! decoded into [`Event`]s (writer threads report a broken stdin over a channel). It
//! answers by queueing frames on each task's [`WriterQueue`](super::process::WriterQueue),
//! written straight to the pipe when the task's writer is idle. Timers (heartbeats,
//! liveness, ticks, timeout rotation, display, stop) are checked between polls.
//!
//! # Bounded queues and backpressure
//! Each bolt task's receive queue (tuples routed to it and not yet written to its stdin,
//! [`WriterQueue::unwritten`](super::process::WriterQueue::unwritten)) is bounded by
//! `topology.executor.receive.buffer.size` (32768 by default, as in Storm 2.x). When an emit
//! fills a destination's queue, the emitting task is *blocked*: its further messages are
//! held (its stdout is no longer read past a [`Credit`](super::process::Credit), so the component
//! itself blocks on its stdout) until every queue it filled has room again. An emit is never
//! refused, so a queue holds at most its bound plus one tuple per task feeding it.
//! Spouts get no `next` while any bolt task has `topology.shellbolt.max.pending` tuples
//! waiting, as before.
//!
//! A cycle in the topology can block itself: a bolt that emits more per input than it
//! takes in, back to itself or through others, fills its own queue and then waits on it.
//! Blocked tasks are exempt from the liveness timeout (they are silent because the runner
//! stopped listening); instead, when every task of a cycle of blocked tasks has been blocked
//! without a break for the subprocess timeout, the run stops with
//! [`StopReason::Stalled`], naming the cycle. A cycle that drains (one emit per input, or
//! a finite number of rounds) just runs slower while its queues are full.
//!
//! # Parts
//! * here: the state ([`Engine`], per-task and per-component runtime) and the main loop
//!   ([`Engine::run`]), which waits for events and fires the timers;
//! * `messages`: what tasks send (events, `emit` routed and anchored, `ack`/`fail`, logs);
//! * `spouts`: which spout gets `next`, `ack` or `fail`, and when;
//! * `timers`: ticks, timeout rotation, heartbeats and the liveness check;
//! * `backpressure`: blocking on full queues, unblocking, and finding a stalled cycle.

mod backpressure;
mod messages;
mod simulated;
mod spouts;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sparse_protocol::shell::ShellMsg;

use super::acker::{Acker, Rotator, SpoutPending};
use super::clock::{Clock, ClockMode};
use super::console::{self, Console};
use super::process::{Event, TaskProcess};
use super::rng::Rng;
use super::route::Routes;
use super::stats::ComponentStats;
use super::wire::JsonStyle;
use simulated::Timers;
use sparse_topology::model::ComponentKind;

/// Per-component runtime settings.
pub struct CompRt {
    /// Component id.
    pub id: String,
    /// Spout or bolt.
    pub kind: ComponentKind,
    /// `topology.tick.tuple.freq.secs` for bolts.
    pub tick_secs: Option<u64>,
    /// `topology.max.spout.pending` for spouts.
    pub max_spout_pending: Option<u64>,
    /// `sparse.spout.pipeline` for spouts: commands in a task's pipe at once.
    pub spout_pipeline: usize,
    /// Spouts: no more `next` once the component has emitted this many tuples.
    pub emit_limit: Option<u64>,
    /// Engine task indices.
    pub tasks: Vec<usize>,
}

/// Engine settings.
pub struct EngineConfig {
    /// Acker tasks (0 = unreliable).
    pub ackers: u32,
    /// `topology.message.timeout.secs`.
    pub message_timeout: Duration,
    /// `topology.enable.message.timeouts`.
    pub timeouts_enabled: bool,
    /// `topology.shellbolt.max.pending`.
    pub bolt_max_pending: usize,
    /// `topology.executor.receive.buffer.size`: the bound of each bolt task's queue.
    pub receive_buffer: usize,
    /// Liveness timeout.
    pub subprocess_timeout: Duration,
    /// Run this long, then stop gracefully (None: until interrupted).
    pub duration: Option<Duration>,
    /// Bound on the graceful drain after an interrupt.
    pub drain_timeout: Duration,
    /// Bound on the drain once the duration is reached.
    pub duration_drain: Duration,
    /// `topology.debug`: print every emit.
    pub debug: bool,
    /// Draw the live display.
    pub live: bool,
    /// How JSON sent to tasks is written.
    pub json_style: JsonStyle,
    /// Keep every emitted tuple in [`Engine::emitted`] (for `testing`).
    pub record_emits: bool,
    /// Stop once the spouts' trees acked plus failed reach this many, and the rest has
    /// drained ([`StopReason::Completed`]); for finite input (`testing`).
    pub stop_after_trees: Option<u64>,
    /// The time ticks, timeouts, the duration and the drain follow ([`crate::clock`]).
    pub clock: ClockMode,
    /// Stop (as [`StopReason::Duration`]) after this much real time, whatever the clock.
    pub wall_limit: Option<Duration>,
}

/// One tuple a task emitted, kept when [`EngineConfig::record_emits`] is on.
#[derive(Debug, Clone, PartialEq)]
pub struct EmitRecord {
    /// Engine component index.
    pub comp: usize,
    /// Storm task id of the emitter.
    pub task: i64,
    /// Stream id.
    pub stream: String,
    /// The values, a JSON array as the task wrote it.
    pub values: String,
}

/// Why the engine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The duration elapsed.
    Duration,
    /// Every tree asked for by [`EngineConfig::stop_after_trees`] completed.
    Completed,
    /// Ctrl-C / SIGTERM.
    Interrupted,
    /// A task failed.
    Failed {
        /// Engine task index.
        task: usize,
        /// What happened.
        reason: String,
    },
    /// Tasks in a cycle blocked one another on full queues (see the module docs).
    Stalled {
        /// What was blocked on what.
        message: String,
    },
}

struct PendingTuple {
    msg_id: Box<RawValue>,
    at: Instant,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cmd {
    Activate,
    Deactivate,
    Next,
    Ack,
    Fail,
}

impl Cmd {
    fn name(self) -> &'static str {
        match self {
            Cmd::Activate => "activate",
            Cmd::Deactivate => "deactivate",
            Cmd::Next => "next",
            Cmd::Ack => "ack",
            Cmd::Fail => "fail",
        }
    }
}

struct SpoutRt {
    /// Commands written and not yet answered with `sync`, oldest first.
    awaiting: VecDeque<(Cmd, Instant)>,
    /// The oldest awaiting command has emitted.
    emitted: bool,
    active: bool,
    pending: SpoutPending<PendingTuple>,
    outcomes: VecDeque<(bool, Box<RawValue>)>,
    backoff_until: Instant,
    /// Its last command was a `next` it answered without emitting.
    idle: bool,
}

struct InputRt {
    anchors: Vec<(u64, u64)>,
    out_ack: u64,
    /// A tick tuple (counted apart from data tuples).
    tick: bool,
}

/// Runtime state of one task.
pub struct TaskRt {
    /// Storm task id.
    pub id: i64,
    /// Component index.
    pub comp: usize,
    /// As [`ComponentStats::acked`](crate::stats::ComponentStats), for this task.
    pub acked: u64,
    /// As [`ComponentStats::failed`](crate::stats::ComponentStats), for this task.
    pub failed: u64,
    started: bool,
    spawned_at: Instant,
    last_msg: Instant,
    spout: Option<SpoutRt>,
    inputs: HashMap<i64, InputRt>,
    /// Message batches held while the task is blocked, with what they count against its
    /// credit.
    parked: VecDeque<(std::vec::IntoIter<ShellMsg>, usize)>,
    /// Bolt tasks whose full queue this task waits on (empty: not blocked).
    waiting_on: Vec<usize>,
    /// Blocked without a break since then.
    blocked_since: Option<Instant>,
    /// Tuples (ticks included) queued for this bolt task so far.
    delivered: u64,
    /// Simulated time: `delivered` as of the heartbeat now awaiting its `sync`.
    probe: Option<u64>,
    /// Simulated time: the tuples the task is known to have handled (a `sync` came back
    /// for a heartbeat written after them).
    synced: u64,
}

impl TaskRt {
    /// A task that has just been spawned.
    pub fn new(id: i64, comp: usize, kind: ComponentKind, now: Instant) -> Self {
        TaskRt {
            id,
            comp,
            acked: 0,
            failed: 0,
            started: false,
            spawned_at: now,
            last_msg: now,
            spout: (kind == ComponentKind::Spout).then(|| SpoutRt {
                awaiting: VecDeque::new(),
                emitted: false,
                active: false,
                pending: SpoutPending::default(),
                outcomes: VecDeque::new(),
                backoff_until: now,
                idle: false,
            }),
            inputs: HashMap::new(),
            parked: VecDeque::new(),
            waiting_on: Vec::new(),
            blocked_since: None,
            delivered: 0,
            probe: None,
            synced: 0,
        }
    }

    fn blocked(&self) -> bool {
        !self.waiting_on.is_empty()
    }
}

/// Everything the engine runs on.
pub struct Engine {
    /// Settings.
    pub cfg: EngineConfig,
    /// Components.
    pub comps: Vec<CompRt>,
    /// Tasks (parallel to `procs`).
    pub tasks: Vec<TaskRt>,
    /// Processes.
    pub procs: Vec<TaskProcess>,
    /// Task id -> engine index (None for acker tasks).
    pub by_id: HashMap<i64, usize>,
    /// Routing table.
    pub routes: Routes,
    /// Counters per component (parallel to `comps`).
    pub stats: Vec<ComponentStats>,
    /// Console.
    pub console: Arc<Console>,
    /// Set by the signal handler.
    pub interrupt: Arc<AtomicBool>,
    /// Random ids.
    pub rng: Rng,
    /// Every emitted tuple, in order, when [`EngineConfig::record_emits`] is on.
    pub emitted: Vec<EmitRecord>,
    /// Trees failed by timeout: the spout's engine task index, and the clock's time since
    /// the start when the tree failed.
    pub timed_out: Vec<(usize, Duration)>,
    clock: Clock,
    clock_start: Instant,
    acker: Acker,
    dests: Vec<i64>,
    children: Vec<(i64, Vec<(u64, u64)>)>,
    /// Values or an id re-written in Storm's style (reused).
    restyled: Vec<u8>,
    /// A fast-wire frame being built (reused).
    fast_frame: Vec<u8>,
    /// What the last poll of the tasks' stdouts brought (reused).
    ready: Vec<Event>,
    started: usize,
    /// Tasks blocked by backpressure.
    n_blocked: usize,
    all_started: bool,
    stopping: Option<Instant>,
    /// The clock's time of the stop request (the drain is timed on the clock).
    stopping_at: Option<Instant>,
    stop_reason: Option<StopReason>,
    stop_reason_pending: Option<StopReason>,
}

pub use messages::log_line;

/// How long the engine keeps looking at the pipes (yielding the core between looks)
/// before it sleeps in `poll`: a task's answer usually comes within this, and taking it
/// without sleeping spares the engine a wake-up on every round trip (a spout's `next` →
/// emit + `sync` is one).
const SPIN: Duration = Duration::from_micros(50);

/// Waits up to `timeout` until a task's stdout has bytes (or has ended), then reads each
/// such pipe once and appends what it brought to `out`. Tasks whose stdout is done, or
/// whose [`Credit`](super::process::Credit) is used up, are not read.
fn poll_stdouts(procs: &mut [TaskProcess], timeout: Duration, out: &mut Vec<Event>) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut ready = Vec::new();
    {
        let mut fds = Vec::with_capacity(procs.len());
        let mut which = Vec::with_capacity(procs.len());
        for (i, p) in procs.iter().enumerate() {
            if p.stdout.open() && !p.credit.exhausted() {
                fds.push(PollFd::new(&p.stdout, PollFlags::IN));
                which.push(i);
            }
        }
        let start = Instant::now();
        loop {
            let spent = start.elapsed();
            let wait = if spent >= SPIN.min(timeout) {
                timeout.saturating_sub(spent)
            } else {
                Duration::ZERO
            };
            let ts = Timespec {
                tv_sec: wait.as_secs() as i64,
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            match poll(&mut fds, Some(&ts)) {
                Ok(0) if wait.is_zero() && spent < SPIN.min(timeout) => {
                    std::thread::yield_now();
                }
                Ok(0) => return,
                Ok(_) => break,
                // EINTR (a signal: Ctrl-C) and the like: the caller's loop comes back.
                Err(_) => return,
            }
        }
        for (fd, &i) in fds.iter().zip(&which) {
            if !fd.revents().is_empty() {
                ready.push(i);
            }
        }
    }
    for i in ready {
        procs[i].stdout.pump(out);
    }
}

impl Engine {
    /// Assembles an engine; processes are already spawned with their handshakes queued.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: EngineConfig,
        comps: Vec<CompRt>,
        tasks: Vec<TaskRt>,
        procs: Vec<TaskProcess>,
        routes: Routes,
        stats: Vec<ComponentStats>,
        console: Arc<Console>,
        interrupt: Arc<AtomicBool>,
        rng: Rng,
    ) -> Self {
        let by_id = tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let clock_start = Instant::now();
        let clock = Clock::new(cfg.clock, clock_start);
        Engine {
            cfg,
            comps,
            tasks,
            procs,
            by_id,
            routes,
            stats,
            console,
            interrupt,
            rng,
            emitted: Vec::new(),
            timed_out: Vec::new(),
            clock,
            clock_start,
            acker: Acker::new(),
            dests: Vec::new(),
            children: Vec::new(),
            restyled: Vec::new(),
            fast_frame: Vec::new(),
            ready: Vec::new(),
            started: 0,
            n_blocked: 0,
            all_started: false,
            stopping: None,
            stopping_at: None,
            stop_reason: None,
            stop_reason_pending: None,
        }
    }

    fn prefix(&self, t: usize) -> String {
        format!(
            "[{}:{}]",
            self.comps[self.tasks[t].comp].id, self.tasks[t].id
        )
    }
    /// Runs until stopped; returns why.
    pub fn run(&mut self, events: Receiver<Event>) -> StopReason {
        let start = Instant::now();
        let mut second = start + Duration::from_secs(1);
        // Ticks, timeouts, the duration and the drain follow the clock; the rest real time.
        let clock_start = self.clock.now();
        self.clock_start = clock_start;
        let mut rotator = Rotator::new(clock_start, self.cfg.message_timeout);
        let display_every = if self.console.is_tty() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(5)
        };
        let mut next_display = start + display_every;
        let mut last_display = start;
        let mut prev: Vec<(u64, u64, u64)> = vec![(0, 0, 0); self.stats.len()];
        let mut next_ticks: Vec<Option<Instant>> = self
            .comps
            .iter()
            .map(|c| c.tick_secs.map(|s| clock_start + Duration::from_secs(s)))
            .collect();
        let end = self.cfg.duration.map(|d| clock_start + d);
        let wall_end = self.cfg.wall_limit.map(|d| start + d);
        loop {
            let now = Instant::now();
            // Wake for the next timer, a spout back-off, or at least every 50 ms (2 ms while
            // a task is blocked, to see its queues drain).
            let poll = if self.n_blocked > 0 { 2 } else { 50 };
            let mut wake = second.min(now + Duration::from_millis(poll));
            for t in &self.tasks {
                if let Some(sp) = &t.spout
                    && sp.awaiting.is_empty()
                    && sp.backoff_until > now
                {
                    wake = wake.min(sp.backoff_until);
                }
            }
            let mut ready = std::mem::take(&mut self.ready);
            poll_stdouts(
                &mut self.procs,
                wake.saturating_duration_since(now),
                &mut ready,
            );
            for ev in ready.drain(..) {
                if self.stop_reason.is_some() {
                    break;
                }
                self.handle(ev);
            }
            self.ready = ready;
            // Write failures, from the writer threads.
            while self.stop_reason.is_none()
                && let Ok(ev) = events.try_recv()
            {
                self.handle(ev);
            }
            let now = Instant::now();
            if self.n_blocked > 0 {
                self.unblock(now);
            }
            if let Some(r) = self.stop_reason.take() {
                return r;
            }
            if now >= second {
                second += Duration::from_secs(1);
                self.console.flush_hidden(false);
                if let Err((t, reason)) = self.every_second(now) {
                    return StopReason::Failed { task: t, reason };
                }
                if let Some(message) = self.stalled(now) {
                    return StopReason::Stalled { message };
                }
            }
            if self.clock.is_simulated() {
                self.probe_bolts();
                if self.quiet() {
                    let timers = Timers {
                        ticks: &next_ticks,
                        rotation: rotator.next(),
                        end,
                    };
                    if let Some(at) = self.next_deadline(&timers) {
                        self.clock.advance_to(at);
                    }
                }
            }
            let t_now = self.clock.now();
            if self.all_started && self.stopping.is_none() {
                for (c, next) in next_ticks.iter_mut().enumerate() {
                    if let Some(at) = next
                        && t_now >= *at
                    {
                        let secs = self.comps[c].tick_secs.unwrap_or(1);
                        *at += Duration::from_secs(secs);
                        self.ticks(c, secs);
                    }
                }
            }
            if self.cfg.ackers > 0 && self.cfg.timeouts_enabled {
                for _ in 0..rotator.due(t_now) {
                    self.rotate_timeouts(t_now);
                }
            }
            if self.cfg.live && now >= next_display {
                next_display = now + display_every;
                let elapsed = (now - start).as_secs_f64();
                if self.console.is_tty() {
                    let secs = (now - last_display).as_secs_f64();
                    self.console.table(console::live_table_for_terminal(
                        &self.stats,
                        &prev,
                        secs,
                        elapsed,
                    ));
                } else {
                    self.console
                        .line(&console::status_line(&self.stats, elapsed));
                }
                last_display = now;
                prev = self
                    .stats
                    .iter()
                    .map(|s| (s.emitted, s.acked, s.failed))
                    .collect();
            }
            // Stop requests.
            if self.interrupt.swap(false, Ordering::SeqCst) {
                if self.stopping.is_some() {
                    self.console
                        .line("[sparse run] interrupted again: stopping now");
                    return StopReason::Interrupted;
                }
                self.console
                    .line("[sparse run] interrupted: deactivating spouts and draining (Ctrl-C again to stop now)");
                self.stop(now, StopReason::Interrupted);
            }
            if self.stopping.is_none()
                && (end.is_some_and(|e| t_now >= e) || wall_end.is_some_and(|e| now >= e))
            {
                self.stop(now, StopReason::Duration);
            }
            if self.stopping.is_none()
                && let Some(n) = self.cfg.stop_after_trees
                && self.trees_completed() >= n
            {
                self.stop(now, StopReason::Completed);
            }
            self.schedule_spouts(now);
            // The drain is bounded on the clock and, so that a busy topology cannot hold
            // simulated time still for ever, in real time too (the same bound for real time).
            if let (Some(since), Some(real_since)) = (self.stopping_at, self.stopping)
                && (self.drained()
                    || self.clock.now() - since >= self.drain_limit()
                    || now - real_since >= self.drain_limit())
            {
                return self
                    .stop_reason_pending
                    .take()
                    .unwrap_or(StopReason::Duration);
            }
        }
    }

    /// Asks for a stop: spouts are deactivated and in-flight trees drain.
    fn stop(&mut self, now: Instant, reason: StopReason) {
        self.stopping = Some(now);
        self.stopping_at = Some(self.clock.now());
        self.stop_reason_pending = Some(reason);
    }

    /// How long the drain after the stop request may take (on the clock).
    fn drain_limit(&self) -> Duration {
        match self.stop_reason_pending {
            Some(StopReason::Duration) => self.cfg.duration_drain.min(self.cfg.drain_timeout),
            _ => self.cfg.drain_timeout,
        }
    }

    /// Trees the spouts saw complete so far: acked plus failed (timeouts included).
    pub fn trees_completed(&self) -> u64 {
        self.comps
            .iter()
            .zip(&self.stats)
            .filter(|(c, _)| c.kind == ComponentKind::Spout)
            .map(|(_, s)| s.acked + s.failed)
            .sum()
    }

    /// When the stop was requested (duration reached or interrupt), if it was.
    pub fn stopping_since(&self) -> Option<Instant> {
        self.stopping
    }

    /// True when nothing is in flight: spouts idle with no pending tree, bolts with no
    /// unanswered input and nothing queued.
    pub fn drained(&self) -> bool {
        self.tasks.iter().enumerate().all(|(i, t)| match &t.spout {
            Some(sp) => {
                !sp.active
                    && sp.awaiting.is_empty()
                    && sp.outcomes.is_empty()
                    && sp.pending.is_empty()
            }
            None => t.inputs.is_empty() && self.procs[i].writer.queued() == 0,
        }) && self.n_blocked == 0
    }

    pub(super) fn fail_task(&mut self, t: usize, reason: String) {
        if self.stop_reason.is_none() {
            self.stop_reason = Some(StopReason::Failed { task: t, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_stop_fits_in_about_a_second() {
        assert!(crate::DURATION_DRAIN + crate::DURATION_GRACE <= Duration::from_secs(1));
    }
}
