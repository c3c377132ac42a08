use sparse_topology::{Diagnostic, LoadError};

use crate::{clj, corpus};

/// The diagnostics of a failing load, as `line:col: message` strings.
fn errs(r: Result<sparse_topology::model::Topology, LoadError>) -> Vec<Diagnostic> {
    match r {
        Ok(t) => panic!("expected an error, loaded {t:?}"),
        Err(LoadError::Invalid(d)) => d,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn at(d: &Diagnostic) -> (u32, u32) {
    let s = d.span.as_ref().expect("located");
    (s.line, s.col)
}

const HEAD: &str = "(ns t)\n(defn t [options]\n";

#[test]
fn syntax_error_is_located() {
    let d = errs(clj("(ns t)\n(defn t [options]\n  [{\"a\" (x]})"));
    assert_eq!(d.len(), 1);
    assert_eq!(at(&d[0]), (3, 11));
    assert!(
        d[0].message.contains("mismatched delimiter `]`"),
        "{}",
        d[0]
    );
    assert_eq!(d[0].to_string(), format!("test.clj:3:11: {}", d[0].message));
}

#[test]
fn seed_literal_multistream_form_is_rejected_with_location() {
    let d = errs(sparse_topology::load(&corpus(
        "seed-multistream-literal.clj",
    )));
    assert_eq!(d.len(), 1);
    // `{"lookup-bolt" "index" [...]}` has three forms: Clojure's reader rejects it too.
    assert!(d[0].message.contains("even number of forms"), "{}", d[0]);
    assert_eq!(at(&d[0]), (6, 4));
}

#[test]
fn seed_shell_spout_with_options_is_rejected() {
    let src = format!(
        "{HEAD}  [{{\"s2\" (shell-spout-spec\n    options\n    \"spouts.OtherSentenceSpout\"\n    [\"sentence\"])}} {{}}])"
    );
    let d = errs(clj(&src));
    assert_eq!(d.len(), 1);
    assert_eq!(at(&d[0]), (4, 5));
    assert_eq!(d[0].component.as_deref(), Some("s2"));
    assert!(
        d[0].message.contains("takes no options argument"),
        "{}",
        d[0]
    );
}

#[test]
fn unsupported_clojure_is_rejected() {
    let d = errs(clj("(defbolt split [\"word\"] [t c] nil)"));
    assert!(d[0].message.contains("defbolt"), "{}", d[0]);
    assert_eq!(at(&d[0]), (1, 1));

    let src = format!("{HEAD}  [{{\"s\" (fn [x] x)}} {{}}])");
    let d = errs(clj(&src));
    assert!(d[0].message.contains("`fn` is Clojure code"), "{}", d[0]);
    assert_eq!(at(&d[0]), (3, 9));

    let d = errs(clj("(println \"hi\")"));
    assert!(
        d[0].message.contains("unsupported top-level form"),
        "{}",
        d[0]
    );

    let d = errs(clj("(ns x)"));
    assert!(d[0].message.contains("no topology found"));
}

#[test]
fn every_broken_component_is_reported() {
    let src = format!(
        "{HEAD}  [{{\"a\" (rust-spout-spec options \"a::A\" [\"f\"] :q 1)\n    \"b\" (rust-spout-spec options 5 [\"f\"])}}\n   {{\"c\" (rust-bolt-spec options {{\"a\" :sideways}} \"a::C\" [])\n    \"d\" (rust-spout-spec options \"a::D\" [])}}])"
    );
    let d = errs(clj(&src));
    let msgs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    assert_eq!(d.len(), 4, "{msgs:#?}");
    assert!(
        msgs[0].contains("test.clj:3:47: component `a`: unknown option `:q`"),
        "{}",
        msgs[0]
    );
    assert!(
        msgs[1].contains("component `b`: expected the Rust component"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].contains("unknown grouping `:sideways`"),
        "{}",
        msgs[2]
    );
    assert!(
        msgs[3].contains("declares a spout but it is in the bolt map"),
        "{}",
        msgs[3]
    );
}

#[test]
fn structural_mistakes() {
    let cases = [
        ("  {\"a\" 1})", "expected the topology value"),
        (
            "  [{\"a\" (rust-spout-spec options \"a::A\")} {}])",
            "missing an argument",
        ),
        (
            "  [{\"a\" (rust-spout-spec options \"a::A\" [\"f\"] :p -1)} {}])",
            "`:p` expects a positive integer",
        ),
        (
            "  [{\"a\" (rust-spout-spec options \"a::A\" [\"f\"] :conf {:k 1})} {}])",
            "conf keys must be strings",
        ),
        (
            "  [{\"a\" (rust-spout-spec other \"a::A\" [\"f\"])} {}])",
            "expected the topology options `options`",
        ),
        (
            "  [{\"a\" (rust-spout-spec options \"a::A\" [f])} {}])",
            "expected a string",
        ),
        (
            "  [{:a (rust-spout-spec options \"a::A\" [\"f\"])} {}])",
            "component ids must be strings",
        ),
        (
            "  [{} {\"b\" (rust-bolt-spec options {[\"a\"] :shuffle} \"a::B\" [])}])",
            "[\"component\" \"stream\"]",
        ),
        ("  [{\"a\" (spout-spec (Foo.))} {}])", "JVM object"),
    ];
    for (body, expected) in cases {
        let d = errs(clj(&format!("{HEAD}{body}")));
        assert!(
            d.iter()
                .any(|d| d.message.contains(expected) && d.span.is_some()),
            "{body}: expected {expected:?}, got {d:#?}"
        );
    }
}

#[test]
fn flux_errors_are_located() {
    let d = errs(sparse_topology::flux::load_str(
        "name: x\nspouts:\n  - id: a\n    className: c\n    colour: red\n",
        std::path::Path::new("t.yaml"),
    ));
    let s = d[0].span.as_ref().unwrap();
    assert_eq!(s.line, 5, "{}", d[0]);

    let d = errs(sparse_topology::flux::load_str(
        "spouts: []\nbolts:\n  - id: b\n    className: org.apache.storm.flux.wrappers.bolts.FluxShellBolt\n    constructorArgs: [[\"x\"]]\nstreams:\n  - from: a\n    to: b\n    grouping: {type: SIDEWAYS}\n  - from: a\n    to: nope\n    grouping: {type: SHUFFLE}\n",
        std::path::Path::new("t.yaml"),
    ));
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(d[0].message.contains("unknown grouping type `SIDEWAYS`"));
    assert_eq!(at(&d[0]), (8, 9));
    assert!(d[1].message.contains("unknown bolt `nope`"));
    assert_eq!(at(&d[1]), (11, 9));
}
