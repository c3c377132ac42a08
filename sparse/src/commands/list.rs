//! `sparse list`: the topologies on the environment's Nimbus ([`sparse_deploy::storm`]), one line
//! each: name, status, tasks, workers, uptime and id.

use crate::cli::CliResult;
use sparse_project::Project;
use sparse_deploy::storm::{self, client::Client};

/// Flags of `sparse list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Thrift socket timeout of the Storm client talking to Nimbus, in milliseconds.
    #[arg(long = "timeout", value_name = "MS", value_parser = clap::value_parser!(u32).range(1..))]
    pub timeout: Option<u32>,
}

/// Opens the project and returns the chosen environment, its Nimbus (reached with a Thrift
/// timeout of `timeout_ms`, if any) and the Storm client (shared with `sparse kill`).
pub fn connect(
    config: Option<&std::path::Path>,
    environment: Option<&str>,
    timeout_ms: Option<u32>,
) -> Result<(Project, storm::Nimbus, Client), crate::cli::CliError> {
    let project = Project::open(config, &super::cwd()?)?;
    for w in &project.warnings {
        eprintln!("warning: {w}");
    }
    let env = project.env(environment)?;
    let nimbus = storm::nimbus_for(env.as_ref())?.with_timeout(timeout_ms);
    let client = Client::resolve(env.as_ref().and_then(|(_, e)| e.storm_classpath.as_deref()))?;
    Ok((project, nimbus, client))
}

/// Runs `sparse list`.
pub fn exec(args: Args) -> CliResult {
    let (_, nimbus, client) = connect(
        args.config.as_deref(),
        args.environment.as_deref(),
        args.timeout,
    )?;
    let rows = client.list(&nimbus)?;
    if rows.is_empty() {
        println!("No topologies running on {nimbus}.");
        return Ok(());
    }
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:<w$}  {:<11}  {:>5}  {:>7}  {:>10}  ID",
        "NAME", "STATUS", "TASKS", "WORKERS", "UPTIME_S"
    );
    for r in &rows {
        println!(
            "{:<w$}  {:<11}  {:>5}  {:>7}  {:>10}  {}",
            r.name, r.status, r.tasks, r.workers, r.uptime_secs, r.id
        );
    }
    Ok(())
}
