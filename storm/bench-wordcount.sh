#!/usr/bin/env bash
# Wordcount throughput, JVM CPU and peak memory of seven variants of one topology, back to back
# in one invocation on the same machine, same shape (1 spout, 2 splitters, 2 counters, shuffle
# then fields grouping, one acker, one worker, the same max spout pending, the quickstart's
# four sentences):
#
#   storm-json-wire  LocalCluster (storm/run-local.sh), Rust components in sparse-host, the jar
#                    of `sparse jar --json-wire` (Storm's JsonSerializer)
#   storm-fast-wire  the same with the jar of `sparse jar` (sparse's fast wire, the default:
#                    its serializer, SparseShellSpout and SparseShellBolt)
#   storm-fast-wire-p1  the same with -o sparse.spout.pipeline=1: the spout one command at a
#                    time as Storm's ShellSpout, to tell the spout's pipelining apart from
#                    the serializer and the bolt's coalesced writes
#   storm-python     LocalCluster, Python components on pystorm 3.1.4 (bench/components:
#                    counting_spout.py, splitter_bolt.py, word_counter.py) as multi-lang shell
#                    components, storm/bench-python/wordcount.yaml, Storm's JsonSerializer
#   storm-java       LocalCluster, Java spout and bolts (storm/bench-java, compiled here with
#                    javac against Storm's jars), storm/bench-java/wordcount.yaml
#   sparse-run-json  `sparse run --json-wire` (no JVM; JSON to every sparse-host task)
#   sparse-run-fast  `sparse run` (the fast wire to every sparse-host task, the default)
#
#   storm/bench-wordcount.sh [--secs 60] [--pending 1000] [--out DIR] [--only V1,V2,...] [--jfr]
#
# --only runs a subset (names above). --jfr records a Java Flight Recording of the worker in
# the storm-fast-wire run (-XX:StartFlightRecording with the `profile` settings and
# method-profiling=max: Java stack samples every 1 ms; recorded from 1/3 of the run for half
# of it, so JVM start-up, submission and shutdown are left out) and prints where the JVM's
# time goes (storm/jfr-summary.py: samples by area and the hottest methods); the recording
# and summary are kept in DIR/storm-fast-wire-jfr.{jfr,txt}. JFR costs throughput, so read
# the rates of a --jfr run as the profile's, not the benchmark's.
#
# Throughput, the same method for every variant: the word counters log
# `counted N words, M distinct` every 1000 words into their task log files (sparse-host:
# streamparse.log.path; pystorm: pystorm.log.path with the file name and line shape set to
# sparse-host's by storm/bench-python/wordcount.yaml and word_counter.py; the Java counter
# writes the same file and line itself). Per counter task we take the first and the last such
# line and divide the words between them by the time between them (so JVM/host start-up and
# shutdown are excluded), then sum over the tasks. Every counted word belongs to a sentence
# that is then fully processed (the counter is the last bolt; anchored emits, acks at the
# end), so sentences/s = words/s / 11 (the spout cycles through 4 sentences of 20, 10, 8 and
# 6 words). Differences between variants: the Python spout is bench/components'
# counting_spout.py, the seed's spout made reliable (ids 0, 1, ...; the seed's emits without
# an id, which max spout pending would not limit); a Python fail re-emits at once where the
# Rust and Java spouts queue the replay (no fails happen in these runs). `sparse run
# --summary-json` also reports the spout's acked count; it is printed as a cross-check.
#
# Peak memory: the largest sum of RSS over the whole process tree (JVM + every shell
# subprocess, or sparse + its hosts), sampled every 0.2 s from /proc.
#
# JVM CPU: utime+stime of the tree's `java` processes at their last sample, over the whole
# run (start-up included), divided by the sentences counted: microseconds per sentence.
# The start-up seconds (the same for every LocalCluster variant) weigh more on slow variants.
#
# Needs: a release build of sparse + sparse-host + the wordcount plugin (done here), java +
# mvn (storm/fetch.sh), a JDK (javac, and jfr for --jfr), python3, and for storm-python a
# python3 with pystorm 3.1.4: $BENCH_PYTHON, else $SPARSE_TEST_VENV/python3.
# Writes DIR/results.txt (default storm/target/bench-wordcount).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
secs=60
pending=1000
out="$here/target/bench-wordcount"
all="storm-json-wire,storm-fast-wire,storm-fast-wire-p1,storm-python,storm-java,sparse-run-json,sparse-run-fast"
only="$all"
jfr=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --secs) secs="$2"; shift 2 ;;
    --pending) pending="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --jfr) jfr=1; shift ;;
    *) echo "bench-wordcount.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in ${only//,/ }; do
  [[ ",$all," == *",$v,"* ]] || { echo "bench-wordcount.sh: unknown variant $v (one of $all)" >&2; exit 2; }
