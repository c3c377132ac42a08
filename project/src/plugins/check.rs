//! A topology's Rust components against what their plugins export.
//!
//! For every component whose command is `sparse-host --component CRATE::TYPE`, [`check`]
//! reports as errors, at the component's `file:line:col`:
//!
//! - a name that is not `CRATE::TYPE`, a crate with no plugin in the directories searched
//!   (or whose library the host could not use), a type the plugin does not export (each with
//!   the closest names offered);
//! - a spout declared as a bolt or the other way round;
//! - output streams that differ: declared in the topology and not by the component (nothing
//!   will ever be emitted there), declared by the component and not in the topology (its
//!   emits there are refused, as Storm would kill the task), or with other fields, another
//!   field order, or another `direct` flag;
//! - a subscription to a stream of a Rust component that the component does not declare.
//!
//! A stream with no fields counts as not declared, on either side (a sink bolt declares
//! `[]` in the Clojure DSL and nothing in Rust). A crate that the project builds but that
//! is not built yet ([`Inputs::unbuilt`], only with `--no-build`) is a warning: its
//! components are not checked.

use std::collections::{BTreeMap, BTreeSet};

use super::{Catalog, Exported, PluginInfo, host_command};
use sparse_topology::Diagnostic;
use sparse_topology::describe::kind_label;
use sparse_topology::model::{Component, StreamDef, Topology};

/// What the topology is checked against.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// The catalogue for each distinct list of a command's own `--plugin-dir` values
    /// (usually just the empty list).
    pub catalogs: BTreeMap<Vec<String>, &'a Catalog>,
    /// The plugin crates the project builds, by library name, with their manifest (filled
    /// with `--no-build` only): a crate among them whose library is not found is "not built
    /// yet", a warning, rather than "no such plugin".
    pub unbuilt: BTreeMap<String, String>,
}

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Mismatches: the topology would fail or lose data as written.
    pub errors: Vec<Diagnostic>,
    /// Components that could not be checked, and why.
    pub warnings: Vec<Diagnostic>,
    /// The plugins the topology uses, each once, with the component ids that use it.
    pub used: Vec<(PluginInfo, Vec<String>)>,
}

fn diag(c: &Component, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(c.span.clone(), Some(&c.id), msg)
}

