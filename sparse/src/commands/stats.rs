//! `sparse stats`: figures of the running topologies from Storm's UI REST API
//! ([`sparse_deploy::storm::ui`]), as streamparse's `stats` shows them.
//!
//! - no `-n`: the cluster (supervisors, slots, executors) and one line per topology;
//! - `-n NAME`: the topology's figures per time window (emitted, transferred, complete
//!   latency, acked, failed), its spouts and bolts (executors, tasks, emitted, transferred,
//!   acked, failed, complete/execute/process latency, capacity, last error) and workers;
//! - `-n NAME -c COMPONENT`: one component per window, per executor, and its errors.
//!
//! `--json` prints the UI's own JSON for the same request instead (Storm's field names).
//! The UI is the environment's Nimbus host at `ui.port` (8080 by default).

use serde_json::{Value, json};

use crate::cli::CliResult;
use sparse_deploy::storm::ui::{self, Ui};

/// Flags of `sparse stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path of config.json (default: found from the current folder upwards).
    #[arg(long = "config", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Environment from config.json `envs` (optional when there is exactly one).
    #[arg(short = 'e', long = "environment", value_name = "ENV")]
    pub environment: Option<String>,
    /// The running topology to show (default: every topology, one line each).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// One component of the topology -n names.
    #[arg(short = 'c', long = "component", value_name = "COMPONENT", requires = "name")]
    pub component: Option<String>,
    /// Print the Storm UI's JSON instead of tables.
    #[arg(long = "json")]
    pub json: bool,
}

/// The Storm UI of the chosen environment: the host of its Nimbus and its `ui.port`
/// (default 8080). Shared by `stats`, `worker_uptime`, `slot_usage` and `tail`.
pub fn connect_ui(
    config: Option<&std::path::Path>,
    environment: Option<&str>,
) -> Result<Ui, crate::cli::CliError> {
    let project = sparse_project::Project::open(config, &super::cwd()?)?;
    for w in &project.warnings {
        log::warn!("{w}");
    }
    let env = project.env(environment)?;
    let nimbus = sparse_deploy::storm::nimbus_for(env.as_ref())?;
    let port = env
        .as_ref()
        .and_then(|(_, e)| e.ui_port)
        .unwrap_or(ui::DEFAULT_UI_PORT);
    Ok(Ui::new(&nimbus.host, port))
}

/// A JSON value as a table cell: strings as they are, integers as they are, other numbers
/// with 3 decimals (as the UI prints latencies), `null` and missing as empty.
pub fn cell(v: &Value, key: &str) -> String {
    match v.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        // Latencies come as "2.853" in some lists and as 2.853142024092688 in others.
        Some(Value::Number(n)) if n.is_f64() => format!("{:.3}", n.as_f64().unwrap_or(0.0)),
        Some(other) => other.to_string(),
    }
}

