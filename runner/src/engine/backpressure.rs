//! Backpressure: a task whose emit filled a bolt task's queue is blocked (its messages
//! held) until there is room; spouts get no `next` while a bolt has too many tuples waiting;
//! a cycle of tasks blocked on one another for the subprocess timeout is a stall.

use std::time::{Duration, Instant};

use super::Engine;

impl Engine {
    /// Unblocks the tasks whose full queues have room again, and handles what they sent
    /// meanwhile.
    pub(super) fn unblock(&mut self, now: Instant) {
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
    pub(super) fn stalled(&self, now: Instant) -> Option<String> {
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

    pub(super) fn describe_cycle(&self, cycle: &[usize], limit: Duration, cap: usize) -> String {
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
    pub(super) fn backpressure(&self) -> bool {
        let max = self.cfg.bolt_max_pending;
        self.tasks
            .iter()
            .enumerate()
            .any(|(i, t)| t.spout.is_none() && self.procs[i].writer.queued() >= max)
    }
}
