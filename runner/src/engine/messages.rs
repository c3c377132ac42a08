//! What tasks send the engine: I/O events (handshake reply, message batches, broken
//! pipes), and each message's effect: an `emit` routed to its target tasks and anchored in
//! the XOR ledger, a bolt's `ack`/`fail` folded into its trees, `sync`, `log`, `error`.

use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sparse_protocol::fastwire;
use sparse_protocol::shell::{self, Emit, ShellMsg, raw_str};

use super::{Cmd, EmitRecord, Engine, InputRt, PendingTuple};
use crate::acker::Outcome;
use crate::process::Event;
use crate::wire::{self, Wire};

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
    pub(super) fn handle(&mut self, ev: Event) {
        let now = Instant::now();
        match ev {
            Event::Pid { task, .. } => {
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
    pub(super) fn consume(
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
    pub(super) fn on_msg(&mut self, t: usize, m: ShellMsg, now: Instant) -> Result<(), Fatal> {
        let is_spout = self.tasks[t].spout.is_some();
        match m {
            ShellMsg::Emit(e) => self.on_emit(t, e, now),
            ShellMsg::Sync => {
                let task = &mut self.tasks[t];
                if let Some(sp) = task.spout.as_mut() {
                    if let Some((cmd, _)) = sp.awaiting.pop_front() {
                        sp.idle = cmd == Cmd::Next && !sp.emitted;
                        sp.emitted = false;
                        if sp.idle {
                            // Storm's wait strategy idles about 1 ms after an empty `next`.
                            sp.backoff_until = now + Duration::from_millis(1);
                        }
                    }
                } else if let Some(seq) = task.probe.take() {
                    // A bolt's answer to a heartbeat (simulated time's probe).
                    task.synced = seq;
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

    pub(super) fn on_bolt_ack(&mut self, t: usize, id: &RawValue, ack: bool) -> Result<(), Fatal> {
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

    pub(super) fn on_outcome(&mut self, o: Outcome) {
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

    pub(super) fn on_emit(&mut self, t: usize, e: Emit, now: Instant) -> Result<(), Fatal> {
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
            sp.idle = false;
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
        let raw_values = values.get();
        // Values for JSON tasks are re-written in Storm's style once, and only when one of
        // the destinations is on JSON; fast-wire tasks get them converted to binary.
        let any_json = children.iter().any(|(d, _)| {
            self.by_id
                .get(d)
                .is_some_and(|&di| self.procs[di].wire(style) != Wire::Fast)
        });
        let json_values = if any_json {
            wire::restyle(style, raw_values, &mut self.restyled).map_err(|err| {
                format!(
                    "emitted values that Storm's JSON parser rejects: {err} (`sparse run --json-style plain` passes them through)"
                )
            })?
        } else {
            raw_values
        };
        for (d, anchors) in children.drain(..) {
            let Some(&di) = self.by_id.get(&d) else {
                continue;
            };
            let id = self.rng.next_u64() as i64;
            self.tasks[di].delivered += 1;
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
            match self.procs[di].wire(style) {
                Wire::Json(style) => self.procs[di].writer.push_tuples(1, |b| {
                    wire::bolt_tuple(style, b, id, Some(comp), stream, src_id, json_values)
                }),
                Wire::Fast => {
                    let frame = &mut self.fast_frame;
                    frame.clear();
                    wire::fast_bolt_tuple(frame, id, Some(comp), stream, src_id, raw_values)
                        .map_err(|err| {
                            format!("emitted values the fast wire cannot carry: {err}")
                        })?;
                    self.procs[di]
                        .writer
                        .push_tuples(1, |b| b.extend_from_slice(frame));
                }
            }
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
                .push_priority(|b| match self.procs[t].wire(style) {
                    Wire::Json(_) => shell::write_task_ids(b, &dests),
                    Wire::Fast => fastwire::write_task_ids(b, &dests),
                });
        }
        self.dests = dests;
        Ok(())
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
}
