//! `sparse`: the project tool for Storm topologies whose components are written in Rust
//! (a rebuild of streamparse 2.2's `sparse` command).
//!
//! The library holds the real work so it can be tested without a command line:
//!
//! - [`topology`]: the shared topology model, the Clojure DSL and Flux YAML front ends,
//!   validation against Storm's rules, and the text/SVG/DOT renderings;
//! - [`plugins`]: what the component plugins export (`sparse-host --list --json`) and
//!   `sparse check`'s comparison of a topology against it;
//! - [`config`]: the `config.json` file;
//! - [`project`]: finding the project root, the topology file, the environment and the merged
//!   options (what `run` and `submit` start from);
//! - [`runner`]: `sparse run`, the local runner that plays Storm's side of multi-lang;
//! - [`quickstart`]: generating a new project;
//! - [`jar`]: `sparse jar`, the topology jar for Storm; [`release`]: the project's build
//!   (per Cargo profile) that `run`, `jar` and `submit` start from; [`artifacts`]: which
//!   `sparse-host` and plugin files they use, checked against each other;
//! - [`storm`]: `sparse submit`, `list` and `kill`, through Storm's own client (`storm` or
//!   `java` with the Storm jars), and the `pre_submit`/`post_submit` hooks;
//! - [`cli`] and [`commands`]: the thin command-line layer (one file per subcommand);
//!   [`diag`]: its diagnostics on stderr (`-v`/`-q`, colour on a terminal).

pub mod artifacts;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod jar;
pub mod plugins;
pub mod project;
pub mod quickstart;
pub mod release;
pub mod runner;
pub mod storm;
pub mod topology;
