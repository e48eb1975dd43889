#!/usr/bin/env bash
# A chaos run of any length (tests/chaos.rs): two 3-node Kafka 3.9 clusters, strait between them behind
# toxiproxy, faults on a seeded schedule, every record counted by Kafka's own Java clients.
# Usage: scripts/chaos.sh [--minutes N] [--seed S] [--rate R]     (defaults: 30 minutes, seed 15, 500/s)
# The report is printed and kept as target/e2e/<run>/chaos-report-<seed>.json; the CI-sized run (3 minutes)
# is part of scripts/test.sh. Needs what scripts/test.sh installs (Kafka jars; toxiproxy is built if missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes=30; seed=15; rate=500
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    *) echo "chaos.sh: unknown argument $1 (--minutes N, --seed S, --rate R)" >&2; exit 2 ;;
  esac
done
STRAIT_KAFKA_JARS="${STRAIT_KAFKA_JARS:-$(scripts/kafka-jars.sh)}"
export STRAIT_KAFKA_JARS
scripts/toxiproxy.sh >/dev/null
STRAIT_CHAOS_SECONDS=$((minutes * 60)) STRAIT_CHAOS_SEED="$seed" STRAIT_CHAOS_RATE="$rate" \
  cargo test --test chaos -- --nocapture
