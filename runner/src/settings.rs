//! The settings `sparse run` itself reads from the merged conf, checked before anything
//! starts with the rules Storm 2.8 applies when a topology is submitted.
//!
//! Storm's `StormSubmitter` and Nimbus run `ConfigValidation.validateTopoConf` on the
//! topology conf: every key that is a field of `org.apache.storm.Config` is checked with
//! the field's annotations (`@IsInteger`: a whole number within Java `int` range, `30.0`
//! included; `@IsPositiveNumber`: above 0, or from 0 with `includeZero`; `@IsBoolean`;
//! `@NotNull`). A value that fails is an `IllegalArgumentException` naming the key, and the
//! topology is not submitted. [`check_conf`] applies the same rules to the keys the runner reads
//! ([`STORM_RULES`]), so `-o topology.message.timeout.secs=abc` is an error here as it is on
//! a cluster, not a silent 30 s.
//!
//! Storm does not validate a component's own conf at submit; its executors read the few
//! keys a component may set with `ObjectReader.getInt` (a whole number or a string holding
//! one; anything else crashes the worker). The runner accepts what those executors accept
//! and refuses the rest before starting: `topology.max.spout.pending` 0 means no limit
//! there (as in Storm's spout executor), a negative one (which stalls Storm's spout for
//! ever) is an error.
//!
//! Keys of sparse's own: `sparse.spout.pipeline` (a spout's commands in flight, a whole
//! number from 1, as `sparse jar` requires for its `SparseShellSpout`);
//! `sparse.max.frame.bytes` (the largest message read from a task,
//! see [`sparse_protocol::frame::DEFAULT_MAX_FRAME`]) follows `sparse-host`'s rule (a whole
//! number from 1024, or a string holding one) so a conf is accepted by both or neither;
//! `streamparse.log.path` must be a string.
//!
//! ```
//! use serde_json::{Map, json};
//! use sparse_runner::settings::{Settings, check_conf};
//!
//! let mut conf = Map::new();
//! conf.insert("topology.message.timeout.secs".into(), json!("abc"));
//! let err = check_conf(&conf, |_| "-o").unwrap_err();
//! assert!(err.to_string().contains("topology.message.timeout.secs"));
//!
//! conf.insert("topology.message.timeout.secs".into(), json!(12.0));
//! let s: Settings = check_conf(&conf, |_| "-o").unwrap();
//! assert_eq!(s.message_timeout_secs, 12);
//! ```

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};
use sparse_protocol::frame::DEFAULT_MAX_FRAME;
use sparse_protocol::shell::{DEFAULT_SPOUT_PIPELINE, SPOUT_PIPELINE_KEY};

/// Storm's default `topology.executor.receive.buffer.size` (2.x `defaults.yaml`).
pub const DEFAULT_RECEIVE_BUFFER: usize = 32768;

/// The key of the largest message the runner reads from a task.
pub const MAX_FRAME_KEY: &str = "sparse.max.frame.bytes";

/// What a Storm `Config` field's annotations require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `@IsInteger`, plus `@IsPositiveNumber` when `min` is 1 and
    /// `@IsPositiveNumber(includeZero = true)` when it is 0.
    Int {
        /// The smallest value allowed (None: any `int`).
        min: Option<i64>,
        /// `@NotNull`.
        required: bool,
    },
    /// `@IsBoolean`.
    Bool,
}

