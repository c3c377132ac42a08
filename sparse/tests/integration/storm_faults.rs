//! Faults on a real two-supervisor Storm cluster (`storm/cluster.sh --supervisors 2`),
//! run inside [`crate::storm_cluster`]'s test so the cluster starts once.
//!
//! The topology (`tests/fixtures/storm_faults/topologies/faults.clj`) runs in two workers,
//! one per supervisor: `interop::RecordingSpout` (ids `0..IDS`, each emit, ack and fail
//! recorded in a file that is also its durable state) → 2 splitters → 4 counters by fields
//! grouping. Should Storm put both workers on one supervisor, the test kills the topology
//! and submits it again (see [`SPREAD_ATTEMPTS`]). In order, on one submission:
//!
//! a. fields grouping across workers: counters of both workers count words, and every word
//!    is counted by exactly one counter task (their `counts {json}` log lines);
//! b. `kill -9` of one `sparse-host` bolt task in the worker without the spout: Storm
//!    restarts that worker (the dead ShellBolt halts it), the spout replays the tuple trees
//!    that timed out;
//! c. `kill -9` of the worker JVM holding the spout: its supervisor starts it again, its
//!    `sparse-host` children exit (stdin closed), and the new spout task resumes from its
//!    record;
//!
//! then every id `0..IDS` is acked at least once (none lost), and every word still maps to
//! one counter task; d. `sparse kill` leaves no process whose pid was in any pid folder of
//! the topology (every worker, restarted ones included).
//!
//! Figures (printed with `eprintln!`): per fault, the time until the task or worker ran
//! again, the longest stall of acks, the time until every id emitted before the restart
//! was acked, and the emits, fails and replays in that window; in total, ids, emits,
//! replays, fails and acks.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use interop::recording::{Record, record_path};

use crate::storm_cluster::{
    Cluster, alive, listed, pids_in, show, sparse, task_pids, wait_for, worker_dirs,
};

const TOPO: &str = "faults";
/// Ids the spout emits.
const IDS: u64 = 3000;
/// Emits per second (replays included): a run of about a minute without faults.
const PER_SEC: u64 = 50;
/// `topology.message.timeout.secs`: tuple trees lost with a worker fail after this.
const TIMEOUT_SECS: u64 = 10;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// One task log file: `streamparse_faults_<component>_<task>_<pid>.log`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TaskFile {
    component: String,
    task: i64,
    pid: i32,
    path: PathBuf,
}

fn task_files(logs: &Path) -> Vec<TaskFile> {
    task_files_of(logs, TOPO)
}

/// The task log files of topology `topo` in `logs`.
fn task_files_of(logs: &Path, topo: &str) -> Vec<TaskFile> {
    let mut out = Vec::new();
    for e in fs::read_dir(logs).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(&format!("streamparse_{topo}_"))
            .and_then(|r| r.strip_suffix(".log"))
        else {
            continue;
        };
        let mut parts: Vec<&str> = rest.rsplitn(3, '_').collect();
        parts.reverse();
        if let [component, task, pid] = parts[..]
            && let (Ok(task), Ok(pid)) = (task.parse(), pid.parse())
        {
            out.push(TaskFile {
                component: component.to_string(),
                task,
                pid,
                path: e.path(),
            });
        }
    }
    out.sort();
    out
}

/// Word → counter tasks whose last `counts {json}` line holds it.
fn word_tasks(logs: &Path) -> BTreeMap<String, BTreeSet<i64>> {
    let mut m: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for f in task_files(logs)
        .into_iter()
        .filter(|f| f.component == "counter")
    {
        let text = fs::read_to_string(&f.path).unwrap_or_default();
        let Some(json) = text.lines().rev().find_map(|l| l.split_once(" counts ")) else {
            continue;
        };
        let Ok(counts) = serde_json::from_str::<BTreeMap<String, u64>>(json.1) else {
            continue;
        };
        for w in counts.keys() {
            m.entry(w.clone()).or_default().insert(f.task);
        }
    }
    m
}

