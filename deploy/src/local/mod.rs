//! Running a topology in Storm's own LocalCluster, for `sparse run` on a topology with
//! JVM components (or custom groupings), which the JVM-free runner cannot host.
//!
//! [`LocalCluster::start`] runs `java` with the topology jar (built as `sparse jar` builds
//! it), a small launcher of sparse's (`org.sparse.storm.LocalRun`, compiled here with
//! `javac` like the fast-wire serializer, see [`crate::jar::serializer`]) and Storm's jars
//! ([`run_classpath`]). The launcher builds the topology from the Flux YAML with Flux's own
//! parser and builder, submits it to an in-process LocalCluster and prints one JSON line a
//! second on stdout with the counts of every component, which a task hook of its
//! (`org.sparse.storm.Figures`, added to `topology.auto.task.hooks`) gathers from Storm's
//! executors: tuples emitted on non-system streams, spout trees acked and failed with their
//! mean complete latency, bolt tuples executed, acked and failed, tick tuples apart.
//! ([`parse_line`] reads those lines.) LocalCluster's Nimbus reports no executor stats, so
//! the hook is the source.
//!
//! A line `stop` on the launcher's stdin, or the end of its stdin (sparse gone), kills the
//! topology and shuts LocalCluster down. The JVM runs in its own process group: Ctrl-C in
//! the terminal reaches only `sparse`, which stops the JVM in order, and
//! [`LocalCluster::finish`] kills whatever is left of the group (the JVM after its grace
//! time, and any multi-lang subprocess), so nothing outlives the run.
//!
//! Storm's log goes to `storm.log` in the run folder (at most 20 MB plus one older file);
//! its warnings and errors also come as [`Event::Stderr`] lines.
//!
//! ```
//! use sparse_deploy::local::{Event, parse_line};
//! let line = r#"{"event":"stats","uptime_secs":3,"components":[{"id":"words","kind":"spout","tasks":1,"emitted":24,"acked":20,"failed":0,"executed":0,"ticks":0,"complete_latency_mean_ms":2.5}]}"#;
//! let Some(Event::Stats(figures)) = parse_line(line) else { panic!() };
//! assert_eq!((figures[0].emitted, figures[0].complete_latency_mean_ms), (24, Some(2.5)));
//! ```

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::jar::serializer::{self, SerializerError};

/// The launcher's main class.
pub const LAUNCHER_CLASS: &str = "org.sparse.storm.LocalRun";
/// The launcher's Java sources (file name, text).
pub const LAUNCHER_SOURCES: [(&str, &str); 2] = [
    (
        "LocalRun.java",
        include_str!("../jar/java/org/sparse/storm/LocalRun.java"),
    ),
    (
        "Figures.java",
        include_str!("../jar/java/org/sparse/storm/Figures.java"),
    ),
];
/// Storm's logging for the run (log4j2): a capped file, warnings on stderr.
pub const LOG4J2_XML: &str = include_str!("log4j2.xml");

