//! Feeds arbitrary text to the Clojure DSL reader and both topology loaders: they must
//! return an error, never panic or loop, whatever the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sparse_topology::clj::reader::read_all;
use sparse_topology::{clj, flux};

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        let _ = read_all(src);
        let _ = clj::load_str(src, Path::new("fuzz.clj"));
        let _ = flux::load_str(src, Path::new("fuzz.yaml"));
    }
});
