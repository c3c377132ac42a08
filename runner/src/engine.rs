//! The central engine thread: Storm's executors, acker and timers for every task.
//!
//! It owns all mutable runtime state (routing, the XOR ledger, spout pending maps, bolt
//! input maps, counters), so none of it needs locks. Task I/O threads feed it [`Event`]s
//! over one channel; it answers by queueing frames on each task's [`WriterQueue`](super::process::WriterQueue). Timers
//! (heartbeats, liveness, ticks, timeout rotation, display, stop) are checked between
//! events with `recv_timeout`.
//!
//! # Bounded queues and backpressure
//! Each bolt task's receive queue (tuples routed to it and not yet written to its stdin,
//! [`WriterQueue::unwritten`](super::process::WriterQueue::unwritten)) is bounded by
//! `topology.executor.receive.buffer.size` (32768 by default, as in Storm 2.x). When an emit
//! fills a destination's queue, the emitting task is *blocked*: its further messages are
//! held (its reader stops reading, see [`Credit`](super::process::Credit), so the component
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

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sparse_protocol::shell::{self, Emit, ShellMsg, raw_str};

use super::acker::{Acker, Outcome, Rotator, SpoutPending, below_max_pending};
use super::console::{self, Console};
use super::process::{Event, TaskProcess};
use super::rng::Rng;
use super::route::Routes;
use super::stats::ComponentStats;
use super::wire::{self, JsonStyle};
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
    awaiting: Option<(Cmd, Instant)>,
    emitted: bool,
    active: bool,
    pending: SpoutPending<PendingTuple>,
    outcomes: VecDeque<(bool, Box<RawValue>)>,
    backoff_until: Instant,
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
                awaiting: None,
                emitted: false,
                active: false,
                pending: SpoutPending::default(),
                outcomes: VecDeque::new(),
                backoff_until: now,
            }),
            inputs: HashMap::new(),
            parked: VecDeque::new(),
            waiting_on: Vec::new(),
            blocked_since: None,
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
    acker: Acker,
    dests: Vec<i64>,
    children: Vec<(i64, Vec<(u64, u64)>)>,
    /// Values or an id re-written in Storm's style (reused).
    restyled: Vec<u8>,
    started: usize,
    /// Tasks blocked by backpressure.
    n_blocked: usize,
    all_started: bool,
    stopping: Option<Instant>,
    stop_reason: Option<StopReason>,
    stop_reason_pending: Option<StopReason>,
}

type Fatal = String;

fn level_name(l: Option<i64>) -> &'static str {
    match l {
        Some(0) => "TRACE",
        Some(1) => "DEBUG",
        Some(3) => "WARN",
        Some(4) => "ERROR",
        _ => "INFO",
    }
}

