//! Reading Flux YAML into a [`Topology`]: shell vertices become [`Exec::Shell`], other
//! classes [`Exec::Java`], with every problem collected as a located [`Diagnostic`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::{
    FluxFile, GroupingDecl, JVM_OUTPUTS_KEY, PropertyDecl, SHELL_BOLT_CLASS, SHELL_SPOUT_CLASS,
    SPARSE_SHELL_BOLT_CLASS, SPARSE_SHELL_SPOUT_CLASS, Vertex,
};
use crate::model::{
    Component, ComponentKind, Exec, Grouping, Input, JvmCall, JvmDef, JvmObject, Span, StreamDef,
    Topology,
};
use crate::{DEFAULT_STREAM, Diagnostic, LoadError, Loaded, merge_inputs, name_from_path};

struct Reader<'a> {
    file: &'a Path,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn span(&self, s: &Spanned<String>) -> Span {
        Span {
            file: PathBuf::from(self.file),
            line: s.referenced.line().try_into().unwrap_or(u32::MAX),
            col: s.referenced.column().try_into().unwrap_or(u32::MAX),
        }
    }

    /// The start of the file, for problems in values that carry no place of their own.
    fn file_span(&self) -> Span {
        Span {
            file: PathBuf::from(self.file),
            line: 1,
            col: 1,
        }
    }

    fn err(&mut self, at: &Spanned<String>, component: Option<&str>, msg: impl Into<String>) {
        let span = self.span(at);
        self.errors
            .push(Diagnostic::new(Some(span), component, msg));
    }
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// Parses Flux YAML held in `src`; `path` is used for spans and the default name. Warnings
/// are dropped: see [`load_str_with_warnings`].
pub fn load_str(src: &str, path: &Path) -> Result<Topology, LoadError> {
    load_str_with_warnings(src, path).map(|l| l.topology)
}