/// The Storm keys the runner reads, with their annotations in Storm 2.8.3's
/// `org.apache.storm.Config` (read with `javap -v` from `storm-client-2.8.3.jar`).
pub const STORM_RULES: &[(&str, Rule)] = &[
    (
        "topology.message.timeout.secs",
        Rule::Int {
            min: Some(1),
            required: true,
        },
    ),
    (
        "topology.max.spout.pending",
        Rule::Int {
            min: Some(1),
            required: false,
        },
    ),
    (
        "topology.shellbolt.max.pending",
        Rule::Int {
            min: Some(1),
            required: true,
        },
    ),
    (
        "topology.acker.executors",
        Rule::Int {
            min: Some(0),
            required: false,
        },
    ),
    (
        "topology.workers",
        Rule::Int {
            min: Some(1),
            required: false,
        },
    ),
    ("topology.debug", Rule::Bool),
    (
        "topology.tick.tuple.freq.secs",
        Rule::Int {
            min: None,
            required: false,
        },
    ),
    ("topology.enable.message.timeouts", Rule::Bool),
    (
        "topology.subprocess.timeout.secs",
        Rule::Int {
            min: Some(1),
            required: false,
        },
    ),
    (
        "supervisor.worker.timeout.secs",
        Rule::Int {
            min: Some(1),
            required: true,
        },
    ),
    (
        "topology.executor.receive.buffer.size",
        Rule::Int {
            min: Some(1),
            required: false,
        },
    ),
];

/// A setting with a value Storm (or sparse) refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The key.
    pub key: String,
    /// The value as JSON.
    pub value: String,
    /// Where the value came from (`-o or config.json's options`, `the topology's conf`...).
    pub origin: String,
    /// What a valid value is.
    pub expected: String,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid setting {} = {} (from {}): {}",
            self.key, self.value, self.origin, self.expected
        )
    }
}

impl std::error::Error for SettingError {}

/// The settings the runner acts on, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `topology.message.timeout.secs`.
    pub message_timeout_secs: u64,
    /// `topology.enable.message.timeouts`.
    pub timeouts_enabled: bool,
    /// `topology.shellbolt.max.pending`.
    pub shellbolt_max_pending: usize,
    /// `topology.subprocess.timeout.secs`, else `supervisor.worker.timeout.secs`.
    pub subprocess_timeout: Duration,
    /// `topology.debug`.
    pub debug: bool,
    /// `topology.acker.executors` (already defaulted to the workers by the merge).
    pub ackers: u32,
    /// `topology.executor.receive.buffer.size`: the bound of each bolt task's queue.
    pub receive_buffer: usize,
    /// `sparse.max.frame.bytes`: the largest message read from a task.
    pub max_frame_bytes: usize,
}

fn int_value(v: &Value) -> Option<i64> {
    // Storm: a Number whose longValue equals its doubleValue, within int range.
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))?,
        _ => return None,
    };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&n)
        .then_some(n)
}

fn describe(rule: Rule) -> String {
    match rule {
        Rule::Bool => {
            "must be true or false (Storm's @IsBoolean; it rejects this at submit)".into()
        }
        Rule::Int { min, .. } => {
            let range = match min {
                Some(1) => "a whole number from 1 to 2147483647".to_string(),
                Some(0) => "a whole number from 0 to 2147483647".to_string(),
                Some(m) => format!("a whole number from {m} to 2147483647"),
                None => "a whole number within Java int range".to_string(),
            };
            format!("must be {range} (Storm's Config rules; it rejects this at submit)")
        }
    }
}

fn check_rule(key: &str, rule: Rule, v: Option<&Value>) -> Result<(), String> {
    // Absent: the default applies (Storm's conf always holds its defaults.yaml values);
    // an explicit null is what `@NotNull` refuses.
    let v = match v {
        None => return Ok(()),
        Some(Value::Null) => {
            return match rule {
                Rule::Int { required: true, .. } => Err(describe(rule)),
                _ => Ok(()),
            };
        }
        Some(v) => v,
    };
    let ok = match rule {
        Rule::Bool => v.is_boolean(),
        Rule::Int { min, .. } => int_value(v).is_some_and(|n| min.is_none_or(|m| n >= m)),
    };
    if ok {
        Ok(())
    } else {
        let mut why = describe(rule);
        if key == "topology.max.spout.pending" {
            why.push_str("; leave it unset for no limit");
        }
        Err(why)
    }
}

