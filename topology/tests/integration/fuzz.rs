//! Runs the reader and both loaders over the seed corpus (`tests/fuzz-corpus/`) and over
//! generated and mutated input; the only assertion is that nothing panics and that a
//! successful `.clj` parse is deterministic.

use std::path::Path;

use proptest::prelude::*;
use sparse_topology::clj::reader::read_all;
use sparse_topology::{clj, flux};

fn corpus_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn exercise(src: &str) {
    let a = read_all(src);
    let b = read_all(src);
    assert_eq!(a, b);
    let _ = clj::load_str(src, Path::new("fuzz.clj"));
    let _ = flux::load_str(src, Path::new("fuzz.yaml"));
}

#[test]
fn seed_corpus() {
    let files = corpus_files();
    assert!(files.len() >= 5);
    for (_, src) in &files {
        exercise(src);
    }
}

const ALPHABET: &[char] = &[
    '(', ')', '[', ']', '{', '}', '"', '\\', ';', '#', '_', '\'', ':', ',', ' ', '\n', 'a', '1',
    '-', '+', '.', 'e', 'x', 'N', 'M', '/', 'u', '0', '@', '^', '`', '~', 'é', '\t',
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_input_never_panics(chars in prop::collection::vec(prop::sample::select(ALPHABET), 0..200)) {
        exercise(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,100}") {
        exercise(&s);
    }

    #[test]
    fn mutated_corpus_never_panics(
        file in 0usize..100,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(ALPHABET)), 1..8),
    ) {
        let files = corpus_files();
        let mut chars: Vec<char> = files[file % files.len()].1.chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        exercise(&chars.into_iter().collect::<String>());
    }
}
