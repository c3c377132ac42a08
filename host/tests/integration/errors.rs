//! Start-up failures and malformed input: clear messages, documented exit codes.

use serde_json::json;

use crate::util::*;

#[test]
fn plugin_not_found_lists_the_directories_searched() {
    let empty = TempDir::new("empty");
    let dir = empty.path().display().to_string();
    let run = run_host(&["--component", "nosuch::Thing", "--plugin-dir", &dir], "");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("libnosuch.so"), "{}", run.stderr);
    assert!(run.stderr.contains(&dir), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on the protocol stream");
}

#[test]
fn plugin_path_env_is_searched() {
    let dir = plugin_dir().display().to_string();
    let run = run_host_env(&["--list"], "", &[("SPARSE_PLUGIN_PATH", &dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("wordcount::WordCounter\tbolt"),
        "{}",
        run.stdout
    );
}

#[test]
fn component_not_found_lists_what_the_plugin_offers() {
    let args = wordcount_args("Nope");
    let run = run_host(&strs(&args), "");
    assert_eq!(run.code, 4, "{}", run.stderr);
    for c in ["SentenceSpout", "SentenceSplitter", "WordCounter"] {
        assert!(run.stderr.contains(c), "{}", run.stderr);
    }
}

#[test]
fn unsafe_or_malformed_names_are_refused() {
    for name in [
        "../x::Y",
        "a/b::C",
        "wordcount",
        "wordcount::",
        "::X",
        "word count::X",
        "x::Y/../Z",
    ] {
        let run = run_host(&["--component", name], "");
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("invalid component name"),
            "{name}: {}",
            run.stderr
        );
    }
}

#[test]
fn list_shows_kinds_and_outputs() {
    let dir = plugin_dir().display().to_string();
    let run = run_host(&["--list", "--plugin-dir", &dir], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wordcount::SentenceSpout\tspout\t{\"default\":{\"direct\":false,\"fields\":[\"sentence\"]}}"), "{}", run.stdout);
    assert!(
        run.stdout.contains("wordcount::SentenceSplitter\tbolt"),
        "{}",
        run.stdout
    );
}

#[test]
fn version_and_help() {
    let run = run_host(&["--version"], "");
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("sparse-host "));
    let run = run_host(&["--help"], "");
    assert!(run.stdout.contains("Exit codes"), "{}", run.stdout);
}