/// Checks the Rust components of `t` (see the module docs).
pub fn check(t: &Topology, inputs: &Inputs<'_>) -> Findings {
    let mut f = Findings::default();
    // Component id -> the exported component it runs, for the subscription pass.
    let mut resolved: BTreeMap<&str, (String, &Exported)> = BTreeMap::new();
    for c in &t.components {
        let Some(cmd) = host_command(&c.exec) else {
            continue;
        };
        let cmd = match cmd {
            Ok(cmd) => cmd,
            Err(e) => {
                f.errors.push(diag(c, e));
                continue;
            }
        };
        let Some(catalog) = inputs.catalogs.get(&cmd.plugin_dirs) else {
            continue;
        };
        let name = &cmd.component;
        let Some((krate, ty)) = name
            .split_once("::")
            .filter(|(k, t)| safe_ident(k) && safe_ident(t))
        else {
            f.errors.push(diag(
                c,
                format!(
                    "`{name}` is not a component name: expected CRATE::TYPE (letters, digits, \
                     `_` and `-`), e.g. \"wordcount::WordCounter\""
                ),
            ));
            continue;
        };
        let Some(plugin) = catalog.plugin(krate) else {
            if let Some(s) = catalog.skipped_for(krate) {
                f.errors.push(diag(
                    c,
                    format!("`{name}`: the plugin cannot be used: {}", s.error),
                ));
            } else if let Some(manifest) = inputs.unbuilt.get(&krate.replace('-', "_")) {
                f.warnings.push(diag(
                    c,
                    format!(
                        "`{name}` not checked against its plugin: `{krate}` ({manifest}) is not \
                         built (build it with `cargo build --release`, or drop --no-build)"
                    ),
                ));
            } else {
                f.errors.push(diag(c, no_plugin(catalog, krate, ty)));
            }
            continue;
        };
        let Some(exported) = plugin.components.iter().find(|e| e.name == ty) else {
            let offered: Vec<String> = plugin
                .components
                .iter()
                .map(|e| format!("{} ({})", e.name, kind_label(e.kind)))
                .collect();
            let names: Vec<&str> = plugin.components.iter().map(|e| e.name.as_str()).collect();
            f.errors.push(diag(
                c,
                format!(
                    "`{name}`: plugin `{krate}` ({}) exports no component `{ty}`{}; it exports: {}",
                    plugin.path.display(),
                    did_you_mean(ty, &names)
                        .map(|n| format!(" (did you mean `{krate}::{n}`?)"))
                        .unwrap_or_default(),
                    if offered.is_empty() {
                        "nothing".to_string()
                    } else {
                        offered.join(", ")
                    }
                ),
            ));
            continue;
        };
        match f.used.iter_mut().find(|(p, _)| p.path == plugin.path) {
            Some((_, ids)) => ids.push(c.id.clone()),
            None => f.used.push((plugin.clone(), vec![c.id.clone()])),
        }
        if exported.kind != c.kind {
            f.errors.push(diag(
                c,
                format!(
                    "`{name}` is a {}, but the topology declares `{}` as a {}",
                    kind_label(exported.kind),
                    c.id,
                    kind_label(c.kind),
                ),
            ));
            continue;
        }
        match &exported.outputs {
            Ok(outputs) => {
                compare_streams(c, name, outputs, &mut f.errors);
                resolved.insert(c.id.as_str(), (name.clone(), exported));
            }
            Err(e) => f.errors.push(diag(
                c,
                format!("`{name}`: cannot read the streams the plugin declares: {e}"),
            )),
        }
    }
    for c in &t.components {
        for input in &c.inputs {
            let Some((name, exported)) = resolved.get(input.source.as_str()) else {
                continue;
            };
            let Ok(outputs) = &exported.outputs else {
                continue;
            };
            // A stream the topology does not declare either is a Storm-rule error already.
            let in_topology = t
                .component(&input.source)
                .is_some_and(|s| s.outputs.contains_key(&input.stream));
            if in_topology && declared(outputs).all(|(s, _)| *s != input.stream) {
                f.errors.push(diag(
                    c,
                    format!(
                        "input from `{}` stream `{}`: `{name}` (which `{}` runs) declares no \
                         stream `{}`, so nothing will arrive (it declares: {})",
                        input.source,
                        input.stream,
                        input.source,
                        input.stream,
                        list_streams(outputs)
                    ),
                ));
            }
        }
    }
    f
}

/// The streams with at least one field.
fn declared(outputs: &BTreeMap<String, StreamDef>) -> impl Iterator<Item = (&String, &StreamDef)> {
    outputs.iter().filter(|(_, s)| !s.fields.is_empty())
}

fn list_streams(outputs: &BTreeMap<String, StreamDef>) -> String {
    let all: Vec<String> = declared(outputs)
        .map(|(s, d)| format!("`{s}` {}", fields_label(d)))
        .collect();
    if all.is_empty() {
        "none".to_string()
    } else {
        all.join(", ")
    }
}

fn fields_label(d: &StreamDef) -> String {
    format!(
        "{}[{}]",
        if d.direct { "direct " } else { "" },
        d.fields.join(", ")
    )
}

