//! Command-line arguments of `sparse-host`.

use std::path::PathBuf;

use clap::Parser;

/// Runs one Rust Storm component from a plugin, speaking Storm's multi-lang protocol on
/// stdin/stdout. Storm (or `sparse run`) starts it once per task, e.g.
/// `sparse-host --component wordcount::SentenceSplitter`.
#[derive(Debug, Parser)]
#[command(name = "sparse-host", version, after_help = EXIT_CODES)]
pub struct Args {
    /// The component to run, as `CRATE::TYPE` (loads `lib<CRATE>.so`); `sparse::FixedTuples`
    /// is built in (a spout of the rows in its conf's `sparse.fixed.tuples`, for tests).
    #[arg(
        short,
        long,
        value_name = "CRATE::TYPE",
        required_unless_present = "list"
    )]
    pub component: Option<String>,

    /// A directory to search for plugins first (repeatable).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,

    /// List every component in the plugins found, with kind and outputs, and exit.
    #[arg(long, conflicts_with = "component")]
    pub list: bool,

    /// With `--list`: print one JSON document instead (the directories searched, every
    /// plugin with its components, and the libraries skipped with why), for tools such as
    /// `sparse check`.
    #[arg(long, requires = "list")]
    pub json: bool,
}

/// The exit codes, shown by `--help`.
pub const EXIT_CODES: &str = "\
Plugins are searched in: each --plugin-dir, $SPARSE_PLUGIN_PATH, <dir of sparse-host>/plugins,
<dir of sparse-host>, ./plugins.

Wire: JSON, or the binary fast wire when Storm's serializer offers it in the handshake
(sparse's org.sparse.storm.SparseSerializer, or `sparse run`). SPARSE_WIRE=json declines it.

Exit codes:
  0  end of input (Storm closed stdin)      5  plugin unusable (load error, ABI mismatch)
  1  the component failed (Err or panic)    6  spout/bolt mismatch with Storm's traffic
  2  bad command line                       7  malformed protocol input
  3  plugin library not found               8  I/O error on stdin/stdout or the pid file
  4  component not in the plugin            9  invalid configuration (log settings)";