/// Like [`load_str`], keeping the warnings (a stream declared twice).
pub fn load_str_with_warnings(src: &str, path: &Path) -> Result<Loaded, LoadError> {
    let file: FluxFile<Spanned<String>> = serde_saphyr::from_str(src).map_err(|e| {
        let span = e.location().map(|l| Span {
            file: path.to_path_buf(),
            line: l.line().try_into().unwrap_or(u32::MAX),
            col: l.column().try_into().unwrap_or(u32::MAX),
        });
        let mut opts = serde_saphyr::RenderOptions::default();
        opts.snippets = serde_saphyr::SnippetMode::Off;
        let msg = e.render_with_options(opts);
        LoadError::Invalid(vec![Diagnostic::new(
            span.or(Some(Span {
                file: path.to_path_buf(),
                line: 1,
                col: 1,
            })),
            None,
            msg,
        )])
    })?;
    let mut file = file;
    let mut r = Reader {
        file: path,
        errors: Vec::new(),
    };
    let jvm_outputs = file
        .config
        .remove(JVM_OUTPUTS_KEY)
        .map(|v| read_jvm_outputs(&mut r, &v))
        .unwrap_or_default();
    let mut jvm_objects = Vec::new();
    for o in &file.components {
        let def = JvmDef {
            class_name: o.class_name.clone(),
            constructor_args: o.constructor_args.clone(),
            factory: o.factory.clone(),
            factory_args: o.factory_args.clone(),
            properties: read_properties(&mut r, &o.id, &o.properties),
            config_methods: o
                .config_methods
                .iter()
                .map(|m| JvmCall {
                    name: m.name.clone(),
                    args: m.args.clone(),
                })
                .collect(),
        };
        jvm_objects.push(JvmObject {
            id: o.id.value.clone(),
            def,
            span: Some(r.span(&o.id)),
        });
    }
    let mut components = Vec::new();
    for (list, kind) in [
        (&file.spouts, ComponentKind::Spout),
        (&file.bolts, ComponentKind::Bolt),
    ] {
        for v in list {
            if let Some(c) = read_vertex(&mut r, v, kind) {
                components.push(c);
            }
        }
    }
    // Each bolt's inputs as declared, with the place of the stream's `from`.
    let mut declared: Vec<Vec<(Input, Option<Span>)>> = vec![Vec::new(); components.len()];
    for s in &file.streams {
        let grouping = match read_grouping(&s.grouping) {
            Ok(g) => g,
            Err(msg) => {
                r.err(
                    &s.to,
                    Some(&s.to.value),
                    format!("stream from `{}`: {msg}", s.from.value),
                );
                continue;
            }
        };
        let target = components.iter().position(|c| c.id == s.to.value);
        match target.map(|i| (i, &components[i])) {
            Some((i, c)) if c.kind == ComponentKind::Bolt => declared[i].push((
                Input {
                    source: s.from.value.clone(),
                    stream: s
                        .grouping
                        .stream_id
                        .clone()
                        .unwrap_or_else(|| DEFAULT_STREAM.to_string()),
                    grouping,
                },
                Some(r.span(&s.from)),
            )),
            Some(_) => r.err(
                &s.to,
                Some(&s.to.value),
                "a stream's `to` must be a bolt, not a spout",
            ),
            None => r.err(
                &s.to,
                None,
                format!("stream `to` names unknown bolt `{}`", s.to.value),
            ),
        }
    }
    for (id, streams) in jvm_outputs {
        match components.iter_mut().find(|c| c.id == id) {
            Some(c) if matches!(c.exec, Exec::Java(_)) => c.outputs = streams,
            Some(c) => r.errors.push(Diagnostic::new(
                c.span.clone(),
                Some(&id),
                format!(
                    "config `{JVM_OUTPUTS_KEY}` declares streams for a shell component; declare \
                     them with its constructor argument or setDefaultStream/setNamedStream"
                ),
            )),
            None => r.errors.push(Diagnostic::new(
                Some(r.file_span()),
                None,
                format!("config `{JVM_OUTPUTS_KEY}` names unknown component `{id}`"),
            )),
        }
    }
    if !r.errors.is_empty() {
        return Err(LoadError::Invalid(r.errors));
    }
    // Flux calls one `BoltDeclarer` per bolt for every stream: a repeat replaces the input.
    let mut warnings = Vec::new();
    for (c, inputs) in components.iter_mut().zip(declared) {
        let (merged, repeats) = merge_inputs(&c.id, inputs);
        c.inputs = merged;
        warnings.extend(repeats);
    }
    Ok(Loaded {
        topology: Topology {
            name: file.name.unwrap_or_else(|| name_from_path(path)),
            jvm_objects,
            conf: file.config,
            components,
        },
        warnings,
    })
}

