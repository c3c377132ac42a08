//! `sparse run` end to end with tiny Python multi-lang components
//! (`tests/fixtures/multilang_comp.py`): reliability and replay, ticks, a task killed with
//! SIGKILL, garbage on stdout, a silent bolt, and no orphan processes afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sparse_runner::{self as runner, RunError, RunOptions};
use sparse_topology::model::{
    Component, ComponentKind, Exec, Grouping, Input, StreamDef, Topology,
};

pub(crate) fn fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/multilang_comp.py")
        .to_string_lossy()
        .into_owned()
}

pub(crate) struct Rec(PathBuf);

impl Rec {
    pub(crate) fn new(name: &str) -> Rec {
        let dir = std::env::temp_dir().join(format!("sparse-run-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        let _ = std::fs::remove_file(&p);
        Rec(p)
    }
    pub(crate) fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
    pub(crate) fn lines(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split(' ').map(str::to_string).collect())
            .collect()
    }
    pub(crate) fn events(&self, kind: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l[0] == kind)
            .map(|l| l[1..].join(" "))
            .collect()
    }
    pub(crate) fn pids(&self) -> Vec<i32> {
        self.events("pid")
            .iter()
            .map(|p| p.parse().unwrap())
            .collect()
    }
}

pub(crate) fn comp(
    id: &str,
    kind: ComponentKind,
    n: u32,
    args: &[&str],
    fields: &[&str],
    inputs: Vec<Input>,
) -> Component {
    let mut command = vec!["python3".to_string(), fixture()];
    command.extend(args.iter().map(|s| s.to_string()));
    let mut outputs = BTreeMap::new();
    outputs.insert(
        "default".to_string(),
        StreamDef {
            fields: fields.iter().map(|s| s.to_string()).collect(),
            direct: false,
        },
    );
    Component {
        id: id.into(),
        kind,
        exec: Exec::Shell { command },
        parallelism: n,
        num_tasks: n,
        outputs,
        inputs,
        conf: Map::new(),
        span: None,
    }
}

pub(crate) fn input(source: &str, grouping: Grouping) -> Vec<Input> {
    vec![Input {
        source: source.into(),
        stream: "default".into(),
        grouping,
    }]
}

pub(crate) fn topology(name: &str, components: Vec<Component>) -> Topology {
    Topology {
        name: name.into(),
        jvm_objects: Vec::new(),
        conf: Map::new(),
        components,
    }
}

pub(crate) fn opts(secs: f64, conf: Value) -> RunOptions {
    let mut o = RunOptions::new(std::env::temp_dir());
    o.duration = Some(Duration::from_secs_f64(secs));
    o.live = false;
    o.print_summary = false;
    o.log.insert(
        "path".into(),
        json!(
            std::env::temp_dir()
                .join("sparse-run-test-logs")
                .to_string_lossy()
        ),
    );
    if let Value::Object(m) = conf {
        o.conf_overrides = m;
    }
    o
}

/// Topology `name`: the fixture spout `spout.0` (emitting `spout.2` tuples, recorded in
/// `spout.1`) -> one task of bolt `bolt.0` running the fixture in mode `bolt.1`, shuffled.
pub(crate) fn spout_to_bolt(
    name: &str,
    spout: (&str, &Rec, u32),
    bolt: (&str, &str, &Rec),
) -> Topology {
    let n = spout.2.to_string();
    topology(
        name,
        vec![
            comp(
                spout.0,
                ComponentKind::Spout,
                1,
                &["spout", &spout.1.path(), &n],
                &["word", "i"],
                vec![],
            ),
            comp(
                bolt.0,
                ComponentKind::Bolt,
                1,
                &[bolt.1, &bolt.2.path()],
                &["word"],
                input(spout.0, Grouping::Shuffle),
            ),
        ],
    )
}

pub(crate) fn assert_all_dead(pids: &[i32]) {
    assert!(!pids.is_empty());
    for &p in pids {
        // SAFETY: signal 0 only probes.
        let alive = unsafe { libc::kill(p, 0) } == 0;
        assert!(!alive, "pid {p} is still alive after the run");
    }
}