/// Why a LocalCluster run could not start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// No folder of Storm jars with LocalCluster (storm-server) was found.
    #[error(
        "no Storm jars to run LocalCluster with (storm-server and its dependencies); tried: {tried}. \
         Set STORM_HOME to a Storm distribution (its lib/ is used), or SPARSE_STORM_CLASSPATH to a \
         classpath with Storm's jars (e.g. \"/opt/storm/lib/*\")"
    )]
    NoStorm {
        /// Each place looked at, and why it did not do.
        tried: String,
    },
    /// The launcher did not compile.
    #[error("compiling sparse's LocalCluster launcher: {0}")]
    Compile(#[from] SerializerError),
    /// `java` could not be started.
    #[error("cannot run {java} (a JDK or JRE is needed to run LocalCluster): {source}")]
    Spawn {
        /// The program tried.
        java: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file of the run folder could not be written.
    #[error("preparing the LocalCluster run in {dir}: {source}")]
    Io {
        /// The run folder.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The classpath of Storm's jars to run LocalCluster with, in this order:
/// `$SPARSE_STORM_CLASSPATH` (taken as given), `$STORM_HOME/lib`, the `lib/` of the `storm`
/// command on `PATH`, the folder of the flux-core jar [`crate::jar::find_flux_core`] finds,
/// and `<project>/storm/target/deps-*/lib` (this repository's Storm cache, `storm/fetch.sh`).
/// A folder counts when it holds a storm-server jar (LocalCluster); a Maven repository's
/// storm-client alone, enough to compile the fast-wire serializer, is not.
pub fn run_classpath(project_root: &Path) -> Result<String, LocalError> {
    if let Ok(cp) = std::env::var("SPARSE_STORM_CLASSPATH")
        && !cp.trim().is_empty()
    {
        return Ok(cp);
    }
    let mut tried = vec!["SPARSE_STORM_CLASSPATH (not set)".to_string()];
    let mut dirs: Vec<(String, Option<PathBuf>)> = Vec::new();
    dirs.push((
        "$STORM_HOME/lib".into(),
        std::env::var_os("STORM_HOME").map(|h| Path::new(&h).join("lib")),
    ));
    dirs.push((
        "the storm command's lib/".into(),
        serializer::storm_command_lib(),
    ));
    dirs.push((
        "the flux-core jar's folder".into(),
        crate::jar::find_flux_core(project_root).and_then(|f| f.parent().map(Path::to_path_buf)),
    ));
    let cache = project_root.join("storm/target");
    let mut found_cache = false;
    if let Ok(rd) = std::fs::read_dir(&cache) {
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("deps-"))
            .collect();
        names.sort();
        for n in names.into_iter().rev() {
            found_cache = true;
            dirs.push((
                format!("{}", cache.display()),
                Some(cache.join(n).join("lib")),
            ));
        }
    }
    if !found_cache {
        dirs.push((format!("{}/deps-*/lib", cache.display()), None));
    }
    for (what, dir) in dirs {
        match dir {
            None => tried.push(format!("{what} (none)")),
            Some(d) if serializer::jar_in(&d, "storm-server").is_some() => {
                return Ok(format!("{}/*", d.display()));
            }
            Some(d) => tried.push(format!("{} (no storm-server jar)", d.display())),
        }
    }
    Err(LocalError::NoStorm {
        tried: tried.join(", "),
    })
}

/// What to start.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The topology jar (first on the classpath: LocalCluster extracts its `resources/`).
    pub jar: PathBuf,
    /// The Flux YAML written next to it.
    pub yaml: PathBuf,
    /// Storm's jars ([`run_classpath`]).
    pub classpath: String,
    /// The run folder: Storm's log, log4j2 config, temporary files (created if needed).
    pub run_dir: PathBuf,
}

/// Storm's counts for one component (see the module doc for what each counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The component id.
    pub id: String,
    /// `spout`, `bolt`, or `unknown` before Storm reported its executors.
    pub kind: String,
    /// Its tasks.
    pub tasks: u32,
    /// Tuples emitted on non-system streams.
    pub emitted: u64,
    /// Spouts: trees acked. Bolts: data tuples acked.
    pub acked: u64,
    /// Spouts: trees failed (timeouts included). Bolts: data tuples failed.
    pub failed: u64,
    /// Bolts: data tuples executed (delivered).
    pub executed: u64,
    /// Bolts: tick tuples executed.
    pub ticks: u64,
    /// Spouts with acked trees: mean complete latency in ms.
    pub complete_latency_mean_ms: Option<f64>,
}

/// What the launcher reported.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The topology was submitted, with Storm's id.
    Submitted {
        /// Storm's topology id.
        id: String,
    },
    /// The counts so far, every second.
    Stats(Vec<Figures>),
    /// It is stopping (the last `Stats` follows).
    Stopping,
    /// LocalCluster was shut down; the JVM exits next.
    Stopped,
    /// Flux or LocalCluster failed.
    Error(String),
    /// A line of Storm's stderr (warnings, errors) or a stray stdout line.
    Stderr(String),
    /// The launcher's stdout closed (the JVM ended or is ending).
    Closed,
}

/// Reads one line of the launcher's stdout; `None` for anything that is not one of its
/// JSON lines.
pub fn parse_line(line: &str) -> Option<Event> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match v.get("event")?.as_str()? {
        "submitted" => Some(Event::Submitted { id: text("id") }),
        "stopping" => Some(Event::Stopping),
        "stopped" => Some(Event::Stopped),
        "error" => Some(Event::Error(text("message"))),
        "stats" => {
            let comps = v.get("components")?.as_array()?;
            let n = |c: &Value, k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
            Some(Event::Stats(
                comps
                    .iter()
                    .map(|c| Figures {
                        id: c.get("id").and_then(Value::as_str).unwrap_or("").into(),
                        kind: c.get("kind").and_then(Value::as_str).unwrap_or("").into(),
                        tasks: n(c, "tasks") as u32,
                        emitted: n(c, "emitted"),
                        acked: n(c, "acked"),
                        failed: n(c, "failed"),
                        executed: n(c, "executed"),
                        ticks: n(c, "ticks"),
                        complete_latency_mean_ms: c
                            .get("complete_latency_mean_ms")
                            .and_then(Value::as_f64),
                    })
                    .collect(),
            ))
        }
        _ => None,
    }
}

