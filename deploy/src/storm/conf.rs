//! The topology conf `sparse submit` sends: what goes into the Flux YAML's `config:`.
//!
//! Built in this order, later steps overriding earlier ones (streamparse 5's
//! `resolve_options`, minus its virtualenv keys):
//!
//! 1. the environment's `log` block as `streamparse.log.*` (`path`, `file`, `max_bytes`,
//!    `backup_count`, `level` lowercased; an empty `path` is left out, so components log
//!    through Storm). `sparse-host` reads these keys in every task;
//! 2. the merged options of [`sparse_project::resolve`]: the topology file's own conf, the
//!    environment's `options`, each `-o key=value`, and `-d` (`topology.debug`);
//! 3. `-p N` (`topology.workers` and `topology.acker.executors` both N), or `-w N` / `-a N`;
//! 4. when `topology.debug` is true, `streamparse.log.level` becomes `debug`, as in
//!    streamparse.

use serde_json::{Map, Value};

use sparse_project::config::EnvConfig;

/// `-p`, `-w` and `-a` of `sparse submit` (the seed's semantics: `par` sets both workers
/// and ackers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parallelism {
    /// Workers and ackers (`topology.workers` and `topology.acker.executors`).
    pub par: Option<u32>,
    /// `topology.workers`.
    pub workers: Option<u32>,
    /// `topology.acker.executors` (0 disables reliability).
    pub ackers: Option<u32>,
}

/// The env's `log` block as `streamparse.log.*` keys.
pub fn log_conf(env: &EnvConfig) -> Map<String, Value> {
    let mut m = Map::new();
    let Some(log) = &env.log else { return m };
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(format!("streamparse.log.{k}"), v);
        }
    };
    put(
        "path",
        log.path
            .as_ref()
            .filter(|p| !p.is_empty())
            .map(|p| Value::from(p.as_str())),
    );
    put("file", log.file.as_ref().map(|f| Value::from(f.as_str())));
    put("max_bytes", log.max_bytes.map(Value::from));
    put("backup_count", log.backup_count.map(Value::from));
    put(
        "level",
        log.level.as_ref().map(|l| Value::from(l.to_lowercase())),
    );
    m
}

/// The full conf (see the module docs for the order).
pub fn submit_conf(
    options: &Map<String, Value>,
    env: Option<&EnvConfig>,
    par: Parallelism,
) -> Map<String, Value> {
    let mut conf = env.map(log_conf).unwrap_or_default();
    conf.extend(options.clone());
    let workers = par.par.or(par.workers);
    let ackers = par.par.or(par.ackers);
    if let Some(w) = workers {
        conf.insert("topology.workers".into(), Value::from(w));
    }
    if let Some(a) = ackers {
        conf.insert("topology.acker.executors".into(), Value::from(a));
    }
    if conf.get("topology.debug") == Some(&Value::Bool(true)) {
        conf.insert("streamparse.log.level".into(), Value::from("debug"));
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sparse_project::config::LogConfig;

    #[test]
    fn order_and_keys() {
        let env = EnvConfig {
            log: Some(LogConfig {
                path: Some("/var/log/sp".into()),
                level: Some("WARNING".into()),
                max_bytes: Some(10),
                backup_count: None,
                file: None,
            }),
            ..EnvConfig::default()
        };
        let mut options = Map::new();
        options.insert("streamparse.log.max_bytes".into(), json!(99));
        options.insert("topology.workers".into(), json!(3));
        let conf = submit_conf(&options, Some(&env), Parallelism::default());
        assert_eq!(conf["streamparse.log.path"], json!("/var/log/sp"));
        assert_eq!(conf["streamparse.log.level"], json!("warning"));
        assert_eq!(conf["streamparse.log.max_bytes"], json!(99));
        assert!(!conf.contains_key("streamparse.log.backup_count"));
        assert_eq!(conf["topology.workers"], json!(3));

        options.insert("topology.debug".into(), json!(true));
        let par = Parallelism {
            par: Some(2),
            ..Parallelism::default()
        };
        let conf = submit_conf(&options, Some(&env), par);
        assert_eq!(conf["topology.workers"], json!(2));
        assert_eq!(conf["topology.acker.executors"], json!(2));
        assert_eq!(conf["streamparse.log.level"], json!("debug"));

        let par = Parallelism {
            ackers: Some(0),
            ..Parallelism::default()
        };
        let conf = submit_conf(&Map::new(), None, par);
        assert_eq!(conf["topology.acker.executors"], json!(0));
        assert!(!conf.contains_key("topology.workers"));
    }

    #[test]
    fn empty_log_path_is_left_out() {
        let env = EnvConfig {
            log: Some(LogConfig {
                path: Some(String::new()),
                ..LogConfig::default()
            }),
            ..EnvConfig::default()
        };
        assert!(log_conf(&env).is_empty());
    }
}
