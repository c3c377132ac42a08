//! Integration tests for `sparse_host::logging`, through its public API only: settings from
//! a handshake conf, file naming, rotation boundaries, routing between the file and Storm,
//! an unusable directory, and a one-million-record stress test of rotation.
//!
//! None of these install the process-wide logger (`logging::init`), so they can share a
//! test binary with other tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use log::{Level, LevelFilter};
use serde_json::{Map, Value, json};
use sparse_host::logging::{
    LogSettings, RotatingFile, TaskIdentity, TaskLog, log_file_name, sanitize_name,
};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "sparse-it-log-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// (file name, size) of every entry, sorted by name.
    fn entries(&self) -> Vec<(String, u64)> {
        let mut v: Vec<_> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn conf(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("conf must be an object"),
    }
}

fn identity() -> TaskIdentity {
    TaskIdentity {
        topology: "wordcount".into(),
        component: "counter".into(),
        task_id: 5,
        pid: 31337,
    }
}

fn drain(log: &TaskLog) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    log.drain_storm_records(&mut out);
    out
}

#[test]
fn settings_from_a_storm_like_conf() {
    let s = LogSettings::from_conf(&conf(json!({
        "topology.name": "wordcount",
        "topology.debug": false,
        "storm.cluster.mode": "local",
        "supervisor.worker.timeout.secs": 30,
        "some.null.key": null,
        "pystorm.log.path": "/var/log/py",
        "pystorm.log.level": "WARNING",
        "streamparse.log.max_bytes": "65536",
        "pystorm.log.max_bytes": 1,
        "streamparse.log.backup_count": 3,
    })))
    .unwrap();
    assert_eq!(s.path.as_deref(), Some(Path::new("/var/log/py")));
    assert_eq!(s.level, LevelFilter::Warn);
    assert_eq!(s.max_bytes, 65536, "streamparse key wins over the alias");
    assert_eq!(s.backup_count, 3);
    assert_eq!(s.storm_level, LevelFilter::Warn);

    let s = LogSettings::from_conf(&conf(json!({
        "streamparse.log.level": "critical",
        "topology.debug": true,
    })))
    .unwrap();
    assert_eq!(s.level, LevelFilter::Debug, "topology.debug forces debug");
}

#[test]
fn settings_errors_name_key_and_value() {
    let cases = [
        (
            json!({"streamparse.log.level": "loud"}),
            "invalid value for streamparse.log.level: \"loud\" \
             (expected one of critical, error, warning, info, debug, trace)",
        ),
        (
            json!({"pystorm.log.max_bytes": "ten"}),
            "invalid value for pystorm.log.max_bytes: \"ten\" (expected a non-negative integer)",
        ),
        (
            json!({"streamparse.log.max_bytes": -5}),
            "invalid value for streamparse.log.max_bytes: -5 (expected a non-negative integer)",
        ),
        (
            json!({"streamparse.log.backup_count": -1}),
            "invalid value for streamparse.log.backup_count: -1 \
             (expected a whole number of rotated files to keep, from 0 to 100000)",
        ),
    ];
    for (c, want) in cases {
        let err = LogSettings::from_conf(&conf(c)).unwrap_err();
        assert_eq!(err.to_string(), want);
        let _: Box<dyn std::error::Error> = Box::new(err);
    }
}

#[test]
fn file_name_is_exact() {
    assert_eq!(
        log_file_name(&identity()),
        "streamparse_wordcount_counter_5_31337.log"
    );
    let d = TempDir::new("name");
    let log = TaskLog::new(
        &LogSettings {
            path: Some(d.path().to_path_buf()),
            ..LogSettings::default()
        },
        &identity(),
    );
    assert_eq!(
        log.log_file_path(),
        Some(
            d.path()
                .join("streamparse_wordcount_counter_5_31337.log")
                .as_path()
        )
    );
    assert_eq!(
        d.entries(),
        [("streamparse_wordcount_counter_5_31337.log".to_owned(), 0)]
    );
}

