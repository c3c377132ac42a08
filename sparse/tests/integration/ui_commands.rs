//! `sparse stats`, `worker_uptime`, `slot_usage` and `tail -e` through the `sparse` binary,
//! against a loopback HTTP server that answers with responses recorded from a real Storm
//! 2.8.3 UI and logviewer (`storm/test-fixtures/ui-2.8.3/`, recorded from `storm/cluster.sh
//! --webapp-lib` running the wordcount topology; see `storm/README.md`). Also the errors:
//! nothing listening (the URL tried is named), an unknown topology, Storm's own error JSON.
//!
//! Storm's UI and logviewer (storm-webapp) are not on Maven Central, so the cluster test
//! cannot start them; these recorded answers are how CI checks the commands' reading of
//! Storm's JSON and HTML.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::repo_root;

const TOPO: &str = "wordcount-1-1795955937";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("storm/test-fixtures/ui-2.8.3").join(name)).unwrap()
}

/// A server on 127.0.0.1 answering `GET path?query` with `route(path_and_query)`: status,
/// content type, body. Stopped on drop.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
}

type Route = fn(&str, u16) -> (u16, &'static str, String);

impl Server {
    fn start(route: Route) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                // Skip the headers.
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let target = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, ctype, body) = route(&target, port);
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.flush();
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
            }
        });
        Server { port, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Storm 2.8.3's UI and logviewer on one port (the recorded workerLogLinks point at the
/// recording's logviewer port; the test rewrites them to this server).
fn storm(target: &str, port: u16) -> (u16, &'static str, String) {
    let json = "application/json";
    let relink = |s: String| s.replace("127.0.0.1:43497", &format!("127.0.0.1:{port}"));
    match target {
        "/api/v1/cluster/summary" => (200, json, fixture("cluster-summary.json")),
        "/api/v1/supervisor/summary" => (200, json, relink(fixture("supervisor-summary.json"))),
        "/api/v1/topology/summary" => (200, json, fixture("topology-summary.json")),
        t if t == format!("/api/v1/topology/{TOPO}") => (200, json, relink(fixture("topology.json"))),
        t if t == format!("/api/v1/topology/{TOPO}/component/word-counter") => {
            (200, json, relink(fixture("component-word-counter.json")))
        }
        t if t.starts_with(&format!("/api/v1/topology/{TOPO}/component/")) => (
            500,
            json,
            r#"{"error":"500 Server Error","errorMessage":"java.lang.NullPointerException\n\tat org.apache.storm.daemon.ui.UIHelpers"}"#.into(),
        ),
        t if t.starts_with("/api/v1/listLogs?") => (200, json, fixture("list-logs.json")),
        t if t.starts_with("/api/v1/log?") => {
            if t.contains("start=0&") {
                (200, "text/html", fixture("log-page.html"))
            } else {
                (400, "text/plain", "Cannot start past the end of the file".into())
            }
        }
        _ => (404, "text/html", "<html><head><title>Error 404 Not Found</title></head></html>".into()),
    }
}

fn project(ui_port: u16) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("topologies")).unwrap();
    let config = serde_json::json!({
        "topology_specs": "topologies/",
        "envs": {"prod": {"nimbus": "127.0.0.1:6627", "ui.port": ui_port}}
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    dir
}

fn sparse(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(args)
        .current_dir(dir)
        .env_remove("SPARSE_NIMBUS")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The line of `text` starting (after spaces) with `first`, split on whitespace.
fn row<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|t| t.first() == Some(&first))
        .unwrap_or_else(|| panic!("no row `{first}` in:\n{text}"))
}

