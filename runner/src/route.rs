//! Routing: for each (source component, stream), which tasks get an emitted tuple.
//!
//! One grouper per (stream, subscribing component), over that component's task ids sorted
//! ascending, like Storm's `GrouperFactory`. Tuple values stay raw JSON; they are split
//! and parsed only when a fields grouping needs the selected values.

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;

use super::hash::{IntRule, choose_index, list_hash};
use super::plan::TaskPlan;
use super::rng::Rng;
use sparse_topology::model::{Grouping, Topology};

/// How one subscriber picks its tasks.
#[derive(Debug, Clone)]
pub enum Chooser {
    /// A random permutation walked round-robin (shuffle and local-or-shuffle).
    Shuffle {
        /// The permutation of task indices.
        perm: Vec<usize>,
        /// Next position in `perm`.
        pos: usize,
    },
    /// `sorted_tasks[floorMod(hash(selected), n)]`; the value positions to select.
    Fields(Vec<usize>),
    /// The lowest task id.
    Global,
    /// Every task.
    All,
    /// One task uniformly at random.
    None,
    /// Only `emit` with `task` may reach it.
    Direct,
}

/// One subscriber of a stream.
#[derive(Debug, Clone)]
pub struct Target {
    /// Subscribing component id.
    pub component: String,
    /// Its task ids, ascending.
    pub tasks: Vec<i64>,
    /// The grouping.
    pub chooser: Chooser,
}

/// A declared stream of a component and its subscribers.
#[derive(Debug, Clone, Default)]
pub struct StreamRoute {
    /// Declared output fields.
    pub fields: Vec<String>,
    /// Subscribers.
    pub targets: Vec<Target>,
    /// True when some subscriber uses direct grouping.
    pub has_direct: bool,
}

/// Why a topology cannot be routed locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSetupError(pub String);

/// Per component: stream id -> route.
#[derive(Debug, Default)]
pub struct Routes {
    by_component: HashMap<String, HashMap<String, StreamRoute>>,
    int_rule: IntRule,
}

/// Why an emit could not be routed (fatal, as in Storm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The stream was not declared.
    UnknownStream(String),
    /// A normal emit on a stream with a direct subscriber.
    RegularEmitToDirect(String),
    /// A direct emit to a task whose component subscribes without direct grouping.
    DirectToNonDirect(i64),
    /// A direct emit on a stream nobody subscribes to.
    DirectWithoutSubscribers(String),
    /// The value count differs from the declared fields.
    Arity {
        /// Declared field count.
        expected: usize,
        /// Values emitted.
        got: usize,
    },
    /// The values are not a JSON array, or a selected value is unparseable.
    BadValues(String),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::UnknownStream(s) => write!(f, "Unknown stream ID: {s:?} (not declared)"),
            RouteError::RegularEmitToDirect(s) => {
                write!(f, "Cannot do regular emit to direct stream {s:?}")
            }
            RouteError::DirectToNonDirect(t) => write!(
                f,
                "direct emit to task {t}, whose component does not subscribe with a direct grouping"
            ),
            RouteError::DirectWithoutSubscribers(s) => {
                write!(f, "direct emit on stream {s:?}, which has no subscribers")
            }
            RouteError::Arity { expected, got } => write!(
                f,
                "tuple has {got} values but the stream declares {expected} fields"
            ),
            RouteError::BadValues(e) => write!(f, "bad tuple values: {e}"),
        }
    }
}

impl Routes {
    /// Builds the routing table; custom groupings cannot run locally.
    pub fn build(
        topology: &Topology,
        plan: &TaskPlan,
        rng: &mut Rng,
        int_rule: IntRule,
    ) -> Result<Routes, RouteSetupError> {
        let mut by_component: HashMap<String, HashMap<String, StreamRoute>> = HashMap::new();
        for c in &topology.components {
            let m = by_component.entry(c.id.clone()).or_default();
            for (s, def) in &c.outputs {
                m.insert(
                    s.clone(),
                    StreamRoute {
                        fields: def.fields.clone(),
                        ..Default::default()
                    },
                );
            }
        }
        for c in &topology.components {
            for inp in &c.inputs {
                let route = by_component
                    .get_mut(&inp.source)
                    .and_then(|m| m.get_mut(&inp.stream))
                    .ok_or_else(|| {
                        RouteSetupError(format!(
                            "component `{}` subscribes to undeclared stream `{}` of `{}`",
                            c.id, inp.stream, inp.source
                        ))
                    })?;
                let tasks = plan.tasks_of(&c.id).to_vec();
                let chooser = match &inp.grouping {
                    Grouping::Shuffle | Grouping::LocalOrShuffle => {
                        let mut perm: Vec<usize> = (0..tasks.len()).collect();
                        rng.shuffle(&mut perm);
                        Chooser::Shuffle { perm, pos: 0 }
                    }
                    Grouping::Fields(fs) => {
                        let mut idx = Vec::with_capacity(fs.len());
                        for f in fs {
                            let i = route.fields.iter().position(|x| x == f).ok_or_else(|| {
                                RouteSetupError(format!(
                                    "component `{}` groups on field `{f}`, which stream `{}` of `{}` does not declare",
                                    c.id, inp.stream, inp.source
                                ))
                            })?;
                            idx.push(i);
                        }
                        Chooser::Fields(idx)
                    }
                    Grouping::Global => Chooser::Global,
                    Grouping::All => Chooser::All,
                    Grouping::None => Chooser::None,
                    Grouping::Direct => {
                        route.has_direct = true;
                        Chooser::Direct
                    }
                    Grouping::Custom(class) => {
                        return Err(RouteSetupError(format!(
                            "component `{}` uses the custom Java grouping `{class}`, which `sparse run` cannot execute",
                            c.id
                        )));
                    }
                };
                route.targets.push(Target {
                    component: c.id.clone(),
                    tasks,
                    chooser,
                });
            }
        }
        Ok(Routes {
            by_component,
            int_rule,
        })
    }

