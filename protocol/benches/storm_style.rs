//! What writing tuple values in Storm's style costs the local runner per emit
//! (`sparse run --json-style storm`, the default, against `plain`): the fast scan for
//! values that need no change, the full re-write for values that do.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sparse_protocol::json::{storm_style_unchanged, write_storm_style};

fn values(c: &mut Criterion) {
    let cases = [
        ("sentence", r#"["an apple a day keeps the doctor away"]"#),
        ("word", r#"["doctor"]"#),
        ("url", r#"["https://example.com/a/b?q=1",42]"#),
        ("map", r#"[{"user":"ann","score":1.5,"tags":["x","y"]}]"#),
    ];
    let mut g = c.benchmark_group("storm_style");
    let mut out = Vec::with_capacity(256);
    for (name, json) in cases {
        g.bench_function(format!("{name}: plain copy"), |b| {
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(json).as_bytes());
                black_box(out.len())
            })
        });
        g.bench_function(format!("{name}: storm style"), |b| {
            b.iter(|| {
                out.clear();
                write_storm_style(&mut out, black_box(json)).unwrap();
                black_box(out.len())
            })
        });
        g.bench_function(format!("{name}: fast scan only"), |b| {
            b.iter(|| black_box(storm_style_unchanged(black_box(json))))
        });
    }
    g.finish();
}

criterion_group!(benches, values);
criterion_main!(benches);
