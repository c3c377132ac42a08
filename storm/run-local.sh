#!/usr/bin/env bash
# Run a Flux topology in Apache Storm's in-process LocalCluster for a fixed time, the way
# `storm local --local-ttl N topo.jar org.apache.storm.flux.Flux topo.yaml` does, without the
# `storm` launcher (no Storm distribution needed; jars come from storm/fetch.sh).
#
# Usage:
#   storm/run-local.sh [options] TOPOLOGY.yaml RESOURCES
#
#   RESOURCES  a directory whose CONTENTS become the topology's resources/ folder (the shell
#              components' working directory), or a jar that has a top-level resources/ entry
#              (e.g. the output of `sparse jar`). Either way it goes FIRST on the classpath,
#              because local mode extracts resources/ from the first classpath jar that has one
#              (flux-core itself carries a resources/ folder with storm.py, storm.rb, ...).
#
# Options:
#   --ttl SECONDS        how long the topology runs before LocalCluster shuts down (default 20)
#   --hard-limit SECONDS wall-clock kill of the whole process group (default TTL + 120)
#   --run-dir DIR        where logs and Storm's scratch go (default storm/target/runs/<stamp>)
#   --log FILE           Storm's log4j output (default RUN_DIR/storm.log)
#   -c KEY=VALUE         extra topology/daemon conf (repeatable; value parsed as JSON if it can
#                        be, like `storm -c`); passed as -Dstorm.options
#   --shell-level LEVEL  log level of ShellBolt/ShellSpout loggers (default INFO; TRACE shows
#                        all multilang `log` levels)
#   --classpath CP       extra classpath entries appended after RESOURCES (e.g. helper classes)
#   --console            also copy Storm's log (WARN and above) to stderr
#   --keep               keep RUN_DIR/tmp (Storm's local dirs: stormdist/resources, pidDirs)
#   --                   everything after is passed to Flux (e.g. --env-filter, --filter FILE)
#
# Environment: STORM_VERSION, STORM_DEPS_DIR (see fetch.sh), STORM_JVM_OPTS (extra JVM args,
# default -Xmx768m), JAVA (default java).
#
# Exit status:
#   0  the topology was submitted, ran for TTL seconds, and LocalCluster shut down cleanly
#   1  the JVM failed (bad YAML, submit error, a component killed the worker, ...): see the log
#   2  usage error / missing files
#   3  the hard wall-clock limit was hit and the process group was killed
# The last line on stdout is always `run-local: status=<n> run_dir=<dir> log=<file>`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2; }
die2() { echo "run-local: $*" >&2; exit 2; }

ttl=20 hard="" run_dir="" log="" shell_level=INFO extra_cp="" console=OFF keep=0
opts=() flux_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ttl) ttl="$2"; shift 2 ;;
    --hard-limit) hard="$2"; shift 2 ;;
    --run-dir) run_dir="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    -c) opts+=("$2"); shift 2 ;;
    --shell-level) shell_level="$2"; shift 2 ;;
    --classpath) extra_cp="$2"; shift 2 ;;
    --console) console=WARN; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die2 "unknown option $1 (try --help)" ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage
yaml="$1"; resources="$2"; shift 2
flux_args=("$@")
[[ "$ttl" =~ ^[0-9]+$ ]] || die2 "--ttl must be whole seconds"
hard="${hard:-$((ttl + 120))}"
[[ -f "$yaml" ]] || die2 "no such Flux YAML: $yaml"
[[ -e "$resources" ]] || die2 "no such resources dir or jar: $resources"
yaml="$(cd "$(dirname "$yaml")" && pwd)/$(basename "$yaml")"
resources="$(cd "$(dirname "$resources")" && pwd)/$(basename "$resources")"

deps="$("$here/fetch.sh" | tail -n1)"
[[ -d "$deps/lib" ]] || die2 "fetch.sh did not produce $deps/lib"

run_dir="${run_dir:-$here/target/runs/$(date +%Y%m%d-%H%M%S)-$$}"
mkdir -p "$run_dir"
run_dir="$(cd "$run_dir" && pwd)"
log="${log:-$run_dir/storm.log}"
mkdir -p "$(dirname "$log")" "$run_dir/tmp"
: >"$log"

# The topology's resources/ must come from the first jar on the classpath.
if [[ -d "$resources" ]]; then
  res_jar="$run_dir/resources.jar"
  stage="$run_dir/resources-stage"
  rm -rf "$stage" "$res_jar"
  mkdir -p "$stage/resources"
  cp -R "$resources/." "$stage/resources/"
  (cd "$stage" && jar --create --file "$res_jar" --no-manifest resources) \
    || die2 "could not build $res_jar"
  rm -rf "$stage"