/// `sparse run` keeps several commands in a busy spout's pipe (engine/spouts.rs), and
/// counts the `next`s in flight against max spout pending: the spout itself never has more
/// than that many ids emitted and not yet acked.
#[test]
fn pipelined_nexts_respect_max_spout_pending() {
    let (s, k) = (Rec::new("pipe-spout"), Rec::new("pipe-sink"));
    let t = spout_to_bolt("pipelined", ("nums", &s, 300), ("sink", "sink", &k));
    let summary = runner::run(&t, &opts(4.0, json!({"topology.max.spout.pending": 5}))).unwrap();
    let inflight: Vec<u32> = s
        .events("inflight")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(inflight.len(), 300, "every id emitted once");
    let most = inflight.iter().copied().max().unwrap();
    assert!(
        most <= 5,
        "the spout had {most} ids in flight (max pending 5)"
    );
    assert_eq!(s.events("ack").len(), 300);
    let spout = summary.components.iter().find(|c| c.id == "nums").unwrap();
    assert_eq!((spout.acked, spout.failed), (300, 0));
}

#[test]
fn reliable_spout_sees_fail_and_replays() {
    let (s, sp, sk) = (
        Rec::new("rel-spout"),
        Rec::new("rel-split"),
        Rec::new("rel-sink"),
    );
    let t = topology(
        "reliable",
        vec![
            comp(
                "sentences",
                ComponentKind::Spout,
                1,
                &["spout", &s.path(), "30"],
                &["word", "i"],
                vec![],
            ),
            // Fields grouping: a replay reaches the split task that failed it the first time.
            comp(
                "split",
                ComponentKind::Bolt,
                2,
                &["split", &sp.path()],
                &["word", "i"],
                input("sentences", Grouping::Fields(vec!["word".into()])),
            ),
            comp(
                "sink",
                ComponentKind::Bolt,
                2,
                &["sink", &sk.path()],
                &["word"],
                input("split", Grouping::Fields(vec!["word".into()])),
            ),
        ],
    );
    let summary = runner::run(&t, &opts(3.0, json!({"topology.max.spout.pending": 5}))).unwrap();
    // Every id is acked exactly once; the i % 3 == 0 ones failed once first and were replayed.
    let mut acks: Vec<i64> = s.events("ack").iter().map(|x| x.parse().unwrap()).collect();
    acks.sort();
    assert_eq!(acks, (0..30).collect::<Vec<_>>());
    let mut fails: Vec<i64> = s
        .events("fail")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    fails.sort();
    assert_eq!(fails, (0..30).filter(|i| i % 3 == 0).collect::<Vec<_>>());
    assert_eq!(s.events("replay").len(), 10);
    assert_eq!(s.events("cmd"), ["activate", "deactivate"]);
    let by = |id: &str| {
        summary
            .components
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by("sentences").acked,
            by("sentences").failed,
            by("sentences").emitted
        ),
        (30, 10, 40)
    );
    assert!(by("sentences").complete_latency_mean_ms.is_some());
    assert_eq!((by("split").acked, by("split").failed), (30, 10));
    assert_eq!(by("sink").received, 40);
    // Task ids in Java string order with the acker: __acker 1, sentences 2, sink 3-4, split 5-6.
    let mut tasks = s.events("task");
    tasks.extend(sk.events("task"));
    tasks.extend(sp.events("task"));
    tasks.sort();
    assert_eq!(
        tasks,
        ["2 sentences", "3 sink", "4 sink", "5 split", "6 split"]
    );
    let conf: Value = serde_json::from_str(&s.events("conf")[0]).unwrap();
    assert_eq!(conf["topology.acker.executors"], 1);
    assert_eq!(conf["topology.name"], "reliable");
    assert_eq!(conf["storm.cluster.mode"], "local");
    assert_eq!(
        conf["topology.tick.tuple.freq.secs"], 30,
        "a spout's tick freq is the message timeout"
    );
    let mut all = s.pids();
    all.extend(sp.pids());
    all.extend(sk.pids());
    assert_eq!(all.len(), 5);
    assert_all_dead(&all);
}