/// `sparse.max.frame.bytes` as `sparse-host` reads it: a whole number from 1024, or a
/// string holding one.
fn max_frame(v: Option<&Value>) -> Result<usize, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(DEFAULT_MAX_FRAME);
    };
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n >= 1024 => Ok(n),
        _ => Err(format!(
            "must be a whole number of bytes, at least 1024 (default {DEFAULT_MAX_FRAME})"
        )),
    }
}

fn get_u64(conf: &Map<String, Value>, key: &str) -> Option<u64> {
    conf.get(key)
        .and_then(int_value)
        .and_then(|n| u64::try_from(n).ok())
}

/// Checks the merged (topology-level) conf; `origin(key)` says where a key's value came
/// from, for the message.
///
/// # Errors
///
/// The first key whose value Storm (or, for sparse's keys, `sparse-host`) would refuse.
pub fn check_conf(
    conf: &Map<String, Value>,
    origin: impl Fn(&str) -> &'static str,
) -> Result<Settings, SettingError> {
    let err = |key: &str, expected: String| SettingError {
        key: key.to_string(),
        value: conf
            .get(key)
            .map_or_else(|| "null".to_string(), Value::to_string),
        origin: origin(key).to_string(),
        expected,
    };
    for &(key, rule) in STORM_RULES {
        check_rule(key, rule, conf.get(key)).map_err(|e| err(key, e))?;
    }
    let max_frame_bytes = max_frame(conf.get(MAX_FRAME_KEY)).map_err(|e| err(MAX_FRAME_KEY, e))?;
    const LOG_PATH: &str = "streamparse.log.path";
    if let Some(v) = conf.get(LOG_PATH)
        && !(v.is_string() || v.is_null())
    {
        return Err(err(LOG_PATH, "must be a folder path (a string)".into()));
    }
    let message_timeout_secs = get_u64(conf, "topology.message.timeout.secs").unwrap_or(30);
    let subprocess_secs = get_u64(conf, "topology.subprocess.timeout.secs")
        .or_else(|| get_u64(conf, "supervisor.worker.timeout.secs"))
        .unwrap_or(30);
    Ok(Settings {
        message_timeout_secs,
        timeouts_enabled: conf.get("topology.enable.message.timeouts") != Some(&Value::Bool(false)),
        shellbolt_max_pending: get_u64(conf, "topology.shellbolt.max.pending").unwrap_or(100)
            as usize,
        subprocess_timeout: Duration::from_secs(subprocess_secs),
        debug: conf.get("topology.debug") == Some(&Value::Bool(true)),
        ackers: get_u64(conf, "topology.acker.executors").unwrap_or(1) as u32,
        receive_buffer: get_u64(conf, "topology.executor.receive.buffer.size")
            .map_or(DEFAULT_RECEIVE_BUFFER, |n| n as usize),
        max_frame_bytes,
    })
}

/// A value as Storm's executors read a component's own setting (`ObjectReader.getInt`):
/// a whole number within `int` range, or a string holding one. `Ok(None)` when unset.
fn executor_int(v: Option<&Value>) -> Result<Option<i64>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i32>()
            .map(|n| Some(i64::from(n)))
            .map_err(|_| ()),
        Some(v) => int_value(v).map(Some).ok_or(()),
    }
}

/// A component's effective settings the runner reads (its own conf over the merged one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentSettings {
    /// `topology.max.spout.pending`; None for no limit (unset or 0, as Storm's spout
    /// executor reads it).
    pub max_spout_pending: Option<u64>,
    /// `topology.tick.tuple.freq.secs` when above 0 (0 or less: no ticks).
    pub tick_secs: Option<u64>,
    /// `sparse.spout.pipeline`: spout commands in a task's pipe at once (default
    /// [`DEFAULT_SPOUT_PIPELINE`]; 1 is Storm's `ShellSpout` way, one round trip each).
    pub spout_pipeline: usize,
}

