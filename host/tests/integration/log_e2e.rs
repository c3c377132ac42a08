//! Logging through the real binary.

use serde_json::json;

use crate::util::*;

const LOG_3: &str = r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["log 3"]}"#;

#[test]
fn a_record_logged_in_the_wordcount_plugin_reaches_the_task_file() {
    let dir = TempDir::new("wclog");
    let logs = dir.path().join("logs");
    let input = counter_input(
        dir.path(),
        json!({"streamparse.log.path": logs, "streamparse.log.level": "debug"}),
    );
    let args = wordcount_args("WordCounter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pid = run.messages[0]["pid"].as_u64().unwrap();
    let file = logs.join(format!("streamparse_wordcount_word-counter_3_{pid}.log"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        text.contains("DEBUG word-counter:3 wordcount: counted storm = 1"),
        "{text}"
    );
    // Debug records stay in the file: only warnings and above go to Storm by default.
    assert!(run.commands("log").is_empty(), "{:?}", run.commands("log"));
}

#[test]
fn info_level_drops_debug_records() {
    let dir = TempDir::new("wcinfo");
    let logs = dir.path().join("logs");
    let input = counter_input(dir.path(), json!({"streamparse.log.path": logs}));
    let args = wordcount_args("WordCounter");
    let run = run_host(&strs(&args), &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pid = run.messages[0]["pid"].as_u64().unwrap();
    let text = std::fs::read_to_string(
        logs.join(format!("streamparse_wordcount_word-counter_3_{pid}.log")),
    )
    .unwrap();
    assert!(!text.contains("counted storm"), "{text}");
    assert!(text.contains("running wordcount::WordCounter"), "{text}");
}

#[test]
fn records_at_the_storm_level_are_sent_as_log_commands_after_the_pid() {
    let dir = TempDir::new("stormlog");
    let conf = json!({"streamparse.log.path": dir.path().join("logs"),
                      "streamparse.log.storm_level": "info"});
    let run = run_c_echo(dir.path(), &[], conf, json!({}), &[LOG_3]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.messages[0].get("pid").is_some(),
        "the pid reply comes first"
    );
    let from_plugin: Vec<_> = run
        .commands("log")
        .into_iter()
        .filter(|m| m["msg"].as_str().unwrap().contains("from the C plugin"))
        .collect();
    assert_eq!(from_plugin.len(), 3);
    assert!(
        from_plugin.iter().all(|m| m["level"] == 2),
        "Storm's INFO is 2"
    );
}

#[test]
fn no_log_path_sends_records_at_the_configured_level_to_storm() {
    let dir = TempDir::new("nopath");
    let log_2 = r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["log 2"]}"#;
    let run = run_c_echo(dir.path(), &[], json!({}), json!({}), &[log_2]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let n = run
        .commands("log")
        .iter()
        .filter(|m| m["msg"].as_str().unwrap().contains("from the C plugin"))
        .count();
    assert_eq!(n, 2);
}

#[test]
fn a_million_records_through_the_binary_rotate_within_bounds() {
    let dir = TempDir::new("million");
    let logs = dir.path().join("logs");
    let max_bytes: u64 = 64 * 1024;
    let backups: u64 = 3;
    let conf = json!({"streamparse.log.path": logs, "streamparse.log.max_bytes": max_bytes,
                      "streamparse.log.backup_count": backups});
    let million = r#"{"id":"1","comp":"x","stream":"default","task":1,"tuple":["log 1000000"]}"#;
    let run = run_c_echo(dir.path(), &[], conf, json!({}), &[million]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut total = 0;
    let mut longest = 0;
    let mut base = String::new();
    let entries: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len() as u64, backups + 1, "{entries:?}");
    for path in &entries {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.ends_with('\n'), "{} ends mid-record", path.display());
        for line in text.lines() {
            assert!(
                line.contains(" INFO  echo:2 c_plugin: ") || line.contains("sparse_host"),
                "not a whole record: {line:?}"
            );
            longest = longest.max(line.len() as u64 + 1);
        }
        assert!(
            text.len() as u64 <= max_bytes,
            "{} is {} bytes",
            path.display(),
            text.len()
        );
        total += text.len() as u64;
        if path.extension().is_some_and(|e| e == "log") {
            base = text;
        }
    }
    assert!(
        total <= max_bytes * (backups + 1) + longest,
        "{total} bytes on disk"
    );
    assert!(
        base.contains("record 999999 of 1000000 from the C plugin"),
        "the newest record is in the base file"
    );
}

#[test]
fn sigterm_flushes_the_log_and_exits_143() {
    use std::io::Write;
    let dir = TempDir::new("sigterm");
    let logs = dir.path().join("logs");
    let input = counter_input(dir.path(), json!({"streamparse.log.path": logs}));
    let args = wordcount_args("WordCounter");
    let mut child = spawn_host(&args);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Wait for the ack: the task is now blocked reading stdin, which stays open.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("\"command\":\"ack\"") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "sparse-host closed stdout early");
        seen.extend_from_slice(&buf[..n]);
    }
    let pid = child.id();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    let file = logs.join(format!("streamparse_wordcount_word-counter_3_{pid}.log"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("received signal 15: stopping"), "{text}");
}
