//! Expanding a topology into tasks the way Storm does, and building what each task is told
//! in its handshake: the merged conf and the topology context.
//!
//! Task ids ([`assign_task_ids`]): component ids, `__acker` included, sorted in Java
//! `String` order (UTF-16 code units), ids dealt out contiguously from 1. The context
//! ([`context_json`]) has the keys `TopologyContext.toJSONString` writes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use sparse_topology::model::{ComponentKind, Grouping, Topology};

/// The id of Storm's acker component.
pub const ACKER: &str = "__acker";

/// Java `String.compareTo`: by UTF-16 code unit.
pub fn java_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Task ids of every component of a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPlan {
    /// `(task id, component id)` for every task, ascending by id (ids start at 1).
    pub tasks: Vec<(i64, String)>,
    /// Component id -> its task ids, ascending.
    pub component_tasks: BTreeMap<String, Vec<i64>>,
}

impl TaskPlan {
    /// The component a task belongs to.
    pub fn component_of(&self, task: i64) -> Option<&str> {
        usize::try_from(task - 1)
            .ok()
            .and_then(|i| self.tasks.get(i))
            .map(|(_, c)| c.as_str())
    }

    /// The tasks of a component (empty when unknown).
    pub fn tasks_of(&self, component: &str) -> &[i64] {
        self.component_tasks
            .get(component)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Assigns task ids like `StormCommon.stormTaskInfoImpl`, with `ackers` `__acker` tasks.
pub fn assign_task_ids(topology: &Topology, ackers: u32) -> TaskPlan {
    let mut comps: Vec<(&str, u32)> = topology
        .components
        .iter()
        .map(|c| (c.id.as_str(), c.num_tasks.max(1)))
        .collect();
    if ackers > 0 {
        comps.push((ACKER, ackers));
    }
    comps.sort_by(|a, b| java_str_cmp(a.0, b.0));
    let mut tasks = Vec::new();
    let mut component_tasks = BTreeMap::new();
    let mut next = 1i64;
    for (id, n) in comps {
        let ids: Vec<i64> = (next..next + i64::from(n)).collect();
        next += i64::from(n);
        for t in &ids {
            tasks.push((*t, id.to_string()));
        }
        component_tasks.insert(id.to_string(), ids);
    }
    TaskPlan {
        tasks,
        component_tasks,
    }
}

/// A grouping as `TopologyContext` writes it: `{"type":"FIELDS","fields":[..]}`,
/// `{"type":"SHUFFLE"}`, …; global is `FIELDS` with no fields.
pub fn grouping_json(g: &Grouping) -> Value {
    match g {
        Grouping::Shuffle => json!({"type": "SHUFFLE"}),
        Grouping::LocalOrShuffle => json!({"type": "LOCAL_OR_SHUFFLE"}),
        Grouping::Fields(f) => json!({"type": "FIELDS", "fields": f}),
        Grouping::Global => json!({"type": "FIELDS", "fields": []}),
        Grouping::All => json!({"type": "ALL"}),
        Grouping::None => json!({"type": "NONE"}),
        Grouping::Direct => json!({"type": "DIRECT"}),
        Grouping::Custom(_) => json!({"type": "CUSTOM_SERIALIZED"}),
    }
}

/// The `context` object of the handshake of task `task_id`.
pub fn context_json(topology: &Topology, plan: &TaskPlan, task_id: i64) -> Value {
    let me = plan.component_of(task_id).unwrap_or_default();
    let task_to_component: Map<String, Value> = plan
        .tasks
        .iter()
        .map(|(t, c)| (t.to_string(), Value::String(c.clone())))
        .collect();
    let comp = topology.component(me);
    let mut streams = Vec::new();
    let mut out_fields = Map::new();
    if let Some(c) = comp {
        for (s, def) in &c.outputs {
            streams.push(Value::String(s.clone()));
            out_fields.insert(s.clone(), json!(def.fields));
        }
    }
    // Who consumes my streams.
    let mut targets: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for other in &topology.components {
        for inp in &other.inputs {
            if inp.source == me {
                targets
                    .entry(inp.stream.clone())
                    .or_default()
                    .insert(other.id.clone(), grouping_json(&inp.grouping));
            }
        }
    }
    // What I subscribe to, and every stream of each source.
    let mut sources: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut source_fields: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    if let Some(c) = comp {
        for inp in &c.inputs {
            sources
                .entry(inp.source.clone())
                .or_default()
                .insert(inp.stream.clone(), grouping_json(&inp.grouping));
            if let Some(src) = topology.component(&inp.source) {
                let e = source_fields.entry(inp.source.clone()).or_default();
                for (s, def) in &src.outputs {
                    e.insert(s.clone(), json!(def.fields));
                }
            }
        }
    }
    json!({
        "task->component": task_to_component,
        "taskid": task_id,
        "componentid": me,
        "streams": streams,
        "stream->outputfields": out_fields,
        "stream->target->grouping": targets,
        "source->stream->grouping": sources,
        "source->stream->fields": source_fields,
    })
}

/// Storm daemon defaults a shell component may look at (a subset of `defaults.yaml`).
pub fn storm_defaults() -> Map<String, Value> {
    let v = json!({
        "topology.message.timeout.secs": 30,
        "topology.max.spout.pending": null,
        "topology.shellbolt.max.pending": 100,
        "topology.acker.executors": null,
        "topology.workers": 1,
        "topology.debug": false,
        "topology.tick.tuple.freq.secs": null,
        "topology.enable.message.timeouts": true,
        "topology.multilang.serializer": "org.apache.storm.multilang.JsonSerializer",
        "topology.max.task.parallelism": null,
        "topology.error.throttle.interval.secs": 10,
        "topology.max.error.report.per.interval": 5,
        "supervisor.worker.timeout.secs": 30,
        "storm.cluster.mode": "local",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Component-conf keys Storm lets a component override (besides keys Storm does not know).
const COMPONENT_WHITELIST: &[&str] = &[
    "topology.debug",
    "topology.max.spout.pending",
    "topology.max.task.parallelism",
    "topology.transactional.id",
    "topology.tick.tuple.freq.secs",
    "topology.sleep.spout.wait.strategy.time.ms",
    "topology.spout.wait.strategy",
];

/// True when a component's own conf may set `key` (`Executor.normalizedComponentConf`):
/// keys outside Storm's namespaces, the whitelist, and windowing/state keys.
pub fn component_may_set(key: &str) -> bool {
    let storm_key = [
        "topology.",
        "storm.",
        "supervisor.",
        "nimbus.",
        "worker.",
        "drpc.",
    ]
    .iter()
    .any(|p| key.starts_with(p));
    !storm_key
        || COMPONENT_WHITELIST.contains(&key)
        || key.starts_with("topology.bolts.window")
        || key.starts_with("topology.state.")
}

/// The effective conf of one component: `base` (defaults < topology < overrides, already
/// merged) overlaid by the filtered component conf; spouts see the tick frequency forced
/// to the message timeout, as `StormCommon.addAcker` does.
pub fn component_conf(
    base: &Map<String, Value>,
    component_conf: &Map<String, Value>,
    kind: ComponentKind,
) -> Map<String, Value> {
    let mut conf = base.clone();
    for (k, v) in component_conf {
        if component_may_set(k) {
            conf.insert(k.clone(), v.clone());
        }
    }
    if kind == ComponentKind::Spout {
        let t = conf
            .get("topology.message.timeout.secs")
            .cloned()
            .unwrap_or(json!(30));
        conf.insert("topology.tick.tuple.freq.secs".into(), t);
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_topology::model::{Component, Exec, Input, StreamDef};

    fn comp(
        id: &str,
        kind: ComponentKind,
        n: u32,
        fields: &[&str],
        inputs: Vec<Input>,
    ) -> Component {
        let mut outputs = BTreeMap::new();
        outputs.insert(
            "default".to_string(),
            StreamDef {
                fields: fields.iter().map(|s| s.to_string()).collect(),
                direct: false,
            },
        );
        Component {
            id: id.into(),
            kind,
            exec: Exec::Shell {
                command: vec!["x".into()],
            },
            parallelism: n,
            num_tasks: n,
            outputs,
            inputs,
            conf: Map::new(),
            span: None,
        }
    }

    /// The reference's example: sentences(1), split(2), count(2), one acker.
    pub(crate) fn wordcount() -> Topology {
        Topology {
            name: "wordcount".into(),
            jvm_objects: Vec::new(),
            conf: Map::new(),
            components: vec![
                comp("sentences", ComponentKind::Spout, 1, &["sentence"], vec![]),
                comp(
                    "split",
                    ComponentKind::Bolt,
                    2,
                    &["word"],
                    vec![Input {
                        source: "sentences".into(),
                        stream: "default".into(),
                        grouping: Grouping::Shuffle,
                    }],
                ),
                comp(
                    "count",
                    ComponentKind::Bolt,
                    2,
                    &["word", "count"],
                    vec![Input {
                        source: "split".into(),
                        stream: "default".into(),
                        grouping: Grouping::Fields(vec!["word".into()]),
                    }],
                ),
            ],
        }
    }

    #[test]
    fn task_ids_follow_java_string_order_with_acker() {
        let plan = assign_task_ids(&wordcount(), 1);
        let got: Vec<(i64, &str)> = plan.tasks.iter().map(|(t, c)| (*t, c.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "__acker"),
                (2, "count"),
                (3, "count"),
                (4, "sentences"),
                (5, "split"),
                (6, "split")
            ]
        );
        // `_` sorts after upper case and before lower case; UTF-16 order, not UTF-8 order.
        let mut t = wordcount();
        t.components[0].id = "Zeta".into();
        t.components[1].id = "\u{FF61}x".into(); // BMP, above the surrogates
        t.components[2].id = "\u{1F600}".into(); // surrogate pair 0xD83D...
        let plan = assign_task_ids(&t, 2);
        let order: Vec<&str> = plan.component_tasks.keys().map(String::as_str).collect();
        let _ = order;
        let by_id: Vec<&str> = plan.tasks.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(
            by_id,
            [
                "Zeta",
                "__acker",
                "__acker",
                "\u{1F600}",
                "\u{1F600}",
                "\u{FF61}x",
                "\u{FF61}x"
            ]
        );
        let plan = assign_task_ids(&wordcount(), 0);
        assert_eq!(plan.tasks_of("count"), [1, 2]);
        assert!(plan.tasks_of(ACKER).is_empty());
    }

    #[test]
    fn context_shape_matches_the_reference_example() {
        let t = wordcount();
        let plan = assign_task_ids(&t, 1);
        let ctx = context_json(&t, &plan, 5);
        let want = json!({
            "task->component": {"1": "__acker", "2": "count", "3": "count",
                                "4": "sentences", "5": "split", "6": "split"},
            "taskid": 5,
            "componentid": "split",
            "streams": ["default"],
            "stream->outputfields": {"default": ["word"]},
            "stream->target->grouping": {"default": {"count": {"type": "FIELDS", "fields": ["word"]}}},
            "source->stream->grouping": {"sentences": {"default": {"type": "SHUFFLE"}}},
            "source->stream->fields": {"sentences": {"default": ["sentence"]}}
        });
        assert_eq!(ctx, want);
        let spout = context_json(&t, &plan, 4);
        assert_eq!(spout["source->stream->grouping"], json!({}));
        assert_eq!(
            grouping_json(&Grouping::Global),
            json!({"type":"FIELDS","fields":[]})
        );
    }

    #[test]
    fn component_conf_filtering_and_spout_ticks() {
        let mut base = storm_defaults();
        base.insert("topology.message.timeout.secs".into(), json!(7));
        let mut own = Map::new();
        own.insert("topology.tick.tuple.freq.secs".into(), json!(2));
        own.insert("topology.message.timeout.secs".into(), json!(99));
        own.insert("my.key".into(), json!("v"));
        let c = component_conf(&base, &own, ComponentKind::Bolt);
        assert_eq!(c["topology.tick.tuple.freq.secs"], 2);
        assert_eq!(c["topology.message.timeout.secs"], 7, "not whitelisted");
        assert_eq!(c["my.key"], "v");
        let s = component_conf(&base, &own, ComponentKind::Spout);
        assert_eq!(s["topology.tick.tuple.freq.secs"], 7);
    }
}