#[test]
fn tick_tuples_reach_every_task_of_a_bolt() {
    let (s, sk) = (Rec::new("tick-spout"), Rec::new("tick-sink"));
    let mut sink = comp(
        "sink",
        ComponentKind::Bolt,
        2,
        &["sink", &sk.path()],
        &["word"],
        input("sentences", Grouping::All),
    );
    sink.conf
        .insert("topology.tick.tuple.freq.secs".into(), json!(1));
    let t = topology(
        "ticks",
        vec![
            comp(
                "sentences",
                ComponentKind::Spout,
                1,
                &["spout", &s.path(), "0"],
                &["word", "i"],
                vec![],
            ),
            sink,
        ],
    );
    let summary = runner::run(&t, &opts(2.6, json!({}))).unwrap();
    let ticks = sk.events("tick");
    assert!((4..=6).contains(&ticks.len()), "{ticks:?}");
    // Counted apart: the sink got ticks only, no data tuple, and acked no data tuple.
    let sink_summary = summary.components.iter().find(|c| c.id == "sink").unwrap();
    assert_eq!(sink_summary.ticks, ticks.len() as u64, "{sink_summary:?}");
    assert_eq!(sink_summary.received, 0, "{sink_summary:?}");
    assert_eq!(sink_summary.acked, 0, "{sink_summary:?}");
    assert!(
        ticks.iter().all(|t| t.ends_with(" 1")),
        "tick value is the frequency: {ticks:?}"
    );
    let conf: Value = serde_json::from_str(&sk.events("conf")[0]).unwrap();
    assert_eq!(conf["topology.tick.tuple.freq.secs"], 1);
    let mut pids = s.pids();
    pids.extend(sk.pids());
    assert_all_dead(&pids);
}

fn expect_failure(r: Result<runner::RunSummary, RunError>) -> Box<runner::TaskFailure> {
    match r {
        Err(RunError::TaskFailed(f)) => f,
        other => panic!("expected a task failure, got {other:?}"),
    }
}

#[test]
fn killed_bolt_stops_the_topology_non_zero() {
    let (s, sk) = (Rec::new("kill-spout"), Rec::new("kill-sink"));
    let t = topology(
        "kill",
        vec![
            comp(
                "sentences",
                ComponentKind::Spout,
                1,
                &["spout", &s.path(), "100000000"],
                &["word", "i"],
                vec![],
            ),
            comp(
                "sink",
                ComponentKind::Bolt,
                2,
                &["sink", &sk.path()],
                &["word"],
                input("sentences", Grouping::Shuffle),
            ),
        ],
    );
    let o = opts(30.0, json!({}));
    let handle = std::thread::spawn(move || runner::run(&t, &o));
    let start = Instant::now();
    while sk.pids().len() < 2 || sk.events("got").len() < 10 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the sink never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let victim = sk.pids()[1];
    // SAFETY: kill(2).
    unsafe { libc::kill(victim, libc::SIGKILL) };
    let killed_at = Instant::now();
    let f = expect_failure(handle.join().unwrap());
    assert!(
        killed_at.elapsed() < Duration::from_secs(5),
        "took {:?}",
        killed_at.elapsed()
    );
    assert_eq!(f.component, "sink");
    assert!(
        f.exit_status.as_deref() == Some("killed by signal 9"),
        "{f}"
    );
    assert!(f.to_string().contains("multilang_comp.py"), "{f}");
    assert!(
        f.stderr_tail.iter().any(|l| l.contains("started sink")),
        "{f}"
    );
    assert_eq!(f.summary.stop_reason, "failed");
    let mut pids = s.pids();
    pids.extend(sk.pids());
    assert_all_dead(&pids);
}

#[test]
fn garbage_on_stdout_is_reported() {
    let (s, g) = (Rec::new("garb-spout"), Rec::new("garb-bolt"));
    let t = spout_to_bolt("garbage", ("sentences", &s, 5), ("garb", "garbage", &g));
    let start = Instant::now();
    let f = expect_failure(runner::run(&t, &opts(20.0, json!({}))));
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(f.component, "garb");
    assert!(
        f.reason.contains("protocol error") && f.reason.contains("not json"),
        "{f}"
    );
    let mut pids = s.pids();
    pids.extend(g.pids());
    assert_all_dead(&pids);
}