    /// The route of a component's stream.
    pub fn get(&self, component: &str, stream: &str) -> Option<&StreamRoute> {
        self.by_component.get(component)?.get(stream)
    }

    /// Destination tasks of an emit, appended to `out` in subscriber order.
    ///
    /// `direct` is the emit's `task` (None for a normal emit). `values` is the raw JSON
    /// array. A direct emit to a task that does not subscribe is dropped (empty `out`).
    pub fn route(
        &mut self,
        component: &str,
        stream: &str,
        values: &RawValue,
        direct: Option<i64>,
        rng: &mut Rng,
        out: &mut Vec<i64>,
    ) -> Result<(), RouteError> {
        let int_rule = self.int_rule;
        let route = self
            .by_component
            .get_mut(component)
            .and_then(|m| m.get_mut(stream))
            .ok_or_else(|| RouteError::UnknownStream(stream.to_string()))?;
        // The local-mode arity check needs the value count: split, do not parse.
        let items: Vec<&RawValue> =
            serde_json::from_str(values.get()).map_err(|e| RouteError::BadValues(e.to_string()))?;
        if items.len() != route.fields.len() {
            return Err(RouteError::Arity {
                expected: route.fields.len(),
                got: items.len(),
            });
        }
        if let Some(task) = direct {
            if route.targets.is_empty() {
                return Err(RouteError::DirectWithoutSubscribers(stream.to_string()));
            }
            for t in &route.targets {
                if t.tasks.binary_search(&task).is_ok() {
                    if !matches!(t.chooser, Chooser::Direct) {
                        return Err(RouteError::DirectToNonDirect(task));
                    }
                    out.push(task);
                }
            }
            return Ok(());
        }
        if route.has_direct {
            return Err(RouteError::RegularEmitToDirect(stream.to_string()));
        }
        for t in &mut route.targets {
            let n = t.tasks.len();
            if n == 0 {
                continue;
            }
            match &mut t.chooser {
                Chooser::Shuffle { perm, pos } => {
                    out.push(t.tasks[perm[*pos]]);
                    *pos += 1;
                    if *pos == n {
                        *pos = 0;
                    }
                }
                Chooser::Fields(idx) => {
                    let mut sel = Vec::with_capacity(idx.len());
                    for &i in idx.iter() {
                        let v: Value = serde_json::from_str(items[i].get())
                            .map_err(|e| RouteError::BadValues(e.to_string()))?;
                        sel.push(v);
                    }
                    out.push(t.tasks[choose_index(list_hash(sel.iter(), int_rule), n)]);
                }
                Chooser::Global => out.push(t.tasks[0]),
                Chooser::All => out.extend_from_slice(&t.tasks),
                Chooser::None => out.push(t.tasks[rng.below(n)]),
                Chooser::Direct => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::assign_task_ids;
    use serde_json::Map;
    use sparse_topology::model::{Component, ComponentKind, Exec, Input, StreamDef};
    use std::collections::BTreeMap;

    fn topo(groupings: Vec<(&str, Grouping, u32)>) -> Topology {
        let mut outputs = BTreeMap::new();
        outputs.insert(
            "default".into(),
            StreamDef {
                fields: vec!["w".into(), "n".into()],
                direct: false,
            },
        );
        let mut comps = vec![Component {
            id: "src".into(),
            kind: ComponentKind::Spout,
            exec: Exec::Shell { command: vec![] },
            parallelism: 1,
            num_tasks: 1,
            outputs,
            inputs: vec![],
            conf: Map::new(),
            span: None,
        }];
        for (id, g, n) in groupings {
            comps.push(Component {
                id: id.into(),
                kind: ComponentKind::Bolt,
                exec: Exec::Shell { command: vec![] },
                parallelism: n,
                num_tasks: n,
                outputs: BTreeMap::new(),
                inputs: vec![Input {
                    source: "src".into(),
                    stream: "default".into(),
                    grouping: g,
                }],
                conf: Map::new(),
                span: None,
            });
        }
        Topology {
            name: "t".into(),
            jvm_objects: Vec::new(),
            conf: Map::new(),
            components: comps,
        }
    }

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    fn route(
        r: &mut Routes,
        rng: &mut Rng,
        vals: &str,
        direct: Option<i64>,
    ) -> Result<Vec<i64>, RouteError> {
        let mut out = Vec::new();
        r.route("src", "default", &raw(vals), direct, rng, &mut out)?;
        Ok(out)
    }

    #[test]
    fn fields_grouping_follows_java_hash_over_sorted_tasks() {
        // "f" has 4 tasks, ids 1..=4 ("f" < "src").
        let t = topo(vec![("f", Grouping::Fields(vec!["w".into()]), 4)]);
        let plan = assign_task_ids(&t, 0);
        assert_eq!(plan.tasks_of("f"), [1, 2, 3, 4]);
        let mut rng = Rng::seeded(1);
        let mut r = Routes::build(&t, &plan, &mut rng, IntRule::IntegerWhenFits).unwrap();
        // Reference vectors, index for n = 4: apple 1, the 0, snow 2, héllo 1, 😀 2, -1 → 2.
        for (w, idx) in [
            ("\"apple\"", 1),
            ("\"the\"", 0),
            ("\"snow\"", 2),
            ("\"héllo\"", 1),
            ("\"😀\"", 2),
            ("-1", 2),
            ("true", 2),
            ("false", 0),
            ("null", 3),
            ("1.5", 3),
            ("[1,2]", 1),
            ("{\"k\":1}", 1),
        ] {
            let got = route(&mut r, &mut rng, &format!("[{w}, 0]"), None).unwrap();
            assert_eq!(got, [idx as i64 + 1], "{w}");
        }
        let mut r = Routes::build(&t, &plan, &mut rng, IntRule::AlwaysLong).unwrap();
        assert_eq!(route(&mut r, &mut rng, "[-1, 0]", None).unwrap(), [4]);
    }

    #[test]
    fn shuffle_is_balanced_global_lowest_all_every_task() {
        let t = topo(vec![
            ("a", Grouping::Shuffle, 3),
            ("b", Grouping::Global, 2),
            ("c", Grouping::All, 2),
            ("d", Grouping::None, 2),
        ]);
        let plan = assign_task_ids(&t, 1);
        let mut rng = Rng::seeded(7);
        let mut r = Routes::build(&t, &plan, &mut rng, IntRule::default()).unwrap();
        let mut counts = HashMap::new();
        for _ in 0..300 {
            let out = route(&mut r, &mut rng, r#"["x",1]"#, None).unwrap();
            assert_eq!(out.len(), 1 + 1 + 2 + 1);
            *counts.entry(out[0]).or_insert(0) += 1;
            assert_eq!(out[1], plan.tasks_of("b")[0]);
            assert_eq!(&out[2..4], plan.tasks_of("c"));
            assert!(plan.tasks_of("d").contains(&out[4]));
        }
        assert_eq!(counts.len(), 3);
        assert!(counts.values().all(|&c| c == 100), "{counts:?}");
    }

    #[test]
    fn emit_rules() {
        let t = topo(vec![
            ("a", Grouping::Shuffle, 1),
            ("z", Grouping::Direct, 2),
        ]);
        let plan = assign_task_ids(&t, 0);
        let mut rng = Rng::seeded(3);
        let mut r = Routes::build(&t, &plan, &mut rng, IntRule::default()).unwrap();
        assert_eq!(
            route(&mut r, &mut rng, r#"["x",1]"#, None),
            Err(RouteError::RegularEmitToDirect("default".into()))
        );
        let z = plan.tasks_of("z")[1];
        assert_eq!(route(&mut r, &mut rng, r#"["x",1]"#, Some(z)).unwrap(), [z]);
        let a = plan.tasks_of("a")[0];
        assert_eq!(
            route(&mut r, &mut rng, r#"["x",1]"#, Some(a)),
            Err(RouteError::DirectToNonDirect(a))
        );
        // A task that subscribes to nothing (the source itself) or does not exist: dropped.
        assert_eq!(
            route(&mut r, &mut rng, r#"["x",1]"#, Some(99)).unwrap(),
            Vec::<i64>::new()
        );
        assert_eq!(
            route(&mut r, &mut rng, r#"["x"]"#, Some(z)),
            Err(RouteError::Arity {
                expected: 2,
                got: 1
            })
        );
        let mut out = Vec::new();
        assert_eq!(
            r.route("src", "nope", &raw("[]"), None, &mut rng, &mut out),
            Err(RouteError::UnknownStream("nope".into()))
        );
        let t = topo(vec![]);
        let mut r =
            Routes::build(&t, &assign_task_ids(&t, 0), &mut rng, IntRule::default()).unwrap();
        assert_eq!(
            route(&mut r, &mut rng, r#"["x",1]"#, None).unwrap(),
            Vec::<i64>::new()
        );
        assert_eq!(
            route(&mut r, &mut rng, r#"["x",1]"#, Some(1)),
            Err(RouteError::DirectWithoutSubscribers("default".into()))
        );
    }
}
