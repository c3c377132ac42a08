//! How components connect: the `{"component" grouping}` inputs map (every Storm grouping
//! the DSL names) and the declared output streams (`["word"]` or `{"stream" [...]}`).

use std::collections::BTreeMap;

use super::{Ctx, Res, head, strings};
use crate::DEFAULT_STREAM;
use crate::clj::reader::{Form, FormKind};
use crate::model::{Grouping, Input, Span, StreamDef};

/// The inputs as declared, each with the place of its key (repeats are merged by the caller).
pub(super) fn eval_inputs(ctx: &Ctx<'_>, f: &Form) -> Res<Vec<(Input, Option<Span>)>> {
    let pairs: Vec<(&Form, &Form)> = match &f.kind {
        FormKind::Map(entries) => entries.iter().map(|(k, v)| (k, v)).collect(),
        FormKind::Vector(items) => {
            let mut pairs = Vec::new();
            for it in items {
                match &it.kind {
                    FormKind::Vector(p) if p.len() == 2 => pairs.push((&p[0], &p[1])),
                    _ => {
                        return ctx.err(
                            it.pos,
                            format!(
                                "expected an input pair [\"component\" grouping] or a map \
                                 {{\"component\" grouping}}, found {} (a map of inputs is \
                                 written {{[\"component\" \"stream\"] grouping}})",
                                it.kind.describe()
                            ),
                        );
                    }
                }
            }
            pairs
        }
        k => {
            return ctx.err(
                f.pos,
                format!(
                    "expected the inputs map {{\"component\" grouping}}, found {}",
                    k.describe()
                ),
            );
        }
    };
    pairs
        .into_iter()
        .map(|(k, g)| {
            let (source, stream) = match &k.kind {
                FormKind::Str(s) => (s.clone(), DEFAULT_STREAM.to_string()),
                FormKind::Vector(v) => match v.as_slice() {
                    [
                        Form {
                            kind: FormKind::Str(c),
                            ..
                        },
                        Form {
                            kind: FormKind::Str(s),
                            ..
                        },
                    ] => (c.clone(), s.clone()),
                    _ => {
                        return ctx.err(
                            k.pos,
                            "an input key vector must be [\"component\" \"stream\"]",
                        );
                    }
                },
                other => {
                    return ctx.err(
                        k.pos,
                        format!(
                            "expected an input key \"component\" or [\"component\" \"stream\"], found {}",
                            other.describe()
                        ),
                    );
                }
            };
            let input = Input {
                source,
                stream,
                grouping: eval_grouping(ctx, g)?,
            };
            Ok((input, Some(ctx.span(k.pos))))
        })
        .collect()
}

fn eval_grouping(ctx: &Ctx<'_>, g: &Form) -> Res<Grouping> {
    Ok(match &g.kind {
        FormKind::Keyword(k) => match k.as_str() {
            "shuffle" => Grouping::Shuffle,
            "local-or-shuffle" => Grouping::LocalOrShuffle,
            "global" => Grouping::Global,
            "all" => Grouping::All,
            "none" => Grouping::None,
            "direct" => Grouping::Direct,
            other => {
                return ctx.err(
                    g.pos,
                    format!(
                        "unknown grouping `:{other}`: expected :shuffle, :local-or-shuffle, \
                         :global, :all, :none, :direct or a vector of field names"
                    ),
                );
            }
        },
        FormKind::Nil => Grouping::None,
        FormKind::Vector(_) => Grouping::Fields(strings(ctx, g, "fields grouping")?),
        k => {
            return ctx.err(
                g.pos,
                format!(
                    "expected a grouping (:shuffle, :local-or-shuffle, :global, :all, :none, \
                     :direct or a vector of field names), found {}",
                    k.describe()
                ),
            );
        }
    })
}

fn eval_stream(ctx: &Ctx<'_>, f: &Form) -> Res<StreamDef> {
    if let Some(("direct-stream", args)) = head(f) {
        return match args {
            [fields] => Ok(StreamDef {
                fields: strings(ctx, fields, "direct stream fields")?,
                direct: true,
            }),
            _ => ctx.err(f.pos, "`direct-stream` takes one vector of field names"),
        };
    }
    Ok(StreamDef {
        fields: strings(ctx, f, "output fields")?,
        direct: false,
    })
}

pub(super) fn eval_outputs(ctx: &Ctx<'_>, f: &Form) -> Res<BTreeMap<String, StreamDef>> {
    let mut out = BTreeMap::new();
    match &f.kind {
        FormKind::Map(entries) => {
            for (k, v) in entries {
                let FormKind::Str(stream) = &k.kind else {
                    return ctx.err(
                        k.pos,
                        format!("stream ids must be strings, found {}", k.kind.describe()),
                    );
                };
                out.insert(stream.clone(), eval_stream(ctx, v)?);
            }
        }
        _ => {
            out.insert(DEFAULT_STREAM.to_string(), eval_stream(ctx, f)?);
        }
    }
    Ok(out)
}
