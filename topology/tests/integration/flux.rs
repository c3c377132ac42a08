use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sparse_topology::flux::{load_str, to_yaml};
use sparse_topology::model::{
    Component, ComponentKind, Exec, Grouping, Input, JvmDef, StreamDef, Topology,
};
use sparse_topology::without_spans;

use crate::{load_ok, repo_root};

#[test]
fn wordcount_clj_equals_wordcount_yaml() {
    let clj = load_ok(&repo_root().join("topologies/wordcount.clj"));
    let yaml = load_ok(&repo_root().join("topologies/wordcount.yaml"));
    assert_eq!(without_spans(&clj), without_spans(&yaml));
    let span = yaml
        .component("word-counter")
        .unwrap()
        .span
        .clone()
        .unwrap();
    assert_eq!((span.line, span.col), (21, 9));
}

#[test]
fn reference_example_loads_with_every_feature() {
    let src = r#"
name: "wordcount-multilang"
config:
  topology.workers: 1
  topology.max.spout.pending: 1000
spouts:
  - id: "sentences"
    className: "org.apache.storm.flux.wrappers.spouts.FluxShellSpout"
    constructorArgs:
      - ["python3", "sentence_spout.py"]
      - ["sentence"]
    parallelism: 1
bolts:
  - id: "split"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs:
      - ["python3", "split_bolt.py"]
      - ["word"]
    configMethods:
      - name: "setNamedStream"
        args: ["other", ["word"]]
      - name: "setNamedStream"
        args: ["more", ["word"]]
    parallelism: 2
  - id: "count"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs:
      - ["python3", "count_bolt.py"]
    configMethods:
      - name: "setDefaultStream"
        args:
          - ["word", "count"]
      - name: "setNamedStream"
        args:
          - "rejects"
          - ["word", "reason"]
      - name: "addComponentConfig"
        args: ["topology.tick.tuple.freq.secs", 10]
    parallelism: 2
    numTasks: 4
  - id: "reject-log"
    className: "org.apache.storm.flux.wrappers.bolts.LogInfoBolt"
    parallelism: 1
streams:
  - name: "sentences --> split"
    from: "sentences"
    to: "split"
    grouping:
      type: SHUFFLE
  - from: "split"
    to: "count"
    grouping:
      type: FIELDS
      args: ["word"]
  - from: "count"
    to: "reject-log"
    grouping:
      type: GLOBAL
      streamId: "rejects"
  - from: "count"
    to: "reject-log"
    grouping:
      type: CUSTOM
      customClass:
        className: "org.example.MyGrouping"
  - from: "split"
    to: "reject-log"
    grouping: {type: LOCAL_OR_SHUFFLE}
  - from: "sentences"
    to: "reject-log"
    grouping: {type: ALL}
  - from: "split"
    to: "reject-log"
    grouping: {type: NONE, streamId: "other"}
  - from: "split"
    to: "reject-log"
    grouping: {type: DIRECT, streamId: "more"}
"#;
    let t = load_str(src, Path::new("multilang.yaml")).unwrap();
    assert_eq!(t.name, "wordcount-multilang");
    assert_eq!(t.conf["topology.max.spout.pending"], json!(1000));
    let count = t.component("count").unwrap();
    assert_eq!((count.parallelism, count.num_tasks), (2, 4));
    assert_eq!(count.outputs["rejects"].fields, ["word", "reason"]);
    assert_eq!(count.conf["topology.tick.tuple.freq.secs"], json!(10));
    let log = t.component("reject-log").unwrap();
    assert_eq!(
        log.exec,
        Exec::Java(JvmDef::new(
            "org.apache.storm.flux.wrappers.bolts.LogInfoBolt"
        ))
    );
    let groupings: Vec<&Grouping> = log.inputs.iter().map(|i| &i.grouping).collect();
    assert_eq!(
        groupings,
        [
            &Grouping::Global,
            &Grouping::Custom("org.example.MyGrouping".into()),
            &Grouping::LocalOrShuffle,
            &Grouping::All,
            &Grouping::None,
            &Grouping::Direct
        ]
    );
    assert_eq!(log.inputs[0].stream, "rejects");
    // The direct subscription is to a non-direct stream: a validation error, not a load error.
    let errors = sparse_topology::validate::validate(&t);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("direct grouping"));
    let blockers = sparse_topology::validate::local_blockers(&t);
    assert_eq!(blockers.len(), 2, "{blockers:?}");
    // And it survives a write/read round trip... except the direct grouping is fine to write.
    let back = load_str(&to_yaml(&t).unwrap(), Path::new("x.yaml")).unwrap();
    assert_eq!(without_spans(&back), without_spans(&t));
}

