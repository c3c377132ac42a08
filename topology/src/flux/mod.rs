//! Flux YAML (Storm 2.x/3.x) in and out (reference section 7.4).
//!
//! **Reading.** `FluxShellSpout` / `FluxShellBolt` vertices become [`Exec::Shell`](crate::model::Exec::Shell): the first
//! constructor argument is the command, the optional second the `default` stream's fields;
//! `configMethods` `setDefaultStream`, `setNamedStream` and `addComponentConfig` fill outputs and
//! per-component conf. Any other `className` becomes [`Exec::Java`](crate::model::Exec::Java) with its constructor
//! arguments (or `factory` and `factoryArgs`), `properties` and `configMethods` kept verbatim
//! (Flux calls them on the object), and `components:` become [`Topology::jvm_objects`](crate::model::Topology::jvm_objects); `ref`/`reflist` arguments and `ref`
//! properties are kept as `{"ref": id}` / `{"reflist": [...]}` values. A JVM class cannot
//! be asked what it emits, so its streams are read from the config entry
//! [`JVM_OUTPUTS_KEY`] (`sparse.jvm.outputs: {component: {stream: [fields]}}`), which Storm
//! ignores. `parallelism` defaults to 1 and `numTasks` to `parallelism`.
//! `streams` become the `to` bolt's inputs, in file order (a second stream with the same `to`,
//! `from` and `streamId` replaces the first, as in Storm, with a warning); every grouping type is read
//! (`ALL CUSTOM DIRECT SHUFFLE LOCAL_OR_SHUFFLE FIELDS GLOBAL NONE`, `streamId`, `args`,
//! `customClass`). The topology name is `name:`, or the file stem when absent.
//!
//! Not supported, and reported as errors with their location: `includes`, `factory` on a
//! shell component, and configMethods of shell components other than the three above
//! (sparse's model could not keep them). `${...}` placeholders are substituted before the
//! text gets here, by [`crate::load_filtered`] (Flux's `--filter`/`--env-filter`, see
//! [`crate::filter`]); text that reaches this reader is taken as written.
//!
//! **Writing.** [`to_yaml`] writes the same shapes back (JVM streams into
//! [`JVM_OUTPUTS_KEY`]); reading its output gives the same [`Topology`](crate::model::Topology) (spans aside). Direct streams cannot be declared by `FluxShellSpout` /
//! `FluxShellBolt` (Storm's wrappers have no such method), so writing one is an error.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// Flux YAML -> Topology.
mod read;
// Topology -> Flux YAML.
mod write;

pub use read::{load_str, load_str_with_warnings};
pub use write::{WriteError, to_yaml, to_yaml_with_shell_classes};

/// `className` of Storm's shell spout wrapper.
pub const SHELL_SPOUT_CLASS: &str = "org.apache.storm.flux.wrappers.spouts.FluxShellSpout";
/// `className` of Storm's shell bolt wrapper.
pub const SHELL_BOLT_CLASS: &str = "org.apache.storm.flux.wrappers.bolts.FluxShellBolt";
/// `className` of sparse's own shell bolt (built like [`SHELL_BOLT_CLASS`]; `sparse jar`
/// names it for `sparse-host` bolts on the fast wire). Read as a shell bolt too.
pub const SPARSE_SHELL_BOLT_CLASS: &str = "org.sparse.storm.SparseShellBolt";
/// `className` of sparse's own shell spout (built like [`SHELL_SPOUT_CLASS`]; `sparse jar`
/// names it for `sparse-host` spouts on the fast wire). Read as a shell spout too.
pub const SPARSE_SHELL_SPOUT_CLASS: &str = "org.sparse.storm.SparseShellSpout";

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, bound(deserialize = "Id: Deserialize<'de>"))]
struct FluxFile<Id> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    components: Vec<ObjectDecl<Id>>,
    #[serde(default)]
    spouts: Vec<Vertex<Id>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    bolts: Vec<Vertex<Id>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    streams: Vec<StreamDecl<Id>>,
}

/// One entry of Flux's `components:` list (a JVM object that is not a spout or bolt).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ObjectDecl<Id> {
    id: Id,
    class_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    constructor_args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    factory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    factory_args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<PropertyDecl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    config_methods: Vec<ConfigMethod>,
}

/// A Flux property: `{name, value}` or `{name, ref}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PropertyDecl {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Vertex<Id> {
    id: Id,
    class_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    constructor_args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    factory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    factory_args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<PropertyDecl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    config_methods: Vec<ConfigMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parallelism: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    num_tasks: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ConfigMethod {
    name: String,
    #[serde(default)]
    args: Vec<Value>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct StreamDecl<Id> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    from: Id,
    to: Id,
    grouping: GroupingDecl,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GroupingDecl {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stream_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custom_class: Option<CustomClass>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomClass {
    class_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    constructor_args: Vec<Value>,
}

/// The config entry holding the streams of JVM components: `{component: {stream: [field...]}}`.
/// Flux passes it to Storm as topology conf, which ignores it; sparse reads it because it
/// cannot ask a JVM class what it declares.
pub const JVM_OUTPUTS_KEY: &str = "sparse.jvm.outputs";
