//! `sparse completions SHELL`: print a completion script for bash, zsh, fish, elvish or
//! PowerShell, generated from the same clap definitions the parser uses (so it cannot drift).
//!
//! ```sh
//! sparse completions bash > ~/.local/share/bash-completion/completions/sparse
//! sparse completions zsh > ~/.zfunc/_sparse      # with `fpath+=~/.zfunc` in ~/.zshrc
//! sparse completions fish > ~/.config/fish/completions/sparse.fish
//! ```

use clap::CommandFactory;

use super::Cli;
use crate::cli::{CliError, CliResult, EXIT_IO};

/// Flags of `sparse completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to write the script for.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `sparse completions`: the script on stdout.
pub fn exec(args: Args) -> CliResult {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "sparse", &mut out);
    use std::io::Write;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| CliError::new(EXIT_IO, format!("error: writing the completion script: {e}")))
}