/// A task that accepts the fast wire and then writes a binary frame of an unknown kind
/// fails the run with a protocol error naming the kind and the byte; the Python spout
/// next to it, which ignored the offer, stayed on JSON.
#[test]
fn garbage_on_the_fast_wire_is_reported() {
    let (s, g) = (Rec::new("fastgarb-spout"), Rec::new("fastgarb-bolt"));
    let t = spout_to_bolt(
        "fastgarbage",
        ("sentences", &s, 5),
        ("garb", "fastgarbage", &g),
    );
    let f = expect_failure(runner::run(&t, &opts(20.0, json!({}))));
    assert_eq!(f.component, "garb");
    assert!(
        f.reason.starts_with(
            "protocol error: invalid fast-wire message from the component: unknown message kind 0x7f"
        ) && f.reason.contains("(at byte 0)"),
        "{f}"
    );
    assert_eq!(g.events("offer"), ["sparse-bin-1"]);
    let wires: Vec<(String, bool)> = f
        .summary
        .tasks
        .iter()
        .map(|t| (t.component.clone(), t.fast_wire))
        .collect();
    assert_eq!(
        wires,
        [("garb".to_string(), true), ("sentences".to_string(), false)]
    );
    let mut pids = s.pids();
    pids.extend(g.pids());
    assert_all_dead(&pids);

    // With JSON forced, nothing is offered (the bolt then just idles).
    let g2 = Rec::new("fastgarb-bolt-json");
    let s2 = Rec::new("fastgarb-spout-json");
    let t = spout_to_bolt(
        "fastgarbage",
        ("sentences", &s2, 0),
        ("garb", "fastgarbage", &g2),
    );
    let mut o = opts(4.0, json!({}));
    o.json_wire = true;
    let summary = runner::run(&t, &o).unwrap();
    assert!(summary.tasks.iter().all(|t| !t.fast_wire));
    assert_eq!(g2.events("offer"), ["none"]);
}

#[test]
fn silent_bolt_misses_its_liveness_timeout() {
    let (s, q) = (Rec::new("silent-spout"), Rec::new("silent-bolt"));
    let t = spout_to_bolt("silent", ("sentences", &s, 0), ("quiet", "silent", &q));
    let start = Instant::now();
    let f = expect_failure(runner::run(
        &t,
        &opts(20.0, json!({"topology.subprocess.timeout.secs": 2})),
    ));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "took {took:?}"
    );
    assert_eq!(f.component, "quiet");
    assert!(f.reason.contains("heartbeat timeout"), "{f}");
    assert_eq!(f.exit_status, None, "it was still running");
    let mut pids = s.pids();
    pids.extend(q.pids());
    assert_all_dead(&pids);
}

/// Runs `slashspout` -> `rawsink` for 1.5 s in `style`; returns what each component read.
fn run_slash(style: runner::wire::JsonStyle, tag: &str) -> (Vec<String>, Vec<String>) {
    let (s, k) = (
        Rec::new(&format!("slash-spout-{tag}")),
        Rec::new(&format!("slash-sink-{tag}")),
    );
    let t = topology(
        "slashes",
        vec![
            comp(
                "spout",
                ComponentKind::Spout,
                1,
                &["slashspout", &s.path()],
                &["text", "n", "m"],
                vec![],
            ),
            comp(
                "sink",
                ComponentKind::Bolt,
                1,
                &["rawsink", &k.path()],
                &["text"],
                input("spout", Grouping::Shuffle),
            ),
        ],
    );
    // The spout emits one tuple: the run ends when its tree is complete (a fixed 1.5 s run
    // was too short for two Python processes to start on a loaded machine); 60 s is only
    // the bound.
    let mut o = opts(60.0, json!({}));
    o.json_style = style;
    o.stop_after_trees = Some(1);
    let summary = runner::run(&t, &o).unwrap();
    assert_eq!(summary.stop_reason, "completed", "{summary:?}");
    (s.events("raw"), k.events("raw"))
}

