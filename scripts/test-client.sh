#!/usr/bin/env bash
# Runs tests/java/StraitTestClient (the project's Java test producer/consumer helper) with the Kafka jars
# on the class path, compiling it first when needed; the chaos-* modes are tests/java/StraitChaos's
# (the chaos suite's independent producer and checker), compiled with it.
# Usage: scripts/test-client.sh MODE [ARGS...]     (see the headers of tests/java/StraitTestClient.java
#                                                   and tests/java/StraitChaos.java)
#        scripts/test-client.sh --classes          -> only compile; print the classes directory
# Classes go to ${CARGO_TARGET_DIR:-target}/java-classes/<hash of source + jar dir>/, so a changed source or
# a different Kafka version recompiles and concurrent callers never see a half-written directory.
# Env: STRAIT_KAFKA_JARS (jar dir; default: output of scripts/kafka-jars.sh), JAVA_OPTS (extra JVM flags)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jars="${STRAIT_KAFKA_JARS:-$("$root/scripts/kafka-jars.sh")}"
src=("$root/tests/java/StraitTestClient.java" "$root/tests/java/StraitChaos.java")
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
hash="$( { cat "${src[@]}"; echo "$jars"; } | sha256sum | cut -c1-16)"
classes="$target/java-classes/$hash"
if [ ! -f "$classes/StraitTestClient.class" ] || [ ! -f "$classes/StraitChaos.class" ]; then
  mkdir -p "$target/java-classes"
  tmp="$(mktemp -d "$target/java-classes/.build-XXXXXX")"
  javac -nowarn -encoding UTF-8 -d "$tmp" -cp "$jars/*" "${src[@]}" >&2
  # Another caller may have won the race; either copy is complete and identical.
  mv -T "$tmp" "$classes" 2>/dev/null || rm -rf "$tmp"
fi
if [ "${1:-}" = "--classes" ]; then echo "$classes"; exit 0; fi
main=StraitTestClient
case "${1:-}" in chaos-*) main=StraitChaos ;; esac
# shellcheck disable=SC2086
exec java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" ${JAVA_OPTS:-} \
  -cp "$classes:$jars/*" "$main" "$@"
