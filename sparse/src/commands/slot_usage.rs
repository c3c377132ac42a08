//! `sparse slot_usage`: worker slots per supervisor host and which topologies hold them,
//! from Storm's UI REST API (`/api/v1/supervisor/summary` for the slots, the `workers` of
//! each `/api/v1/topology/<id>` for their owners), as streamparse's `slot_usage` shows them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cli::CliResult;
use sparse_deploy::storm::ui;

use super::stats::{cell, connect_ui, print_table};

/// Flags of `sparse slot_usage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
}

/// Runs `sparse slot_usage`.
pub fn exec(args: Args) -> CliResult {
    let ui = connect_ui(args.config.as_deref(), args.environment.as_deref())?;
    let sups = ui.supervisor_summary()?;
    // host -> topology name -> slots held
    let mut held: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for t in ui.topology_summary()? {
        let page = ui.topology(&t.id)?;
        for w in ui::topology_workers(&page) {
            *held
                .entry(w.host)
                .or_default()
                .entry(t.name.clone())
                .or_default() += 1;
        }
    }
    let mut rows = Vec::new();
    for s in sups
        .get("supervisors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let host = cell(s, "host");
        let topologies = held
            .get(&host)
            .map(|m| {
                m.iter()
                    .map(|(name, n)| format!("{name} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        rows.push(vec![
            host,
            cell(s, "id"),
            cell(s, "slotsTotal"),
            cell(s, "slotsUsed"),
            cell(s, "slotsFree"),
            cell(s, "uptime"),
            topologies,
        ]);
    }
    rows.sort();
    print_table(
        &format!("Slots ({})", ui.base()),
        &[
            "Host",
            "Supervisor",
            "Slots",
            "Used",
            "Free",
            "Uptime",
            "Topologies (slots)",
        ],
        &rows,
    );
    Ok(())
}
