//! Interprets the forms of a topology file (see the [parent module](super) for the accepted
//! subset) and builds the [`Topology`]. Errors are collected per component, so one run
//! reports every broken spec.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::reader::{Form, FormKind, Pos};
use crate::model::{Component, ComponentKind, Span, Topology};
use crate::{Diagnostic, name_from_path};

// A component spec: `(rust-bolt-spec ...)`, `(shell-spout-spec ...)`, `(jvm-bolt-spec ...)`.
mod spec;
// `:inputs` (groupings) and `:outputs` (declared streams).
mod wiring;
// `jvm-object` and `:jvm` definitions: Flux components, constructor args and properties.
mod jvm;

use jvm::eval_jvm_object;
use spec::eval_spec;

type Res<T> = Result<T, Diagnostic>;

struct Ctx<'a> {
    file: &'a Path,
    /// The name of the topology function's parameter (usually `options`).
    options: String,
    component: Option<String>,
}

impl Ctx<'_> {
    fn span(&self, pos: Pos) -> Span {
        Span {
            file: PathBuf::from(self.file),
            line: pos.line,
            col: pos.col,
        }
    }

    fn err<T>(&self, pos: Pos, msg: impl Into<String>) -> Res<T> {
        Err(Diagnostic::new(
            Some(self.span(pos)),
            self.component.as_deref(),
            msg,
        ))
    }
}

fn head(f: &Form) -> Option<(&str, &[Form])> {
    match &f.kind {
        FormKind::List(items) => match items.first() {
            Some(Form {
                kind: FormKind::Symbol(s),
                ..
            }) => Some((s.as_str(), &items[1..])),
            _ => None,
        },
        _ => None,
    }
}

