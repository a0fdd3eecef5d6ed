#!/usr/bin/env bash
# One command: installs the module, builds the benchmark and runs it (a few minutes on 2 cores).
#   bench/run.sh            the side-by-side table (direct, baseline, end to end, slow bank, short token life)
#   bench/run.sh jmh        the JMH benchmark of the token lookup hot path
# Options (environment): BENCH_SECONDS (per phase, default 15), BENCH_CONCURRENCY (16), BENCH_CONSUMERS (32),
# BENCH_HEAP (256m), BENCH_GC (-XX:+UseParallelGC), BENCH_OPTS (more JVM options), PROFILE=1 (JFR recording of the
# whole run, where the module's time goes printed at the end).
#   bench/run.sh heap       3 minutes of load, the used heap after GC every 30 s
#   bench/run.sh tracking   end-to-end initiation alone against the same with 500 payments being tracked, alternating
#   bench/run.sh jdbc       end to end on the file store against the jdbc store (a throwaway PostgreSQL), alternating;
#                           then claims per second of the jdbc store per pool size
#   bench/run.sh metrics    direct and end to end with metrics off and on (pisp.metrics.enabled), alternating JVMs
#   bench/run.sh direct-median  the direct / baseline comparison in BENCH_RUNS (3) JVMs of its own, each run's ratio
#                           and their median (single runs swing on 2 shared cores)
#   bench/run.sh tcp        the path an ESB uses: the packaged jar as the README launches it, producer, outcome reader
#                           and bank each in a process of their own over TCP; the module against a broker-only and a
#                           minimal-route anchor (bench/anchors/), alternating. BENCH_TCP_ROUNDS (3),
#                           BENCH_TCP_LATENCY (bank, ms, 0), BENCH_TCP_JVM (module JVM options, -Xmx256m),
#                           BENCH_TCP_PROPS (more -Dk=v for the module), BENCH_TCP_CONSUMERS (e.g. 4,8,16: module runs
#                           per pisp.concurrent-consumers instead), BENCH_TCP_WARMUP / BENCH_TCP_SECONDS (120 / 20:
#                           the window opens that long after the first outcome, the same JVM age for every side), or
#                           BENCH_TCP_FROM / BENCH_TCP_TO (a window by outcome number, e.g. 40000 / 55000);
#                           BENCH_TCP_INTERLEAVE=<pairs>: both sides up at once, measured in alternating slices of
#                           BENCH_TCP_SECONDS (use -Dbench.tcp.sides=minimal,module), the machine's drift shared
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install
mvn -B -q -f bench/pom.xml package
JVM_OPTS="-Xmx${BENCH_HEAP:-256m} ${BENCH_GC:--XX:+UseParallelGC} -Dbench.seconds=${BENCH_SECONDS:-15} -Dbench.concurrency=${BENCH_CONCURRENCY:-16} -Dbench.consumers=${BENCH_CONSUMERS:-32} ${BENCH_OPTS:-}"
mvn -B -q -Dstyle.color=never -f bench/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/target/bench.classpath"
CP="bench/target/classes:$(cat target/bench.classpath)"
if [[ "${1:-}" == "jdbc" ]]; then
  # A throwaway PostgreSQL for the jdbc store, with its default durability (fsync and synchronous commit on), or
  # BENCH_JDBC_URL (+ BENCH_JDBC_USER, BENCH_JDBC_PASSWORD) for an existing one.
  if [[ -z "${BENCH_JDBC_URL:-}" ]]; then
    source bench/postgres.sh
    start_bench_postgres
    trap stop_bench_postgres EXIT
  fi
  JVM_OPTS="$JVM_OPTS -Dbench.jdbc.url=$BENCH_JDBC_URL -Dbench.jdbc.user=${BENCH_JDBC_USER:-} -Dbench.jdbc.password=${BENCH_JDBC_PASSWORD:-}"
