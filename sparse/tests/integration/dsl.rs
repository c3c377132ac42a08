use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use sparse_topology::model::{ComponentKind, Exec, Grouping, Input, StreamDef};
use sparse_topology::validate::validate;

use crate::{corpus, load_ok};

fn shell(cmd: &[&str]) -> Exec {
    Exec::Shell {
        command: cmd.iter().map(|s| s.to_string()).collect(),
    }
}

fn default_stream(fields: &[&str]) -> BTreeMap<String, StreamDef> {
    BTreeMap::from([(
        "default".to_string(),
        StreamDef {
            fields: fields.iter().map(|s| s.to_string()).collect(),
            direct: false,
        },
    )])
}

fn input(source: &str, stream: &str, grouping: Grouping) -> Input {
    Input {
        source: source.into(),
        stream: stream.into(),
        grouping,
    }
}

#[test]
fn seed_wordcount() {
    let t = load_ok(&corpus("seed-wordcount.clj"));
    assert_eq!(t.name, "seed-wordcount");
    assert_eq!(t.components.len(), 2);
    let spout = t.component("word-spout").unwrap();
    assert_eq!(spout.kind, ComponentKind::Spout);
    assert_eq!(
        spout.exec,
        shell(&["streamparse_run", "spouts.words.WordSpout"])
    );
    assert_eq!(spout.outputs, default_stream(&["word"]));
    assert_eq!((spout.parallelism, spout.num_tasks), (1, 1));
    let bolt = t.component("count-bolt").unwrap();
    assert_eq!(bolt.kind, ComponentKind::Bolt);
    assert_eq!(
        bolt.exec,
        shell(&["streamparse_run", "bolts.wordcount.WordCounter"])
    );
    assert_eq!(
        bolt.inputs,
        vec![input("word-spout", "default", Grouping::Shuffle)]
    );
    assert_eq!(bolt.outputs, default_stream(&["word", "count"]));
    assert_eq!((bolt.parallelism, bolt.num_tasks), (2, 2));
    let span = bolt.span.as_ref().unwrap();
    assert_eq!((span.line, span.col), (15, 6));
    assert!(validate(&t).is_empty());
}

#[test]
fn seed_sentence_example_with_p2() {
    let t = load_ok(&corpus("seed-sentence.clj"));
    let ids: Vec<&str> = t.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "sentence-spout-1",
            "sentence-spout-2",
            "sentence-splitter",
            "word-counter",
            "word-count-saver"
        ]
    );
    assert_eq!(t.component("sentence-spout-1").unwrap().parallelism, 2);
    assert_eq!(t.component("sentence-spout-2").unwrap().parallelism, 1);
    let split = t.component("sentence-splitter").unwrap();
    assert_eq!(split.parallelism, 2);
    assert_eq!(
        split.inputs,
        vec![
            input("sentence-spout-1", "default", Grouping::Shuffle),
            input("sentence-spout-2", "default", Grouping::Shuffle)
        ]
    );
    assert_eq!(
        t.component("word-counter").unwrap().inputs,
        vec![input(
            "sentence-splitter",
            "default",
            Grouping::Fields(vec!["word".into()])
        )]
    );
    assert_eq!(
        t.component("word-count-saver").unwrap().outputs,
        default_stream(&[])
    );
    assert!(validate(&t).is_empty(), "{:?}", validate(&t));
}

#[test]
fn seed_multi_stream_example() {
    let t = load_ok(&corpus("seed-multistream.clj"));
    let lookup = t.component("lookup-bolt").unwrap();
    let fields = vec![
        "url".to_string(),
        "timestamp".into(),
        "search_result".into(),
    ];
    assert_eq!(lookup.outputs.len(), 2);
    assert_eq!(lookup.outputs["index"].fields, fields);
    assert_eq!(lookup.outputs["topic"].fields, fields);
    assert!(!lookup.outputs.contains_key("default"));
    let topic = t.component("result-topic-bolt").unwrap();
    assert_eq!(
        topic.inputs,
        vec![
            input("lookup-bolt", "index", Grouping::Fields(fields.clone())),
            input("lookup-bolt", "topic", Grouping::Fields(fields.clone()))
        ]
    );
    assert!(validate(&t).is_empty(), "{:?}", validate(&t));
}

#[test]
fn shell_specs_direct_streams_conf_and_pairs() {
    let t = load_ok(&corpus("shell-and-direct.clj"));
    let spout = t.component("my-shell-spout").unwrap();
    assert_eq!(spout.exec, shell(&["python", "spout.py"]));
    assert!(spout.outputs["ctl"].direct);
    assert!(!spout.outputs["default"].direct);
    let bolt = t.component("my-shell-bolt").unwrap();
    assert_eq!(bolt.exec, shell(&["bash", "mybolt.sh"]));
    assert_eq!(bolt.parallelism, 3);
    assert_eq!(bolt.conf["topology.tick.tuple.freq.secs"], json!(2));
    assert_eq!(bolt.conf["x"], json!([1, 2.5, true, null, {"k": "v"}]));
    assert_eq!(
        bolt.inputs,
        vec![
            input("my-shell-spout", "default", Grouping::LocalOrShuffle),
            input("my-shell-spout", "ctl", Grouping::Direct)
        ]
    );
    let sink = t.component("sink").unwrap();
    assert_eq!(
        sink.exec,
        shell(&["sparse-host", "--component", "sinks::Sink"])
    );
    assert_eq!(
        sink.inputs[0],
        input("my-shell-bolt", "default", Grouping::Global)
    );
    let all = t.component("all").unwrap();
    assert_eq!(
        all.inputs,
        vec![
            input("sink", "default", Grouping::All),
            input("my-shell-bolt", "default", Grouping::None)
        ]
    );
    assert!(validate(&t).is_empty(), "{:?}", validate(&t));
}

