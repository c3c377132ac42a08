//! [`RecordingSpout`]: a reliable spout over a finite id range that records, in a file of its
//! own, every id it emitted, acked and failed, so that a test can check from outside the JVM
//! that every id was eventually acked after faults (`kill -9` of a task or of a worker JVM;
//! `sparse/tests/integration/storm_faults.rs`).
//!
//! Conf (topology or component):
//!
//! * `interop.ids` (default 1000): ids `0..N`; id `i` carries sentence `i % len` of
//!   `interop.text` (default [`crate::TEXT`]).
//! * `interop.record_dir` (required): the record is `<dir>/ids_<component>_<task>.txt`.
//! * `interop.emit_per_sec` (default 0: no limit): at most that many emits per second since
//!   the task started, replays included, so a run lasts long enough to be hit by a fault.
//!
//! The record has one line per event, `<unix ms> <event> <id>`, written with one `write`
//! call on a file opened for appending, unbuffered, so nothing is lost when the process is
//! killed with `SIGKILL`:
//!
//! ```text
//! 1795959248123 start 4242        (the pid; once per process)
//! 1795959248130 emit 0            (first emit of an id)
//! 1795959258301 fail 0            (Storm failed its tuple tree: timeout or a bolt's fail)
//! 1795959258302 replay 0          (emitted again)
//! 1795959259010 ack 0
//! 1795959300000 done 1000         (every id acked, once per process)
//! ```
//!
//! The record is also the spout's durable state, as a Kafka offset or a queue's
//! unacknowledged messages would be: a task that starts again (its worker was restarted)
//! reads it, and emits again first every id that was emitted and never acked (`replay`),
//! then goes on after the highest id emitted. So no id is lost to a restart, and each id
//! is acked at least once, possibly more than once.

use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use plugin_api::{Context, MessageId, Spout, SpoutOutput, StreamDecl, fields};

/// What the record of a [`RecordingSpout`] holds; see the [module docs](self).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    /// Ids emitted at least once.
    pub emitted: BTreeSet<u64>,
    /// Ids acked at least once.
    pub acked: BTreeSet<u64>,
    /// Emits, replays included.
    pub emits: u64,
    /// Replays (emits of an id already emitted).
    pub replays: u64,
    /// `fail` calls.
    pub fails: u64,
    /// `ack` calls.
    pub acks: u64,
    /// Processes that ran the task (`start` lines).
    pub starts: u64,
    /// Every event: `(unix ms, event, id)`.
    pub events: Vec<(u64, String, u64)>,
}

impl Record {
    /// Parses a record's text; a line that is not `<ms> <event> <id>` (e.g. the last line
    /// cut short by a kill) is skipped.
    pub fn parse(text: &str) -> Record {
        let mut r = Record::default();
        for line in text.lines() {
            let mut it = line.split(' ');
            let (Some(ms), Some(event), Some(id), None) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                continue;
            };
            let (Ok(ms), Ok(id)) = (ms.parse::<u64>(), id.parse::<u64>()) else {
                continue;
            };
            match event {
                "start" => r.starts += 1,
                "emit" => {
                    r.emits += 1;
                    r.emitted.insert(id);
                }
                "replay" => {
                    r.emits += 1;
                    r.replays += 1;
                    r.emitted.insert(id);
                }
                "ack" => {
                    r.acks += 1;
                    r.acked.insert(id);
                }
                "fail" => r.fails += 1,
                "done" => {}
                _ => continue,
            }
            r.events.push((ms, event.to_string(), id));
        }
        r
    }

    /// Reads and parses a record file.
    pub fn read(path: &Path) -> std::io::Result<Record> {
        Ok(Record::parse(&std::fs::read_to_string(path)?))
    }
}

/// The record file of task `task` of `component` in `dir`.
pub fn record_path(dir: &Path, component: &str, task: i64) -> PathBuf {
    dir.join(format!("ids_{component}_{task}.txt"))
}

