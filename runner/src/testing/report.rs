//! What a topology test run did: [`Report`], per component a [`ComponentReport`] built from
//! the run's summary, its recorded emits and the task log files.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sparse_topology::model::Topology;

use crate::RunSummary;

/// What one component did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentReport {
    /// Spouts: trees acked; bolts: `ack`s sent for data tuples.
    pub acked: u64,
    /// Spouts: trees failed (timeouts included); bolts: `fail`s sent.
    pub failed: u64,
    /// Tuples emitted, per stream, in order.
    pub emitted: BTreeMap<String, Vec<Value>>,
    /// Tuples emitted per task id, then per stream, in order.
    pub tasks: BTreeMap<i64, BTreeMap<String, Vec<Value>>>,
    /// Bolts: tick tuples delivered to its tasks (all of them together).
    pub ticks: u64,
    /// Spouts: trees failed by timeout, each with when it failed on the engine's clock
    /// (simulated time unless [`TopologyTest::real_time`](super::TopologyTest::real_time)) from the start of the run.
    pub timed_out: Vec<Duration>,
    /// `(acked, failed)` per task id, every task of the component included.
    pub outcomes: BTreeMap<i64, (u64, u64)>,
    /// Per task id: it spoke the fast wire (`sparse-host` accepts it unless the test
    /// sets [`TopologyTest::json_wire`](super::TopologyTest::json_wire)); other components
    /// stay on JSON.
    pub fast_wire: BTreeMap<i64, bool>,
    /// Log text of each task (its `sparse-host` log file), by task id.
    pub logs: BTreeMap<i64, String>,
    /// Everything each task wrote on stderr, by task id (up to 4 MiB per task).
    pub stderr: BTreeMap<i64, String>,
}

/// What a topology test run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per component id.
    pub components: BTreeMap<String, ComponentReport>,
    /// The run's summary, as `sparse run --summary-json` writes it.
    pub summary: RunSummary,
}

impl Report {
    pub(super) fn new(topology: &Topology, summary: RunSummary, logs: &Path) -> Report {
        let mut components: BTreeMap<String, ComponentReport> = topology
            .components
            .iter()
            .map(|c| (c.id.clone(), ComponentReport::default()))
            .collect();
        for s in &summary.components {
            if let Some(c) = components.get_mut(&s.id) {
                c.acked = s.acked;
                c.failed = s.failed;
                c.ticks = s.ticks;
            }
        }
        for t in &summary.timed_out {
            if let Some(c) = components.get_mut(&t.component) {
                c.timed_out.push(t.after);
            }
        }
        for t in &summary.tasks {
            if let Some(c) = components.get_mut(&t.component) {
                c.outcomes.insert(t.task, (t.acked, t.failed));
                c.fast_wire.insert(t.task, t.fast_wire);
                if let Some(text) = &t.stderr {
                    c.stderr.insert(t.task, text.clone());
                }
            }
        }
        for e in &summary.emitted {
            let Some(c) = components.get_mut(&e.component) else {
                continue;
            };
            let values: Value = serde_json::from_str(&e.values).unwrap_or(Value::Null);
            c.emitted
                .entry(e.stream.clone())
                .or_default()
                .push(values.clone());
            c.tasks
                .entry(e.task)
                .or_default()
                .entry(e.stream.clone())
                .or_default()
                .push(values);
        }
        // sparse-host names its log `streamparse_<topology>_<component>_<task>_<pid>.log`.
        let prefix = format!("streamparse_{}_", topology.name);
        for entry in std::fs::read_dir(logs).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(".log"))
            else {
                continue;
            };
            let mut parts = rest.rsplitn(3, '_');
            let (_pid, task, comp) = (parts.next(), parts.next(), parts.next());
            if let (Some(task), Some(comp)) = (task.and_then(|t| t.parse().ok()), comp)
                && let Some(c) = components.get_mut(comp)
            {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                c.logs.insert(task, text);
            }
        }
        Report {
            components,
            summary,
        }
    }

    /// What component `id` did; an empty report for an id the topology does not have.
    pub fn component(&self, id: &str) -> &ComponentReport {
        static EMPTY: std::sync::OnceLock<ComponentReport> = std::sync::OnceLock::new();
        self.components
            .get(id)
            .unwrap_or_else(|| EMPTY.get_or_init(ComponentReport::default))
    }

    /// The tuples component `id` emitted on `stream`, in order (all its tasks).
    pub fn emitted(&self, id: &str, stream: &str) -> &[Value] {
        self.component(id)
            .emitted
            .get(stream)
            .map_or(&[], Vec::as_slice)
    }

    /// The log texts of component `id`'s tasks, in task order.
    pub fn logs(&self, id: &str) -> Vec<&str> {
        self.component(id)
            .logs
            .values()
            .map(String::as_str)
            .collect()
    }
}