fn read_vertex(
    r: &mut Reader<'_>,
    v: &Vertex<Spanned<String>>,
    kind: ComponentKind,
) -> Option<Component> {
    let id = v.id.value.as_str();
    let n_errors = r.errors.len();
    let count = |r: &mut Reader<'_>, what: &str, n: Option<i64>| -> Option<u32> {
        let n = n?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                r.err(
                    &v.id,
                    Some(id),
                    format!("`{what}` must be a positive integer, found {n}"),
                );
                None
            }
        }
    };
    let parallelism = count(r, "parallelism", v.parallelism).unwrap_or(1);
    let num_tasks = count(r, "numTasks", v.num_tasks).unwrap_or(parallelism);
    let (shell_class, other_class) = match kind {
        ComponentKind::Spout => (SHELL_SPOUT_CLASS, SHELL_BOLT_CLASS),
        ComponentKind::Bolt => (SHELL_BOLT_CLASS, SHELL_SPOUT_CLASS),
    };
    let mut outputs = BTreeMap::new();
    let sparse_class = match kind {
        ComponentKind::Spout => SPARSE_SHELL_SPOUT_CLASS,
        ComponentKind::Bolt => SPARSE_SHELL_BOLT_CLASS,
    };
    let exec = if v.class_name == shell_class || v.class_name == sparse_class {
        let command = match v.constructor_args.first().map(strings) {
            Some(Some(c)) => c,
            _ => {
                r.err(
                    &v.id,
                    Some(id),
                    "the first constructor argument must be the command, a list of strings",
                );
                Vec::new()
            }
        };
        match v.constructor_args.get(1).map(strings) {
            None => {}
            Some(Some(fields)) => {
                outputs.insert(
                    DEFAULT_STREAM.to_string(),
                    StreamDef {
                        fields,
                        direct: false,
                    },
                );
            }
            Some(None) => r.err(
                &v.id,
                Some(id),
                "the second constructor argument must be the output fields, a list of strings",
            ),
        }
        if v.constructor_args.len() > 2 {
            r.err(
                &v.id,
                Some(id),
                "a shell component takes at most 2 constructor arguments",
            );
        }
        Exec::Shell { command }
    } else if v.class_name == other_class {
        r.err(
            &v.id,
            Some(id),
            format!(
                "`{}` cannot be used for a {}",
                v.class_name,
                crate::describe::kind_label(kind)
            ),
        );
        Exec::Shell { command: vec![] }
    } else {
        // A JVM class: Flux calls its configMethods and sets its properties; they are kept
        // verbatim. Its streams come from the `sparse.jvm.outputs` config entry.
        return (r.errors.len() == n_errors).then(|| Component {
            id: id.to_string(),
            kind,
            exec: Exec::Java(JvmDef {
                class_name: v.class_name.clone(),
                constructor_args: v.constructor_args.clone(),
                factory: v.factory.clone(),
                factory_args: v.factory_args.clone(),
                properties: read_properties(r, &v.id, &v.properties),
                config_methods: v
                    .config_methods
                    .iter()
                    .map(|m| JvmCall {
                        name: m.name.clone(),
                        args: m.args.clone(),
                    })
                    .collect(),
            }),
            parallelism,
            num_tasks,
            outputs,
            inputs: Vec::new(),
            conf: Map::new(),
            span: Some(r.span(&v.id)),
        });
    };
    if !v.properties.is_empty() {
        r.err(
            &v.id,
            Some(id),
            "a shell component has no properties (Storm's wrappers take none)",
        );
    }
    if v.factory.is_some() || !v.factory_args.is_empty() {
        r.err(
            &v.id,
            Some(id),
            "a shell component is built by its constructor: `factory`/`factoryArgs` are not \
             supported on Storm's shell wrappers by sparse",
        );
    }
    let mut conf = Map::new();
    for m in &v.config_methods {
        match (m.name.as_str(), m.args.as_slice()) {
            ("setDefaultStream", [fields]) if strings(fields).is_some() => {
                outputs.insert(
                    DEFAULT_STREAM.to_string(),
                    StreamDef {
                        fields: strings(fields).unwrap_or_default(),
                        direct: false,
                    },
                );
            }
            ("setNamedStream", [Value::String(name), fields]) if strings(fields).is_some() => {
                outputs.insert(
                    name.clone(),
                    StreamDef {
                        fields: strings(fields).unwrap_or_default(),
                        direct: false,
                    },
                );
            }
            ("addComponentConfig", [Value::String(key), value]) => {
                conf.insert(key.clone(), value.clone());
            }
            (name @ ("setDefaultStream" | "setNamedStream" | "addComponentConfig"), _) => {
                let expected = match name {
                    "setDefaultStream" => "[[fields...]]",
                    "setNamedStream" => "[\"stream\", [fields...]]",
                    _ => "[\"key\", value]",
                };
                r.err(
                    &v.id,
                    Some(id),
                    format!("configMethod `{name}` expects args {expected}"),
                );
            }
            (other, _) => r.err(
                &v.id,
                Some(id),
                format!(
                    "configMethod `{other}` is not supported by sparse (supported: \
                     setDefaultStream, setNamedStream, addComponentConfig)"
                ),
            ),
        }
    }
    if r.errors.len() > n_errors {
        return None;
    }
    Some(Component {
        id: id.to_string(),
        kind,
        exec,
        parallelism,
        num_tasks,
        outputs,
        inputs: Vec::new(),
        conf,
        span: Some(r.span(&v.id)),
    })
}

