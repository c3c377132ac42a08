//! JVM objects in a topology file: top-level `(jvm-object "id" {...})` entries (Flux
//! `components:`) and a spec's `:jvm` definition (class, constructor args, properties,
//! config methods), with values that may name other objects.

use serde_json::Value;

use super::{Ctx, Res, head, to_json};
use crate::clj::reader::{Form, FormKind, Pos};
use crate::model::{JvmCall, JvmDef, JvmObject};

/// `(jvm-object "id" {:class ...})` at the top level: a Flux `components:` entry.
pub(super) fn eval_jvm_object(ctx: &Ctx<'_>, pos: Pos, args: &[Form]) -> Res<JvmObject> {
    match args {
        [
            Form {
                kind: FormKind::Str(id),
                pos: id_pos,
            },
            spec,
        ] => Ok(JvmObject {
            id: id.clone(),
            def: eval_jvm_def(ctx, spec)?,
            span: Some(ctx.span(*id_pos)),
        }),
        _ => ctx.err(
            pos,
            "`jvm-object` takes an id string and a definition: \
             (jvm-object \"id\" {:class \"...\" :args [...]})",
        ),
    }
}

/// A JVM definition map: `{:class "..." :args [...] :properties {"name" value}
/// :config-methods [["name" arg...] ...]}`; values may be `(ref "id")` or
/// `(reflist "id" ...)`.
pub(super) fn eval_jvm_def(ctx: &Ctx<'_>, f: &Form) -> Res<JvmDef> {
    let FormKind::Map(entries) = &f.kind else {
        return ctx.err(
            f.pos,
            format!(
                "expected a JVM definition {{:class \"...\" :args [...] :properties {{...}} \
                 :config-methods [...]}}, found {}",
                f.kind.describe()
            ),
        );
    };
    let mut def = JvmDef::default();
    let mut class = None;
    for (k, v) in entries {
        let FormKind::Keyword(key) = &k.kind else {
            return ctx.err(
                k.pos,
                format!(
                    "JVM definition keys are :class, :args, :properties and :config-methods, found {}",
                    k.kind.describe()
                ),
            );
        };
        match key.as_str() {
            "class" => match &v.kind {
                FormKind::Str(c) if !c.trim().is_empty() => class = Some(c.clone()),
                other => {
                    return ctx.err(
                        v.pos,
                        format!(
                            "`:class` must be a fully qualified class name string, found {}",
                            other.describe()
                        ),
                    );
                }
            },
            "args" => def.constructor_args = jvm_values(ctx, v, "`:args`")?,
            "properties" => {
                let FormKind::Map(props) = &v.kind else {
                    return ctx.err(
                        v.pos,
                        format!(
                            "`:properties` must be a map {{\"name\" value}}, found {}",
                            v.kind.describe()
                        ),
                    );
                };
                for (pk, pv) in props {
                    let FormKind::Str(name) = &pk.kind else {
                        return ctx.err(
                            pk.pos,
                            format!(
                                "property names must be strings, found {}",
                                pk.kind.describe()
                            ),
                        );
                    };
                    def.properties.push((name.clone(), jvm_value(ctx, pv)?));
                }
            }
            "config-methods" => {
                let FormKind::Vector(calls) = &v.kind else {
                    return ctx.err(
                        v.pos,
                        format!(
                            "`:config-methods` must be a vector of [\"method\" arg...] vectors, found {}",
                            v.kind.describe()
                        ),
                    );
                };
                for call in calls {
                    match &call.kind {
                        FormKind::Vector(items) => match items.split_first() {
                            Some((
                                Form {
                                    kind: FormKind::Str(name),
                                    ..
                                },
                                rest,
                            )) => def.config_methods.push(JvmCall {
                                name: name.clone(),
                                args: rest
                                    .iter()
                                    .map(|a| jvm_value(ctx, a))
                                    .collect::<Res<Vec<_>>>()?,
                            }),
                            _ => {
                                return ctx.err(
                                    call.pos,
                                    "a config method is [\"method\" arg...], starting with the method name",
                                );
                            }
                        },
                        other => {
                            return ctx.err(
                                call.pos,
                                format!(
                                    "a config method is a vector [\"method\" arg...], found {}",
                                    other.describe()
                                ),
                            );
                        }
                    }
                }
            }
            other => {
                return ctx.err(
                    k.pos,
                    format!(
                        "unknown JVM definition key `:{other}`: expected :class, :args, \
                         :properties or :config-methods"
                    ),
                );
            }
        }
    }
    match class {
        Some(c) => def.class_name = c,
        None => return ctx.err(f.pos, "the JVM definition has no `:class \"...\"`"),
    }
    Ok(def)
}

fn jvm_values(ctx: &Ctx<'_>, f: &Form, what: &str) -> Res<Vec<Value>> {
    let FormKind::Vector(items) = &f.kind else {
        return ctx.err(
            f.pos,
            format!("{what} must be a vector, found {}", f.kind.describe()),
        );
    };
    items.iter().map(|i| jvm_value(ctx, i)).collect()
}

/// A constructor argument, property or method argument: `(ref "id")`, `(reflist "a" "b")`
/// or plain data (as `:conf` values).
fn jvm_value(ctx: &Ctx<'_>, f: &Form) -> Res<Value> {
    match head(f) {
        Some(("ref", args)) => match args {
            [
                Form {
                    kind: FormKind::Str(id),
                    ..
                },
            ] => Ok(JvmDef::reference(id)),
            _ => ctx.err(f.pos, "`ref` takes one JVM object id string: (ref \"id\")"),
        },
        Some(("reflist", args)) => {
            let ids = args
                .iter()
                .map(|a| match &a.kind {
                    FormKind::Str(id) => Ok(Value::String(id.clone())),
                    k => ctx.err(
                        a.pos,
                        format!(
                            "`reflist` takes JVM object id strings, found {}",
                            k.describe()
                        ),
                    ),
                })
                .collect::<Res<Vec<_>>>()?;
            Ok(serde_json::json!({ "reflist": ids }))
        }
        _ => to_json(ctx, f),
    }
}
