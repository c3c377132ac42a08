#!/usr/bin/env bash
# Self-test of the Storm harness against real Apache Storm (LocalCluster), with Python components
# using Storm's own storm.py adapter. Every assertion is made from outside the JVM: files the
# components write into $SPARSE_STORM_OUT, and Storm's log.
#
#   storm/test.sh              # all scenarios (about 4 minutes on 2 cores)
#   storm/test.sh basic direct-bolt-cast
#   STORM_VERSION=2.8.2 storm/test.sh
#
# Scenarios:
#   basic             spout -> split(x2) -> count(2 tasks), TTL 20 s, subprocess timeout 5 s:
#                     all 50 sentences acked, 320 words counted, idle bolts kept alive by
#                     heartbeats, `log` levels mapped (3 -> WARN), cwd/pidDir layout.
#   deaf              same, but the count bolt never answers heartbeats: Storm must kill it
#                     ("subprocess heartbeat timeout") -> run-local status 1.
#   direct-bolt-cast  shell bolt emitDirect with a numeric "task": ClassCastException
#                     Integer -> Long kills the worker (Storm >= 2.6) -> status 1.
#   direct-bolt-simple same with -DJSON_SMART_SIMPLE=true on the JVM: 20/20 routed + acked.
#   direct-bolt-offset same with "task": id + 2**32 (no JVM flag): 20/20 routed + acked.
#   direct-spout-cast / direct-spout-offset   the same two checks for a shell spout.
#   launcher          a non-executable resources/bin/split run as `sh run.sh bin/split`: works.
#   noexec            bin/split as the command itself: "error=13, Permission denied" -> status 1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fx="$here/test-fixtures"
work="${STORM_TEST_DIR:-$here/target/test}"
all=(basic deaf direct-bolt-cast direct-bolt-simple direct-bolt-offset direct-spout-cast
  direct-spout-offset launcher noexec)
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("${all[@]}")

deps="$("$here/fetch.sh" | tail -n1)"
version="$(basename "$deps"/lib/storm-client-*.jar .jar)"; version="${version#storm-client-}"
# ver_ge A: is the Storm under test >= A ?
ver_ge() { [[ "$(printf '%s\n%s\n' "$1" "$version" | sort -V | head -n1)" == "$1" ]]; }
echo "storm/test.sh: Apache Storm $version from $deps"
rm -rf "$work"
mkdir -p "$work"

# resources/ for a fixture: its own files + the shared probe + Storm's storm.py adapter.
stage() {
  local dest="$1"; shift
  mkdir -p "$dest"
  for d in "$@"; do cp -R "$fx/$d/resources/." "$dest/"; done
  cp "$fx/basic/resources/probe.py" "$dest/"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("resources/storm.py"))' \
    "$deps"/extra/multilang-python-*.jar >"$dest/storm.py"
}

