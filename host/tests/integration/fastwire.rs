//! The fast wire through the real binary: offered in the handshake, accepted in the pid
//! reply, then binary both ways; declined with `SPARSE_WIRE=json`; garbage is fatal.
use serde_json::{Value, json};
use sparse_protocol::fastwire;
use sparse_protocol::shell::ShellMsg;

use crate::util::*;

/// A setup message offering the fast wire.
fn offer(pid_dir: &std::path::Path, component: &str) -> Vec<u8> {
    let hs = handshake(pid_dir, component, 5, json!({}));
    let mut v: Value = serde_json::from_str(hs.trim_end_matches("\nend\n")).unwrap();
    v[fastwire::OFFER_KEY] = json!(fastwire::WIRE_NAME);
    format!("{v}\nend\n").into_bytes()
}

struct BinRun {
    code: i32,
    pid_reply: Value,
    msgs: Vec<ShellMsg>,
    rest: Vec<u8>,
    stderr: String,
}

fn run_bin(component: &str, input: &[u8], env: &[(&str, &str)]) -> BinRun {
    let out = run_host_bytes(&strs(&wordcount_args(component)), input, env);
    let end = out
        .stdout
        .windows(5)
        .position(|w| w == b"\nend\n")
        .expect("a JSON pid reply first");
    let pid_reply = serde_json::from_slice(&out.stdout[..end]).unwrap();
    let rest = out.stdout[end + 5..].to_vec();
    let mut msgs = Vec::new();
    if pid_reply_accepts(&pid_reply) {
        let mut r = sparse_protocol::frame::FrameReader::new(&rest[..]);
        let mut f = Vec::new();
        while r.read_sized_frame(&mut f).expect("well-framed output") {
            let m = fastwire::decode_shell_msg(&f).expect("valid fast-wire output");
            // Log records (the host's own start-up and end lines) are not what is asserted.
            if !matches!(m, ShellMsg::Log { .. }) {
                msgs.push(m);
            }
        }
    }
    BinRun {
        code: out.status.code().unwrap_or(-1),
        pid_reply,
        msgs,
        rest,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn pid_reply_accepts(v: &Value) -> bool {
    v[fastwire::OFFER_KEY] == fastwire::WIRE_NAME
}

fn tuple(id: &str, comp: Option<&str>, stream: &str, task: i64, values: &str) -> Vec<u8> {
    let mut out = Vec::new();
    fastwire::write_bolt_tuple(&mut out, id, comp, stream, task, values).unwrap();
    out
}

#[test]
fn a_bolt_accepts_the_offer_and_speaks_binary() {
    let dir = TempDir::new("fast-bolt");
    let mut input = offer(dir.path(), "sentence-splitter");
    input.extend(tuple("-4", None, "__heartbeat", -1, "[]"));
    input.extend(tuple(
        "-6955786537413359385",
        Some("sentence-spout"),
        "default",
        4,
        r#"["Snow white, and the «seven» dwarfs!"]"#,
    ));
    let run = run_bin("SentenceSplitter", &input, &[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(pid_reply_accepts(&run.pid_reply), "{}", run.pid_reply);
    assert!(run.pid_reply["pid"].is_u64());
    let names: Vec<&str> = run.msgs.iter().map(|m| m.command()).collect();
    assert_eq!(
        names.first(),
        Some(&"sync"),
        "heartbeat answered: {names:?}"
    );
    let mut words = Vec::new();
    for m in &run.msgs {
        if let ShellMsg::Emit(e) = m {
            assert_eq!(e.anchors, ["-6955786537413359385"]);
            assert!(!e.need_task_ids);
            assert_eq!(e.stream(), "default");
            let v: Value = serde_json::from_str(e.tuple.as_ref().unwrap().get()).unwrap();
            words.push(v[0].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(words, ["Snow", "white", "and", "the", "«seven»", "dwarfs"]);
    let ShellMsg::Ack { id } = run.msgs.last().unwrap() else {
        panic!("last is the ack: {names:?}")
    };
    assert_eq!(id.get(), "\"-6955786537413359385\"");
}

#[test]
fn a_spout_emits_reliably_and_gets_its_ids_back() {
    let dir = TempDir::new("fast-spout");
    let mut input = offer(dir.path(), "sentence-spout");
    fastwire::write_spout_command(&mut input, "next", None).unwrap();
    let run = run_bin("SentenceSpout", &input, &[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let ShellMsg::Emit(e) = &run.msgs[0] else {
        panic!("an emit first: {:?}", run.msgs)
    };
    let id =
        e.id.as_ref()
            .expect("a reliable emit carries an id")
            .get()
            .to_owned();
    assert!(matches!(run.msgs.last(), Some(ShellMsg::Sync)));

    // The id handed back on ack reaches the spout unchanged: it answers with just a sync.
    let mut input = offer(dir.path(), "sentence-spout");
    fastwire::write_spout_command(&mut input, "ack", Some(&id)).unwrap();
    fastwire::write_spout_command(&mut input, "activate", None).unwrap();
    let run = run_bin("SentenceSpout", &input, &[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let names: Vec<&str> = run.msgs.iter().map(|m| m.command()).collect();
    assert_eq!(names, ["sync", "sync"]);
}

#[test]
fn sparse_wire_json_declines_the_offer() {
    let dir = TempDir::new("fast-declined");
    let mut input = offer(dir.path(), "sentence-splitter");
    input.extend_from_slice(
        br#"{"id":"7","comp":"s","stream":"default","task":4,"tuple":["a b"]}
end
"#,
    );
    let run = run_bin("SentenceSplitter", &input, &[("SPARSE_WIRE", "json")]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(
        run.pid_reply.as_object().unwrap().len(),
        1,
        "{}",
        run.pid_reply
    );
    let text = String::from_utf8(run.rest).unwrap();
    let msgs: Vec<Value> = parse_messages(&text)
        .into_iter()
        .filter(|m| m["command"] != "log")
        .collect();
    assert_eq!(msgs.iter().filter(|m| m["command"] == "emit").count(), 2);
    assert_eq!(msgs.last().unwrap()["command"], "ack");
}

#[test]
fn garbage_on_the_fast_wire_is_a_clear_error_and_a_non_zero_exit() {
    let dir = TempDir::new("fast-garbage");
    for (bad, needle) in [
        (&b"{\"id\":\"1\"}\nend\n"[..], "larger than"),
        (
            &[0, 0, 0, 2, 0x10, 0][..],
            "bad fast-wire message from Storm",
        ),
        (
            &[0, 0, 0, 1, 0x77][..],
            "expected a tuple, spout command or task ids",
        ),
        (&[0, 0, 0, 9, 0x10][..], "1 of 9 bytes"),
    ] {
        let mut input = offer(dir.path(), "sentence-splitter");
        input.extend_from_slice(bad);
        let run = run_bin("SentenceSplitter", &input, &[]);
        assert_eq!(run.code, 7, "{needle}: stderr: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{needle}: stderr: {}",
            run.stderr
        );
    }
}
