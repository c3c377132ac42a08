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

/// A whole topology: its name, topology-level Storm conf, the JVM objects its JVM
/// components are built from, and its components.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Topology {
    /// The topology name (`topology.name`), by default the file name without extension.
    pub name: String,
    /// Topology-wide Storm configuration declared in the file (Flux `config:`).
    pub conf: Map<String, Value>,
    /// JVM objects that are not spouts or bolts (Flux `components:`), in declaration order:
    /// configuration objects that JVM spouts and bolts take as arguments through
    /// [`JvmDef::reference`] values.
    pub jvm_objects: Vec<JvmObject>,
    /// Spouts and bolts, in declaration order.
    pub components: Vec<Component>,
}

/// A named JVM object (one entry of Flux's `components:` list).
#[derive(Debug, Clone, PartialEq)]
pub struct JvmObject {
    /// The id other definitions refer to it by.
    pub id: String,
    /// How to build it.
    pub def: JvmDef,
    /// Where it was declared, if known.
    pub span: Option<Span>,
}

/// How Flux builds a JVM object: `new CLASS(constructor_args...)`, or, with a
/// [`factory`](JvmDef::factory) and no constructor arguments, the static method
/// `CLASS.factory(factory_args...)`; then each property set (a public field or `setName`
/// method), then each config method called in order. (Flux 2.8 uses the constructor when
/// both are given and ignores the factory; `sparse check` reports that.)
///
/// Argument and property values are JSON values kept verbatim, as Flux reads them (it
/// converts a string to an enum constant when the Java parameter is an enum). A reference to
/// another object is the map `{"ref": "id"}`, a list of references `{"reflist": ["a", "b"]}`
/// (see [`JvmDef::reference`]); Flux resolves them only at the top level of an argument list
/// and as a property's value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JvmDef {
    /// Fully qualified class name (nested classes with `$`).
    pub class_name: String,
    /// Constructor arguments.
    pub constructor_args: Vec<Value>,
    /// A public static method of the class that returns the object (Flux's `factory`).
    pub factory: Option<String>,
    /// The factory method's arguments (Flux's `factoryArgs`; references allowed).
    pub factory_args: Vec<Value>,
    /// Properties set after construction: name and value, in order.
    pub properties: Vec<(String, Value)>,
    /// Methods called after the properties are set.
    pub config_methods: Vec<JvmCall>,
}

/// One Flux `configMethods` entry: a method name and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct JvmCall {
    /// The method name.
    pub name: String,
    /// Its arguments (references allowed, as in [`JvmDef::constructor_args`]).
    pub args: Vec<Value>,
}

impl JvmDef {
    /// A definition with only a class name.
    pub fn new(class_name: impl Into<String>) -> JvmDef {
        JvmDef {
            class_name: class_name.into(),
            ..JvmDef::default()
        }
    }

    /// The value that refers to the JVM object `id`: `{"ref": id}`.
    pub fn reference(id: &str) -> Value {
        serde_json::json!({ "ref": id })
    }

    /// The ids an argument or property value refers to: one for `{"ref": id}`, each of a
    /// `{"reflist": [...]}`, none for any other value. `Err` holds what is malformed.
    pub fn refs_of(v: &Value) -> Result<Vec<&str>, String> {
        let Value::Object(m) = v else {
            return Ok(Vec::new());
        };
        match (m.get("ref"), m.get("reflist")) {
            (Some(r), None) if m.len() == 1 => r
                .as_str()
                .map(|s| vec![s])
                .ok_or_else(|| format!("`ref` must name an object id, found {r}")),
            (None, Some(Value::Array(l))) if m.len() == 1 => l
                .iter()
                .map(|r| {
                    r.as_str()
                        .ok_or_else(|| format!("`reflist` must list object ids, found {r}"))
                })
                .collect(),
            (None, Some(l)) if m.len() == 1 => {
                Err(format!("`reflist` must be a list of object ids, found {l}"))
            }
            (None, None) => Ok(Vec::new()),
            _ => Err("a reference is a map with the single key `ref` or `reflist`".into()),
        }
    }

    /// What Flux would not do as written: `factory` with constructor arguments (Flux calls
    /// the constructor and ignores the factory), `factoryArgs` without a `factory` (ignored),
    /// an empty factory name.
    pub fn factory_problem(&self) -> Option<String> {
        match &self.factory {
            Some(f) if f.trim().is_empty() => Some("the factory method name is empty".into()),
            Some(f) if !self.constructor_args.is_empty() => Some(format!(
                "both constructor arguments and factory `{f}`: Flux would call the constructor \
                 and ignore the factory (give the factory's arguments as factory arguments)"
            )),
            None if !self.factory_args.is_empty() => {
                Some("factory arguments without a factory method: Flux would ignore them".into())
            }
            _ => None,
        }
    }

    /// Every id this definition refers to, with where (`constructor argument 1`, ...).
    pub fn references(&self) -> Vec<(String, Result<Vec<&str>, String>)> {
        let mut out = Vec::new();
        for (i, a) in self.constructor_args.iter().enumerate() {
            out.push((format!("constructor argument {}", i + 1), Self::refs_of(a)));
        }
        for (i, a) in self.factory_args.iter().enumerate() {
            out.push((format!("factory argument {}", i + 1), Self::refs_of(a)));
        }
        for (name, v) in &self.properties {
            out.push((format!("property `{name}`"), Self::refs_of(v)));
        }
        for m in &self.config_methods {
            for (i, a) in m.args.iter().enumerate() {
                out.push((
                    format!("argument {} of config method `{}`", i + 1, m.name),
                    Self::refs_of(a),
                ));
            }
        }
        out
    }
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
    /// A JVM spout or bolt (Flux `className` other than the shell wrappers), built by Flux
    /// from this definition. Its output streams cannot be asked from the class, so they are
    /// declared in the topology ([`Component::outputs`]). `jar` and `submit` pass it to Storm;
    /// the JVM-free local runner cannot run it.
    Java(JvmDef),
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
