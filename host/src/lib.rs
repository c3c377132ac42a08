//! `sparse-host`: runs a Rust Storm component from a plugin, speaking Storm's multi-lang
//! protocol.
//!
//! Storm starts `sparse-host --component CRATE::TYPE` once per task, as it would start a
//! Python script. The host finds `lib<CRATE>.so` ([`plugin`]), moves stdout out of the
//! component's reach ([`stdio`]), answers Storm's handshake, sets up the task's log file
//! ([`logging`]), creates the component and runs the bolt or spout loop ([`session`])
//! until Storm closes stdin.
//!
//! Exit codes (see [`error::exit`]): 0 end of input; 1 the component failed; 2 bad
//! command line; 3 plugin not found; 4 component not found; 5 plugin unusable (not a
//! whole ELF file, refused by the loader, no entry symbol, ABI mismatch);
//! 6 spout/bolt mismatch; 7 malformed protocol input; 8 I/O error; 9 invalid
//! configuration.

// Storm closes stderr at shutdown and owns stdout: print only through `warn_stderr!`.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod builtin;
pub mod cli;
pub mod error;
pub mod logging;
pub mod plugin;
pub mod run;
pub mod session;
mod signals;
pub mod stdio;
