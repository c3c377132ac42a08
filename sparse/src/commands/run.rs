//! `sparse run`: build the project (`cargo build --profile release`, or the `--profile`
//! given, e.g. `dev` for a debug build), then run the topology locally with the JVM-free
//! runner ([`sparse_runner`]) for `-t` seconds or until Ctrl-C. A topology that runner
//! cannot host (a JVM component, a custom grouping) runs in Storm's LocalCluster instead,
//! and says so first ([`super::run_storm`]).
//!
//! The tasks load their plugins from that profile's build folder (`target/release`,
//! `target/debug`...), never from another profile's. The `sparse-host` is the project's own
//! build only when its workspace builds one; otherwise the one next to `sparse` or on `PATH`
//! (a copy left in the build folder is skipped, with a warning). Both, and the profile, are
//! printed before the run, after `sparse-host --list` has loaded every plugin
//! ([`sparse_project::artifacts`]).
//!
//! Ctrl-C (SIGINT) and SIGTERM are caught with `signal-hook`: it only sets an atomic flag
//! from an async-signal-safe handler (no thread, no unsafe code here), which the runner
//! polls to stop gracefully; a second Ctrl-C stops at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{
    BuildArgs, CliError, CliResult, CommonArgs, EXIT_IO, EXIT_TOPOLOGY, EXIT_USAGE, Parallelism,
};
use sparse_runner::{self as runner, RunError, RunOptions};

/// Exit status: the topology ran and a task failed (or could not start), or it could make
/// no progress (a blocked cycle).
pub const EXIT_RUN_FAILED: i32 = crate::cli::EXIT_RUN_FAILED;

/// Flags of `sparse run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n`, `--config`, `-e`, `-o`, `-d`.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Run for this many seconds, then stop gracefully (0 or absent: until Ctrl-C).
    #[arg(short = 't', long = "time", value_name = "SECS")]
    pub time: Option<f64>,
    /// `-p`, `-w`, `-a`.
    #[command(flatten)]
    pub parallelism: Parallelism,
    /// `--no-build`, `--profile`.
    #[command(flatten)]
    pub build: BuildArgs,
    /// Write the final summary as JSON to this file.
    #[arg(long = "summary-json", value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// JSON sent to tasks: `storm` writes Storm 2.8's bytes (`/` as `\/`, ...), `plain`
    /// passes values through as emitted.
    #[arg(long = "json-style", value_enum, default_value = "storm", value_name = "STYLE")]
    pub json_style: JsonStyleArg,
    /// Speak JSON to every task. By default `sparse-host` tasks are offered the fast wire
    /// (as sparse's serializer does under Storm) and accept it; other components stay on
    /// JSON either way.
    #[arg(long = "json-wire")]
    pub json_wire: bool,
    /// Seed the routing randomness (shuffle groupings deal tuples to tasks in the same
    /// order on every run); default: a new seed each run.
    #[arg(long = "seed", value_name = "N")]
    pub seed: Option<u64>,
}

/// The values of `--json-style`, mapped onto [`runner::wire::JsonStyle`] (the runner
/// library does not depend on clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JsonStyleArg {
    /// Byte for byte what Storm 2.8.3 sends (the default).
    Storm,
    /// Compact JSON; values and ids passed through as the emitting component wrote them.
    Plain,
}

impl From<JsonStyleArg> for runner::wire::JsonStyle {
    fn from(a: JsonStyleArg) -> Self {
        match a {
            JsonStyleArg::Storm => runner::wire::JsonStyle::Storm,
            JsonStyleArg::Plain => runner::wire::JsonStyle::Plain,
        }
    }
}

/// A flag that SIGINT (Ctrl-C) and SIGTERM set.
fn catch_signals() -> Result<Arc<AtomicBool>, CliError> {
    let interrupt = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, interrupt.clone())
            .map_err(|e| CliError::new(EXIT_IO, format!("error: cannot handle signals: {e}")))?;
    }
    Ok(interrupt)
}

/// Runs `sparse run`.
pub fn exec(args: Args) -> CliResult {
    let cwd = super::cwd()?;
    let resolved = super::resolve_checked(&args.common, &cwd)?;
    let topology = &resolved.opened.topology;
    let why = super::run_storm::blockers(topology);
    if !why.is_empty() {
        let interrupt = catch_signals()?;
        return super::run_storm::exec(&args, &resolved, &why, &interrupt);
    }
    let root = resolved.opened.project.root.clone();

    let mut opts = RunOptions::new(&root);
    opts.duration = args
        .time
        .filter(|t| *t > 0.0)
        .map(Duration::from_secs_f64);
    opts.conf_overrides = resolved.options.clone();
    opts.debug = args.common.debug;
    opts.workers = args.parallelism.par.or(args.parallelism.workers);
    opts.ackers = args.parallelism.par.or(args.parallelism.ackers);
    opts.summary_json = args.summary_json.clone();
    opts.json_style = args.json_style.into();
    opts.json_wire = args.json_wire;
    opts.seed = args.seed;
    if let Some((_, env)) = &resolved.env
        && let Some(log) = &env.log
    {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            if !v.is_null() {
                m.insert(k.to_string(), v);
            }
        };
        put("path", json!(log.path));
        put("file", json!(log.file));
        put("max_bytes", json!(log.max_bytes));
        put("backup_count", json!(log.backup_count));
        put("level", json!(log.level));
        opts.log = m;
    }
    // Settings Storm would refuse stop here, before anything is built or started.
    runner::check_settings(topology, &opts)
        .map_err(|e| CliError::new(EXIT_USAGE, format!("error: {e}")))?;

    let built = super::build_and_choose(
        &root,
        topology,
        &args.build,
        crate::cli::EXIT_BUILD_FAILED,
        false,
    )?;
    opts.host_binary = built.host.map(|h| h.path);
    opts.plugin_dir = Some(built.dir);

    opts.interrupt = catch_signals()?;
    match runner::run(topology, &opts) {
        Ok(s) => {
            log::info!(
                "stopped ({}) after {:.1} s",
                s.stop_reason, s.duration_secs
            );
            Ok(())
        }
        Err(e @ RunError::Setup(_)) => Err(CliError::new(EXIT_TOPOLOGY, format!("error: {e}"))),
        Err(e @ RunError::Io(_)) => Err(CliError::new(EXIT_IO, format!("error: {e}"))),
        Err(e @ RunError::Setting(_)) => Err(CliError::new(EXIT_USAGE, format!("error: {e}"))),
        Err(e) => Err(CliError::new(EXIT_RUN_FAILED, format!("error: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::commands::{Cli, Command};

    fn json_style(args: &[&str]) -> runner::wire::JsonStyle {
        let cli = Cli::try_parse_from(["sparse", "run"].iter().chain(args)).unwrap();
        let Command::Run(a) = cli.command else {
            panic!("not `sparse run`")
        };
        a.json_style.into()
    }

    #[test]
    fn json_style_maps_onto_the_runners() {
        assert_eq!(json_style(&[]), runner::wire::JsonStyle::Storm);
        assert_eq!(
            json_style(&["--json-style", "plain"]),
            runner::wire::JsonStyle::Plain
        );
        assert!(Cli::try_parse_from(["sparse", "run", "--json-style", "java"]).is_err());
    }
}