/// The supervisor (1, 2) whose live worker folder of `id` holds `pid` in `pids/`.
fn supervisor_of(cluster: &Path, id: &str, pid: i32) -> Option<u32> {
    worker_dirs(cluster, id)
        .into_iter()
        .find(|(_, w)| pids_in(w).contains(&pid))
        .map(|(k, _)| k)
}

/// The pid of a worker JVM (`<worker>/artifacts/worker.pid`).
fn worker_pid(worker: &Path) -> Option<i32> {
    fs::read_to_string(worker.join("artifacts/worker.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Figures of one fault, from the spout's record.
struct Recovery {
    what: &'static str,
    /// Kill → the killed task (or the spout of the killed worker) ran again.
    restarted_s: f64,
    /// The longest time without an ack after the kill.
    ack_stall_s: f64,
    /// Kill → every id emitted before the restart acked.
    recovered_s: f64,
    emits: u64,
    fails: u64,
    replays: u64,
}

impl Recovery {
    fn print(&self) {
        eprintln!(
            "[fault] {}: ran again after {:.1} s, longest ack stall {:.1} s, every id emitted before the restart acked {:.1} s after the kill; in that window {} emits, {} fails, {} replays",
            self.what,
            self.restarted_s,
            self.ack_stall_s,
            self.recovered_s,
            self.emits,
            self.fails,
            self.replays
        );
    }
}

/// Waits until every id emitted before `restart_ms` is acked, and measures the fault.
fn recovery(what: &'static str, record: &Path, kill_ms: u64, restart_ms: u64) -> Recovery {
    let r = wait_for("every id emitted before the restart acked", 240, || {
        let r = Record::read(record).ok()?;
        let before: BTreeSet<u64> = r
            .events
            .iter()
            .filter(|(ms, e, _)| *ms < restart_ms && (e == "emit" || e == "replay"))
            .map(|e| e.2)
            .collect();
        before.is_subset(&r.acked).then_some((r, before))
    });
    let (r, before) = r;
    let mut first_ack: BTreeMap<u64, u64> = BTreeMap::new();
    for (ms, e, id) in &r.events {
        if e == "ack" {
            first_ack.entry(*id).or_insert(*ms);
        }
    }
    let done_ms = before
        .iter()
        .map(|id| first_ack[id])
        .max()
        .unwrap_or(kill_ms)
        .max(kill_ms);
    let in_window = |e: &str| {
        r.events
            .iter()
            .filter(|(ms, k, _)| *ms >= kill_ms && *ms <= done_ms && k == e)
            .count() as u64
    };
    let mut acks: Vec<u64> = r
        .events
        .iter()
        .filter(|(ms, e, _)| e == "ack" && *ms >= kill_ms)
        .map(|e| e.0)
        .collect();
    acks.sort();
    let mut stall = 0;
    let mut last = kill_ms;
    for a in acks.iter().take_while(|a| **a <= done_ms.max(kill_ms)) {
        stall = stall.max(a - last);
        last = *a;
    }
    let secs = |ms: u64| ms as f64 / 1000.0;
    Recovery {
        what,
        restarted_s: secs(restart_ms - kill_ms),
        ack_stall_s: secs(stall),
        recovered_s: secs(done_ms - kill_ms),
        emits: in_window("emit") + in_window("replay"),
        fails: in_window("fail"),
        replays: in_window("replay"),
    }
}

/// Sends SIGKILL to `pid`.
fn kill9(pid: i32) {
    // SAFETY: a signal to a process this test found in the topology's pid folders.
    let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
    assert_eq!(rc, 0, "kill -9 {pid}: {}", std::io::Error::last_os_error());
}

/// Acks so far in the record.
fn acked(record: &Path) -> usize {
    Record::read(record).map_or(0, |r| r.acked.len())
}

/// See the [module docs](self).
/// Storm's default scheduler spreads the two workers over both supervisors, unless one of
/// them is missing from Nimbus's view when the topology is scheduled (seen once in CI on a
/// loaded machine: both workers on one supervisor). Then the topology is killed and
/// submitted again into a fresh folder, at most this many times in all.
const SPREAD_ATTEMPTS: u32 = 3;

/// A submitted `faults` topology: its project, task log and record folders and Storm id.
struct Submitted {
    project: PathBuf,
    logs: PathBuf,
    records: PathBuf,
    id: String,
}

/// Writes a project into `work` and submits `faults` to `cluster`.
fn submit_faults(cluster: &Cluster, work: &Path) -> Submitted {
    let project = work.join("project");
    let logs = work.join("task-logs");
    let records = work.join("records");
    fs::create_dir_all(project.join("topologies")).unwrap();
    fs::create_dir_all(&logs).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/storm_faults/topologies/faults.clj"),
        project.join("topologies/faults.clj"),
    )
    .unwrap();
    let config = serde_json::json!({
        "topology_specs": "topologies/",
        "envs": {
            "cluster": {
                "nimbus": cluster.nimbus,
                "log": {"path": logs, "level": "info", "max_bytes": 10_000_000},
                "options": {
                    "topology.workers": 2,
                    "topology.max.spout.pending": 100,
                    "topology.message.timeout.secs": TIMEOUT_SECS,
                    "interop.ids": IDS,
                    "interop.emit_per_sec": PER_SEC,
                    "interop.record_dir": records,
                }
            }
        }
    });
    fs::write(
        project.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    let o = sparse(
        &project,
        cluster,
        &["submit", "-e", "cluster", "--no-build"],
    );
    assert!(o.status.success(), "sparse submit faults: {}", show(&o));
    let (_, id) = wait_for("faults in sparse list", 60, || {
        listed(&project, cluster, TOPO)
    });
    Submitted {
        project,
        logs,
        records,
        id,
    }
}

/// Nimbus's log lines that assigned topology `id` (for a failure message).
fn assignments_of(cluster: &Path, id: &str) -> String {
    fs::read_to_string(cluster.join("logs/nimbus.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Setting new assignment") && l.contains(id))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn faults_on_two_supervisors(cluster: &Cluster, work: &Path) {
    let phase = Instant::now();
    let mut attempt = 1;
    let Submitted {
        project,
        logs,
        records,
        id,
    } = loop {
        let s = submit_faults(cluster, &work.join(format!("attempt-{attempt}")));
        // Both workers started (their folders name the topology), on which supervisors?
        let sups = wait_for("the two workers' folders", 240, || {
            let dirs = worker_dirs(&cluster.dir, &s.id);
            (dirs.len() == 2).then(|| dirs.iter().map(|(k, _)| *k).collect::<BTreeSet<u32>>())
        });
        if sups.len() == 2 {
            break s;
        }
        let assigned = assignments_of(&cluster.dir, &s.id);
        assert!(
            attempt < SPREAD_ATTEMPTS,
            "{attempt} submissions of faults each put both workers on one supervisor; Nimbus: {assigned}"
        );
        eprintln!(
            "[phase] faults: attempt {attempt} put both workers on supervisor {sups:?}; killing it and submitting again. Nimbus: {assigned}"
        );
        let o = sparse(
            &s.project,
            cluster,
            &["kill", "-e", "cluster", "-n", TOPO, "--wait", "1"],
        );
        assert!(o.status.success(), "sparse kill faults: {}", show(&o));
        wait_for("faults gone from sparse list", 90, || {
            listed(&s.project, cluster, TOPO).is_none().then_some(())
        });
        attempt += 1;
    };

    // The spout's task (the only one of component "ids").
    let spout = wait_for("the spout's task log", 240, || {
        task_files(&logs).into_iter().find(|f| f.component == "ids")
    });
    let record = record_path(&records, "ids", spout.task);
    wait_for("300 ids acked", 240, || {
        (acked(&record) >= 300).then_some(())
    });
    eprintln!(
        "[phase] faults: submitted, 300 ids acked after {:.1} s",
        phase.elapsed().as_secs_f64()
    );

    // a. Fields grouping across the two workers.
    let files = task_files(&logs);
    let spout_sup = supervisor_of(&cluster.dir, &id, spout.pid).expect("the spout's worker");
    let words = wait_for("every counter task logged its counts", 60, || {
        let w = word_tasks(&logs);
        let tasks: BTreeSet<i64> = w.values().flatten().copied().collect();
        (tasks.len() == 4).then_some(w)
    });
    let mut sups = BTreeSet::new();
    for f in files.iter().filter(|f| f.component == "counter") {
        sups.insert(supervisor_of(&cluster.dir, &id, f.pid).expect("a counter's worker"));
    }
    assert_eq!(
        sups.len(),
        2,
        "the 4 counters are not spread over both supervisors' workers: {files:?}"
    );
    for (w, tasks) in &words {
        assert_eq!(tasks.len(), 1, "word {w:?} counted by tasks {tasks:?}");
    }
    let distinct: BTreeSet<&str> = interop::TEXT
        .iter()
        .flat_map(|s| s.split_whitespace())
        .collect();
    assert_eq!(words.len(), distinct.len(), "{words:?}");
    eprintln!(
        "[fault] a. fields grouping: {} words over 4 counter tasks in workers of {} supervisors, each word in exactly one task",
        words.len(),
        sups.len()
    );

    // b. kill -9 of a bolt's sparse-host in the worker without the spout.
    let victim = files
        .iter()
        .find(|f| {
            f.component == "counter"
                && supervisor_of(&cluster.dir, &id, f.pid).is_some_and(|k| k != spout_sup)
        })
        .expect("a counter in the other worker")
        .clone();
    let kill_ms = now_ms();
    kill9(victim.pid);
    let restarted = wait_for("the killed counter task running again", 240, || {
        task_files(&logs)
            .into_iter()
            .find(|f| f.component == "counter" && f.task == victim.task && f.pid != victim.pid)
    });
    let restart_ms = now_ms();
    assert!(!alive(victim.pid));
    let b = recovery(
        "b. kill -9 of sparse-host (counter task)",
        &record,
        kill_ms,
        restart_ms,
    );
    b.print();
    eprintln!(
        "[fault]   (counter task {} pid {} → pid {})",
        victim.task, victim.pid, restarted.pid
    );

    // c. kill -9 of the worker JVM holding the spout.
    let spout_now = task_files(&logs)
        .into_iter()
        .rfind(|f| f.component == "ids" && alive(f.pid))
        .expect("the spout task alive");
    let worker = worker_dirs(&cluster.dir, &id)
        .into_iter()
        .find(|(_, w)| pids_in(w).contains(&spout_now.pid))
        .expect("the spout's worker folder")
        .1;
    let jvm = worker_pid(&worker).expect("worker.pid of the spout's worker");
    let children: Vec<i32> = pids_in(&worker).into_iter().filter(|p| *p != jvm).collect();
    assert!(alive(jvm), "worker JVM {jvm}");
    let base = acked(&record) as u64;
    wait_for("200 more ids acked before the second fault", 240, || {
        (acked(&record) as u64 >= (base + 200).min(IDS)).then_some(())
    });
    let kill_ms = now_ms();
    kill9(jvm);
    let new_spout = wait_for("the spout running again in a new worker", 240, || {
        task_files(&logs)
            .into_iter()
            .find(|f| f.component == "ids" && f.pid != spout_now.pid && alive(f.pid))
    });
    let restart_ms = now_ms();
    let c = recovery(
        "c. kill -9 of the worker JVM (with the spout)",
        &record,
        kill_ms,
        restart_ms,
    );
    c.print();
    // The killed worker's sparse-host tasks saw their stdin close and exited.
    let orphans: Vec<i32> = children.iter().copied().filter(|p| alive(*p)).collect();
    assert!(
        orphans.is_empty(),
        "sparse-host tasks of the killed worker still alive: {orphans:?}"
    );
    eprintln!(
        "[fault]   (worker JVM {jvm}, {} sparse-host children all gone; spout pid {} → {})",
        children.len(),
        spout_now.pid,
        new_spout.pid
    );

    // Every id acked at least once, none lost.
    let r = wait_for("every id acked", 300, || {
        Record::read(&record)
            .ok()
            .filter(|r| r.acked.len() as u64 >= IDS)
    });
    let all: BTreeSet<u64> = (0..IDS).collect();
    assert_eq!(r.acked, all, "ids never acked");
    assert_eq!(r.emitted, all);
    assert_eq!(r.starts, 2, "the spout ran in two processes");
    let first = r.events.first().map_or(0, |e| e.0);
    let last_ack = r
        .events
        .iter()
        .filter(|e| e.1 == "ack")
        .map(|e| e.0)
        .max()
        .unwrap();
    eprintln!(
        "[fault] all {IDS} ids acked (at least once): {} emits ({} replays), {} fails, {} acks ({} duplicate acks), spout processes {}, {:.1} s from first emit to last ack",
        r.emits,
        r.replays,
        r.fails,
        r.acks,
        r.acks - IDS,
        r.starts,
        (last_ack - first) as f64 / 1000.0
    );
    // Still one counter task per word, across the restarts.
    let words = word_tasks(&logs);
    for (w, tasks) in &words {
        assert_eq!(
            tasks.len(),
            1,
            "after the faults: word {w:?} in tasks {tasks:?}"
        );
    }

    // d. sparse kill: no process of any worker of the topology left.
    let mut pids: BTreeSet<i32> = task_pids(&cluster.dir, &id).into_iter().collect();
    pids.extend(task_files(&logs).iter().map(|f| f.pid));
    let o = sparse(
        &project,
        cluster,
        &["kill", "-e", "cluster", "-n", TOPO, "--wait", "1"],
    );
    assert!(o.status.success(), "sparse kill faults: {}", show(&o));
    wait_for("faults gone from sparse list", 90, || {
        listed(&project, cluster, TOPO).is_none().then_some(())
    });
    let t = Instant::now();
    wait_for("no process of the killed faults topology left", 60, || {
        pids.iter().all(|p| !alive(*p)).then_some(())
    });
    eprintln!(
        "[fault] d. sparse kill: all {} pids of the topology's pid folders and task logs gone {:.1} s after it left sparse list",
        pids.len(),
        t.elapsed().as_secs_f64()
    );
    eprintln!(
        "[phase] faults (a-d): {:.1} s",
        phase.elapsed().as_secs_f64()
    );
}

/// (Issue 18) `topologies/kafka_wordcount.clj` on the two-supervisor cluster with a KRaft
/// broker from `storm/kafka.sh`: sentences are produced, one `sparse-host` splitter task is
/// killed with `kill -9` while they are counted and more are produced, and after Storm
/// restarted its worker every sentence is counted at least once (each carries a word of its
/// own) and the consumer group's committed offsets reach the end of the topic.
pub(crate) fn kafka_on_the_cluster(cluster: &Cluster, work: &Path) {
    use crate::storm_kafka::{Broker, GROUP, TOPO, counts, expected, free_port_pair, sentences};
    let phase = Instant::now();
    let port = free_port_pair();
    let broker = Broker {
        dir: work.join("kafka"),
    };
    broker.kafka(&["start", "--port", &port.to_string()], None);
    broker.kafka(&["topic", "sentences", "2"], None);

    let project = work.join("project");
    let logs = work.join("task-logs");
    fs::create_dir_all(project.join("topologies")).unwrap();
    fs::create_dir_all(&logs).unwrap();
    let root = crate::repo_root();
    let src = fs::read_to_string(root.join("topologies/kafka_wordcount.clj")).unwrap();
    fs::write(
        project.join("topologies/kafka_wordcount.clj"),
        src.replace("127.0.0.1:9092", &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let repo_config: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let config = serde_json::json!({
        "topology_specs": "topologies/",
        "jvm_dependencies": repo_config["jvm_dependencies"],
        "storm_version": repo_config["storm_version"],
        "envs": {
            "cluster": {
                "nimbus": cluster.nimbus,
                "log": {"path": logs, "level": "debug", "max_bytes": 50_000_000},
                "options": {
                    "topology.workers": 2,
                    "topology.message.timeout.secs": TIMEOUT_SECS,
                }
            }
        }
    });
    fs::write(
        project.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();

    let first = sentences("a", 150);
    broker.kafka(&["produce", "sentences"], Some(&(first.join("\n") + "\n")));
    let o = sparse(
        &project,
        cluster,
        &["submit", "-e", "cluster", "--no-build"],
    );
    assert!(
        o.status.success(),
        "sparse submit kafka_wordcount: {}",
        show(&o)
    );
    eprintln!(
        "[phase] kafka: broker up, 150 sentences produced, topology submitted after {:.1} s",
        phase.elapsed().as_secs_f64()
    );
    let (_, id) = wait_for("kafka_wordcount in sparse list", 60, || {
        listed(&project, cluster, TOPO)
    });

    // Kill a splitter while the first batch is being counted...
    let splitter = wait_for("a splitter task with words counted", 300, || {
        let counted = counts(&logs).values().sum::<u64>();
        let f = task_files_of(&logs, TOPO)
            .into_iter()
            .find(|f| f.component == "sentence-splitter" && alive(f.pid))?;
        (counted > 0).then_some(f)
    });
    let kill = Instant::now();
    kill9(splitter.pid);
    // ... and produce a second batch while its worker is down.
    let second = sentences("b", 150);
    broker.kafka(&["produce", "sentences"], Some(&(second.join("\n") + "\n")));
    wait_for("the killed splitter task running again", 240, || {
        task_files_of(&logs, TOPO).into_iter().find(|f| {
            f.component == "sentence-splitter" && f.task == splitter.task && f.pid != splitter.pid
        })
    });
    let restarted_s = kill.elapsed().as_secs_f64();

    let all: Vec<String> = first.iter().chain(&second).cloned().collect();
    let want = expected(&all);
    let got = wait_for(
        "every word counted at least as often as produced",
        300,
        || {
            let got = counts(&logs);
            want.iter()
                .all(|(w, n)| got.get(w).is_some_and(|g| g >= n))
                .then_some(got)
        },
    );
    let counted_s = kill.elapsed().as_secs_f64();
    let last = wait_for("committed offsets at the end of the topic", 120, || {
        let out = broker.kafka(&["offsets", GROUP], None);
        let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(' ').collect()).collect();
        let done = !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.len() == 5 && r[2] == r[3] && r[4] == "0")
            && rows
                .iter()
                .map(|r| r[3].parse::<u64>().unwrap_or(0))
                .sum::<u64>()
                == all.len() as u64;
        done.then_some(out)
    });
    let committed_s = kill.elapsed().as_secs_f64();
    let extra: u64 = want.iter().map(|(w, n)| got[w] - n).sum();
    assert_eq!(got.len(), want.len(), "words never produced were counted");
    eprintln!(
        "[fault] e. kafka_wordcount, kill -9 of a splitter (task {}) mid-run: ran again after {restarted_s:.1} s; all {} sentences counted at least once {counted_s:.1} s after the kill ({} words, {extra} counts above that: replays); committed offsets at the topic end after {committed_s:.1} s:\n{last}",
        splitter.task,
        all.len(),
        want.values().sum::<u64>()
    );

    let o = sparse(
        &project,
        cluster,
        &["kill", "-e", "cluster", "-n", TOPO, "--wait", "1"],
    );
    assert!(
        o.status.success(),
        "sparse kill kafka_wordcount: {}",
        show(&o)
    );
    let pids: BTreeSet<i32> = task_pids(&cluster.dir, &id)
        .into_iter()
        .chain(task_files_of(&logs, TOPO).iter().map(|f| f.pid))
        .collect();
    wait_for("kafka_wordcount gone from sparse list", 90, || {
        listed(&project, cluster, TOPO).is_none().then_some(())
    });
    wait_for("no process of kafka_wordcount left", 60, || {
        pids.iter().all(|p| !alive(*p)).then_some(())
    });
    drop(broker);
    eprintln!("[phase] kafka (e): {:.1} s", phase.elapsed().as_secs_f64());
}
