//! Writing a [`Topology`] as Flux YAML that Storm's Flux runs, and the cases Flux cannot
//! express ([`WriteError`]).

use serde_json::{Map, Value};

use super::{
    ConfigMethod, CustomClass, FluxFile, GroupingDecl, JVM_OUTPUTS_KEY, ObjectDecl, PropertyDecl,
    SHELL_BOLT_CLASS, SHELL_SPOUT_CLASS, StreamDecl, Vertex,
};
use crate::DEFAULT_STREAM;
use crate::model::{ComponentKind, Exec, Grouping, JvmCall, JvmDef, Topology};

fn write_properties(props: &[(String, Value)]) -> Vec<PropertyDecl> {
    props
        .iter()
        .map(|(name, v)| match JvmDef::refs_of(v) {
            Ok(ids) if ids.len() == 1 && v.get("ref").is_some() => PropertyDecl {
                name: name.clone(),
                value: None,
                reference: Some(ids[0].to_string()),
            },
            _ => PropertyDecl {
                name: name.clone(),
                value: Some(v.clone()),
                reference: None,
            },
        })
        .collect()
}

fn write_calls(calls: &[JvmCall]) -> Vec<ConfigMethod> {
    calls
        .iter()
        .map(|m| ConfigMethod {
            name: m.name.clone(),
            args: m.args.clone(),
        })
        .collect()
}

/// Why a topology cannot be written as Flux YAML.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Storm's Flux shell wrappers cannot declare direct streams.
    #[error(
        "component `{component}`: stream `{stream}` is direct, which Flux's FluxShellSpout/FluxShellBolt cannot declare"
    )]
    DirectStream {
        /// The component.
        component: String,
        /// The stream.
        stream: String,
    },
    /// Flux sets no per-component conf on a JVM class.
    #[error(
        "component `{component}`: conf `{key}` cannot be set on a JVM component in Flux (configure the object itself, or use topology conf)"
    )]
    JvmConf {
        /// The component.
        component: String,
        /// The first conf key.
        key: String,
    },
    /// The YAML serializer failed.
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

/// Writes `t` as Flux YAML (reading it back with [`load_str`](super::load_str) gives `t` without spans).
pub fn to_yaml(t: &Topology) -> Result<String, WriteError> {
    to_yaml_with_shell_classes(t, |_, _| None)
}