#[test]
fn unsafe_names_stay_inside_the_directory() {
    let outer = TempDir::new("unsafe");
    let dir = outer.path().join("logs");
    let cases = [
        ("../x", "../../y", "streamparse_.__x_.__.__y_5_31337.log"),
        ("a/b", "c/../d", "streamparse_a_b_c_.__d_5_31337.log"),
        ("a\\b", "\\\\", "streamparse_a_b____5_31337.log"),
        (
            "ctl\n\r\t\0",
            "\u{1b}[0m",
            "streamparse_ctl_______0m_5_31337.log",
        ),
    ];
    for (topology, component, want) in cases {
        let id = TaskIdentity {
            topology: topology.into(),
            component: component.into(),
            ..identity()
        };
        assert_eq!(log_file_name(&id), want);
        let log = TaskLog::new(
            &LogSettings {
                path: Some(dir.clone()),
                ..LogSettings::default()
            },
            &id,
        );
        log.record(Level::Info, "t", "hello");
        log.flush();
        let path = log.log_file_path().expect("file opened");
        assert_eq!(path.parent(), Some(dir.as_path()));
        assert!(path.is_file());
    }
    // Everything landed in `logs`; nothing next to it or above it.
    assert_eq!(
        outer.entries().into_iter().map(|e| e.0).collect::<Vec<_>>(),
        ["logs"]
    );
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 4);
    assert_eq!(sanitize_name(".."), "._");
}

#[test]
fn rotation_boundaries_sizes_and_numbering() {
    let d = TempDir::new("rotate");
    let base = d.path().join("r.log");
    let mut f = RotatingFile::open(&base, 100, 3).unwrap();
    let rec = |tag: u8, n: usize| {
        let mut v = vec![tag; n - 1];
        v.push(b'\n');
        v
    };
    // 60 + 40 = 100 = max_bytes exactly: still one file.
    f.write_record(&rec(b'a', 60)).unwrap();
    f.write_record(&rec(b'b', 40)).unwrap();
    f.flush().unwrap();
    assert_eq!(d.entries(), [("r.log".to_owned(), 100)]);
    // One more byte would pass max_bytes: rollover first.
    f.write_record(&rec(b'c', 1)).unwrap();
    f.flush().unwrap();
    assert_eq!(
        d.entries(),
        [("r.log".to_owned(), 1), ("r.log.1".to_owned(), 100)]
    );
    // 1 + 99 = 100 fits; the next 2 bytes do not.
    f.write_record(&rec(b'd', 99)).unwrap();
    f.write_record(&rec(b'e', 2)).unwrap();
    f.write_record(&rec(b'f', 99)).unwrap(); // 2 + 99 > 100
    f.write_record(&rec(b'g', 100)).unwrap(); // 99 + 100 > 100
    f.flush().unwrap();
    assert_eq!(
        d.entries(),
        [
            ("r.log".to_owned(), 100),
            ("r.log.1".to_owned(), 99),
            ("r.log.2".to_owned(), 2),
            ("r.log.3".to_owned(), 100),
        ]
    );
    let first_byte = |name: &str| fs::read(d.path().join(name)).unwrap()[0];
    assert_eq!(first_byte("r.log"), b'g');
    assert_eq!(first_byte("r.log.1"), b'f', ".1 is the newest backup");
    assert_eq!(first_byte("r.log.2"), b'e');
    assert_eq!(
        fs::read(d.path().join("r.log.3")).unwrap(),
        [rec(b'c', 1), rec(b'd', 99)].concat(),
        ".3 is the oldest backup"
    );
    // One more rollover: the oldest (.3, starting with 'c') is deleted.
    f.write_record(&rec(b'h', 50)).unwrap();
    f.flush().unwrap();
    assert_eq!(d.entries().len(), 4);
    assert_eq!(first_byte("r.log"), b'h');
    assert_eq!(first_byte("r.log.1"), b'g');
    assert_eq!(first_byte("r.log.3"), b'e');
    assert!(!d.path().join("r.log.4").exists());
}

