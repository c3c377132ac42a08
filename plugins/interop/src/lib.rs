//! Test components for sparse's interop tests against real Apache Storm
//! (`sparse/tests/integration/storm_interop.rs`, topologies in `sparse/tests/fixtures/storm_*`).
//!
//! Every component writes what it saw to its task log (`streamparse.log.path`) at `info`,
//! in `key=value` lines that the tests parse from outside the JVM:
//!
//! * [`FiniteSpout`]: `interop.sentences` (default 20) reliable sentences from
//!   `interop.text` (default [`TEXT`]), then idle. Logs `acked id=N`, `failed id=N`,
//!   `replayed id=N` and, once, `all N sentences acked (R replays)`.
//! * [`Splitter`]: splits on whitespace; fails (without emitting) every
//!   `interop.fail_every`-th tuple it receives (0: never), logging `failing tuple #K`.
//! * [`Counter`]: counts words; on every tick logs `tick #N` and, when the counts changed,
//!   `counts {json}` (all its counts, sorted). Ticks come from per-component conf.
//! * [`Router`] → [`Sink`]: words of at most 3 characters go to stream `short`, others to
//!   `long`; a sink logs `sink stream=S source=C word=W`.
//! * [`LogLevels`]: on its first tuple logs `level-probe L` at every level.
//! * [`Reporter`]: on its first tuple reports a non-fatal error (`error` command) and logs
//!   `reported`; it keeps working.
//! * [`Crasher`]: returns `Err` for a tuple containing `interop.poison` (default
//!   `poison`): the host reports it and exits, and Storm declares the task dead.
//! * [`DirectEmitter`] → [`DirectSink`]: each input is emitted on the direct stream `jobs`
//!   to the tasks of `interop.direct_target` (default `direct-sink`) in turn, logging
//!   `direct n=N to=T`; the sink logs `direct-sink me=T n=N to=T`.
//! * [`Noop`]: acks everything (a sink for streams nobody checks).
//! * [`RecordingSpout`]: ids `0..interop.ids`, reliable, each emit, ack and fail recorded
//!   in a file of its own that is also its durable state across restarts (see
//!   [`recording`]); for the fault tests on a real cluster.
//! * [`Holder`]: never acks nor fails a tuple (its trees can only time out); logs
//!   `holding word=W`.
//! * [`StderrWriter`]: writes `stderr word=W` on its stderr for every tuple (not a log).
//! * [`Stuck`]: never returns from its first tuple (sleeps until killed).

use std::collections::{BTreeMap, HashMap, VecDeque};

use plugin_api::{
    Bolt, BoltOutput, Context, Emit, MessageId, Spout, SpoutOutput, StreamDecl, Tuple,
    direct_stream, fields, stream,
};
use serde_json::Value;

pub mod recording;
pub use recording::RecordingSpout;

/// The default sentences of [`FiniteSpout`] (sentence `i` is `TEXT[i % TEXT.len()]`).
pub const TEXT: [&str; 5] = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
];

/// The sentences a [`FiniteSpout`] configured with `conf` emits, in id order.
pub fn sentences(conf: &serde_json::Map<String, Value>) -> Vec<String> {
    let n = conf
        .get("interop.sentences")
        .and_then(Value::as_u64)
        .unwrap_or(20);
    let text: Vec<String> = match conf.get("interop.text").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => TEXT.iter().map(|s| s.to_string()).collect(),
    };
    (0..n as usize)
        .map(|i| text[i % text.len()].clone())
        .collect()
}

/// A finite, reliable sentence spout; see the [crate docs](crate).
pub struct FiniteSpout {
    sentences: Vec<String>,
    next: usize,
    replay: VecDeque<u64>,
    acked: usize,
    replays: u64,
    done_logged: bool,
}

