//! Logging settings read from the Storm handshake `conf`.
//!
//! # Keys
//!
//! | Key (`streamparse.log.*`)       | Alias (`pystorm.log.*`)      | Default | Meaning |
//! | ------------------------------- | ---------------------------- | ------- | ------- |
//! | `streamparse.log.path`          | `pystorm.log.path`           | none    | Directory of the task's log file. `null` or `""` means no file. |
//! | `streamparse.log.max_bytes`     | `pystorm.log.max_bytes`      | 1000000 | Rotate before a record would make the file larger than this (bytes). `0`: never rotate. |
//! | `streamparse.log.backup_count`  | `pystorm.log.backup_count`   | 10      | Number of rotated files kept (`.1` … `.N`). `0`: never rotate. |
//! | `streamparse.log.level`         | `pystorm.log.level`          | `info`  | Records below this level are discarded. |
//! | `streamparse.log.storm_level`   | `pystorm.log.storm_level`    | `warning` | Records at or above this level are also sent to Storm. |
//! | `topology.debug`                | —                            | false   | `true` lowers `level` to at least `debug` (like `sparse run --debug`). |
//!
//! # Rules
//!
//! * A key whose value is JSON `null` counts as absent (Storm's conf holds many `null`s).
//! * If both the `streamparse.log.*` key and its `pystorm.log.*` alias are present, the
//!   `streamparse.log.*` one wins and the alias is not even validated.
//! * Level names: `critical` (same as `error`), `error`, `warning`/`warn`, `info`, `debug`,
//!   `trace` and `off`, in any case, surrounding whitespace ignored. Unlike pystorm, which
//!   silently falls back to `INFO` for anything it does not know (including `"DEBUG"`), an
//!   unknown name is an error.
//! * Numbers may be JSON numbers (an integral float such as `1e6` is accepted) or strings
//!   holding a decimal integer (`"1000000"`). Negative, fractional, non-numeric or too large
//!   values are errors. `backup_count` is at most 100,000.
//! * `topology.debug` must be a boolean (or the strings `"true"`/`"false"`); it never makes
//!   the level *less* verbose, so `trace` stays `trace`.
//! * Every error names the key actually read (the alias if that is where the value came from)
//!   and the offending value, rendered as JSON.

use std::fmt;
use std::path::PathBuf;

use log::LevelFilter;
use serde_json::{Map, Value};

/// Default for `max_bytes`: about 1 MB, like streamparse and pystorm.
pub const DEFAULT_MAX_BYTES: u64 = 1_000_000;
/// Default for `backup_count`: 10 rotated files, like streamparse and pystorm.
pub const DEFAULT_BACKUP_COUNT: u32 = 10;
/// Default record level.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::Info;
/// Default level from which records are also sent to Storm.
pub const DEFAULT_STORM_LEVEL: LevelFilter = LevelFilter::Warn;

const EXPECTED_LEVEL: &str = "expected one of critical, error, warning, info, debug, trace";
const EXPECTED_COUNT: &str = "expected a non-negative integer";
const EXPECTED_BACKUPS: &str = "expected a whole number of rotated files to keep, from 0 to 100000";
/// The largest `backup_count` accepted: more is a typo, not a retention policy.
pub const MAX_BACKUP_COUNT: u32 = 100_000;
const EXPECTED_PATH: &str = "expected a string or null";
const EXPECTED_BOOL: &str = "expected true or false";

/// How a task logs; see the [module documentation](self) for the keys and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Directory of the log file; `None` means records go to Storm only.
    pub path: Option<PathBuf>,
    /// Maximum size of the log file in bytes before it is rotated; `0` disables rotation.
    pub max_bytes: u64,
    /// Number of rotated files kept; `0` disables rotation.
    pub backup_count: u32,
    /// Records less severe than this are discarded.
    pub level: LevelFilter,
    /// Records at least this severe are also sent to Storm with the `log` command.
    pub storm_level: LevelFilter,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            path: None,
            max_bytes: DEFAULT_MAX_BYTES,
            backup_count: DEFAULT_BACKUP_COUNT,
            level: DEFAULT_LEVEL,
            storm_level: DEFAULT_STORM_LEVEL,
        }
    }
}

