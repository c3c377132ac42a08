use sparse_topology::validate::validate;

use crate::clj;

fn messages(src: &str) -> Vec<String> {
    let t = clj(src).unwrap_or_else(|e| panic!("{e}"));
    validate(&t).iter().map(|d| d.to_string()).collect()
}

#[test]
fn every_rule_is_reported_at_once() {
    let src = r#"(defn t [options]
  [{"__sys" (rust-spout-spec options "a::A" ["f" "g"] :p 0)
    "s" (rust-spout-spec options "a::S" {"default" ["f"] "d" (direct-stream ["x"])})}
   {"s" (rust-bolt-spec options {"__sys" :shuffle} "a::B" [])
    "b1" (rust-bolt-spec options {"ghost" :shuffle} "a::B" [])
    "b2" (rust-bolt-spec options {["s" "nope"] :shuffle} "a::B" [])
    "b3" (rust-bolt-spec options {"s" ["f" "x" "zz"]} "a::B" [])
    "b4" (rust-bolt-spec options {"s" :direct ["s" "d"] :direct} "a::B" [])
    "b5" (rust-bolt-spec options {} "a::B" ["k" "k"])}])"#;
    let m = messages(src);
    let expect = [
        "test.clj:2:5: component `__sys`: ids starting with `__` are reserved",
        "component `__sys`: parallelism must be at least 1",
        "component `__sys`: num_tasks is 0",
        "test.clj:4:5: component `s`: duplicate component id",
        "component `b1`: input from `ghost` stream `default`: unknown component `ghost`",
        "component `b2`: input from `s` stream `nope`: `s` declares no stream `nope` (declared: d, default)",
        "component `b3`: input from `s` stream `default`: fields grouping on `zz`, which stream `default` of `s` does not declare (its fields: f)",
        "component `b3`: input from `s` stream `default`: fields grouping on `x`, which stream `default` of `s` does not declare (its fields: f); `x` is a field of stream `d`: Storm accepts this at submit, then the worker fails at the first tuple",
        "component `b4`: input from `s` stream `default`: direct grouping on a stream that is not declared direct",
        "component `b5`: stream `default` declares field `k` twice",
        "component `b5`: bolt has no inputs",
    ];
    for e in expect {
        assert!(m.iter().any(|m| m.contains(e)), "missing {e:?} in {m:#?}");
    }
    // The message lists the subscribed stream's fields, not every stream's.
    let zz = m.iter().find(|m| m.contains("grouping on `zz`")).unwrap();
    assert!(zz.ends_with("(its fields: f)"), "{zz}");
    assert_eq!(m.len(), expect.len(), "{m:#?}");
}

#[test]
fn valid_topologies_have_no_errors() {
    let m = messages(
        r#"(defn t [options] [{"s" (rust-spout-spec options "a::S" ["f"])}
                               {"b" (rust-bolt-spec options {"s" ["f"] "b" :shuffle} "a::B" ["f"])}])"#,
    );
    assert!(m.is_empty(), "{m:#?}");
}

/// The readers merge repeated subscriptions; a model built in code that still has two inputs
/// for one (component, stream) is refused, since Storm cannot represent it and the runner
/// would deliver every tuple twice.
#[test]
fn two_inputs_for_one_stream_are_an_error_in_a_model_built_in_code() {
    let mut t = clj(r#"(defn t [options] [{"s" (rust-spout-spec options "a::S" ["f"])}
                                          {"b" (rust-bolt-spec options {"s" :shuffle} "a::B" [])}])"#)
    .unwrap();
    let b = t.components.iter_mut().find(|c| c.id == "b").unwrap();
    let mut again = b.inputs[0].clone();
    again.grouping = sparse_topology::model::Grouping::All;
    b.inputs.push(again);
    let m: Vec<String> = validate(&t).iter().map(|d| d.to_string()).collect();
    assert_eq!(
        m,
        [
            "test.clj:2:44: component `b`: input from `s` stream `default`: subscribed 2 times \
          (shuffle, all); Storm keeps one input per component and stream"
        ],
        "{m:#?}"
    );
}