#[test]
fn sizes_are_counted_in_bytes_not_chars() {
    let d = TempDir::new("bytes");
    let base = d.path().join("u.log");
    let mut f = RotatingFile::open(&base, 20, 1).unwrap();
    // 7 characters but 14 bytes: two lines are 14 characters (would fit in Python's
    // character count) but 28 bytes, so the second one rolls the file over.
    let line = "ééééé\u{20ac}\n";
    assert_eq!(line.len(), 14);
    f.write_record(line.as_bytes()).unwrap();
    f.write_record(line.as_bytes()).unwrap();
    f.flush().unwrap();
    assert_eq!(
        d.entries(),
        [("u.log".to_owned(), 14), ("u.log.1".to_owned(), 14)]
    );
}

#[test]
fn zero_max_bytes_or_backup_count_never_rotate() {
    for (max_bytes, backup_count) in [(0u64, 3u32), (50, 0)] {
        let d = TempDir::new("zero");
        let log = TaskLog::new(
            &LogSettings {
                path: Some(d.path().to_path_buf()),
                max_bytes,
                backup_count,
                ..LogSettings::default()
            },
            &identity(),
        );
        for i in 0..100 {
            log.record(Level::Info, "t", &format!("record {i}"));
        }
        log.flush();
        let entries = d.entries();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(entries[0].1 > 50 * 100 / 10, "{entries:?}");
        let text = fs::read_to_string(log.log_file_path().unwrap()).unwrap();
        assert_eq!(text.lines().count(), 100);
    }
}

#[test]
fn level_filtering_and_storm_forwarding() {
    let d = TempDir::new("levels");
    let settings = LogSettings::from_conf(&conf(json!({
        "streamparse.log.path": d.path().to_str().unwrap(),
        "streamparse.log.level": "debug",
        "streamparse.log.storm_level": "error",
    })))
    .unwrap();
    let log = TaskLog::new(&settings, &identity());
    assert_eq!(log.max_level(), LevelFilter::Debug);
    for level in [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ] {
        log.record(level, "wordcount", &format!("at {level}"));
    }
    log.flush();
    let text = fs::read_to_string(log.log_file_path().unwrap()).unwrap();
    let levels: Vec<&str> = text.lines().map(|l| &l[25..30]).collect();
    assert_eq!(levels, ["DEBUG", "INFO ", "WARN ", "ERROR"]);
    for line in text.lines() {
        assert!(line.contains(" counter:5 wordcount: at "), "{line}");
    }
    assert_eq!(drain(&log), [(4, "ERROR wordcount: at ERROR".to_owned())]);

    // Without a path, everything enabled goes to Storm, with Storm's numeric levels.
    let log = TaskLog::new(
        &LogSettings::from_conf(&conf(json!({"pystorm.log.level": "trace"}))).unwrap(),
        &identity(),
    );
    for level in [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ] {
        log.record(level, "w", "m");
    }
    let numbers: Vec<u8> = drain(&log).into_iter().map(|r| r.0).collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4]);
}

#[test]
fn unwritable_directory_continues_storm_only() {
    let d = TempDir::new("unwritable");
    let plain = d.path().join("not-a-dir");
    fs::write(&plain, b"plain file").unwrap();
    let settings = LogSettings {
        path: Some(plain.join("logs")),
        ..LogSettings::default()
    };
    let log = TaskLog::new(&settings, &identity());
    assert_eq!(log.log_file_path(), None);
    assert!(!log.file_active());
    assert_eq!(log.warnings().len(), 1);
    log.record(Level::Debug, "t", "below info: dropped");
    log.record(Level::Info, "t", "kept for Storm");
    let out = drain(&log);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].0, 3);
    assert!(out[0].1.contains("not-a-dir"), "{}", out[0].1);
    assert_eq!(out[1], (2, "INFO t: kept for Storm".to_owned()));
    assert_eq!(fs::read(&plain).unwrap(), b"plain file");
}

