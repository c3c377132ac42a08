#!/usr/bin/env bash
# A quick A/B figure for `sparse run` alone (no JVM): runs the repo's wordcount topology
# with the given `sparse` binary for SECS seconds and prints the acked spout tuples per
# second (from --summary-json) and the CPU the `sparse` process and its `sparse-host`
# children used, sampled from /proc between second 2 and second SECS-1.
#
#   storm/bench-sparse-run.sh target/release/sparse new 15
#   storm/bench-sparse-run.sh /tmp/sparse-before old 15 --json-wire
#
# Alternate two binaries on a quiet machine and compare within one sitting: this VM's speed
# drifts between runs minutes apart. The full comparison against Storm is
# storm/bench-wordcount.sh.
set -euo pipefail
bin="$(realpath "$1")"; label="$2"; secs="$3"; shift 3
(( secs >= 5 )) || { echo "SECS must be at least 5" >&2; exit 2; }
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${TMPDIR:-/tmp}/bench-sparse-run-$label"
rm -rf "$out"; mkdir -p "$out"
cd "$repo"
"$bin" run -n wordcount.yaml --no-build -t "$secs" -o topology.max.spout.pending=1000 \
  -o topology.acker.executors=1 -o topology.workers=1 -o "streamparse.log.path=$out" \
  --summary-json "$out/summary.json" "$@" >"$out/out" 2>&1 &
pid=$!
ticks() { # utime+stime of PID, and of its children summed
  local own kids=0 h
  own=$(awk '{print $14+$15}' "/proc/$1/stat")
  for h in $(pgrep -P "$1"); do kids=$((kids + $(awk '{print $14+$15}' "/proc/$h/stat"))); done
  echo "$own $kids"
}
sleep 2
read -r s0 h0 < <(ticks "$pid")
sleep $((secs - 3))
read -r s1 h1 < <(ticks "$pid")
wait "$pid" || { echo "sparse run failed; see $out/out" >&2; exit 1; }
acked=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sum(c["acked"] for c in d["components"] if c["kind"] == "spout"))' "$out/summary.json")
hz=$(getconf CLK_TCK)
python3 - "$label" "$acked" "$secs" "$((s1 - s0))" "$((h1 - h0))" "$hz" "$((secs - 3))" <<'PY'
import sys
label, acked, secs, s, h, hz, window = sys.argv[1], *map(int, sys.argv[2:])
print(f"{label}: {acked // secs} sentences/s ({acked} acked in {secs} s); "
      f"sparse {s / hz / window:.2f} core, sparse-hosts {h / hz / window:.2f} core")
PY