fn compare_streams(
    c: &Component,
    name: &str,
    exported: &BTreeMap<String, StreamDef>,
    errors: &mut Vec<Diagnostic>,
) {
    let ours: BTreeMap<&String, &StreamDef> = declared(&c.outputs).collect();
    let theirs: BTreeMap<&String, &StreamDef> = declared(exported).collect();
    let ids: BTreeSet<&String> = ours.keys().chain(theirs.keys()).copied().collect();
    for id in ids {
        match (ours.get(id), theirs.get(id)) {
            (Some(o), None) => errors.push(diag(
                c,
                format!(
                    "stream `{id}`: the topology declares fields {} but `{name}` does not declare \
                     stream `{id}` (it declares: {})",
                    fields_label(o),
                    list_streams(exported)
                ),
            )),
            (None, Some(t)) => errors.push(diag(
                c,
                format!(
                    "stream `{id}`: `{name}` declares fields {} but the topology does not declare \
                     stream `{id}` for `{}`; its emits there would be refused",
                    fields_label(t),
                    c.id
                ),
            )),
            (Some(o), Some(t)) if o != t => errors.push(diag(
                c,
                format!(
                    "stream `{id}`: the topology declares fields {} but `{name}` declares {}",
                    fields_label(o),
                    fields_label(t)
                ),
            )),
            _ => {}
        }
    }
}

fn no_plugin(catalog: &Catalog, krate: &str, ty: &str) -> String {
    let crates: Vec<&str> = catalog.plugins.iter().map(|p| p.krate.as_str()).collect();
    let hint = did_you_mean(krate, &crates)
        .map(|k| format!(" (did you mean `{k}::{ty}`?)"))
        .unwrap_or_default();
    format!(
        "`{krate}::{ty}`: no plugin `{}`{hint} in {}; plugins found: {}",
        super::library_file(krate),
        catalog
            .searched
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        if crates.is_empty() {
            "none".to_string()
        } else {
            crates.join(", ")
        }
    )
}

