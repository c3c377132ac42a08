//! The conf every task starts from ([`merged_conf`]: Storm's defaults, the topology's conf,
//! config.json's log block, overrides, flags) and the check of every setting the runner
//! reads ([`check_settings`]), with where a bad value came from.

use serde_json::{Map, Value, json};
use sparse_topology::model::Topology;

use crate::settings::{self, Settings};
use crate::{RunError, RunOptions, plan};

fn as_u64(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
}

/// Merges the conf every task starts from: Storm defaults < topology conf < log settings <
/// overrides < flags, plus `topology.name`, `storm.id` and the effective acker count.
pub fn merged_conf(topology: &Topology, opts: &RunOptions, storm_id: &str) -> Map<String, Value> {
    let mut conf = plan::storm_defaults();
    conf.extend(topology.conf.clone());
    let mut log = opts.log.clone();
    if log.get("path").is_none_or(|p| p.is_null() || p == "") {
        log.insert(
            "path".into(),
            json!(opts.project_dir.join("logs").to_string_lossy()),
        );
    }
    if opts.debug {
        log.insert("level".into(), json!("debug"));
    }
    for (k, v) in log {
        conf.insert(format!("streamparse.log.{k}"), v);
    }
    conf.extend(opts.conf_overrides.clone());
    // pystorm (streamparse 3+) reads only `pystorm.log.*`: mirror the settings so Python
    // components log to the same folder, unless the user set those keys themselves.
    let mirrored: Vec<(String, Value)> = conf
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("streamparse.log.")?;
            let v = match (key, v) {
                ("level", Value::String(s)) => json!(s.to_lowercase()),
                _ => v.clone(),
            };
            Some((format!("pystorm.log.{key}"), v))
        })
        .filter(|(k, _)| !opts.conf_overrides.contains_key(k))
        .collect();
    conf.extend(mirrored);
    if opts.debug {
        conf.insert("topology.debug".into(), json!(true));
    }
    if let Some(w) = opts.workers {
        conf.insert("topology.workers".into(), json!(w));
    }
    if let Some(a) = opts.ackers {
        conf.insert("topology.acker.executors".into(), json!(a));
    }
    let workers = as_u64(conf.get("topology.workers")).unwrap_or(1);
    let ackers = as_u64(conf.get("topology.acker.executors")).unwrap_or(workers);
    conf.insert("topology.acker.executors".into(), json!(ackers));
    conf.insert("topology.name".into(), json!(topology.name));
    conf.insert("storm.id".into(), json!(storm_id));
    conf.insert("storm.cluster.mode".into(), json!("local"));
    conf
}

/// Where the value of `key` in [`merged_conf`] came from, for error messages.
fn origin(topology: &Topology, opts: &RunOptions, key: &str) -> &'static str {
    match key {
        "topology.debug" if opts.debug => return "-d",
        "topology.workers" if opts.workers.is_some() => return "-w/-p",
        "topology.acker.executors" if opts.ackers.is_some() => return "-a/-p",
        _ => {}
    }
    if opts.conf_overrides.contains_key(key) {
        "-o or config.json's options"
    } else if key.starts_with("streamparse.log.") {
        "config.json's log settings"
    } else if topology.conf.contains_key(key) {
        "the topology's conf"
    } else if key == "topology.acker.executors" {
        "topology.workers"
    } else {
        "Storm's defaults"
    }
}

/// Checks every setting the runner reads, in the merged conf and in each component's own
/// conf, with Storm's rules ([`settings`]); nothing is started.
///
/// # Errors
///
/// [`RunError::Setting`] naming the first invalid key, its value and where it came from.
pub fn check_settings(topology: &Topology, opts: &RunOptions) -> Result<Settings, RunError> {
    let base = merged_conf(topology, opts, "check");
    check_merged(topology, opts, &base).map(|(s, _)| s)
}
pub(crate) fn check_merged(
    topology: &Topology,
    opts: &RunOptions,
    base: &Map<String, Value>,
) -> Result<(Settings, Vec<settings::ComponentSettings>), RunError> {
    let s = settings::check_conf(base, |k| origin(topology, opts, k)).map_err(RunError::Setting)?;
    let mut comps = Vec::new();
    for c in &topology.components {
        let conf = plan::component_conf(base, &c.conf, c.kind);
        comps.push(settings::check_component(&c.id, &conf, &c.conf).map_err(RunError::Setting)?);
    }
    Ok((s, comps))
}
