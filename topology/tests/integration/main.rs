//! The single integration-test binary of `sparse-topology`: the readers, validation and the
//! documentation's examples, through the public API only.

/// The examples in `docs/topologies.md` are valid topologies.
mod docs;
/// Malformed topology files give the expected located errors.
mod errors;
/// Flux YAML: the wordcount equivalence and the write/read round trip.
mod flux;
/// The reader and loaders never panic: seed corpus plus generated and mutated input.
mod fuzz;
/// JVM components and objects: both readers, validation, the round trip.
mod jvm;
/// Storm-rule validation.
mod validate;

use std::path::{Path, PathBuf};

use sparse_topology::model::Topology;

/// `tests/fuzz-corpus/NAME`.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(name)
}

/// The repository root (the folder holding `config.json` and `topologies/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Loads a file and panics with every diagnostic when it fails.
pub fn load_ok(path: &Path) -> Topology {
    match sparse_topology::load(path) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Loads a `.clj` text held in memory as `test.clj`.
pub fn clj(src: &str) -> Result<Topology, sparse_topology::LoadError> {
    sparse_topology::clj::load_str(src, Path::new("test.clj"))
}
