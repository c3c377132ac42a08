//! Spout commands through the real binary and `wordcount::SentenceSpout`.

use serde_json::{Value, json};

use crate::util::*;

fn spout(cmds: &[&str]) -> Run {
    let dir = TempDir::new("spout");
    let mut input = handshake(dir.path(), "sentence-spout", 4, json!({}));
    input.push_str(&frames(cmds));
    let args = wordcount_args("SentenceSpout");
    run_host(&strs(&args), &input)
}

/// The messages after the pid, split into one group per `sync`.
fn answers(run: &Run) -> Vec<Vec<Value>> {
    let mut groups = vec![Vec::new()];
    for m in run.messages.iter().skip(1) {
        if m["command"] == "log" {
            continue;
        }
        if m["command"] == "sync" {
            groups.push(Vec::new());
        } else {
            groups.last_mut().unwrap().push(m.clone());
        }
    }
    groups.pop();
    groups
}

#[test]
fn every_command_gets_exactly_one_sync() {
    let run = spout(&[
        r#"{"command":"activate","id":""}"#,
        r#"{"command":"next","id":""}"#,
        r#"{"command":"ack","id":0}"#,
        r#"{"command":"frobnicate","id":""}"#,
        r#"{"command":"deactivate","id":""}"#,
        r#"{"command":"next"}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.commands("sync").len(), 6);
    let a = answers(&run);
    assert_eq!(a.len(), 6);
    assert!(a[0].is_empty() && a[2].is_empty() && a[3].is_empty() && a[4].is_empty());
    assert_eq!(a[1].len(), 1);
    assert_eq!(a[5].len(), 1);
}

#[test]
fn emits_are_reliable_with_unique_ids_cycling_the_sentences() {
    let next = r#"{"command":"next","id":""}"#;
    let run = spout(&[next, next, next, next, next]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let emits = run.commands("emit");
    let ids: Vec<&Value> = emits.iter().map(|e| &e["id"]).collect();
    assert_eq!(ids, [&json!(0), &json!(1), &json!(2), &json!(3), &json!(4)]);
    assert_eq!(
        emits[0]["tuple"], emits[4]["tuple"],
        "four sentences, then the cycle restarts"
    );
    assert_ne!(emits[0]["tuple"], emits[1]["tuple"]);
    for e in &emits {
        assert_eq!(e["need_task_ids"], json!(false));
        assert!(e.get("anchors").is_none());
    }
}

#[test]
fn failed_sentence_is_replayed_with_the_same_id_before_new_ones() {
    let next = r#"{"command":"next","id":""}"#;
    let run = spout(&[next, next, r#"{"command":"fail","id":0}"#, next, next]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let emits = run.commands("emit");
    assert_eq!(emits.len(), 4);
    assert_eq!(emits[2]["id"], json!(0));
    assert_eq!(emits[2]["tuple"], emits[0]["tuple"]);
    assert_eq!(emits[3]["id"], json!(2));
}

#[test]
fn spout_given_a_tuple_is_a_role_error() {
    let run = spout(&[r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["a"]}"#]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("is a spout"), "{}", run.stderr);
}

#[test]
fn bad_message_id_is_a_component_error() {
    // SentenceSpout's ids are numbers: an ack with a string id is its error, reported.
    let run = spout(&[r#"{"command":"ack","id":"not-a-number"}"#]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.commands("error").len(), 1);
    assert_eq!(
        run.commands("sync").len(),
        1,
        "a sync still ends the command"
    );
}