done
wants() { [[ ",$only," == *",$1,"* ]]; }

python_bin="${BENCH_PYTHON:-${SPARSE_TEST_VENV:+$SPARSE_TEST_VENV/python3}}"
if wants storm-python; then
  [[ -n "$python_bin" ]] || { echo "bench-wordcount.sh: storm-python needs BENCH_PYTHON or SPARSE_TEST_VENV (a python3 with pystorm 3.1.4), or leave it out with --only" >&2; exit 2; }
  pystorm_version="$("$python_bin" -c 'import importlib.metadata as m; print(m.version("pystorm"))' 2>/dev/null)" \
    || { echo "bench-wordcount.sh: $python_bin cannot import pystorm" >&2; exit 2; }
  [[ "$pystorm_version" == 3.1.4 ]] || echo "bench-wordcount.sh: note: pystorm $pystorm_version, not 3.1.4" >&2
fi

target="${CARGO_TARGET_DIR:-$repo/target}"
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

(cd "$repo" && cargo build --release -q -p sparse-storm -p sparse-host -p wordcount)
sparse="$target/release/sparse"
conf=(-o "topology.max.spout.pending=$pending" -o topology.acker.executors=1 -o topology.workers=1)

# Samples a process tree until its root exits; prints the peak RSS sum in MiB and the CPU
# seconds used by the tree's `java` processes (the JVM), read from /proc.
sample() {
  python3 - "$1" <<'PY'
import os, sys, time
root = int(sys.argv[1]); peak = 0; jvm = {}
hz = os.sysconf("SC_CLK_TCK")
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    todo, seen = [root], []
    while todo:
        p = todo.pop(); seen.append(p); todo.extend(kids.get(p, []))
    return seen
while os.path.exists(f"/proc/{root}"):
    total = 0
    for p in tree():
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
            if head.endswith("(java"):
                x = rest.split()
                jvm[p] = (int(x[11]) + int(x[12])) / hz
        except OSError:
            pass
    peak = max(peak, total)
    time.sleep(0.2)
print(f"{peak / 1024:.0f} {sum(jvm.values()):.1f}")
PY
}

# words/s summed over the word-counter task logs in $1, and the words counted in all.
rate() {
  python3 - "$1" <<'PY'
import datetime, glob, re, sys
total = 0.0; words = 0
for path in glob.glob(f"{sys.argv[1]}/streamparse_*_word-counter_*.log"):
    pts = []
    for line in open(path):
        m = re.match(r"(\S+Z) .*counted (\d+) words", line)
        if m:
            t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
            pts.append((t, int(m.group(2))))
    if pts:
        words += pts[-1][1]
    if len(pts) >= 2 and pts[-1][0] > pts[0][0]:
        total += (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])
print(f"{total:.0f} {words}")
PY
}

cd "$repo"
: >"$out/results.txt"

