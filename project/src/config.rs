//! `config.json`, the project file (seed section 1.6; streamparse 5's schema).
//!
//! These are plain serde types, kept apart from what commands derive from them. [`load`]
//! reports a wrong type as an error naming the JSON key path
//! (`envs.prod.log.max_bytes: invalid type: string "big", expected u64`) and returns every
//! unknown key as a warning (`envs.prod.colour`), so a typo is noticed but an older or newer
//! file still loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The whole `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectConfig {
    /// Folder of topology definitions, relative to the project root (default `topologies/`).
    #[serde(default = "default_specs")]
    pub topology_specs: String,
    /// Wire serializer (`json`; streamparse also knew `msgpack`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serializer: Option<String>,
    /// streamparse's virtualenv folder; accepted for compatibility, unused by sparse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualenv_specs: Option<String>,
    /// Deployment environments by name.
    #[serde(default)]
    pub envs: BTreeMap<String, EnvConfig>,
    /// Command run by `sparse submit` before building and submitting, for every environment
    /// (see [`HookCommand`]); a failure aborts the submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_submit: Option<HookCommand>,
    /// Command run by `sparse submit` after a successful submission, for every environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_submit: Option<HookCommand>,
    /// Maven coordinates `groupId:artifactId:version` of the JVM libraries that the
    /// topology's JVM components need (like `project.clj`'s `:dependencies`); `sparse jar`
    /// resolves them with Maven and packs them (see `sparse_deploy::jar::maven`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jvm_dependencies: Vec<String>,
    /// The Storm version of the cluster, whose `storm-client` (and what it brings) is left
    /// out of the packed JVM dependencies (default 2.8.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm_version: Option<String>,
}

/// A `pre_submit`/`post_submit` hook: a shell command line (run with `sh -c`) or an argv
/// array (run directly). Either way it gets the topology name, the environment name and the
/// environment's config as JSON: as the positional arguments `$1 $2 $3` of the shell line,
/// appended to the argv array, and as `SPARSE_TOPOLOGY`, `SPARSE_ENV`, `SPARSE_ENV_CONFIG`
/// environment variables (see `sparse_deploy::storm::hooks` for the full list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HookCommand {
    /// `"./notify.sh deploying"`: run as `sh -c LINE sparse-hook TOPOLOGY ENV ENV_JSON`.
    Shell(String),
    /// `["./notify.sh", "deploying"]`: run as `argv... TOPOLOGY ENV ENV_JSON`.
    Argv(Vec<String>),
}

fn default_specs() -> String {
    "topologies/".to_string()
}

/// One environment (`envs.NAME`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvConfig {
    /// Nimbus as `host[:port]` (port 6627 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nimbus: Option<String>,
    /// Worker hosts; empty means ask Nimbus.
    #[serde(default)]
    pub workers: Vec<String>,
    /// SSH user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// SSH port (22 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_port: Option<u16>,
    /// Whether to reach Nimbus through an SSH tunnel (default true in streamparse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_ssh_for_nimbus: Option<bool>,
    /// Component logging settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogConfig>,
    /// Storm configuration passed to the topology (`topology.*` keys and anything else).
    #[serde(default)]
    pub options: Map<String, Value>,
    /// Serializer override for this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serializer: Option<String>,
    /// streamparse virtualenv keys, accepted for compatibility and unused by sparse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualenv_root: Option<String>,
    /// See `virtualenv_root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_virtualenv: Option<bool>,
    /// See `virtualenv_root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_virtualenv: Option<bool>,
    /// See `virtualenv_root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualenv_flags: Option<String>,
    /// See `virtualenv_root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualenv_name: Option<String>,
    /// Storm UI port (default 8080).
    #[serde(rename = "ui.port", default, skip_serializing_if = "Option::is_none")]
    pub ui_port: Option<u16>,
    /// Java classpath of the Storm client jars used by `submit`/`list`/`kill` when no `storm`
    /// command is on `PATH` (overridden by `SPARSE_STORM_CLASSPATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm_classpath: Option<String>,
    /// Like the top-level `pre_submit`, for this environment only (runs after that one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_submit: Option<HookCommand>,
    /// Like the top-level `post_submit`, for this environment only (runs after that one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_submit: Option<HookCommand>,
}

