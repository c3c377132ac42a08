//! Storm's submit-time rules (reference section 8.1), applied to a loaded [`Topology`].
//!
//! [`validate`] collects every problem rather than stopping at the first. The rules:
//!
//! - component ids are non-empty, unique, and do not start with `__` (reserved for Storm's
//!   system components); stream ids do not start with `__` either;
//! - `parallelism` is at least 1. `num_tasks` 0 is accepted by Storm (its own `__eventlogger`
//!   uses it) but gives a component that never runs, so sparse rejects it for user components;
//! - a bolt has at least one input (Flux silently drops a bolt that is no stream's `to`);
//!   a spout has none;
//! - a bolt has at most one input per (component, stream): Storm keeps inputs in a map keyed
//!   by them. The readers already merge repeats (the last grouping wins, with a warning), so
//!   this only catches a model built in code, which the runner would otherwise feed every
//!   tuple once per input;
//! - every input names an existing component and one of its declared streams;
//! - a fields grouping only uses fields of the stream it subscribes to. Storm's submit-time
//!   check takes the union of the source's fields over all its streams, but its fields
//!   grouper then selects the fields from the subscribed stream's tuples, so a field of
//!   another stream passes submission and kills the worker at the first tuple; sparse
//!   reports it up front, and the message lists the subscribed stream's fields;
//! - a `:direct` grouping subscribes to a stream declared direct;
//! - stream fields are not duplicated (Storm's `Fields` rejects that) and shell commands are
//!   not empty.
//!
//! - JVM components ([`Exec::Java`]) declare their streams in the topology (sparse cannot ask
//!   the class), and subscriptions to them are checked like any other; every `ref`/`reflist`
//!   in a JVM definition names a JVM object (an object: one declared before it), object ids
//!   are unique, class names are not empty, and a `factory` comes without constructor
//!   arguments (Flux would ignore it) and `factoryArgs` only with a `factory`.
//!
//! [`local_blockers`] lists what the local runner cannot run (JVM components, custom
//! groupings); those are not errors for Storm.

use std::collections::HashSet;

use super::Diagnostic;
use super::describe::grouping_label;
use super::model::{Component, ComponentKind, Exec, Grouping, JvmDef, Topology};

fn diag(c: &Component, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(c.span.clone(), Some(&c.id), msg)
}

/// Added to "declares no stream" for a JVM source: sparse cannot ask the class.
const JVM_STREAMS_HINT: &str = "; sparse cannot ask a JVM class what it declares, so declare \
     its streams in the topology: the OUTPUTS of `jvm-spout-spec`/`jvm-bolt-spec`, or the \
     Flux config entry `sparse.jvm.outputs`";

/// Checks the JVM objects and the references of JVM definitions: object ids are unique and
/// non-empty, class names are given, and every `ref`/`reflist` names an object (an object
/// only one declared before it, as Flux builds them in order).
fn validate_jvm(t: &Topology, errs: &mut Vec<Diagnostic>) {
    let mut known: Vec<&str> = Vec::new();
    let all: Vec<&str> = t.jvm_objects.iter().map(|o| o.id.as_str()).collect();
    let check = |what: &str,
                 span: &Option<super::model::Span>,
                 component: Option<&str>,
                 def: &JvmDef,
                 known: &[&str],
                 errs: &mut Vec<Diagnostic>| {
        if def.class_name.trim().is_empty() {
            errs.push(Diagnostic::new(
                span.clone(),
                component,
                format!("{what}: the class name is empty"),
            ));
        }
        if let Some(p) = def.factory_problem() {
            errs.push(Diagnostic::new(
                span.clone(),
                component,
                format!("{what}: {p}"),
            ));
        }
        for (place, refs) in def.references() {
            match refs {
                Err(msg) => errs.push(Diagnostic::new(
                    span.clone(),
                    component,
                    format!("{what}, {place}: {msg}"),
                )),
                Ok(ids) => {
                    for id in ids {
                        if known.contains(&id) {
                            continue;
                        }
                        let why = if all.contains(&id) {
                            "which is declared later (Flux builds objects in order)".to_string()
                        } else if all.is_empty() {
                            "but no JVM object is declared".to_string()
                        } else {
                            format!("unknown (declared: {})", all.join(", "))
                        };
                        errs.push(Diagnostic::new(
                            span.clone(),
                            component,
                            format!("{what}, {place}: reference to JVM object `{id}`, {why}"),
                        ));
                    }
                }
            }
        }
    };
    for o in &t.jvm_objects {
        let what = format!("JVM object `{}`", o.id);
        if o.id.is_empty() {
            errs.push(Diagnostic::new(
                o.span.clone(),
                None,
                "JVM object id is empty",
            ));
        }
        if known.contains(&o.id.as_str()) {
            errs.push(Diagnostic::new(
                o.span.clone(),
                None,
                format!("{what} is declared twice"),
            ));
        }
        check(&what, &o.span, None, &o.def, &known, errs);
        known.push(o.id.as_str());
    }
    for c in &t.components {
        if let Exec::Java(def) = &c.exec {
            check("JVM component", &c.span, Some(&c.id), def, &all, errs);
        }
    }
}

