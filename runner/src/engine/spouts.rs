//! Spout scheduling: each spout task gets one command at a time (`next`, `ack`, `fail`,
//! `activate`, `deactivate`), as Storm's ShellSpout does; `next` waits for a free
//! max-spout-pending slot, the back-off after an empty `next`, and no backpressure.

use std::time::Instant;

use serde_json::value::RawValue;

use super::{Cmd, Engine};
use crate::acker::below_max_pending;
use crate::wire::{self, Wire};

impl Engine {
    pub(super) fn send_spout(&mut self, t: usize, cmd: Cmd, id: Option<&RawValue>, now: Instant) {
        let sp = self.tasks[t].spout.as_mut().expect("spout");
        sp.awaiting = Some((cmd, now));
        sp.emitted = false;
        let style = self.cfg.json_style;
        if self.procs[t].wire(style) == Wire::Fast {
            let frame = &mut self.fast_frame;
            frame.clear();
            match sparse_protocol::fastwire::write_spout_command(
                frame,
                cmd.name(),
                id.map(RawValue::get),
            ) {
                Ok(()) => self.procs[t]
                    .writer
                    .push_priority(|b| b.extend_from_slice(frame)),
                Err(err) => self.fail_task(
                    t,
                    format!(
                        "a message id the fast wire cannot carry in `{}`: {err}",
                        cmd.name()
                    ),
                ),
            }
            return;
        }
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
    pub(super) fn schedule_spouts(&mut self, now: Instant) {
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
                || self.comps[c]
                    .emit_limit
                    .is_some_and(|n| self.stats[c].emitted >= n)
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
