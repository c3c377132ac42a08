//! Components for the benchmark harness in `bench/` (issue 6).
//!
//! * [`Passthrough`]: emits each input's values unchanged, anchored to the input, then the
//!   input is auto-acked. It hands the raw JSON of the values back to the host with
//!   [`BoltOutput::emit_values_of`], so nothing is parsed or re-serialized: this measures
//!   the host and the plugin boundary, not serde.
//! * [`PassthroughDecoded`]: the same output, but it decodes the first value as a string
//!   and serializes it again with [`BoltOutput::emit`] (what a typical bolt pays).
//! * [`CountingSpout`]: one reliable emit per `next` (message id = a counter from 0, the
//!   values cycle through the streamparse quickstart sentences), remembers every id in
//!   flight, forgets it on `ack`, and re-emits it on `fail`.
//!
//! The Python twins of these components are in `bench/components/`.

use std::collections::HashMap;

use plugin_api::{
    Bolt, BoltOutput, Context, Emit, MessageId, Spout, SpoutOutput, StreamDecl, Tuple, fields,
};

/// The sentences of the streamparse quickstart spout.
pub const SENTENCES: [&str; 4] = [
    "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
    "I was very glad to get a present from her",
    "He will be here in half an hour",
    "She saw him eating a sandwich",
];

/// Emits every input unchanged (raw JSON values), anchored; auto-acked.
pub struct Passthrough;

impl Bolt for Passthrough {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["value"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Passthrough)
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        out.emit_values_of(&tuple, Emit::new())?;
        Ok(())
    }
}

/// Decodes the first value as a string and emits it again (one value); auto-acked.
pub struct PassthroughDecoded;

impl Bolt for PassthroughDecoded {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["value"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(PassthroughDecoded)
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let value: &str = tuple.get(0)?;
        out.emit(&[value])?;
        Ok(())
    }
}

/// One reliable emit per `next`; ids are 0, 1, 2, …; failed ids are re-emitted.
pub struct CountingSpout {
    next_id: u64,
    in_flight: HashMap<u64, usize>,
}

impl Spout for CountingSpout {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["sentence"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(CountingSpout {
            next_id: 0,
            in_flight: HashMap::new(),
        })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id = self.next_id;
        self.next_id += 1;
        let index = (id % SENTENCES.len() as u64) as usize;
        self.in_flight.insert(id, index);
        out.emit_reliable(&id, &[SENTENCES[index]])?;
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        self.in_flight.remove(&id.get::<u64>()?);
        Ok(())
    }

    fn fail(&mut self, id: MessageId<'_>, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        if let Some(&index) = self.in_flight.get(&id) {
            out.emit_reliable(&id, &[SENTENCES[index]])?;
        }
        Ok(())
    }
}

plugin_api::export_components! {
    bolt Passthrough,
    bolt PassthroughDecoded,
    spout CountingSpout,
}

#[cfg(test)]
mod tests {
    use plugin_api::testkit::{BoltHarness, Recorded, SpoutHarness, TupleBuilder};
    use serde_json::json;

    use super::*;

    #[test]
    fn passthrough_emits_values_anchored_then_acks() {
        let mut bolt = BoltHarness::<Passthrough>::new().unwrap();
        bolt.process(TupleBuilder::new(json!(["a \"b\""])).id("t1"))
            .unwrap();
        bolt.assert_emitted(&[json!(["a \"b\""])]);
        // Its stream declares one field: two values are refused, as Storm would refuse them.
        let err = bolt
            .process(TupleBuilder::new(json!(["a", 1])).id("t2"))
            .unwrap_err();
        assert!(err.message.contains("emit of 2 values"), "{err}");
        bolt.assert_emits_anchored_to("t1");
        bolt.assert_acked(&["t1"]);
    }

    #[test]
    fn decoded_passthrough_emits_the_first_value() {
        let mut bolt = BoltHarness::<PassthroughDecoded>::new().unwrap();
        bolt.process(TupleBuilder::new(json!(["x\ty"])).id("t2"))
            .unwrap();
        bolt.assert_emitted(&[json!(["x\ty"])]);
        bolt.assert_acked(&["t2"]);
    }

    #[test]
    fn spout_counts_and_replays_failures() {
        let mut spout = SpoutHarness::<CountingSpout>::new().unwrap();
        spout.next_tuple().unwrap();
        spout.next_tuple().unwrap();
        spout.ack(json!(0)).unwrap();
        spout.fail(json!(1)).unwrap();
        spout.fail(json!(0)).unwrap(); // already acked: nothing
        let emits = spout.emits();
        assert_eq!(emits.len(), 3);
        assert_eq!(emits[0], (Some(json!(0)), json!([SENTENCES[0]])));
        assert_eq!(emits[2], (Some(json!(1)), json!([SENTENCES[1]])));
    }
}
