#!/usr/bin/env bash
# Fetches Apache Kafka 3.9 (broker, tools, MirrorMaker 2, logging backend) from Maven Central into a
# cache directory and prints that directory. Idempotent: a complete cache is reused as is.
# Usage: scripts/kafka-jars.sh            -> prints the jar directory
# Env:   STRAIT_KAFKA_VERSION (default 3.9.1), STRAIT_CACHE (default ~/.cache/strait)
set -euo pipefail
version="${STRAIT_KAFKA_VERSION:-3.9.1}"
cache="${STRAIT_CACHE:-$HOME/.cache/strait}"
dir="$cache/kafka-$version"
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir/jars"
pom="$dir/pom.xml"
cat > "$pom" <<POM
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
mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$dir/jars" >&2
# Two slf4j bindings would make every tool print a warning; keep only reload4j.
find "$dir/jars" -name 'slf4j-log4j12-*.jar' -delete
touch "$dir/.complete"
echo "$dir"
