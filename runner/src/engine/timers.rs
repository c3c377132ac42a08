//! Time-driven work: tick tuples for bolts, the rotation that times out pending trees,
//! heartbeats to bolts and the liveness check of every task.

use std::time::Instant;

use super::{Engine, InputRt};
use crate::wire;

impl Engine {
    pub(super) fn ticks(&mut self, c: usize, secs: u64) {
        for k in 0..self.comps[c].tasks.len() {
            let i = self.comps[c].tasks[k];
            let id = self.rng.next_u64() as i64;
            self.tasks[i].delivered += 1;
            self.tasks[i].inputs.insert(
                id,
                InputRt {
                    anchors: Vec::new(),
                    out_ack: 0,
                    tick: true,
                },
            );
            self.stats[c].ticks += 1;
            let on = self.procs[i].wire(self.cfg.json_style);
            self.procs[i]
                .writer
                .push_tuples(1, |b| wire::tick_on(on, b, id, secs as i64));
        }
    }

    pub(super) fn rotate_timeouts(&mut self, now: Instant) {
        self.acker.rotate();
        let since_start = now.saturating_duration_since(self.clock_start);
        for (i, t) in self.tasks.iter_mut().enumerate() {
            if let Some(sp) = t.spout.as_mut() {
                for p in sp.pending.rotate() {
                    self.stats[t.comp].failed += 1;
                    self.timed_out.push((i, since_start));
                    t.failed += 1;
                    sp.outcomes.push_back((false, p.msg_id));
                }
            }
        }
    }

    pub(super) fn every_second(&mut self, now: Instant) -> Result<(), (usize, String)> {
        let limit = self.cfg.subprocess_timeout;
        let mut heartbeats = Vec::new();
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
                    if self.clock.is_simulated() {
                        // Every heartbeat is then a probe of quiet (see `simulated`).
                        heartbeats.push(i);
                    } else {
                        self.procs[i].writer.heartbeat();
                    }
                }
                Some(sp) => {
                    if let Some(&(cmd, since)) = sp.awaiting.front()
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
        for i in heartbeats {
            self.probe(i);
        }
        Ok(())
    }
}
