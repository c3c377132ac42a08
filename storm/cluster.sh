#!/usr/bin/env bash
# A real Apache Storm cluster on loopback, from the Maven jars: ZooKeeper (Storm's
# DevZookeeper), Nimbus and one Supervisor (or more, each standing for a machine), each its
# own JVM, and the worker JVMs the Supervisors launch. Used by `sparse submit/list/kill` and
# fault tests (sparse/tests/integration/storm_cluster.rs, storm_faults.rs) and by hand.
#
#   storm/cluster.sh start  [--dir DIR] [--slots N] [--supervisors K] [--webapp-lib DIR]
#                                                     # prints NIMBUS=127.0.0.1:PORT etc.
#   storm/cluster.sh status [--dir DIR]               # exit 0 if all its daemons run
#   storm/cluster.sh stop   [--dir DIR]               # stops daemons AND their workers
#   storm/cluster.sh env    [--dir DIR]               # the KEY=VALUE lines of a started cluster
#
# DIR (default storm/target/cluster, or $STORM_CLUSTER_DIR) holds everything:
#   home/             storm.home: lib-worker/ (symlinks to the fetch.sh cache, storm-server
#                     excluded, flux-core excluded: the topology jar must carry Flux), conf/
#                     storm.yaml, log4j2/{cluster,worker}.xml
#   local/            storm.local.dir (blobstore, supervisor/stormdist/<id>/resources, workers/)
#   logs/             storm.log.dir: zookeeper.log, nimbus.log, supervisor.log,
#                     workers-artifacts/<topology-id>/<port>/worker.log
#   pids/             one pid per daemon; each daemon is a process-group leader (setsid), so
#                     `stop` kills the group: the worker JVMs and their shell subprocesses too.
#                     A Supervisor's pid is that of the loop that restarts it when it exits
#                     (Storm's daemons are meant to run under supervision)
#   cluster.env       NIMBUS, NIMBUS_HOST, NIMBUS_PORT, ZK_PORT, SPARSE_STORM_CLASSPATH, DIR,
#                     SUPERVISORS
#   sup<k>/           supervisor k >= 2 (`--supervisors K`, default 1): its own storm.home
#                     (home/: lib-worker and log4j2 linked to the first one's, its own
#                     conf/storm.yaml) and storm.local.dir (local/), so it has its own
#                     supervisor id, thrift port and N slot ports. Its workers read that
#                     storm.yaml (the supervisor puts STORM_CONF_DIR on their classpath).
#                     Logs: logs/supervisor-<k>.log; its workers' folders are in the shared
#                     logs/workers-artifacts/ (slot ports never collide). Every supervisor
#                     has the hostname 127.0.0.1: Storm tells them apart by id, and its
#                     default scheduler (no storm.scheduler set: DefaultScheduler, which
#                     honours topology.workers) spreads a topology's workers over them.
#
# The client classpath (SPARSE_STORM_CLASSPATH) is the fetch.sh cache lib/ plus storm-core
# (which holds org.apache.storm.command.{ListTopologies,KillTopology,DevZookeeper}); storm-core
# is fetched on its own, without its transitive deps (jetty, hadoop-auth: not needed here),
# into <deps>/cluster/. Versions: STORM_VERSION, as for fetch.sh.
#
# Storm's UI and logviewer (`sparse stats`, `worker_uptime`, `slot_usage`, `tail`,
# `remove_logs`) live in storm-webapp, which Apache Storm ships only in its binary
# distribution (`<storm>/lib-webapp/`), not on Maven Central. With `--webapp-lib DIR` (or
# STORM_WEBAPP_LIB=DIR), DIR being such a lib-webapp folder (storm-webapp-<version>.jar and its
# jetty/jersey/dropwizard jars), `start` also runs the UI and the logviewer (the classpath
# `storm` puts together: lib/ + lib-webapp/ + conf) on free ports and adds UI_PORT and
# LOGVIEWER_PORT to cluster.env; the logviewer serves `logs/workers-artifacts/`. The UI's
# pages come from the distribution's public/ next to DIR when there is one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cmd="${1:-}"
[[ $# -gt 0 ]] && shift
dir="${STORM_CLUSTER_DIR:-$here/target/cluster}"
slots=2
supervisors=1
webapp_lib="${STORM_WEBAPP_LIB:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --slots) slots="$2"; shift 2 ;;
    --supervisors) supervisors="$2"; shift 2 ;;
    --webapp-lib) webapp_lib="$2"; shift 2 ;;
    *) echo "cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
