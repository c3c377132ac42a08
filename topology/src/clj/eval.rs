//! Interprets the forms of a topology file (see the [parent module](super) for the accepted
//! subset) and builds the [`Topology`]. Errors are collected per component, so one run
//! reports every broken spec.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::reader::{Form, FormKind, Pos};
use crate::model::{
    Component, ComponentKind, Exec, Grouping, Input, JvmCall, JvmDef, JvmObject, Span, StreamDef,
    Topology,
};
use crate::{DEFAULT_STREAM, Diagnostic, merge_inputs, name_from_path};

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

fn eval_spec(
    ctx: &Ctx<'_>,
    id: &str,
    id_pos: Pos,
    form: &Form,
    kind: ComponentKind,
    warnings: &mut Vec<Diagnostic>,
) -> Res<Component> {
    let Some((fname, args)) = head(form) else {
        return ctx.err(
            form.pos,
            format!(
                "expected a spec call such as `(rust-{}-spec ...)`, found {}",
                kind_word(kind),
                form.kind.describe()
            ),
        );
    };
    let is_bolt = kind == ComponentKind::Bolt;
    let (family, spec_kind) = match fname {
        "python-spout-spec" => ("python", ComponentKind::Spout),
        "python-bolt-spec" => ("python", ComponentKind::Bolt),
        "rust-spout-spec" => ("rust", ComponentKind::Spout),
        "rust-bolt-spec" => ("rust", ComponentKind::Bolt),
        "shell-spout-spec" => ("shell", ComponentKind::Spout),
        "shell-bolt-spec" => ("shell", ComponentKind::Bolt),
        "jvm-spout-spec" => ("jvm", ComponentKind::Spout),
        "jvm-bolt-spec" => ("jvm", ComponentKind::Bolt),
        "spout-spec" | "bolt-spec" => {
            return ctx.err(
                form.pos,
                format!(
                    "`{fname}` wraps a JVM object built by Clojure code, which sparse cannot \
                     run; declare it with `(jvm-{}-spec ... {{:class \"...\" :args [...]}} OUTPUTS)`",
                    kind_word(kind)
                ),
            );
        }
        "fn" | "let" | "defbolt" | "defspout" | "bolt" | "spout" => {
            return ctx.err(
                form.pos,
                format!(
                    "`{fname}` is Clojure code, which sparse does not run; expected a \
                     `python-`, `shell-` or `rust-{}-spec` call",
                    kind_word(kind)
                ),
            );
        }
        other => {
            return ctx.err(
                form.pos,
                format!(
                    "unknown function `{other}`: expected python-{k}-spec, shell-{k}-spec, rust-{k}-spec or jvm-{k}-spec",
                    k = kind_word(kind)
                ),
            );
        }
    };
    if spec_kind != kind {
        return ctx.err(
            form.pos,
            format!(
                "`{fname}` declares a {} but it is in the {} map",
                kind_word(spec_kind),
                kind_word(kind)
            ),
        );
    }
    let mut args = Args {
        ctx,
        items: args,
        i: 0,
        call_pos: form.pos,
        fname,
    };
    if family != "shell" && family != "jvm" {
        args.options()?;
    }
    let inputs = if is_bolt {
        let declared = eval_inputs(ctx, args.next("the inputs map {\"component\" grouping}")?)?;
        let (inputs, repeats) = merge_inputs(id, declared);
        warnings.extend(repeats);
        inputs
    } else {
        Vec::new()
    };
    let mut jvm = None;
    let command = match family {
        "jvm" => {
            let spec = args.next("the JVM definition {:class \"...\" :args [...]}")?;
            if let FormKind::Symbol(sym) = &spec.kind
                && *sym == ctx.options
            {
                return ctx.err(
                    spec.pos,
                    format!("`{fname}` takes no options argument: expected the JVM definition {{:class \"...\"}}"),
                );
            }
            jvm = Some(eval_jvm_def(ctx, spec)?);
            Vec::new()
        }
        "python" => vec![
            "streamparse_run".to_string(),
            args.string("the Python class to run, e.g. \"bolts.mybolt.MyBolt\"")?,
        ],
        "rust" => vec![
            "sparse-host".to_string(),
            "--component".to_string(),
            args.string("the Rust component, e.g. \"crate::Type\"")?,
        ],
        _ => args.command()?,
    };
    let outputs = eval_outputs(ctx, args.next("the output fields, e.g. [\"word\"]")?)?;
    let mut parallelism = 1u32;
    let mut conf = Map::new();
    let mut seen: Vec<&str> = Vec::new();
    while let Some(k) = args.peek() {
        args.i += 1;
        let FormKind::Keyword(key) = &k.kind else {
            return ctx.err(
                k.pos,
                format!(
                    "unexpected argument {}: after the outputs only `:p N` and `:conf {{...}}` may follow",
                    k.kind.describe()
                ),
            );
        };
        if seen.contains(&key.as_str()) {
            return ctx.err(k.pos, format!("`:{key}` is given twice"));
        }
        seen.push(key);
        let Some(v) = args.peek() else {
            return ctx.err(k.pos, format!("`:{key}` has no value"));
        };
        args.i += 1;
        match key.as_str() {
            "p" => match v.kind {
                FormKind::Int(n) if (0..=i64::from(u32::MAX)).contains(&n) => {
                    parallelism = n as u32;
                }
                _ => {
                    return ctx.err(
                        v.pos,
                        format!(
                            "`:p` expects a positive integer, found {}",
                            v.kind.describe()
                        ),
                    );
                }
            },
            "conf" if jvm.is_some() => {
                return ctx.err(
                    k.pos,
                    "`:conf` is not available for a JVM component (Flux sets no per-component \
                     conf on a JVM class): configure it through its definition, or use topology conf",
                );
            }
            "conf" => {
                let FormKind::Map(entries) = &v.kind else {
                    return ctx.err(
                        v.pos,
                        format!("`:conf` expects a map, found {}", v.kind.describe()),
                    );
                };
                for (ck, cv) in entries {
                    let FormKind::Str(ks) = &ck.kind else {
                        return ctx.err(
                            ck.pos,
                            format!(
                                "per-component conf keys must be strings such as \
                                 \"topology.tick.tuple.freq.secs\", found {}",
                                ck.kind.describe()
                            ),
                        );
                    };
                    conf.insert(ks.clone(), to_json(ctx, cv)?);
                }
            }
            other => {
                return ctx.err(
                    k.pos,
                    format!("unknown option `:{other}`: expected `:p` or `:conf`"),
                );
            }
        }
    }
    Ok(Component {
        id: id.to_string(),
        kind,
        exec: match jvm {
            Some(def) => Exec::Java(def),
            None => Exec::Shell { command },
        },
        parallelism,
        num_tasks: parallelism,
        outputs,
        inputs,
        conf,
        span: Some(ctx.span(id_pos)),
    })
}