fails=0
pass() { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; fails=$((fails + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# run NAME EXPECTED_STATUS YAML RESOURCES [run-local options...]; sets $out and $log
run() {
  local name="$1" want="$2" yaml="$3" res="$4"; shift 4
  out="$work/$name/out"; log="$work/$name/run/storm.log"
  mkdir -p "$out"
  echo "== $name"
  local rc=0
  SPARSE_STORM_OUT="$out" "$here/run-local.sh" --run-dir "$work/$name/run" "$@" "$yaml" "$res" \
    >"$work/$name/run-local.out" 2>&1 || rc=$?
  tail -n1 "$work/$name/run-local.out" | sed 's/^/  /'
  check "run-local status $rc == $want" test "$rc" -eq "$want"
}

count_lines() { cat "$@" 2>/dev/null | wc -l | tr -d ' '; }
kind() { local k="$1"; shift; cat "$@" 2>/dev/null | grep -c "^$k " || true; }

# per-word counts expected for the basic spout (10 rounds of 5 sentences)
expected_counts() {
  python3 - "$fx/basic/resources" <<'EOF'
import sys, collections
src = open(sys.argv[1] + "/sentence_spout.py").read()
ns = {}
exec(src.split("class SentenceSpout")[0].replace("import probe", "").replace("import storm", ""), ns)
c = collections.Counter(w for s in ns["SENTENCES"] for w in s.split())
for w in sorted(c):
    print(w, c[w] * ns["REPEAT"])
EOF
}
# final per-word counts from the count bolt's records (max n per word)
observed_counts() {
  python3 - "$@" <<'EOF'
import sys, json
best = {}
for f in sys.argv[1:]:
    for line in open(f):
        k, _, j = line.partition(" ")
        if k == "count":
            o = json.loads(j)
            best[o["word"]] = max(best.get(o["word"], 0), o["n"])
for w in sorted(best):
    print(w, best[w])
EOF
}
# every direct-emitted number reached exactly the task it was addressed to
direct_routed_ok() {
  python3 - "$1" "$2" <<'EOF'
import sys, json, glob
out, sender = sys.argv[1], sys.argv[2]
want, got = {}, {}
for f in glob.glob(f"{out}/{sender}_*.txt"):
    for line in open(f):
        k, _, j = line.partition(" ")
        if k == "emit_direct":
            o = json.loads(j); want[o["n"]] = o["task"]
for f in glob.glob(f"{out}/sink_*.txt"):
    for line in open(f):
        k, _, j = line.partition(" ")
        if k == "got":
            o = json.loads(j); got.setdefault(o["n"], []).append(o["my_task"])
ok = len(want) == 20 and all(got.get(n) == [t] for n, t in want.items())
print(f"  direct: {len(want)} emitted, {sum(map(len, got.values()))} received")
sys.exit(0 if ok else 1)
EOF
}

for s in "${scenarios[@]}"; do
  case "$s" in
    basic)
      stage "$work/res-basic" basic
      run basic 0 "$fx/basic/topology.yaml" "$work/res-basic" --ttl 20 --shell-level TRACE
      check "spout acked 50 sentences" test "$(kind ack "$out"/sentences_*.txt)" -eq 50
      check "no spout fail" test "$(kind fail "$out"/sentences_*.txt)" -eq 0
      check "320 words counted" test "$(kind count "$out"/count_*.txt)" -eq 320
      check "per-word counts match" diff <(expected_counts) <(observed_counts "$out"/count_*.txt)
      for f in "$out"/split_*.txt "$out"/count_*.txt; do
        check "heartbeats kept $(basename "$f") alive (>= 10 answered)" \
          test "$(grep -c '^heartbeat {"answered": true' "$f")" -ge 10
      done
      check "no heartbeat timeout" bash -c "! grep -q 'subprocess heartbeat timeout' '$log'"
      if ver_ge 2.8.1 || ! ver_ge 2.6.0; then
        check "log level 3 -> WARN" grep -qE ' WARN .*ShellLog pid:[0-9]+, name:count level-probe level=3' "$log"
        check "log level 0 -> TRACE" grep -qE ' TRACE .*ShellLog pid:[0-9]+, name:count level-probe level=0' "$log"
      else  # 2.6.0-2.8.0: the level is ignored (Integer/Long), fixed in 2.8.1
        check "log level 3 -> INFO (known bug before 2.8.1)" grep -qE ' INFO .*ShellLog pid:[0-9]+, name:count level-probe level=3' "$log"
      fi
      check "log level 7 -> INFO" grep -qE ' INFO .*ShellLog pid:[0-9]+, name:count level-probe level=7' "$log"
      check "cwd is stormdist/<id>/resources" grep -qE '"cwd": "[^"]*/supervisor/stormdist/sparse-harness-basic-[^/"]+/resources"' "$out"/count_*.txt
      check "pidDir is workers/<id>/pids" grep -qE '"pid_dir": "[^"]*/workers/[^/"]+/pids"' "$out"/count_*.txt
      ;;
    deaf)
      stage "$work/res-basic" basic
      SPARSE_PROBE_DEAF=count run deaf 1 "$fx/basic/topology.yaml" "$work/res-basic" --ttl 15
      check "Storm killed the deaf bolt" grep -q 'subprocess heartbeat timeout' "$log"
      ;;
    direct-bolt-cast)
      stage "$work/res-direct" direct
      if ver_ge 2.6.0; then
        run "$s" 1 "$fx/direct/topology-bolt-flux.yaml" "$work/res-direct" --ttl 15
        check "ClassCastException Integer -> Long in JsonSerializer" \
          grep -qE 'java.lang.Integer cannot be cast to class java.lang.Long' "$log"
      else  # json-simple: every integer is a Long
        run "$s" 0 "$fx/direct/topology-bolt-flux.yaml" "$work/res-direct" --ttl 15
      fi
      ;;
    direct-bolt-simple)
      stage "$work/res-direct" direct
      STORM_JVM_OPTS="-Xmx768m -DJSON_SMART_SIMPLE=true" \
        run "$s" 0 "$fx/direct/topology-bolt-flux.yaml" "$work/res-direct" --ttl 15
      check "20 numbers routed to their task" direct_routed_ok "$out" router
      check "20 spout tuples acked" test "$(kind ack "$out"/numbers_*.txt)" -eq 20
      ;;
    direct-bolt-offset)
      stage "$work/res-direct" direct
      SPARSE_TASK_OFFSET=4294967296 \
        run "$s" 0 "$fx/direct/topology-bolt-flux.yaml" "$work/res-direct" --ttl 15
      check "20 numbers routed to their task" direct_routed_ok "$out" router
      check "20 spout tuples acked" test "$(kind ack "$out"/numbers_*.txt)" -eq 20
      ;;
    direct-spout-cast)
      stage "$work/res-direct" direct
      if ver_ge 2.6.0; then
        SPARSE_SPOUT_DIRECT=1 run "$s" 1 "$fx/direct/topology-spout-flux.yaml" "$work/res-direct" --ttl 15
        check "ClassCastException Integer -> Long in JsonSerializer" \
          grep -qE 'java.lang.Integer cannot be cast to class java.lang.Long' "$log"
      else
        SPARSE_SPOUT_DIRECT=1 run "$s" 0 "$fx/direct/topology-spout-flux.yaml" "$work/res-direct" --ttl 15
      fi
      ;;
    direct-spout-offset)
      stage "$work/res-direct" direct
      SPARSE_SPOUT_DIRECT=1 SPARSE_TASK_OFFSET=4294967296 \
        run "$s" 0 "$fx/direct/topology-spout-flux.yaml" "$work/res-direct" --ttl 15
      check "20 numbers routed to their task" direct_routed_ok "$out" numbers
      check "20 spout tuples acked" test "$(kind ack "$out"/numbers_*.txt)" -eq 20
      ;;
    launcher)
      stage "$work/res-launcher" basic launcher
      run launcher 0 "$fx/launcher/topology.yaml" "$work/res-launcher" --ttl 15
      check "320 words counted through sh run.sh" test "$(kind count "$out"/count_*.txt)" -eq 320
      check "per-word counts match through sh run.sh" diff <(expected_counts) <(observed_counts "$out"/count_*.txt)
      ;;
    noexec)
      stage "$work/res-launcher" basic launcher
      run noexec 1 "$fx/launcher/topology-noexec.yaml" "$work/res-launcher" --ttl 15
      check "launch failed with EACCES" grep -q 'error=13, Permission denied' "$log"
      ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done

if pgrep -f 'org.apache.storm.LocalCluster' >/dev/null; then
  fail "a LocalCluster JVM is still running: $(pgrep -f org.apache.storm.LocalCluster | tr '\n' ' ')"
fi
echo
if [[ $fails -eq 0 ]]; then echo "storm/test.sh: all checks passed"; else echo "storm/test.sh: $fails check(s) failed"; fi
exit $((fails > 0))