# --- Storm LocalCluster ----------------------------------------------------------------
# storm_run LABEL YAML RESOURCES [run-local.sh options...]: runs it for $secs, measures,
# prints. The Python and Java YAMLs take ${ENV-...} values (Flux's --env-filter).
storm_run() {
  local label="$1" yaml="$2" resources="$3"; shift 3
  local flux=()
  [[ "$label" == storm-python || "$label" == storm-java ]] && flux=(--env-filter)
  local jvm_opts="${STORM_JVM_OPTS:--Xmx768m}"
  if [[ $jfr -eq 1 && "$label" == storm-fast-wire ]]; then
    # Steady state only: from 1/3 of the run to 1/6 before its end (start-up, topology
    # submission and shutdown left out); a Java stack sample every 1 ms per running thread.
    jvm_opts="$jvm_opts -XX:StartFlightRecording=filename=$out/$label-jfr.jfr,settings=profile,method-profiling=max,delay=$((secs / 3))s,duration=$((secs / 2))s"
  fi
  STORM_JVM_OPTS="$jvm_opts" BENCH_PENDING="$pending" BENCH_LOG_DIR="$out/$label-logs" BENCH_PYTHON="$python_bin" \
    "$here/run-local.sh" --ttl "$secs" --run-dir "$out/$label-run" "$@" "$yaml" "$resources" "${flux[@]}" \
    >"$out/$label-run.out" 2>&1 &
  local pid=$! peak jvm wps words
  read -r peak jvm < <(sample "$pid")
  wait "$pid" || { echo "run-local.sh failed; see $out/$label-run.out" >&2; tail -3 "$out/$label-run.out" >&2; }
  read -r wps words < <(rate "$out/$label-logs")
  # JVM CPU per sentence: the JVM's CPU seconds over the whole run (start-up included) over
  # the sentences counted in it (words / 11), in microseconds.
  local us="?"
  [[ "$words" -gt 0 ]] && us="$(python3 -c "print(f'{$jvm / ($words / 11) * 1e6:.0f}')")"
  echo "runner=$label secs=$secs pending=$pending words_per_s=$wps sentences_per_s=$((wps / 11)) peak_rss_mib=$peak jvm_cpu_s=$jvm jvm_cpu_us_per_sentence=$us" \
    | tee -a "$out/results.txt"
}

# Rust components: the jar and YAML of `sparse jar` (LABEL [sparse jar flags...]).
storm_sparse_jar() {
  local label="$1"; shift
  mkdir -p "$out/$label-logs" "$out/$label"
  local jar
  jar="$("$sparse" jar -n wordcount.yaml --no-build -O "$out/$label/wordcount.jar" "${conf[@]}" \
    -o "streamparse.log.path=$out/$label-logs" "$@" 2>"$out/$label-jar.err")"
  storm_run "$label" "$out/$label/wordcount.yaml" "$jar"
}
wants storm-json-wire && storm_sparse_jar storm-json-wire --json-wire
wants storm-fast-wire && storm_sparse_jar storm-fast-wire
wants storm-fast-wire-p1 && storm_sparse_jar storm-fast-wire-p1 -o sparse.spout.pipeline=1
if [[ $jfr -eq 1 && -f "$out/storm-fast-wire-jfr.jfr" ]]; then
  python3 "$here/jfr-summary.py" "$out/storm-fast-wire-jfr.jfr" | tee "$out/storm-fast-wire-jfr.txt"
fi

if wants storm-python; then
  mkdir -p "$out/storm-python-logs" "$out/storm-python-res"
  cp bench/components/counting_spout.py bench/components/splitter_bolt.py \
    bench/components/word_counter.py "$out/storm-python-res/"
  storm_run storm-python "$here/bench-python/wordcount.yaml" "$out/storm-python-res"
fi