#[test]
fn stats_reads_storms_ui_json() {
    let server = Server::start(storm);
    let p = project(server.port);
    let all = stdout(&sparse(p.path(), &["stats", "-e", "prod"]));
    assert_eq!(
        row(&all, "wordcount"),
        ["wordcount", "ACTIVE", "32m", "2s", "2", "7", "7", TOPO],
        "{all}"
    );
    let one = stdout(&sparse(
        p.path(),
        &["stats", "-e", "prod", "-n", "wordcount"],
    ));
    // Figures as the recorded topology page has them.
    assert_eq!(
        row(&one, "sentence-spout"),
        [
            "sentence-spout",
            "1",
            "1",
            "8379120",
            "8379120",
            "18.982",
            "8379920",
            "0"
        ],
        "{one}"
    );
    let counter = row(&one, "word-counter");
    assert_eq!(counter[..3], ["word-counter", "2", "2"], "{one}");
    assert!(one.contains("All time"), "{one}");
    let comp = stdout(&sparse(
        p.path(),
        &[
            "stats",
            "-e",
            "prod",
            "-n",
            "wordcount",
            "-c",
            "word-counter",
        ],
    ));
    assert!(comp.contains("Component word-counter (bolt)"), "{comp}");
    assert_eq!(row(&comp, "[7-7]")[1..3], ["127.0.0.1", "54475"], "{comp}");
    let json = stdout(&sparse(
        p.path(),
        &["stats", "-e", "prod", "-n", "wordcount", "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["spouts"][0]["acked"], 8379920);

    // Storm's error JSON: its errorMessage's first line, the URL, exit 5.
    let o = sparse(
        p.path(),
        &["stats", "-e", "prod", "-n", "wordcount", "-c", "nope"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains(&format!("/api/v1/topology/{TOPO}/component/nope answered HTTP 500: java.lang.NullPointerException")),
        "{err}"
    );
    // A topology that is not running: named, with the ones that are.
    let o = sparse(p.path(), &["stats", "-e", "prod", "-n", "other"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("no topology named `other`") && err.contains("(running: wordcount)"),
        "{err}"
    );
}

#[test]
fn worker_uptime_and_slot_usage() {
    let server = Server::start(storm);
    let p = project(server.port);
    let up = stdout(&sparse(p.path(), &["worker_uptime", "-e", "prod"]));
    let lines: Vec<&str> = up.lines().filter(|l| l.contains("wordcount")).collect();
    assert_eq!(lines.len(), 2, "{up}");
    assert!(
        lines[0].contains("54475") && lines[0].contains("31m 9s"),
        "{up}"
    );
    assert!(
        lines[1].contains("55541") && lines[1].contains("1867"),
        "{up}"
    );
    let slots = stdout(&sparse(p.path(), &["slot_usage", "-e", "prod"]));
    let r = row(&slots, "127.0.0.1");
    assert_eq!(r[2..5], ["2", "2", "0"], "{slots}");
    assert!(slots.contains("wordcount (2)"), "{slots}");
}

#[test]
fn tail_reads_task_logs_through_the_logviewer() {
    let server = Server::start(storm);
    let p = project(server.port);
    let out = stdout(&sparse(
        p.path(),
        &["tail", "-e", "prod", "-n", "wordcount", "-l", "2"],
    ));
    // Both workers list the recorded files; only the task log is shown, its last 2 lines,
    // unescaped.
    let expected = fixture("log-page.expected");
    let lines: Vec<&str> = expected.lines().collect();
    let expected_tail = &lines[lines.len().saturating_sub(2)..];
    for l in expected_tail {
        assert!(out.contains(l), "missing {l:?} in:\n{out}");
    }
    assert!(!out.contains("worker.log"), "{out}");
    assert!(out.contains("==> http://127.0.0.1:"), "{out}");
}

#[test]
fn unreachable_ui_names_the_url() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = project(port);
    for cmd in [
        vec!["stats", "-e", "prod"],
        vec!["worker_uptime", "-e", "prod"],
        vec!["slot_usage", "-e", "prod"],
        vec!["tail", "-e", "prod", "-n", "wordcount"],
    ] {
        let o = sparse(p.path(), &cmd);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(5), "{cmd:?}: {err}");
        assert!(
            err.contains(&format!("cannot reach http://127.0.0.1:{port}/api/v1/")),
            "{cmd:?}: {err}"
        );
    }
}

#[test]
fn local_tail_and_remove_logs() {
    let p = project(1);
    let logs = p.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let a = logs.join("streamparse_wordcount_word-counter_3_11.log");
    let b = logs.join("streamparse_other_spout_1_12.log");
    std::fs::write(&a, "one\ntwo\nthree\n").unwrap();
    std::fs::write(&b, "x\n").unwrap();
    let out = stdout(&sparse(p.path(), &["tail", "-n", "wordcount", "-l", "2"]));
    assert_eq!(out, format!("==> {} <==\ntwo\nthree\n", a.display()));

    // -f: lines appended later arrive, a new task's file too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sparse"))
        .args(["tail", "-f", "-n", "wordcount", "-l", "1"])
        .current_dir(p.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut next = |r: &mut BufReader<_>| {
        line.clear();
        r.read_line(&mut line).unwrap();
        line.clone()
    };
    assert!(next(&mut reader).starts_with("==> "));
    assert_eq!(next(&mut reader), "three\n");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&a)
        .unwrap()
        .write_all(b"four\n")
        .unwrap();
    assert_eq!(next(&mut reader), "four\n");
    let c: PathBuf = logs.join("streamparse_wordcount_word-counter_3_99.log");
    std::fs::write(&c, "restarted\n").unwrap();
    assert_eq!(next(&mut reader), "\n");
    assert_eq!(next(&mut reader), format!("==> {} <==\n", c.display()));
    assert_eq!(next(&mut reader), "restarted\n");
    child.kill().unwrap();
    child.wait().unwrap();

    let out = stdout(&sparse(p.path(), &["remove_logs", "-n", "wordcount"]));
    assert!(out.starts_with("Removed 2 task log file(s)"), "{out}");
    assert!(!a.exists() && !c.exists() && b.exists());
    let o = sparse(p.path(), &["remove_logs", "-e", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("logviewer has no call that deletes"));
}
