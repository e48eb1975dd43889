#!/usr/bin/env bash
# strait's full check, as CI runs it (.ci/run): prerequisites, Kafka jars, cargo fmt --check,
# cargo clippy -D warnings, cargo test (unit tests, the e2e binary, which starts its own real Kafka
# clusters, and the CI-sized chaos run of tests/chaos.rs, with its own clusters behind toxiproxy),
# and a smoke of the benchmark harness (loadtest/run.sh --smoke on the debug build: every
# scenario once on tiny volumes, no numbers checked). Every broker started here is stopped at the end,
# whatever happened. STRAIT_SKIP_LOADTEST_SMOKE=1 skips the smoke (e.g. with a cargo test filter).
# Usage: scripts/test.sh [extra cargo test args, e.g. -- harness_]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
t_start=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ntest.sh: %s\n' "$*" >&2; exit 1; }

step "Prerequisites"
missing=()
# curl scrapes the metrics endpoint in the e2e tests. openssl and keytool (JDK) make the security tests' certificates (scripts/gen-test-certs.sh).
# python3 runs the OAUTHBEARER tests' token endpoint and the load-test report.
# promtool (Debian's prometheus package) checks and unit-tests deploy/'s alert rules and dashboard;
# the prometheus server itself scrapes strait with those rules in an e2e test.
# chromium (headless) loads the status page in an e2e test.
for tool in java javac keytool mvn openssl curl python3 promtool prometheus chromium; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Java 17, Maven, openssl, curl, python3, prometheus and chromium (missing: ${missing[*]})"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven openssl curl python3 prometheus chromium >/dev/null
  else
    fail "missing ${missing[*]}: install Java 17 (JDK), Maven, openssl, curl, python3, prometheus (server and promtool) and chromium"
  fi
fi
# matplotlib draws the load-test chart (loadtest/chart.py, run by the smoke below): PyPI, else apt.
if ! python3 -c 'import matplotlib' 2>/dev/null; then
  echo "installing matplotlib"
  python3 -m pip install --quiet matplotlib >/dev/null 2>&1 \
    || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null; } || true
  python3 -c 'import matplotlib' 2>/dev/null \
    || fail "python3 has no matplotlib: python3 -m pip install matplotlib (or apt-get install python3-matplotlib)"
fi
command -v cargo >/dev/null || fail "missing cargo: install Rust (https://rustup.rs)"
for comp in rustfmt clippy; do
  sub="${comp/rustfmt/fmt}"
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || fail "cargo $sub is missing and there is no rustup to add $comp"
    rustup component add "$comp"
  fi
done
echo "$(java -version 2>&1 | head -n 1); $(mvn -v 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g'); $(cargo --version)"

step "Kafka jars"
STRAIT_KAFKA_JARS="$(scripts/kafka-jars.sh)" || fail "could not fetch the Kafka jars from Maven Central"
export STRAIT_KAFKA_JARS
echo "$STRAIT_KAFKA_JARS"

step "toxiproxy (the chaos suite's fault-injecting TCP proxy)"
scripts/toxiproxy.sh || fail "toxiproxy could not be installed (see above)"

step "Rust dependencies"
# --locked: a Cargo.lock that no longer matches Cargo.toml fails here instead of being re-resolved
# quietly (then the tests would run against dependencies nobody reviewed).
cargo fetch --locked || fail "cargo fetch --locked failed: Cargo.lock is out of date or a crate is unavailable (run cargo fetch, review and commit Cargo.lock)"

# Clusters the e2e tests start live in target/e2e/<run>/; stop any that this run started, even on
# failure (their owner watchdog would do it too, seconds after the test process ends).
mkdir -p target/e2e
before="$(ls target/e2e)"
cleanup() {
  local rc=$? d
  for d in target/e2e/*/; do
    [ -d "$d" ] || continue
    if ! grep -qxF "$(basename "$d")" <<<"$before"; then
      scripts/kafka-cluster.sh stop --kill --all-under "$d" >/dev/null 2>&1 || true
    fi
  done
  if [ "$rc" = 0 ]; then
    printf '\ntest.sh: all checks passed in %d s\n' $((SECONDS - t_start))
  else
    printf '\ntest.sh: FAILED (exit %d) after %d s\n' "$rc" $((SECONDS - t_start)) >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "cargo fmt --check"
cargo fmt --check || fail "cargo fmt --check found unformatted code (run: cargo fmt)"

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test"
cargo test "$@"

if [ "${STRAIT_SKIP_LOADTEST_SMOKE:-0}" != 1 ]; then
  step "loadtest/run.sh --smoke (benchmark harness still works; timings not checked)"
  LOADTEST_DIR="$root/target/loadtest/smoke-run" bash loadtest/run.sh --smoke --debug \
    || fail "the benchmark harness smoke failed (logs in target/loadtest/smoke-run/)"
fi
