//! Bolt traffic through the real binary and the wordcount plugin.

use serde_json::json;

use crate::util::*;

fn splitter(input_msgs: &[&str]) -> (TempDir, Run) {
    let dir = TempDir::new("bolt");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(&frames(input_msgs));
    let args = wordcount_args("SentenceSplitter");
    let run = run_host(&strs(&args), &input);
    (dir, run)
}

#[test]
fn handshake_replies_pid_first_and_creates_the_pid_file() {
    let (dir, run) = splitter(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let pid = run.messages[0]["pid"]
        .as_u64()
        .expect("first message is {\"pid\": N}");
    assert_eq!(run.messages[0].as_object().unwrap().len(), 1);
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec![pid.to_string()]);
    assert_eq!(
        std::fs::metadata(dir.path().join(pid.to_string()))
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn splits_anchors_and_acks() {
    let (_dir, run) = splitter(&[
        r#"{"id":"-6955786537413359385","comp":"sentence-spout","stream":"default","task":4,"tuple":["Snow white, and the seven dwarfs!"]}"#,
    ]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let emits = run.commands("emit");
    let words: Vec<&str> = emits
        .iter()
        .map(|e| e["tuple"][0].as_str().unwrap())
        .collect();
    assert_eq!(words, ["Snow", "white", "and", "the", "seven", "dwarfs"]);
    for e in &emits {
        assert_eq!(e["anchors"], json!(["-6955786537413359385"]));
        assert_eq!(
            e["need_task_ids"],
            json!(false),
            "emits default to need_task_ids false"
        );
        assert!(e.get("stream").is_none());
    }
    assert_eq!(run.commands("ack").len(), 1);
    assert_eq!(run.commands("ack")[0]["id"], "-6955786537413359385");
    // The ack comes after every emit.
    assert_eq!(run.command_names().last().unwrap(), "ack");
}

#[test]
fn heartbeat_gets_exactly_one_sync_and_is_never_acked() {
    let (_dir, run) = splitter(&[
        r#"{"id":"-1","comp":null,"stream":"__heartbeat","task":-1,"tuple":[]}"#,
        r#"{"id":"-2","comp":"1","stream":"__heartbeat","task":-1,"tuple":[]}"#,
    ]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.command_names(), ["sync", "sync"]);
}

#[test]
fn tick_is_acked_and_not_processed_as_a_sentence() {
    let (_dir, run) =
        splitter(&[r#"{"id":"9","comp":"__system","stream":"__tick","task":-1,"tuple":[10]}"#]);
    assert_eq!(run.code, 0);
    assert!(run.commands("emit").is_empty());
    assert_eq!(run.commands("ack")[0]["id"], "9");
}

#[test]
fn sentence_without_words_is_failed_not_acked() {
    let (_dir, run) =
        splitter(&[r#"{"id":"7","comp":"s","stream":"default","task":4,"tuple":[" ?. ,!"]}"#]);
    assert_eq!(run.code, 0);
    assert_eq!(run.commands("fail")[0]["id"], "7");
    assert!(run.commands("ack").is_empty());
}

#[test]
fn non_string_value_reports_error_fails_and_exits_non_zero() {
    let (_dir, run) = splitter(&[
        r#"{"id":"1","comp":"s","stream":"default","task":4,"tuple":[42]}"#,
        r#"{"id":"2","comp":"s","stream":"default","task":4,"tuple":["never processed"]}"#,
    ]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1);
    let msg = errors[0]["msg"].as_str().unwrap();
    assert!(
        msg.contains("SentenceSplitter") && msg.contains("value 0"),
        "{msg}"
    );
    assert_eq!(run.commands("fail")[0]["id"], "1");
    assert!(run.commands("emit").is_empty());
    assert!(run.stderr.contains("component failed"), "{}", run.stderr);
}

#[test]
fn word_counter_counts_and_emits_pairs() {
    let dir = TempDir::new("count");
    let mut input = handshake(dir.path(), "word-counter", 3, json!({}));
    for (i, w) in ["a", "b", "a", "a"].iter().enumerate() {
        input.push_str(&frames(&[&format!(
            r#"{{"id":"{i}","comp":"sentence-splitter","stream":"default","task":5,"tuple":["{w}"]}}"#
        )]));
    }
    let args = wordcount_args("WordCounter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pairs: Vec<_> = run
        .commands("emit")
        .iter()
        .map(|e| e["tuple"].clone())
        .collect();
    assert_eq!(
        pairs,
        [
            json!(["a", 1]),
            json!(["b", 1]),
            json!(["a", 2]),
            json!(["a", 3])
        ]
    );
}

#[test]
fn pretty_printed_multi_line_input_and_crlf_are_accepted() {
    let dir = TempDir::new("multiline");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str("{\r\n  \"id\": \"5\",\r\n  \"comp\": \"s\",\r\n  \"stream\": \"default\",\r\n  \"task\": 1,\r\n  \"tuple\": [\"two words\"]\r\n}\r\nend\r\n");
    let args = wordcount_args("SentenceSplitter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.commands("emit").len(), 2);
}

#[test]
fn messages_split_across_reads_are_reassembled() {
    use std::io::Write;
    let dir = TempDir::new("trickle");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(&frames(&[
        r#"{"id":"5","comp":"s","stream":"default","task":1,"tuple":["trickled in slowly"]}"#,
    ]));
    let args = wordcount_args("SentenceSplitter");
    let mut child = spawn_host(&args);
    let mut stdin = child.stdin.take().unwrap();
    for chunk in input.as_bytes().chunks(7) {
        stdin.write_all(chunk).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let msgs = parse_messages(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(msgs.iter().filter(|m| m["command"] == "emit").count(), 3);
}

#[test]
fn non_ascii_and_escapes_round_trip() {
    let (_dir, run) = splitter(&[
        r#"{"id":"5","comp":"s","stream":"default","task":1,"tuple":["sn\u00f8w \/ \u2603 \"q\" 𝄞"]}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let words: Vec<String> = run
        .commands("emit")
        .iter()
        .map(|e| e["tuple"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(words, ["snøw", "/", "☃", "\"q\"", "𝄞"]);
}

#[test]
fn unsolicited_task_ids_are_ignored() {
    let (_dir, run) = splitter(&[
        "[1, 2]",
        r#"{"id":"5","comp":"s","stream":"default","task":1,"tuple":["one"]}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.commands("emit").len(), 1);
}

/// Storm 2.8 writes `/` as `\/`, some characters as `\uXXXX` and may send surrogate pairs:
/// every word still reads (as `&str`) and is emitted decoded.
#[test]
fn reads_strings_as_storm_escapes_them() {
    let (_dir, run) = splitter(&[
        r#"{"id":"1","comp":"sentence-spout","stream":"default","task":4,"tuple":["and\/or C:\\tmp \"q\" caf\u00e9 \ud83d\ude00 x\u2028y"]}"#,
    ]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let words: Vec<&str> = run
        .commands("emit")
        .iter()
        .map(|e| e["tuple"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        words,
        [
            "and/or",
            "C:\\tmp",
            "\"q\"",
            "café",
            "\u{1F600}",
            "x\u{2028}y"
        ]
    );
    assert_eq!(run.commands("ack").len(), 1);
}

/// An emit whose number of values differs from the stream's declared fields is refused,
/// as Storm would refuse it; the error names the task, stream, fields and count.
#[test]
fn refuses_an_emit_with_the_wrong_number_of_values() {
    let dir = TempDir::new("arity");
    let hs = json!({
        "conf": {"topology.name": "wordcount"},
        "pidDir": dir.path(),
        "context": {
            "task->component": {"5": "sentence-splitter"},
            "taskid": 5,
            "componentid": "sentence-splitter",
            "stream->outputfields": {"default": ["word", "position"]},
        },
    });
    let input = format!(
        "{hs}\nend\n{}",
        frames(&[
            r#"{"id":"7","comp":"sentence-spout","stream":"default","task":4,"tuple":["snow white"]}"#
        ])
    );
    let run = run_host(&strs(&wordcount_args("SentenceSplitter")), &input);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(run.commands("emit").is_empty());
    assert_eq!(run.commands("fail").len(), 1);
    let errors = run.commands("error");
    let msg = errors[0]["msg"].as_str().unwrap();
    for part in [
        "sentence-splitter:5",
        "emit of 1 value to stream \"default\" refused",
        "declares 2 fields [word, position]",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg:?}");
    }
}