impl LogSettings {
    /// Reads the settings from the handshake `conf`.
    ///
    /// Keys `streamparse.log.{path,max_bytes,backup_count,level,storm_level}`, with
    /// `pystorm.log.*` as aliases (`streamparse.*` wins when both are present), and
    /// `topology.debug`. Missing or `null` keys take their defaults.
    ///
    /// # Errors
    ///
    /// A [`LogConfigError`] naming the key and the value for an unknown level name, a
    /// non-numeric, negative or out-of-range number, a non-string path, or a non-boolean
    /// `topology.debug`.
    pub fn from_conf(conf: &Map<String, Value>) -> Result<LogSettings, LogConfigError> {
        let mut settings = LogSettings::default();

        if let Some((key, value)) = lookup(conf, "path") {
            settings.path = match value {
                Value::String(s) if s.is_empty() => None,
                Value::String(s) => Some(PathBuf::from(s)),
                other => return Err(LogConfigError::new(key, other, EXPECTED_PATH)),
            };
        }
        if let Some((key, value)) = lookup(conf, "max_bytes") {
            settings.max_bytes =
                parse_u64(value).ok_or_else(|| LogConfigError::new(key, value, EXPECTED_COUNT))?;
        }
        if let Some((key, value)) = lookup(conf, "backup_count") {
            settings.backup_count = parse_u64(value)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n <= MAX_BACKUP_COUNT)
                .ok_or_else(|| LogConfigError::new(key, value, EXPECTED_BACKUPS))?;
        }
        if let Some((key, value)) = lookup(conf, "level") {
            settings.level = level_from_value(value)
                .ok_or_else(|| LogConfigError::new(key, value, EXPECTED_LEVEL))?;
        }
        if let Some((key, value)) = lookup(conf, "storm_level") {
            settings.storm_level = level_from_value(value)
                .ok_or_else(|| LogConfigError::new(key, value, EXPECTED_LEVEL))?;
        }
        if let Some(value) = conf.get("topology.debug").filter(|v| !v.is_null()) {
            let debug = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s.trim().eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.trim().eq_ignore_ascii_case("false") => false,
                other => return Err(LogConfigError::new("topology.debug", other, EXPECTED_BOOL)),
            };
            if debug {
                settings.level = settings.level.max(LevelFilter::Debug);
            }
        }
        Ok(settings)
    }
}

/// Finds `streamparse.log.<suffix>`, else `pystorm.log.<suffix>`; `null` counts as absent.
/// Returns the key actually used, for error messages.
fn lookup<'a>(conf: &'a Map<String, Value>, suffix: &str) -> Option<(String, &'a Value)> {
    ["streamparse.log.", "pystorm.log."]
        .iter()
        .find_map(|prefix| {
            let key = format!("{prefix}{suffix}");
            match conf.get(&key) {
                Some(v) if !v.is_null() => Some((key, v)),
                _ => None,
            }
        })
}

/// A non-negative integer from a JSON number or a decimal string.
fn parse_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            // Integral floats such as 1e6 (YAML or JSON writers sometimes produce them).
            let f = n.as_f64()?;
            // 2^64 as f64 is exact; anything at or above it does not fit.
            (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0)
                .then_some(f as u64)
        }),
        Value::String(s) => {
            let s = s.trim();
            // `u64::from_str` accepts a leading '+'; plain digits only.
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

fn level_from_value(value: &Value) -> Option<LevelFilter> {
    value.as_str().and_then(parse_level)
}

/// Parses a level name (any case, surrounding whitespace ignored).
///
/// `critical` and `error` → `Error`; `warning` and `warn` → `Warn`; `info`, `debug`,
/// `trace`, `off` → the matching filter. Anything else → `None`.
pub fn parse_level(name: &str) -> Option<LevelFilter> {
    let name = name.trim();
    const NAMES: [(&str, LevelFilter); 8] = [
        ("critical", LevelFilter::Error),
        ("error", LevelFilter::Error),
        ("warning", LevelFilter::Warn),
        ("warn", LevelFilter::Warn),
        ("info", LevelFilter::Info),
        ("debug", LevelFilter::Debug),
        ("trace", LevelFilter::Trace),
        ("off", LevelFilter::Off),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, level)| level)
}

/// A logging setting in the handshake `conf` has a value that cannot be used.
///
/// Displays as, for example,
/// `invalid value for streamparse.log.level: "loud" (expected one of critical, error, warning, info, debug, trace)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfigError {
    key: String,
    value: String,
    expected: &'static str,
}

impl LogConfigError {
    /// Longest rendering of the offending value kept in the message, in bytes.
    const MAX_VALUE_LEN: usize = 200;

    fn new(key: impl Into<String>, value: &Value, expected: &'static str) -> Self {
        let mut value = value.to_string();
        if value.len() > Self::MAX_VALUE_LEN {
            let mut end = Self::MAX_VALUE_LEN;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
            value.push('…');
        }
        LogConfigError {
            key: key.into(),
            value,
            expected,
        }
    }

