//! JVM spouts, bolts and objects in topologies: the DSL's `jvm-*-spec`/`jvm-object` forms
//! and Flux's `components:`/`className`/`properties` read to the same model, streams
//! declared for JVM components are validated like any other, references are checked, and
//! Flux YAML written for the jar reads back the same.

use std::path::Path;

use serde_json::json;
use sparse_topology::flux::{load_str as load_yaml, to_yaml};
use sparse_topology::model::{Exec, JvmCall};
use sparse_topology::validate::validate;
use sparse_topology::{clj, without_spans};

use crate::{load_ok, repo_root};

#[test]
fn kafka_wordcount_is_the_same_in_both_formats() {
    let a = load_ok(&repo_root().join("topologies/kafka_wordcount.clj"));
    let b = load_ok(&repo_root().join("topologies/kafka_wordcount.yaml"));
    assert_eq!(without_spans(&a), without_spans(&b));
    assert!(validate(&a).is_empty(), "{:?}", validate(&a));
    assert_eq!(a.jvm_objects.len(), 2);
    let builder = &a.jvm_objects[0].def;
    assert_eq!(
        builder.class_name,
        "org.apache.storm.kafka.spout.KafkaSpoutConfig$Builder"
    );
    assert_eq!(
        builder.constructor_args,
        [json!("127.0.0.1:9092"), json!(["sentences"])]
    );
    assert_eq!(
        builder.config_methods[0],
        JvmCall {
            name: "setProp".into(),
            args: vec![json!("group.id"), json!("kafka-wordcount")]
        }
    );
    let Exec::Java(spout) = &a.component("kafka-spout").unwrap().exec else {
        panic!("the spout is a JVM component");
    };
    assert_eq!(spout.constructor_args, [json!({"ref": "kafka-config"})]);
    assert_eq!(
        a.component("kafka-spout").unwrap().outputs["default"].fields,
        ["topic", "partition", "offset", "key", "value"]
    );
    // Written for the jar and read back: the same topology.
    let yaml = to_yaml(&a).unwrap();
    assert!(yaml.contains("sparse.jvm.outputs"), "{yaml}");
    assert!(yaml.contains("ref: kafka-config"), "{yaml}");
    let back = load_yaml(&yaml, Path::new("x.yaml")).unwrap();
    assert_eq!(without_spans(&back), without_spans(&a));
}

const HEAD: &str = "(ns t (:use [streamparse.specs]))\n";

fn dsl(body: &str) -> Result<sparse_topology::model::Topology, String> {
    clj::load_str(&format!("{HEAD}{body}"), Path::new("t.clj")).map_err(|e| e.to_string())
}

#[test]
fn fields_grouping_on_a_jvm_stream_is_checked() {
    let t = dsl(r#"(defn t [options]
  [{"s" (jvm-spout-spec {:class "org.example.S"} ["topic" "value"])}
   {"b" (rust-bolt-spec options {"s" ["sentence"]} "wordcount::SentenceSplitter" ["word"])}])"#)
    .unwrap();
    let errs: Vec<String> = validate(&t).iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("fields grouping on `sentence`") && errs[0].contains("topic, value"),
        "{errs:?}"
    );
}

#[test]
fn a_jvm_component_without_declared_streams_is_explained() {
    let yaml = r#"
spouts:
  - id: "s"
    className: "org.apache.storm.testing.TestWordSpout"
bolts:
  - id: "b"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs: [["sparse-host", "--component", "wordcount::WordCounter"]]
streams:
  - from: "s"
    to: "b"
    grouping: {type: FIELDS, args: ["word"]}
"#;
    let t = load_yaml(yaml, Path::new("t.yaml")).unwrap();
    let errs: Vec<String> = validate(&t).iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("declares no stream `default`"), "{errs:?}");
    assert!(errs[0].contains("sparse.jvm.outputs"), "{errs:?}");
    // Declared in the config entry: valid.
    let fixed = format!("config:\n  sparse.jvm.outputs: {{s: {{default: [word]}}}}\n{yaml}");
    let t = load_yaml(&fixed, Path::new("t.yaml")).unwrap();
    assert!(validate(&t).is_empty(), "{:?}", validate(&t));
    assert!(
        t.conf.is_empty(),
        "the entry is read, not passed on: {:?}",
        t.conf
    );
}

#[test]
fn references_must_name_earlier_objects() {
    let t = dsl(r#"(jvm-object "a" {:class "A" :args [(ref "b")]})
(jvm-object "b" {:class "B" :properties {"x" (reflist "a" "nope")}})
(defn t [options]
  [{"s" (jvm-spout-spec {:class "S" :args [(ref "zzz")]} ["v"])}
   {"b" (rust-bolt-spec options {"s" :shuffle} "wordcount::WordCounter" ["word" "count"])}])"#)
    .unwrap();
    let errs: Vec<String> = validate(&t).iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].contains("`b`, which is declared later"), "{errs:?}");
    assert!(
        errs[1].contains("property `x`") && errs[1].contains("`nope`, unknown"),
        "{errs:?}"
    );
    assert!(
        errs[2].contains("component `s`") && errs[2].contains("`zzz`, unknown (declared: a, b)"),
        "{errs:?}"
    );
}

