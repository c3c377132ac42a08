//! The word-count example: the streamparse quickstart topology as Rust components.
//!
//! * [`SentenceSpout`] emits the quickstart's four sentences forever, reliably, and
//!   replays a failed sentence (same message id) before any new one.
//! * [`SentenceSplitter`] strips `.,!?`, splits on spaces and emits each word.
//! * [`WordCounter`] counts words and emits the running count of each.
//!
//! `topologies/wordcount.clj` wires them together; `sparse run` runs them locally.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use plugin_api::{
    Bolt, BoltOutput, Context, MessageId, Spout, SpoutOutput, StreamDecl, Tuple, fields,
};

/// The sentences of the streamparse quickstart spout.
pub const SENTENCES: [&str; 4] = [
    "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
    "I was very glad to get a present from her",
    "He will be here in half an hour",
    "She saw him eating a sandwich",
];

/// Emits [`SENTENCES`] in a cycle; every emit is reliable, with a fresh numeric id.
pub struct SentenceSpout {
    next_id: u64,
    /// Message id → index of the sentence, for every emit not acked yet.
    in_flight: HashMap<u64, usize>,
    /// Failed ids, replayed before any new sentence.
    replay: VecDeque<u64>,
}

impl Spout for SentenceSpout {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["sentence"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(SentenceSpout {
            next_id: 0,
            in_flight: HashMap::new(),
            replay: VecDeque::new(),
        })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let (id, index) = match self.replay.pop_front() {
            Some(id) => (id, self.in_flight[&id]),
            None => {
                let id = self.next_id;
                self.next_id += 1;
                let index = (id % SENTENCES.len() as u64) as usize;
                self.in_flight.insert(id, index);
                (id, index)
            }
        };
        out.emit_reliable(&id, &[SENTENCES[index]])?;
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        self.in_flight.remove(&id.get::<u64>()?);
        Ok(())
    }

    fn fail(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        if self.in_flight.contains_key(&id) {
            log::info!("sentence {id} failed; replaying it");
            self.replay.push_back(id);
        } else {
            log::warn!("fail for unknown sentence id {id}");
        }
        Ok(())
    }
}

/// The conf key giving the position of the sentence in the splitter's input tuples
/// (default 0). Storm's `KafkaSpout` emits `[topic, partition, offset, key, value]`, so a
/// splitter fed by it sets 4 (`:conf {"wordcount.sentence.index" 4}`).
pub const SENTENCE_INDEX_CONF: &str = "wordcount.sentence.index";

/// Splits a sentence into words, as the seed's `SentenceSplitterBolt`. The sentence is the
/// first value of the tuple, or the one at [`SENTENCE_INDEX_CONF`].
pub struct SentenceSplitter {
    index: usize,
}

impl Bolt for SentenceSplitter {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["word"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        let index = match ctx.conf_value(SENTENCE_INDEX_CONF) {
            None => 0,
            Some(v) => v
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| {
                    format!("{SENTENCE_INDEX_CONF} must be a non-negative integer, found {v}")
                })?,
        };
        Ok(SentenceSplitter { index })
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        // Borrowed from the tuple (decoded first when Storm escaped it, as it does `/`).
        // A value that is not a string is an error: the tuple fails and the task ends.
        let sentence: &str = tuple.get(self.index)?;
        let cleaned = remove_punctuation(sentence);
        let mut words = cleaned
            .split(' ')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .peekable();
        if words.peek().is_none() {
            // No words in the sentence: fail it, so the spout can replay or drop it.
            out.fail(tuple);
            return Ok(());
        }
        for word in words {
            out.emit(&[word])?;
        }
        Ok(())
    }
}

/// The sentence without `.`, `,`, `!` and `?` (borrowed when it has none).
pub fn remove_punctuation(sentence: &str) -> Cow<'_, str> {
    const PUNCTUATION: [char; 4] = ['.', ',', '!', '?'];
    if sentence.contains(PUNCTUATION) {
        Cow::Owned(sentence.replace(PUNCTUATION, ""))
    } else {
        Cow::Borrowed(sentence)
    }
}