fn kind_word(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::Spout => "spout",
        ComponentKind::Bolt => "bolt",
    }
}

struct Args<'a, 'c> {
    ctx: &'a Ctx<'c>,
    items: &'a [Form],
    i: usize,
    call_pos: Pos,
    fname: &'a str,
}

impl<'a> Args<'a, '_> {
    fn peek(&self) -> Option<&'a Form> {
        self.items.get(self.i)
    }

    fn next(&mut self, what: &str) -> Res<&'a Form> {
        match self.items.get(self.i) {
            Some(f) => {
                self.i += 1;
                Ok(f)
            }
            None => self.ctx.err(
                self.call_pos,
                format!("`{}` is missing an argument: expected {what}", self.fname),
            ),
        }
    }

    fn options(&mut self) -> Res<()> {
        let f = self.next(&format!("`{}` as first argument", self.ctx.options))?;
        match &f.kind {
            FormKind::Symbol(s) if *s == self.ctx.options => Ok(()),
            k => self.ctx.err(
                f.pos,
                format!(
                    "expected the topology options `{}` as first argument of `{}`, found {}",
                    self.ctx.options,
                    self.fname,
                    k.describe()
                ),
            ),
        }
    }

    fn string(&mut self, what: &str) -> Res<String> {
        let f = self.next(what)?;
        match &f.kind {
            FormKind::Str(s) => Ok(s.clone()),
            k => self
                .ctx
                .err(f.pos, format!("expected {what}, found {}", k.describe())),
        }
    }

    fn command(&mut self) -> Res<Vec<String>> {
        let what = "the command as a vector of strings, e.g. [\"python\" \"spout.py\"]";
        let f = self.next(what)?;
        match &f.kind {
            FormKind::Vector(items) => items
                .iter()
                .map(|it| match &it.kind {
                    FormKind::Str(s) => Ok(s.clone()),
                    k => self.ctx.err(
                        it.pos,
                        format!("command arguments must be strings, found {}", k.describe()),
                    ),
                })
                .collect(),
            FormKind::Str(cmd) => {
                // Storm's (shell-*-spec ... "python" "script.py" outputs) form.
                let script = self.string("the script after the command string")?;
                Ok(vec![cmd.clone(), script])
            }
            FormKind::Symbol(s) if *s == self.ctx.options => self.ctx.err(
                f.pos,
                format!(
                    "`{}` takes no options argument: expected {what}",
                    self.fname
                ),
            ),
            k => self
                .ctx
                .err(f.pos, format!("expected {what}, found {}", k.describe())),
        }
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

/// The inputs as declared, each with the place of its key (repeats are merged by the caller).
fn eval_inputs(ctx: &Ctx<'_>, f: &Form) -> Res<Vec<(Input, Option<Span>)>> {
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

fn eval_outputs(ctx: &Ctx<'_>, f: &Form) -> Res<BTreeMap<String, StreamDef>> {
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

/// `(jvm-object "id" {:class ...})` at the top level: a Flux `components:` entry.
fn eval_jvm_object(ctx: &Ctx<'_>, pos: Pos, args: &[Form]) -> Res<JvmObject> {
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

/// A JVM definition map: `{:class "..." :args [...] :factory "method" :factory-args [...]
/// :properties {"name" value} :config-methods [["name" arg...] ...]}`; values may be `(ref "id")` or
/// `(reflist "id" ...)`.
fn eval_jvm_def(ctx: &Ctx<'_>, f: &Form) -> Res<JvmDef> {
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
                    "JVM definition keys are :class, :args, :factory, :factory-args, :properties and :config-methods, found {}",
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
            "factory" => match &v.kind {
                FormKind::Str(m) if !m.trim().is_empty() => def.factory = Some(m.clone()),
                other => {
                    return ctx.err(
                        v.pos,
                        format!(
                            "`:factory` must name a public static method of the class, found {}",
                            other.describe()
                        ),
                    );
                }
            },
            "factory-args" => def.factory_args = jvm_values(ctx, v, "`:factory-args`")?,
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
                         :factory, :factory-args, :properties or :config-methods"
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