else
  res_jar="$resources"
  # (no grep -q: with pipefail, an early exit would SIGPIPE the lister and fail the pipeline)
  jar --list --file "$res_jar" 2>/dev/null | grep '^resources/' >/dev/null \
    || echo "run-local: warning: $res_jar has no top-level resources/; flux-core's will be used" >&2
fi

cp="$res_jar"
[[ -n "$extra_cp" ]] && cp="$cp:$extra_cp"
# storm jars first, flux-core (a shaded jar that also bundles slf4j-api/snakeyaml) last.
for j in "$deps"/lib/*.jar; do
  [[ "$(basename "$j")" == flux-core-* ]] && continue
  cp="$cp:$j"
done
cp="$cp:$(ls "$deps"/lib/flux-core-*.jar)"

storm_options=""
if [[ ${#opts[@]} -gt 0 ]]; then
  storm_options="$(python3 -c 'import sys, urllib.parse
print(",".join(urllib.parse.quote(a, safe="") for a in sys.argv[1:]))' "${opts[@]}")"
fi

# Java 17: Storm 2.8 runs without --add-opens for Flux + shell components (verified, see
# README.md); override or extend with STORM_JVM_OPTS.
read -r -a jvm_opts <<<"${STORM_JVM_OPTS:--Xmx768m}"
java_cmd=("${JAVA:-java}" "${jvm_opts[@]}"
  -cp "$cp"
  "-Djava.io.tmpdir=$run_dir/tmp"
  "-Dlog4j.configurationFile=$here/log4j2.xml"
  "-Dlog4j2.disable.jmx=true"
  "-Dsparse.storm.log=$log"
  "-Dsparse.shell.level=$shell_level"
  "-Dsparse.console.level=$console"
  "-Dstorm.local.sleeptime=$ttl"
  "-Dstorm.jar=$res_jar"
  ${storm_options:+"-Dstorm.options=$storm_options"}
  org.apache.storm.LocalCluster
  org.apache.storm.flux.Flux --no-splash "${flux_args[@]}" "$yaml")

printf '%q ' "${java_cmd[@]}" >"$run_dir/command.txt"
echo >>"$run_dir/command.txt"

start=$(date +%s)
set +e
# timeout(1) puts the JVM in its own process group and signals the whole group, so the shell
# subprocesses die with it; -k escalates to SIGKILL 10 s after the TERM.
(cd "$run_dir" && exec timeout -k 10 "$hard" "${java_cmd[@]}") >"$run_dir/java.out" 2>&1
rc=$?
set -e
elapsed=$(($(date +%s) - start))

case "$rc" in
  0) status=0 ;;
  124|137) status=3 ;;
  *) status=1 ;;
esac
# A component that dies while the topology runs is logged as "Halting process: ShellBolt died"
# (in local mode ShellBolt does not exit the JVM at once), or ends the JVM through
# Utils.exitProcess ("Worker died" / "Async loop died"). Lines logged after "STOPPING LOCAL MODE
# CLUSTER" are shutdown noise: Storm SIGTERMs every subprocess (exitCode:143) and then reports
# the broken pipes, so they are ignored here.
died=""
# (skipped after a hard kill: the group's SIGTERM makes every subprocess "die" first)
[[ $status -ne 3 ]] && died="$(awk '/STOPPING LOCAL MODE CLUSTER/ {exit} /Halting process|Worker died|Async loop died/' "$log" 2>/dev/null || true)"
if [[ -n "$died" ]]; then
  echo "run-local: Storm reported a dying component/worker during the run (see $log):" >&2
  head -n 3 <<<"$died" | cut -c1-300 >&2
  [[ $status -eq 0 ]] && status=1
fi
if [[ $status -eq 0 ]] && ! grep -q 'STOPPING LOCAL MODE CLUSTER' "$log"; then
  echo "run-local: the JVM exited 0 but LocalCluster never reached its TTL" >&2
  status=1
fi
[[ $status -eq 3 ]] && echo "run-local: hard limit ${hard}s reached; process group killed" >&2
[[ $status -ne 0 && -s "$run_dir/java.out" ]] && tail -n 20 "$run_dir/java.out" >&2
[[ $keep -eq 1 ]] || rm -rf "$run_dir/tmp"
echo "run-local: status=$status java_rc=$rc elapsed=${elapsed}s run_dir=$run_dir log=$log"
exit "$status"
