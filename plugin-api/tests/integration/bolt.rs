//! Bolt rules.

use plugin_api::testkit::{BoltHarness, Event, HarnessConfig, Recorded, TupleBuilder};
use plugin_api::{Bolt, BoltOutput, Context, Emit, StreamDecl, Tuple, fields, stream};
use serde_json::json;

/// Behaviour chosen by the first value.
struct Scripted {
    held: Vec<Tuple<'static>>,
}

impl Bolt for Scripted {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["v"]), stream("side", &["v"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        if ctx.conf_str("fail.init") == Some("yes") {
            return Err("asked to fail".into());
        }
        Ok(Scripted { held: Vec::new() })
    }

    fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let cmd: String = t.get(0)?;
        match cmd.as_str() {
            "emit" => out.emit(&["x"])?,
            "side" => out.emit_to("side", &["y"])?,
            "nowhere" => out.emit_to("nowhere", &["z"])?,
            "unanchored" => {
                out.emit_with(&["u"], Emit::new().unanchored())?;
            }
            "ids" => {
                let ids = out.emit_with(&["i"], Emit::new().with_task_ids())?;
                out.emit(&[format!("{ids:?}")])?;
            }
            "direct" => {
                let ids = out.emit_with(&["d"], Emit::new().direct(7))?;
                assert_eq!(ids, Some(vec![7]));
            }
            "ack" => out.ack(t),
            "fail" => out.fail(t),
            "hold" => self.held.push(t.into_owned()),
            "err" => return Err("deliberate".into()),
            "panic" => panic!("deliberate panic"),
            "log" => log::warn!("warned about {}", t.id()),
            "metric" => out.metric("m", &json!({"n": 1}))?,
            "report" => out.report_error("not fatal"),
            _ => {}
        }
        Ok(())
    }

    fn process_tick(&mut self, tick: &Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let freq: u64 = tick.get(0)?;
        out.emit(&[format!("tick {freq}")])?;
        Ok(())
    }
}

fn cmd(c: &str, id: &str) -> TupleBuilder {
    TupleBuilder::new(json!([c])).id(id)
}

#[test]
fn auto_ack_and_auto_anchor() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.process(cmd("emit", "1")).unwrap();
    b.assert_emitted(&[json!(["x"])]);
    b.assert_emits_anchored_to("1");
    b.assert_acked(&["1"]);
}

#[test]
fn manual_ack_or_fail_is_not_repeated_by_auto_ack() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.process(cmd("ack", "1")).unwrap();
    b.process(cmd("fail", "2")).unwrap();
    b.assert_acked(&["1"]);
    b.assert_failed(&["2"]);
}

#[test]
fn auto_ack_acks_a_kept_copy_too() {
    // A copy kept with into_owned does not stop auto-ack: a bolt that keeps tuples to ack
    // them later must set AUTO_ACK = false (see ManualBolt below).
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.process(cmd("hold", "h1")).unwrap();
    b.assert_acked(&["h1"]);
}

struct ManualBolt {
    held: Vec<Tuple<'static>>,
}

impl Bolt for ManualBolt {
    const AUTO_ACK: bool = false;
    const AUTO_ANCHOR: bool = false;
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["v"])];

    fn initialize(_: &Context) -> plugin_api::Result<Self> {
        Ok(ManualBolt { held: Vec::new() })
    }

    fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        out.emit(&["unanchored"])?;
        self.held.push(t.into_owned());
        if self.held.len() == 2 {
            let anchors: Vec<&Tuple<'static>> = self.held.iter().collect();
            out.emit_with(&["joined"], Emit::new().anchored_to(&anchors))?;
            for h in self.held.drain(..) {
                out.ack(h);
            }
        }
        Ok(())
    }
}

#[test]
fn without_auto_ack_and_anchor_the_bolt_decides() {
    let mut b = BoltHarness::<ManualBolt>::new().unwrap();
    b.process(cmd("a", "1")).unwrap();
    b.assert_acked(&[]);
    b.process(cmd("b", "2")).unwrap();
    b.assert_acked(&["1", "2"]);
    let anchors: Vec<Vec<String>> = b
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Emit { anchors, .. } => Some(anchors.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        anchors,
        [vec![], vec![], vec!["1".to_owned(), "2".to_owned()]]
    );
}

#[test]
fn named_streams_and_undeclared_streams() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.process(cmd("side", "1")).unwrap();
    assert_eq!(b.emitted_on("side"), [json!(["y"])]);
    let err = b.process(cmd("nowhere", "2")).unwrap_err();
    assert!(err.message.contains("refused"), "{err}");
    b.assert_failed(&["2"]);
}

