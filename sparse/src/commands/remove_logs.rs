//! `sparse remove_logs`: deletes the task logs of a local `sparse run`
//! (`<project>/logs/streamparse_*.log*`, of the topology `-n` names if given).
//!
//! On a cluster (`-e ENV`) there is nothing sparse can delete without ssh: Storm's logviewer
//! serves files but has no call that removes one. Storm removes a worker's folder itself
//! once the topology is gone (`logviewer.cleanup.age.mins`, 7 days by default, checked
//! every `logviewer.cleanup.interval.secs`), so `-e` is refused with that explanation.

use crate::cli::{CliError, CliResult, EXIT_IO, EXIT_USAGE};

/// Flags of `sparse remove_logs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// An environment: refused (Storm's logviewer cannot delete files; see `sparse
    /// remove_logs --help`).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Only the task logs of this topology.
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Only log files whose name contains this text.
    #[arg(long = "pattern", value_name = "TEXT")]
    pub pattern: Option<String>,
}

/// Runs `sparse remove_logs`.
pub fn exec(args: Args) -> CliResult {
    if let Some(env) = &args.environment {
        return Err(CliError::new(
            EXIT_USAGE,
            format!(
                "error: cannot remove logs on `{env}`: Storm's logviewer has no call that deletes \
                 a file, and sparse does not use ssh. Storm deletes a finished topology's worker \
                 logs itself after `logviewer.cleanup.age.mins` (7 days by default); without -e, \
                 remove_logs deletes the logs of local `sparse run`s"
            ),
        ));
    }
    let project = sparse_project::Project::open(args.config.as_deref(), &super::cwd()?)?;
    let dir = project.root.join("logs");
    let select = super::tail::Args {
        config: None,
        environment: None,
        name: args.name.clone(),
        follow: false,
        pattern: args.pattern.clone(),
        lines: 0,
    };
    let files = super::tail::local_files(&dir, &select)?;
    for f in &files {
        std::fs::remove_file(f).map_err(|e| {
            CliError::new(
                EXIT_IO,
                format!("error: cannot remove {}: {e}", f.display()),
            )
        })?;
    }
    println!("Removed {} task log file(s) from {}.", files.len(), dir.display());
    Ok(())
}
