#!/usr/bin/env python3
"""Runs the benchmark workloads and writes the results table (issue 6).

    bench.py --bin-dir DIR --python PY --transcripts DIR --work DIR [--runs N]
             [--startup-runs N] [--markdown BENCHMARKS.md] [--command "..."]

For each workload every implementation is run N times, round robin (so slow phases of a
noisy machine hit all of them alike), with stdin from the transcript file and stdout to
a file on tmpfs. Wall time is measured around spawn..exit (perf_counter), peak RSS and
CPU time come from the child's rusage (os.wait4). The table reports the best wall time,
the median, and msgs/s = input messages / best wall time. Outputs are then compared
message by message after normalization (see `normalize`).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from itertools import zip_longest

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def workloads(a):
    host = os.path.join(a.bin_dir, "sparse-host")
    floor = os.path.join(a.bin_dir, "examples", "floor_relay")
    comp = os.path.join(HERE, "components")
    py = [a.python]

    def sh(component):
        return [host, "--component", component, "--plugin-dir", a.bin_dir]

    t = a.transcripts
    return [
        dict(key="a", title="(a) SentenceSplitter, 100k sentences", file=os.path.join(t, "a_splitter.txt"),
             msgs=100_000, goal=15, impls=[
                 ("pystorm", py + [os.path.join(comp, "splitter_bolt.py")], 2),
                 ("sparse-host", sh("wordcount::SentenceSplitter"), 0),
                 ("floor", [floor, "splitter"], 0),
             ]),
        dict(key="b", title="(b) pass-through bolt, 200k tuples", file=os.path.join(t, "b_passthrough.txt"),
             msgs=200_000, goal=40, impls=[
                 ("pystorm", py + [os.path.join(comp, "passthrough_bolt.py")], 2),
                 ("sparse-host", sh("bench::Passthrough"), 0),
                 ("sparse-host (decode+re-encode)", sh("bench::PassthroughDecoded"), 0),
                 ("floor", [floor, "passthrough"], 0),
                 ("floor (flush per message)", [floor, "passthrough", "--flush-each"], 0),
             ]),
        dict(key="c", title="(c) spout, 200k next + 100k ack", file=os.path.join(t, "c_spout.txt"),
             msgs=300_001, goal=30, impls=[
                 ("pystorm", py + [os.path.join(comp, "counting_spout.py")], 2),
                 ("sparse-host", sh("bench::CountingSpout"), 0),
             ]),
    ], dict(key="d", title="(d) start-up to the pid reply", file=os.path.join(t, "d_startup.txt"), impls=[
        ("pystorm", py + [os.path.join(comp, "splitter_bolt.py")]),
        ("sparse-host", sh("wordcount::SentenceSplitter")),
        ("floor", [floor, "splitter"]),
    ])


TIME = "/usr/bin/time"


def run_once(argv, stdin_path, stdout_path, stderr_path):
    """One run. Peak RSS comes from GNU time (%M), not from our own wait4: Linux carries
    the parent's RSS high-water mark into a forked child's ru_maxrss, so a large harness
    process would inflate every figure. GNU time itself is ~2 MiB, below every child."""
    rss_path = stderr_path + ".rss"
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout, open(stderr_path, "wb") as ferr:
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-f", "%M %U %S", "-o", rss_path, "--"] + argv,
                             stdin=fin, stdout=fout, stderr=ferr)
        rc = p.wait()
        wall = time.perf_counter() - t0
    fields = open(rss_path).read().split()
    # "Command exited with non-zero status N" comes first when the exit code is not 0.
    rss_kb, utime, stime = int(fields[-3]), float(fields[-2]), float(fields[-1])
    return dict(wall=wall, rss_kb=rss_kb, cpu=utime + stime, rc=rc)


def frames(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    for chunk in data.split("\nend\n"):
        if chunk.strip():
            yield json.loads(chunk)


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def normalize(path):
    """Semantic content of each output message; `log` records are left out."""
    for m in frames(path):
        if "pid" in m and "command" not in m:
            yield ("pid",)
            continue
        c = m.get("command")
        if c == "log":
            continue
        if c == "emit":
            yield ("emit", canon(m["tuple"]), m.get("stream") or "default",
                   tuple(canon(x) for x in (m.get("anchors") or [])),
                   canon(m["id"]) if m.get("id") is not None else None,
                   m.get("task"), m.get("need_task_ids", True))
        elif c in ("ack", "fail"):
            yield (c, canon(m["id"]))
        elif c == "sync":
            yield ("sync",)
        else:
            yield (c, canon(m))


def compare(ref_path, other_path):
    n = 0
    for x, y in zip_longest(normalize(ref_path), normalize(other_path)):
        if x != y:
            return False, "message %d differs: %r vs %r" % (n, x, y), n
        n += 1
    return True, "", n


def startup(argv, handshake_path, runs):
    hs = open(handshake_path, "rb").read()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdin.write(hs)
        p.stdin.close()
        line = p.stdout.readline()
        dt = time.perf_counter() - t0
        if b'"pid"' not in line:
            raise SystemExit("no pid reply from %r: %r" % (argv, line))
        p.stdout.read()
        p.wait()
        times.append(dt)
    times.sort()
    return dict(median=statistics.median(times), p10=times[len(times) // 10],
                p90=times[(len(times) * 9) // 10])


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    return "%d cores (%s), %s RAM, %s %s, Python %s" % (
        os.cpu_count(), model, mem, platform.system(), platform.release(), platform.python_version())


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def fmt_s(x):
    return "%.3f" % x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--transcripts", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--startup-runs", type=int, default=50)
    ap.add_argument("--markdown")
    ap.add_argument("--command", default="bash bench/run.sh")
    ap.add_argument("--only", default="abcd")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    # The transcripts' pidDir: pystorm does not create it (sparse-host does).
    with open(os.path.join(a.transcripts, "d_startup.txt")) as f:
        os.makedirs(json.loads(f.read().split("\nend\n", 1)[0])["pidDir"], exist_ok=True)
    loads = [loadavg()]
    wl, st = workloads(a)
    results = {}
    ok = True
    for w in wl:
        if w["key"] not in a.only:
            continue
        per = {name: [] for name, _, _ in w["impls"]}
        outs = {}
        for r in range(a.runs):
            for i, (name, argv, want_rc) in enumerate(w["impls"]):
                out = os.path.join(a.work, "%s_%d.out" % (w["key"], i))
                err = os.path.join(a.work, "%s_%d.err" % (w["key"], i))
                res = run_once(argv, w["file"], out, err)
                if res["rc"] != want_rc:
                    sys.stderr.write("%s / %s: exit code %d (expected %d), run left out: %s\n"
                                     % (w["key"], name, res["rc"], want_rc, open(err).read()[-2000:]))
                    ok = False
                    continue
                per[name].append(res)
                outs[name] = out
                print("%s %-32s run %d: %.3f s, %d KiB" % (w["key"], name, r + 1, res["wall"], res["rss_kb"]),
                      flush=True)
        if any(not rs for rs in per.values()):
            results[w["key"]] = (w, per, {})
            continue
        ref = outs["sparse-host"]
        eq = {}
        for name, _, _ in w["impls"]:
            if name == "sparse-host":
                eq[name] = (True, "reference", None)
                continue
            same, why, n = compare(ref, outs[name])
            eq[name] = (same, why, n)
            if not same:
                ok = False
                sys.stderr.write("%s: %s output differs from sparse-host: %s\n" % (w["key"], name, why))
        results[w["key"]] = (w, per, eq)
    su = {}
    if "d" in a.only:
        for name, argv in st["impls"]:
            su[name] = startup(argv, st["file"], a.startup_runs)
            print("d %-32s median %.2f ms" % (name, su[name]["median"] * 1e3), flush=True)
    loads.append(loadavg())
    md = render(a, results, su, loads)
    print(md)
    if a.markdown:
        text = open(a.markdown).read() if os.path.exists(a.markdown) else BEGIN + "\n" + END + "\n"
        if BEGIN not in text:
            text += "\n" + BEGIN + "\n" + END + "\n"
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        open(a.markdown, "w").write(head + BEGIN + "\n" + md + END + tail)
    return 0 if ok else 1


def render(a, results, su, loads):
    L = []
    L.append("Measured %s on %s." % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(), machine()))
    L.append("Command: `%s` (%d runs per implementation, round robin; start-up: %d spawns each). "
             "Load average (1 min) before/after: %s / %s." % (a.command, a.runs, a.startup_runs, loads[0], loads[-1]))
    L.append("")
    L.append("| workload | implementation | best wall (s) | median wall (s) | msgs/s (best) | CPU (s, median) | peak RSS (MiB) | pystorm / this | this / floor | output |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    verdicts = []
    for key in "abc":
        if key not in results:
            continue
        w, per, eq = results[key]
        missing = [n for n, rs in per.items() if not rs]
        if missing:
            L.append("| %s | %s | no successful run |  |  |  |  |  |  |  |" % (w["title"], ", ".join(missing)))
            verdicts.append("%s: no figures (%s failed every run)" % (w["title"], ", ".join(missing)))
            continue
        best = {n: min(r["wall"] for r in rs) for n, rs in per.items()}
        floor_best = best.get("floor")
        for name, rs in per.items():
            med = statistics.median(r["wall"] for r in rs)
            cpu = statistics.median(r["cpu"] for r in rs)
            rss = max(r["rss_kb"] for r in rs) / 1024
            ratio = best["pystorm"] / best[name] if name != "pystorm" else None
            vs_floor = best[name] / floor_best if floor_best and not name.startswith("floor") and name != "pystorm" else None
            same, why, n = eq[name]
            out = "reference" if why == "reference" else ("same (%d msgs)" % n if same else "DIFFERS")
            L.append("| %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s |" % (
                w["title"], name, fmt_s(best[name]), fmt_s(med), "{:,.0f}".format(w["msgs"] / best[name]),
                "%.3f" % cpu, rss, "%.1fx" % ratio if ratio else "", "%.2f" % vs_floor if vs_floor else "", out))
        r = best["pystorm"] / best["sparse-host"]
        rss_py = max(x["rss_kb"] for x in per["pystorm"])
        rss_sh = max(x["rss_kb"] for x in per["sparse-host"])
        verdicts.append("%s: %.1fx pystorm (goal >= %dx: %s); RSS %.2f of pystorm's (goal <= 0.33: %s)%s" % (
            w["title"], r, w["goal"], "met" if r >= w["goal"] else "MISSED", rss_sh / rss_py,
            "met" if rss_sh * 3 <= rss_py else "MISSED",
            "; %.2f of the floor (goal <= 1.3: %s)" % (best["sparse-host"] / floor_best,
                                                         "met" if best["sparse-host"] <= 1.3 * floor_best else "MISSED")
            if floor_best else ""))
    if su:
        L.append("")
        L.append("| (d) start-up: spawn to reading the `{\"pid\"}` line | median (ms) | p10 (ms) | p90 (ms) |")
        L.append("|---|---:|---:|---:|")
        for name, s in su.items():
            L.append("| %s | %.2f | %.2f | %.2f |" % (name, s["median"] * 1e3, s["p10"] * 1e3, s["p90"] * 1e3))
        m = su["sparse-host"]["median"] * 1e3
        verdicts.append("(d) start-up: %.2f ms median (goal <= 5 ms: %s)" % (m, "met" if m <= 5 else "MISSED"))
    L.append("")
    L.append("Goals:")
    L.append("")
    for v in verdicts:
        L.append("- " + v)
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
