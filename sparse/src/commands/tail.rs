//! `sparse tail`: the task logs of a topology's `sparse-host` tasks.
//!
//! - With `-e ENV`: on the cluster, through Storm's logviewer, no ssh. The topology's
//!   workers come from the UI (`/api/v1/topology/<id>`); each worker's `workerLogLink` names
//!   its supervisor's logviewer, which lists the worker's folder
//!   (`<storm.log.dir>/workers-artifacts/<topology-id>/<port>/`, `/api/v1/listLogs`) and
//!   pages through a file (`/api/v1/log?file=&start=&length=`). `sparse-host` writes its
//!   task logs into that folder when the env's `log.path` is empty (see `sparse-host`'s
//!   `logging::worker_dir`).
//! - Without `-e`: the logs of a local `sparse run`, `<project>/logs/`.
//!
//! Files shown: the task logs `streamparse_<topology>_<component>_<task>_<pid>.log` (of the
//! topology `-n` names, if any), and of those only the ones whose name contains
//! `--pattern`. Each file starts with `==> where <==` and its last `--lines` lines; with `-f`
//! new lines follow as they are written (polled every second), new files (a restarted
//! task) included, until Ctrl-C. Only whole lines are printed; a line still being written
//! waits for its newline. A file that shrinks (rotated) is read again from its start.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{CliError, CliResult, EXIT_IO, EXIT_USAGE};
use sparse_deploy::storm::ui::{self, Logviewer, Page, Ui};

/// How often `-f` polls.
const POLL: Duration = Duration::from_secs(1);
/// Bytes asked of the logviewer per request (Storm caps a page at 10 MiB).
const CHUNK: u64 = 1024 * 1024;

/// Flags of `sparse tail`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs`: tail on that cluster through Storm's logviewer.
    /// Without it, the logs of a local `sparse run` (`<project>/logs`).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// The topology (required with -e; locally, only its task logs).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Keep printing new lines as they are written, until Ctrl-C.
    #[arg(short = 'f', long = "follow")]
    pub follow: bool,
    /// Only log files whose name contains this text.
    #[arg(long = "pattern", value_name = "TEXT")]
    pub pattern: Option<String>,
    /// Lines shown from the end of each file first.
    #[arg(short = 'l', long = "lines", value_name = "N", default_value_t = 10)]
    pub lines: usize,
}

/// Whether a file name is a task log of `topology` (any topology for `None`) containing
/// `pattern`.
pub fn wanted(file_name: &str, topology: Option<&str>, pattern: Option<&str>) -> bool {
    let task_log = match topology {
        Some(t) => file_name.starts_with(&format!("streamparse_{}_", sanitize(t))),
        None => file_name.starts_with("streamparse_"),
    } && file_name.contains(".log");
    task_log && pattern.is_none_or(|p| file_name.contains(p))
}

/// The topology name as `sparse-host` puts it in file names (its `sanitize_name`: characters
/// other than letters, digits and `-_.+@=,~` become `_`, and so does a `.` right after a `.`).
fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut prev_dot = false;
    for c in name.chars() {
        let keep = c.is_alphanumeric() || "-_.+@=,~".contains(c);
        out.push(if !keep || (c == '.' && prev_dot) { '_' } else { c });
        prev_dot = c == '.';
    }
    out
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.rmatch_indices('\n').nth(n - 1) {
        Some((i, _)) => &text[i + 1..],
        None => text,
    }
}

/// The whole lines at the start of `text` (up to and including its last newline); all of
/// it when `eof` is false and there is no newline (a line longer than a chunk).
fn whole_lines(text: &str, full_chunk: bool) -> &str {
    match text.rfind('\n') {
        Some(i) => &text[..=i],
        None if full_chunk => text,
        None => "",
    }
}

/// Where output goes, remembering which file the last lines came from.
struct Out {
    last: Option<String>,
}

