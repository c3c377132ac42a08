//! Tests of the task logger: routing by level to the file and to Storm, fallbacks when the
//! file fails, the bounded Storm queue, the line format, and re-entrancy.

use super::*;
use std::fs;

use crate::logging::rotating::tests::TempDir;

fn id() -> TaskIdentity {
    TaskIdentity {
        topology: "wc".into(),
        component: "counter".into(),
        task_id: 3,
        pid: 99,
    }
}

fn settings(path: Option<&Path>, level: LevelFilter, storm: LevelFilter) -> LogSettings {
    LogSettings {
        path: path.map(Path::to_path_buf),
        max_bytes: 0,
        backup_count: 0,
        level,
        storm_level: storm,
    }
}

fn drain(log: &TaskLog) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    log.drain_storm_records(&mut out);
    out
}

/// The messages of the file's lines (after `target: `).
fn file_messages(log: &TaskLog) -> Vec<String> {
    log.flush();
    fs::read_to_string(log.log_file_path().unwrap())
        .unwrap()
        .lines()
        .map(|l| l.split_once(": ").unwrap().1.to_owned())
        .collect()
}

#[test]
fn file_and_storm_routing_by_level() {
    let d = TempDir::new("route");
    let log = TaskLog::new(
        &settings(Some(&d.0), LevelFilter::Info, LevelFilter::Warn),
        &id(),
    );
    assert!(log.warnings().is_empty());
    assert_eq!(
        log.log_file_path().unwrap(),
        d.0.join("streamparse_wc_counter_3_99.log")
    );
    log.record(Level::Trace, "t", "trace");
    log.record(Level::Debug, "t", "debug");
    log.record(Level::Info, "t", "info");
    log.record(Level::Warn, "t", "warn");
    log.record(Level::Error, "t", "error");
    assert_eq!(file_messages(&log), ["info", "warn", "error"]);
    assert_eq!(
        drain(&log),
        [
            (3, "WARN t: warn".to_owned()),
            (4, "ERROR t: error".to_owned())
        ]
    );
    assert!(drain(&log).is_empty(), "drain empties the queue");
}

#[test]
fn no_path_sends_enabled_records_to_storm() {
    let log = TaskLog::new(
        &settings(None, LevelFilter::Debug, LevelFilter::Error),
        &id(),
    );
    assert_eq!(log.log_file_path(), None);
    assert!(!log.file_active());
    log.record(Level::Trace, "x", "no");
    log.record(Level::Debug, "x", "d");
    log.record(Level::Info, "", "i\nmultiline");
    log.record_args(Level::Warn, "y::z", format_args!("w{}", 1));
    assert_eq!(
        drain(&log),
        [
            (1, "DEBUG x: d".to_owned()),
            (2, "INFO -: i\nmultiline".to_owned()),
            (3, "WARN y::z: w1".to_owned()),
        ]
    );
}

#[test]
fn storm_level_below_level_adds_nothing() {
    let d = TempDir::new("below");
    let log = TaskLog::new(
        &settings(Some(&d.0), LevelFilter::Warn, LevelFilter::Trace),
        &id(),
    );
    log.record(Level::Info, "t", "dropped");
    log.record(Level::Warn, "t", "kept");
    assert_eq!(drain(&log), [(3, "WARN t: kept".to_owned())]);
    assert_eq!(file_messages(&log), ["kept"]);
}

#[test]
fn unusable_directory_falls_back_to_storm() {
    let d = TempDir::new("unusable");
    let plain = d.0.join("plain-file");
    fs::write(&plain, "x").unwrap();
    let log = TaskLog::new(
        &settings(
            Some(&plain.join("logs")),
            LevelFilter::Info,
            LevelFilter::Warn,
        ),
        &id(),
    );
    assert_eq!(log.log_file_path(), None);
    let warnings = log.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("cannot write log file"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].contains("logging to Storm only"),
        "{warnings:?}"
    );
    log.record(Level::Debug, "t", "hidden");
    log.record(Level::Info, "t", "shown");
    let out = drain(&log);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].0, 3);
    assert!(out[0].1.contains("cannot write log file"));
    assert_eq!(out[1], (2, "INFO t: shown".to_owned()));
}

#[test]
fn file_failure_mid_run_falls_back_to_storm() {
    let d = TempDir::new("midrun");
    let mut s = settings(Some(&d.0), LevelFilter::Info, LevelFilter::Error);
    s.max_bytes = 10;
    s.backup_count = 2;
    let log = TaskLog::new(&s, &id());
    log.record(Level::Info, "t", "first");
    // Removing the directory makes the next rollover's renames fail.
    fs::remove_dir_all(&d.0).unwrap();
    log.record(Level::Info, "t", "second");
    assert!(!log.file_active());
    let out = drain(&log);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].1.contains("failed"), "{out:?}");
    assert_eq!(out[1], (2, "INFO t: second".to_owned()));
    log.record(Level::Info, "t", "third");
    assert_eq!(drain(&log), [(2, "INFO t: third".to_owned())]);
}