fi
if [[ "${1:-}" == "metrics" ]]; then
  # Metrics off and on, each in a JVM of its own (JIT and heap start equal), alternating, the order flipped every
  # round (the machine's pace drifts); then the sums and on / off per phase.
  : > target/bench-metrics.txt
  for round in $(seq 1 "${BENCH_ROUNDS:-2}"); do
    if (( round % 2 )); then order="off on"; else order="on off"; fi
    for side in $order; do
      java $JVM_OPTS -Dbench.metrics=$side -cp "$CP" eu.pisp.bpce.bench.Benchmark metrics-one 2>>target/bench.log \
        | tee -a target/bench-metrics.txt | grep -v '^METRICS'
    done
  done
  echo
  awk '/^METRICS/ { d[$2] += $4; e[$2] += $6; n[$2]++; r[$2, n[$2]] = $4 " " $6 }
       END { printf "metrics on / off over %d rounds: direct %.2f (%.0f / %.0f msg/s), end to end %.2f (%.0f / %.0f msg/s)\n",
               n["on"], d["on"] / d["off"], d["on"] / n["on"], d["off"] / n["off"], e["on"] / e["off"], e["on"] / n["on"], e["off"] / n["off"];
             for (i = 1; i <= n["on"]; i++) { split(r["on", i], a, " "); split(r["off", i], b, " ");
               printf "  round %d: direct %.2f, end to end %.2f\n", i, a[1] / b[1], a[2] / b[2] } }' target/bench-metrics.txt
  exit 0
fi
if [[ "${1:-}" == "direct-median" ]]; then
  : > target/bench-direct-median.txt
  for run in $(seq 1 "${BENCH_RUNS:-3}"); do
    java $JVM_OPTS -cp "$CP" eu.pisp.bpce.bench.Benchmark direct 2>>target/bench.log \
      | tee -a target/bench-direct-median.txt | grep -E '^(module via|hand-written|direct / baseline)'
  done
  grep -o 'direct / baseline throughput: [0-9.]*' target/bench-direct-median.txt | awk '{print $NF}' | sort -n \
    | awk '{ r[NR] = $1 } END { printf "direct / baseline over %d runs: median %.2f (runs, sorted:", NR, r[int((NR + 1) / 2)];
             for (i = 1; i <= NR; i++) printf " %.2f", r[i]; print ")" }'
  exit 0
fi
if [[ "${1:-}" == "tcp" ]]; then
  # The orchestrator only starts processes and reads /proc: no JVM tuning of the benchmark's own applies here.
  exec java -Xmx128m -cp "$CP" -Dbench.tcp.rounds="${BENCH_TCP_ROUNDS:-3}" \
    -Dbench.tcp.bank-latency="${BENCH_TCP_LATENCY:-0}" -Dbench.tcp.jvm="${BENCH_TCP_JVM:--Xmx256m}" \
    -Dbench.tcp.props="${BENCH_TCP_PROPS:-}" -Dbench.tcp.consumers="${BENCH_TCP_CONSUMERS:-}" \
    -Dbench.tcp.warmup-seconds="${BENCH_TCP_WARMUP:-120}" -Dbench.tcp.seconds="${BENCH_TCP_SECONDS:-20}" \
    -Dbench.tcp.from="${BENCH_TCP_FROM:-0}" -Dbench.tcp.to="${BENCH_TCP_TO:-0}" \
    -Dbench.tcp.jfr="${BENCH_TCP_JFR:-false}" -Dbench.tcp.interleave="${BENCH_TCP_INTERLEAVE:-0}" ${BENCH_OPTS:-} eu.pisp.bpce.bench.tcp.TcpBench
fi
if [[ "${1:-}" == "jmh" ]]; then
  exec java -Xmx${BENCH_HEAP:-256m} -cp "$CP" org.openjdk.jmh.Main TokenLookupBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s
fi
if [[ "${PROFILE:-}" == "1" ]]; then
  JFR=target/bench.jfr
  java $JVM_OPTS -XX:StartFlightRecording=filename=$JFR,settings=${JFR_SETTINGS:-profile} -cp "$CP" eu.pisp.bpce.bench.Benchmark "${1:-all}" 2>target/bench.log
  # Where the module's time goes: the load threads of direct: phases and the JMS consumers of end-to-end phases.
  echo; java -cp "$CP" eu.pisp.bpce.bench.JfrHotMethods $JFR 'bench-.*|Camel .*JmsConsumer.*' 40 \
    'eu\.pisp|org\.apache\.camel\.(processor|component)|hc\.client5.*execute$|jackson.*(readTree|writeValue)$|logback.*append$|jms\.core|SendDynamic'
else
  java $JVM_OPTS -cp "$CP" eu.pisp.bpce.bench.Benchmark "${1:-all}" 2>target/bench.log
fi