impl Out {
    fn print(&mut self, source: &str, text: &str) -> CliResult {
        if text.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        let mut w = || -> std::io::Result<()> {
            if self.last.as_deref() != Some(source) {
                if self.last.is_some() {
                    writeln!(out)?;
                }
                writeln!(out, "==> {source} <==")?;
            }
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
            out.flush()
        };
        match w() {
            Ok(()) => {
                self.last = Some(source.to_string());
                Ok(())
            }
            // The reader went away (`| head`): stop quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            Err(e) => Err(CliError::new(EXIT_IO, format!("error: writing output: {e}"))),
        }
    }
}

/// Runs `sparse tail`.
pub fn exec(args: Args) -> CliResult {
    match args.environment.clone() {
        Some(env) => cluster(&args, &env),
        None => local(&args),
    }
}

fn cluster(args: &Args, env: &str) -> CliResult {
    let Some(name) = args.name.as_deref() else {
        return Err(CliError::new(
            EXIT_USAGE,
            "error: `sparse tail -e ENV` needs -n NAME, the topology whose logs to show",
        ));
    };
    let ui = super::stats::connect_ui(args.config.as_deref(), Some(env))?;
    let id = ui.find_topology(name)?.id;
    // file ("<id>/<port>/<name>" at a logviewer) -> bytes already read
    let mut offsets: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut out = Out { last: None };
    let mut first = true;
    loop {
        let mut files = Vec::new();
        for (viewer, file) in cluster_files(&ui, &id, args)? {
            files.push((viewer, file));
        }
        if first && files.is_empty() {
            log::info!(
                "note: no task log of `{name}` found yet through the logviewers{} \
                 (tasks log there when the env's log.path is empty)",
                args.pattern
                    .as_deref()
                    .map(|p| format!(" matching `{p}`"))
                    .unwrap_or_default()
            );
        }
        for (viewer, file) in files {
            let key = (viewer.base().to_string(), file.clone());
            let source = format!("{} {file}", viewer.base());
            let from = offsets.get(&key).copied();
            let (text, end) = read_remote(&viewer, &file, from.unwrap_or(0))?;
            offsets.insert(key, end);
            let shown = if from.is_none() && first {
                last_lines(&text, args.lines)
            } else {
                &text
            };
            out.print(&source, shown)?;
        }
        if !args.follow {
            return Ok(());
        }
        first = false;
        std::thread::sleep(POLL);
    }
}

/// The wanted files of every worker of topology `id`, with their logviewer.
fn cluster_files(ui: &Ui, id: &str, args: &Args) -> Result<Vec<(Logviewer, String)>, CliError> {
    let page = ui.topology(id)?;
    let mut files = Vec::new();
    for w in ui::topology_workers(&page) {
        let Some(base) = w.logviewer_base() else {
            continue;
        };
        let viewer = Logviewer::new(&base);
        for f in viewer.list_logs(id, w.port)? {
            let file_name = f.rsplit('/').next().unwrap_or(&f);
            if wanted(file_name, args.name.as_deref(), args.pattern.as_deref()) {
                files.push((viewer.clone(), f));
            }
        }
    }
    Ok(files)
}

/// Reads `file` from byte `from` to its last whole line; returns the text and the offset
/// after it. A file now shorter than `from` (rotated: a new file under the same name) is
/// read from its start: the logviewer gives no file size, so when `from` is past the end,
/// one more byte is asked at `from - 1`, which exists unless the file shrank.
fn read_remote(viewer: &Logviewer, file: &str, from: u64) -> Result<(String, u64), CliError> {
    let mut text = String::new();
    let mut at = from;
    loop {
        match viewer.page(file, Some(at), CHUNK)? {
            Page::PastEnd
                if at == from
                    && from > 0
                    && viewer.page(file, Some(from - 1), 1)? == Page::PastEnd =>
            {
                at = 0;
            }
            Page::PastEnd => break,
            Page::Text(t) => {
                let full = t.len() as u64 >= CHUNK;
                let lines = whole_lines(&t, full);
                at += lines.len() as u64;
                text.push_str(lines);
                if !full || lines.is_empty() {
                    break;
                }
            }
        }
    }
    Ok((text, at))
}

