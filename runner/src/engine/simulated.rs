//! Simulated time ([`crate::clock`]): knowing when the topology is quiet, and moving the
//! clock to the next timer then.
//!
//! A bolt task is known to be quiet when it has answered (`sync`) a heartbeat written after
//! every tuple it was sent: [`Engine::probe_bolts`] sends one to each bolt task whose
//! queue has been written out and that has tuples not yet covered; the `sync` handler in
//! `messages` records what it covered. Spouts are quiet by the state the engine keeps of
//! them anyway (see [`Engine::quiet`]).

use std::time::{Duration, Instant};

use super::Engine;
use crate::acker::below_max_pending;

/// The timers of the main loop that simulated time can jump to.
pub(super) struct Timers<'a> {
    /// Next tick per component.
    pub ticks: &'a [Option<Instant>],
    /// Next timeout rotation.
    pub rotation: Instant,
    /// End of the duration.
    pub end: Option<Instant>,
}

impl Engine {
    /// Sends a heartbeat to bolt task `t` unless one is awaiting its `sync`, noting which
    /// tuples it covers: those already written to the task's stdin (a heartbeat is written
    /// before what is still queued).
    pub(super) fn probe(&mut self, t: usize) {
        let task = &mut self.tasks[t];
        if task.spout.is_some() || !task.started || task.probe.is_some() {
            return;
        }
        let unwritten = self.procs[t].writer.unwritten() as u64;
        task.probe = Some(task.delivered.saturating_sub(unwritten));
        self.procs[t].writer.heartbeat();
    }

    /// Probes every bolt task that was sent tuples since its last answered probe, once
    /// they are all written.
    pub(super) fn probe_bolts(&mut self) {
        for t in 0..self.tasks.len() {
            let task = &self.tasks[t];
            if task.spout.is_none()
                && task.synced < task.delivered
                && self.procs[t].writer.unwritten() == 0
            {
                self.probe(t);
            }
        }
    }

    /// True when nothing can happen until a timer fires: every spout task has nothing to
    /// do (its last `next` emitted nothing, or it is inactive or at max pending, and it
    /// owes no answer and is owed no `ack`/`fail`), and every bolt task has answered a
    /// heartbeat written after the last tuple it was sent.
    pub(super) fn quiet(&self) -> bool {
        if !self.all_started || self.n_blocked > 0 || self.stop_reason.is_some() {
            return false;
        }
        self.tasks.iter().enumerate().all(|(i, t)| match &t.spout {
            Some(sp) => {
                sp.awaiting.is_empty()
                    && sp.outcomes.is_empty()
                    && (!sp.active
                        || sp.idle
                        || self.comps[t.comp]
                            .emit_limit
                            .is_some_and(|n| self.stats[t.comp].emitted >= n)
                        || !below_max_pending(
                            sp.pending.len(),
                            self.comps[t.comp].max_spout_pending,
                        ))
            }
            None => {
                t.probe.is_none()
                    && t.synced == t.delivered
                    && t.parked.is_empty()
                    && self.procs[i].writer.unwritten() == 0
            }
        })
    }

    /// The next time a timer of the clock fires after the present, if any will.
    pub(super) fn next_deadline(&self, timers: &Timers<'_>) -> Option<Instant> {
        let now = self.clock.now();
        let mut at: Vec<Instant> = Vec::new();
        if self.stopping_at.is_none() {
            at.extend(timers.ticks.iter().flatten());
            at.extend(timers.end);
        }
        if self.cfg.ackers > 0 && self.cfg.timeouts_enabled {
            at.push(timers.rotation);
        }
        if let Some(since) = self.stopping_at {
            at.push(since + self.drain_limit());
        }
        at.into_iter().filter(|&t| t > now).min()
    }

    /// The clock's time since the run started.
    pub fn clock_elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.clock_start)
    }
}
