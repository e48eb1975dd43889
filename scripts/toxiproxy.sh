#!/usr/bin/env bash
# Prints the path of Shopify's toxiproxy server (v2.5.0), building it with `go install` into
# <cargo target dir>/tools the first time. It is the fault-injecting TCP proxy of the chaos suite
# (tests/chaos.rs) and the delay proxy of the benchmark's distance scenario (loadtest/wan.sh): this
# kernel has no `tc netem`, so latency, cuts and stalls are made by a proxy the brokers advertise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${CARGO_TARGET_DIR:-target}/tools"
case "$tools" in /*) ;; *) tools="$root/$tools" ;; esac
if [ ! -x "$tools/toxiproxy-server" ]; then
  command -v go >/dev/null || { echo "toxiproxy.sh: missing go: install Go (https://go.dev/dl) to build toxiproxy" >&2; exit 1; }
  mkdir -p "$tools"
  GOBIN="$tools" go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 >&2 \
    || { echo "toxiproxy.sh: go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 failed" >&2; exit 1; }
  mv "$tools/server" "$tools/toxiproxy-server"
fi
echo "$tools/toxiproxy-server"