/// One million records through a `TaskLog` rotating at 64 KiB with 3 backups.
#[test]
fn stress_one_million_records_rotate_within_bounds() {
    const RECORDS: usize = 1_000_000;
    const MAX_BYTES: u64 = 64 * 1024;
    const BACKUPS: u32 = 3;
    let d = TempDir::new("stress");
    let settings = LogSettings {
        path: Some(d.path().to_path_buf()),
        max_bytes: MAX_BYTES,
        backup_count: BACKUPS,
        level: LevelFilter::Info,
        storm_level: LevelFilter::Warn,
    };
    let log = TaskLog::new(&settings, &identity());
    let base = log.log_file_path().unwrap().to_path_buf();
    let base_name = base.file_name().unwrap().to_str().unwrap().to_owned();

    // Records vary in length (about 60 to 120 bytes) so boundaries fall everywhere.
    let pad = "p".repeat(64);
    let mut longest = 0usize;
    let mut bound_checks = 0;
    for i in 0..RECORDS {
        let extra = &pad[..(i * 7919) % 61];
        log.record_args(Level::Info, "stress", format_args!("record {i:07} {extra}"));
        longest = longest.max(70 + extra.len());
        if i % 20_000 == 0 {
            let entries = d.entries();
            let total: u64 = entries.iter().map(|e| e.1).sum();
            assert!(
                total <= MAX_BYTES * u64::from(BACKUPS + 1) + longest as u64,
                "{total} bytes on disk after {i} records: {entries:?}"
            );
            assert!(entries.len() <= BACKUPS as usize + 1, "{entries:?}");
            bound_checks += 1;
        }
    }
    log.flush();
    assert!(drain(&log).is_empty(), "info records are not sent to Storm");
    assert!(bound_checks >= 50);

    let entries = d.entries();
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let want: Vec<String> = std::iter::once(base_name.clone())
        .chain((1..=BACKUPS).map(|n| format!("{base_name}.{n}")))
        .collect();
    assert_eq!(names, want);
    let total: u64 = entries.iter().map(|e| e.1).sum();
    assert!(total <= MAX_BYTES * u64::from(BACKUPS + 1) + longest as u64);

    // Oldest to newest: .3, .2, .1, base. Whole lines only, consecutive record numbers.
    let mut expected_next: Option<usize> = None;
    let mut paths: Vec<PathBuf> = (1..=BACKUPS)
        .rev()
        .map(|n| d.path().join(format!("{base_name}.{n}")))
        .collect();
    paths.push(base.clone());
    for path in &paths {
        let bytes = fs::read(path).unwrap();
        assert!(!bytes.is_empty(), "{path:?} is empty");
        assert!(bytes.len() as u64 <= MAX_BYTES, "{path:?} too big");
        assert_eq!(bytes.last(), Some(&b'\n'), "{path:?} ends mid-line");
        let text = String::from_utf8(bytes).unwrap();
        for line in text.lines() {
            // 2025-01-01T00:00:00.000Z INFO  counter:5 stress: record 0000042 ppp
            assert_eq!(line.as_bytes()[23], b'Z', "{line}");
            let rest = &line[24..];
            let body = rest
                .strip_prefix(" INFO  counter:5 stress: record ")
                .unwrap_or_else(|| panic!("malformed line in {path:?}: {line}"));
            let (num, extra) = body.split_once(' ').unwrap();
            let n: usize = num.parse().unwrap();
            assert_eq!(extra.len(), (n * 7919) % 61, "{line}");
            if let Some(want) = expected_next {
                assert_eq!(n, want, "gap or split in {path:?}");
            }
            expected_next = Some(n + 1);
        }
    }
    assert_eq!(
        expected_next,
        Some(RECORDS),
        "newest record is last in the base file"
    );
}
