#!/usr/bin/env bash
# A real single-node Apache Kafka broker in KRaft mode (no ZooKeeper), from Maven Central's
# jars, for tests and for trying topologies that read from Kafka. Like cluster.sh for Storm.
#
# Usage:
#   storm/kafka.sh start [--port PORT] [--dir DIR]   format storage (new cluster id), start the
#                                                   broker in the background, wait until it serves
#   storm/kafka.sh topic NAME [PARTITIONS]           create a topic (default 1 partition)
#   storm/kafka.sh produce TOPIC [FILE]              send each line of FILE (default stdin) as one
#                                                   record (UTF-8 kept as is)
#   storm/kafka.sh offsets GROUP                     committed offset, end offset and lag of a
#                                                   consumer group, one line per partition:
#                                                   `TOPIC PARTITION COMMITTED END LAG`
#   storm/kafka.sh stop                              stop the broker (SIGTERM, then SIGKILL)
#   storm/kafka.sh status
#
# State lives in --dir (default storm/target/kafka): data/, server.properties, kafka.log, pid.
# The bootstrap address is 127.0.0.1:PORT (default 9092); every command but start reads it from
# the state folder. Environment: KAFKA_VERSION (default 4.1.1), KAFKA_DIR (as --dir), JAVA.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${KAFKA_VERSION:-4.1.1}"
dir="${KAFKA_DIR:-$here/target/kafka}"
port=9092
java="${JAVA:-java}"
die() { echo "kafka.sh: $*" >&2; exit 2; }

cmd="${1:-}"; [[ -n "$cmd" ]] || { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2; }
shift
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
[[ -f "$dir/port" && "$cmd" != start ]] && port="$(cat "$dir/port")"
bootstrap="127.0.0.1:$port"

# The broker's jars (kafka_2.13 brings the server, kafka-tools the topic/producer/group tools).
classpath() {
  local lib="$here/target/kafka-deps-$version"
  if [[ ! -f "$lib/.complete" ]]; then
    command -v mvn >/dev/null || die "mvn not found on PATH"
    local tmp="$lib.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
    cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>dev.sparse</groupId><artifactId>kafka-broker</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
    echo "kafka.sh: resolving Kafka $version with Maven into $lib" >&2
    mvn -B -q -f "$tmp/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime "-DoutputDirectory=$tmp/lib" >&2 || die "Maven could not resolve Kafka $version"
    rm -rf "$lib"; mv "$tmp/lib" "$lib"; rm -rf "$tmp"; touch "$lib/.complete"
  fi
  echo "$lib/*"
}

# The tools log warnings and errors only, on stderr.
run_class() {
  local cp; cp="$(classpath)"
  printf '%s\n' 'log4j.rootLogger=WARN, err' 'log4j.appender.err=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.err.Target=System.err' 'log4j.appender.err.layout=org.apache.log4j.PatternLayout' \
    'log4j.appender.err.layout.ConversionPattern=%p %c: %m%n' >"$dir/tools-log4j.properties"
  "$java" -Xmx256m "-Dlog4j.configuration=file:$dir/tools-log4j.properties" -cp "$cp" "$@"
}

running() { [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

case "$cmd" in
  start)
    running && die "a broker is already running (pid $(cat "$dir/pid")); stop it first"
    cp="$(classpath)"
    rm -rf "$dir/data"; mkdir -p "$dir/data"
    echo "$port" >"$dir/port"
    cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((port + 1))
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
    cat >"$dir/log4j.properties" <<LOG
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=%d %p %c: %m%n
LOG
    cluster_id="$("$java" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    [[ -n "$cluster_id" ]] || die "StorageTool random-uuid gave no cluster id"
    "$java" -Xmx256m -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/server.properties" --standalone >"$dir/format.log" 2>&1 \
      || "$java" -Xmx256m -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" \
           -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
      || { cat "$dir/format.log" >&2; die "formatting the storage failed"; }
    setsid "$java" -Xmx512m "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
      "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$cp" kafka.Kafka \
      "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 120); do
      if ! running; then tail -n 30 "$dir/stdout.log" >&2; die "the broker exited during start-up (see $dir)"; fi
      if run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --list >/dev/null 2>&1; then
        echo "kafka.sh: broker up at $bootstrap (pid $(cat "$dir/pid"), cluster id $cluster_id, state $dir)" >&2
        echo "$bootstrap"
        exit 0
      fi
      sleep 1
    done
    "$0" stop --dir "$dir" || true
    die "the broker did not answer within 120 s (see $dir/stdout.log)"
    ;;
  topic)
    name="${1:?topic name}"; parts="${2:-1}"
    run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
      --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 >&2
    ;;
  produce)
    topic="${1:?topic}"; src="${2:-/dev/stdin}"
    run_class org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$bootstrap" \
      --topic "$topic" --producer-property acks=all <"$src" >&2
    ;;
  offsets)
    group="${1:?consumer group}"
    run_class org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$bootstrap" \
      --describe --group "$group" 2>/dev/null \
      | awk -v g="$group" '$1 == g && $3 ~ /^[0-9]+$/ { print $2, $3, $4, $5, $6 }'
    ;;
  stop)
    if running; then
      pid="$(cat "$dir/pid")"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; }
      echo "kafka.sh: broker stopped" >&2
    fi
    rm -f "$dir/pid"
    ;;
  status)
    if running; then echo "running pid $(cat "$dir/pid") at $bootstrap"; else echo "stopped"; exit 1; fi
    ;;
  *) die "unknown command $cmd (start, topic, produce, offsets, stop, status)" ;;
esac
