//! The `sparse-host` binary: a thin edge over the `sparse_host` library.

use clap::Parser;

fn main() {
    let args = sparse_host::cli::Args::parse();
    std::process::exit(sparse_host::run::main_with(args));
}
