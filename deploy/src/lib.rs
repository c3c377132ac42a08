//! Getting a sparse topology onto Apache Storm.
//!
//! - [`jar`]: the topology jar `sparse jar` writes: the topology as Flux YAML, the
//!   `sparse-host` binary with its launcher script, and the plugins its components need;
//! - [`storm`]: Storm's own client (the `storm` command, or `java` with the Storm jars) for
//!   `sparse submit`, `list` and `kill`, the conf a submission sends ([`storm::conf`]) and the
//!   `pre_submit`/`post_submit` hooks ([`storm::hooks`]).
//!
//! Which `sparse-host` and plugin files go into a jar is chosen by
//! [`sparse_project::artifacts`]; this crate only packs and ships them.
//!
//! ```
//! use sparse_deploy::storm::Nimbus;
//! use sparse_deploy::storm::conf::{Parallelism, submit_conf};
//!
//! // Where `sparse submit -e prod` sends the jar: config.json's `nimbus` ("host[:port]").
//! let nimbus = Nimbus::parse("nimbus.example:6628").unwrap();
//! assert_eq!((nimbus.host.as_str(), nimbus.port), ("nimbus.example", 6628));
//!
//! // The conf written into the jar's Flux YAML: `-p 3` sets workers and ackers.
//! let par = Parallelism { par: Some(3), ..Parallelism::default() };
//! let conf = submit_conf(&serde_json::Map::new(), None, par);
//! assert_eq!(conf["topology.workers"], 3);
//! assert_eq!(conf["topology.acker.executors"], 3);
//! ```

pub mod jar;
pub mod local;
pub mod storm;