impl Spout for FiniteSpout {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["sentence"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        let sentences = sentences(ctx.conf());
        log::info!("finite spout: {} sentences", sentences.len());
        Ok(FiniteSpout {
            sentences,
            next: 0,
            replay: VecDeque::new(),
            acked: 0,
            replays: 0,
            done_logged: false,
        })
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        if let Some(id) = self.replay.pop_front() {
            self.replays += 1;
            log::info!("replayed id={id}");
            out.emit_reliable(&id, &[&self.sentences[id as usize]])?;
        } else if self.next < self.sentences.len() {
            let id = self.next as u64;
            self.next += 1;
            out.emit_reliable(&id, &[&self.sentences[id as usize]])?;
        }
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        self.acked += 1;
        log::info!("acked id={id}");
        if self.acked == self.sentences.len() && !self.done_logged {
            self.done_logged = true;
            log::info!(
                "all {} sentences acked ({} replays)",
                self.acked,
                self.replays
            );
        }
        Ok(())
    }

    fn fail(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        log::info!("failed id={id}");
        self.replay.push_back(id);
        Ok(())
    }
}

/// Splits sentences; fails every `interop.fail_every`-th input; see the [crate docs](crate).
pub struct Splitter {
    fail_every: u64,
    seen: u64,
}

impl Bolt for Splitter {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["word"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Splitter {
            fail_every: ctx.conf_u64("interop.fail_every").unwrap_or(0),
            seen: 0,
        })
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        self.seen += 1;
        // `&str` borrows, or decodes once when Storm escaped the text (`\/`, `\u2028`).
        let sentence: &str = tuple.get(0)?;
        if self.fail_every > 0 && self.seen.is_multiple_of(self.fail_every) {
            log::info!("failing tuple #{}: {sentence}", self.seen);
            out.fail(tuple);
            return Ok(());
        }
        for word in sentence.split_whitespace() {
            out.emit(&[word])?;
        }
        Ok(())
    }

    fn process_tick(&mut self, _tick: &Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        log::warn!("unexpected tick (ticks are configured for the counter only)");
        Ok(())
    }
}

/// Counts words and logs them on ticks; see the [crate docs](crate).
pub struct Counter {
    counts: BTreeMap<String, u64>,
    changed: bool,
    ticks: u64,
}

impl Counter {
    /// The counts so far.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }
}

impl Bolt for Counter {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Counter {
            counts: BTreeMap::new(),
            changed: false,
            ticks: 0,
        })
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        match self.counts.get_mut(word) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(word.to_owned(), 1);
            }
        }
        self.changed = true;
        Ok(())
    }

    fn process_tick(&mut self, _tick: &Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        self.ticks += 1;
        log::info!("tick #{}", self.ticks);
        if self.changed {
            self.changed = false;
            log::info!("counts {}", serde_json::to_string(&self.counts)?);
        }
        Ok(())
    }
}

/// Routes words to the `short` or `long` stream; see the [crate docs](crate).
pub struct Router;

impl Bolt for Router {
    const OUTPUTS: &'static [StreamDecl] = &[stream("short", &["word"]), stream("long", &["word"])];

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Router)
    }

    fn process(&mut self, tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        let to = if word.chars().count() <= 3 {
            "short"
        } else {
            "long"
        };
        out.emit_with(&[word], Emit::to(to))?;
        Ok(())
    }
}

/// Logs every tuple with its stream and source; see the [crate docs](crate).
pub struct Sink;

impl Bolt for Sink {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Sink)
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        log::info!(
            "sink stream={} source={} word={word}",
            tuple.stream(),
            tuple.component()
        );
        Ok(())
    }
}

/// Logs one record at every level on its first tuple; see the [crate docs](crate).
pub struct LogLevels {
    done: bool,
}

impl Bolt for LogLevels {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(LogLevels { done: false })
    }

    fn process(&mut self, _tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        if !self.done {
            self.done = true;
            log::trace!("level-probe trace");
            log::debug!("level-probe debug");
            log::info!("level-probe info");
            log::warn!("level-probe warn");
            log::error!("level-probe error");
        }
        Ok(())
    }
}

/// Reports one non-fatal error on its first tuple; see the [crate docs](crate).
pub struct Reporter {
    done: bool,
}

