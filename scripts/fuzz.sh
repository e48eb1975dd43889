#!/usr/bin/env bash
# Runs strait's fuzz targets coverage-guided: libFuzzer through cargo-bolero, on the nightly toolchain
# with AddressSanitizer, each for N minutes, growing the corpus under src/__fuzz__/ (and
# src/config/security/__fuzz__/ for the JAAS parser). `cargo test` replays that corpus on stable.
# Usage: scripts/fuzz.sh [--minutes N] [TARGET...]   (default: 15 minutes, every target below)
# Needs: rustup's nightly toolchain and cargo-bolero (cargo install cargo-bolero --locked).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes=15
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(
    fuzz::fuzz_record_batch_bytes
    fuzz::fuzz_record_batch_built
    fuzz::fuzz_fetch_response
    fuzz::fuzz_produce_response
    fuzz::fuzz_properties
    fuzz::fuzz_mm2_records
    fuzz::fuzz_connector_json
    config::security::jaas::tests::fuzz_jaas
  )
fi
command -v cargo-bolero >/dev/null || { echo "fuzz.sh: cargo install cargo-bolero --locked" >&2; exit 1; }
rustup run nightly rustc --version >/dev/null 2>&1 || { echo "fuzz.sh: rustup toolchain install nightly" >&2; exit 1; }
for t in "${targets[@]}"; do
  echo "==> $t for $minutes min"
  cargo bolero test --toolchain nightly --target-dir "${CARGO_TARGET_DIR:-target}/fuzz" -T "${minutes}min" "$t"
done