#[test]
fn dsl_mistakes_in_jvm_forms_are_located() {
    let cases = [
        (
            r#"(defn t [options] [{"s" (jvm-spout-spec {:args []} ["v"])} {}])"#,
            "has no `:class",
        ),
        (
            r#"(defn t [options] [{"s" (jvm-spout-spec {:class "S" :colour 1} ["v"])} {}])"#,
            "unknown JVM definition key `:colour`",
        ),
        (
            r#"(defn t [options] [{"s" (jvm-spout-spec options {:class "S"} ["v"])} {}])"#,
            "takes no options argument",
        ),
        (
            r#"(defn t [options] [{"s" (jvm-spout-spec {:class "S"} ["v"] :conf {"a" 1})} {}])"#,
            "`:conf` is not available for a JVM component",
        ),
        (
            r#"(defn t [options] [{"s" (jvm-spout-spec {:class "S" :args [(ref 1)]} ["v"])} {}])"#,
            "`ref` takes one JVM object id string",
        ),
        (
            r#"(jvm-object "x")
(defn t [options] [{} {}])"#,
            "`jvm-object` takes an id string and a definition",
        ),
    ];
    for (src, want) in cases {
        let e = dsl(src).unwrap_err();
        assert!(e.contains(want), "{src}\n=> {e}");
        assert!(e.contains("t.clj:"), "located: {e}");
    }
}

#[test]
fn flux_properties_and_unknown_output_entries() {
    let yaml = r#"
config:
  sparse.jvm.outputs: {ghost: {default: [x]}}
components:
  - id: "cfg"
    className: "C"
    properties:
      - {name: "p", value: 1, ref: "q"}
spouts:
  - id: "s"
    className: "S"
"#;
    let e = load_yaml(yaml, Path::new("t.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("property `p` needs exactly one of `value` and `ref`"),
        "{e}"
    );
    assert!(e.contains("names unknown component `ghost`"), "{e}");
}

/// Flux's `factory`/`factoryArgs` (a public static method builds the object): the DSL's
/// `:factory`/`:factory-args` and the YAML read to the same model, references in factory
/// arguments are checked, and the YAML written back keeps them.
#[test]
fn factory_components_in_both_formats() {
    let t = dsl(
        r#"(jvm-object "cfg" {:class "org.example.Conf" :factory "defaults"})
(defn t [options]
  [{"s" (jvm-spout-spec {:class "org.example.Spout" :factory "of"
                         :factory-args [(ref "cfg") 3]} ["v"])}
   {"b" (rust-bolt-spec options {"s" :shuffle} "wordcount::WordCounter" ["word" "count"])}])"#,
    )
    .unwrap();
    assert!(validate(&t).is_empty(), "{:?}", validate(&t));
    let Exec::Java(spout) = &t.component("s").unwrap().exec else {
        panic!("a JVM spout");
    };
    assert_eq!(spout.factory.as_deref(), Some("of"));
    assert_eq!(spout.factory_args, [json!({"ref": "cfg"}), json!(3)]);
    assert!(spout.constructor_args.is_empty());
    let yaml = to_yaml(&t).unwrap();
    assert!(yaml.contains("factory: of"), "{yaml}");
    assert!(yaml.contains("factoryArgs:"), "{yaml}");
    assert!(yaml.contains("factory: defaults"), "{yaml}");
    let back = load_yaml(&yaml, Path::new("x.yaml")).unwrap();
    assert_eq!(without_spans(&back), without_spans(&t));

    // Factory arguments' references are checked like constructor arguments'.
    let t = dsl(r#"(defn t [options]
  [{"s" (jvm-spout-spec {:class "S" :factory "of" :factory-args [(ref "nope")]} ["v"])} {}])"#)
    .unwrap();
    let errs: Vec<String> = validate(&t).iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("factory argument 1") && errs[0].contains("`nope`"),
        "{errs:?}"
    );
}

/// What Flux 2.8 would silently not do is an error: with constructor arguments it calls the
/// constructor and ignores `factory`; `factoryArgs` alone are ignored. A shell wrapper with a
/// factory is refused when read.
#[test]
fn factory_mistakes_are_reported() {
    let yaml = r#"
config:
  sparse.jvm.outputs: {s: {default: [v]}, t: {default: [v]}}
components:
  - id: "c"
    className: "C"
    factoryArgs: [1]
spouts:
  - id: "s"
    className: "S"
    constructorArgs: [1]
    factory: "of"
  - id: "t"
    className: "T"
    factory: " "
"#;
    let t = load_yaml(yaml, Path::new("t.yaml")).unwrap();
    let errs: Vec<String> = validate(&t).iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].contains("JVM object `c`")
            && errs[0].contains("factory arguments without a factory"),
        "{errs:?}"
    );
    assert!(
        errs[1].contains("`s`")
            && errs[1].contains("Flux would call the constructor and ignore the factory"),
        "{errs:?}"
    );
    assert!(errs[2].contains("factory method name is empty"), "{errs:?}");
    assert!(errs.iter().all(|e| e.contains("t.yaml:")), "{errs:?}");

    let shell = r#"
spouts:
  - id: "s"
    className: "org.apache.storm.flux.wrappers.spouts.FluxShellSpout"
    constructorArgs: [["sparse-host"], ["v"]]
    factory: "of"
"#;
    let e = load_yaml(shell, Path::new("t.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`factory`/`factoryArgs` are not supported"),
        "{e}"
    );

    let e = dsl(r#"(defn t [options] [{"s" (jvm-spout-spec {:class "S" :factory 1} ["v"])} {}])"#)
        .unwrap_err();
    assert!(
        e.contains("`:factory` must name a public static method"),
        "{e}"
    );
}