#[test]
fn tasks_read_json_as_storm_writes_it() {
    let (spout, sink) = run_slash(runner::wire::JsonStyle::Storm, "storm");
    // The values as Storm 2.8.3 re-writes them (storm/README.md): `\/`, `\u20AC`, a Java
    // double, HashMap key order; Storm's own key order for the message.
    let tuple = sink
        .iter()
        .find(|l| l.contains("\"stream\":\"default\""))
        .unwrap_or_else(|| panic!("no tuple reached the sink: {sink:?}"));
    assert!(
        tuple
            .starts_with(r#"{"comp":"spout","tuple":["a\/b \u20AC",1000.0,{"a":2,"z":1}],"task":"#),
        "{tuple}"
    );
    assert!(tuple.contains(r#","stream":"default","id":""#), "{tuple}");
    // The handshake's paths, and the spout's ack with its id re-written.
    assert!(sink[0].starts_with(r#"{"pidDir":"\/"#), "{}", sink[0]);
    assert!(
        spout
            .iter()
            .any(|l| l == r#"{"id":"s\/1","command":"ack"}"#),
        "{spout:?}"
    );

    let (spout, sink) = run_slash(runner::wire::JsonStyle::Plain, "plain");
    assert!(
        sink.iter()
            .any(|l| l.contains(r#""tuple":["a/b \u20ac",1e3,{"z":1,"a":2}]"#)),
        "{sink:?}"
    );
    assert!(
        spout.iter().any(|l| l == r#"{"command":"ack","id":"s/1"}"#),
        "{spout:?}"
    );
}

/// A run asked for 2 s ends within about a second of that even when trees never complete
/// and a bolt ignores SIGTERM (before: a 5 s drain, then a 3 s grace).
#[test]
fn timed_run_ends_on_time_with_a_stubborn_bolt() {
    let (s, k) = (Rec::new("stop-spout"), Rec::new("stop-bolt"));
    let t = spout_to_bolt("stubborn", ("spout", &s, 50), ("stubborn", "stubborn", &k));
    let started = Instant::now();
    let summary = runner::run(&t, &opts(2.0, json!({}))).unwrap();
    let wall = started.elapsed();
    assert_eq!(summary.stop_reason, "duration");
    assert_eq!(summary.stop.requested_secs, Some(2.0));
    assert!(!summary.stop.drained, "{:?}", summary.stop);
    // The runner's own record: the drain stopped at its bound, the stubborn task was killed
    // after the short grace.
    assert!(
        summary.stop.drain_secs < runner::DURATION_DRAIN.as_secs_f64() + 0.5,
        "{:?}",
        summary.stop
    );
    // Generous (it cannot pass with the old 5 s drain + 3 s grace).
    assert!(
        wall < Duration::from_secs(6),
        "ran {wall:?}: {:?}",
        summary.stop
    );
    let mut pids = s.pids();
    pids.extend(k.pids());
    assert_all_dead(&pids);
}

#[test]
fn max_spout_pending_zero_in_a_spouts_conf_is_no_limit() {
    // Storm 2.8's spout executor reads 0 as "no limit" (a topology-level 0 is refused at
    // submit, see the next test); it used to stall the spout here (0 emitted, exit 0).
    let (s, sk) = (Rec::new("msp0-spout"), Rec::new("msp0-sink"));
    let mut spout = comp(
        "sentences",
        ComponentKind::Spout,
        1,
        &["spout", &s.path(), "20"],
        &["word", "i"],
        vec![],
    );
    spout
        .conf
        .insert("topology.max.spout.pending".into(), json!(0));
    let t = topology(
        "msp0",
        vec![
            spout,
            comp(
                "sink",
                ComponentKind::Bolt,
                1,
                &["sink", &sk.path()],
                &["word"],
                input("sentences", Grouping::Shuffle),
            ),
        ],
    );
    let summary = runner::run(&t, &opts(2.0, json!({}))).unwrap();
    let spout = summary
        .components
        .iter()
        .find(|c| c.id == "sentences")
        .unwrap();
    assert_eq!((spout.emitted, spout.acked), (20, 20), "{summary:?}");
    assert_eq!(sk.events("got").len(), 20);
}

#[test]
fn invalid_settings_are_refused_before_anything_starts() {
    let s = Rec::new("bad-conf-spout");
    let t = topology(
        "badconf",
        vec![comp(
            "sentences",
            ComponentKind::Spout,
            1,
            &["spout", &s.path(), "5"],
            &["word", "i"],
            vec![],
        )],
    );
    // Storm rejects each of these at submit (ConfigValidation on Config's annotations);
    // they used to become 30 s, 1 s, a stalled spout, a 0.5 s timeout.
    for (key, value) in [
        ("topology.message.timeout.secs", json!("abc")),
        ("topology.message.timeout.secs", json!(-1)),
        ("topology.max.spout.pending", json!(0)),
        ("topology.subprocess.timeout.secs", json!(0.5)),
        ("topology.shellbolt.max.pending", json!("many")),
        ("topology.enable.message.timeouts", json!("no")),
        ("topology.executor.receive.buffer.size", json!(0)),
        ("sparse.max.frame.bytes", json!(10)),
    ] {
        let mut conf = Map::new();
        conf.insert(key.to_string(), value.clone());
        let r = runner::run(&t, &opts(5.0, Value::Object(conf)));
        let Err(RunError::Setting(e)) = r else {
            panic!("{key} = {value}: expected a settings error, got {r:?}");
        };
        let text = e.to_string();
        assert!(
            text.contains(&format!("{key} = {value}"))
                && text.contains("-o or config.json's options"),
            "{text}"
        );
    }
    // A component's own conf is named as the origin.
    let mut t2 = t.clone();
    t2.components[0]
        .conf
        .insert("topology.max.spout.pending".into(), json!(-2));
    match runner::run(&t2, &opts(5.0, json!({}))) {
        Err(RunError::Setting(e)) => {
            assert!(
                e.to_string().contains("component `sentences`'s conf"),
                "{e}"
            )
        }
        other => panic!("expected a settings error, got {other:?}"),
    }
    // Nothing was started.
    assert!(s.pids().is_empty(), "{:?}", s.lines());
}

/// The words a 3-task `sink` got from a 30-tuple spout through a shuffle grouping, by task,
/// in a run with `seed`.
fn shuffled_by_task(seed: u64, tag: &str) -> BTreeMap<String, String> {
    let (s, k) = (
        Rec::new(&format!("seed-spout-{tag}")),
        Rec::new(&format!("seed-sink-{tag}")),
    );
    let t = topology(
        "seeded",
        vec![
            comp(
                "src",
                ComponentKind::Spout,
                1,
                &["spout", &s.path(), "30"],
                &["word", "i"],
                vec![],
            ),
            comp(
                "sink",
                ComponentKind::Bolt,
                3,
                &["sink", &k.path(), "by-task"],
                &[],
                input("src", Grouping::Shuffle),
            ),
        ],
    );
    let mut o = opts(6.0, json!({}));
    o.seed = Some(seed);
    let summary = runner::run(&t, &o).unwrap();
    assert!(summary.stop.drained, "{summary:?}");
    k.events("got")
        .into_iter()
        .map(|e| {
            let (word, task) = e.split_once(' ').unwrap();
            (word.to_string(), task.to_string())
        })
        .collect()
}

#[test]
fn a_seed_makes_shuffle_grouping_repeatable() {
    let first = shuffled_by_task(42, "a");
    let second = shuffled_by_task(42, "b");
    assert_eq!(first.len(), 30, "{first:?}");
    // Every tuple reached the same task both times, and the shuffle stays balanced.
    assert_eq!(first, second);
    let mut per_task: BTreeMap<&str, usize> = BTreeMap::new();
    for task in first.values() {
        *per_task.entry(task).or_default() += 1;
    }
    assert_eq!(
        per_task.values().copied().collect::<Vec<_>>(),
        [10, 10, 10],
        "{per_task:?}"
    );
}