/// Prints a table: a title line, a header and rows, columns padded; a column whose every
/// cell is a number (or empty) is right-aligned.
pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("{title}");
    if rows.is_empty() {
        println!("  (none)");
        return;
    }
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    let mut numeric = vec![true; n];
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
            if !c.is_empty() && c.parse::<f64>().is_err() {
                numeric[i] = false;
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            s.push(' ');
            if numeric[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < n {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Prints the table `title` of the rows in `v[key]`: each column a header and the key of
/// its cell in every row.
fn print_section(title: &str, v: &Value, key: &str, columns: &[(&str, &str)]) {
    let header: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let cols: Vec<&str> = columns.iter().map(|(_, c)| *c).collect();
    print_table(title, &header, &rows_of(v, key, &cols));
}

fn rows_of(v: &Value, key: &str, cols: &[&str]) -> Vec<Vec<String>> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| cols.iter().map(|c| cell(r, c)).collect())
        .collect()
}

fn print_json(v: &Value) -> CliResult {
    let text = serde_json::to_string_pretty(v).map_err(|e| {
        crate::cli::CliError::new(crate::cli::EXIT_IO, format!("error: cannot print JSON: {e}"))
    })?;
    println!("{text}");
    Ok(())
}

/// Runs `sparse stats`.
pub fn exec(args: Args) -> CliResult {
    let ui = connect_ui(args.config.as_deref(), args.environment.as_deref())?;
    match (&args.name, &args.component) {
        (None, _) => all_topologies(&ui, args.json),
        (Some(name), None) => {
            let row = ui.find_topology(name)?;
            let t = ui.topology(&row.id)?;
            if args.json {
                return print_json(&t);
            }
            print_topology(&t);
            Ok(())
        }
        (Some(name), Some(comp)) => {
            let row = ui.find_topology(name)?;
            let c = ui.component(&row.id, comp)?;
            if args.json {
                return print_json(&c);
            }
            print_component(&c);
            Ok(())
        }
    }
}

fn all_topologies(ui: &Ui, json: bool) -> CliResult {
    let cluster = ui.cluster_summary()?;
    let topologies = ui.topology_summary_json()?;
    if json {
        return print_json(&json!({"cluster": cluster, "topologies": topologies["topologies"]}));
    }
    let cols = [
        "supervisors",
        "slotsTotal",
        "slotsUsed",
        "slotsFree",
        "executorsTotal",
        "tasksTotal",
        "stormVersion",
    ];
    print_table(
        &format!("Cluster ({})", ui.base()),
        &[
            "Supervisors",
            "Slots",
            "Used",
            "Free",
            "Executors",
            "Tasks",
            "Storm",
        ],
        &[cols.iter().map(|c| cell(&cluster, c)).collect()],
    );
    println!();
    print_section("Topologies", &topologies, "topologies", &[("Name", "name"), ("Status", "status"), ("Uptime", "uptime"), ("Workers", "workersTotal"), ("Executors", "executorsTotal"), ("Tasks", "tasksTotal"), ("Id", "id")]);
    Ok(())
}

fn print_topology(t: &Value) {
    println!(
        "Topology {} ({}), {}, up {}, {} workers, {} executors, {} tasks",
        cell(t, "name"),
        cell(t, "id"),
        cell(t, "status"),
        cell(t, "uptime"),
        t.get("workers")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        cell(t, "executorsTotal"),
        cell(t, "tasksTotal"),
    );
    println!();
    print_section(
        "Topology stats", t, "topologyStats",
        &[
            ("Window", "windowPretty"),
            ("Emitted", "emitted"),
            ("Transferred", "transferred"),
            ("Complete latency (ms)", "completeLatency"),
            ("Acked", "acked"),
            ("Failed", "failed"),
        ],
    );
    println!();
    print_table(
        "Spouts (all time)",
        &[
            "Id",
            "Executors",
            "Tasks",
            "Emitted",
            "Transferred",
            "Complete latency (ms)",
            "Acked",
            "Failed",
            "Last error",
        ],
        &rows_of(
            t,
            "spouts",
            &[
                "spoutId",
                "executors",
                "tasks",
                "emitted",
                "transferred",
                "completeLatency",
                "acked",
                "failed",
                "lastError",
            ],
        )
        .into_iter()
        .map(first_line_of_last)
        .collect::<Vec<_>>(),
    );
    println!();
    print_table(
        "Bolts (all time)",
        &[
            "Id",
            "Executors",
            "Tasks",
            "Emitted",
            "Transferred",
            "Capacity",
            "Execute latency (ms)",
            "Executed",
            "Process latency (ms)",
            "Acked",
            "Failed",
            "Last error",
        ],
        &rows_of(
            t,
            "bolts",
            &[
                "boltId",
                "executors",
                "tasks",
                "emitted",
                "transferred",
                "capacity",
                "executeLatency",
                "executed",
                "processLatency",
                "acked",
                "failed",
                "lastError",
            ],
        )
        .into_iter()
        .map(first_line_of_last)
        .collect::<Vec<_>>(),
    );
    println!();
    print_section(
        "Workers", t, "workers",
        &[
            ("Host", "host"),
            ("Port", "port"),
            ("Uptime", "uptime"),
            ("Executors", "executorsTotal"),
        ],
    );
}

/// An error cell shows its first line only (Storm's last error is a whole stack trace).
fn first_line_of_last(mut row: Vec<String>) -> Vec<String> {
    if let Some(last) = row.last_mut() {
        *last = last.lines().next().unwrap_or("").to_string();
    }
    row
}

fn print_component(c: &Value) {
    let kind = cell(c, "componentType");
    println!(
        "Component {} ({kind}) of topology {} ({}), {} executors, {} tasks",
        cell(c, "id"),
        cell(c, "name"),
        cell(c, "topologyId"),
        cell(c, "executors"),
        cell(c, "tasks"),
    );
    println!();
    if kind == "spout" {
        print_section(
            "Spout stats", c, "spoutSummary",
            &[
                ("Window", "windowPretty"),
                ("Emitted", "emitted"),
                ("Transferred", "transferred"),
                ("Complete latency (ms)", "completeLatency"),
                ("Acked", "acked"),
                ("Failed", "failed"),
            ],
        );
        println!();
        print_section(
            "Executors (all time)", c, "executorStats",
            &[
                ("Id", "id"),
                ("Host", "host"),
                ("Port", "port"),
                ("Uptime", "uptime"),
                ("Emitted", "emitted"),
                ("Transferred", "transferred"),
                ("Complete latency (ms)", "completeLatency"),
                ("Acked", "acked"),
                ("Failed", "failed"),
            ],
        );
    } else {
        print_section(
            "Bolt stats", c, "boltStats",
            &[
                ("Window", "windowPretty"),
                ("Emitted", "emitted"),
                ("Transferred", "transferred"),
                ("Execute latency (ms)", "executeLatency"),
                ("Executed", "executed"),
                ("Process latency (ms)", "processLatency"),
                ("Acked", "acked"),
                ("Failed", "failed"),
            ],
        );
        println!();
        print_section(
            "Executors (all time)", c, "executorStats",
            &[
                ("Id", "id"),
                ("Host", "host"),
                ("Port", "port"),
                ("Uptime", "uptime"),
                ("Emitted", "emitted"),
                ("Transferred", "transferred"),
                ("Capacity", "capacity"),
                ("Execute latency (ms)", "executeLatency"),
                ("Executed", "executed"),
                ("Process latency (ms)", "processLatency"),
                ("Acked", "acked"),
                ("Failed", "failed"),
            ],
        );
    }
    println!();
    print_table(
        "Errors",
        &["Time", "Host", "Port", "Error"],
        &rows_of(
            c,
            "componentErrors",
            &["errorTime", "errorHost", "errorPort", "error"],
        )
        .into_iter()
        .map(first_line_of_last)
        .collect::<Vec<_>>(),
    );
}
