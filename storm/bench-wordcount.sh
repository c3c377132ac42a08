#!/usr/bin/env bash
# Wordcount throughput and peak memory: Storm's LocalCluster (storm/run-local.sh, the jar of
# `sparse jar`) against `sparse run`, same topology (topologies/wordcount.yaml), same conf,
# same machine, one after the other.
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
# Needs: a release build of sparse-host + the wordcount plugin (done here), java + mvn
# (storm/fetch.sh), python3. Prints one result line per runner and writes DIR/results.txt.
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
mkdir -p "$out/storm-logs" "$out/sparse-logs"

(cd "$repo" && cargo build --release -q -p sparse-storm -p sparse-host -p wordcount)
sparse="$target/release/sparse"
conf=(-o "topology.max.spout.pending=$pending" -o topology.acker.executors=1 -o topology.workers=1)

# Samples the RSS sum of a process tree until its root exits; prints the peak in MiB.
peak_rss() {
  python3 - "$1" <<'EOF'
import os, sys, time
root = int(sys.argv[1]); peak = 0
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
        except OSError:
            pass
    peak = max(peak, total)
    time.sleep(0.2)
print(f"{peak / 1024:.0f}")
EOF
}

# words/s summed over the word-counter task logs in $1.
rate() {
  python3 - "$1" <<'EOF'
import datetime, glob, re, sys
total = 0.0
for path in glob.glob(f"{sys.argv[1]}/streamparse_*_word-counter_*.log"):
    pts = []
    for line in open(path):
        m = re.match(r"(\S+Z) .*counted (\d+) words", line)
        if m:
            t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
            pts.append((t, int(m.group(2))))
    if len(pts) >= 2 and pts[-1][0] > pts[0][0]:
        total += (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])
print(f"{total:.0f}")
EOF
}

cd "$repo"
# --- Storm LocalCluster --------------------------------------------------------------
jar="$("$sparse" jar -n wordcount.yaml --no-build -O "$out/wordcount.jar" "${conf[@]}" \
  -o "streamparse.log.path=$out/storm-logs" 2>"$out/jar.err")"
"$here/run-local.sh" --ttl "$secs" --run-dir "$out/storm-run" "$out/wordcount.yaml" "$jar" \
  >"$out/storm-run.out" 2>&1 &
pid=$!
storm_peak="$(peak_rss "$pid")"
wait "$pid" || { echo "run-local.sh failed; see $out/storm-run.out" >&2; tail -3 "$out/storm-run.out" >&2; }
storm_wps="$(rate "$out/storm-logs")"

# --- sparse run ----------------------------------------------------------------------
"$sparse" run -n wordcount.yaml --no-build -t "$secs" "${conf[@]}" \
  -o "streamparse.log.path=$out/sparse-logs" --summary-json "$out/sparse-summary.json" \
  >"$out/sparse-run.out" 2>&1 &
pid=$!
sparse_peak="$(peak_rss "$pid")"
wait "$pid" || { echo "sparse run failed; see $out/sparse-run.out" >&2; tail -3 "$out/sparse-run.out" >&2; }
sparse_wps="$(rate "$out/sparse-logs")"
acked="$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sum(c["acked"] for c in d["components"] if c["kind"] == "spout"))' "$out/sparse-summary.json" 2>/dev/null || echo "?")"

{
  echo "runner=storm-localcluster secs=$secs pending=$pending words_per_s=$storm_wps sentences_per_s=$((storm_wps / 11)) peak_rss_mib=$storm_peak"
  echo "runner=sparse-run secs=$secs pending=$pending words_per_s=$sparse_wps sentences_per_s=$((sparse_wps / 11)) peak_rss_mib=$sparse_peak spout_acked=$acked"
} | tee "$out/results.txt"
