//! sparse's Storm serializer (`deploy/src/jar/java/org/sparse/storm/SparseSerializer.java`)
//! against Storm 2.8.3's own `JsonSerializer`, through a small Java program
//! (`storm/test-fixtures/fast-wire/FastWireCheck.java`), both compiled here:
//!
//! * Storm → component: Java writes the same bolt tuples, spout commands and task ids with
//!   both serializers; the Rust decoder must read the same values from both.
//! * component → Storm: Rust writes the same messages on both wires (as sparse-host does);
//!   Java decodes each with both serializers and compares every field, the Java class of
//!   every value and the tuple's `Arrays.deepHashCode` (what fields grouping uses).
//! * Garbage on the fast wire: the serializer throws an `IOException` that says what is
//!   wrong and where.
//!
//! Needs Java and Maven (`storm/fetch.sh`); fails without them under `CI=true`.

use std::path::Path;
use std::process::Command;

use sparse_protocol::component::{self, FrameKind, SpoutCommand, TupleView};
use sparse_protocol::fastwire::{self, EmitParts, StormMsg};
use sparse_protocol::frame::FrameReader;

use crate::repo_root;
use crate::run_wordcount::TempDir;
use crate::storm_support::{storm_available, storm_deps};

/// Compiles the serializer and the check program into `dir`; returns the classpath.
fn compile(dir: &Path) -> String {
    let lib = storm_deps().join("lib");
    let cp = format!("{}:{}/*", dir.display(), lib.display());
    let javac = Command::new("javac")
        .args(["-Xlint:all", "-Werror", "-cp", &cp, "-d"])
        .arg(dir)
        .arg(repo_root().join("deploy/src/jar/java/org/sparse/storm/SparseSerializer.java"))
        // The shell classes are compiled here too for their lints (-Xlint:all -Werror),
        // against Storm's real slf4j.
        .arg(repo_root().join("deploy/src/jar/java/org/sparse/storm/ShellComponent.java"))
        .arg(repo_root().join("deploy/src/jar/java/org/sparse/storm/SparseShellBolt.java"))
        .arg(repo_root().join("deploy/src/jar/java/org/sparse/storm/SparseShellSpout.java"))
        .arg(repo_root().join("storm/test-fixtures/fast-wire/FastWireCheck.java"))
        .output()
        .expect("javac runs");
    assert!(
        javac.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&javac.stderr)
    );
    cp
}