/// Checks `t` against Storm's rules; an empty result means the topology is valid.
pub fn validate(t: &Topology) -> Vec<Diagnostic> {
    let mut errs = Vec::new();
    validate_jvm(t, &mut errs);
    let mut seen: HashSet<&str> = HashSet::new();
    for c in &t.components {
        if c.id.is_empty() {
            errs.push(diag(c, "component id is empty"));
        }
        if c.id.starts_with("__") {
            errs.push(diag(
                c,
                "ids starting with `__` are reserved for Storm's system components",
            ));
        }
        if !seen.insert(c.id.as_str()) {
            errs.push(diag(c, "duplicate component id"));
        }
        if c.parallelism < 1 {
            errs.push(diag(c, "parallelism must be at least 1"));
        }
        if c.num_tasks < 1 {
            errs.push(diag(
                c,
                "num_tasks is 0: Storm accepts this, but the component would never run",
            ));
        }
        if let Exec::Shell { command } = &c.exec
            && command.first().is_none_or(String::is_empty)
        {
            errs.push(diag(c, "the command is empty"));
        }
        for (sid, def) in &c.outputs {
            if sid.starts_with("__") {
                errs.push(diag(
                    c,
                    format!("stream id `{sid}`: ids starting with `__` are reserved for Storm"),
                ));
            }
            let mut fs = HashSet::new();
            for f in &def.fields {
                if !fs.insert(f) {
                    errs.push(diag(
                        c,
                        format!("stream `{sid}` declares field `{f}` twice"),
                    ));
                }
            }
        }
        match c.kind {
            ComponentKind::Spout if !c.inputs.is_empty() => {
                errs.push(diag(c, "a spout cannot have inputs"));
            }
            ComponentKind::Bolt if c.inputs.is_empty() => errs.push(diag(
                c,
                "bolt has no inputs: it would never receive a tuple (and Flux drops a bolt \
                 that is in no stream's `to`)",
            )),
            _ => {}
        }
        let mut subscribed: Vec<(&str, &str)> = Vec::new();
        for input in &c.inputs {
            let key = (input.source.as_str(), input.stream.as_str());
            if subscribed.contains(&key) {
                continue;
            }
            subscribed.push(key);
            let same: Vec<String> = c
                .inputs
                .iter()
                .filter(|i| i.source == input.source && i.stream == input.stream)
                .map(|i| grouping_label(&i.grouping))
                .collect();
            if same.len() > 1 {
                errs.push(diag(
                    c,
                    format!(
                        "input from `{}` stream `{}`: subscribed {} times ({}); Storm keeps \
                         one input per component and stream",
                        input.source,
                        input.stream,
                        same.len(),
                        same.join(", ")
                    ),
                ));
            }
        }
        for input in &c.inputs {
            let from = format!("input from `{}` stream `{}`", input.source, input.stream);
            let Some(src) = t.component(&input.source) else {
                errs.push(diag(
                    c,
                    format!("{from}: unknown component `{}`", input.source),
                ));
                continue;
            };
            let Some(stream) = src.outputs.get(&input.stream) else {
                let declared: Vec<&str> = src.outputs.keys().map(String::as_str).collect();
                errs.push(diag(
                    c,
                    format!(
                        "{from}: `{}` declares no stream `{}` (declared: {}){}",
                        input.source,
                        input.stream,
                        if declared.is_empty() {
                            "none".to_string()
                        } else {
                            declared.join(", ")
                        },
                        if matches!(src.exec, Exec::Java(_)) {
                            JVM_STREAMS_HINT
                        } else {
                            ""
                        }
                    ),
                ));
                continue;
            };
            match &input.grouping {
                Grouping::Fields(fields) => {
                    if fields.is_empty() {
                        errs.push(diag(c, format!("{from}: fields grouping names no field")));
                    }
                    for f in fields {
                        if stream.fields.contains(f) {
                            continue;
                        }
                        let elsewhere: Vec<&str> = src
                            .outputs
                            .iter()
                            .filter(|(_, s)| s.fields.contains(f))
                            .map(|(id, _)| id.as_str())
                            .collect();
                        errs.push(diag(
                            c,
                            format!(
                                "{from}: fields grouping on `{f}`, which stream `{}` of `{}` does \
                                 not declare (its fields: {}){}",
                                input.stream,
                                input.source,
                                if stream.fields.is_empty() {
                                    "none".to_string()
                                } else {
                                    stream.fields.join(", ")
                                },
                                if elsewhere.is_empty() {
                                    String::new()
                                } else {
                                    format!(
                                        "; `{f}` is a field of stream `{}`: Storm accepts this \
                                         at submit, then the worker fails at the first tuple",
                                        elsewhere.join("`, `")
                                    )
                                }
                            ),
                        ));
                    }
                }
                Grouping::Direct if !stream.direct => errs.push(diag(
                    c,
                    format!(
                        "{from}: direct grouping on a stream that is not declared direct \
                         (declare it with `(direct-stream [...])`)"
                    ),
                )),
                _ => {}
            }
        }
    }
    errs
}

/// What the local runner cannot run: JVM components and custom groupings. Not Storm errors.
pub fn local_blockers(t: &Topology) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in &t.components {
        if let Exec::Java(def) = &c.exec {
            out.push(diag(
                c,
                format!(
                    "JVM class `{}` cannot run in the local runner",
                    def.class_name
                ),
            ));
        }
        for i in &c.inputs {
            if let Grouping::Custom(class) = &i.grouping {
                out.push(diag(
                    c,
                    format!(
                        "custom grouping `{class}` (input from `{}`) cannot run in the local runner",
                        i.source
                    ),
                ));
            }
        }
    }
    out
}