/// `envs.NAME.log`: where and how components log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogConfig {
    /// Log folder on the workers (empty: Storm's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Log file name pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Rotate after this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Rotated files kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_count: Option<u32>,
    /// `critical`, `error`, `warning`, `info` or `debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// Why `config.json` could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not JSON, or a value of the wrong type at `key_path`.
    #[error("{}: {}{message}", path.display(), if key_path.is_empty() || key_path == "." { String::new() } else { format!("{key_path}: ") })]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Dotted JSON key path (`envs.prod.log.max_bytes`), empty at top level.
        key_path: String,
        /// serde's description, with line and column.
        message: String,
    },
}

/// A loaded config and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: ProjectConfig,
    /// One message per unknown key (`config.json: unknown key envs.prod.colour (ignored)`).
    pub warnings: Vec<String>,
}

/// Parses `config.json` text; `path` is only used in messages.
pub fn parse(src: &str, path: &Path) -> Result<Loaded, ConfigError> {
    // serde reads a JSON array into a struct by position (`["nope/"]` would name the
    // topology folder): the top level must be an object.
    match src.trim_start().chars().next() {
        Some('{') => {}
        first => {
            let found = match first {
                None => "nothing",
                Some('[') => "an array",
                Some('"') => "a string",
                Some('t' | 'f') => "a boolean",
                Some('n') => "null",
                Some(_) => "a number or invalid JSON",
            };
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key_path: String::new(),
                message: format!("the top level must be a JSON object ({{ ... }}), found {found}"),
            });
        }
    }
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_str(src);
    let mut track = serde_path_to_error::Track::new();
    let res: Result<ProjectConfig, _> = serde_ignored::deserialize(
        serde_path_to_error::Deserializer::new(&mut de, &mut track),
        |p| unknown.push(p.to_string()),
    );
    let config = res
        .and_then(|c| de.end().map(|()| c))
        .map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            key_path: track.path().to_string(),
            message: e.to_string(),
        })?;
    let mut warnings: Vec<String> = unknown
        .into_iter()
        .map(|k| format!("{}: unknown key `{k}` (ignored)", path.display()))
        .collect();
    warnings.extend(
        streamparse_only_keys(&config)
            .into_iter()
            .map(|w| format!("{}: {w}", path.display())),
    );
    Ok(Loaded { config, warnings })
}

/// One line for each key a streamparse `config.json` has that sparse reads but does not act
/// on, saying what sparse does instead: silence would let a user believe it took effect.
pub fn streamparse_only_keys(config: &ProjectConfig) -> Vec<String> {
    let mut out = Vec::new();
    let venv = "Rust components need no virtualenv (the topology jar carries sparse-host and \
                the plugins); Python components use the streamparse installed on the workers";
    if config.virtualenv_specs.is_some() {
        out.push(format!("`virtualenv_specs` is not used: {venv}"));
    }
    for (name, env) in &config.envs {
        let key = |k: &str| format!("`envs.{name}.{k}`");
        if env.use_ssh_for_nimbus.is_some() {
            out.push(format!(
                "{} is not used: sparse reaches Nimbus directly (the storm command or Storm's Java \
                 client), never through an SSH tunnel",
                key("use_ssh_for_nimbus")
            ));
        }
        if env.user.as_deref().is_some_and(|u| !u.is_empty()) {
            out.push(format!(
                "{} is not used: sparse runs nothing on the workers, so there is no SSH or sudo user",
                key("user")
            ));
        }
        if env.ssh_port.is_some() {
            out.push(format!(
                "{} is not used: sparse does not SSH to the workers (the jar ships everything)",
                key("ssh_port")
            ));
        }
        if !env.workers.is_empty() {
            out.push(format!(
                "{} is not used: nothing is installed on the workers over SSH (the jar ships \
                 sparse-host and the plugins)",
                key("workers")
            ));
        }
        if env.log.as_ref().is_some_and(|l| l.file.is_some()) {
            out.push(format!(
                "{} is not used: task logs are always named \
                 streamparse_<topology>_<component>_<task>_<pid>.log in `log.path`",
                key("log.file")
            ));
        }
        for (k, set) in [
            ("virtualenv_root", env.virtualenv_root.is_some()),
            ("use_virtualenv", env.use_virtualenv.is_some()),
            ("install_virtualenv", env.install_virtualenv.is_some()),
            ("virtualenv_flags", env.virtualenv_flags.is_some()),
            ("virtualenv_name", env.virtualenv_name.is_some()),
        ] {
            if set {
                out.push(format!("{} is not used: {venv}", key(k)));
            }
        }
    }
    out
}

