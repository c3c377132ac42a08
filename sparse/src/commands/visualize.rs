//! `sparse visualize [-n NAME] [-o FILE] [--format svg|dot]`: draw a topology. Writes
//! `NAME.svg` / `NAME.dot` in the current folder unless `-o` says otherwise (`-o -` is stdout).
//! The topology is drawn even when it has validation errors (they are listed as warnings).

use std::path::PathBuf;

use crate::cli::{CliError, CliResult, EXIT_IO, TopologyArgs};
use sparse_topology::{validate, visualize};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// SVG picture (drawn by sparse; no graphviz needed).
    Svg,
    /// Graphviz DOT text.
    Dot,
}

/// Flags of `sparse visualize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n` and `--config`.
    #[command(flatten)]
    pub topology: TopologyArgs,
    /// Output file (`-` for stdout; default `NAME.svg` or `NAME.dot`).
    #[arg(short = 'O', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = OutputFormat::Svg)]
    pub format: OutputFormat,
}

/// Runs `sparse visualize`.
pub fn exec(args: Args) -> CliResult {
    let opened = super::open(&args.topology)?;
    for e in validate::validate(&opened.topology) {
        eprintln!("warning: {e}");
    }
    let (text, ext) = match args.format {
        OutputFormat::Svg => (visualize::to_svg(&opened.topology), "svg"),
        OutputFormat::Dot => (visualize::to_dot(&opened.topology), "dot"),
    };
    let out = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{}.{ext}", opened.topology.name)));
    if out.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    std::fs::write(&out, text).map_err(|e| {
        CliError::new(
            EXIT_IO,
            format!("error: cannot write {}: {e}", out.display()),
        )
    })?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