fn read_jvm_outputs(r: &mut Reader<'_>, v: &Value) -> Vec<(String, BTreeMap<String, StreamDef>)> {
    let shape = format!(
        "config `{JVM_OUTPUTS_KEY}` must map component ids to maps of stream id to field \
         lists, e.g. {{\"kafka-spout\": {{\"default\": [\"value\"]}}}}"
    );
    let Value::Object(m) = v else {
        r.errors
            .push(Diagnostic::new(Some(r.file_span()), None, shape));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, streams) in m {
        let Value::Object(streams) = streams else {
            r.errors.push(Diagnostic::new(
                Some(r.file_span()),
                Some(id),
                format!("{shape}; found {streams} for `{id}`"),
            ));
            continue;
        };
        let mut defs = BTreeMap::new();
        for (sid, fields) in streams {
            match strings(fields) {
                Some(fields) => {
                    defs.insert(
                        sid.clone(),
                        StreamDef {
                            fields,
                            direct: false,
                        },
                    );
                }
                None => r.errors.push(Diagnostic::new(
                    Some(r.file_span()),
                    Some(id),
                    format!(
                        "config `{JVM_OUTPUTS_KEY}`: stream `{sid}` must be a list of field \
                         names, found {fields}"
                    ),
                )),
            }
        }
        out.push((id.clone(), defs));
    }
    out
}

fn read_properties(
    r: &mut Reader<'_>,
    id: &Spanned<String>,
    props: &[PropertyDecl],
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for p in props {
        match (&p.value, &p.reference) {
            (Some(v), None) => out.push((p.name.clone(), v.clone())),
            (None, Some(target)) => out.push((p.name.clone(), JvmDef::reference(target))),
            _ => r.err(
                id,
                Some(&id.value),
                format!(
                    "property `{}` needs exactly one of `value` and `ref`",
                    p.name
                ),
            ),
        }
    }
    out
}

fn read_grouping(g: &GroupingDecl) -> Result<Grouping, String> {
    let no_args = |grouping: Grouping| -> Result<Grouping, String> {
        if g.args.is_some() || g.custom_class.is_some() {
            Err(format!(
                "grouping {} takes no `args` or `customClass`",
                g.kind
            ))
        } else {
            Ok(grouping)
        }
    };
    match g.kind.as_str() {
        "SHUFFLE" => no_args(Grouping::Shuffle),
        "LOCAL_OR_SHUFFLE" => no_args(Grouping::LocalOrShuffle),
        "GLOBAL" => no_args(Grouping::Global),
        "ALL" => no_args(Grouping::All),
        "NONE" => no_args(Grouping::None),
        "DIRECT" => no_args(Grouping::Direct),
        "FIELDS" => match (&g.args, &g.custom_class) {
            (Some(a), None) => Ok(Grouping::Fields(a.clone())),
            _ => Err("grouping FIELDS needs `args: [field, ...]`".into()),
        },
        "CUSTOM" => match (&g.args, &g.custom_class) {
            (None, Some(c)) if c.constructor_args.is_empty() => {
                Ok(Grouping::Custom(c.class_name.clone()))
            }
            (None, Some(_)) => {
                Err("customClass constructorArgs are not supported by sparse".into())
            }
            _ => Err("grouping CUSTOM needs `customClass: {className: ...}`".into()),
        },
        other => Err(format!(
            "unknown grouping type `{other}` (expected ALL, CUSTOM, DIRECT, SHUFFLE, \
             LOCAL_OR_SHUFFLE, FIELDS, GLOBAL or NONE)"
        )),
    }
}
