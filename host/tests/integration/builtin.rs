//! The built-in `sparse::FixedTuples` spout, driven through the plugin API's test harness.
//!
//! These live here rather than as unit tests of the host library: the harness installs
//! the plugin API's log forwarder as the process-wide logger, and the library's unit tests
//! own that slot (`logging::tests::the_global_logger_is_installed_once`).

use plugin_api::testkit::Recorded;
use plugin_api::testkit::{HarnessConfig, SpoutHarness};
use plugin_api::{fields, stream};
use serde_json::{Value, json};
use sparse_host::builtin::{FIXED_TUPLES_KEY, FixedTuples};

fn harness(rows: Value) -> Result<SpoutHarness<FixedTuples>, plugin_api::testkit::Failure> {
    let mut cfg = HarnessConfig {
        component: Some("words".into()),
        outputs: Some(vec![fields(&["word", "n"]), stream("errors", &["msg"])]),
        ..HarnessConfig::default()
    };
    cfg.conf.insert(FIXED_TUPLES_KEY.into(), rows);
    SpoutHarness::with_config(cfg)
}

#[test]
fn emits_each_row_once_reliably_then_nothing() {
    let mut s = harness(json!([["a", 1], ["b", 2]])).unwrap();
    for _ in 0..4 {
        s.next_tuple().unwrap();
    }
    s.fail(json!(0)).unwrap();
    s.next_tuple().unwrap();
    assert_eq!(
        s.emits(),
        [
            (Some(json!(0)), json!(["a", 1])),
            (Some(json!(1)), json!(["b", 2]))
        ]
    );
}

#[test]
fn a_row_may_name_its_stream() {
    let mut s = harness(json!([
        ["a", 1],
        {"stream": "errors", "values": ["bad input"]},
        ["b", 2]
    ]))
    .unwrap();
    for _ in 0..3 {
        s.next_tuple().unwrap();
    }
    assert_eq!(s.emitted_on("default"), [json!(["a", 1]), json!(["b", 2])]);
    assert_eq!(s.emitted_on("errors"), [json!(["bad input"])]);
    // Message ids follow the rows, whatever their stream.
    assert_eq!(
        s.emits()
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        [Some(json!(0)), Some(json!(1)), Some(json!(2))]
    );
}

#[test]
fn rows_that_are_not_lists_are_refused_by_name() {
    let e = harness(json!({"a": 1})).err().unwrap();
    assert!(
        e.message.contains(
            "sparse.fixed.tuples of component `words` must be a list of rows (JSON arrays); got {\"a\":1}"
        ),
        "{e}"
    );
    let e = harness(json!([{"stream": "errors"}])).err().unwrap();
    assert!(e.message.contains("row 0 must be"), "{e}");
    let e = harness(json!([["a", 1], "b"])).err().unwrap();
    assert!(
        e.message.contains(
            "sparse.fixed.tuples of component `words`: row 1 must be a JSON array of values, or {\"stream\": NAME, \"values\": [...]}; got \"b\""
        ),
        "{e}"
    );
}
