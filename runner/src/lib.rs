//! The local runner behind `sparse run`: a JVM-free stand-in for Storm's ShellSpout and
//! ShellBolt that starts every task of a topology as a multi-lang subprocess.
//!
//! [`run`] expands the topology into tasks exactly as Storm does ([`plan`]), spawns each
//! task's command without a shell (`sparse-host` resolved to the freshly built binary),
//! performs the handshake (merged conf, full context, a real `pidDir`), then plays Storm:
//! spout ping-pong, bolt heartbeats and ticks, groupings with Java hash semantics
//! ([`route`], [`hash`]), the XOR acker with T–2T timeouts and max spout pending
//! ([`acker`]), and every fatal rule. Any task failure stops the whole topology.
//!
//! # Threads
//! * one **engine** thread (the caller's) owns all state: routing, ledger, pending maps,
//!   counters, timers; no locks on the hot path;
//! * per task: a **reader** thread (stdout frames → decoded messages, batched onto one
//!   mpsc channel, at most `sparse.max.frame.bytes` each), a **writer** thread (a 3-lane
//!   queue: heartbeat > task ids / commands > tuples, each lane written with one `write`),
//!   and a **stderr** thread (echo + tail, long lines cut).
//!
//! # Settings
//! Every setting the runner reads is checked before anything starts, with the rules Storm
//! applies at submit ([`settings`]); an invalid one is [`RunError::Setting`].
//!
//! # Backpressure
//! While any bolt task has `topology.shellbolt.max.pending` tuples not yet taken by its
//! writer, no spout gets `next`. Each bolt task's queue is bounded by
//! `topology.executor.receive.buffer.size`: a task whose emit fills one is blocked (its
//! messages held, its stdout no longer read) until there is room. A cycle that blocks
//! itself for the subprocess timeout stops the run, [`RunError::Stalled`] (see [`engine`]).
//!
//! # Simplifications (documented deviations)
//! * One executor per task; all `__acker` tasks share one ledger (same outcomes).
//! * With ackers = 0, the immediate `ack` of a spout emit with an id is sent after the
//!   current command's `sync`, not nested inside it (avoids Storm's 5.3 deadlock).
//!
//! # Summary JSON (`--summary-json FILE`)
//! ```json
//! {"topology": "wordcount", "storm_id": "wordcount-1-1700000000",
//!  "duration_secs": 5.02,
//!  "stop_reason": "duration" | "interrupted" | "failed" | "completed" (test kit),
//!  "failure": null | "text of the failure (a task's, or the stalled cycle's)",
//!  "leftover_pids_killed": [],
//!  "components": [{"id": "sentences", "kind": "spout", "tasks": 1, "emitted": 100,
//!                  "acked": 100, "failed": 0, "received": 0, "ticks": 0,
//!                  "complete_latency_mean_ms": 1.2, "complete_latency_p99_ms": 4.1}, …]}
//! ```
//! Spouts count trees acked/failed (timeouts included) and latency from emit to ack;
//! bolts count the `ack`/`fail` commands they sent for data tuples, the data tuples
//! delivered to them (`received`) and, apart, the tick tuples (`ticks`). Latencies are
//! null for bolts and for spouts with no ack. `stop` records how the run ended:
//! `{"requested_secs": 20.0, "drain_secs": 0.02, "drained": true, "shutdown_secs": 0.01}`
//! (the `-t` asked for, the drain after it, whether every tree completed, the time to
//! end the tasks).
//!
//! # Stopping on time
//! When `-t` is reached the spouts are deactivated and in-flight trees get at most
//! [`DURATION_DRAIN`] to complete; the tasks then get [`DURATION_GRACE`] after SIGTERM
//! before SIGKILL, so a run ends within about a second of what was asked. A Ctrl-C drains
//! longer (up to 5 s, a second Ctrl-C stops at once).
//!
//! # Example
//! The runner takes a topology model ([`sparse_topology`]) and [`RunOptions`]; the task
//! commands it starts come from the model (`sparse-host --component crate::Type`, or any
//! multi-lang program). Before starting anything it lays the topology out exactly as Storm
//! would, so task ids and hashing match a real cluster:
//!
//! ```
//! use std::path::Path;
//! use sparse_runner::plan::{ACKER, assign_task_ids};
//!
//! let t = sparse_topology::clj::load_str(
//!     r#"(defn t [o]
//!          [{"words" (rust-spout-spec o "p::Words" ["word"])}
//!           {"count" (rust-bolt-spec o {"words" ["word"]} "p::Count" ["word" "n"] :p 2)}])"#,
//!     Path::new("t.clj"),
//! )
//! .unwrap();
//! // Storm sorts component ids (acker included) and numbers tasks from 1.
//! let plan = assign_task_ids(&t, 1);
//! assert_eq!(plan.tasks_of(ACKER), &[1]);
//! assert_eq!(plan.tasks_of("count"), &[2, 3]);
//! assert_eq!(plan.tasks_of("words"), &[4]);
//! ```
//!
//! [`run`] then runs it: `run(&topology, &RunOptions::new(project_dir))`.

pub mod acker;
pub mod console;
pub mod engine;
pub mod hash;
pub mod plan;
pub mod process;
pub mod rng;
pub mod route;
pub mod settings;
pub mod stats;
pub mod testing;
pub mod wire;

mod conf;
mod error;
mod options;
mod run;
mod summary;

pub use conf::{check_settings, merged_conf};
pub use error::{RunError, Stalled, TaskFailure};
pub use options::RunOptions;
pub use run::{DURATION_DRAIN, DURATION_GRACE, run};
pub use summary::{Emitted, RunSummary, StopTiming, TaskCounts, write_summary};