#[test]
fn repo_wordcount_clj() {
    let t = load_ok(&crate::repo_root().join("topologies/wordcount.clj"));
    assert_eq!(t.name, "wordcount");
    let ids: Vec<&str> = t.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["sentence-spout", "sentence-splitter", "word-counter"]);
    assert_eq!(
        t.component("word-counter").unwrap().exec,
        shell(&["sparse-host", "--component", "wordcount::WordCounter"])
    );
    assert!(validate(&t).is_empty());
}

#[test]
fn last_defn_wins_and_topology_form() {
    let t = crate::clj(
        r#"(defn a [o] [{"x" (rust-spout-spec o "a::X" ["f"])} {}])
           (defn b [options] (topology {"y" (rust-spout-spec options "a::Y" ["f"])} {}))"#,
    )
    .unwrap();
    assert_eq!(t.components.len(), 1);
    assert_eq!(t.components[0].id, "y");
}

/// Storm keeps one input per (component, stream): `BoltDeclarer` puts them in a map keyed by
/// `GlobalStreamId`, so a second declaration replaces the first.
#[test]
fn an_input_declared_twice_is_kept_once_with_the_last_grouping() {
    let src = r#"(defn t [options]
  [{"s" (rust-spout-spec options "a::S" ["w"])}
   {"b" (rust-bolt-spec options {"s" :shuffle ["s" "default"] ["w"]} "a::B" [])
    "c" (rust-bolt-spec options [["s" :all] ["s" :shuffle] ["s" :global]] "a::C" [])}])"#;
    let loaded = sparse_topology::clj::load_str_with_warnings(src, Path::new("test.clj")).unwrap();
    let t = &loaded.topology;
    assert_eq!(
        t.component("b").unwrap().inputs,
        vec![input("s", "default", Grouping::Fields(vec!["w".into()]))]
    );
    assert_eq!(
        t.component("c").unwrap().inputs,
        vec![input("s", "default", Grouping::Global)]
    );
    assert!(validate(t).is_empty(), "{:?}", validate(t));
    let w: Vec<String> = loaded.warnings.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        w,
        [
            "test.clj:3:47: component `b`: input from `s` stream `default` declared again \
             (earlier at test.clj:3:34 with shuffle grouping, here with fields(w)): Storm keeps \
             one input per component and stream, the last declared, so `b` gets each tuple \
             once, by fields(w)",
            "test.clj:4:46: component `c`: input from `s` stream `default` declared again \
             (earlier at test.clj:4:35 with all grouping, here with shuffle): Storm keeps one \
             input per component and stream, the last declared, so `c` gets each tuple once, \
             by shuffle",
            "test.clj:4:61: component `c`: input from `s` stream `default` declared again \
             (earlier at test.clj:4:46 with shuffle grouping, here with global): Storm keeps one \
             input per component and stream, the last declared, so `c` gets each tuple once, \
             by global",
        ],
        "{w:#?}"
    );
    // `load_str` gives the same topology and drops the warnings.
    assert_eq!(&crate::clj(src).unwrap(), t);
}

/// Under `sparse run`, a bolt subscribed twice to one stream gets each tuple once, routed by
/// the grouping declared last (`:global` after `:all`: every tuple to the lowest task only).
#[test]
fn run_delivers_each_tuple_once_to_a_bolt_subscribed_twice() {
    let dir = std::env::temp_dir().join(format!("sparse-dup-input-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multilang_comp.py");
    let (spout_rec, sink_rec) = (dir.join("spout"), dir.join("sink"));
    let file = dir.join("dup.clj");
    std::fs::write(
        &file,
        format!(
            r#"(defn dup [options]
  [{{"src" (shell-spout-spec ["python3" {f:?} "spout" {s:?} "20"] ["word" "i"])}}
   {{"sink" (shell-bolt-spec {{"src" :all ["src" "default"] :global}}
                             ["python3" {f:?} "sink" {k:?}] [] :p 2)}}])"#,
            f = fixture.display().to_string(),
            s = spout_rec.display().to_string(),
            k = sink_rec.display().to_string(),
        ),
    )
    .unwrap();
    let t = load_ok(&file);
    let mut opts = sparse_runner::RunOptions::new(&dir);
    opts.duration = Some(std::time::Duration::from_secs(3));
    opts.live = false;
    opts.print_summary = false;
    opts.log
        .insert("path".into(), json!(dir.join("logs").display().to_string()));
    let summary = sparse_runner::run(&t, &opts).unwrap();
    let read = |p: &Path, event: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{event} ")).map(str::to_string))
            .collect();
        v.sort();
        v
    };
    let mut expected: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    expected.sort();
    assert_eq!(read(&sink_rec, "got"), expected);
    let sink = summary.components.iter().find(|c| c.id == "sink").unwrap();
    assert_eq!(sink.received, 20);
    let mut acked: Vec<i64> = read(&spout_rec, "ack")
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    acked.sort();
    assert_eq!(acked, (0..20).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}