fn java_binary() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| Path::new(&h).join("bin").join("java"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// A running LocalCluster JVM.
pub struct LocalCluster {
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<Event>,
    status: Option<ExitStatus>,
    /// The launcher's classes, removed on drop.
    _classes: tempfile::TempDir,
    /// Storm's log file.
    pub log: PathBuf,
    /// The `java` command line (for messages).
    pub command: Vec<String>,
}

impl LocalCluster {
    /// Compiles the launcher, writes the log4j2 config and starts the JVM in its own process
    /// group, in `launch.run_dir`.
    pub fn start(launch: &Launch) -> Result<LocalCluster, LocalError> {
        let io = |source| LocalError::Io {
            dir: launch.run_dir.clone(),
            source,
        };
        let tmp = launch.run_dir.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(io)?;
        let log4j = launch.run_dir.join("log4j2.xml");
        std::fs::write(&log4j, LOG4J2_XML).map_err(io)?;
        let log = launch.run_dir.join("storm.log");
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(launch.run_dir.join("storm.log.1"));
        let compile_cp = format!("{}:{}", launch.jar.display(), launch.classpath);
        let classes = serializer::compile_sources(&compile_cp, &LAUNCHER_SOURCES)?;
        let java = java_binary();
        let mut command: Vec<String> = vec![
            java.display().to_string(),
            "-cp".into(),
            format!(
                "{}:{}:{}",
                launch.jar.display(),
                classes.path().display(),
                launch.classpath
            ),
            format!("-Djava.io.tmpdir={}", tmp.display()),
            format!("-Dlog4j.configurationFile={}", log4j.display()),
            "-Dlog4j2.disable.jmx=true".into(),
            format!("-Dsparse.storm.log={}", log.display()),
            format!("-Dstorm.jar={}", launch.jar.display()),
            LAUNCHER_CLASS.into(),
            launch.yaml.display().to_string(),
        ];
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .current_dir(&launch.run_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|source| LocalError::Spawn {
                java: java.display().to_string(),
                source,
            })?;
        command[2] = "<jar:launcher:storm jars>".into();
        let (tx, events) = channel();
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let ev = parse_line(&line).unwrap_or(Event::Stderr(line));
                if tx.send(ev).is_err() {
                    return;
                }
            }
            let _ = tx.send(Event::Closed);
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx2.send(Event::Stderr(line)).is_err() {
                    return;
                }
            }
        });
        Ok(LocalCluster {
            stdin: child.stdin.take(),
            child,
            events,
            status: None,
            _classes: classes,
            log,
            command,
        })
    }

    /// The launcher's events, in order.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Asks the launcher to kill the topology and shut LocalCluster down (once).
    pub fn request_stop(&mut self) {
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"stop\n");
        }
    }

    /// The JVM's exit status, if it has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Asks it to stop, waits up to `grace` for the JVM, then kills its whole process
    /// group (the JVM if still there, and any subprocess left) and reaps the JVM. Returns
    /// its exit status (`None` if it had to be killed).
    pub fn finish(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.request_stop();
        let end = Instant::now() + grace;
        while self.try_wait().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
        }
        let exited = self.try_wait();
        // The group id is the JVM's pid (process_group(0)); the group outlives the JVM as
        // long as one of its subprocesses does.
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            // SAFETY: killpg only sends a signal; no memory is involved.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
        if exited.is_none() {
            self.status = self.child.wait().ok();
        }
        exited
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if self.status.is_none() {
            self.finish(Duration::ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launcher_lines_are_read_and_other_lines_are_not() {
        assert_eq!(
            parse_line(r#"{"event":"submitted","name":"t","id":"t-1-2"}"#),
            Some(Event::Submitted { id: "t-1-2".into() })
        );
        assert_eq!(
            parse_line(r#"{"event":"error","message":"bad \"yaml\""}"#),
            Some(Event::Error("bad \"yaml\"".into()))
        );
        let Some(Event::Stats(f)) = parse_line(
            r#"{"event":"stats","uptime_secs":1,"components":[{"id":"c","kind":"bolt","tasks":2,"emitted":5,"acked":4,"failed":1,"executed":5,"ticks":3}]}"#,
        ) else {
            panic!("not stats")
        };
        assert_eq!(
            (
                f[0].tasks,
                f[0].executed,
                f[0].ticks,
                f[0].complete_latency_mean_ms
            ),
            (2, 5, 3, None)
        );
        assert_eq!(parse_line("INFO some Storm line"), None);
        assert_eq!(parse_line(r#"{"no":"event"}"#), None);
    }

    #[test]
    fn no_storm_jars_names_every_place_tried() {
        // Only the project's cache is looked at when the environment names nothing.
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("storm/target/deps-9.9.9/lib")).unwrap();
        if std::env::var_os("SPARSE_STORM_CLASSPATH").is_some()
            || std::env::var_os("STORM_HOME").is_some()
        {
            return;
        }
        match run_classpath(root.path()) {
            Err(e @ LocalError::NoStorm { .. }) => {
                let m = e.to_string();
                assert!(m.contains("SPARSE_STORM_CLASSPATH (not set)"), "{m}");
                assert!(m.contains("deps-9.9.9/lib (no storm-server jar)"), "{m}");
            }
            Ok(cp) => assert!(cp.ends_with("/*") && !cp.contains("deps-9.9.9"), "{cp}"),
            Err(e) => panic!("{e}"),
        }
    }
}
