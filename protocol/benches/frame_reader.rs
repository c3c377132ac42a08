//! Frame reader micro-benchmarks (issue 6): splitting `<json>\nend\n` frames out of a byte
//! stream, alone and followed by the borrowed parse a bolt host does on each frame.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sparse_protocol::component::{BoltTuple, SpoutCommand};
use sparse_protocol::frame::FrameReader;

const N: usize = 10_000;

fn bolt_input() -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..N {
        let id = (i as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64);
        wire.extend_from_slice(
            format!(
                "{{\"id\":\"{id}\",\"comp\":\"sentences\",\"stream\":\"default\",\"task\":4,\"tuple\":[\"I was very glad to get a present from her\"]}}\nend\n"
            )
            .as_bytes(),
        );
    }
    wire
}

fn spout_input() -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..N {
        if i % 3 == 2 {
            wire.extend_from_slice(format!("{{\"command\":\"ack\",\"id\":{i}}}\nend\n").as_bytes());
        } else {
            wire.extend_from_slice(b"{\"command\":\"next\",\"id\":\"\"}\nend\n");
        }
    }
    wire
}

fn frames(c: &mut Criterion) {
    let bolt = bolt_input();
    let spout = spout_input();
    let mut g = c.benchmark_group("frame_reader");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("bolt tuples: frames only", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            let mut r = FrameReader::new(&bolt[..]);
            let mut n = 0;
            while let Some(s) = r.read_frame_str(&mut buf).unwrap() {
                n += s.len();
            }
            black_box(n)
        })
    });
    g.bench_function("bolt tuples: frames + BoltTuple parse", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            let mut r = FrameReader::new(&bolt[..]);
            let mut n = 0;
            while let Some(s) = r.read_frame_str(&mut buf).unwrap() {
                let t: BoltTuple = serde_json::from_str(s).unwrap();
                n += t.tuple.get().len();
            }
            black_box(n)
        })
    });
    g.bench_function("spout commands: frames + SpoutCommand parse", |b| {
        let mut buf = Vec::with_capacity(256);
        b.iter(|| {
            let mut r = FrameReader::new(&spout[..]);
            let mut n = 0;
            while let Some(s) = r.read_frame_str(&mut buf).unwrap() {
                let c: SpoutCommand = serde_json::from_str(s).unwrap();
                n += c.command.len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
