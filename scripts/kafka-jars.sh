#!/usr/bin/env bash
# Fetches Apache Kafka 3.9 (broker, tools, MirrorMaker 2, logging backend) from Maven Central into a
# cache directory and prints that directory (one line, on stdout; progress goes to stderr).
# Idempotent: a complete cache is reused as is, without asking Maven.
#
# Version: 3.9.2 is preferred; if Maven cannot resolve it, 3.9.1 and then 3.9.0 are tried.
# Usage: scripts/kafka-jars.sh            -> prints the jar directory, e.g. ~/.cache/strait/kafka-3.9.2/jars
# Env:   STRAIT_KAFKA_VERSION  versions to try instead, in order (space separated, e.g. "3.9.1")
#        STRAIT_CACHE          cache root (default ~/.cache/strait)
set -euo pipefail
cache="${STRAIT_CACHE:-$HOME/.cache/strait}"
if [ -n "${STRAIT_KAFKA_VERSION:-}" ]; then
  read -r -a candidates <<<"$STRAIT_KAFKA_VERSION"
else
  candidates=(3.9.2 3.9.1 3.9.0)
fi

fetch() { # version -> 0 when $cache/kafka-$version/jars is complete
  local version="$1" dir="$cache/kafka-$1"
  [ -f "$dir/.complete" ] && return 0
  rm -rf "$dir/jars"
  mkdir -p "$dir/jars"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strait.test</groupId><artifactId>kafka-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror-client</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
POM
  echo "kafka-jars: fetching Apache Kafka $version from Maven Central into $dir/jars" >&2
  if ! mvn -B -q -f "$dir/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$dir/jars" >"$dir/mvn.log" 2>&1; then
    echo "kafka-jars: Maven could not resolve Kafka $version (see $dir/mvn.log)" >&2
    return 1
  fi
  # Two slf4j bindings would make every tool print a warning; keep only reload4j.
  find "$dir/jars" -name 'slf4j-log4j12-*.jar' -delete
  if [ ! -f "$dir/jars/kafka_2.13-$version.jar" ] || [ ! -f "$dir/jars/kafka-tools-$version.jar" ]; then
    echo "kafka-jars: $dir/jars lacks the Kafka $version jars" >&2
    return 1
  fi
  echo "$version" > "$dir/version"
  touch "$dir/.complete"
}

for v in "${candidates[@]}"; do
  if fetch "$v"; then
    echo "$cache/kafka-$v/jars"
    exit 0
  fi
done
echo "kafka-jars: none of ${candidates[*]} could be fetched" >&2
exit 1
