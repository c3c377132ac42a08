//! The emit path through a whole session, in process (issue 6): frames in from memory,
//! tuple parse, the call into a component through the C ABI, its emit and the auto-ack
//! written back into the session's output, which goes to `io::sink()`. No process, no
//! pipe: what is left is the host's and the plugin driver's own cost per tuple.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plugin_api::export::ComponentEntry;
use plugin_api::{Bolt, BoltOutput, Context, Emit, StreamDecl, Tuple, fields};
use sparse_host::plugin::Component;
use sparse_host::session::{Session, run_component};

const N: usize = 10_000;

/// Emits the input's raw values (no re-serialization).
struct RawRelay;

impl Bolt for RawRelay {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["value"])];
    fn initialize(_: &Context) -> plugin_api::Result<Self> {
        Ok(RawRelay)
    }
    fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        out.emit_values_of(&t, Emit::new())?;
        Ok(())
    }
}

/// Decodes the first value and emits it serialized again.
struct TypedRelay;

impl Bolt for TypedRelay {
    const OUTPUTS: &'static [StreamDecl] = &[fields(&["value"])];
    fn initialize(_: &Context) -> plugin_api::Result<Self> {
        Ok(TypedRelay)
    }
    fn process(&mut self, t: Tuple<'_>, out: &mut BoltOutput<'_>) -> plugin_api::Result {
        let v: &str = t.get(0)?;
        out.emit(&[v])?;
        Ok(())
    }
}

fn transcript(pid_dir: &std::path::Path) -> Vec<u8> {
    let hs = serde_json::json!({
        "conf": {"topology.name": "bench"},
        "pidDir": pid_dir,
        "context": {"taskid": 5, "componentid": "relay",
                    "stream->outputfields": {"default": ["value"]}},
    });
    let mut wire = format!("{hs}\nend\n").into_bytes();
    for i in 0..N {
        let id = (i as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64);
        wire.extend_from_slice(
            format!(
                "{{\"id\":\"{id}\",\"comp\":\"sentences\",\"stream\":\"default\",\"task\":4,\"tuple\":[\"holiday\"]}}\nend\n"
            )
            .as_bytes(),
        );
    }
    wire
}

fn component(entry: ComponentEntry) -> Component {
    let entry: &'static ComponentEntry = Box::leak(Box::new(entry));
    Component {
        vtable: Box::leak(Box::new(entry.vtable())),
    }
}

fn emit_path(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("sparse-emit-bench-{}", std::process::id()));
    let wire = transcript(&dir);
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(N as u64));
    for (name, comp) in [
        (
            "bolt tuple -> emit_values_of + ack",
            component(ComponentEntry::bolt::<RawRelay>("RawRelay")),
        ),
        (
            "bolt tuple -> get + emit + ack",
            component(ComponentEntry::bolt::<TypedRelay>("TypedRelay")),
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut s = Session::new(&wire[..], std::io::sink());
                let info = s.handshake().unwrap();
                black_box(run_component(s, comp, &info)).unwrap();
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, emit_path);
criterion_main!(benches);
