//! The `sparse` binary: a thin wrapper over [`sparse::commands::main`].
//!
//! Exit statuses (see `sparse::cli::EXIT_*`):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | the topology is invalid: syntax, structure or Storm-rule errors (all are listed) |
//! | 2 | usage or configuration error: bad flags, no `config.json`, invalid `config.json`, topology file not found or ambiguous, unknown environment |
//! | 3 | I/O error outside the topology, e.g. the output file cannot be written |
//! | 4 | `cargo build` of the project failed (`check`, `run`, `jar`, `submit`) |
//! | 5 | Storm refused or failed a request (`submit`, `list`, `kill`) |
//! | 6 | a `pre_submit`/`post_submit` hook failed |
//! | 7 | a local run failed: a task died or misbehaved, or the topology could make no progress |
//!
//! `sparse --help` prints the same list.

fn main() {
    std::process::exit(sparse::commands::main());
}
