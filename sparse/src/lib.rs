//! `sparse`: the project tool for Storm topologies whose components are written in Rust
//! (a rebuild of streamparse 2.2's `sparse` command).
//!
//! This crate is the thin command line over the libraries that do the work (see
//! `ARCHITECTURE.md` at the repository root):
//!
//! - [`sparse_topology`]: the topology model, the Clojure DSL and Flux YAML readers,
//!   validation against Storm's rules, and the text/SVG/DOT renderings;
//! - [`sparse_project`]: `config.json`, choosing the topology and environment, the Cargo
//!   build, the `sparse-host` and plugin files it produced, and what the plugins export;
//! - [`sparse_runner`]: the engine of `sparse run`, which plays Storm's side of multi-lang;
//! - [`sparse_deploy`]: the topology jar and Storm's own client (`submit`, `list`, `kill`).
//!
//! Here live only [`commands`] (the command tree and one file per subcommand), [`cli`]
//! (the flags, error type and exit codes the subcommands share) and [`quickstart`]
//! (generating a new project).

pub mod cli;
pub mod commands;
pub mod quickstart;