#[test]
fn unanchored_emit_and_task_ids_and_direct() {
    let cfg = HarnessConfig {
        task_ids: vec![4, 9],
        ..HarnessConfig::default()
    };
    let mut b = BoltHarness::<Scripted>::with_config(cfg).unwrap();
    b.process(cmd("unanchored", "1")).unwrap();
    b.process(cmd("ids", "2")).unwrap();
    b.process(cmd("direct", "3")).unwrap();
    let emits: Vec<&Event> = b
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Emit { .. }))
        .collect();
    assert!(matches!(emits[0], Event::Emit { anchors, .. } if anchors.is_empty()));
    assert_eq!(b.emitted_values()[2], json!(["Some([4, 9])"]));
    assert!(matches!(
        emits[3],
        Event::Emit {
            direct_task: Some(7),
            ..
        }
    ));
}

#[test]
fn err_fails_reports_and_returns_failure() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    let f = b.process(cmd("err", "e1")).unwrap_err();
    assert_eq!(f.status, plugin_api::abi::STATUS_ERROR);
    assert!(
        f.message.contains("deliberate") && f.message.contains("tuple e1"),
        "{f}"
    );
    b.assert_failed(&["e1"]);
    assert_eq!(b.errors().len(), 1);
}

#[test]
fn panic_fails_reports_and_poisons_the_instance() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    let f = b.process(cmd("panic", "p1")).unwrap_err();
    assert_eq!(f.status, plugin_api::abi::STATUS_PANIC);
    assert!(f.message.contains("deliberate panic"), "{f}");
    // Where it panicked, and which tuple: the task log gets this message.
    assert!(
        f.message
            .contains("panicked at plugin-api/tests/integration/bolt.rs:"),
        "{f}"
    );
    assert!(
        f.message
            .contains(r#"tuple p1 from upstream:default (task 1) ["panic"]"#),
        "{f}"
    );
    b.assert_failed(&["p1"]);
    // Any later call is refused rather than running on a broken instance.
    assert!(b.process(cmd("emit", "p2")).is_err());
    assert!(b.emitted_values().is_empty());
}

#[test]
fn ticks_go_to_process_tick_and_are_acked() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.tick(5).unwrap();
    b.assert_emitted(&[json!(["tick 5"])]);
    assert_eq!(b.acked().len(), 1);
    // Tick emits are not anchored to the tick.
    assert!(matches!(&b.events()[0], Event::Emit { anchors, .. } if anchors.is_empty()));
}

#[test]
fn logs_metrics_and_reports_are_recorded() {
    let mut b = BoltHarness::<Scripted>::new().unwrap();
    b.process(cmd("log", "l1")).unwrap();
    b.process(cmd("metric", "m1")).unwrap();
    b.process(cmd("report", "r1")).unwrap();
    assert_eq!(b.logs(log::Level::Warn), ["warned about l1"]);
    assert!(b.events().contains(&Event::Metric {
        name: "m".into(),
        params: json!({"n": 1})
    }));
    assert_eq!(b.errors(), ["not fatal"]);
    b.assert_acked(&["l1", "m1", "r1"]);
}

#[test]
fn initialize_errors_are_reported() {
    let mut cfg = HarnessConfig::default();
    cfg.conf.insert("fail.init".into(), json!("yes"));
    let Err(f) = BoltHarness::<Scripted>::with_config(cfg) else {
        panic!("should fail")
    };
    assert!(f.message.contains("asked to fail"), "{f}");
}

#[test]
fn context_reaches_the_component() {
    struct Echo(String);
    impl Bolt for Echo {
        const OUTPUTS: &'static [StreamDecl] = &[fields(&["v"])];
        fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
            Ok(Echo(format!(
                "{}/{}/{}",
                ctx.topology_name(),
                ctx.component_id(),
                ctx.task_id()
            )))
        }
        fn process(&mut self, _: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
            out.emit(&[&self.0])?;
            Ok(())
        }
    }
    let cfg = HarnessConfig {
        topology: "topo".into(),
        component: Some("echo".into()),
        task: 12,
        ..HarnessConfig::default()
    };
    let mut b = BoltHarness::<Echo>::with_config(cfg).unwrap();
    b.process(TupleBuilder::new(json!([]))).unwrap();
    b.assert_emitted(&[json!(["topo/echo/12"])]);
}

/// Emits `[word, 1]`: two values.
struct Pairs;

impl Bolt for Pairs {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["word"])];
    fn initialize(_: &Context) -> plugin_api::Result<Self> {
        Ok(Pairs)
    }
    fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let w: &str = t.get(0)?;
        out.emit(&(w, 1))?;
        Ok(())
    }
}

#[test]
fn wrong_number_of_values_is_refused_with_the_reason() {
    let mut bolt = BoltHarness::<Pairs>::new().unwrap();
    let err = bolt
        .process(TupleBuilder::new(json!(["a\\/b"])).id("t1"))
        .unwrap_err();
    for part in [
        "Pairs:1",
        "emit of 2 values to stream \"default\" refused",
        "declares 1 field [word]",
    ] {
        assert!(
            err.message.contains(part),
            "{part:?} not in {:?}",
            err.message
        );
    }
    assert!(bolt.emitted_values().is_empty());
    bolt.assert_failed(&["t1"]);
}