/// [`to_yaml`], with `shell_class(kind, command)` choosing another `className` for a shell
/// spout or bolt (one built like Flux's `FluxShellSpout`/`FluxShellBolt`, e.g.
/// [`SPARSE_SHELL_SPOUT_CLASS`](super::SPARSE_SHELL_SPOUT_CLASS) and
/// [`SPARSE_SHELL_BOLT_CLASS`](super::SPARSE_SHELL_BOLT_CLASS)); `None` keeps
/// [`SHELL_SPOUT_CLASS`] / [`SHELL_BOLT_CLASS`].
pub fn to_yaml_with_shell_classes<'a>(
    t: &Topology,
    shell_class: impl Fn(ComponentKind, &[String]) -> Option<&'a str>,
) -> Result<String, WriteError> {
    let mut file: FluxFile<String> = FluxFile {
        name: Some(t.name.clone()),
        config: t.conf.clone(),
        components: t
            .jvm_objects
            .iter()
            .map(|o| ObjectDecl {
                id: o.id.clone(),
                class_name: o.def.class_name.clone(),
                constructor_args: o.def.constructor_args.clone(),
                factory: o.def.factory.clone(),
                factory_args: o.def.factory_args.clone(),
                properties: write_properties(&o.def.properties),
                config_methods: write_calls(&o.def.config_methods),
            })
            .collect(),
        spouts: Vec::new(),
        bolts: Vec::new(),
        streams: Vec::new(),
    };
    let mut jvm_outputs = Map::new();
    for c in &t.components {
        let mut constructor_args = Vec::new();
        let (mut factory, mut factory_args) = (None, Vec::new());
        let mut config_methods = Vec::new();
        let mut properties = Vec::new();
        let class_name = match &c.exec {
            Exec::Shell { command } => {
                constructor_args.push(Value::from(command.clone()));
                let stock = match c.kind {
                    ComponentKind::Spout => SHELL_SPOUT_CLASS,
                    ComponentKind::Bolt => SHELL_BOLT_CLASS,
                };
                shell_class(c.kind, command).unwrap_or(stock).to_string()
            }
            Exec::Java(def) => {
                constructor_args.clone_from(&def.constructor_args);
                factory.clone_from(&def.factory);
                factory_args.clone_from(&def.factory_args);
                properties = write_properties(&def.properties);
                config_methods = write_calls(&def.config_methods);
                def.class_name.clone()
            }
        };
        for (sid, def) in &c.outputs {
            if def.direct {
                return Err(WriteError::DirectStream {
                    component: c.id.clone(),
                    stream: sid.clone(),
                });
            }
            if matches!(c.exec, Exec::Java(_)) {
                continue;
            }
            let fields = Value::from(def.fields.clone());
            if sid == DEFAULT_STREAM {
                config_methods.push(ConfigMethod {
                    name: "setDefaultStream".into(),
                    args: vec![fields],
                });
            } else {
                config_methods.push(ConfigMethod {
                    name: "setNamedStream".into(),
                    args: vec![Value::from(sid.clone()), fields],
                });
            }
        }
        if matches!(c.exec, Exec::Java(_))
            && let Some(key) = c.conf.keys().next()
        {
            return Err(WriteError::JvmConf {
                component: c.id.clone(),
                key: key.clone(),
            });
        }
        for (k, v) in &c.conf {
            config_methods.push(ConfigMethod {
                name: "addComponentConfig".into(),
                args: vec![Value::from(k.clone()), v.clone()],
            });
        }
        if matches!(c.exec, Exec::Java(_)) && !c.outputs.is_empty() {
            let streams: Map<String, Value> = c
                .outputs
                .iter()
                .map(|(sid, d)| (sid.clone(), Value::from(d.fields.clone())))
                .collect();
            jvm_outputs.insert(c.id.clone(), Value::Object(streams));
        }
        let vertex = Vertex {
            id: c.id.clone(),
            class_name,
            constructor_args,
            factory,
            factory_args,
            properties,
            config_methods,
            parallelism: Some(i64::from(c.parallelism)),
            num_tasks: (c.num_tasks != c.parallelism).then_some(i64::from(c.num_tasks)),
        };
        match c.kind {
            ComponentKind::Spout => file.spouts.push(vertex),
            ComponentKind::Bolt => file.bolts.push(vertex),
        }
        for i in &c.inputs {
            let (kind, args, custom_class) = match &i.grouping {
                Grouping::Shuffle => ("SHUFFLE", None, None),
                Grouping::LocalOrShuffle => ("LOCAL_OR_SHUFFLE", None, None),
                Grouping::Fields(f) => ("FIELDS", Some(f.clone()), None),
                Grouping::Global => ("GLOBAL", None, None),
                Grouping::All => ("ALL", None, None),
                Grouping::None => ("NONE", None, None),
                Grouping::Direct => ("DIRECT", None, None),
                Grouping::Custom(class) => (
                    "CUSTOM",
                    None,
                    Some(CustomClass {
                        class_name: class.clone(),
                        constructor_args: Vec::new(),
                    }),
                ),
            };
            file.streams.push(StreamDecl {
                name: Some(format!("{} --> {}", i.source, c.id)),
                from: i.source.clone(),
                to: c.id.clone(),
                grouping: GroupingDecl {
                    kind: kind.to_string(),
                    stream_id: (i.stream != DEFAULT_STREAM).then(|| i.stream.clone()),
                    args,
                    custom_class,
                },
            });
        }
    }
    if !jvm_outputs.is_empty() {
        file.config
            .insert(JVM_OUTPUTS_KEY.to_string(), Value::Object(jvm_outputs));
    }
    serde_saphyr::to_string(&file).map_err(|e| WriteError::Yaml(e.to_string()))
}
