//! The `sparse` binary: a thin wrapper over [`sparse::cli::main`].
//!
//! Exit statuses (see `sparse::cli::EXIT_*`):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | the topology is invalid: syntax, structure or Storm-rule errors (all are listed) |
//! | 2 | usage or configuration error: bad flags, no `config.json`, invalid `config.json`, topology file not found or ambiguous, unknown environment |
//! | 3 | I/O error outside the topology, e.g. the output file cannot be written |
//!
//! Codes above 3 are free for later subcommands (e.g. `run` reporting a failed component).

fn main() {
    std::process::exit(sparse::cli::main());
}