    /// The conf key that was read (e.g. `pystorm.log.level` when the alias was used).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The offending value rendered as JSON (truncated if very long).
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for LogConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value for {}: {} ({})",
            self.key, self.value, self.expected
        )
    }
}

impl std::error::Error for LogConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conf(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn settings(v: Value) -> LogSettings {
        LogSettings::from_conf(&conf(v)).expect("valid settings")
    }

    fn error(v: Value) -> String {
        LogSettings::from_conf(&conf(v))
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn defaults_from_empty_conf() {
        let s = settings(json!({}));
        assert_eq!(s, LogSettings::default());
        assert_eq!(s.path, None);
        assert_eq!(s.max_bytes, 1_000_000);
        assert_eq!(s.backup_count, 10);
        assert_eq!(s.level, LevelFilter::Info);
        assert_eq!(s.storm_level, LevelFilter::Warn);
    }

    #[test]
    fn all_streamparse_keys() {
        let s = settings(json!({
            "streamparse.log.path": "/var/log/sp",
            "streamparse.log.max_bytes": 2048,
            "streamparse.log.backup_count": 3,
            "streamparse.log.level": "DEBUG",
            "streamparse.log.storm_level": "Error",
        }));
        assert_eq!(s.path, Some(PathBuf::from("/var/log/sp")));
        assert_eq!(s.max_bytes, 2048);
        assert_eq!(s.backup_count, 3);
        assert_eq!(s.level, LevelFilter::Debug);
        assert_eq!(s.storm_level, LevelFilter::Error);
    }

    #[test]
    fn pystorm_aliases_are_honoured() {
        let s = settings(json!({
            "pystorm.log.path": "/tmp/py",
            "pystorm.log.max_bytes": "4096",
            "pystorm.log.backup_count": "2",
            "pystorm.log.level": "warning",
            "pystorm.log.storm_level": "info",
        }));
        assert_eq!(s.path, Some(PathBuf::from("/tmp/py")));
        assert_eq!(s.max_bytes, 4096);
        assert_eq!(s.backup_count, 2);
        assert_eq!(s.level, LevelFilter::Warn);
        assert_eq!(s.storm_level, LevelFilter::Info);
    }

    #[test]
    fn streamparse_key_wins_over_alias() {
        let s = settings(json!({
            "streamparse.log.path": "/a",
            "pystorm.log.path": "/b",
            "streamparse.log.max_bytes": 10,
            "pystorm.log.max_bytes": 20,
            "streamparse.log.level": "error",
            "pystorm.log.level": "debug",
        }));
        assert_eq!(s.path, Some(PathBuf::from("/a")));
        assert_eq!(s.max_bytes, 10);
        assert_eq!(s.level, LevelFilter::Error);

        // An explicitly empty streamparse path also wins: no file.
        let s = settings(json!({"streamparse.log.path": "", "pystorm.log.path": "/b"}));
        assert_eq!(s.path, None);

        // The losing alias is not validated.
        let s = settings(json!({"streamparse.log.level": "info", "pystorm.log.level": "loud"}));
        assert_eq!(s.level, LevelFilter::Info);
    }

    #[test]
    fn null_counts_as_absent_so_alias_applies() {
        let s = settings(json!({
            "streamparse.log.path": null,
            "pystorm.log.path": "/b",
            "streamparse.log.level": null,
            "streamparse.log.max_bytes": null,
            "streamparse.log.backup_count": null,
            "topology.debug": null,
        }));
        assert_eq!(s.path, Some(PathBuf::from("/b")));
        assert_eq!(s.level, LevelFilter::Info);
        assert_eq!(s.max_bytes, DEFAULT_MAX_BYTES);
        assert_eq!(s.backup_count, DEFAULT_BACKUP_COUNT);
    }

    #[test]
    fn empty_or_null_path_means_no_file() {
        assert_eq!(settings(json!({"streamparse.log.path": ""})).path, None);
        assert_eq!(settings(json!({"streamparse.log.path": null})).path, None);
    }

    #[test]
    fn level_names_any_case() {
        let cases = [
            ("critical", LevelFilter::Error),
            ("CRITICAL", LevelFilter::Error),
            ("error", LevelFilter::Error),
            ("Warning", LevelFilter::Warn),
            ("WARN", LevelFilter::Warn),
            ("info", LevelFilter::Info),
            ("DeBuG", LevelFilter::Debug),
            ("trace", LevelFilter::Trace),
            (" info ", LevelFilter::Info),
            ("off", LevelFilter::Off),
        ];
        for (name, want) in cases {
            assert_eq!(parse_level(name), Some(want), "{name:?}");
            assert_eq!(settings(json!({"streamparse.log.level": name})).level, want);
        }
        for bad in ["", "loud", "fatal", "information", "10", "warnings"] {
            assert_eq!(parse_level(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn topology_debug_forces_debug() {
        let s = settings(json!({"streamparse.log.level": "error", "topology.debug": true}));
        assert_eq!(s.level, LevelFilter::Debug);
        let s = settings(json!({"topology.debug": "TRUE"}));
        assert_eq!(s.level, LevelFilter::Debug);
        // Never less verbose.
        let s = settings(json!({"streamparse.log.level": "trace", "topology.debug": true}));
        assert_eq!(s.level, LevelFilter::Trace);
        // false changes nothing.
        let s = settings(json!({"streamparse.log.level": "error", "topology.debug": false}));
        assert_eq!(s.level, LevelFilter::Error);
        // An invalid level is still an error even with topology.debug.
        assert!(
            LogSettings::from_conf(&conf(
                json!({"streamparse.log.level": "loud", "topology.debug": true})
            ))
            .is_err()
        );
    }

    #[test]
    fn numbers_in_all_accepted_forms() {
        let s = settings(
            json!({"streamparse.log.max_bytes": "  65536 ", "streamparse.log.backup_count": 0}),
        );
        assert_eq!(s.max_bytes, 65536);
        assert_eq!(s.backup_count, 0);
        let s = settings(json!({"streamparse.log.max_bytes": 1e6}));
        assert_eq!(s.max_bytes, 1_000_000);
        let s = settings(json!({"streamparse.log.max_bytes": "0"}));
        assert_eq!(s.max_bytes, 0);
        let s = settings(json!({"streamparse.log.backup_count": 100_000}));
        assert_eq!(s.backup_count, MAX_BACKUP_COUNT);
        for absurd in [json!(100_001), json!(4_294_967_295u64), json!(1e7)] {
            let conf = json!({ "streamparse.log.backup_count": absurd });
            let err = LogSettings::from_conf(conf.as_object().unwrap()).unwrap_err();
            assert!(err.to_string().contains("from 0 to 100000"), "{err}");
        }
    }

    #[test]
    fn bad_level_message_is_exact() {
        assert_eq!(
            error(json!({"streamparse.log.level": "loud"})),
            "invalid value for streamparse.log.level: \"loud\" \
             (expected one of critical, error, warning, info, debug, trace)"
        );
        // The alias key is named when the value came from it.
        assert_eq!(
            error(json!({"pystorm.log.storm_level": 3})),
            "invalid value for pystorm.log.storm_level: 3 \
             (expected one of critical, error, warning, info, debug, trace)"
        );
    }

    #[test]
    fn bad_numbers_are_errors() {
        assert_eq!(
            error(json!({"streamparse.log.max_bytes": "1MB"})),
            "invalid value for streamparse.log.max_bytes: \"1MB\" (expected a non-negative integer)"
        );
        assert_eq!(
            error(json!({"streamparse.log.max_bytes": -1})),
            "invalid value for streamparse.log.max_bytes: -1 (expected a non-negative integer)"
        );
        assert_eq!(
            error(json!({"pystorm.log.backup_count": "-3"})),
            "invalid value for pystorm.log.backup_count: \"-3\" \
             (expected a whole number of rotated files to keep, from 0 to 100000)"
        );
        for bad in [
            json!(1.5),
            json!("+5"),
            json!(""),
            json!(true),
            json!([1]),
            json!("99999999999999999999999"),
        ] {
            let e = LogSettings::from_conf(&conf(json!({"streamparse.log.max_bytes": bad})));
            assert!(e.is_err(), "{bad} accepted");
        }
        let e = LogSettings::from_conf(&conf(
            json!({"streamparse.log.backup_count": 4_294_967_296u64}),
        ))
        .unwrap_err();
        assert_eq!(e.key(), "streamparse.log.backup_count");
        assert_eq!(e.value(), "4294967296");
    }

    #[test]
    fn bad_path_and_debug_are_errors() {
        assert_eq!(
            error(json!({"streamparse.log.path": 5})),
            "invalid value for streamparse.log.path: 5 (expected a string or null)"
        );
        assert_eq!(
            error(json!({"topology.debug": "yes"})),
            "invalid value for topology.debug: \"yes\" (expected true or false)"
        );
    }

    #[test]
    fn long_values_are_truncated_in_errors() {
        let long = "é".repeat(500);
        let e = LogSettings::from_conf(&conf(json!({"streamparse.log.level": long}))).unwrap_err();
        assert!(e.value().len() <= LogConfigError::MAX_VALUE_LEN + '…'.len_utf8());
        assert!(e.value().ends_with('…'));
        let _: &dyn std::error::Error = &e;
    }
}
