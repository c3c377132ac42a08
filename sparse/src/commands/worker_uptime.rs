//! `sparse worker_uptime`: every worker of every running topology with its uptime, from
//! Storm's UI REST API (the `workers` of `/api/v1/topology/<id>`), as streamparse's
//! `worker_uptime` lists them: topology, host, port, uptime, executors and the worker's
//! log in its supervisor's logviewer.

use crate::cli::CliResult;
use sparse_deploy::storm::ui;

use super::stats::{connect_ui, print_table};

/// Flags of `sparse worker_uptime`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
}

/// Runs `sparse worker_uptime`.
pub fn exec(args: Args) -> CliResult {
    let ui = connect_ui(args.config.as_deref(), args.environment.as_deref())?;
    let mut rows = Vec::new();
    for t in ui.topology_summary()? {
        let page = ui.topology(&t.id)?;
        for w in ui::topology_workers(&page) {
            rows.push(vec![
                t.name.clone(),
                w.host,
                w.port.to_string(),
                w.uptime,
                w.uptime_secs.to_string(),
                w.executors.to_string(),
                w.log_link,
            ]);
        }
    }
    print_table(
        &format!("Workers ({})", ui.base()),
        &[
            "Topology",
            "Host",
            "Port",
            "Uptime",
            "Uptime (s)",
            "Executors",
            "Log",
        ],
        &rows,
    );
    Ok(())
}