/// Counts words; emits `[word, count]` for every input.
pub struct WordCounter {
    counts: HashMap<String, u64>,
    total: u64,
}

impl Bolt for WordCounter {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["word", "count"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(WordCounter {
            counts: HashMap::new(),
            total: 0,
        })
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        let count = match self.counts.get_mut(word) {
            Some(c) => {
                *c += 1;
                *c
            }
            None => {
                self.counts.insert(word.to_owned(), 1);
                1
            }
        };
        self.total += 1;
        log::debug!("counted {word} = {count}");
        if self.total.is_multiple_of(1000) {
            log::info!(
                "counted {} words, {} distinct",
                self.total,
                self.counts.len()
            );
        }
        out.emit(&(word, count))?;
        Ok(())
    }
}

plugin_api::export_components! {
    spout SentenceSpout,
    bolt SentenceSplitter,
    bolt WordCounter,
}

#[cfg(test)]
mod tests {
    use plugin_api::testkit::{BoltHarness, Recorded, SpoutHarness, TupleBuilder};
    use serde_json::json;

    use super::*;

    #[test]
    fn spout_cycles_the_sentences_with_unique_ids() {
        let mut spout = SpoutHarness::<SentenceSpout>::new().unwrap();
        spout.activate().unwrap();
        for _ in 0..5 {
            spout.next_tuple().unwrap();
        }
        let emits = spout.emits();
        let ids: Vec<_> = emits.iter().map(|(id, _)| id.clone().unwrap()).collect();
        assert_eq!(ids, [json!(0), json!(1), json!(2), json!(3), json!(4)]);
        assert_eq!(emits[0].1, json!([SENTENCES[0]]));
        assert_eq!(emits[4].1, json!([SENTENCES[0]]));
    }

    #[test]
    fn spout_replays_a_failed_sentence_before_new_ones() {
        let mut spout = SpoutHarness::<SentenceSpout>::new().unwrap();
        spout.next_tuple().unwrap();
        spout.next_tuple().unwrap();
        spout.ack(json!(1)).unwrap();
        spout.fail(json!(0)).unwrap();
        spout.clear_events();
        spout.next_tuple().unwrap();
        spout.next_tuple().unwrap();
        let emits = spout.emits();
        assert_eq!(emits[0], (Some(json!(0)), json!([SENTENCES[0]])));
        assert_eq!(emits[1], (Some(json!(2)), json!([SENTENCES[2]])));
    }

    #[test]
    fn spout_ignores_a_fail_for_an_acked_id() {
        let mut spout = SpoutHarness::<SentenceSpout>::new().unwrap();
        spout.next_tuple().unwrap();
        spout.ack(json!(0)).unwrap();
        spout.fail(json!(0)).unwrap();
        spout.clear_events();
        spout.next_tuple().unwrap();
        assert_eq!(spout.emits()[0].0, Some(json!(1)));
    }

    /// The kit sends values as Storm does (`/` as `\/`, U+2028 as `\u2028`): the splitter
    /// reads them as `&str` all the same.
    #[test]
    fn splitter_reads_what_storm_sends() {
        let mut bolt = BoltHarness::<SentenceSplitter>::new().unwrap();
        let t = TupleBuilder::new(json!(["and/or C:\\tmp \"q\" €5 \u{1F600}"])).id("s1");
        assert!(t.values_json().contains(r"and\/or"), "{}", t.values_json());
        bolt.process(t).unwrap();
        bolt.assert_emitted(&[
            json!(["and/or"]),
            json!(["C:\\tmp"]),
            json!(["\"q\""]),
            json!(["€5"]),
            json!(["\u{1F600}"]),
        ]);
        bolt.assert_acked(&["s1"]);
    }

