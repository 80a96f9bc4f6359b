# Shared by the benches that run Apache Kafka 4.3.1's perf tools (deploy/bench/kafka/run, deploy/bench/cluster/run);
# sourced, not run. Needs ROOT, the repository's root.
#   step MESSAGE, fail MESSAGE   progress and the reason a bench stops, on stderr
#   free_port                    a free loopback port
#   kafka_tools WORKDIR          fetches kafka-tools and Kafka's broker 4.3.1 from Maven Central once
#                                (deploy/bench/kafka/pom.xml, into deploy/target/bench-kafka/lib) and writes the tools'
#                                log4j2 configuration into WORKDIR
#   tool CLASS ARGS...           runs one of Kafka's tools: warnings on stderr, its figures on stdout
#   producer_line LABEL LINE     ProducerPerformance's summary line as "LABEL records/s N", "LABEL MB/s N",
#                                "LABEL avg ms N" and "LABEL p99 ms N" lines

step() { printf '\n== %s\n' "$*" >&2; }
fail() { printf '\nBENCH FAILED: %s\n' "$*" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

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