#[test]
fn direct_streams_cannot_be_written() {
    let t = load_ok(&crate::corpus("shell-and-direct.clj"));
    let e = to_yaml(&t).unwrap_err();
    assert!(e.to_string().contains("stream `ctl` is direct"), "{e}");
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.:-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,10}",
        Just("true".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("1".to_string()),
        Just("1.5".to_string()),
        Just("".to_string()),
        Just("- a".to_string()),
        Just("a: b".to_string()),
        Just("#x".to_string()),
        Just("é ✓".to_string()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1000i32..1000).prop_map(|n| Value::from(f64::from(n) / 4.0 + 0.25)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(ident(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn conf() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(ident(), value(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn grouping() -> impl Strategy<Value = Grouping> {
    prop_oneof![
        Just(Grouping::Shuffle),
        Just(Grouping::LocalOrShuffle),
        Just(Grouping::Global),
        Just(Grouping::All),
        Just(Grouping::None),
        Just(Grouping::Direct),
        prop::collection::vec(ident(), 0..3).prop_map(Grouping::Fields),
        ident().prop_map(Grouping::Custom),
    ]
}

fn component(kind: ComponentKind) -> impl Strategy<Value = Component> {
    let exec = prop_oneof![
        prop::collection::vec(text(), 0..4).prop_map(|command| Exec::Shell { command }),
        (ident(), prop::collection::vec(value(), 0..3)).prop_map(
            |(class_name, constructor_args)| {
                Exec::Java(JvmDef {
                    class_name,
                    constructor_args,
                    ..JvmDef::default()
                })
            }
        ),
    ];
    let outputs = prop::collection::btree_map(
        prop_oneof![Just("default".to_string()), ident()],
        prop::collection::vec(text(), 0..3).prop_map(|fields| StreamDef {
            fields,
            direct: false,
        }),
        0..3,
    );
    // One input per (source, stream), as Storm keeps them (the reader merges repeats).
    let inputs = prop::collection::btree_map(
        (ident(), prop_oneof![Just("default".to_string()), ident()]),
        grouping(),
        if kind == ComponentKind::Bolt {
            0..4
        } else {
            0..1
        },
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|((source, stream), grouping)| Input {
                source,
                stream,
                grouping,
            })
            .collect::<Vec<_>>()
    });
    (
        ident(),
        exec,
        0u32..5,
        prop::option::of(0u32..9),
        outputs,
        inputs,
        conf(),
    )
        .prop_map(
            move |(id, exec, parallelism, tasks, outputs, inputs, conf)| Component {
                id,
                kind,
                exec: exec.clone(),
                parallelism,
                num_tasks: tasks.unwrap_or(parallelism),
                outputs,
                inputs,
                // Flux has no per-component conf for a JVM class (`to_yaml` refuses it).
                conf: if matches!(exec, Exec::Java(_)) {
                    Map::new()
                } else {
                    conf
                },
                span: None,
            },
        )
}

fn topology() -> impl Strategy<Value = Topology> {
    (
        ident(),
        conf(),
        prop::collection::vec(component(ComponentKind::Spout), 0..3),
        prop::collection::btree_map(ident(), component(ComponentKind::Bolt), 0..4),
    )
        .prop_map(|(name, conf, spouts, bolts)| {
            // Bolt ids are unique (a stream's `to` must name one bolt); spouts come first,
            // as the Flux reader orders them.
            let mut components = spouts;
            components.retain(|s| !bolts.contains_key(&s.id));
            components.extend(bolts.into_iter().map(|(id, mut b)| {
                b.id = id;
                b
            }));
            Topology {
                name,
                conf,
                jvm_objects: Vec::new(),
                components,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn flux_round_trip_is_identity(t in topology()) {
        let yaml = to_yaml(&t).unwrap();
        let back = load_str(&yaml, Path::new("rt.yaml"))
            .map_err(|e| TestCaseError::fail(format!("{e}\n---\n{yaml}")))?;
        prop_assert_eq!(without_spans(&back), t, "yaml:\n{}", yaml);
    }
}

#[test]
fn empty_outputs_map_round_trips() {
    let t = Topology {
        name: "x".into(),
        jvm_objects: Vec::new(),
        conf: Map::new(),
        components: vec![Component {
            id: "s".into(),
            kind: ComponentKind::Spout,
            exec: Exec::Shell {
                command: vec!["a".into()],
            },
            parallelism: 1,
            num_tasks: 1,
            outputs: BTreeMap::new(),
            inputs: vec![],
            conf: Map::new(),
            span: None,
        }],
    };
    let back = load_str(&to_yaml(&t).unwrap(), Path::new("x.yaml")).unwrap();
    assert_eq!(without_spans(&back), t);
}

/// Two stream entries for the same bolt, source and stream: Flux calls the same
/// `BoltDeclarer` for each, whose inputs are a map keyed by `GlobalStreamId`, so the last
/// one replaces the first. Sparse keeps one input too (with the last grouping) and warns.
#[test]
fn a_stream_declared_twice_gives_one_input_with_the_last_grouping() {
    let src = r#"spouts:
  - id: "s"
    className: "org.apache.storm.flux.wrappers.spouts.FluxShellSpout"
    constructorArgs: [["python3", "s.py"], ["w"]]
bolts:
  - id: "b"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs: [["python3", "b.py"], []]
  - id: "c"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs: [["python3", "c.py"], []]
streams:
  - from: "s"
    to: "b"
    grouping: {type: SHUFFLE}
  - from: "s"
    to: "c"
    grouping: {type: SHUFFLE}
  - from: "s"
    to: "b"
    grouping: {type: FIELDS, args: ["w"], streamId: "default"}
  - from: "s"
    to: "c"
    grouping: {type: SHUFFLE}
"#;
    let loaded = sparse_topology::flux::load_str_with_warnings(src, Path::new("dup.yaml")).unwrap();
    let t = &loaded.topology;
    let one = |grouping| {
        vec![Input {
            source: "s".into(),
            stream: "default".into(),
            grouping,
        }]
    };
    assert_eq!(
        t.component("b").unwrap().inputs,
        one(Grouping::Fields(vec!["w".into()]))
    );
    assert_eq!(t.component("c").unwrap().inputs, one(Grouping::Shuffle));
    let w: Vec<String> = loaded.warnings.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        w,
        [
            "dup.yaml:19:11: component `b`: input from `s` stream `default` declared again \
             (earlier at dup.yaml:13:11 with shuffle grouping, here with fields(w)): Storm keeps \
             one input per component and stream, the last declared, so `b` gets each tuple \
             once, by fields(w)",
            "dup.yaml:22:11: component `c`: input from `s` stream `default` declared again \
             (earlier at dup.yaml:16:11 with shuffle grouping, here with shuffle): Storm keeps \
             one input per component and stream, the last declared, so `c` gets each tuple \
             once, by shuffle",
        ],
        "{w:#?}"
    );
    assert_eq!(&load_str(src, Path::new("dup.yaml")).unwrap(), t);
}