/// Checks a component's effective conf (see the module docs for the rules).
///
/// # Errors
///
/// A value Storm's executor could not read, or a negative `topology.max.spout.pending`.
pub fn check_component(
    component: &str,
    conf: &Map<String, Value>,
    own: &Map<String, Value>,
) -> Result<ComponentSettings, SettingError> {
    let origin = |key: &str| {
        if own.contains_key(key) {
            format!("component `{component}`'s conf")
        } else {
            "the merged conf".to_string()
        }
    };
    let err = |key: &str, expected: &str| SettingError {
        key: key.to_string(),
        value: conf
            .get(key)
            .map_or_else(|| "null".to_string(), Value::to_string),
        origin: origin(key),
        expected: expected.to_string(),
    };
    const MSP: &str = "topology.max.spout.pending";
    const TICK: &str = "topology.tick.tuple.freq.secs";
    let msp = executor_int(conf.get(MSP)).map_err(|()| {
        err(
            MSP,
            "must be a whole number (Storm's spout executor cannot read anything else)",
        )
    })?;
    let max_spout_pending = match msp {
        Some(n) if n < 0 => {
            return Err(err(
                MSP,
                "must be 0 (no limit) or more: Storm's spout executor never calls `next` below 0",
            ));
        }
        Some(0) | None => None,
        Some(n) => Some(n as u64),
    };
    let tick = executor_int(conf.get(TICK)).map_err(|()| {
        err(
            TICK,
            "must be a whole number of seconds (Storm's executor cannot read anything else)",
        )
    })?;
    let spout_pipeline = match conf.get(SPOUT_PIPELINE_KEY) {
        None => DEFAULT_SPOUT_PIPELINE,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=i32::MAX as u64).contains(n))
            .ok_or_else(|| {
                err(
                    SPOUT_PIPELINE_KEY,
                    "must be a whole number from 1 (commands in a spout's pipe at once)",
                )
            })? as usize,
    };
    Ok(ComponentSettings {
        max_spout_pending,
        tick_secs: tick.filter(|s| *s > 0).map(|s| s as u64),
        spout_pipeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conf(pairs: &[(&str, Value)]) -> Map<String, Value> {
        let mut m = super::super::plan::storm_defaults();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        m
    }

    fn refused(key: &str, v: Value) -> SettingError {
        check_conf(&conf(&[(key, v.clone())]), |_| "-o")
            .expect_err(&format!("{key} = {v} accepted"))
    }

    #[test]
    fn invalid_storm_values_are_errors_naming_key_and_value() {
        let e = refused("topology.message.timeout.secs", json!("abc"));
        assert_eq!(e.key, "topology.message.timeout.secs");
        assert_eq!(e.value, "\"abc\"");
        let text = e.to_string();
        assert!(
            text.contains("topology.message.timeout.secs = \"abc\" (from -o)"),
            "{text}"
        );
        assert!(text.contains("from 1 to 2147483647"), "{text}");
        for (key, v) in [
            ("topology.message.timeout.secs", json!(-1)),
            ("topology.message.timeout.secs", json!(0)),
            ("topology.message.timeout.secs", json!(1.5)),
            ("topology.message.timeout.secs", json!(2147483648u64)),
            ("topology.message.timeout.secs", Value::Null),
            ("topology.max.spout.pending", json!(0)),
            ("topology.max.spout.pending", json!(-3)),
            ("topology.max.spout.pending", json!("10")),
            ("topology.shellbolt.max.pending", json!(0)),
            ("topology.shellbolt.max.pending", Value::Null),
            ("topology.acker.executors", json!(-1)),
            ("topology.workers", json!(0)),
            ("topology.debug", json!("yes")),
            ("topology.debug", json!(1)),
            ("topology.enable.message.timeouts", json!("false")),
            ("topology.tick.tuple.freq.secs", json!("5")),
            ("topology.subprocess.timeout.secs", json!(0.5)),
            ("supervisor.worker.timeout.secs", json!(0)),
            ("topology.executor.receive.buffer.size", json!(0)),
            ("sparse.max.frame.bytes", json!(100)),
            ("sparse.max.frame.bytes", json!("lots")),
            ("streamparse.log.path", json!(5)),
        ] {
            let e = refused(key, v.clone());
            assert_eq!(e.key, key);
            assert_eq!(e.value, v.to_string());
        }
    }

    #[test]
    fn valid_values_are_read() {
        let s = check_conf(
            &conf(&[
                ("topology.message.timeout.secs", json!(7.0)),
                ("topology.max.spout.pending", json!(1)),
                ("topology.acker.executors", json!(0)),
                ("topology.tick.tuple.freq.secs", json!(-5)),
                ("topology.subprocess.timeout.secs", json!(3)),
                ("topology.enable.message.timeouts", json!(false)),
                ("topology.executor.receive.buffer.size", json!(64)),
                ("sparse.max.frame.bytes", json!("4096")),
            ]),
            |_| "-o",
        )
        .unwrap();
        assert_eq!(s.message_timeout_secs, 7);
        assert_eq!(s.subprocess_timeout, Duration::from_secs(3));
        assert!(!s.timeouts_enabled);
        assert_eq!(s.ackers, 0);
        assert_eq!(s.receive_buffer, 64);
        assert_eq!(s.max_frame_bytes, 4096);
        // Storm's defaults.
        let d = check_conf(&conf(&[]), |_| "-o").unwrap();
        assert_eq!(d.message_timeout_secs, 30);
        assert_eq!(d.shellbolt_max_pending, 100);
        assert_eq!(d.subprocess_timeout, Duration::from_secs(30));
        assert_eq!(d.receive_buffer, DEFAULT_RECEIVE_BUFFER);
        assert_eq!(d.max_frame_bytes, DEFAULT_MAX_FRAME);
    }

    #[test]
    fn component_max_spout_pending_zero_is_no_limit() {
        let base = conf(&[]);
        let mut own = Map::new();
        own.insert("topology.max.spout.pending".into(), json!(0));
        let mut eff = base.clone();
        eff.extend(own.clone());
        let c = check_component("s", &eff, &own).unwrap();
        assert_eq!(c.max_spout_pending, None);
        eff.insert("topology.max.spout.pending".into(), json!("4"));
        assert_eq!(
            check_component("s", &eff, &own).unwrap().max_spout_pending,
            Some(4)
        );
        eff.insert("topology.max.spout.pending".into(), json!(-1));
        let e = check_component("s", &eff, &own).unwrap_err();
        assert!(e.to_string().contains("component `s`'s conf"), "{e}");
        eff.insert("topology.max.spout.pending".into(), json!("x"));
        assert!(check_component("s", &eff, &own).is_err());
        eff.insert("topology.max.spout.pending".into(), json!(3));
        eff.insert("topology.tick.tuple.freq.secs".into(), json!(0));
        let c = check_component("s", &eff, &own).unwrap();
        assert_eq!(
            c,
            ComponentSettings {
                max_spout_pending: Some(3),
                tick_secs: None,
                spout_pipeline: DEFAULT_SPOUT_PIPELINE,
            }
        );
    }

    #[test]
    fn spout_pipeline_is_a_whole_number_from_1() {
        let own = Map::new();
        let mut eff = conf(&[]);
        for (v, want) in [(json!(1), Some(1)), (json!(16), Some(16)), (json!(0), None)] {
            eff.insert(SPOUT_PIPELINE_KEY.into(), v.clone());
            let got = check_component("s", &eff, &own).map(|c| c.spout_pipeline);
            assert_eq!(got.as_ref().ok().copied(), want, "{v}");
        }
        for v in [json!("8"), json!(2.5), json!(-1)] {
            eff.insert(SPOUT_PIPELINE_KEY.into(), v.clone());
            let e = check_component("s", &eff, &own).unwrap_err().to_string();
            assert!(
                e.contains(SPOUT_PIPELINE_KEY) && e.contains(&v.to_string()),
                "{e}"
            );
        }
    }
}
