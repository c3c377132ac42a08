//! The C ABI: the header agrees with the Rust definitions; C plugins load and run; ABI
//! mismatches are refused with both versions named.

use std::collections::HashMap;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use plugin_api::abi::*;
use serde_json::json;

use crate::util::*;

#[test]
fn c_header_matches_rust_layout() {
    let dir = TempDir::new("layout");
    let exe = dir.path().join("abi_layout");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/abi_layout.c");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api/include");
    let ok = Command::new("cc")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(include)
        .arg(src)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(ok.success());
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
    let c: HashMap<&str, usize> = out
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    macro_rules! same {
        ($c:literal, $t:ty) => {
            assert_eq!(c[concat!($c, " size")], size_of::<$t>(), concat!("size of ", $c));
        };
        ($c:literal, $t:ty, $($cf:ident = $rf:ident),+) => {
            same!($c, $t);
            $(assert_eq!(c[concat!($c, ".", stringify!($cf))], offset_of!($t, $rf), concat!($c, ".", stringify!($cf)));)+
        };
    }
    same!("sp_str", SpStr, ptr = ptr, len = len);
    same!(
        "sp_tuple_v1",
        TupleV1,
        struct_size = struct_size,
        id = id,
        component = component,
        stream = stream,
        task = task,
        values = values
    );
    same!(
        "sp_emit_v1",
        EmitV1,
        struct_size = struct_size,
        stream = stream,
        values = values,
        anchors = anchors,
        anchor_count = anchor_count,
        message_id = message_id,
        direct_task = direct_task,
        need_task_ids = need_task_ids,
        task_ids_sink = task_ids_sink,
        task_ids_user = task_ids_user
    );
    same!(
        "sp_host_api_v1",
        HostApiV1,
        struct_size = struct_size,
        abi_major = abi_major,
        abi_minor = abi_minor,
        emit = emit,
        ack = ack,
        fail = fail,
        log = log,
        report_error = report_error,
        metrics = metrics,
        max_log_level = max_log_level
    );
    same!(
        "sp_component_v1",
        ComponentV1,
        struct_size = struct_size,
        name = name,
        kind = kind,
        outputs = outputs,
        create = create,
        destroy = destroy,
        process = process,
        tick = tick,
        next_tuple = next_tuple,
        ack = ack,
        fail = fail,
        activate = activate,
        deactivate = deactivate
    );
    same!(
        "sp_plugin_v1",
        PluginV1,
        struct_size = struct_size,
        abi_major = abi_major,
        abi_minor = abi_minor,
        plugin_name = plugin_name,
        plugin_version = plugin_version,
        build_info = build_info,
        components = components,
        component_count = component_count
    );
    // The header's constants too.
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api/include/sparse_plugin.h"),
    )
    .unwrap();
    assert!(header.contains(&format!("#define SP_ABI_MAJOR {ABI_MAJOR}\n")));
    assert!(header.contains(&format!("#define SP_ABI_MINOR {ABI_MINOR}\n")));
    assert!(header.contains(&format!("#define SP_ENTRY_SYMBOL \"{ENTRY_SYMBOL}\"")));
    for (name, v) in [
        ("SP_STATUS_OK", STATUS_OK),
        ("SP_STATUS_ERROR", STATUS_ERROR),
        ("SP_STATUS_PANIC", STATUS_PANIC),
        ("SP_STATUS_INVALID", STATUS_INVALID),
        ("SP_STATUS_HOST_FAILED", STATUS_HOST_FAILED),
    ] {
        assert!(header.contains(&format!("#define {name} {v}\n")), "{name}");
    }
}

fn echo(dir: &Path, defines: &[&str], msgs: &[&str], context: serde_json::Value) -> Run {
    run_c_echo(dir, defines, json!({}), context, msgs)
}

#[test]
fn a_c_plugin_runs_under_the_host() {
    let dir = TempDir::new("cplugin");
    let run = echo(
        dir.path(),
        &[],
        &[r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["a",{"b":[1,2]}]}"#],
        json!({}),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.commands("emit")[0]["tuple"],
        json!(["a", {"b": [1, 2]}])
    );
    assert_eq!(run.commands("emit")[0]["anchors"], json!(["1"]));
    assert_eq!(run.commands("ack")[0]["id"], "1");
}

