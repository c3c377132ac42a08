//! `topologies/kafka_wordcount.clj` for real: a KRaft Kafka broker from `storm/kafka.sh`,
//! the topology jar from `sparse jar` (storm-kafka-client and kafka-clients resolved by
//! Maven from `jvm_dependencies` and packed), run in Storm's LocalCluster by
//! `storm/run-local.sh`.
//!
//! Sentences (with `/`, quotes and non-ASCII) produced to a 2-partition topic must be
//! counted exactly as produced, and the consumer group's committed offsets must reach the
//! end of every partition. (Killing a `sparse-host` mid-run is not covered here: in
//! LocalCluster the dead ShellBolt "halts" the in-process worker without ending the JVM.)

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::repo_root;
use crate::run_wordcount::{TempDir, ensure_release_binaries, target_dir};
use crate::storm_support::{of, storm_available, storm_deps, storm_lock, task_logs};

pub(crate) const TOPO: &str = "kafka_wordcount";
pub(crate) const GROUP: &str = "kafka-wordcount";

/// The broker of one test, stopped on drop.
pub(crate) struct Broker {
    pub(crate) dir: PathBuf,
}

impl Broker {
    pub(crate) fn kafka(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = Command::new(repo_root().join("storm/kafka.sh"));
        cmd.args(args)
            .env("KAFKA_DIR", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("storm/kafka.sh runs");
        {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            if let Some(s) = stdin {
                input.write_all(s.as_bytes()).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "kafka.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("storm/kafka.sh"))
            .arg("stop")
            .env("KAFKA_DIR", &self.dir)
            .output();
    }
}

/// A port whose successor is free too (the broker's controller listens there).
pub(crate) fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free port pair");
}

pub(crate) fn sentences(batch: &str, n: usize) -> Vec<String> {
    let special = [
        "and/or a/b path/to/x",
        "she said \"hi\" and 'bye'",
        "café naïve € 日本語 Ünïcödé 😀",
    ];
    (0..n)
        .map(|i| {
            if i % 4 == 3 {
                format!("{} {batch}{i}", special[i % 3])
            } else {
                format!("sentence {batch}{i} of the {batch} batch")
            }
        })
        .collect()
}

pub(crate) fn expected(sentences: &[String]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for s in sentences {
        for w in s.split(' ').filter(|w| !w.is_empty()) {
            *m.entry(w.to_string()).or_insert(0) += 1;
        }
    }
    m
}

/// Every word's count: in each counter task log the highest `counted WORD = N`, summed
/// over the logs (a word goes to one counter task per run; a restarted topology counts
/// from zero again in new task logs).
pub(crate) fn counts(logs: &Path) -> BTreeMap<String, u64> {
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    if !logs.exists() {
        return total;
    }
    for l in of(&task_logs(logs, TOPO), "word-counter") {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for line in &l.lines {
            let Some((word, n)) = line
                .split_once("counted ")
                .and_then(|(_, r)| r.rsplit_once(" = "))
            else {
                continue;
            };
            let Ok(n) = n.trim().parse::<u64>() else {
                continue;
            };
            let e = m.entry(word.to_string()).or_insert(0);
            *e = (*e).max(n);
        }
        for (w, n) in m {
            *total.entry(w).or_insert(0) += n;
        }
    }
    total
}

#[test]
fn storm_kafka_wordcount_counts_every_record_once() {
    if !storm_available("storm_kafka_wordcount_counts_every_record_once") {
        return;
    }
    ensure_release_binaries();
    let deps = storm_deps();
    let tmp = TempDir::new("storm-kafka");
    let port = free_port_pair();
    let broker = Broker {
        dir: tmp.0.join("kafka"),
    };
    broker.kafka(&["start", "--port", &port.to_string()], None);
    broker.kafka(&["topic", "sentences", "2"], None);

    // A project of our own: the repository's topology with this broker's address.
    let project = tmp.0.join("project");
    std::fs::create_dir_all(project.join("topologies")).unwrap();
    let src = std::fs::read_to_string(repo_root().join("topologies/kafka_wordcount.clj")).unwrap();
    assert!(src.contains("127.0.0.1:9092"));
    std::fs::write(
        project.join("topologies/kafka_wordcount.clj"),
        src.replace("127.0.0.1:9092", &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let repo_config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("config.json")).unwrap())
            .unwrap();
    let config = serde_json::json!({
        "topology_specs": "topologies/",
        "jvm_dependencies": repo_config["jvm_dependencies"],
        "storm_version": repo_config["storm_version"],
        "envs": {}
    });
    std::fs::write(project.join("config.json"), config.to_string()).unwrap();

    let logs = tmp.0.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let flux = crate::storm_support::flux_core_jar(&deps);
    let jar = tmp.0.join("kafka_wordcount.jar");
    let opts = [
        format!("streamparse.log.path={}", logs.display()),
        "streamparse.log.level=debug".to_string(),
        "topology.message.timeout.secs=120".to_string(),
        "topology.subprocess.timeout.secs=5".to_string(),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparse"));
    cmd.arg("jar")
        .arg("--config")
        .arg(project.join("config.json"))
        .args(["-n", TOPO, "--no-build", "--flux-core"])
        .arg(&flux)
        .arg("-O")
        .arg(&jar)
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir());
    for o in &opts {
        cmd.args(["-o", o]);
    }
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "sparse jar failed: {err}");
    assert!(
        err.contains("resolving 2 JVM dependencies with Maven"),
        "{err}"
    );
    // Nothing of the worker's class path (storm-client and its dependencies) is packed
    // twice: not kafka-clients' slf4j-api, not flux-core's shaded copy of it.
    let z = zip::ZipArchive::new(std::fs::File::open(&jar).unwrap()).unwrap();
    let names: Vec<String> = z.file_names().map(|n| n.unwrap().into_owned()).collect();
    for prefix in ["org/slf4j/", "org/apache/logging/log4j/", "org/jspecify/"] {
        assert!(
            !names.iter().any(|n| n.starts_with(prefix)),
            "{prefix} packed in the jar"
        );
    }
    assert!(
        names
            .iter()
            .any(|n| n == "org/apache/storm/kafka/spout/KafkaSpout.class")
    );

    let first = sentences("a", 80);
    broker.kafka(&["produce", "sentences"], Some(&(first.join("\n") + "\n")));

    let _g = storm_lock();
    let out = Command::new(repo_root().join("storm/run-local.sh"))
        .args(["--ttl", "45", "--run-dir"])
        .arg(tmp.0.join("run"))
        .arg(jar.with_extension("yaml"))
        .arg(&jar)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run-local: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log = std::fs::read_to_string(tmp.0.join("run/storm.log")).unwrap_or_default();
    assert!(log.contains("KafkaSpout"), "the JVM spout ran");

    // Every word counted exactly as produced: no loss, no duplicate.
    let want = expected(&first);
    let got = counts(&logs);
    for (w, n) in &want {
        assert_eq!(got.get(w), Some(n), "word {w:?}");
    }
    assert_eq!(got.len(), want.len(), "words never produced: {got:?}");
    // The consumer group committed every offset: only acked records are committed.
    let last = broker.kafka(&["offsets", GROUP], None);
    let rows: Vec<Vec<&str>> = last.lines().map(|l| l.split(' ').collect()).collect();
    // A partition that never got a record has no committed offset and is not listed; the
    // sum of the listed end offsets shows every record is in a listed partition.
    assert!(!rows.is_empty(), "no committed offsets");
    for r in &rows {
        assert!(
            r.len() == 5 && r[2] == r[3] && r[4] == "0",
            "committed != end: {last}"
        );
    }
    let total: u64 = rows.iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
    assert_eq!(total, first.len() as u64, "{last}");
}
