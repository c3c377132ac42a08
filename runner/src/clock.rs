//! The engine's clock for time-driven work: tick tuples (`topology.tick.tuple.freq.secs`),
//! message timeouts (`topology.message.timeout.secs`), the run's duration and the drain
//! after a stop. `sparse run` uses real time ([`ClockMode::Real`]); the test kit
//! ([`crate::testing`]) uses simulated time ([`ClockMode::Simulated`]) so a test of a
//! tick-driven bolt or of a timeout never depends on how fast the machine is.
//!
//! # Simulated time
//! Simulated time stands still while anything is in flight and jumps to the next timer
//! (a tick, a timeout rotation, the end of the duration or of the drain) only when the
//! topology is *quiet*, that is when the engine would otherwise just wait:
//! * every spout task has answered its last command, has no `ack`/`fail` to receive, and
//!   either answered its last `next` without emitting, is inactive, or is at its
//!   `topology.max.spout.pending`;
//! * every bolt task has answered a heartbeat written after the last tuple it was sent.
//!   A multi-lang task handles its stdin in order, so that `sync` proves it has handled
//!   (emitted for, acked, failed, or kept) every tuple before it; the engine sends such a
//!   heartbeat as soon as a bolt's queue is empty.
//!
//! So a bolt that never acks makes its tree fail at exactly the simulated time Storm's
//! timeout rotation gives (every T, a tree fails at the second rotation after its emit:
//! 2T for a tree emitted before the first), and a tick bolt run for N tick periods gets
//! exactly N ticks,
//! however slowly the processes run. Nothing else waits on simulated time: the liveness
//! check of tasks (`supervisor.worker.timeout.secs`-like subprocess timeout), the spouts'
//! 1 ms back-off and the live display run on real time, and the test kit's own
//! [`timeout`](crate::testing::TopologyTest::timeout) is real time too
//! ([`RunOptions::wall_limit`](crate::RunOptions::wall_limit)).
//!
//! A spout that has nothing to emit now but would emit later on its own (a timer of its
//! own, a queue fed by another thread) sees simulated time run ahead of it: that is the
//! point of it (nothing waits), so such a spout is best replaced in a test.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sparse_runner::clock::{Clock, ClockMode};
//!
//! let start = Instant::now();
//! let mut clock = Clock::new(ClockMode::Simulated, start);
//! assert_eq!(clock.now(), start); // stands still...
//! clock.advance_to(start + Duration::from_secs(30));
//! assert_eq!(clock.now() - start, Duration::from_secs(30)); // ...until advanced
//! clock.advance_to(start); // never backwards
//! assert_eq!(clock.now() - start, Duration::from_secs(30));
//!
//! let real = Clock::new(ClockMode::Real, start);
//! assert!(real.now() >= start);
//! ```

use std::time::Instant;

/// Which time the engine's timers follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock (`sparse run`).
    #[default]
    Real,
    /// Time that advances only when the topology is quiet (see the module docs).
    Simulated,
}

/// The engine's clock (see the module docs).
#[derive(Debug, Clone)]
pub struct Clock {
    /// The simulated present; `None` for real time.
    sim: Option<Instant>,
}

impl Clock {
    /// A clock starting at `start` (simulated) or following the wall clock (real).
    pub fn new(mode: ClockMode, start: Instant) -> Self {
        Clock {
            sim: (mode == ClockMode::Simulated).then_some(start),
        }
    }

    /// The present.
    pub fn now(&self) -> Instant {
        self.sim.unwrap_or_else(Instant::now)
    }

    /// True for simulated time.
    pub fn is_simulated(&self) -> bool {
        self.sim.is_some()
    }

    /// Moves simulated time forward to `at` (never backwards); nothing for real time.
    pub fn advance_to(&mut self, at: Instant) {
        if let Some(t) = &mut self.sim
            && at > *t
        {
            *t = at;
        }
    }
}
