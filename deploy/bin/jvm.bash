# Which Java runs a Runnel node, and the AOT cache it starts from; sourced by deploy/bin/runnel and the benches
# (deploy/bench/kafka/tools.bash), not run. Needs root, the repository's root, and a build (deploy/target/lib and
# deploy/target/classes, from mvn package -pl deploy -am).
#
#   runnel_jvm     sets RUNNEL_JAVA (the java binary) and RUNNEL_JAVA_VERSION: RUNNEL_JAVA if set, else the java on
#                  PATH if it is 25 or newer, else the newest JDK of 25 or newer under /usr/lib/jvm, else the java on
#                  PATH (Runnel is built for 17 and runs on every later release)
#   runnel_jvm_options
#                  sets RUNNEL_JVM_OPTIONS, the options a node's JVM gets beyond RUNNEL_JAVA_OPTS: on Java 25 or newer
#                  the AOT cache of this build (deploy/target/aot/), trained first when it is missing or older than a
#                  jar of deploy/target/lib, unless RUNNEL_AOT=off
#
# Why a cache: on a fresh JVM the JIT compilers took most of a node's CPU for its first seconds of traffic (56% during
# a million-record produce, 77% during the first consume, measured with async-profiler on 2 cores), and single C2
# compilations of the request path took up to a second. Java 25's AOT cache (JEP 483, 514, 515) holds the classes a
# training run loaded and linked and the method profiles it gathered, so a node starts with them and its hot paths
# are compiled early. The training run is a node of this build on a scratch data directory, driven by
# dev.runnel.bench.TrainingWorkload (Kafka clients, the native client and the HTTP API) for about half a minute.

runnel_jvm() {
  local on_path candidate version best="" best_major=0
  if [[ -z "${RUNNEL_JAVA:-}" ]]; then
    on_path="$(command -v java || true)"
    if [[ -n "$on_path" ]] && (( $(java_major "$on_path") >= 25 )); then
      best="$on_path"
    else
      for candidate in /usr/lib/jvm/*/bin/java; do
        [[ -x "$candidate" ]] || continue
        version="$(java_major "$candidate")"
        (( version >= 25 && version > best_major )) && best="$candidate" best_major="$version"
      done
    fi
    RUNNEL_JAVA="${best:-java}"
  fi
  RUNNEL_JAVA_VERSION="$(java_version "$RUNNEL_JAVA")"
}

# The version a java prints (25.0.3, 17.0.15; 0 when it does not run).
java_version() { # JAVA
  "$1" -version 2>&1 | sed -nE '1s/.*version "([0-9][^"]*)".*/\1/p' | grep . || echo 0
}
java_major() { # JAVA
  local version
  version="$(java_version "$1")"
  echo "${version%%.*}"
}

runnel_jvm_options() {
  RUNNEL_JVM_OPTIONS=()
  (( ${RUNNEL_JAVA_VERSION%%.*} >= 25 )) || return 0
  # Pekko 1.2 reads fields through sun.misc.Unsafe and snappy-java loads its native library; Java 24 and later warn
  # about both at the first call, on every start.
  RUNNEL_JVM_OPTIONS+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
  [[ "${RUNNEL_AOT:-on}" == off ]] && return 0
  local cache="$root/deploy/target/aot/runnel-$RUNNEL_JAVA_VERSION.aot" trained=0
  if aot_stale "$cache"; then
    # Launchers started together train once: the others wait for the lock and find the cache fresh.
    # A checkout the user cannot write to gets no cache rather than a launcher that stops here.
    { mkdir -p "$(dirname "$cache")" && [[ -w "$(dirname "$cache")" ]]; } 2>/dev/null || return 0
    exec 9>"$cache.lock"
    ! command -v flock >/dev/null || flock 9
    if aot_stale "$cache"; then
      aot_train "$cache" || trained=1
    fi
    exec 9>&-
    (( trained == 0 )) || return 0
  fi
  RUNNEL_JVM_OPTIONS+=("-XX:AOTCache=$cache")
}

aot_stale() { # CACHE
  [[ ! -f "$1" || -n "$(find "$root/deploy/target/lib" -newer "$1" -print -quit)" ]]
}

aot_train() { # CACHE
  local cache="$1" work pid line http kafka start=$SECONDS
  work="$(mktemp -d "${TMPDIR:-/tmp}/runnel-aot.XXXXXX")"
  # Written beside the cache and renamed once whole, so that no node ever maps a cache still being written.
  local partial="$cache.$$.partial"
  echo "Training the AOT cache for Java $RUNNEL_JAVA_VERSION (once per build, about 40 s; RUNNEL_AOT=off skips it)..." >&2
  rm -f "$cache"
  # A small tail cache, so that the workload's fetches read the segment files too.
  "$RUNNEL_JAVA" ${RUNNEL_JAVA_OPTS:--Xmx1g} "${RUNNEL_JVM_OPTIONS[@]}" "-XX:AOTCacheOutput=$partial" \
    -Drunnel.broker.partition.tail-cache-total-bytes=16m -cp "$root/deploy/target/lib/*" dev.runnel.broker.Main \
    --data-dir "$work/data" --host 127.0.0.1 --http-port 0 --kafka-port 0 --schema-registry-port 0 \
    >"$work/node.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 480); do
    line="$(grep -m1 '^Runnel ready: ' "$work/node.log" || true)"
    [[ -n "$line" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if [[ -z "$line" ]]; then
    aot_failed "$work" "$pid" "$partial" "the training node did not start"
    return 1
  fi
  http="$(sed -E 's/.* http=([^ ]+).*/\1/' <<<"$line")"
  kafka="$(sed -E 's/.* kafka=([^ ]+).*/\1/' <<<"$line")"
  if ! "$RUNNEL_JAVA" -Xmx512m -Dlogback.configurationFile="$root/deploy/bench/logback-bench.xml" \
      -cp "$root/deploy/target/classes:$root/deploy/target/lib/*" dev.runnel.bench.TrainingWorkload "$kafka" "$http" \
      >"$work/workload.log" 2>&1; then
    cat "$work/workload.log" >>"$work/node.log"
    aot_failed "$work" "$pid" "$partial" "the training workload failed"
    return 1
  fi
  # The JVM writes the cache as it exits.
  kill -TERM "$pid"
  wait "$pid" || true
  if [[ ! -s "$partial" ]]; then
    aot_failed "$work" "" "$partial" "the JVM wrote no cache"
    return 1
  fi
  mv -f "$partial" "$cache"
  echo "AOT cache ready in $((SECONDS - start)) s: $cache ($(du -m "$cache" | cut -f1) MB)." >&2
  rm -rf "$work"
}

aot_failed() { # WORK PID PARTIAL REASON
  [[ -n "$2" ]] && { kill -KILL "$2" 2>/dev/null || true; wait "$2" 2>/dev/null || true; }
  # A node that exits by itself, on a bad setting say, still writes what it had gathered.
  rm -f "$3"
  echo "AOT training failed ($4); starting without a cache. Its log, last lines:" >&2
  tail -20 "$1/node.log" >&2
  rm -rf "$1"
}