log() { echo "cluster.sh: $*" >&2; }
[[ "$supervisors" =~ ^[1-9]$ ]] || { log "--supervisors takes 1 to 9, not '$supervisors'"; exit 2; }
[[ "$slots" =~ ^[1-9][0-9]?$ ]] || { log "--slots takes 1 to 99, not '$slots'"; exit 2; }

# The supervisor daemons' names (pid files, logs): supervisor, supervisor-2, ...
sup_names() { # those with a pid file, and those --supervisors asks for
  local k
  echo supervisor
  for ((k = 2; k <= 9; k++)); do
    if [[ -f "$dir/pids/supervisor-$k" ]] || ((k <= supervisors)); then echo "supervisor-$k"; fi
  done
}

alive() { [[ -f "$dir/pids/$1" ]] && kill -0 "$(cat "$dir/pids/$1")" 2>/dev/null; }

stop() {
  local d pid i
  for d in ui logviewer $(sup_names | sort -r) nimbus zookeeper; do
    [[ -f "$dir/pids/$d" ]] || continue
    pid="$(cat "$dir/pids/$d")"
    # The daemon leads its own process group: the workers (LogWriter + Worker JVMs) and their
    # shell subprocesses are in it too.
    kill -TERM -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$dir/pids/$d"
  done
  log "stopped ($dir)"
}

