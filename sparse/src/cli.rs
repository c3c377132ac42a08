//! What the subcommands share: the flags used by several of them, the typed CLI error with
//! its exit code, and how library errors map to exit codes.
//!
//! Subcommands live one per file in [`crate::commands`], which also holds the top-level
//! parser and the entry point; this module imports none of them, so the command files
//! depend on it and never the other way round. Flags shared by several subcommands are
//! reusable clap `Args` structs: [`TopologyArgs`] (`-n`, `--config`) and [`CommonArgs`]
//! (those plus `-e`, `-o`, `-d`). Flatten them with `#[command(flatten)]` and hand
//! [`CommonArgs::selection`] to [`sparse_project::resolve`].

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;
use sparse_deploy::storm::StormError;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the topology is invalid (syntax, structure or Storm-rule errors).
pub const EXIT_TOPOLOGY: i32 = 1;
/// Exit status: usage or configuration error (bad flags, no project, bad `config.json`,
/// topology not found or ambiguous).
pub const EXIT_USAGE: i32 = 2;
/// Exit status: an I/O error outside the topology (e.g. writing the output file).
pub const EXIT_IO: i32 = 3;
/// Exit status: `cargo build` of the project failed (`check`, `run`, `jar`, `submit`).
pub const EXIT_BUILD_FAILED: i32 = 4;
/// Exit status: Storm refused or failed a request (`submit`, `list`, `kill`).
pub const EXIT_STORM: i32 = 5;
/// Exit status: a `pre_submit`/`post_submit` hook failed.
pub const EXIT_HOOK: i32 = 6;
/// Exit status: a local run (`sparse run`) failed: a task died, misbehaved, or the topology
/// could make no progress.
pub const EXIT_RUN_FAILED: i32 = 7;

/// Choosing a topology: `-n NAME` and `--config PATH`.
#[derive(Debug, Clone, Default, Args)]
pub struct TopologyArgs {
    /// Topology file name, with or without extension (optional when there is one topology).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Substitute `${name}` in a Flux YAML topology with the values of this Java properties
    /// file, as Flux's `--filter` does (the jar then holds the values).
    #[arg(long = "filter", value_name = "FILE")]
    pub filter: Option<PathBuf>,
    /// Substitute `${ENV-NAME}` in a Flux YAML topology with environment variables, as
    /// Flux's `--env-filter` does.
    #[arg(long = "env-filter")]
    pub env_filter: bool,
}

impl TopologyArgs {
    /// The `--filter`/`--env-filter` part of a [`sparse_project::Selection`].
    pub fn selection(&self) -> sparse_project::Selection {
        sparse_project::Selection {
            name: self.name.clone(),
            config: self.config.clone(),
            filter: self.filter.clone(),
            env_filter: self.env_filter,
            ..Default::default()
        }
    }
}

/// The common flags of commands that run or deploy a topology.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// `-n` and `--config`.
    #[command(flatten)]
    pub topology: TopologyArgs,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Storm option `key=value` (repeatable); the value is parsed as YAML (`x=[a, b]` is a
    /// list), else taken as a string.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    pub options: Vec<(String, Value)>,
    /// Set `topology.debug` to true.
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,
}

impl CommonArgs {
    /// What these flags choose, for [`sparse_project::resolve`].
    pub fn selection(&self) -> sparse_project::Selection {
        sparse_project::Selection {
            environment: self.environment.clone(),
            options: self.options.clone(),
            debug: self.debug,
            ..self.topology.selection()
        }
    }
}

/// `--no-build` and `--profile` of commands that build the project first (`run`, `jar`,
/// `submit`).
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Do not run `cargo build` first: use what the profile's build folder holds.
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// The Cargo profile to build and use: `release`, `dev` (a debug build, in
    /// target/debug), or a custom profile of the workspace.
    #[arg(long = "profile", value_name = "NAME", default_value = sparse_project::release::DEFAULT_PROFILE)]
    pub profile: String,
}

/// `-p`, `-w` and `-a` of commands that run or deploy a topology (the seed's semantics:
/// `-p N` sets both workers and ackers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Args)]
pub struct Parallelism {
    /// Workers and ackers (`topology.workers` and `topology.acker.executors`).
    #[arg(short = 'p', long = "par", value_name = "N", conflicts_with_all = ["workers", "ackers"])]
    pub par: Option<u32>,
    /// `topology.workers`.
    #[arg(short = 'w', long = "workers", value_name = "N")]
    pub workers: Option<u32>,
    /// `topology.acker.executors` (0 disables reliability).
    #[arg(short = 'a', long = "ackers", value_name = "N")]
    pub ackers: Option<u32>,
}

