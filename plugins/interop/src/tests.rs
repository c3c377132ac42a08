use plugin_api::testkit::{
    BoltHarness, Event, HarnessConfig, Recorded, SpoutHarness, TupleBuilder,
};
use serde_json::{Map, Value, json};

use super::*;

fn conf(pairs: &[(&str, Value)]) -> HarnessConfig {
    let mut c: Map<String, Value> = Map::new();
    for (k, v) in pairs {
        c.insert((*k).to_string(), v.clone());
    }
    HarnessConfig {
        conf: c,
        ..HarnessConfig::default()
    }
}

#[test]
fn spout_emits_n_sentences_then_idles_and_replays_failures() {
    let cfg = conf(&[
        ("interop.sentences", json!(3)),
        ("interop.text", json!(["a b", "c"])),
    ]);
    let mut s = SpoutHarness::<FiniteSpout>::with_config(cfg).unwrap();
    for _ in 0..5 {
        s.next_tuple().unwrap();
    }
    assert_eq!(
        s.emits(),
        [
            (Some(json!(0)), json!(["a b"])),
            (Some(json!(1)), json!(["c"])),
            (Some(json!(2)), json!(["a b"])),
        ]
    );
    s.clear_events();
    s.fail(json!(1)).unwrap();
    s.ack(json!(0)).unwrap();
    s.ack(json!(2)).unwrap();
    s.next_tuple().unwrap();
    s.next_tuple().unwrap();
    assert_eq!(s.emits(), [(Some(json!(1)), json!(["c"]))]);
    s.ack(json!(1)).unwrap();
    let info = s.logs(log::Level::Info);
    for want in [
        "failed id=1",
        "acked id=0",
        "replayed id=1",
        "all 3 sentences acked (1 replays)",
    ] {
        assert!(info.iter().any(|l| l == want), "{want} not in {info:?}");
    }
}

#[test]
fn default_sentences() {
    let s = sentences(&Map::new());
    assert_eq!(s.len(), 20);
    assert_eq!(s[5], TEXT[0]);
}

#[test]
fn splitter_fails_every_kth_without_emitting() {
    let mut b =
        BoltHarness::<Splitter>::with_config(conf(&[("interop.fail_every", json!(2))])).unwrap();
    b.process(TupleBuilder::new(json!(["x y"])).id("1"))
        .unwrap();
    b.process(TupleBuilder::new(json!(["z"])).id("2")).unwrap();
    b.process(TupleBuilder::new(json!(["w"])).id("3")).unwrap();
    assert_eq!(
        b.emitted_values(),
        [json!(["x"]), json!(["y"]), json!(["w"])]
    );
    b.assert_failed(&["2"]);
    b.assert_acked(&["1", "3"]);
    assert_eq!(b.logs(log::Level::Info), ["failing tuple #2: z"]);
}

#[test]
fn counter_logs_ticks_and_changed_counts() {
    let mut b = BoltHarness::<Counter>::new().unwrap();
    for w in ["b", "a", "b"] {
        b.process(TupleBuilder::new(json!([w]))).unwrap();
    }
    b.tick(1).unwrap();
    b.tick(1).unwrap();
    assert_eq!(
        b.logs(log::Level::Info),
        ["tick #1", r#"counts {"a":1,"b":2}"#, "tick #2"]
    );
}

#[test]
fn router_splits_by_length_onto_named_streams() {
    let mut b = BoltHarness::<Router>::new().unwrap();
    for w in ["the", "moon", "a"] {
        b.process(TupleBuilder::new(json!([w]))).unwrap();
    }
    assert_eq!(b.emitted_on("short"), [json!(["the"]), json!(["a"])]);
    assert_eq!(b.emitted_on("long"), [json!(["moon"])]);
}

#[test]
fn sink_logs_stream_and_source() {
    let mut b = BoltHarness::<Sink>::new().unwrap();
    b.process(
        TupleBuilder::new(json!(["cow"]))
            .from("router")
            .stream("short"),
    )
    .unwrap();
    assert_eq!(
        b.logs(log::Level::Info),
        ["sink stream=short source=router word=cow"]
    );
}

#[test]
fn log_levels_logs_each_level_once() {
    let mut b = BoltHarness::<LogLevels>::new().unwrap();
    b.process(TupleBuilder::new(json!(["x"]))).unwrap();
    b.process(TupleBuilder::new(json!(["y"]))).unwrap();
    // `logs(level)` returns the records at least that severe, in order.
    assert_eq!(
        b.logs(log::Level::Trace),
        ["trace", "debug", "info", "warn", "error"].map(|l| format!("level-probe {l}"))
    );
    assert_eq!(b.logs(log::Level::Error), ["level-probe error"]);
}

#[test]
fn reporter_reports_once_and_keeps_acking() {
    let mut b = BoltHarness::<Reporter>::new().unwrap();
    b.process(TupleBuilder::new(json!(["x"])).id("1")).unwrap();
    b.process(TupleBuilder::new(json!(["y"])).id("2")).unwrap();
    assert_eq!(b.errors(), [REPORTED]);
    b.assert_acked(&["1", "2"]);
}

#[test]
fn crasher_fails_on_poison_only() {
    let mut b = BoltHarness::<Crasher>::new().unwrap();
    b.process(TupleBuilder::new(json!(["fine"])).id("1"))
        .unwrap();
    let err = b
        .process(TupleBuilder::new(json!(["a poison pill"])).id("2"))
        .unwrap_err();
    assert!(err.message.contains("poison value"), "{err:?}");
    b.assert_failed(&["2"]);
}

#[test]
fn direct_emitter_round_robins_over_target_tasks() {
    // The harness's context knows only its own task, under the component id given.
    let mut cfg = conf(&[("interop.direct_target", json!("sinkish"))]);
    cfg.component = Some("sinkish".into());
    cfg.task = 7;
    let mut b = BoltHarness::<DirectEmitter>::with_config(cfg).unwrap();
    b.process(TupleBuilder::new(json!(["s"]))).unwrap();
    b.process(TupleBuilder::new(json!(["t"]))).unwrap();
    let directs: Vec<_> = b
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Emit {
                stream,
                values,
                direct_task,
                ..
            } => Some((stream.clone(), values.clone(), *direct_task)),
            _ => None,
        })
        .collect();
    assert_eq!(
        directs,
        [
            ("jobs".to_string(), json!([1, 7]), Some(7)),
            ("jobs".to_string(), json!([2, 7]), Some(7)),
        ]
    );
}

