#!/usr/bin/env bash
# Runs Apache Kafka's own Kafka Connect worker in distributed mode (Java, from the Maven Central jars,
# MirrorMaker 2's connectors on its class path), the equivalent of `connect-distributed.sh`, as the
# peer strait takes over from (and hands back to) in compatibility tests:
#   scripts/java-connect.sh run --config connect-distributed.properties
# Logs (INFO for Connect and MirrorMaker, WARN for the rest) go to stdout. SIGTERM stops it cleanly.
# Env: STRAIT_KAFKA_JARS (default from scripts/kafka-jars.sh), CONNECT_HEAP (default 512m).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "${1:-}" = "run" ] && [ "${2:-}" = "--config" ] && [ -n "${3:-}" ] || {
  echo "usage: scripts/java-connect.sh run --config FILE" >&2; exit 2; }
config="$3"
jars="${STRAIT_KAFKA_JARS:-$("$root/scripts/kafka-jars.sh")}"
exec java -Xms128m -Xmx"${CONNECT_HEAP:-512m}" -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j.configuration="file:$root/scripts/mm2-log4j.properties" \
  -cp "$jars/*" org.apache.kafka.connect.cli.ConnectDistributed "$config"
