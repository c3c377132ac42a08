//! The whole word-count topology (`topologies/wordcount.clj`) on the engine of `sparse
//! run`, with a fixed input in place of the endless sentence spout: exact word counts.
//!
//! Needs `sparse-host` in the target folder: `cargo build` the workspace first (see
//! `sparse_runner::testing`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sparse_runner::testing::TopologyTest;

#[test]
fn a_fixed_input_gives_exact_word_counts() {
    let report = TopologyTest::load("topologies/wordcount.clj")
        .unwrap()
        .replace_spout(
            "sentence-spout",
            [
                json!(["the cat saw the dog"]),
                json!(["The dog ran."]),
                json!(["the end"]),
                // No word at all: the splitter fails it.
                json!(["?!"]),
            ],
        )
        .run()
        .unwrap();

    let spout = report.component("sentence-spout");
    assert_eq!((spout.acked, spout.failed), (3, 1));
    let splitter = report.component("sentence-splitter");
    assert_eq!((splitter.acked, splitter.failed), (3, 1));
    assert_eq!(report.emitted("sentence-splitter", "default").len(), 10);

    // The last count the counter emitted for each word is its total.
    let mut counts = BTreeMap::new();
    for t in report.emitted("word-counter", "default") {
        let (word, n) = (t[0].as_str().unwrap(), t[1].as_u64().unwrap());
        counts.insert(word.to_owned(), n);
    }
    let expected: BTreeMap<String, u64> = [
        ("The", 1),
        ("cat", 1),
        ("dog", 2),
        ("end", 1),
        ("ran", 1),
        ("saw", 1),
        ("the", 3),
    ]
    .map(|(w, n)| (w.to_owned(), n))
    .into();
    assert_eq!(counts, expected);

    // Fields grouping: each word is counted by one task only.
    let counter = report.component("word-counter");
    assert_eq!(counter.tasks.len(), 2, "{:?}", counter.tasks);
    let mut owner: BTreeMap<&str, i64> = BTreeMap::new();
    for (task, streams) in &counter.tasks {
        for t in &streams["default"] {
            let word = t[0].as_str().unwrap();
            assert_eq!(*owner.entry(word).or_insert(*task), *task, "{word}");
        }
    }
    assert_eq!(counter.acked, 10);
    // Per task: each counter task acked what it emitted (one count per word it received).
    for (task, &(acked, failed)) in &counter.outcomes {
        let emitted = counter.tasks.get(task).map_or(0, |s| s["default"].len());
        assert_eq!((acked, failed), (emitted as u64, 0), "task {task}");
    }
    assert_eq!(spout.outcomes.values().collect::<Vec<_>>(), [&(3, 1)]);

    // Every task wrote its log; the counter's say what they ran.
    assert_eq!(report.logs("word-counter").len(), 2);
    for log in report.logs("word-counter") {
        assert!(log.contains("running wordcount::WordCounter"), "{log}");
    }
    assert_eq!(
        report.component("nope").emitted,
        BTreeMap::<String, Vec<Value>>::new()
    );
}

/// The same input on the fast wire (the default: every task is a `sparse-host`, which
/// accepts it) and on JSON (`json_wire`) gives the same tuples from every task.
#[test]
fn the_fast_wire_and_json_give_the_same_tuples() {
    let input = [
        json!(["the cat saw the dog"]),
        json!(["The dog ran. \"Run\", \\ \u{1F600} and/or 9007199254740993"]),
        json!(["the end"]),
        json!(["?!"]),
    ];
    let run = |json_wire: bool| {
        TopologyTest::load("topologies/wordcount.clj")
            .unwrap()
            .replace_spout("sentence-spout", input.clone())
            .json_wire(json_wire)
            .run()
            .unwrap()
    };
    let (fast, json) = (run(false), run(true));
    for id in ["sentence-spout", "sentence-splitter", "word-counter"] {
        let (f, j) = (fast.component(id), json.component(id));
        assert!(
            f.fast_wire.values().all(|&on| on),
            "{id}: {:?}",
            f.fast_wire
        );
        assert!(
            j.fast_wire.values().all(|&on| !on),
            "{id}: {:?}",
            j.fast_wire
        );
        assert_eq!(f.fast_wire.len(), j.fast_wire.len());
        // Per task, the same tuples; sentences run concurrently in the two splitters, so
        // their order across sentences may differ from run to run.
        let sorted = |r: &sparse_runner::testing::ComponentReport| {
            let mut per_task: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for (task, streams) in &r.tasks {
                let mut v: Vec<String> = streams["default"].iter().map(Value::to_string).collect();
                v.sort();
                per_task.insert(*task, v);
            }
            per_task
        };
        assert_eq!(sorted(f), sorted(j), "{id}");
        assert_eq!(f.outcomes, j.outcomes, "{id}");
    }
    let counts = &fast.component("word-counter").emitted["default"];
    assert!(
        counts.contains(&json!(["9007199254740993", 1])),
        "{counts:?}"
    );
    assert!(counts.contains(&json!(["\u{1F600}", 1])), "{counts:?}");
}

#[test]
fn a_run_cut_short_names_what_is_pending() {
    let e = TopologyTest::load("topologies/wordcount.clj")
        .unwrap()
        .replace_spout("sentence-spout", [json!(["one"]), json!(["two"])])
        .timeout(std::time::Duration::ZERO)
        .run()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "topology `wordcount` did not complete within 0ns; still pending: spout `sentence-spout`: 2 of 2 trees"
    );
}
