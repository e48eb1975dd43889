#!/usr/bin/env bash
# Runs Apache Kafka's own MirrorMaker 2 (dedicated mode, Java, from the Maven Central jars) with the same
# command line as strait, as a witness for compatibility tests and as the peer for benchmarks:
#   scripts/java-mm2.sh run --config mm2.properties [--clusters ALIAS...]
# Logs (INFO for MirrorMaker, WARN for the rest) go to stdout. SIGTERM stops it cleanly.
# Env: STRAIT_KAFKA_JARS (default from scripts/kafka-jars.sh), MM2_HEAP (default 1g).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "${1:-}" = "run" ] && [ "${2:-}" = "--config" ] && [ -n "${3:-}" ] || {
  echo "usage: scripts/java-mm2.sh run --config FILE [--clusters ALIAS...]" >&2; exit 2; }
config="$3"; shift 3
jars="${STRAIT_KAFKA_JARS:-$("$root/scripts/kafka-jars.sh")}"
exec java -Xms256m -Xmx"${MM2_HEAP:-1g}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
  -Djava.awt.headless=true -Dlog4j.configuration="file:$root/scripts/mm2-log4j.properties" \
  -cp "$jars/*" org.apache.kafka.connect.mirror.MirrorMaker "$config" "$@"
