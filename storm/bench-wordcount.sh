#!/usr/bin/env bash
# Wordcount throughput, JVM CPU and peak memory, one after the other on the same machine, same
# topology (topologies/wordcount.yaml), same conf: Storm's LocalCluster (storm/run-local.sh,
# the jar of `sparse jar`) on the JSON wire (`sparse jar --json-wire`) and on sparse's fast wire
# (the default), then `sparse run`. Prints one line per runner and the ratios.
#
#   storm/bench-wordcount.sh [--secs 60] [--pending 1000] [--out DIR]
#
# Throughput: the word counters log `counted N words, M distinct` every 1000 words into their
# task log files (streamparse.log.path). Per counter task we take the first and the last such
# line and divide the words between them by the time between them (so JVM/host start-up and
# shutdown are excluded), then sum over the tasks. Every counted word belongs to a sentence
# that is then fully processed (the counter is the last bolt; anchored emits, acks at the
# end), so sentences/s = words/s / 11 (the spout cycles through 4 sentences of 20, 10, 8 and
# 6 words). `sparse run --summary-json` also reports the spout's acked count; it is printed as
# a cross-check for the sparse run side.
#
# Peak memory: the largest sum of RSS over the whole process tree (JVM + every sparse-host
# subprocess, or sparse + its hosts), sampled every 0.2 s from /proc.
#
# JVM CPU: utime+stime of the tree's `java` processes at their last sample, over the whole
# run (start-up included), divided by the sentences counted: microseconds per sentence.
#
# Needs: a release build of sparse-host + the wordcount plugin (done here), java + mvn
# (storm/fetch.sh), a JDK (javac) for the fast wire, python3. Writes DIR/results.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
secs=60
pending=1000
out="$here/target/bench-wordcount"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --secs) secs="$2"; shift 2 ;;
    --pending) pending="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "bench-wordcount.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
target="${CARGO_TARGET_DIR:-$repo/target}"
rm -rf "$out"
mkdir -p "$out/sparse-logs"

(cd "$repo" && cargo build --release -q -p sparse-storm -p sparse-host -p wordcount)
sparse="$target/release/sparse"
conf=(-o "topology.max.spout.pending=$pending" -o topology.acker.executors=1 -o topology.workers=1)

# Samples a process tree until its root exits; prints the peak RSS sum in MiB and the CPU
# seconds used by the tree's `java` processes (the JVM), read from /proc.
sample() {
  python3 - "$1" <<'EOF'
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
EOF
}

# words/s summed over the word-counter task logs in $1, and the words counted in all.
rate() {
  python3 - "$1" <<'EOF'
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
EOF
}

cd "$repo"
: >"$out/results.txt"
# --- Storm LocalCluster: JSON wire (--json-wire), then sparse's fast wire -----------------
storm_run() { # LABEL [sparse jar flags...]
  local label="$1"; shift
  mkdir -p "$out/$label-logs" "$out/$label"
  local jar
  jar="$("$sparse" jar -n wordcount.yaml --no-build -O "$out/$label/wordcount.jar" "${conf[@]}" \
    -o "streamparse.log.path=$out/$label-logs" "$@" 2>"$out/$label-jar.err")"
  "$here/run-local.sh" --ttl "$secs" --run-dir "$out/$label-run" "$out/$label/wordcount.yaml" "$jar" \
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
storm_run storm-json-wire --json-wire
storm_run storm-fast-wire

# --- sparse run ----------------------------------------------------------------------
"$sparse" run -n wordcount.yaml --no-build -t "$secs" "${conf[@]}" \
  -o "streamparse.log.path=$out/sparse-logs" --summary-json "$out/sparse-summary.json" \
  >"$out/sparse-run.out" 2>&1 &
pid=$!
read -r sparse_peak _ < <(sample "$pid")
wait "$pid" || { echo "sparse run failed; see $out/sparse-run.out" >&2; tail -3 "$out/sparse-run.out" >&2; }
read -r sparse_wps _ < <(rate "$out/sparse-logs")
acked="$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sum(c["acked"] for c in d["components"] if c["kind"] == "spout"))' "$out/sparse-summary.json" 2>/dev/null || echo "?")"
echo "runner=sparse-run secs=$secs pending=$pending words_per_s=$sparse_wps sentences_per_s=$((sparse_wps / 11)) peak_rss_mib=$sparse_peak spout_acked=$acked" \
  | tee -a "$out/results.txt"

python3 - "$out/results.txt" <<'EOF' | tee -a "$out/results.txt"
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("runner="):
        kv = dict(w.split("=", 1) for w in line.split())
        rows[kv["runner"]] = kv
def r(a, b, k):
    try:
        return f"{float(rows[a][k]) / float(rows[b][k]):.2f}"
    except (KeyError, ValueError, ZeroDivisionError):
        return "?"
print("ratio fast/json: sentences_per_s=%s jvm_cpu_us_per_sentence=%s" % (
    r("storm-fast-wire", "storm-json-wire", "sentences_per_s"),
    r("storm-fast-wire", "storm-json-wire", "jvm_cpu_us_per_sentence")))
print("ratio sparse-run/json: sentences_per_s=%s peak_rss=%s" % (
    r("sparse-run", "storm-json-wire", "sentences_per_s"),
    r("sparse-run", "storm-json-wire", "peak_rss_mib")))
EOF