/// The console line for a component's `log` command: `[comp:task] LEVEL message`, without
/// repeating the level when the message already starts with it (`sparse-host` sends
/// `"WARN target: text"`, Python components send bare text).
pub fn log_line(prefix: &str, level: Option<i64>, msg: &str) -> String {
    let name = level_name(level);
    let has_level = msg
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
    if has_level {
        format!("{prefix} {msg}")
    } else {
        format!("{prefix} {name} {msg}")
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
            acker: Acker::new(),
            dests: Vec::new(),
            children: Vec::new(),
            restyled: Vec::new(),
            started: 0,
            n_blocked: 0,
            all_started: false,
            stopping: None,
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

    fn send_spout(&mut self, t: usize, cmd: Cmd, id: Option<&RawValue>, now: Instant) {
        let sp = self.tasks[t].spout.as_mut().expect("spout");
        sp.awaiting = Some((cmd, now));
        sp.emitted = false;
        let style = self.cfg.json_style;
        let id = match id.map(|id| wire::restyle(style, id.get(), &mut self.restyled)) {
            Some(Ok(id)) => Some(id),
            // Storm could not have parsed such an id from the emit; send it as it came.
            Some(Err(_)) => id.map(RawValue::get),
            None => None,
        };
        self.procs[t]
            .writer
            .push_priority(|b| wire::spout_command(style, b, cmd.name(), id));
    }

    /// Runs until stopped; returns why.
    pub fn run(&mut self, events: Receiver<Event>) -> StopReason {
        let start = Instant::now();
        let mut second = start + Duration::from_secs(1);
        let mut rotator = Rotator::new(start, self.cfg.message_timeout);
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
            .map(|c| c.tick_secs.map(|s| start + Duration::from_secs(s)))
            .collect();
        let end = self.cfg.duration.map(|d| start + d);
        loop {
            let now = Instant::now();
            // Wake for the next timer, a spout back-off, or at least every 50 ms (2 ms while
            // a task is blocked, to see its queues drain).
            let poll = if self.n_blocked > 0 { 2 } else { 50 };
            let mut wake = second.min(now + Duration::from_millis(poll));
            for t in &self.tasks {
                if let Some(sp) = &t.spout
                    && sp.awaiting.is_none()
                    && sp.backoff_until > now
                {
                    wake = wake.min(sp.backoff_until);
                }
            }
            match events.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(ev) => {
                    self.handle(ev);
                    // Drain what is already there before scheduling.
                    for _ in 0..256 {
                        if self.stop_reason.is_some() {
                            break;
                        }
                        match events.try_recv() {
                            Ok(ev) => self.handle(ev),
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {}
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
            if self.all_started && self.stopping.is_none() {
                for (c, next) in next_ticks.iter_mut().enumerate() {
                    if let Some(at) = next
                        && now >= *at
                    {
                        let secs = self.comps[c].tick_secs.unwrap_or(1);
                        *at += Duration::from_secs(secs);
                        self.ticks(c, secs);
                    }
                }
            }
            if self.cfg.ackers > 0 && self.cfg.timeouts_enabled {
                for _ in 0..rotator.due(now) {
                    self.rotate_timeouts();
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
                self.stopping = Some(now);
                self.stop_reason_pending = Some(StopReason::Interrupted);
            }
            if self.stopping.is_none()
                && let Some(end) = end
                && now >= end
            {
                self.stopping = Some(now);
                self.stop_reason_pending = Some(StopReason::Duration);
            }
            if self.stopping.is_none()
                && let Some(n) = self.cfg.stop_after_trees
                && self.trees_completed() >= n
            {
                self.stopping = Some(now);
                self.stop_reason_pending = Some(StopReason::Completed);
            }
            self.schedule_spouts(now);
            let drain_limit = match self.stop_reason_pending {
                Some(StopReason::Duration) => self.cfg.duration_drain.min(self.cfg.drain_timeout),
                _ => self.cfg.drain_timeout,
            };
            if let Some(since) = self.stopping
                && (self.drained() || now - since >= drain_limit)
            {
                return self
                    .stop_reason_pending
                    .take()
                    .unwrap_or(StopReason::Duration);
            }
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
                    && sp.awaiting.is_none()
                    && sp.outcomes.is_empty()
                    && sp.pending.is_empty()
            }
            None => t.inputs.is_empty() && self.procs[i].writer.queued() == 0,
        }) && self.n_blocked == 0
    }

    fn fail_task(&mut self, t: usize, reason: String) {
        if self.stop_reason.is_none() {
            self.stop_reason = Some(StopReason::Failed { task: t, reason });
        }
    }

    fn handle(&mut self, ev: Event) {
        let now = Instant::now();
        match ev {
            Event::Pid { task, pid: _ } => {
                let t = &mut self.tasks[task];
                t.started = true;
                t.last_msg = now;
                self.started += 1;
                if self.started == self.tasks.len() {
                    self.all_started = true;
                    for i in 0..self.tasks.len() {
                        if self.tasks[i].spout.is_some() {
                            self.tasks[i].spout.as_mut().unwrap().active = true;
                            self.send_spout(i, Cmd::Activate, None, now);
                        }
                    }
                }
            }
            Event::Msgs { task, msgs, bytes } => {
                self.tasks[task].last_msg = now;
                let batch = msgs.into_iter();
                if self.tasks[task].blocked() {
                    self.tasks[task].parked.push_back((batch, bytes));
                } else {
                    self.consume(task, batch, bytes, now);
                }
            }
            Event::Bad { task, error } => self.fail_task(task, format!("protocol error: {error}")),
            Event::Eof { task } => self.fail_task(
                task,
                "Pipe to subprocess seems to be broken! (the process closed stdout or exited)"
                    .into(),
            ),
            Event::WriteFailed { task, error } => {
                self.fail_task(task, format!("writing to the subprocess failed: {error}"))
            }
        }
    }

    /// Handles a batch of a task's messages until the task gets blocked (the rest is then
    /// parked); gives back the batch's credit once it is all handled.
    fn consume(
        &mut self,
        t: usize,
        mut batch: std::vec::IntoIter<ShellMsg>,
        bytes: usize,
        now: Instant,
    ) {
        while let Some(m) = batch.next() {
            if let Err(reason) = self.on_msg(t, m, now) {
                self.fail_task(t, reason);
                return;
            }
            if self.tasks[t].blocked() && batch.len() > 0 {
                self.tasks[t].parked.push_front((batch, bytes));
                return;
            }
        }
        self.procs[t].credit.release(bytes);
    }

    /// Unblocks the tasks whose full queues have room again, and handles what they sent
    /// meanwhile.
    fn unblock(&mut self, now: Instant) {
        let cap = self.cfg.receive_buffer;
        for t in 0..self.tasks.len() {
            if !self.tasks[t].blocked() {
                continue;
            }
            let procs = &self.procs;
            self.tasks[t]
                .waiting_on
                .retain(|&d| procs[d].writer.unwritten() >= cap);
            if self.tasks[t].blocked() {
                continue;
            }
            self.n_blocked -= 1;
            self.tasks[t].blocked_since = None;
            // It was silent because it was not listened to.
            self.tasks[t].last_msg = now;
            while !self.tasks[t].blocked() && self.stop_reason.is_none() {
                let Some((batch, bytes)) = self.tasks[t].parked.pop_front() else {
                    break;
                };
                self.consume(t, batch, bytes, now);
            }
        }
    }

    /// A cycle of tasks each blocked on the next one's full queue, all of them without a
    /// break for the subprocess timeout: described, naming its components.
    fn stalled(&self, now: Instant) -> Option<String> {
        if self.n_blocked == 0 {
            return None;
        }
        let limit = self.cfg.subprocess_timeout;
        let cap = self.cfg.receive_buffer;
        let stuck = |t: usize| {
            self.tasks[t]
                .blocked_since
                .is_some_and(|s| now.saturating_duration_since(s) >= limit)
        };
        let next = |t: usize| {
            self.tasks[t]
                .waiting_on
                .iter()
                .copied()
                .filter(move |&d| stuck(d) && self.procs[d].writer.unwritten() >= cap)
        };
        // Depth-first search for a cycle among stuck tasks (0 new, 1 on the path, 2 done).
        let mut state = vec![0u8; self.tasks.len()];
        for start in (0..self.tasks.len()).filter(|&t| stuck(t)) {
            if state[start] != 0 {
                continue;
            }
            let mut path = vec![start];
            let mut iters = vec![next(start).collect::<Vec<_>>().into_iter()];
            state[start] = 1;
            while let Some(it) = iters.last_mut() {
                match it.next() {
                    Some(d) if state[d] == 1 => {
                        let from = path.iter().position(|&p| p == d).unwrap_or(0);
                        return Some(self.describe_cycle(&path[from..], limit, cap));
                    }
                    Some(d) if state[d] == 0 => {
                        state[d] = 1;
                        path.push(d);
                        iters.push(next(d).collect::<Vec<_>>().into_iter());
                    }
                    Some(_) => {}
                    None => {
                        if let Some(p) = path.pop() {
                            state[p] = 2;
                        }
                        iters.pop();
                    }
                }
            }
        }
        None
    }

    fn describe_cycle(&self, cycle: &[usize], limit: Duration, cap: usize) -> String {
        let name = |t: usize| self.comps[self.tasks[t].comp].id.as_str();
        let mut tasks: Vec<String> = cycle
            .iter()
            .map(|&t| format!("`{}`:{}", name(t), self.tasks[t].id))
            .collect();
        tasks.push(tasks[0].clone());
        let mut comps: Vec<&str> = Vec::new();
        for &t in cycle {
            if comps.last() != Some(&name(t)) {
                comps.push(name(t));
            }
        }
        if comps.len() > 1 && comps.first() == comps.last() {
            comps.pop();
        }
        let first = comps[0];
        comps.push(first);
        format!(
            "the topology can make no progress: the cycle {} has been blocked for {:.0} s, every task in it waiting for room in the next one's full queue ({cap} tuples, topology.executor.receive.buffer.size) while its own output is held back (tasks {}). \
             A cycle must not emit more tuples than it takes in (Storm warns about cycles at submit)",
            comps.join(" -> "),
            limit.as_secs_f64(),
            tasks.join(" -> ")
        )
    }

    fn on_msg(&mut self, t: usize, m: ShellMsg, now: Instant) -> Result<(), Fatal> {
        let is_spout = self.tasks[t].spout.is_some();
        match m {
            ShellMsg::Emit(e) => self.on_emit(t, e, now),
            ShellMsg::Sync => {
                if let Some(sp) = self.tasks[t].spout.as_mut()
                    && let Some((cmd, _)) = sp.awaiting.take()
                    && cmd == Cmd::Next
                    && !sp.emitted
                {
                    // Storm's wait strategy idles about 1 ms after an empty `next`.
                    sp.backoff_until = now + Duration::from_millis(1);
                }
                Ok(())
            }
            ShellMsg::Log { msg, level } => {
                let p = self.prefix(t);
                self.console.task_line(&p, &log_line(&p, level, &msg));
                Ok(())
            }
            ShellMsg::Error { msg } => {
                let p = self.prefix(t);
                self.console.line(&format!(
                    "{p} ERROR (reported) Shell Process Exception: {msg}"
                ));
                Ok(())
            }
            ShellMsg::Metrics { name, .. } => Err(format!(
                "Could not find metric by name[{}]: `metrics` needs a metric registered on the Java side, which a shell-only topology has none of",
                name.unwrap_or_default()
            )),
            ShellMsg::Ack { id } if !is_spout => self.on_bolt_ack(t, &id, true),
            ShellMsg::Fail { id } if !is_spout => self.on_bolt_ack(t, &id, false),
            ShellMsg::Ack { .. } => Err("Unknown command received: ack (spouts cannot ack)".into()),
            ShellMsg::Fail { .. } => {
                Err("Unknown command received: fail (spouts cannot fail)".into())
            }
            ShellMsg::Other { command } if is_spout => {
                Err(format!("Unknown command received: {command}"))
            }
            ShellMsg::Other { .. } => Ok(()), // a bolt ignores unknown commands
        }
    }

    fn on_bolt_ack(&mut self, t: usize, id: &RawValue, ack: bool) -> Result<(), Fatal> {
        let key = raw_str(id).and_then(|s| s.parse::<i64>().ok());
        let inp = key.and_then(|k| self.tasks[t].inputs.remove(&k));
        let Some(inp) = inp else {
            return Err(format!(
                "{} a non-existent or already acked/failed id: {}",
                if ack { "Acked" } else { "Failed" },
                id.get()
            ));
        };
        let c = self.tasks[t].comp;
        match (inp.tick, ack) {
            (true, _) => {} // counted as `ticks` when delivered
            (false, true) => {
                self.stats[c].acked += 1;
                self.tasks[t].acked += 1;
            }
            (false, false) => {
                self.stats[c].failed += 1;
                self.tasks[t].failed += 1;
            }
        }
        if self.cfg.ackers > 0 {
            for (root, v) in inp.anchors {
                let o = if ack {
                    self.acker.ack(root, v ^ inp.out_ack)
                } else {
                    self.acker.fail(root)
                };
                if let Some(o) = o {
                    self.on_outcome(o);
                }
            }
        }
        Ok(())
    }

    fn on_outcome(&mut self, o: Outcome) {
        let (root, task, acked) = match o {
            Outcome::Acked { root, spout_task } => (root, spout_task, true),
            Outcome::Failed { root, spout_task } => (root, spout_task, false),
        };
        let Some(&i) = self.by_id.get(&task) else {
            return;
        };
        let c = self.tasks[i].comp;
        let task = &mut self.tasks[i];
        let Some(sp) = task.spout.as_mut() else {
            return;
        };
        if let Some(p) = sp.pending.complete(root) {
            if acked {
                task.acked += 1;
                self.stats[c].acked += 1;
                self.stats[c]
                    .latency
                    .record_us(p.at.elapsed().as_micros() as u64);
            } else {
                task.failed += 1;
                self.stats[c].failed += 1;
            }
            sp.outcomes.push_back((acked, p.msg_id));
        }
    }

    fn on_emit(&mut self, t: usize, e: Emit, now: Instant) -> Result<(), Fatal> {
        let c = self.tasks[t].comp;
        let src_id = self.tasks[t].id;
        let Some(values) = e.tuple.as_deref() else {
            return Err("emit without `tuple`".into());
        };
        let stream = e.stream();
        let mut dests = std::mem::take(&mut self.dests);
        dests.clear();
        self.routes
            .route(
                &self.comps[c].id,
                stream,
                values,
                e.task,
                &mut self.rng,
                &mut dests,
            )
            .map_err(|err| err.to_string())?;
        self.stats[c].emitted += 1;
        if self.cfg.record_emits {
            self.emitted.push(EmitRecord {
                comp: c,
                task: src_id,
                stream: stream.to_owned(),
                values: values.get().to_owned(),
            });
        }
        let reliable_acking = self.cfg.ackers > 0;
        let mut children = std::mem::take(&mut self.children);
        children.clear();
        let mut outcome = None;
        if let Some(sp) = self.tasks[t].spout.as_mut() {
            sp.emitted = true;
            let reliable = e.id.is_some() && reliable_acking;
            let root = if reliable { self.rng.nonzero() } else { 0 };
            let mut x = 0u64;
            for &d in &dests {
                let edge = self.rng.nonzero();
                x ^= edge;
                children.push((
                    d,
                    if reliable {
                        vec![(root, edge)]
                    } else {
                        Vec::new()
                    },
                ));
            }
            if reliable {
                sp.pending.insert(
                    root,
                    PendingTuple {
                        msg_id: e.id.clone().expect("reliable"),
                        at: now,
                    },
                );
                // No destinations: the tree is complete already.
                outcome = self.acker.init(root, x, src_id);
            } else if let Some(id) = e.id.clone() {
                // ackers = 0: the emit is acked at once; delivered after the current sync.
                sp.outcomes.push_back((true, id));
                self.stats[c].acked += 1;
                self.tasks[t].acked += 1;
            }
        } else {
            // Bolt: every anchor must be a pending input of this task.
            let mut keys = Vec::with_capacity(e.anchors.len());
            for a in &e.anchors {
                match a.parse::<i64>() {
                    Ok(k) if self.tasks[t].inputs.contains_key(&k) => keys.push(k),
                    _ => return Err(format!("Anchored onto {a} after ack/fail")),
                }
            }
            for &d in &dests {
                let edge = self.rng.nonzero();
                let mut child: Vec<(u64, u64)> = Vec::new();
                if reliable_acking {
                    for k in &keys {
                        let inp = self.tasks[t].inputs.get_mut(k).expect("checked");
                        inp.out_ack ^= edge;
                        for &(root, _) in &inp.anchors {
                            match child.iter_mut().find(|(r, _)| *r == root) {
                                Some((_, v)) => *v ^= edge,
                                None => child.push((root, edge)),
                            }
                        }
                    }
                }
                children.push((d, child));
            }
        }
        if let Some(o) = outcome {
            self.on_outcome(o);
        }
        if self.cfg.debug {
            let p = self.prefix(t);
            self.console.line(&format!(
                "{p} emit stream={stream} values={} -> tasks {dests:?}",
                values.get()
            ));
        }
        let style = self.cfg.json_style;
        let values = wire::restyle(style, values.get(), &mut self.restyled).map_err(|err| {
            format!(
                "emitted values that Storm's JSON parser rejects: {err} (`sparse run --json-style plain` passes them through)"
            )
        })?;
        for (d, anchors) in children.drain(..) {
            let Some(&di) = self.by_id.get(&d) else {
                continue;
            };
            let id = self.rng.next_u64() as i64;
            self.tasks[di].inputs.insert(
                id,
                InputRt {
                    anchors,
                    out_ack: 0,
                    tick: false,
                },
            );
            let dc = self.tasks[di].comp;
            self.stats[dc].received += 1;
            let comp = &self.comps[c].id;
            self.procs[di].writer.push_tuples(1, |b| {
                wire::bolt_tuple(style, b, id, Some(comp), stream, src_id, values)
            });
            if self.procs[di].writer.unwritten() >= self.cfg.receive_buffer
                && !self.tasks[t].waiting_on.contains(&di)
            {
                if !self.tasks[t].blocked() {
                    self.n_blocked += 1;
                    self.tasks[t].blocked_since = Some(now);
                }
                self.tasks[t].waiting_on.push(di);
            }
        }
        self.children = children;
        if e.need_task_ids && e.task.is_none() {
            self.procs[t]
                .writer
                .push_priority(|b| shell::write_task_ids(b, &dests));
        }
        self.dests = dests;
        Ok(())
    }

    fn ticks(&mut self, c: usize, secs: u64) {
        for k in 0..self.comps[c].tasks.len() {
            let i = self.comps[c].tasks[k];
            let id = self.rng.next_u64() as i64;
            self.tasks[i].inputs.insert(
                id,
                InputRt {
                    anchors: Vec::new(),
                    out_ack: 0,
                    tick: true,
                },
            );
            self.stats[c].ticks += 1;
            self.procs[i]
                .writer
                .push_tuples(1, |b| wire::tick(self.cfg.json_style, b, id, secs as i64));
        }
    }

    fn rotate_timeouts(&mut self) {
        self.acker.rotate();
        for t in &mut self.tasks {
            if let Some(sp) = t.spout.as_mut() {
                for p in sp.pending.rotate() {
                    self.stats[t.comp].failed += 1;
                    t.failed += 1;
                    sp.outcomes.push_back((false, p.msg_id));
                }
            }
        }
    }

    fn every_second(&mut self, now: Instant) -> Result<(), (usize, String)> {
        let limit = self.cfg.subprocess_timeout;
        for (i, t) in self.tasks.iter().enumerate() {
            if t.blocked() {
                // Silent because the runner is not listening to it (backpressure).
                continue;
            }
            if !t.started {
                if now - t.spawned_at > limit {
                    return Err((
                        i,
                        format!(
                            "no handshake reply ({{\"pid\": N}}) within {:.0} s",
                            limit.as_secs_f64()
                        ),
                    ));
                }
                continue;
            }
            match &t.spout {
                None => {
                    if now - t.last_msg > limit {
                        return Err((
                            i,
                            format!(
                                "subprocess heartbeat timeout (no message for more than {:.1} s)",
                                limit.as_secs_f64()
                            ),
                        ));
                    }
                    self.procs[i].writer.heartbeat();
                }
                Some(sp) => {
                    if let Some((cmd, since)) = sp.awaiting
                        && now - t.last_msg.max(since) > limit
                    {
                        return Err((
                            i,
                            format!(
                                "subprocess heartbeat timeout (no answer to `{}` for more than {:.1} s)",
                                cmd.name(),
                                limit.as_secs_f64()
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn backpressure(&self) -> bool {
        let max = self.cfg.bolt_max_pending;
        self.tasks
            .iter()
            .enumerate()
            .any(|(i, t)| t.spout.is_none() && self.procs[i].writer.queued() >= max)
    }

    fn schedule_spouts(&mut self, now: Instant) {
        if !self.all_started {
            return;
        }
        let stopping = self.stopping.is_some();
        let blocked = !stopping && self.backpressure();
        for i in 0..self.tasks.len() {
            let c = self.tasks[i].comp;
            let max_pending = self.comps[c].max_spout_pending;
            if self.tasks[i].blocked() {
                continue; // its answers are held back: nothing new until it is unblocked
            }
            let Some(sp) = self.tasks[i].spout.as_mut() else {
                continue;
            };
            if sp.awaiting.is_some() {
                continue;
            }
            if let Some((ack, id)) = sp.outcomes.pop_front() {
                let cmd = if ack { Cmd::Ack } else { Cmd::Fail };
                self.send_spout(i, cmd, Some(&id), now);
                continue;
            }
            if stopping {
                if sp.active {
                    sp.active = false;
                    self.send_spout(i, Cmd::Deactivate, None, now);
                }
                continue;
            }
            if !sp.active
                || now < sp.backoff_until
                || !below_max_pending(sp.pending.len(), max_pending)
            {
                continue;
            }
            if blocked {
                continue;
            }
            self.send_spout(i, Cmd::Next, None, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_carry_the_level_once() {
        // sparse-host's messages start with their level; Python components' do not.
        assert_eq!(
            log_line("[c:3]", Some(3), "WARN wordcount: counted x"),
            "[c:3] WARN wordcount: counted x"
        );
        assert_eq!(
            log_line("[c:3]", Some(3), "disk full"),
            "[c:3] WARN disk full"
        );
        assert_eq!(
            log_line("[c:3]", Some(2), "WARNING ahead"),
            "[c:3] INFO WARNING ahead"
        );
        assert_eq!(log_line("[c:3]", Some(4), "WARN x"), "[c:3] ERROR WARN x");
    }

    #[test]
    fn a_timed_stop_fits_in_about_a_second() {
        assert!(
            super::super::DURATION_DRAIN + super::super::DURATION_GRACE <= Duration::from_secs(1)
        );
    }
}
