//! Integration tests of `sparse-host`: the real binary, the real wordcount plugin (and a C
//! fixture plugin), driven over stdin/stdout transcripts.

// Helpers shared by the modules below.
mod util;

// The C ABI: layout agreement with include/sparse_plugin.h, C plugins, ABI checks.
mod abi;
// The built-in `sparse::FixedTuples` spout.
mod builtin;
// Bolt traffic: tuples, heartbeats, ticks, task-id queues, errors.
mod bolt;
// The binary fast wire: negotiation, traffic both ways, garbage.
mod fastwire;
// Command line, plugin search and start-up failures.
mod errors;
// `--list --json`: the catalogue of plugins that `sparse check` reads.
mod list;
// Plugin files that cannot be loaded: truncated, empty, not ELF, missing dependencies.
mod load_errors;
// Logging through the real binary: plugin records reach the task file; a million records.
mod log_e2e;
// The logging module's public API.
mod logging;
// Spout commands: sync after each, ids handed back unchanged, replays.
mod spout;