#[test]
fn bolt_given_spout_commands_is_a_role_error() {
    let dir = TempDir::new("role");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(&frames(&[r#"{"command":"next","id":""}"#]));
    let args = wordcount_args("SentenceSplitter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("is a bolt"), "{}", run.stderr);
}

fn bolt_with(input_after_handshake: &str) -> Run {
    let dir = TempDir::new("malformed");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(input_after_handshake);
    let args = wordcount_args("SentenceSplitter");
    run_host(&strs(&args), &input)
}

#[test]
fn malformed_json_is_a_protocol_error() {
    let run = bolt_with("{\"id\": \"1\", \"tuple\": [\nend\n");
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("protocol error"), "{}", run.stderr);
}

#[test]
fn end_of_input_mid_message_is_a_protocol_error() {
    let run = bolt_with("{\"id\":\"1\",\"comp\":\"s\"");
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr.contains("ended in the middle of a message"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_message_and_garbage_are_protocol_errors() {
    assert_eq!(bolt_with("end\n").code, 7);
    assert_eq!(bolt_with("hello\nend\n").code, 7);
    assert_eq!(
        bolt_with("{\"id\":\"1\"}\nend\n").code,
        7,
        "a tuple without its fields"
    );
}

#[test]
fn invalid_utf8_is_a_protocol_error() {
    let dir = TempDir::new("utf8");
    let input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    let mut bytes = input.into_bytes();
    bytes.extend_from_slice(b"{\"id\":\"1\",\"comp\":\"s\",\"stream\":\"default\",\"task\":1,\"tuple\":[\"\xff\"]}\nend\n");
    let args = wordcount_args("SentenceSplitter");
    // run_host takes &str: write the raw bytes through a child directly.
    use std::io::Write;
    let mut child = spawn_host(&args);
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}

#[test]
fn missing_or_bad_handshake_is_a_protocol_error() {
    let args = wordcount_args("SentenceSplitter");
    let run = run_host(&strs(&args), "");
    assert_eq!(run.code, 7);
    assert!(
        run.stderr.contains("before the handshake"),
        "{}",
        run.stderr
    );
    let run = run_host(&strs(&args), "[1,2]\nend\n");
    assert_eq!(run.code, 7);
    assert!(run.stderr.contains("handshake"), "{}", run.stderr);
}

#[test]
fn bad_log_setting_is_a_config_error_reported_to_storm_after_the_pid() {
    let dir = TempDir::new("badlog");
    let input = handshake(
        dir.path(),
        "sentence-splitter",
        5,
        json!({"streamparse.log.level": "loud"}),
    );
    let args = wordcount_args("SentenceSplitter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(run.messages[0].get("pid").is_some());
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["msg"]
            .as_str()
            .unwrap()
            .contains("streamparse.log.level"),
        "{:?}",
        errors[0]
    );
    assert!(run.stderr.contains("loud"), "{}", run.stderr);
}

#[test]
fn closed_stdout_is_an_io_error_not_a_hang() {
    let dir = TempDir::new("epipe");
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(&frames(&[
        r#"{"id":"1","comp":"s","stream":"default","task":1,"tuple":["a b"]}"#,
    ]));
    let args = wordcount_args("SentenceSplitter");
    let mut child = spawn_host(&args);
    drop(child.stdout.take()); // Storm's end of the pipe is gone
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Storm closes its end of a task's stderr pipe at shutdown: the host's own messages must
/// not panic (exit 101) but end with the exit code they mean.
#[test]
fn closed_stderr_pipe_does_not_change_the_exit_code() {
    let dir = TempDir::new("closed-stderr");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // every write to the child's stderr now fails with EPIPE
    let status = std::process::Command::new(host_bin())
        .args(["--component", "nope::Missing", "--plugin-dir"])
        .arg(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(3),
        "plugin not found, with a dead stderr"
    );
}

/// A message that never ends is refused once it passes the limit (exit 7, the size
/// named), instead of growing the host's memory without bound.
#[test]
fn a_message_past_the_frame_limit_is_a_protocol_error() {
    let dir = TempDir::new("frame-limit");
    let mut input = handshake(
        dir.path(),
        "sentence-splitter",
        5,
        json!({"sparse.max.frame.bytes": 4096}),
    );
    input.push_str(&"x".repeat(100_000));
    let run = run_host(&strs(&wordcount_args("SentenceSplitter")), &input);
    assert_eq!(run.code, 7, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("larger than 4096 bytes"),
        "{}",
        run.stderr
    );

    // The default limit (64 MiB) holds without any setting.
    let mut input = handshake(dir.path(), "sentence-splitter", 5, json!({}));
    input.push_str(&"y".repeat(65 * 1024 * 1024));
    let run = run_host(&strs(&wordcount_args("SentenceSplitter")), &input);
    assert_eq!(
        run.code,
        7,
        "stderr: {}",
        &run.stderr[..run.stderr.len().min(500)]
    );
    assert!(run.stderr.contains("larger than 67108864 bytes"));

    // A bad value is a configuration error naming the key.
    let input = handshake(
        dir.path(),
        "sentence-splitter",
        5,
        json!({"sparse.max.frame.bytes": "lots"}),
    );
    let run = run_host(&strs(&wordcount_args("SentenceSplitter")), &input);
    assert_eq!(run.code, 9, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("sparse.max.frame.bytes"),
        "{}",
        run.stderr
    );
}
