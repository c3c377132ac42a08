//! The single integration-test binary of the `sparse` crate (one link on a 2-core machine).

/// `sparse check` against the plugins, through the real `sparse-host --list --json`.
mod check_plugins;
/// The `sparse` binary: `check`, `visualize`, exit codes.
mod cli;
/// The seed's example topologies and other DSL files load to the expected models.
mod dsl;
/// `${...}` in Flux YAML: reported without `--filter`/`--env-filter`, substituted with them.
mod flux_filter;
/// Project resolution: root, `-n`, `-e`, merged options.
mod project;

use std::path::{Path, PathBuf};

use sparse_topology::model::Topology;

/// `topology/tests/fuzz-corpus/NAME` (the readers' seed corpus).
pub fn corpus(name: &str) -> PathBuf {
    repo_root().join("topology/tests/fuzz-corpus").join(name)
}

/// The repository root (the folder holding `config.json` and `topologies/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Loads a file and panics with every diagnostic when it fails.
pub fn load_ok(path: &Path) -> Topology {
    match sparse_topology::load(path) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Loads a `.clj` text held in memory as `test.clj`.
pub fn clj(src: &str) -> Result<Topology, sparse_topology::LoadError> {
    sparse_topology::clj::load_str(src, Path::new("test.clj"))
}
/// `sparse quickstart`: generated projects check, build and run.
mod quickstart;
/// A quickstart project with an added bolt: `sparse jar` in LocalCluster, `sparse run
/// --profile dev`, and `sparse submit` (from the cluster test).
mod quickstart_storm;
/// `sparse run` on topologies with a cycle: bounded when it grows, run through when it drains.
mod run_cycles;
/// `sparse run` end to end with Python multi-lang fixtures.
mod run_e2e;
/// A Python streamparse bolt between Rust components under `sparse run`.
mod run_python;
/// `sparse run` on a real terminal (tmux): the live table and the summary fit its width.
mod run_terminal;
/// `sparse run` end to end through the `sparse` binary on the wordcount topology.
mod run_wordcount;
/// `sparse submit`, `list` and `kill` against a real single-node Storm cluster.
mod storm_cluster;
/// Flux's `factory` as sparse writes it, built by Storm's own Flux (`--dry-run`).
mod storm_factory;
/// sparse's Storm serializer (fast wire) against Storm 2.8.3's JsonSerializer (Java).
mod storm_fastwire;
/// Faults on a two-supervisor cluster (run inside `storm_cluster`'s test).
mod storm_faults;
/// Real Apache Storm (LocalCluster via storm/run-local.sh): jars from `sparse jar`, interop.
mod storm_interop;
/// The runner's Storm-style JSON against Storm 2.8.3's own JSON code (Java).
mod storm_json;
/// `topologies/kafka_wordcount.clj` on LocalCluster with a real Kafka broker.
mod storm_kafka;
/// Shared Storm helpers: the Storm lock, Storm's jars, `sparse jar`, LocalCluster runs,
/// task logs.
mod storm_support;
/// `sparse stats`, `worker_uptime`, `slot_usage`, `tail`, `remove_logs` against recorded
/// Storm UI and logviewer answers.
mod ui_commands;
