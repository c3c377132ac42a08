//! The one topology model that every front end loads into and every back end reads.
//!
//! The Clojure DSL reader (`clj`), the Flux YAML reader (`flux`), the validator, the local
//! runner, `visualize` and `jar`/`submit` all share these types. They are plain data: no
//! I/O, no process handles. A [`Topology`] is what a user declared, after the DSL's spec
//! functions were expanded (for example `rust-bolt-spec` becomes the command
//! `["sparse-host" "--component" "crate::Type"]`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// Where a piece of a topology came from, for error messages (`file:line:col`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The file the definition was read from.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// A whole topology: its name, topology-level Storm conf and its components.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// The topology name (`topology.name`), by default the file name without extension.
    pub name: String,
    /// Topology-wide Storm configuration declared in the file (Flux `config:`).
    pub conf: Map<String, Value>,
    /// Spouts and bolts, in declaration order.
    pub components: Vec<Component>,
}

/// Spout or bolt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// A source of tuples.
    Spout,
    /// A consumer (and maybe producer) of tuples.
    Bolt,
}

/// One spout or bolt of the topology.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The component id (unique in the topology, never starting with `__`).
    pub id: String,
    /// Spout or bolt.
    pub kind: ComponentKind,
    /// How the component is executed.
    pub exec: Exec,
    /// Executor count (`:p N` / Flux `parallelism`), at least 1.
    pub parallelism: u32,
    /// Task count (Flux `numTasks`); equal to `parallelism` unless given. Each task is one
    /// subprocess.
    pub num_tasks: u32,
    /// Declared output streams: stream id -> declaration.
    pub outputs: BTreeMap<String, StreamDef>,
    /// Subscriptions (empty for spouts).
    pub inputs: Vec<Input>,
    /// Per-component Storm conf (`:conf {...}` / Flux `addComponentConfig`).
    pub conf: Map<String, Value>,
    /// Where the component was declared, if known.
    pub span: Option<Span>,
}

/// How a component runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Exec {
    /// A multi-lang subprocess started from this argv, without a shell. Rust components are
    /// `["sparse-host", "--component", "crate::Type"]`; streamparse Python components are
    /// `["streamparse_run", "module.Class"]`.
    Shell {
        /// The argv.
        command: Vec<String>,
    },
    /// A JVM class (Flux `className` other than the shell wrappers). Kept in the model so
    /// `jar`/`submit` can pass it to Storm; not runnable by the local runner.
    Java {
        /// Fully qualified class name.
        class_name: String,
        /// Flux constructor arguments, kept verbatim.
        constructor_args: Vec<Value>,
    },
}

/// A declared output stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamDef {
    /// Output field names, in order.
    pub fields: Vec<String>,
    /// Declared as a direct stream (only `emit_direct` may use it).
    pub direct: bool,
}

/// A subscription of a bolt to one stream of another component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Source component id.
    pub source: String,
    /// Source stream id (`"default"` unless given).
    pub stream: String,
    /// How tuples are routed to this bolt's tasks.
    pub grouping: Grouping,
}

/// Storm's stream groupings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// Round-robin over a random permutation of the target tasks.
    Shuffle,
    /// Shuffle among tasks in the same worker (all of them, on one machine).
    LocalOrShuffle,
    /// Same values of these fields go to the same task.
    Fields(Vec<String>),
    /// Everything goes to the lowest task id.
    Global,
    /// Every task gets a copy.
    All,
    /// Random task.
    None,
    /// The emitter picks the task (`emit_direct`).
    Direct,
    /// A Java `CustomStreamGrouping` class (Flux only); not runnable locally.
    Custom(String),
}

impl Topology {
    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }
}