    #[test]
    fn splitter_emits_anchored_words_then_acks() {
        let mut bolt = BoltHarness::<SentenceSplitter>::new().unwrap();
        bolt.process(TupleBuilder::new(json!(["Snow white, and... the dwarfs!?"])).id("s1"))
            .unwrap();
        bolt.assert_emitted(&[
            json!(["Snow"]),
            json!(["white"]),
            json!(["and"]),
            json!(["the"]),
            json!(["dwarfs"]),
        ]);
        bolt.assert_emits_anchored_to("s1");
        bolt.assert_acked(&["s1"]);
    }

    #[test]
    fn splitter_fails_a_sentence_without_words() {
        let mut bolt = BoltHarness::<SentenceSplitter>::new().unwrap();
        bolt.process(TupleBuilder::new(json!(["  ?! . "])).id("empty"))
            .unwrap();
        bolt.assert_failed(&["empty"]);
        bolt.assert_acked(&[]);
        assert!(bolt.emitted_values().is_empty());
    }

    #[test]
    fn splitter_treats_a_non_string_as_an_error() {
        let mut bolt = BoltHarness::<SentenceSplitter>::new().unwrap();
        let err = bolt
            .process(TupleBuilder::new(json!([7])).id("n"))
            .unwrap_err();
        assert!(err.message.contains("SentenceSplitter"), "{err}");
        bolt.assert_failed(&["n"]);
        assert_eq!(bolt.errors().len(), 1);
    }

    #[test]
    fn splitter_reads_the_configured_value() {
        let mut cfg = plugin_api::testkit::HarnessConfig::default();
        cfg.conf.insert(super::SENTENCE_INDEX_CONF.into(), json!(4));
        let mut bolt = BoltHarness::<SentenceSplitter>::with_config(cfg).unwrap();
        let record = json!(["sentences", 0, 17, null, "café and/or"]);
        bolt.process(TupleBuilder::new(record).id("k")).unwrap();
        bolt.assert_emitted(&[json!(["café"]), json!(["and/or"])]);
        bolt.assert_acked(&["k"]);
    }

    #[test]
    fn splitter_rejects_a_bad_index() {
        let mut cfg = plugin_api::testkit::HarnessConfig::default();
        cfg.conf
            .insert(super::SENTENCE_INDEX_CONF.into(), json!("value"));
        let err = BoltHarness::<SentenceSplitter>::with_config(cfg)
            .err()
            .expect("a string index is refused");
        assert!(err.message.contains(super::SENTENCE_INDEX_CONF), "{err}");
    }

    #[test]
    fn splitter_handles_escaped_sentences() {
        let mut bolt = BoltHarness::<SentenceSplitter>::new().unwrap();
        bolt.process(TupleBuilder::new(json!(["say \"hi\"\tnow"])).id("q"))
            .unwrap();
        bolt.assert_emitted(&[json!(["say"]), json!(["\"hi\"\tnow"])]);
    }

    #[test]
    fn counter_counts_and_logs() {
        let mut bolt = BoltHarness::<WordCounter>::new().unwrap();
        for w in ["a", "b", "a"] {
            bolt.process(TupleBuilder::new(json!([w]))).unwrap();
        }
        bolt.assert_emitted(&[json!(["a", 1]), json!(["b", 1]), json!(["a", 2])]);
        assert_eq!(bolt.acked().len(), 3);
        let debug = bolt.logs(log::Level::Debug);
        assert!(debug.contains(&"counted a = 2".to_owned()), "{debug:?}");
    }

    #[test]
    fn counter_logs_a_summary_every_thousand_words() {
        let mut bolt = BoltHarness::<WordCounter>::new().unwrap();
        for i in 0..1000 {
            bolt.process(TupleBuilder::new(json!([format!("w{}", i % 10)])))
                .unwrap();
        }
        assert_eq!(
            bolt.logs(log::Level::Info),
            ["counted 1000 words, 10 distinct"]
        );
    }
}