fn safe_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The candidate closest to `wanted` when it is close enough to be a slip: the same name
/// ignoring case, `-`/`_`, or within a third of its length in edits.
fn did_you_mean<'c>(wanted: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let w = norm(wanted);
    candidates
        .iter()
        .map(|c| (edit_distance(&w, &norm(c)), *c))
        .filter(|(d, _)| *d <= (wanted.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Plugin `p` (libp.so): spout `S` (default [a]; direct `d` [n]), bolt `B` (nothing),
    /// bolt `Two` (`x` [a], `y` [b]); `libq.so` was skipped.
    fn catalog() -> Catalog {
        Catalog::parse(
            r#"{"searched": ["/r", "/r/plugins"], "skipped": [{"path": "/r/libq.so", "error": "plugin ABI 2.0"}],
                "plugins": [{"crate": "p", "name": "p", "version": "1", "path": "/r/libp.so", "components": [
                  {"name": "S", "kind": "spout", "outputs": {"default": {"fields": ["a"], "direct": false},
                                                             "d": {"fields": ["n"], "direct": true}}},
                  {"name": "B", "kind": "bolt", "outputs": {}},
                  {"name": "Two", "kind": "bolt", "outputs": {"x": {"fields": ["a"], "direct": false},
                                                              "y": {"fields": ["b"], "direct": false}}}]}]}"#,
        )
        .unwrap()
    }

    fn run(src: &str, unbuilt: &[&str]) -> Findings {
        let t = sparse_topology::clj::load_str(src, Path::new("t.clj"))
            .unwrap_or_else(|e| panic!("{e}"));
        let c = catalog();
        let inputs = Inputs {
            catalogs: BTreeMap::from([(Vec::new(), &c)]),
            unbuilt: unbuilt
                .iter()
                .map(|k| (k.to_string(), format!("/w/{k}/Cargo.toml")))
                .collect(),
        };
        check(&t, &inputs)
    }

    fn texts(d: &[Diagnostic]) -> Vec<String> {
        d.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn matching_components_pass_and_empty_streams_count_as_none() {
        let f = run(
            r#"(defn t [options]
                 [{"s" (rust-spout-spec options "p::S" {"default" ["a"] "d" (direct-stream ["n"])})}
                  {"b" (rust-bolt-spec options {"s" ["a"] ["s" "d"] :direct} "p::B" [])}])"#,
            &[],
        );
        assert_eq!(f.errors, [], "{:#?}", texts(&f.errors));
        assert_eq!(f.warnings, []);
        assert_eq!(f.used.len(), 1);
        assert_eq!(f.used[0].1, ["s", "b"]);
    }

    #[test]
    fn every_mismatch_is_located() {
        let f = run(
            r#"(defn t [options]
                 [{"s" (rust-spout-spec options "p::S" {"default" ["a"] "d" ["n"]})}
                  {"b" (rust-bolt-spec options {"s" :shuffle} "p::Two" {"x" ["b"] "z" ["c"]})
                   "c" (rust-bolt-spec options {["b" "z"] :shuffle} "p::B" ["out"])
                   "e" (rust-bolt-spec options {"s" :shuffle} "p" [])
                   "g" (shell-bolt-spec {"s" :shuffle} ["sparse-host" "--plugin-dir" "x"] [])
                   "h" (rust-bolt-spec options {"s" :shuffle} "q::B" [])
                   "i" (rust-bolt-spec options {"s" :shuffle} "r::B" [])}])"#,
            &["r"],
        );
        let e = texts(&f.errors);
        let expect = [
            "t.clj:2:20: component `s`: stream `d`: the topology declares fields [n] but `p::S` declares direct [n]",
            "t.clj:3:20: component `b`: stream `x`: the topology declares fields [b] but `p::Two` declares [a]",
            "component `b`: stream `y`: `p::Two` declares fields [b] but the topology does not declare stream `y` for `b`; its emits there would be refused",
            "component `b`: stream `z`: the topology declares fields [c] but `p::Two` does not declare stream `z` (it declares: `x` [a], `y` [b])",
            "component `c`: stream `default`: the topology declares fields [out] but `p::B` does not declare stream `default` (it declares: none)",
            "component `c`: input from `b` stream `z`: `p::Two` (which `b` runs) declares no stream `z`, so nothing will arrive",
            "component `e`: `p` is not a component name: expected CRATE::TYPE",
            "component `g`: the `sparse-host` command names no component",
            "component `h`: `q::B`: the plugin cannot be used: plugin ABI 2.0",
        ];
        for x in expect {
            assert!(e.iter().any(|m| m.contains(x)), "missing {x:?} in {e:#?}");
        }
        assert_eq!(e.len(), expect.len(), "{e:#?}");
        let w = texts(&f.warnings);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(
            w[0].contains("component `i`: `r::B` not checked against its plugin: `r` (/w/r/Cargo.toml) is not built"),
            "{w:#?}"
        );
    }

    #[test]
    fn unknown_crates_and_types_suggest_the_closest() {
        let f = run(
            r#"(defn t [options]
                 [{"s" (rust-spout-spec options "P::S" ["a"])
                   "s2" (rust-spout-spec options "p::s" ["a"])
                   "b" (rust-spout-spec options "p::B" [])}
                  {}])"#,
            &[],
        );
        let e = texts(&f.errors);
        assert!(
            e[0].contains("`P::S`: no plugin `libP.so` (did you mean `p::S`?) in /r, /r/plugins; plugins found: p"),
            "{e:#?}"
        );
        assert!(
            e[1].contains("plugin `p` (/r/libp.so) exports no component `s` (did you mean `p::S`?); it exports: S (spout), B (bolt), Two (bolt)"),
            "{e:#?}"
        );
        assert!(
            e[2].contains("`p::B` is a bolt, but the topology declares `b` as a spout"),
            "{e:#?}"
        );
        assert_eq!(e.len(), 3, "{e:#?}");
    }

    #[test]
    fn edit_distances_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        let names = ["SentenceSpout", "SentenceSplitter", "WordCounter"];
        assert_eq!(did_you_mean("SentenceSpuot", &names), Some("SentenceSpout"));
        assert_eq!(did_you_mean("wordcounter", &names), Some("WordCounter"));
        assert_eq!(did_you_mean("Joiner", &names), None);
        assert_eq!(
            did_you_mean("word-count", &["word_count"]),
            Some("word_count")
        );
        assert_eq!(did_you_mean("x", &["y"]), Some("y"));
        assert_eq!(did_you_mean("ab", &["xy"]), None);
    }
}