/// Evaluates the top-level forms of `file`: the topology and the warnings about it (an
/// input declared twice is kept once, with the last grouping, as Storm does).
pub fn eval_file(
    forms: &[Form],
    file: &Path,
) -> Result<(Topology, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut ctx = Ctx {
        file,
        options: "options".into(),
        component: None,
    };
    let mut topology_fn: Option<&Form> = None;
    let mut jvm_objects = Vec::new();
    let mut object_errors = Vec::new();
    for f in forms {
        match head(f) {
            Some(("jvm-object", args)) => match eval_jvm_object(&ctx, f.pos, args) {
                Ok(o) => jvm_objects.push(o),
                Err(d) => object_errors.push(d),
            },
            Some(("ns", args)) => match args.first() {
                Some(Form {
                    kind: FormKind::Symbol(_),
                    ..
                }) => {}
                _ => {
                    return Err(vec![
                        ctx.err::<()>(f.pos, "`ns` needs a namespace name symbol")
                            .unwrap_err(),
                    ]);
                }
            },
            Some(("comment", _)) => {}
            Some(("defn", _)) => topology_fn = Some(f),
            Some((s @ ("defbolt" | "defspout"), _)) => {
                return Err(vec![
                    ctx.err::<()>(
                        f.pos,
                        format!(
                            "`{s}` defines a JVM component in Clojure code, which sparse cannot run; \
                             declare it with shell-{}-spec, python-{0}-spec or rust-{0}-spec instead",
                            if s == "defbolt" { "bolt" } else { "spout" }
                        ),
                    )
                    .unwrap_err(),
                ]);
            }
            _ => {
                return Err(vec![
                    ctx.err::<()>(
                        f.pos,
                        format!(
                            "unsupported top-level form {}: expected `(ns ...)`, \
                             `(jvm-object \"id\" {{:class ...}})` or \
                             `(defn NAME [options] [SPOUTS BOLTS])`",
                            f.kind.describe()
                        ),
                    )
                    .unwrap_err(),
                ]);
            }
        }
    }
    let Some(defn) = topology_fn else {
        let pos = forms.last().map_or(Pos { line: 1, col: 1 }, |f| f.pos);
        return Err(vec![
            ctx.err::<()>(
                pos,
                "no topology found: expected `(defn NAME [options] [SPOUTS BOLTS])`",
            )
            .unwrap_err(),
        ]);
    };
    let (params, body) = parse_defn(&ctx, defn).map_err(|d| vec![d])?;
    ctx.options = params;
    let mut errors = object_errors;
    let mut result = None;
    for (i, form) in body.iter().enumerate() {
        // Earlier body forms are discarded, and so are their warnings.
        let mut warnings = Vec::new();
        match eval_topology_value(&mut ctx, form, &mut errors, &mut warnings) {
            Ok(comps) if i + 1 == body.len() => result = Some((comps, warnings)),
            Ok(_) => {}
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (components, warnings) = result.unwrap_or_default();
    Ok((
        Topology {
            name: name_from_path(file),
            jvm_objects,
            conf: Map::new(),
            components,
        },
        warnings,
    ))
}

fn parse_defn<'f>(ctx: &Ctx<'_>, defn: &'f Form) -> Res<(String, &'f [Form])> {
    let (_, args) = head(defn).unwrap_or(("", &[]));
    let mut rest = args;
    match rest.first() {
        Some(Form {
            kind: FormKind::Symbol(_),
            ..
        }) => rest = &rest[1..],
        _ => return ctx.err(defn.pos, "`defn` needs a function name symbol"),
    }
    if let Some(Form {
        kind: FormKind::Str(_),
        ..
    }) = rest.first()
    {
        rest = &rest[1..]; // docstring
    }
    let param = match rest.first() {
        Some(Form {
            kind: FormKind::Vector(ps),
            pos,
        }) => match ps.as_slice() {
            [
                Form {
                    kind: FormKind::Symbol(s),
                    ..
                },
            ] => s.clone(),
            _ => {
                return ctx.err(
                    *pos,
                    "the topology function must take exactly one argument, e.g. `[options]`",
                );
            }
        },
        Some(f) => {
            return ctx.err(
                f.pos,
                format!(
                    "expected the parameter vector `[options]`, found {}",
                    f.kind.describe()
                ),
            );
        }
        None => return ctx.err(defn.pos, "`defn` needs a parameter vector `[options]`"),
    };
    let body = &rest[1..];
    if body.is_empty() {
        return ctx.err(
            defn.pos,
            "the topology function has no body: expected `[SPOUTS BOLTS]`",
        );
    }
    Ok((param, body))
}

fn eval_topology_value(
    ctx: &mut Ctx<'_>,
    form: &Form,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Res<Vec<Component>> {
    let (spouts, bolts) = match (&form.kind, head(form)) {
        (FormKind::Vector(items), _) if items.len() == 2 => (&items[0], &items[1]),
        (_, Some(("topology", args))) if args.len() == 2 => (&args[0], &args[1]),
        _ => {
            return ctx.err(
                form.pos,
                format!(
                    "expected the topology value `[SPOUTS BOLTS]` (a vector of two maps), found {}",
                    describe_len(form)
                ),
            );
        }
    };
    let mut comps = Vec::new();
    for (map, kind) in [(spouts, ComponentKind::Spout), (bolts, ComponentKind::Bolt)] {
        let FormKind::Map(entries) = &map.kind else {
            let what = if kind == ComponentKind::Spout {
                "spouts"
            } else {
                "bolts"
            };
            errors.push(
                ctx.err::<()>(
                    map.pos,
                    format!(
                        "expected the map of {what} {{\"id\" (...-spec ...)}}, found {}",
                        map.kind.describe()
                    ),
                )
                .unwrap_err(),
            );
            continue;
        };
        for (k, v) in entries {
            let FormKind::Str(id) = &k.kind else {
                errors.push(
                    ctx.err::<()>(
                        k.pos,
                        format!("component ids must be strings, found {}", k.kind.describe()),
                    )
                    .unwrap_err(),
                );
                continue;
            };
            ctx.component = Some(id.clone());
            match eval_spec(ctx, id, k.pos, v, kind, warnings) {
                Ok(c) => comps.push(c),
                Err(d) => errors.push(d),
            }
            ctx.component = None;
        }
    }
    Ok(comps)
}

fn describe_len(f: &Form) -> String {
    match &f.kind {
        FormKind::Vector(items) => format!("a vector of {} forms", items.len()),
        k => k.describe(),
    }
}

fn strings(ctx: &Ctx<'_>, f: &Form, what: &str) -> Res<Vec<String>> {
    let FormKind::Vector(items) = &f.kind else {
        return ctx.err(
            f.pos,
            format!(
                "expected {what} (a vector of strings), found {}",
                f.kind.describe()
            ),
        );
    };
    items
        .iter()
        .map(|it| match &it.kind {
            FormKind::Str(s) => Ok(s.clone()),
            k => ctx.err(
                it.pos,
                format!("{what}: expected a string, found {}", k.describe()),
            ),
        })
        .collect()
}

fn to_json(ctx: &Ctx<'_>, f: &Form) -> Res<Value> {
    Ok(match &f.kind {
        FormKind::Str(s) => Value::String(s.clone()),
        FormKind::Int(i) => Value::from(*i),
        FormKind::Float(x) => serde_json::Number::from_f64(*x)
            .map(Value::Number)
            .ok_or_else(|| {
                ctx.err::<()>(f.pos, "conf values must be finite numbers")
                    .unwrap_err()
            })?,
        FormKind::Bool(b) => Value::Bool(*b),
        FormKind::Nil => Value::Null,
        FormKind::Vector(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(ctx, i))
                .collect::<Res<Vec<_>>>()?,
        ),
        FormKind::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let FormKind::Str(ks) = &k.kind else {
                    return ctx.err(k.pos, "conf map keys must be strings");
                };
                m.insert(ks.clone(), to_json(ctx, v)?);
            }
            Value::Object(m)
        }
        k => {
            return ctx.err(
                f.pos,
                format!(
                    "conf values must be strings, numbers, booleans, nil, vectors or maps, found {}",
                    k.describe()
                ),
            );
        }
    })
}
