#!/usr/bin/env python3
"""Writes the benchmark transcripts: what Storm would write on a component's stdin.

    gen_transcripts.py OUTDIR PID_DIR

Files (each starts with the handshake, then the messages, framed as JSON + "\\nend\\n"):
  a_splitter.txt     100,000 tuples cycling the seed's 4 sentences (to a SentenceSplitter)
  b_passthrough.txt  200,000 one-value tuples (words of those sentences)
  c_spout.txt        activate, then 200,000 `next` with an `ack` (integer id, emitted
                     earlier) after every second `next`: 100,000 acks, ids 0..99,999
  d_startup.txt      the handshake only
Bolt inputs carry a heartbeat every 10,000 tuples, as Storm sends one about every second.
Ids are random signed 64-bit decimal strings, as ShellBolt makes them (fixed seed).
"""
import json
import os
import random
import sys

SENTENCES = [
    "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
    "I was very glad to get a present from her",
    "He will be here in half an hour",
    "She saw him eating a sandwich",
]
N_SENTENCES = 100_000
N_PASSTHROUGH = 200_000
N_NEXT = 200_000
HEARTBEAT_EVERY = 10_000


def conf():
    """A Storm-like effective conf: a few real keys plus many daemon keys, some null."""
    c = {
        "topology.name": "bench",
        "storm.id": "bench-1-1764150000",
        "topology.debug": False,
        "topology.message.timeout.secs": 30,
        "topology.max.spout.pending": 1000,
        "supervisor.worker.timeout.secs": 30,
        "topology.subprocess.timeout.secs": None,
        "topology.shellbolt.max.pending": 100,
        "topology.multilang.serializer": "org.apache.storm.multilang.JsonSerializer",
        "storm.cluster.mode": "local",
        "topology.acker.executors": None,
        "topology.workers": 1,
        "storm.local.dir": "/var/storm",
        "storm.zookeeper.servers": ["localhost"],
        "storm.zookeeper.port": 2181,
        "worker.childopts": "-Xmx%HEAP-MEM%m -XX:+PrintGCDetails",
    }
    for i in range(200):
        v = [None, i, "value-%d" % i, i % 2 == 0, [i, i + 1]][i % 5]
        c["storm.daemon.setting.%03d" % i] = v
    return c


def handshake(component, pid_dir, out_fields, source_fields):
    ctx = {
        "task->component": {"1": "__acker", "2": "count", "3": "count",
                            "4": "sentences", "5": component, "6": component},
        "taskid": 5,
        "componentid": component,
        "streams": ["default"],
        "stream->outputfields": {"default": out_fields},
        "stream->target->grouping": {"default": {"count": {"type": "FIELDS", "fields": out_fields[:1]}}},
        "source->stream->grouping": {"sentences": {"default": {"type": "SHUFFLE"}}},
        "source->stream->fields": {"sentences": {"default": source_fields}},
    }
    return {"conf": conf(), "pidDir": pid_dir, "context": ctx}


def frame(f, msg):
    f.write(json.dumps(msg, separators=(",", ":")))
    f.write("\nend\n")


def bolt_transcript(path, hs, n, values_of, rng):
    with open(path, "w", encoding="utf-8") as f:
        frame(f, hs)
        for i in range(n):
            if i and i % HEARTBEAT_EVERY == 0:
                frame(f, {"id": str(rng.randint(-2**63, 2**63 - 1)), "comp": None,
                          "stream": "__heartbeat", "task": -1, "tuple": []})
            frame(f, {"id": str(rng.randint(-2**63, 2**63 - 1)), "comp": "sentences",
                      "stream": "default", "task": 4, "tuple": values_of(i)})


def main():
    out_dir, pid_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(6)
    words = [w for s in SENTENCES for w in s.replace(",", "").split()]

    bolt_transcript(os.path.join(out_dir, "a_splitter.txt"),
                    handshake("split", pid_dir, ["word"], ["sentence"]),
                    N_SENTENCES, lambda i: [SENTENCES[i % len(SENTENCES)]], rng)
    bolt_transcript(os.path.join(out_dir, "b_passthrough.txt"),
                    handshake("relay", pid_dir, ["value"], ["sentence"]),
                    N_PASSTHROUGH, lambda i: [words[i % len(words)]], rng)

    with open(os.path.join(out_dir, "c_spout.txt"), "w", encoding="utf-8") as f:
        frame(f, handshake("sentences", pid_dir, ["sentence"], []))
        frame(f, {"command": "activate", "id": ""})
        acked = 0
        for i in range(N_NEXT):
            frame(f, {"command": "next", "id": ""})
            if i % 2 == 1:
                frame(f, {"command": "ack", "id": acked})
                acked += 1

    with open(os.path.join(out_dir, "d_startup.txt"), "w", encoding="utf-8") as f:
        frame(f, handshake("split", pid_dir, ["word"], ["sentence"]))


if __name__ == "__main__":
    main()
