//! The command line: the top-level parser, the flags shared by subcommands, the typed CLI
//! error with its exit code, and the entry point [`main`] that the `sparse` binary calls.
//!
//! Subcommands live one per file in [`crate::commands`]; see there for how to add one.
//! Flags shared by several subcommands are reusable clap `Args` structs: [`TopologyArgs`]
//! (`-n`, `--config`) and [`CommonArgs`] (those plus `-e`, `-o`, `-d`). Flatten them with
//! `#[command(flatten)]` and hand them to [`crate::project::open_topology`] /
//! [`crate::project::resolve`].

use std::fmt;
use std::path::PathBuf;

use clap::{Args, Parser};
use serde_json::Value;

use crate::commands::Command;

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
/// Exit status: Storm refused or failed a request (`submit`, `list`, `kill`); also
/// [`crate::storm::EXIT_STORM`].
pub const EXIT_STORM: i32 = 5;
/// Exit status: a `pre_submit`/`post_submit` hook failed; also [`crate::storm::EXIT_HOOK`].
pub const EXIT_HOOK: i32 = 6;
/// Exit status: a local run (`sparse run`) failed: a task died, misbehaved, or the topology
/// could make no progress.
pub const EXIT_RUN_FAILED: i32 = 7;

/// Examples, environment variables and exit codes, after the top-level help.
const AFTER_HELP: &str = "\
Examples:
  sparse quickstart wordcount          a new project with a Rust spout and bolt
  sparse check -n wordcount            validate the topology against Storm's rules and the plugins
  sparse run -n wordcount -t 10        run it locally (no JVM) for 10 seconds
  sparse run -o 'topology.debug=true'  -o values are YAML: 'x=[a, b]' is a list
  sparse jar -n wordcount              build target/sparse/wordcount.jar for Storm
  sparse submit -e prod -n wordcount   build the jar and submit it to the env's Nimbus

Environment:
  SPARSE_NIMBUS, STREAMPARSE_NIMBUS  Nimbus host[:port], over the env's `nimbus` in config.json
  SPARSE_STORM_CLASSPATH             Storm's jars for submit/list/kill without the storm command
  SPARSE_PLUGIN_API_PATH             quickstart: depend on this plugin-api folder (--plugin-api-path)
  SPARSE_FLUX_CORE_JAR               the flux-core jar to embed in topology jars
  CARGO_TARGET_DIR                   where the project's plugins and sparse-host are built

Messages:
  progress, notes and warnings go to stderr as [LEVEL] text (in colour on a terminal,
  unless NO_COLOR is set); -v adds the commands sparse runs, -q keeps warnings and errors

Exit status:
  0 success          1 invalid topology     2 usage or configuration error
  3 I/O error        4 build failed (cargo)  5 Storm refused or failed
  6 a pre/post_submit hook failed           7 a local run failed (a task died)";

/// `sparse`: Storm topologies with Rust components.
#[derive(Debug, Parser)]
#[command(
    name = "sparse",
    version,
    about,
    propagate_version = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// More messages on stderr: `-v` shows the commands sparse runs, `-vv` everything.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Fewer messages on stderr: `-q` only warnings and errors, `-qq` only errors.
    #[arg(short = 'q', long = "quiet", action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Choosing a topology: `-n NAME` and `--config PATH`.
#[derive(Debug, Clone, Default, Args)]
pub struct TopologyArgs {
    /// Topology file name, with or without extension (optional when there is one topology).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<PathBuf>,
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

/// `--no-build` and `--profile` of commands that build the project first (`run`, `jar`,
/// `submit`).
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Do not run `cargo build` first: use what the profile's build folder holds.
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// The Cargo profile to build and use: `release`, `dev` (a debug build, in
    /// target/debug), or a custom profile of the workspace.
    #[arg(long = "profile", value_name = "NAME", default_value = crate::release::DEFAULT_PROFILE)]
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

impl From<crate::project::ProjectError> for CliError {
    fn from(e: crate::project::ProjectError) -> Self {
        use crate::project::ProjectError as P;
        use crate::topology::LoadError;
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

/// What a subcommand returns.
pub type CliResult = Result<(), CliError>;

/// Parses `std::env::args`, runs the subcommand and returns the exit status (messages are
/// already printed).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    crate::diag::init(crate::diag::Verbosity {
        verbose: cli.verbose,
        quiet: cli.quiet,
    });
    match cli.command.exec() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("{}", e.message);
            }
            e.code
        }
    }
}

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

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
