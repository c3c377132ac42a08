#!/usr/bin/env python3
"""Where a Storm worker's Java time goes, from a Java Flight Recording.

    python3 storm/jfr-summary.py RECORDING.jfr [--top 15]

Reads the recording's `jdk.ExecutionSample` events (`jfr print --json`, JDK 17's `jfr`
tool): each is a Java stack of a thread that was running Java code at that moment. Prints

* samples by area: each stack walked from its top frame down, the first frame matching one
  of the rules below names the area (so a `HashMap.get` called by the acker counts as acker, one
  called by the serializer as serializer), with the three frames that decided it most;
* the hottest methods by self samples (top frame), and by package of the top frame.

Areas, in the order the rules are tried on each frame:
  serializer: read      ISerializer.readShellMsg and what it calls (JSON or fast wire)
  serializer: write     writeBoltMsg / writeSpoutMsg / writeTaskIds and what they call
  executor queues       org.apache.storm.utils.JCQueue*, (shaded) org.jctools, the
                        executors' idle wait strategies (org.apache.storm.policy)
  acker                 org.apache.storm.daemon.Acker
  kryo / tuple serde    com.esotericsoftware.kryo, org.apache.storm.serialization
  metrics / stats       org.apache.storm.metric*, org.apache.storm.stats, com.codahale
  ShellBolt/ShellSpout  org.apache.storm.task.ShellBolt*, spout.ShellSpout*, utils.ShellProcess,
                        and sparse's org.sparse.storm.SparseShellBolt* / SparseShellSpout
  emit path / executor  org.apache.storm.executor, daemon.Task, daemon.GrouperFactory,
                        grouping, tuple, task.OutputCollector, spout.SpoutOutputCollector,
                        utils.TupleUtils (fields hashing), task.GeneralTopologyContext
  other Storm           a stack with none of the above but some org.apache.storm frame
                        (acker's RotatingMap is found under acker, since the walk looks
                        for the rules above in the whole stack first)
  JVM / JDK (<package>) a stack with none of the above (GC helpers, JIT, timers, ...)

Example (what storm/bench-wordcount.sh --jfr runs):

    python3 storm/jfr-summary.py storm/target/bench-wordcount/storm-fast-wire-jfr.jfr
"""
import collections
import json
import subprocess
import sys

SERIALIZER_READ = {"readShellMsg"}
SERIALIZER_WRITE = {"writeBoltMsg", "writeSpoutMsg", "writeTaskIds"}
RULES = [
    ("executor queues", ("org.apache.storm.utils.JCQueue", "org.jctools.",
                         "org.apache.storm.shade.org.jctools.", "org.apache.storm.policy.")),
    ("acker", ("org.apache.storm.daemon.Acker",)),
    ("kryo / tuple serde", ("com.esotericsoftware.kryo.", "org.apache.storm.serialization.")),
    ("metrics / stats", ("org.apache.storm.metric", "org.apache.storm.stats.", "com.codahale.")),
    ("ShellBolt/ShellSpout", ("org.apache.storm.task.ShellBolt", "org.apache.storm.spout.ShellSpout",
                              "org.apache.storm.utils.ShellProcess", "org.apache.storm.utils.ShellBoltMessageQueue",
                              "org.sparse.storm.SparseShellBolt", "org.sparse.storm.SparseShellSpout")),
    ("emit path / executor", ("org.apache.storm.executor.", "org.apache.storm.daemon.Task",
                              "org.apache.storm.daemon.GrouperFactory", "org.apache.storm.grouping.",
                              "org.apache.storm.tuple.", "org.apache.storm.task.OutputCollector",
                              "org.apache.storm.spout.SpoutOutputCollector",
                              "org.apache.storm.utils.TupleUtils",
                              "org.apache.storm.task.GeneralTopologyContext")),
]


def frame_name(frame):
    method = frame.get("method", {})
    cls = method.get("type", {}).get("name", "?").replace("/", ".")
    return cls, method.get("name", "?")


def area(frames):
    """The area of a stack and the frame (`Class.method`) that decided it."""
    def short(frame):
        cls, meth = frame_name(frame)
        return f"{cls.rsplit('.', 1)[-1]}.{meth}"
    for frame in frames:
        cls, meth = frame_name(frame)
        where = f"{cls.rsplit('.', 1)[-1]}.{meth}"
        if meth in SERIALIZER_READ:
            return "serializer: read", where
        if meth in SERIALIZER_WRITE:
            return "serializer: write", where
        for name, prefixes in RULES:
            if cls.startswith(prefixes):
                return name, where
    for frame in frames:
        if frame_name(frame)[0].startswith("org.apache.storm."):
            return "other Storm", short(frame)
    if not frames:
        return "JVM / JDK (no stack)", "-"
    cls, meth = frame_name(frames[0])
    return "JVM / JDK (%s)" % cls.rsplit(".", 1)[0], f"{cls.rsplit('.', 1)[-1]}.{meth}"


def main():
    args = sys.argv[1:]
    top = 15
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit("usage: jfr-summary.py RECORDING.jfr [--top N]")
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ExecutionSample", args[0]],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(raw)["recording"]["events"]
    areas = collections.Counter()
    deciders = collections.defaultdict(collections.Counter)
    methods = collections.Counter()
    packages = collections.Counter()
    for ev in events:
        frames = (ev["values"].get("stackTrace") or {}).get("frames") or []
        name, where = area(frames)
        areas[name] += 1
        deciders[name][where] += 1
        if frames:
            cls, meth = frame_name(frames[0])
            methods[f"{cls}.{meth}"] += 1
            packages[cls.rsplit(".", 1)[0]] += 1
    n = len(events) or 1
    print(f"{len(events)} Java execution samples in {args[0]}")
    print("\nby area (stack walked from the top frame down; first rule that matches):")
    for name, c in areas.most_common():
        top3 = ", ".join(f"{w} {100 * k / n:.1f}%" for w, k in deciders[name].most_common(3))
        print(f"  {100 * c / n:5.1f}%  {c:6d}  {name:<22} ({top3})")
    print(f"\nhottest methods (self, top frame), top {top}:")
    for name, c in methods.most_common(top):
        print(f"  {100 * c / n:5.1f}%  {c:6d}  {name}")
    print(f"\nby package of the top frame, top {top}:")
    for name, c in packages.most_common(top):
        print(f"  {100 * c / n:5.1f}%  {c:6d}  {name}")


if __name__ == "__main__":
    main()
