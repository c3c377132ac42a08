//! `sparse check [-n NAME]`: load and validate a topology, print a one-screen description,
//! and exit 1 listing every error when it is invalid.

use crate::cli::{CliError, CliResult, EXIT_TOPOLOGY, TopologyArgs};
use crate::topology::{describe, validate};

/// Flags of `sparse check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n` and `--config`.
    #[command(flatten)]
    pub topology: TopologyArgs,
}

/// Runs `sparse check`.
pub fn exec(args: Args) -> CliResult {
    let opened = super::open(&args.topology)?;
    let t = &opened.topology;
    println!("{}", opened.path.display());
    print!("{}", describe::describe(t));
    for b in validate::local_blockers(t) {
        println!("note: {b}");
    }
    let errors = validate::validate(t);
    if errors.is_empty() {
        println!("ok");
        return Ok(());
    }
    let mut msg = String::new();
    for e in &errors {
        msg.push_str(&format!("error: {e}\n"));
    }
    msg.push_str(&format!(
        "{}: {} error{}",
        opened.path.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    Err(CliError::new(EXIT_TOPOLOGY, msg))
}