if wants storm-java; then
  mkdir -p "$out/storm-java-logs" "$out/storm-java-classes" "$out/storm-java-res"
  deps="$("$here/fetch.sh" | tail -n1)"
  javac -nowarn -d "$out/storm-java-classes" -cp "$deps/lib/*" "$here"/bench-java/src/org/sparse/bench/*.java
  storm_run storm-java "$here/bench-java/wordcount.yaml" "$out/storm-java-res" \
    --classpath "$out/storm-java-classes"
fi

# --- sparse run ------------------------------------------------------------------------
sparse_run() { # LABEL [sparse run flags...]
  local label="$1"; shift
  mkdir -p "$out/$label-logs"
  "$sparse" run -n wordcount.yaml --no-build -t "$secs" "${conf[@]}" "$@" \
    -o "streamparse.log.path=$out/$label-logs" --summary-json "$out/$label-summary.json" \
    >"$out/$label.out" 2>&1 &
  local pid=$! peak wps acked
  read -r peak _ < <(sample "$pid")
  wait "$pid" || { echo "sparse run failed; see $out/$label.out" >&2; tail -3 "$out/$label.out" >&2; }
  read -r wps _ < <(rate "$out/$label-logs")
  acked="$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sum(c["acked"] for c in d["components"] if c["kind"] == "spout"))' "$out/$label-summary.json" 2>/dev/null || echo "?")"
  echo "runner=$label secs=$secs pending=$pending words_per_s=$wps sentences_per_s=$((wps / 11)) peak_rss_mib=$peak spout_acked=$acked" \
    | tee -a "$out/results.txt"
}
wants sparse-run-json && sparse_run sparse-run-json --json-wire
wants sparse-run-fast && sparse_run sparse-run-fast

python3 - "$out/results.txt" <<'PY' | tee -a "$out/results.txt"
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("runner="):
        kv = dict(w.split("=", 1) for w in line.split())
        rows[kv["runner"]] = kv
def val(a, k):
    try:
        return float(rows[a][k])
    except (KeyError, ValueError):
        return None
def r(a, b, k, k2=None):
    x, y = val(a, k), val(b, k2 or k)
    return f"{x / y:.2f}x" if x is not None and y else "?"
print()
print(f"{'runner':<16} {'sentences/s':>11} {'JVM us/sentence':>15} {'peak RSS MiB':>12}"
      f" {'vs python':>9} {'vs storm-json':>13}")
for name, kv in rows.items():
    us = kv.get("jvm_cpu_us_per_sentence", "n/a")
    print(f"{name:<16} {kv['sentences_per_s']:>11} {us:>15} {kv['peak_rss_mib']:>12}"
          f" {r(name, 'storm-python', 'sentences_per_s'):>9}"
          f" {r(name, 'storm-json-wire', 'sentences_per_s'):>13}")
print()
print("ratio storm fast/json: sentences_per_s=%s jvm_cpu_us_per_sentence=%s" % (
    r("storm-fast-wire", "storm-json-wire", "sentences_per_s"),
    r("storm-fast-wire", "storm-json-wire", "jvm_cpu_us_per_sentence")))
print("ratio storm fast (spout pipeline 1)/json: sentences_per_s=%s jvm_cpu_us_per_sentence=%s" % (
    r("storm-fast-wire-p1", "storm-json-wire", "sentences_per_s"),
    r("storm-fast-wire-p1", "storm-json-wire", "jvm_cpu_us_per_sentence")))
print("ratio storm-java/storm-fast-wire: sentences_per_s=%s jvm_cpu_us_per_sentence=%s" % (
    r("storm-java", "storm-fast-wire", "sentences_per_s"),
    r("storm-java", "storm-fast-wire", "jvm_cpu_us_per_sentence")))
print("ratio storm-fast-wire/storm-python: sentences_per_s=%s" % (
    r("storm-fast-wire", "storm-python", "sentences_per_s")))
for run in ("sparse-run-json", "sparse-run-fast"):
    print("ratio %s/storm-json-wire: sentences_per_s=%s peak_rss=%s" % (
        run, r(run, "storm-json-wire", "sentences_per_s"), r(run, "storm-json-wire", "peak_rss_mib")))
print("ratio sparse-run fast/json: sentences_per_s=%s" % (
    r("sparse-run-fast", "sparse-run-json", "sentences_per_s")))
PY
