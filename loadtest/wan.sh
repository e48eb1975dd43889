# Scenario 5 (distance), sourced by loadtest/run.sh, which owns the helpers used here (step, kw,
# create_topic, fresh_secondary, load_backlog, run_catchup, record, pick_port).
#
# The catch-up of scenario 1, with the replicator reaching the source cluster through a delay proxy:
# Shopify's toxiproxy (scripts/toxiproxy.sh) in front of the primary's EXTERNAL listener, which the
# broker advertises as the proxy's address (kafka-cluster.sh --proxy-base), so every connection the
# replicator opens to the source, metadata-learned ones included, crosses it. A `latency` toxic of
# RTT/2 on each direction makes the round trip. The loader and the target keep the direct listener.
#
# RTT `direct` is the catch-up without the proxy and RTT 0 the proxy with nothing added: their ratio
# is the proxy's own cost. The proxy delays data and keeps TCP's windows on loopback, so what a real
# long link adds on top (window growth, loss recovery) is not in these numbers (docs/benchmarks).

wan_api=""
wan_pid=""

# Starts toxiproxy with one proxy, primary-1, listening on $wan_port and forwarding to the primary's
# EXTERNAL listener (port base + 2 for a 1-node cluster).
wan_start_proxy() {
  local bin port
  bin="$(scripts/toxiproxy.sh)"
  port="$(pick_port 24592)"
  "$bin" -host 127.0.0.1 -port "$port" >"$work/toxiproxy.log" 2>&1 &
  wan_pid=$!
  wan_api="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$wan_api/version" >/dev/null && break; sleep 0.1; done
  curl -sf "$wan_api/version" >/dev/null || fail "toxiproxy did not start (see $work/toxiproxy.log)"
  curl -sf -X POST "$wan_api/proxies" -d "{\"name\": \"primary-1\", \"listen\": \"127.0.0.1:$wan_port\",
    \"upstream\": \"127.0.0.1:$((p_port + 2))\", \"enabled\": true}" >/dev/null \
    || fail "could not create the toxiproxy proxy in front of the primary"
}

wan_stop_proxy() {
  if [ -n "$wan_pid" ]; then kill "$wan_pid" 2>/dev/null || true; wait "$wan_pid" 2>/dev/null || true; fi
  wan_pid=""
}

# Sets the round trip through the proxy: RTT/2 ms of latency each way (none for 0).
wan_set_rtt() { # ms
  local s
  for s in upstream downstream; do
    curl -s -X DELETE "$wan_api/proxies/primary-1/toxics/lat-$s" >/dev/null || true
    if [ "$1" -gt 0 ]; then
      curl -sf -X POST "$wan_api/proxies/primary-1/toxics" -d "{\"name\": \"lat-$s\", \"type\": \"latency\",
        \"stream\": \"$s\", \"attributes\": {\"latency\": $(($1 / 2))}}" >/dev/null \
        || fail "could not add $1 ms of round trip to the proxy"
    fi
  done
}

# The backlog of each codec once, then every replicator at every RTT, one after the other.
run_wan() {
  local codec topic rtt r
  wan_start_proxy
  for codec in $codecs; do
    topic="wan-$codec"
    load_backlog "$topic" "$codec" "wan/$codec"
    for rtt in $wan_rtts; do
      for r in $replicators; do
        if [ "$rtt" = direct ]; then
          config_primary="" run_catchup "$r" "$codec" "$topic" "$expect" 1 "wan/$codec/rtt=direct"
        else
          wan_set_rtt "$rtt"
          config_primary="127.0.0.1:$wan_port" run_catchup "$r" "$codec" "$topic" "$expect" 1 "wan/$codec/rtt=$rtt"
        fi
      done
    done
    kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$primary" --delete --topic "$topic" >/dev/null || true
  done
  wan_stop_proxy
}