#[test]
fn task_ids_and_tuples_are_kept_in_two_queues() {
    let dir = TempDir::new("queues");
    let run = echo(
        dir.path(),
        &[],
        &[
            r#"{"id":"A","comp":"x","stream":"default","task":1,"tuple":["ids"]}"#,
            r#"{"id":"B","comp":"x","stream":"default","task":1,"tuple":["plain"]}"#,
            r#"{"id":"-9","comp":null,"stream":"__heartbeat","task":-1,"tuple":[]}"#,
            "[3, 4]",
        ],
        json!({}),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seq: Vec<String> = run
        .messages
        .iter()
        .skip(1)
        .filter(|m| m["command"] != "log")
        .map(|m| {
            format!(
                "{} {}",
                m["command"].as_str().unwrap(),
                if m["command"] == "emit" {
                    m["tuple"].to_string()
                } else {
                    m["id"].to_string()
                }
            )
        })
        .collect();
    assert_eq!(
        seq,
        [
            r#"emit ["x"]"#,
            r#"emit ["ids","3,4"]"#,
            r#"ack "A""#,
            r#"emit ["plain"]"#,
            r#"ack "B""#,
            "sync null",
        ]
    );
    // The emit that asked for ids does not say need_task_ids:false; the others do.
    let emits = run.commands("emit");
    assert!(emits[0].get("need_task_ids").is_none());
    assert_eq!(emits[1]["need_task_ids"], json!(false));
}

#[test]
fn stdout_prints_in_a_component_do_not_reach_the_protocol() {
    let dir = TempDir::new("print");
    let run = echo(
        dir.path(),
        &[],
        &[r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["print"]}"#],
        json!({}),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("garbage"), "{}", run.stdout);
    assert!(
        run.stderr.contains("garbage printed by a C component"),
        "{}",
        run.stderr
    );
    assert_eq!(run.commands("emit")[0]["tuple"], json!(["printed"]));
}

#[test]
fn emit_to_an_undeclared_stream_is_refused() {
    let dir = TempDir::new("stream");
    let run = echo(
        dir.path(),
        &[],
        &[r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["stream nope"]}"#],
        json!({"stream->outputfields": {"default": ["a", "b"]}}),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.commands("emit").is_empty());
    assert_eq!(run.commands("fail")[0]["id"], "1");
    let logged = run.commands("log").iter().any(|m| {
        m["msg"]
            .as_str()
            .unwrap()
            .contains("undeclared stream \"nope\"")
    });
    assert!(logged, "{:?}", run.messages);
}

#[test]
fn direct_emits_carry_the_task_plus_2_pow_32() {
    // Storm >= 2.6 kills a component whose `task` parses as Integer; task + 2^32 parses as
    // Long and Storm emits to `(int) task`, i.e. task 7 (found by running Storm 2.8.3).
    let dir = TempDir::new("direct");
    let run = echo(
        dir.path(),
        &[],
        &[
            r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["direct 7"]}"#,
            r#"{"id":"2","comp":"x","stream":"default","task":1,"tuple":["direct -3"]}"#,
        ],
        json!({}),
    );
    let emits = run.commands("emit");
    assert_eq!(emits.len(), 1, "{:?}", run.messages);
    assert_eq!(emits[0]["task"], json!(4_294_967_303_i64));
    assert!(
        emits[0].get("need_task_ids").is_none(),
        "direct emits never get task ids"
    );
    // A negative task is refused before it reaches Storm; the C bolt gives up on it.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("status 3"), "{}", run.stderr);
}

#[test]
fn abi_major_mismatch_names_both_versions() {
    let dir = TempDir::new("major");
    let run = echo(dir.path(), &["-DSP_TEST_MAJOR=2"], &[], json!({}));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("plugin ABI 2.0"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("ABI {ABI_MAJOR}.{ABI_MINOR}")),
        "{}",
        run.stderr
    );
}

#[test]
fn too_small_descriptor_is_refused() {
    let dir = TempDir::new("small");
    let run = echo(dir.path(), &["-DSP_TEST_SMALL"], &[], json!({}));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("is 24 bytes"), "{}", run.stderr);
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let dir = TempDir::new("nosym");
    let src = dir.path().join("x.c");
    std::fs::write(&src, "int not_a_plugin(void) { return 1; }\n").unwrap();
    let ok = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(dir.path().join("libnotplugin.so"))
        .arg(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    let d = dir.path().display().to_string();
    let run = run_host(&["--component", "notplugin::X", "--plugin-dir", &d], "");
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("sparse_plugin_v1"), "{}", run.stderr);
}
