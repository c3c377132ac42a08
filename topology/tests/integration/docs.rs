//! Every ```clojure block of `docs/topologies.md` loads and passes validation, so the
//! examples a user copies are valid topologies.

use std::path::Path;

use sparse_topology::validate::validate;

use crate::repo_root;

#[test]
fn every_topology_example_in_the_docs_is_valid() {
    let path = repo_root().join("docs/topologies.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```clojure") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(blocks.len() >= 5, "found {} examples", blocks.len());
    for (i, src) in blocks.iter().enumerate() {
        let t = sparse_topology::clj::load_str(src, Path::new("docs.clj"))
            .unwrap_or_else(|e| panic!("example {}: {e}\n{src}", i + 1));
        let problems: Vec<String> = validate(&t).iter().map(|d| d.to_string()).collect();
        assert!(
            problems.is_empty(),
            "example {}: {problems:#?}\n{src}",
            i + 1
        );
    }
}