fn local(args: &Args) -> CliResult {
    let project = sparse_project::Project::open(args.config.as_deref(), &super::cwd()?)?;
    let dir = project.root.join("logs");
    let mut offsets: BTreeMap<PathBuf, u64> = BTreeMap::new();
    let mut out = Out { last: None };
    let mut first = true;
    loop {
        let files = local_files(&dir, args)?;
        if first && files.is_empty() {
            log::info!(
                "note: no task log in {}{} (`sparse run` writes them there)",
                dir.display(),
                args.name
                    .as_deref()
                    .map(|n| format!(" for `{n}`"))
                    .unwrap_or_default()
            );
        }
        for path in files {
            let from = offsets.get(&path).copied();
            let (text, end) = read_local(&path, from.unwrap_or(0))?;
            offsets.insert(path.clone(), end);
            let shown = if from.is_none() && first {
                last_lines(&text, args.lines)
            } else {
                &text
            };
            out.print(&path.display().to_string(), shown)?;
        }
        if !args.follow {
            return Ok(());
        }
        first = false;
        std::thread::sleep(POLL);
    }
}

/// The wanted task logs in `dir`, sorted; none when `dir` does not exist.
pub fn local_files(dir: &Path, args: &Args) -> Result<Vec<PathBuf>, CliError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(CliError::new(
                EXIT_IO,
                format!("error: cannot read {}: {e}", dir.display()),
            ));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            wanted(
                &e.file_name().to_string_lossy(),
                args.name.as_deref(),
                args.pattern.as_deref(),
            )
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// Reads `path` from byte `from` (from 0 when the file is now shorter: rotated) to its last
/// whole line.
fn read_local(path: &Path, from: u64) -> Result<(String, u64), CliError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e: std::io::Error| CliError::new(EXIT_IO, format!("error: {}: {e}", path.display()));
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        // Removed since it was listed (rotated away, remove_logs): nothing to show.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((String::new(), from)),
        Err(e) => return Err(io(e)),
    };
    let len = f.metadata().map_err(io)?.len();
    let from = if len < from { 0 } else { from };
    f.seek(SeekFrom::Start(from)).map_err(io)?;
    let mut bytes = Vec::new();
    f.take(len - from).read_to_end(&mut bytes).map_err(io)?;
    let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(end);
    Ok((
        String::from_utf8_lossy(&bytes).into_owned(),
        from + end as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_task_logs_of_the_topology() {
        let f = "streamparse_wordcount_word-counter_4_123.log";
        assert!(wanted(f, None, None));
        assert!(wanted(f, Some("wordcount"), Some("counter")));
        assert!(!wanted(f, Some("word"), None));
        assert!(!wanted(f, Some("wordcount"), Some("spout")));
        assert!(!wanted("worker.log", None, None));
        assert!(wanted("streamparse_a_b_c_1_2.log.1", Some("a_b"), None));
        assert!(wanted("streamparse_my_topo_s_1_2.log", Some("my topo"), None));
    }

    #[test]
    fn last_and_whole_lines() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc\n", 5), "a\nb\nc\n");
        assert_eq!(last_lines("a\nb\nc\n", 0), "");
        assert_eq!(whole_lines("a\nb\npart", false), "a\nb\n");
        assert_eq!(whole_lines("part", false), "");
        assert_eq!(whole_lines("part", true), "part");
    }

    #[test]
    fn local_reads_whole_lines_and_restarts_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("streamparse_t_c_1_1.log");
        std::fs::write(&p, "one\ntwo\npar").unwrap();
        let (t, end) = read_local(&p, 0).unwrap();
        assert_eq!((t.as_str(), end), ("one\ntwo\n", 8));
        std::fs::write(&p, "one\ntwo\npartial\n").unwrap();
        assert_eq!(read_local(&p, end).unwrap().0, "partial\n");
        std::fs::write(&p, "new\n").unwrap();
        assert_eq!(read_local(&p, 16).unwrap(), ("new\n".to_string(), 4));
    }
}
