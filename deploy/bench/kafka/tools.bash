# Shared by the benches that run Apache Kafka 4.3.1's perf tools or broker (deploy/bench/kafka/run,
# deploy/bench/cluster/run, deploy/bench/metrics/run, deploy/bench/txn/run); sourced, not run. Needs ROOT, the
# repository's root; start_runnel and bench need Runnel built (mvn package -pl deploy -am), start_kafka needs
# kafka_tools first. The start_* functions add the broker's pid to the caller's PIDS array, which its EXIT trap kills.
#   step MESSAGE, fail MESSAGE   progress and the reason a bench stops, on stderr
#   free_port                    a free loopback port
#   kafka_tools WORKDIR          fetches kafka-tools and Kafka's broker 4.3.1 from Maven Central once
#                                (deploy/bench/kafka/pom.xml, into deploy/target/bench-kafka/lib) and writes the tools'
#                                log4j2 configuration into WORKDIR
#   tool CLASS ARGS...           runs one of Kafka's tools: warnings on stderr, its figures on stdout
#   producer_line LABEL LINE     ProducerPerformance's summary line as "LABEL records/s N", "LABEL MB/s N",
#                                "LABEL avg ms N" and "LABEL p99 ms N" lines
#   wait_for LOG PATTERN PID WHAT  until LOG shows PATTERN; fails if PID exits first or after 120 s
#   start_runnel WORKDIR PROFILE   one Runnel node on the journal profile PROFILE (data and log in WORKDIR), ready;
#                                sets RUNNEL_PID and RUNNEL_BOOTSTRAP. RUNNEL_JAVA_OPTS adds JVM options. It runs as
#                                deploy/bin/runnel runs it: on RUNNEL_JAVA (deploy/bin/jvm.bash) with the launcher's
#                                AOT cache, trained first when missing (RUNNEL_AOT=off: none)
#   start_kafka WORKDIR          one Apache Kafka 4.3.1 node in KRaft mode (data and log in WORKDIR), ready; sets
#                                KAFKA_PID and KAFKA_BOOTSTRAP. It runs on the same RUNNEL_JAVA as Runnel, so that
#                                the brokers differ in their code, not in their JVM (Kafka ships no AOT cache)
#   stop_process PID             stops a broker started here and waits for it
#   bench CLASS ARGS...          runs a program of deploy/bench on Runnel's classpath: its figures on stdout, its log
#                                (warnings and up, deploy/bench/logback-bench.xml) on stderr

step() { printf '\n== %s\n' "$*" >&2; }
fail() { printf '\nBENCH FAILED: %s\n' "$*" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

root="$ROOT"
source "$ROOT/deploy/bin/jvm.bash"
runnel_jvm

TOOLS="$ROOT/deploy/target/bench-kafka/lib"
TOOLS_LOG4J2=""

kafka_tools() { # WORKDIR
  if [[ ! -f "$TOOLS/.complete" ]]; then
    step "Kafka 4.3.1 broker and tools from Maven Central"
    mvn -B -q -f "$ROOT/deploy/bench/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$TOOLS" >&2 \
      || fail "could not fetch Kafka's jars"
    touch "$TOOLS/.complete"
  fi
  TOOLS_LOG4J2="$1/log4j2-tools.xml"
  cat >"$TOOLS_LOG4J2" <<'XML'
<Configuration status="error">
  <Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%d %p %c{1} - %m%n"/></Console></Appenders>
  <Loggers><Root level="warn"><AppenderRef ref="err"/></Root></Loggers>
</Configuration>
XML
}

tool() { java -Xmx512m -Dlog4j2.configurationFile="$TOOLS_LOG4J2" -cp "$TOOLS/*" "$@"; }

producer_line() { # LABEL LINE
  echo "$2" | sed -E "s/.* sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg latency.*, ([0-9.]+) ms 99th.*/\
$1 records\/s \1\\
$1 MB\/s \2\\
$1 avg ms \3\\
$1 p99 ms \4/"
}

wait_for() { # LOG PATTERN PID WHAT
  for _ in $(seq 1 240); do
    grep -q "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || { tail -30 "$1" >&2; fail "$4 exited"; }
    sleep 0.5
  done
  tail -30 "$1" >&2
  fail "$4 did not start in 120 s"
}

start_runnel() { # WORKDIR PROFILE
  RUNNEL_PORT="$(free_port)"
  runnel_jvm_options
  : >"$1/runnel.log"
  # Same group setting as the Kafka broker below (group.initial.rebalance.delay.ms=0).
  "$RUNNEL_JAVA" -Xmx1g "${RUNNEL_JVM_OPTIONS[@]}" -Drunnel.persistence.profile="$2" \
    -Drunnel.broker.group.initial-rebalance-delay=0s ${RUNNEL_JAVA_OPTS:-} -cp "$ROOT/deploy/target/lib/*" \
    dev.runnel.broker.Main --data-dir "$1/runnel-data" \
    --http-port 0 --schema-registry-port 0 --kafka-port "$RUNNEL_PORT" >"$1/runnel.log" 2>&1 &
  RUNNEL_PID=$!
  PIDS+=("$RUNNEL_PID")
  wait_for "$1/runnel.log" 'Runnel ready' "$RUNNEL_PID" "Runnel"
  RUNNEL_BOOTSTRAP="127.0.0.1:$RUNNEL_PORT"
}

start_kafka() { # WORKDIR
  local port controller_port cluster_id
  port="$(free_port)"
  controller_port="$(free_port)"
  cat >"$1/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$1/kafka-data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  # The tools log warnings (their stdout carries figures); the broker logs INFO, which wait_for reads.
  sed 's/level="warn"/level="info"/' "$TOOLS_LOG4J2" >"$1/log4j2-broker.xml"
  cluster_id="$(tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$1/server.properties" \
    >"$1/format.log" 2>&1 || { cat "$1/format.log" >&2; fail "Kafka storage format"; }
  : >"$1/kafka.log"
  "$RUNNEL_JAVA" -Xmx1g -Dlog4j2.configurationFile="$1/log4j2-broker.xml" -cp "$TOOLS/*" kafka.Kafka "$1/server.properties" \
    >"$1/kafka.log" 2>&1 &
  KAFKA_PID=$!
  PIDS+=("$KAFKA_PID")
  wait_for "$1/kafka.log" 'Kafka Server started\|started (kafka.server.KafkaRaftServer)\|Transitioning from RECOVERY to RUNNING' \
    "$KAFKA_PID" "Kafka"
  KAFKA_BOOTSTRAP="127.0.0.1:$port"
}

stop_process() { # PID
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

bench() {
  java -Xmx512m -Dlogback.configurationFile="$ROOT/deploy/bench/logback-bench.xml" \
    -cp "$ROOT/deploy/target/classes:$ROOT/deploy/target/lib/*" "$@"
}