#[test]
fn storm_queue_is_bounded_and_drops_are_reported() {
    let log = TaskLog::new(&settings(None, LevelFilter::Info, LevelFilter::Warn), &id());
    let big = "x".repeat(MAX_STORM_QUEUE_BYTES / 4);
    for _ in 0..6 {
        log.record(Level::Info, "t", &big);
    }
    let out = drain(&log);
    assert_eq!(out.len(), 4, "3 records fit, then one drop notice");
    assert!(
        out[3].1.contains("3 log records for Storm were dropped"),
        "{}",
        out[3].1
    );
    log.record(Level::Info, "t", "after");
    assert_eq!(drain(&log), [(2, "INFO t: after".to_owned())]);
}

#[test]
fn format_args_are_not_evaluated_when_disabled() {
    struct Bomb;
    impl fmt::Display for Bomb {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            panic!("formatted a disabled record");
        }
    }
    let log = TaskLog::new(&settings(None, LevelFilter::Info, LevelFilter::Warn), &id());
    log.record_args(Level::Debug, "t", format_args!("{}", Bomb));
    assert!(drain(&log).is_empty());
    assert!(!log.enabled(&Metadata::builder().level(Level::Debug).build()));
    assert!(log.enabled(&Metadata::builder().level(Level::Info).build()));
}

#[test]
fn reentrant_logging_is_discarded_not_deadlocked() {
    struct Nested<'a>(&'a TaskLog);
    impl fmt::Display for Nested<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.record(Level::Error, "nested", "inner");
            f.write_str("outer")
        }
    }
    let d = TempDir::new("reentrant");
    let log = TaskLog::new(
        &settings(Some(&d.0), LevelFilter::Info, LevelFilter::Warn),
        &id(),
    );
    log.record_args(Level::Info, "t", format_args!("{}", Nested(&log)));
    log.record_args(Level::Error, "t", format_args!("{}", Nested(&log)));
    assert_eq!(file_messages(&log), ["outer", "outer"]);
    assert_eq!(drain(&log), [(4, "ERROR t: outer".to_owned())]);
    // And the guard is released afterwards.
    log.record(Level::Info, "t", "later");
    assert_eq!(file_messages(&log), ["outer", "outer", "later"]);
}

#[test]
fn lines_have_the_documented_format() {
    let d = TempDir::new("lines");
    let log = TaskLog::new(
        &settings(Some(&d.0), LevelFilter::Info, LevelFilter::Warn),
        &TaskIdentity {
            component: "my bolt".into(),
            ..id()
        },
    );
    log.record(Level::Warn, "wordcount::counter", "a\nb");
    log.flush();
    let text = fs::read_to_string(log.log_file_path().unwrap()).unwrap();
    let (ts, rest) = text.split_at(24);
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{text}");
    assert_eq!(rest, " WARN  my\\u{20}bolt:3 wordcount::counter: a\\nb\n");
    // Storm gets the message unescaped.
    assert_eq!(
        drain(&log),
        [(3, "WARN wordcount::counter: a\nb".to_owned())]
    );
}

#[test]
fn the_global_logger_is_installed_once() {
    // The only test in this binary that installs the process-wide logger.
    let d = TempDir::new("global");
    let s = settings(Some(&d.0), LevelFilter::Info, LevelFilter::Warn);
    let handle = init(&s, &id()).expect("first init");
    assert_eq!(log::max_level(), LevelFilter::Info);
    assert_eq!(handle.max_level(), LevelFilter::Info);
    log::debug!(target: "host", "not logged");
    log::info!(target: "host", "host record {}", 1);
    log::warn!(target: "host", "host warning");
    handle.plugin_record(Level::Debug, "plugin", "not logged");
    handle.plugin_record(Level::Error, "plugin", "plugin error");
    assert_eq!(init(&s, &id()).unwrap_err(), LogInitError::AlreadyInstalled);
    let mut out = Vec::new();
    handle.drain_storm_records(&mut out);
    // Other tests running in parallel may log through the global logger too: look for
    // ours only.
    assert!(
        out.contains(&(3, "WARN host: host warning".to_owned())),
        "{out:?}"
    );
    assert!(
        out.contains(&(4, "ERROR plugin: plugin error".to_owned())),
        "{out:?}"
    );
    let path = handle.log_file_path().unwrap().to_path_buf();
    drop(handle); // flushes
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(" host: host record 1\n"), "{text}");
    assert!(text.contains(" plugin: plugin error\n"), "{text}");
    assert!(!text.contains("not logged"), "{text}");
}