/// The message [`Reporter`] reports.
pub const REPORTED: &str = "interop-reporter: a non-fatal error report";

impl Bolt for Reporter {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Reporter { done: false })
    }

    fn process(&mut self, _tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        if !self.done {
            self.done = true;
            out.report_error(REPORTED);
            log::info!("reported");
        }
        Ok(())
    }
}

/// Fails the task on a poison value; see the [crate docs](crate).
pub struct Crasher {
    poison: String,
}

impl Bolt for Crasher {
    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Crasher {
            poison: ctx
                .conf_str("interop.poison")
                .unwrap_or("poison")
                .to_string(),
        })
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let value: String = tuple.get(0)?;
        if value.contains(&self.poison) {
            return Err(format!("interop-crasher: poison value {value:?}").into());
        }
        Ok(())
    }
}

/// Emits each input directly to the target component's tasks in turn; see the
/// [crate docs](crate).
pub struct DirectEmitter {
    targets: Vec<i64>,
    n: u64,
}

impl Bolt for DirectEmitter {
    const OUTPUTS: &'static [StreamDecl] = &[direct_stream("jobs", &["n", "target"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        let target = ctx
            .conf_str("interop.direct_target")
            .unwrap_or("direct-sink")
            .to_string();
        let targets = ctx.component_tasks(&target);
        if targets.is_empty() {
            return Err(format!("no tasks for direct target component {target:?}").into());
        }
        log::info!("direct targets {target}: {targets:?}");
        Ok(DirectEmitter { targets, n: 0 })
    }

    fn process(&mut self, _tuple: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let to = self.targets[(self.n % self.targets.len() as u64) as usize];
        self.n += 1;
        out.emit_with(&(self.n, to), Emit::to("jobs").direct(to))?;
        log::info!("direct n={} to={to}", self.n);
        Ok(())
    }
}

/// Logs each direct tuple with its own task id; see the [crate docs](crate).
pub struct DirectSink {
    me: i64,
}

impl Bolt for DirectSink {
    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        Ok(DirectSink { me: ctx.task_id() })
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let (n, to): (u64, i64) = tuple.values()?;
        log::info!(
            "direct-sink me={} n={n} to={to} stream={}",
            self.me,
            tuple.stream()
        );
        Ok(())
    }
}

/// Acks everything.
pub struct Noop;

impl Bolt for Noop {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Noop)
    }

    fn process(&mut self, _tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        Ok(())
    }
}

/// Never acks nor fails; see the [crate docs](crate).
pub struct Holder;

impl Bolt for Holder {
    const AUTO_ACK: bool = false;

    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Holder)
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        log::info!("holding word={word}");
        Ok(())
    }
}

/// Writes each tuple's word on stderr; see the [crate docs](crate).
pub struct StderrWriter;

impl Bolt for StderrWriter {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(StderrWriter)
    }

    fn process(&mut self, tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let word: &str = tuple.get(0)?;
        eprintln!("stderr word={word}");
        Ok(())
    }
}

/// Never returns from its first tuple; see the [crate docs](crate).
pub struct Stuck;

impl Bolt for Stuck {
    fn initialize(_ctx: &Context) -> plugin_api::Result<Self> {
        Ok(Stuck)
    }

    fn process(&mut self, _tuple: Tuple<'_>, _out: &mut BoltOutput<'_>) -> plugin_api::Result {
        log::info!("stuck");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// Parses `key=value` pairs out of a log line (values end at a space), e.g.
/// `direct n=3 to=7` → `{n: 3, to: 7}` (as strings).
pub fn kv(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

plugin_api::export_components! {
    spout FiniteSpout,
    spout RecordingSpout,
    bolt Splitter,
    bolt Counter,
    bolt Router,
    bolt Sink,
    bolt LogLevels,
    bolt Reporter,
    bolt Crasher,
    bolt DirectEmitter,
    bolt DirectSink,
    bolt Noop,
    bolt Holder,
    bolt StderrWriter,
    bolt Stuck,
}

#[cfg(test)]
mod tests;