impl From<Parallelism> for sparse_deploy::storm::conf::Parallelism {
    fn from(p: Parallelism) -> Self {
        sparse_deploy::storm::conf::Parallelism {
            par: p.par,
            workers: p.workers,
            ackers: p.ackers,
        }
    }
}

/// Parses `key=value` as streamparse does: split at the first `=`, the value as YAML (which
/// JSON is a part of), else as a string: `a=5` → 5, `a=true` → true, `a=[x, y]` → a list of
/// two strings, `a={k: 1}` → a map, `a=hello` → "hello", `a=` → "". JSON is tried first, so
/// integers beyond 2^53 keep every digit.
pub fn parse_option(s: &str) -> Result<(String, Value), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, found `{s}`"))?;
    if k.is_empty() {
        return Err(format!("empty key in `{s}`"));
    }
    let value = if v.trim().is_empty() {
        Value::String(v.to_string())
    } else {
        serde_json::from_str(v)
            .or_else(|_| serde_saphyr::from_str::<Value>(v))
            .unwrap_or_else(|_| Value::String(v.to_string()))
    };
    Ok((k.to_string(), value))
}

/// An error that ends the program: the message to print and the exit status.
#[derive(Debug)]
pub struct CliError {
    /// Exit status ([`EXIT_TOPOLOGY`], [`EXIT_USAGE`], [`EXIT_IO`]...).
    pub code: i32,
    /// What to print on stderr (may be several lines).
    pub message: String,
}

impl CliError {
    /// An error with this exit status.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<sparse_project::ProjectError> for CliError {
    fn from(e: sparse_project::ProjectError) -> Self {
        use sparse_project::ProjectError as P;
        use sparse_topology::LoadError;
        let code = match &e {
            P::Load(LoadError::Invalid(_)) => EXIT_TOPOLOGY,
            _ => EXIT_USAGE,
        };
        let message = match &e {
            P::Load(LoadError::Invalid(_)) => e.to_string(),
            _ => format!("error: {e}"),
        };
        CliError { code, message }
    }
}

impl From<StormError> for CliError {
    fn from(e: StormError) -> Self {
        let code = match &e {
            StormError::NoClient(_) | StormError::NoNimbus(_) => EXIT_USAGE,
            StormError::Spawn { .. } => EXIT_IO,
            StormError::Failed { .. } | StormError::StillThere { .. } => EXIT_STORM,
        };
        CliError::new(code, format!("error: {e}"))
    }
}

impl From<sparse_deploy::storm::ui::UiError> for CliError {
    fn from(e: sparse_deploy::storm::ui::UiError) -> Self {
        CliError::new(EXIT_STORM, format!("error: {e}"))
    }
}

/// What a subcommand returns.
pub type CliResult = Result<(), CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_values() {
        assert_eq!(parse_option("a=5").unwrap(), ("a".into(), Value::from(5)));
        assert_eq!(parse_option("a=true").unwrap().1, Value::Bool(true));
        assert_eq!(
            parse_option("a=b=c").unwrap(),
            ("a".into(), Value::from("b=c"))
        );
        assert_eq!(parse_option("a=").unwrap().1, Value::from(""));
        assert_eq!(parse_option("a=[1]").unwrap().1, serde_json::json!([1]));
        // YAML, as streamparse parses -o values.
        assert_eq!(
            parse_option("x=[a, b]").unwrap().1,
            serde_json::json!(["a", "b"])
        );
        assert_eq!(
            parse_option("x={k: 1, l: [true]}").unwrap().1,
            serde_json::json!({"k": 1, "l": [true]})
        );
        assert_eq!(parse_option("x=1.5").unwrap().1, serde_json::json!(1.5));
        assert_eq!(parse_option("x=hello").unwrap().1, Value::from("hello"));
        assert_eq!(
            parse_option("x=9007199254740993").unwrap().1,
            Value::from(9007199254740993u64)
        );
        assert!(parse_option("novalue").is_err());
        assert!(parse_option("=1").is_err());
    }
}
