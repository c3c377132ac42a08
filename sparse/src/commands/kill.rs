//! `sparse kill`: kill a topology on the environment's Nimbus ([`sparse_deploy::storm`]).
//!
//! `-n NAME` is a topology file of the project (its topology name is used) or any topology
//! name on the cluster; without `-n`, the project's only topology. Storm deactivates the
//! spouts, waits `--wait` seconds (default 5), then removes the workers; the command returns
//! once Nimbus has accepted the kill (`sparse list` shows `KILLED` until then).
//!
//! As in streamparse, `-N/--override_name NAME` kills topology `NAME` on the cluster as it
//! is (no project topology is looked up: for one submitted with `sparse submit -N`), and
//! `--timeout MS` sets the Storm client's Thrift timeout.

use crate::cli::CliResult;

/// Flags of `sparse kill`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topology: a topology file name/stem of the project, or a topology name on the cluster.
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// Kill the topology of exactly this name on the cluster (streamparse's `-N`).
    #[arg(
        short = 'N',
        long = "override_name",
        visible_alias = "override-name",
        value_name = "NAME",
        conflicts_with = "name",
        value_parser = super::submit::parse_topology_name
    )]
    pub override_name: Option<String>,
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// Seconds between deactivating the spouts and removing the topology.
    #[arg(long = "wait", value_name = "SECS", default_value_t = 5)]
    pub wait: u32,
    /// Thrift socket timeout of the Storm client talking to Nimbus, in milliseconds.
    #[arg(long = "timeout", value_name = "MS", value_parser = clap::value_parser!(u32).range(1..))]
    pub timeout: Option<u32>,
}

/// Runs `sparse kill`.
pub fn exec(args: Args) -> CliResult {
    let (project, nimbus, client) = super::list::connect(
        args.config.as_deref(),
        args.environment.as_deref(),
        args.timeout,
    )?;
    let name = match (args.override_name, args.name.as_deref()) {
        (Some(n), _) => n,
        (None, Some(n)) => project
            .clone()
            .load_topology(Some(n))
            .map_or_else(|_| n.to_string(), |t| t.topology.name),
        (None, None) => project.load_topology(None)?.topology.name,
    };
    client.kill(&nimbus, &name, args.wait)?;
    eprintln!(
        "[sparse kill] `{name}` killed on {nimbus}: Storm removes it in about {} s",
        args.wait
    );
    Ok(())
}
