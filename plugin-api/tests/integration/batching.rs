//! BatchingBolt rules.

use plugin_api::testkit::{BoltHarness, HarnessConfig, Recorded, TupleBuilder};
use plugin_api::{BatchingBolt, BoltOutput, Context, StreamDecl, Tuple, fields};
use serde_json::json;

struct Totals {
    ticks: u32,
    volume: usize,
}

impl BatchingBolt for Totals {
    type Key = String;
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["key", "n"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Totals {
            ticks: ctx.conf_u64("ticks").unwrap_or(1) as u32,
            volume: ctx.conf_u64("volume").unwrap_or(0) as usize,
        })
    }

    fn group_key(&self, t: &Tuple<'_>) -> String {
        t.get::<String>(0).unwrap_or_default()
    }

    fn process_batch(
        &mut self,
        key: &String,
        tuples: &[Tuple<'static>],
        out: &mut BoltOutput<'_>,
    ) -> plugin_api::Result {
        if key == "bad" {
            return Err("bad batch".into());
        }
        out.emit(&(key, tuples.len()))?;
        Ok(())
    }

    fn ticks_between_batches(&self) -> u32 {
        self.ticks
    }

    fn tuples_between_batches(&self) -> usize {
        self.volume
    }
}

fn harness(ticks: u64, volume: u64) -> BoltHarness<plugin_api::testkit::Batched<Totals>> {
    let mut cfg = HarnessConfig::default();
    cfg.conf.insert("ticks".into(), json!(ticks));
    cfg.conf.insert("volume".into(), json!(volume));
    BoltHarness::batching(cfg).unwrap()
}

fn word(w: &str, id: &str) -> TupleBuilder {
    TupleBuilder::new(json!([w])).id(id)
}

#[test]
fn holds_until_a_tick_then_processes_each_key_in_order_and_acks() {
    let mut b = harness(1, 0);
    b.process(word("b", "1")).unwrap();
    b.process(word("a", "2")).unwrap();
    b.process(word("b", "3")).unwrap();
    assert!(b.emitted_values().is_empty());
    b.assert_acked(&[]);
    b.tick(1).unwrap();
    b.assert_emitted(&[json!(["b", 2]), json!(["a", 1])]);
    let acked = b.acked();
    // The tick is acked first, then each batch after its process_batch.
    assert_eq!(acked[1..], ["1", "3", "2"]);
}

#[test]
fn emits_are_anchored_to_the_whole_batch() {
    let mut b = harness(1, 0);
    b.process(word("k", "1")).unwrap();
    b.process(word("k", "2")).unwrap();
    b.tick(1).unwrap();
    b.assert_emits_anchored_to("1");
    b.assert_emits_anchored_to("2");
}

#[test]
fn flushes_every_n_ticks() {
    let mut b = harness(3, 0);
    b.process(word("k", "1")).unwrap();
    b.tick(1).unwrap();
    b.tick(1).unwrap();
    assert!(b.emitted_values().is_empty());
    b.tick(1).unwrap();
    assert_eq!(b.emitted_values(), [json!(["k", 1])]);
}

#[test]
fn flushes_by_volume_without_ticks() {
    let mut b = harness(1, 3);
    b.process(word("a", "1")).unwrap();
    b.process(word("b", "2")).unwrap();
    assert!(b.emitted_values().is_empty());
    b.process(word("a", "3")).unwrap();
    b.assert_emitted(&[json!(["a", 2]), json!(["b", 1])]);
    b.assert_acked(&["1", "3", "2"]);
}

#[test]
fn a_failing_batch_fails_itself_and_the_batches_after_it() {
    let mut b = harness(1, 0);
    b.process(word("ok", "1")).unwrap();
    b.process(word("bad", "2")).unwrap();
    b.process(word("later", "3")).unwrap();
    let f = b.tick(1).unwrap_err();
    assert!(f.message.contains("bad batch"), "{f}");
    assert_eq!(b.acked()[1..], ["1"]);
    b.assert_failed(&["2", "3"]);
}
