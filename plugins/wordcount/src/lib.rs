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

/// Splits a sentence into words, as the seed's `SentenceSplitterBolt`.
pub struct SentenceSplitter;

impl Bolt for SentenceSplitter {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["word"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(SentenceSplitter)
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        // Borrow the sentence when it has no JSON escapes; otherwise decode a copy. A
        // value that is not a string is an error: the tuple is failed and the task ends.
        let owned;
        let sentence: &str = match tuple.get::<&str>(0) {
            Ok(s) => s,
            Err(_) => {
                owned = tuple.get::<String>(0)?;
                &owned
            }
        };
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