free_ports() { # N free TCP ports on loopback
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_port() { # host port secs name
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    alive "$4" || { log "$4 died; see $dir/logs/$4.log / $dir/logs/$4.out"; tail -n 20 "$dir/logs/$4.out" >&2 || true; return 1; }
    sleep 0.2
  done
  log "$4 did not open port $2 within $3 s"; return 1
}

start() {
  local d
  for d in nimbus zookeeper ui logviewer $(sup_names); do
    if alive "$d"; then log "already running in $dir (stop it first)"; exit 1; fi
  done
  local deps version core cp ports zk nimbus_port sup_port slot_ports p
  deps="$("$here/fetch.sh" | tail -n1)"
  version="$(sed -n 's/^storm.version=\([^ ]*\) .*/\1/p' "$deps/.complete")"
  core="$deps/cluster/storm-core-$version.jar"
  if [[ ! -s "$core" ]]; then
    log "fetching storm-core $version (non-transitive) into $deps/cluster"
    mkdir -p "$deps/cluster"
    timeout 600 mvn -B -q ${MAVEN_REPO_LOCAL:+"-Dmaven.repo.local=$MAVEN_REPO_LOCAL"} \
      org.apache.maven.plugins:maven-dependency-plugin:2.8:get \
      "-Dartifact=org.apache.storm:storm-core:$version" -Dtransitive=false "-Ddest=$core.tmp" >&2
    mv "$core.tmp" "$core"
  fi
  cp="$deps/lib/*:$deps/cluster/*"

  rm -rf "$dir/home" "$dir/local" "$dir/logs" "$dir/zk" "$dir/pids" "$dir/cluster.env" \
    "$dir"/sup[0-9]
  mkdir -p "$dir/home/lib-worker" "$dir/home/conf" "$dir/home/log4j2" "$dir/local" "$dir/logs" \
    "$dir/zk" "$dir/pids"
  for j in "$deps"/lib/*.jar; do
    case "$(basename "$j")" in storm-server-* | flux-core-* | rocksdbjni-*) continue ;; esac
    ln -s "$j" "$dir/home/lib-worker/"
  done

  if [[ -n "$webapp_lib" ]]; then
    compgen -G "$webapp_lib/storm-webapp-*.jar" >/dev/null || {
      log "--webapp-lib $webapp_lib holds no storm-webapp-*.jar (a Storm distribution's lib-webapp/)"
      exit 2
    }
    webapp_lib="$(cd "$webapp_lib" && pwd)"
  fi
  # zk, nimbus, ui, logviewer, then per supervisor: its thrift port and its slots.
  read -r -a ports <<<"$(free_ports $((4 + supervisors * (1 + slots))))"
  zk="${ports[0]}"; nimbus_port="${ports[1]}"
  ui_port="${ports[2]}"; logviewer_port="${ports[3]}"

  local k base home local_dir
  for ((k = 1; k <= supervisors; k++)); do
    base=$((4 + (k - 1) * (1 + slots)))
    sup_port="${ports[$base]}"
    slot_ports=""
    for ((p = base + 1; p <= base + slots; p++)); do slot_ports+="    - ${ports[$p]}"$'\n'; done
    if ((k == 1)); then
      home="$dir/home"; local_dir="$dir/local"
    else
      home="$dir/sup$k/home"; local_dir="$dir/sup$k/local"
      mkdir -p "$home/conf" "$local_dir"
      ln -s "$dir/home/lib-worker" "$home/lib-worker"
      ln -s "$dir/home/log4j2" "$home/log4j2"
    fi
  cat >"$home/conf/storm.yaml" <<EOF
# Generated by storm/cluster.sh: a cluster on loopback, supervisor $k of $supervisors.
storm.zookeeper.servers: ["127.0.0.1"]
storm.zookeeper.port: $zk
dev.zookeeper.path: "$dir/zk"
nimbus.seeds: ["127.0.0.1"]
nimbus.thrift.port: $nimbus_port
supervisor.thrift.port: $sup_port
ui.port: $ui_port
logviewer.port: $logviewer_port
storm.local.hostname: "127.0.0.1"
storm.local.dir: "$local_dir"
storm.log.dir: "$dir/logs"
supervisor.slots.ports:
$slot_ports
# Java 17, small heaps: two cores and CI memory limits.
worker.heap.memory.mb: 384
worker.childopts: "-Xmx%HEAP-MEM%m -XX:+HeapDumpOnOutOfMemoryError"
topology.worker.logwriter.childopts: "-Xmx32m"
# Faster reaction for tests (defaults 10 s / 60 s).
nimbus.monitor.freq.secs: 2
supervisor.monitor.frequency.secs: 1
# Nimbus's blacklist shuts a supervisor that was missing 3 times in 300 s out for 30 min, by
# host; every supervisor here is 127.0.0.1, and a restarted one (see launch) must be used
# again. More than the window holds (300 s / 2 s) means never.
blacklist.scheduler.tolerance.count: 1000
EOF
  done
  cat >"$dir/home/log4j2/cluster.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" monitorInterval="0">
  <Appenders>
    <!-- A rolling file named A1: the logviewer finds the daemon log folder through the
         appender named by logviewer.appender.name (default A1) and needs a RollingFile. -->
    <RollingFile name="A1" fileName="${sys:storm.log.dir}/${sys:logfile.name}"
                 filePattern="${sys:storm.log.dir}/${sys:logfile.name}.%i">
      <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5p [%t] %c{1.} %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="50 MB"/></Policies>
      <DefaultRolloverStrategy max="2"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="A1"/></Root>
    <Logger name="org.apache.storm.shade.org.apache.zookeeper" level="WARN"/>
    <Logger name="org.apache.storm.shade.org.apache.curator" level="WARN"/>
  </Loggers>
</Configuration>
EOF
  # Worker and LogWriter JVMs: ${sys:workers.artifacts}/<topology-id>/<port>/worker.log,
  # capped: at most 3 files of 20 MB (worker.log, worker.log.1, worker.log.2) per worker
  # port. A worker whose ShellBolt died can log the same error in a loop (13 GB in two
  # minutes once, in LocalCluster).
  cat >"$dir/home/log4j2/worker.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" monitorInterval="0">
  <Appenders>
    <RollingFile name="F" fileName="${sys:workers.artifacts}/${sys:storm.id}/${sys:worker.port}/${sys:logfile.name}"
                 filePattern="${sys:workers.artifacts}/${sys:storm.id}/${sys:worker.port}/${sys:logfile.name}.%i">
      <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5p [%t] %c{1.} %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="2"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="F"/></Root>
    <Logger name="org.apache.storm.shade.org.apache.zookeeper" level="WARN"/>
    <Logger name="org.apache.storm.shade.org.apache.curator" level="WARN"/>
  </Loggers>
</Configuration>
EOF

  # name heap main-class [extra classpath [storm.home]]
  launch() {
    local name="$1" heap="$2" main="$3" extra="${4:-}" home="${5:-$dir/home}"
    local java=("${JAVA:-java}" "-Xmx$heap" -cp "$home/conf:$cp$extra"
      "-Dstorm.home=$home" "-Dstorm.log.dir=$dir/logs" "-Dlogfile.name=$name.log"
      "-Dlog4j.configurationFile=$dir/home/log4j2/cluster.xml" -Dlog4j2.disable.jmx=true
      "-Djava.io.tmpdir=$dir/local" "$main")
    if [[ "$main" == *.Supervisor ]]; then
      # Storm's daemons are fail-fast and must run under supervision (Storm's "Setting up a
      # Storm cluster"): a Supervisor halts on some errors, e.g. a topology killed while one
      # of its slots is still fetching it ("Unable to read local file ... stormconf.ser",
      # seen in the cluster test). As supervisord would, this loop starts it again; `stop`
      # kills the loop with the rest of the process group.
      STORM_CONF_DIR="$home/conf" setsid bash -c '
        while :; do
          "$@"
          echo "[cluster.sh] the Supervisor exited ($?); starting it again in 2 s" >&2
          sleep 2
        done' supervise "${java[@]}" </dev/null >"$dir/logs/$name.out" 2>&1 &
    else
      STORM_CONF_DIR="$home/conf" setsid "${java[@]}" </dev/null >"$dir/logs/$name.out" 2>&1 &
    fi
    echo $! >"$dir/pids/$name"
  }
  log "starting ZooKeeper :$zk, Nimbus :$nimbus_port, $supervisors Supervisor(s) (slots: $slots each) in $dir"
  launch zookeeper 128m org.apache.storm.command.DevZookeeper
  wait_port 127.0.0.1 "$zk" 60 zookeeper || { stop; exit 1; }
  launch nimbus 512m org.apache.storm.daemon.nimbus.Nimbus
  launch supervisor 256m org.apache.storm.daemon.supervisor.Supervisor
  for ((k = 2; k <= supervisors; k++)); do
    launch "supervisor-$k" 256m org.apache.storm.daemon.supervisor.Supervisor "" "$dir/sup$k/home"
  done
  wait_port 127.0.0.1 "$nimbus_port" 120 nimbus || { stop; exit 1; }
  for ((k = 1; k <= supervisors; k++)); do
    d=supervisor; ((k == 1)) || d="supervisor-$k"
    wait_port 127.0.0.1 "${ports[$((4 + (k - 1) * (1 + slots)))]}" 120 "$d" || { stop; exit 1; }
  done
  local webapp_env=""
  if [[ -n "$webapp_lib" ]]; then
    log "starting the UI :$ui_port and the logviewer :$logviewer_port ($webapp_lib)"
    # The UI serves its pages from <storm.home>/public (next to lib-webapp/ in a
    # distribution); the REST API needs none of them, so an empty folder does without.
    if [[ -d "$webapp_lib/../public" ]]; then
      ln -s "$(cd "$webapp_lib/../public" && pwd)" "$dir/home/public"
    else
      mkdir -p "$dir/home/public"
    fi
    launch ui 256m org.apache.storm.daemon.ui.UIServer ":$webapp_lib/*"
    launch logviewer 128m org.apache.storm.daemon.logviewer.LogviewerServer ":$webapp_lib/*"
    wait_port 127.0.0.1 "$ui_port" 120 ui || { stop; exit 1; }
    wait_port 127.0.0.1 "$logviewer_port" 120 logviewer || { stop; exit 1; }
    webapp_env="UI_PORT=$ui_port"$'\n'"LOGVIEWER_PORT=$logviewer_port"$'\n'
  fi

  cat >"$dir/cluster.env" <<EOF
NIMBUS=127.0.0.1:$nimbus_port
NIMBUS_HOST=127.0.0.1
NIMBUS_PORT=$nimbus_port
ZK_PORT=$zk
SPARSE_STORM_CLASSPATH=$cp
STORM_CLUSTER_DIR=$dir
SUPERVISORS=$supervisors
EOF
  printf '%s' "$webapp_env" >>"$dir/cluster.env"
  cat "$dir/cluster.env"
  log "up"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status)
    rc=0
    daemons="zookeeper nimbus $(sup_names | tr '\n' ' ')"
    [[ -f "$dir/pids/ui" ]] && daemons+=" ui logviewer"
    for d in $daemons; do
      if alive "$d"; then echo "$d: running (pid $(cat "$dir/pids/$d"))"; else echo "$d: stopped"; rc=1; fi
    done
    exit $rc ;;
  env) cat "$dir/cluster.env" ;;
  *) echo "usage: cluster.sh start|stop|status|env [--dir DIR] [--slots N] [--supervisors K]" >&2; exit 2 ;;
esac