#[test]
fn direct_emitter_without_targets_fails_to_start() {
    assert!(BoltHarness::<DirectEmitter>::new().is_err());
}

#[test]
fn direct_sink_logs_its_task() {
    let cfg = HarnessConfig {
        task: 4,
        ..HarnessConfig::default()
    };
    let mut b = BoltHarness::<DirectSink>::with_config(cfg).unwrap();
    b.process(TupleBuilder::new(json!([3, 4])).stream("jobs"))
        .unwrap();
    assert_eq!(
        b.logs(log::Level::Info),
        ["direct-sink me=4 n=3 to=4 stream=jobs"]
    );
}

#[test]
fn kv_parses_log_lines() {
    let m = kv("direct-sink me=4 n=3 to=4");
    assert_eq!(m["me"], "4");
    assert_eq!(m["to"], "4");
    assert!(!m.contains_key("direct-sink"));
}

/// A fresh folder under the system temp dir for one test.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("interop-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn recording_conf(dir: &std::path::Path) -> HarnessConfig {
    let mut c = conf(&[
        ("interop.ids", json!(4)),
        ("interop.text", json!(["a b", "c"])),
        ("interop.record_dir", json!(dir.to_str().unwrap())),
    ]);
    c.component = Some("ids".into());
    c.task = 7;
    c
}

#[test]
fn recording_spout_records_every_event_and_resumes_after_a_restart() {
    let dir = temp_dir("recording");
    let path = recording::record_path(&dir, "ids", 7);
    let mut s = SpoutHarness::<RecordingSpout>::with_config(recording_conf(&dir)).unwrap();
    for _ in 0..3 {
        s.next_tuple().unwrap();
    }
    assert_eq!(
        s.emits(),
        [
            (Some(json!(0)), json!(["a b"])),
            (Some(json!(1)), json!(["c"])),
            (Some(json!(2)), json!(["a b"])),
        ]
    );
    s.ack(json!(0)).unwrap();
    s.fail(json!(1)).unwrap();
    s.clear_events();
    s.next_tuple().unwrap(); // the failed id first
    assert_eq!(s.emits(), [(Some(json!(1)), json!(["c"]))]);
    let r = recording::Record::read(&path).unwrap();
    assert_eq!(r.starts, 1);
    assert_eq!((r.emits, r.replays, r.acks, r.fails), (4, 1, 1, 1));
    assert_eq!(r.acked.iter().copied().collect::<Vec<_>>(), [0]);
    let kinds: Vec<&str> = r.events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        kinds,
        ["start", "emit", "emit", "emit", "ack", "fail", "replay"]
    );
    drop(s);

    // A new process for the same task (the worker was restarted): ids 1 and 2 were
    // emitted and never acked, so they go out again before the new id 3.
    let mut s = SpoutHarness::<RecordingSpout>::with_config(recording_conf(&dir)).unwrap();
    for _ in 0..5 {
        s.next_tuple().unwrap();
    }
    let ids: Vec<Value> = s.emits().into_iter().map(|(id, _)| id.unwrap()).collect();
    assert_eq!(ids, [json!(1), json!(2), json!(3)]);
    for id in 1..4 {
        s.ack(json!(id)).unwrap();
    }
    let r = recording::Record::read(&path).unwrap();
    assert_eq!(r.starts, 2);
    assert_eq!(r.acked.len(), 4);
    assert_eq!(r.replays, 3);
    assert_eq!(r.events.last().unwrap().1, "done");
    assert!(
        s.logs(log::Level::Info)
            .iter()
            .any(|l| l.contains("1 acked, 2 to emit again, next new id 3")),
        "{:?}",
        s.logs(log::Level::Info)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recording_spout_paces_its_emits_and_needs_a_record_dir() {
    let dir = temp_dir("recording-pace");
    let mut c = recording_conf(&dir);
    c.conf.insert("interop.emit_per_sec".into(), json!(1));
    let mut s = SpoutHarness::<RecordingSpout>::with_config(c).unwrap();
    for _ in 0..5 {
        s.next_tuple().unwrap();
    }
    // One emit is allowed at once; the next only a second later.
    assert_eq!(s.emits().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);

    let Err(e) = SpoutHarness::<RecordingSpout>::with_config(conf(&[])) else {
        panic!("initialized without interop.record_dir")
    };
    assert!(format!("{e:?}").contains("interop.record_dir"), "{e:?}");
}

#[test]
fn record_parse_skips_a_torn_last_line() {
    let r = recording::Record::parse("1 start 9\n2 emit 0\n3 ack 0\n4 emi");
    assert_eq!((r.emits, r.acks, r.starts), (1, 1, 1));
    assert_eq!(r.events.len(), 3);
}