fn java(cp: &str, args: &[&str]) -> String {
    let out = Command::new("java")
        .args(["-cp", cp, "FastWireCheck"])
        .args(args)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The binary form of a JSON value: compares value for value (exact doubles, NaN included).
fn binary(json: &str) -> Vec<u8> {
    let mut b = Vec::new();
    fastwire::json_to_value(json, &mut b).unwrap_or_else(|e| panic!("{json}: {e}"));
    b
}

#[test]
fn storm_messages_read_the_same_on_both_wires() {
    if !storm_available("storm_messages_read_the_same_on_both_wires") {
        return;
    }
    let tmp = TempDir::new("fastwire-write");
    let cp = compile(&tmp.0);
    let (jf, bf) = (tmp.0.join("json.txt"), tmp.0.join("bin.dat"));
    java(&cp, &["write", jf.to_str().unwrap(), bf.to_str().unwrap()]);
    let json = std::fs::read(&jf).unwrap();
    let bin = std::fs::read(&bf).unwrap();
    let mut jr = FrameReader::new(&json[..]);
    let mut br = FrameReader::new(&bin[..]);
    let (mut jframe, mut bframe, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = (0, 0, 0);
    loop {
        let more = jr.read_frame(&mut jframe).unwrap();
        assert_eq!(more, br.read_sized_frame(&mut bframe).unwrap());
        if !more {
            break;
        }
        let jtext = std::str::from_utf8(&jframe).unwrap();
        let msg = fastwire::decode_storm_msg(&bframe, &mut scratch).unwrap();
        let text = |r: (usize, usize)| std::str::from_utf8(&scratch[r.0..r.1]).unwrap();
        match (component::frame_kind(&jframe), msg) {
            (
                FrameKind::Object,
                StormMsg::Tuple {
                    id,
                    comp,
                    stream,
                    task,
                    values,
                },
            ) => {
                let j = TupleView::parse(jtext).unwrap();
                assert_eq!(text(id), j.id);
                assert_eq!(comp, j.comp.as_deref());
                assert_eq!(stream, j.stream);
                assert_eq!(task, j.task);
                assert_eq!(binary(text(values)), binary(j.values), "{jtext}");
                seen.0 += 1;
            }
            (FrameKind::Object, StormMsg::Spout { command, id }) => {
                let j: SpoutCommand = serde_json::from_str(jtext).unwrap();
                assert_eq!(command, j.command);
                assert_eq!(binary(text(id)), binary(j.id.unwrap().get()), "{jtext}");
                seen.1 += 1;
            }
            (FrameKind::Array, StormMsg::TaskIds(ids)) => {
                assert_eq!(ids, component::parse_task_ids(jtext).unwrap());
                seen.2 += 1;
            }
            (k, m) => panic!("JSON {k:?} {jtext} but fast {m:?}"),
        }
    }
    assert_eq!(seen, (4, 4, 1));
}

/// One component message on both wires: the JSON sparse-host writes, and the fast frame.
fn both(json: &mut Vec<u8>, bin: &mut Vec<u8>, text: String, fast: impl FnOnce(&mut Vec<u8>)) {
    json.extend_from_slice(text.as_bytes());
    json.extend_from_slice(b"\nend\n");
    fast(bin);
}

#[test]
fn component_messages_decode_to_the_same_java_objects() {
    if !storm_available("component_messages_decode_to_the_same_java_objects") {
        return;
    }
    let tmp = TempDir::new("fastwire-read");
    let cp = compile(&tmp.0);
    let (mut json, mut bin) = (Vec::new(), Vec::new());
    let values = [
        r#"["snow",7,-1,2147483648,9007199254740993,-9223372036854775808,1.5,-0.0,1e300,1E-7,true,false,null]"#,
        r#"["line\u2028sep 😀 tab\t quote\" slash\/ back\\ \u0001","","日本語"]"#,
        r#"[[[1,"a"],[]],{"k":[1,2,"x"],"é/\"":null},123456789012345678901234567890]"#,
        "[]",
    ];
    let mut n = 0;
    for (i, v) in values.iter().enumerate() {
        let anchors = ["\"-6955786537413359385\"", "\"12\""];
        let stream = (i % 2 == 1).then_some("words");
        let task = (i == 2).then_some(9 + (1i64 << 32));
        let need = i == 0;
        let mut text = format!(
            r#"{{"command":"emit","tuple":{v},"anchors":[{}]"#,
            anchors[..i % 3].join(",")
        );
        if let Some(s) = stream {
            text += &format!(r#","stream":"{s}""#);
        }
        if let Some(t) = task {
            text += &format!(r#","task":{t}"#);
        } else if !need {
            text += r#","need_task_ids":false"#;
        }
        text += "}";
        both(&mut json, &mut bin, text, |b| {
            fastwire::write_emit(
                b,
                &EmitParts {
                    stream,
                    task,
                    // sparse-host leaves need_task_ids out (true) on direct emits.
                    need_task_ids: need || task.is_some(),
                    anchors: &anchors[..i % 3],
                    id: None,
                    values: v,
                },
            )
            .unwrap()
        });
        n += 1;
    }
    // A spout's reliable emit: the id comes back as the same Java object.
    let id = r#"{"seq":12345678901,"s":"x","l":[1,2.5]}"#;
    both(
        &mut json,
        &mut bin,
        format!(r#"{{"command":"emit","tuple":["a"],"id":{id},"need_task_ids":false}}"#),
        |b| {
            fastwire::write_emit(
                b,
                &EmitParts {
                    id: Some(id),
                    values: r#"["a"]"#,
                    ..Default::default()
                },
            )
            .unwrap()
        },
    );
    for (fail, id) in [(false, "\"-6955786537413359385\""), (true, "\"7\"")] {
        let cmd = if fail { "fail" } else { "ack" };
        both(
            &mut json,
            &mut bin,
            format!(r#"{{"command":"{cmd}","id":{id}}}"#),
            |b| fastwire::write_ack_fail(b, fail, id).unwrap(),
        );
    }
    both(
        &mut json,
        &mut bin,
        r#"{"command":"log","msg":"hello «log»","level":3}"#.into(),
        |b| fastwire::write_log(b, 3, "hello «log»"),
    );
    both(
        &mut json,
        &mut bin,
        r#"{"command":"error","msg":"boom\nline 2"}"#.into(),
        |b| fastwire::write_error(b, "boom\nline 2"),
    );
    both(
        &mut json,
        &mut bin,
        r#"{"command":"metrics","name":"m","params":{"v":[1,2]}}"#.into(),
        |b| fastwire::write_metrics(b, "m", r#"{"v":[1,2]}"#).unwrap(),
    );
    both(&mut json, &mut bin, r#"{"command":"sync"}"#.into(), |b| {
        fastwire::write_sync(b)
    });
    n += 7;
    // Garbage after the good messages, each read in turn.
    bin.extend_from_slice(&[0, 0, 0, 1, 0x7f]); // unknown kind
    bin.extend_from_slice(&[0, 0, 0, 3, 0x21, 0x55, 0]); // unknown value tag
    bin.extend_from_slice(&[0, 0, 0, 6, 0x24, 0, 0, 0, 9, b'x']); // string past the end
    bin.extend_from_slice(&[0, 0, 0, 2, 0x26, 0]); // trailing byte
    bin.extend_from_slice(b"{\"command\":\"sync\"}\nend\n"); // JSON on the fast wire

    let (jf, bf) = (tmp.0.join("json.txt"), tmp.0.join("bin.dat"));
    std::fs::write(&jf, &json).unwrap();
    std::fs::write(&bf, &bin).unwrap();
    let out = java(
        &cp,
        &[
            "read",
            jf.to_str().unwrap(),
            bf.to_str().unwrap(),
            &n.to_string(),
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    for l in &lines[..n] {
        assert!(l.starts_with("OK "), "{l}\nall:\n{out}");
    }
    // Storm's classes, as its JSON parser makes them.
    assert!(
        lines[0].contains("[String:snow,Integer:7,Integer:-1,Long:2147483648,Long:9007199254740993,Long:-9223372036854775808,Double:1.5,Double:-0.0,Double:1.0E300,Double:1.0E-7,Boolean:true,Boolean:false,null]"),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].contains("BigInteger:123456789012345678901234567890"),
        "{}",
        lines[2]
    );
    assert!(
        lines[4].contains("id={l:[Integer:1,Double:2.5],s:String:x,seq:Long:12345678901}"),
        "{}",
        lines[4]
    );
    let errs = &lines[n..];
    let json_len = format!("message length of {} bytes", u32::from_be_bytes(*b"{\"co"));
    let want = [
        "unknown message kind 0x7f (expected emit, ack, fail, log, error, metrics or sync) (at byte 0 of 1)",
        "unknown value tag 0x55 (at byte 1 of 3)",
        "it ends inside an error message (at byte 5 of 6)",
        "1 unexpected bytes after the message (at byte 1 of 2)",
        &json_len,
    ];
    assert_eq!(errs.len(), want.len(), "{out}");
    for (got, want) in errs.iter().zip(want) {
        assert!(got.starts_with("ERR sparse fast wire: "), "{got}");
        assert!(got.contains(want), "{got}\nwanted {want}");
    }
}

/// Extracts the entries under `prefix` of a zip into `dir` (prefix removed).
fn extract(zip_path: &Path, prefix: &str, dir: &Path) {
    let f = std::fs::File::open(zip_path).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().unwrap().into_owned();
        let Some(rel) = name.strip_prefix(prefix) else {
            continue;
        };
        if rel.is_empty() || e.is_dir() {
            continue;
        }
        let out = dir.join(rel);
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut w = std::fs::File::create(out).unwrap();
        std::io::copy(&mut e, &mut w).unwrap();
    }
}

/// Rust spout → Storm's own Python `storm.py` splitter (flux-core's `splitsentence.py`) →
/// Rust counters, in LocalCluster with sparse's serializer on: the Rust tasks speak the fast
/// wire, the Python one stays on JSON through the same serializer class, and every sentence
/// is counted with none failed.
///
/// `sparse jar` builds the Rust bolts as sparse's `SparseShellBolt` and the spout as its
/// `SparseShellSpout` (checked here). The
/// Python splitter takes the Rust splitter's place in the YAML and keeps that class, so
/// this also runs sparse's shell bolt against a foreign multi-lang component on JSON
/// (`storm.py`: its heartbeats, syncs and anchored emits). A Python bolt that `sparse jar`
/// writes itself gets Storm's `FluxShellBolt` (`deploy/src/jar/tests.rs`).
#[test]
fn storm_mixed_topology_python_between_rust_on_the_fast_wire() {
    use crate::storm_support::{
        assert_fast_wire, counted_words, ensure_binaries, flux_core_jar, of, sparse_jar,
        storm_lock, task_logs,
    };
    if !storm_available("storm_mixed_topology_python_between_rust_on_the_fast_wire") {
        return;
    }
    ensure_binaries();
    let tmp = TempDir::new("storm-mixed");
    let logs = tmp.0.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let opts = [
        "topology.subprocess.timeout.secs=10".to_string(),
        "topology.max.spout.pending=200".to_string(),
        format!("streamparse.log.path={}", logs.display()),
    ];
    let mut args = vec!["-n", "wordcount.yaml", "--no-flux-core"];
    args.extend(opts.iter().flat_map(|o| ["-o", o.as_str()]));
    let jar = sparse_jar(&args, &tmp.0.join("wordcount.jar"));

    // The splitter becomes Python: the YAML's command, and the programs in resources/.
    let yaml = std::fs::read_to_string(jar.with_extension("yaml")).unwrap();
    let rust_splitter =
        "  - - sh\n    - sparse-host.sh\n    - --component\n    - wordcount::SentenceSplitter\n";
    assert!(yaml.contains(rust_splitter), "{yaml}");
    assert!(
        yaml.contains("topology.multilang.serializer: org.sparse.storm.SparseSerializer"),
        "{yaml}"
    );
    // Both bolts (splitter and counter) are sparse's shell bolt, the spout sparse's spout.
    let count = |class: &str| yaml.matches(&format!("className: {class}\n")).count();
    assert_eq!(count("org.sparse.storm.SparseShellBolt"), 2, "{yaml}");
    assert_eq!(count("org.sparse.storm.SparseShellSpout"), 1, "{yaml}");
    let yaml = yaml.replace(rust_splitter, "  - - python3\n    - splitsentence.py\n");
    let mixed_yaml = tmp.0.join("mixed.yaml");
    std::fs::write(&mixed_yaml, yaml).unwrap();
    let resources = tmp.0.join("resources");
    extract(&jar, "resources/", &resources);
    let flux = flux_core_jar(&storm_deps());
    extract(&flux, "resources/", &resources);
    assert!(resources.join("splitsentence.py").is_file());
    assert!(resources.join("storm.py").is_file());

    let _g = storm_lock();
    let run_dir = tmp.0.join("run");
    let out = Command::new(repo_root().join("storm/run-local.sh"))
        .args(["--ttl", "25", "--run-dir"])
        .arg(&run_dir)
        .arg("--classpath")
        .arg(&jar)
        .arg(&mixed_yaml)
        .arg(&resources)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let storm_log = std::fs::read_to_string(run_dir.join("storm.log")).unwrap();
    let before = storm_log
        .split("STOPPING LOCAL MODE CLUSTER")
        .next()
        .unwrap();
    assert!(
        !before.contains("Halting process"),
        "a task died:\n{before}"
    );

    let tl = task_logs(&logs, "wordcount");
    let comps: Vec<&str> = tl.iter().map(|l| l.component.as_str()).collect();
    assert_eq!(comps.len(), 3, "only the Rust tasks log here: {comps:?}");
    assert_eq!(of(&tl, "sentence-spout").len(), 1);
    assert_eq!(of(&tl, "word-counter").len(), 2);
    assert_fast_wire(&tl);
    let spout = of(&tl, "sentence-spout")[0];
    assert!(
        !spout.lines.iter().any(|l| l.contains("failed; replaying")),
        "a sentence failed"
    );
    let words: u64 = counted_words(&of(&tl, "word-counter"));
    eprintln!("mixed topology in Storm: {words} words counted");
    assert!(
        words >= 2000,
        "{words} words counted through the Python splitter"
    );
}
