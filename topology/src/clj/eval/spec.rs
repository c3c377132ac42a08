//! One component spec, e.g. `(rust-bolt-spec options {"spout" :shuffle} "CRATE::Split"
//! ["word"] :p 2 :conf {...})`: its family (`rust`, `python`, `shell`, `jvm`) and kind,
//! inputs, plugin or command, outputs and options.

use serde_json::Map;

use super::jvm::eval_jvm_def;
use super::wiring::{eval_inputs, eval_outputs};
use super::{Ctx, Res, head, to_json};
use crate::clj::reader::{Form, FormKind, Pos};
use crate::model::{Component, ComponentKind, Exec};
use crate::{Diagnostic, merge_inputs};

pub(super) fn eval_spec(
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
