//! The benchmark "floor" (issue 6): a minimal, naive multi-lang bolt with no plugin and no
//! host machinery, only `std` and `serde_json`. It answers the handshake, then for every
//! tuple writes the same emits and acks as the real components, and `sync` for heartbeats.
//!
//! ```text
//! floor_relay splitter      # like wordcount::SentenceSplitter (strip .,!? then split on spaces)
//! floor_relay passthrough   # like bench::Passthrough (emit the values unchanged)
//! floor_relay passthrough --flush-each   # flush after every input instead of before blocking
//! ```
//!
//! Naive on purpose: every frame is parsed into a `serde_json::Value` and every reply is
//! built as a `Value` and serialized. Output is buffered and flushed when stdin has no
//! buffered bytes left (that is, just before a read could block), the same policy as
//! `sparse-host`, so the comparison measures the plugin boundary and the protocol loop.

use std::io::{BufRead, BufReader, BufWriter, Write};

use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Splitter,
    Passthrough,
}

fn read_frame<R: BufRead>(input: &mut R, line: &mut String) -> Option<Value> {
    let mut text = String::new();
    loop {
        line.clear();
        if input.read_line(line).expect("reading stdin") == 0 {
            return None;
        }
        if line.trim_end_matches(['\n', '\r']) == "end" {
            return Some(serde_json::from_str(&text).expect("a JSON message"));
        }
        text.push_str(line);
    }
}

fn send<W: Write>(out: &mut W, msg: &Value) {
    serde_json::to_writer(&mut *out, msg).expect("writing stdout");
    out.write_all(b"\nend\n").expect("writing stdout");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.first().map(String::as_str) {
        Some("splitter") => Mode::Splitter,
        Some("passthrough") => Mode::Passthrough,
        _ => {
            eprintln!("usage: floor_relay splitter|passthrough [--flush-each]");
            std::process::exit(2);
        }
    };
    let flush_each = args.iter().any(|a| a == "--flush-each");
    let mut input = BufReader::with_capacity(64 * 1024, std::io::stdin().lock());
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut line = String::new();

    let Some(handshake) = read_frame(&mut input, &mut line) else {
        return;
    };
    let pid = std::process::id();
    if let Some(dir) = handshake["pidDir"].as_str() {
        let _ = std::fs::create_dir_all(dir);
        std::fs::File::create(std::path::Path::new(dir).join(pid.to_string()))
            .expect("creating the pid file");
    }
    send(&mut out, &json!({ "pid": pid }));
    out.flush().expect("writing stdout");

    loop {
        if flush_each || input.buffer().is_empty() {
            out.flush().expect("writing stdout");
        }
        let Some(msg) = read_frame(&mut input, &mut line) else {
            break;
        };
        if msg["task"] == -1 && msg["stream"] == "__heartbeat" {
            send(&mut out, &json!({ "command": "sync" }));
            continue;
        }
        let id = &msg["id"];
        match mode {
            Mode::Passthrough => {
                send(
                    &mut out,
                    &json!({ "command": "emit", "tuple": msg["tuple"], "anchors": [id], "need_task_ids": false }),
                );
            }
            Mode::Splitter => {
                let sentence = msg["tuple"][0].as_str().unwrap_or_default();
                let cleaned: String = sentence
                    .chars()
                    .filter(|c| !matches!(c, '.' | ',' | '!' | '?'))
                    .collect();
                let words: Vec<&str> = cleaned
                    .split(' ')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .collect();
                if words.is_empty() {
                    send(&mut out, &json!({ "command": "fail", "id": id }));
                    continue;
                }
                for word in words {
                    send(
                        &mut out,
                        &json!({ "command": "emit", "tuple": [word], "anchors": [id], "need_task_ids": false }),
                    );
                }
            }
        }
        send(&mut out, &json!({ "command": "ack", "id": id }));
    }
    out.flush().expect("writing stdout");
}
