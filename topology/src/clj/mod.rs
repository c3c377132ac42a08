//! The Clojure DSL front end: [`reader`] turns text into located forms, [`eval`] interprets
//! the small subset of Clojure that topology files use and builds the [`Topology`].
//!
//! What is accepted (everything else is an error at `file:line:col`):
//!
//! - `(ns NAME ...)`: only the name is kept; `(comment ...)` is ignored.
//!
//! ```
//! use std::path::Path;
//! use sparse_topology::{clj, model::Exec};
//! let t = clj::load_str(r#"
//! (jvm-object "cfg" {:class "org.example.Config" :args ["localhost:9092"]})
//! (defn t [options]
//!   [{"in" (jvm-spout-spec {:class "org.example.Spout" :args [(ref "cfg")]} ["value"])}
//!    {"split" (rust-bolt-spec options {"in" :shuffle} "wordcount::SentenceSplitter" ["word"])}])
//! "#, Path::new("t.clj")).unwrap();
//! assert_eq!(t.jvm_objects[0].id, "cfg");
//! let Exec::Java(spout) = &t.components[0].exec else { panic!() };
//! assert_eq!(spout.constructor_args[0], serde_json::json!({"ref": "cfg"}));
//! ```
//! - `(defn NAME [options] ... [SPOUTS BOLTS])` or `... (topology SPOUTS BOLTS))`, optionally
//!   with a docstring. The last `defn` in the file is the topology; the body's last form is its
//!   value (earlier body forms are evaluated and discarded).
//! - In the spout and bolt maps, string ids mapped to one of
//!   - `(python-spout-spec options "mod.Class" OUTPUTS KWARGS...)`,
//!     `(python-bolt-spec options INPUTS "mod.Class" OUTPUTS KWARGS...)` → command
//!     `["streamparse_run" "mod.Class"]`;
//!   - `(rust-spout-spec options "crate::Type" OUTPUTS KWARGS...)`,
//!     `(rust-bolt-spec options INPUTS "crate::Type" OUTPUTS KWARGS...)` → command
//!     `["sparse-host" "--component" "crate::Type"]`;
//!   - `(shell-spout-spec COMMAND OUTPUTS KWARGS...)`,
//!     `(shell-bolt-spec INPUTS COMMAND OUTPUTS KWARGS...)`, where COMMAND is a vector of
//!     strings, or (Storm's other form) two strings `"python" "script.py"`.
//!   - `(jvm-spout-spec JVM OUTPUTS :p N)`, `(jvm-bolt-spec INPUTS JVM OUTPUTS :p N)`: a JVM
//!     spout or bolt that Flux builds from JVM, a definition map
//!     `{:class "pkg.Class" :args [...] :properties {"name" value} :config-methods [["method" arg...]]}`
//!     (Flux's `className`, `constructorArgs`, `properties` and `configMethods`), or with
//!     `:factory "method" :factory-args [...]` instead of `:args` (Flux's `factory` and
//!     `factoryArgs`: the public static method `pkg.Class.method(args...)` builds it). Since sparse
//!     cannot ask the class, OUTPUTS declares its streams, as for the other specs. Values are
//!     data (strings, numbers, booleans, nil, vectors, maps) or references to JVM objects,
//!     `(ref "id")` and `(reflist "a" "b")`.
//! - `(jvm-object "id" JVM)` at the top level: a JVM object that is not a spout or bolt
//!   (Flux's `components:`), e.g. a configuration built once and passed with `(ref "id")`.
//!   Objects are built in file order, so one may refer only to objects above it.
//! - INPUTS: a map (or, as Storm's `for` destructuring allowed, a vector of `[key grouping]`
//!   pairs) whose keys are `"component"` or `["component" "stream"]` and whose values are
//!   `:shuffle`, `:local-or-shuffle`, `:global`, `:all`, `:none`, `:direct`, `nil` (= none) or a
//!   vector of field names (fields grouping). Two keys for one component and stream (`"s"` and
//!   `["s" "default"]`, or a repeated pair) give one input with the last grouping, as Storm
//!   keeps one input per component and stream; the load warns about it.
//! - OUTPUTS: a vector of field names (the `default` stream), `(direct-stream [...])`, or a map
//!   of stream id → fields vector or `(direct-stream [...])`.
//! - KWARGS: `:p N` (parallelism) and `:conf {"storm.key" value ...}` (string keys).
//!
//! Not accepted, with a message saying so: the seed's section 2.4.2 shapes
//! `[{"bolt" "stream" [...]}` (unbalanced and not a map of pairs in real Clojure either; write
//! `{["bolt" "stream"] [...]}`), `shell-*-spec` called with `options` as first argument (Storm's
//! shell specs take none), Storm's `spout-spec`/`bolt-spec` (they wrap objects built by
//! Clojure code; use `jvm-*-spec`), `defbolt`/`defspout`, `fn`, `let` and
//! any other call.

pub mod eval;
pub mod reader;

use std::path::Path;

use super::model::{Span, Topology};
use super::{Diagnostic, LoadError, Loaded};

/// Parses and evaluates a `.clj` topology held in `src`; `path` is used for spans and the
/// topology name (the file stem). Warnings are dropped: see [`load_str_with_warnings`].
pub fn load_str(src: &str, path: &Path) -> Result<Topology, LoadError> {
    load_str_with_warnings(src, path).map(|l| l.topology)
}

/// Like [`load_str`], keeping the warnings (an input declared twice).
pub fn load_str_with_warnings(src: &str, path: &Path) -> Result<Loaded, LoadError> {
    let forms = reader::read_all(src).map_err(|e| {
        LoadError::Invalid(vec![Diagnostic::new(
            Some(Span {
                file: path.to_path_buf(),
                line: e.pos.line,
                col: e.pos.col,
            }),
            None,
            e.message,
        )])
    })?;
    let (topology, warnings) = eval::eval_file(&forms, path).map_err(LoadError::Invalid)?;
    Ok(Loaded { topology, warnings })
}