/// Reads and parses the `config.json` at `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let src = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&src, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamparse_keys_sparse_does_not_act_on_are_named() {
        let src = r#"{"virtualenv_specs": "virtualenvs", "envs": {"prod": {
            "user": "storm", "ssh_port": 22, "use_ssh_for_nimbus": true,
            "workers": ["w1"], "log": {"file": "x.log"}, "use_virtualenv": true}}}"#;
        let loaded = parse(src, Path::new("config.json")).unwrap();
        let w = loaded.warnings.join("\n");
        for key in [
            "`virtualenv_specs`",
            "`envs.prod.user`",
            "`envs.prod.ssh_port`",
            "`envs.prod.use_ssh_for_nimbus`",
            "`envs.prod.workers`",
            "`envs.prod.log.file`",
            "`envs.prod.use_virtualenv`",
        ] {
            assert!(w.contains(key), "{key} not in {w}");
        }
        assert_eq!(loaded.warnings.len(), 7, "{w}");
        assert!(
            parse("{}", Path::new("c.json"))
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn the_top_level_must_be_an_object() {
        for (src, found) in [
            (r#"["nope/"]"#, "an array"),
            ("  ", "nothing"),
            ("42", "a number"),
            ("null", "null"),
        ] {
            let err = parse(src, Path::new("config.json"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("top level must be a JSON object"), "{err}");
            assert!(err.contains(found), "{err}");
            assert!(err.contains("config.json"), "{err}");
        }
        assert!(parse(" \n{}", Path::new("config.json")).is_ok());
    }

    #[test]
    fn wrong_type_names_the_key_path() {
        let src = r#"{"envs": {"prod": {"log": {"max_bytes": "big"}}}}"#;
        let e = parse(src, Path::new("config.json")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("envs.prod.log.max_bytes: invalid type: string \"big\""),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let src =
            r#"{"topology_specs": "t/", "colour": 1, "envs": {"prod": {"nimbus": "h", "x": {}}}}"#;
        let l = parse(src, Path::new("config.json")).unwrap();
        assert_eq!(l.config.topology_specs, "t/");
        assert_eq!(l.config.envs["prod"].nimbus.as_deref(), Some("h"));
        assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
        assert!(l.warnings.iter().any(|w| w.contains("envs.prod.x")));
    }

    #[test]
    fn hooks_are_a_string_or_an_argv() {
        let src = r#"{"pre_submit": "echo hi", "envs": {"p": {"post_submit": ["a", "b"]}}}"#;
        let l = parse(src, Path::new("config.json")).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(
            l.config.pre_submit,
            Some(HookCommand::Shell("echo hi".into()))
        );
        assert_eq!(
            l.config.envs["p"].post_submit,
            Some(HookCommand::Argv(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn defaults() {
        let l = parse("{}", Path::new("c.json")).unwrap();
        assert_eq!(l.config.topology_specs, "topologies/");
        assert!(l.config.envs.is_empty());
    }
}
