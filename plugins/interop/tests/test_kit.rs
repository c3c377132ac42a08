//! The whole-topology test kit (`sparse_runner::testing`) beyond fixed rows on the default
//! stream: rows on a spout's named streams, a topology's own spout run for a set number of
//! tuples, and each task's stderr in the report.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use sparse_runner::testing::TopologyTest;

/// The tests' guard in real time.
const REAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes topology `name` (the body of its `defn`) under the test's temporary folder.
fn topology(name: &str, body: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test_kit");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.clj"));
    std::fs::write(&path, format!("(defn {name} [o]\n  {body})")).unwrap();
    path
}

#[test]
fn rows_go_to_the_named_streams_of_a_spout() {
    let path = topology(
        "streams",
        r#"[{"words" (rust-spout-spec o "interop::FiniteSpout" {"short" ["word"] "long" ["word"]})}
           {"short-sink" (rust-bolt-spec o {["words" "short"] :shuffle} "interop::Sink" [])
            "long-sink" (rust-bolt-spec o {["words" "long"] :shuffle} "interop::Sink" [])}]"#,
    );
    let report = TopologyTest::load(path)
        .unwrap()
        .replace_spout_on("words", "long", [json!(["horse"])])
        .replace_spout_on("words", "short", [json!(["ox"])])
        .replace_spout_on("words", "long", [json!(["zebra"])])
        .timeout(REAL_TIMEOUT)
        .run()
        .unwrap();
    assert_eq!(report.component("words").acked, 3);
    assert_eq!(report.emitted("words", "short"), [json!(["ox"])]);
    assert_eq!(
        report.emitted("words", "long"),
        [json!(["horse"]), json!(["zebra"])]
    );
    assert_eq!(report.component("short-sink").acked, 1);
    assert_eq!(report.component("long-sink").acked, 2);
    let logs = report.logs("long-sink").concat();
    assert!(
        logs.contains("sink stream=long source=words word=zebra"),
        "{logs}"
    );
}

#[test]
fn a_topology_spout_runs_until_it_emitted_n_tuples() {
    let path = topology(
        "own_spout",
        r#"[{"sentences" (rust-spout-spec o "interop::FiniteSpout" ["sentence"])}
           {"splitter" (rust-bolt-spec o {"sentences" :shuffle} "interop::Splitter" ["word"] :p 2)
            "sink" (rust-bolt-spec o {"splitter" :shuffle} "interop::Noop" [])}]"#,
    );
    let report = TopologyTest::load(path)
        .unwrap()
        .conf("interop.sentences", 20)
        .run_spout("sentences", 3)
        .timeout(REAL_TIMEOUT)
        .run()
        .unwrap();
    let spout = report.component("sentences");
    assert_eq!((spout.acked, spout.failed), (3, 0));
    assert_eq!(
        report.emitted("sentences", "default"),
        interop::TEXT[..3]
            .iter()
            .map(|s| json!([s]))
            .collect::<Vec<_>>()
    );
    // "the cow jumped over the moon", "an apple a day keeps the doctor away", "four score
    // and seven years ago": 6 + 8 + 6 words, all acked by the sink.
    assert_eq!(report.component("sink").acked, 20);
    let logs = report.logs("sentences").concat();
    assert!(logs.contains("acked id=2"), "{logs}");
    assert!(!logs.contains("acked id=3"), "{logs}");
}

#[test]
fn the_report_has_each_tasks_stderr() {
    let path = topology(
        "stderr",
        r#"[{"words" (rust-spout-spec o "interop::FiniteSpout" ["word"])}
           {"bolt" (rust-bolt-spec o {"words" ["word"]} "interop::StderrWriter" [] :p 2)}]"#,
    );
    let report = TopologyTest::load(path)
        .unwrap()
        .replace_spout("words", ["a", "b", "c", "d"].map(|w| json!([w])))
        .timeout(REAL_TIMEOUT)
        .run()
        .unwrap();
    let bolt = report.component("bolt");
    assert_eq!(bolt.stderr.len(), 2, "{:?}", bolt.stderr);
    let mut lines: Vec<&str> = bolt
        .stderr
        .values()
        .flat_map(|text| text.lines())
        .filter(|l| l.starts_with("stderr word="))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "stderr word=a",
            "stderr word=b",
            "stderr word=c",
            "stderr word=d"
        ]
    );
    // Every task is there, with or without stderr.
    assert_eq!(report.component("words").stderr.len(), 1);
}