/// A reliable spout over ids `0..N` that records what happens to each; see the
/// [module docs](self).
pub struct RecordingSpout {
    text: Vec<String>,
    ids: u64,
    next: u64,
    replay: VecDeque<u64>,
    acked: BTreeSet<u64>,
    file: File,
    path: PathBuf,
    per_sec: u64,
    started: Instant,
    emitted_here: u64,
    done: bool,
}

impl RecordingSpout {
    fn write(&mut self, event: &str, id: u64) -> plugin_api::Result {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        // One write per line on an O_APPEND file: whole lines, even under SIGKILL.
        self.file
            .write_all(format!("{ms} {event} {id}\n").as_bytes())
            .map_err(|e| format!("cannot write the id record {}: {e}", self.path.display()))?;
        Ok(())
    }
}

impl Spout for RecordingSpout {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["sentence"])];

    fn initialize(ctx: &Context) -> plugin_api::Result<Self> {
        let dir = ctx.conf_str("interop.record_dir").ok_or(
            "interop::RecordingSpout needs interop.record_dir (a folder for its id record)",
        )?;
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create interop.record_dir {dir}: {e}"))?;
        let path = record_path(Path::new(dir), ctx.component_id(), ctx.task_id());
        let before = match std::fs::read_to_string(&path) {
            Ok(text) => Record::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Record::default(),
            Err(e) => {
                return Err(format!("cannot read the id record {}: {e}", path.display()).into());
            }
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open the id record {}: {e}", path.display()))?;
        let text: Vec<String> = match ctx.conf_value("interop.text").and_then(|v| v.as_array()) {
            Some(a) if !a.is_empty() => a
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => crate::TEXT.iter().map(|s| s.to_string()).collect(),
        };
        // Emitted and never acked before this process: emitted again first.
        let replay: VecDeque<u64> = before.emitted.difference(&before.acked).copied().collect();
        let next = before.emitted.last().map_or(0, |m| m + 1);
        let ids = ctx.conf_u64("interop.ids").unwrap_or(1000);
        log::info!(
            "recording spout: ids 0..{ids}, record {}; resuming: {} acked, {} to emit again, next new id {next}",
            path.display(),
            before.acked.len(),
            replay.len()
        );
        let mut s = RecordingSpout {
            text,
            ids,
            next,
            replay,
            acked: before.acked,
            file,
            path,
            per_sec: ctx.conf_u64("interop.emit_per_sec").unwrap_or(0),
            started: Instant::now(),
            emitted_here: 0,
            done: false,
        };
        s.write("start", u64::from(std::process::id()))?;
        Ok(s)
    }

    fn next_tuple(&mut self, out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        if self.per_sec > 0 {
            let allowed = self.started.elapsed().as_millis() as u64 * self.per_sec / 1000 + 1;
            if self.emitted_here >= allowed {
                return Ok(());
            }
        }
        let (id, event) = if let Some(id) = self.replay.pop_front() {
            (id, "replay")
        } else if self.next < self.ids {
            self.next += 1;
            (self.next - 1, "emit")
        } else {
            return Ok(());
        };
        // Recorded before the emit: an id that reached Storm is always in the record.
        self.write(event, id)?;
        self.emitted_here += 1;
        let sentence = &self.text[(id % self.text.len() as u64) as usize];
        out.emit_reliable(&id, &[sentence])?;
        Ok(())
    }

    fn ack(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        self.write("ack", id)?;
        self.acked.insert(id);
        if !self.done && self.acked.len() as u64 >= self.ids {
            self.done = true;
            self.write("done", self.ids)?;
            log::info!("all {} ids acked", self.ids);
        }
        Ok(())
    }

    fn fail(&mut self, id: MessageId<'_>, _out: &mut SpoutOutput<'_>) -> plugin_api::Result {
        let id: u64 = id.get()?;
        self.write("fail", id)?;
        log::info!("failed id={id}");
        self.replay.push_back(id);
        Ok(())
    }
}
