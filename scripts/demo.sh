#!/usr/bin/env bash
# strait demo: two real single-node Kafka 3.9 clusters on this machine, 200,000 records in `orders` on
# `primary`, strait replicating them to `primary.orders` on `secondary` from an ordinary mm2.properties.
#
# Usage: scripts/demo.sh [--keep]
#   --keep   leave both clusters running at the end (prints how to stop them)
# Env: DEMO_RECORDS (default 200000), DEMO_RECORD_SIZE (bytes, default 256), DEMO_TIMEOUT (seconds to
#      wait for strait to catch up, default 300), DEMO_PRIMARY_PORT / DEMO_SECONDARY_PORT (default
#      19092 / 29092; the next free pair of ports is used when taken), DEMO_REPLICATOR (a command to run
#      instead of target/release/strait with the same arguments, e.g. scripts/java-mm2.sh for Java MM2;
#      then nothing is built).
# Files: target/demo/ (cluster logs, mm2.properties, strait.log).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
keep=0
[ "${1:-}" = "--keep" ] && keep=1
records="${DEMO_RECORDS:-200000}"
size="${DEMO_RECORD_SIZE:-256}"
wait_secs="${DEMO_TIMEOUT:-300}"
demo="$root/target/demo"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

step "Kafka jars (Maven Central, cached in ~/.cache/strait)"
jars="$(scripts/kafka-jars.sh)"
export STRAIT_KAFKA_JARS="$jars"
echo "$jars"

rname=strait
if [ -n "${DEMO_REPLICATOR:-}" ]; then
  strait="$DEMO_REPLICATOR"
  rname="$(basename "$strait")"
else
  step "cargo build --release"
  cargo build --release
  strait="$root/target/release/strait"
  [ -x "$strait" ] || fail "no $strait after the build"
fi

kt() { # Kafka tool: kt MAIN ARGS...
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" -cp "$jars/*" "$@"
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # first P >= $1 (step 10) with P and P+1 free (broker and controller)
  local p="$1"
  while ! { port_free "$p" && port_free $((p + 1)); }; do p=$((p + 10)); done
  echo "$p"
}

# Anything left from an earlier demo run goes first.
scripts/kafka-cluster.sh stop --all-under "$demo" 2>/dev/null || true
rm -rf "$demo"
mkdir -p "$demo"

strait_pid=""
cleanup() {
  local rc=$?
  if [ -n "$strait_pid" ] && kill -0 "$strait_pid" 2>/dev/null; then kill -KILL "$strait_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ] && [ "$rc" = 0 ]; then
    echo
    echo "Clusters left running (--keep):"
    echo "  primary   $(cat "$demo/primary/bootstrap")    secondary $(cat "$demo/secondary/bootstrap")"
    echo "  stop them with: scripts/kafka-cluster.sh stop --all-under $demo"
  else
    scripts/kafka-cluster.sh stop --all-under "$demo" 2>&1 | sed 's/^/   /' || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

p_port="$(pick_port "${DEMO_PRIMARY_PORT:-19092}")"
s_port="$(pick_port "${DEMO_SECONDARY_PORT:-29092}")"
[ "$p_port" != "$s_port" ] || s_port="$(pick_port $((s_port + 10)))"

step "Starting Kafka clusters primary (127.0.0.1:$p_port) and secondary (127.0.0.1:$s_port)"
owner=()
[ "$keep" = 1 ] || owner=(--owner-pid $$) # without --keep, brokers die with this script however it ends
t0=$SECONDS
scripts/kafka-cluster.sh start --name primary --dir "$demo/primary" --nodes 1 --port-base "$p_port" \
  "${owner[@]}" >"$demo/primary.start" 2>&1 &
pp=$!
scripts/kafka-cluster.sh start --name secondary --dir "$demo/secondary" --nodes 1 --port-base "$s_port" \
  "${owner[@]}" >"$demo/secondary.start" 2>&1 &
sp=$!
wait "$pp" || { cat "$demo/primary.start" >&2; fail "primary did not start"; }
wait "$sp" || { cat "$demo/secondary.start" >&2; fail "secondary did not start"; }
primary="$(cat "$demo/primary/bootstrap")"
secondary="$(cat "$demo/secondary/bootstrap")"
echo "both ready in $((SECONDS - t0)) s"

step "Creating topic orders on primary (6 partitions) and loading $records records of $size bytes (lz4)"
kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$primary" --create --topic orders \
  --partitions 6 --replication-factor 1 \
  --config retention.ms=172800000 --config segment.bytes=67108864 --config max.message.bytes=2097152
scripts/test-client.sh bulk --bootstrap "$primary" --topic orders --records "$records" --size "$size" --codec lz4 \
  | sed 's/^/loaded: /'

config="$demo/mm2.properties"
cat > "$config" <<EOF
# A MirrorMaker 2 dedicated-mode configuration; strait reads it unchanged.
clusters = primary, secondary
primary.bootstrap.servers = $primary
secondary.bootstrap.servers = $secondary

primary->secondary.enabled = true
primary->secondary.topics = orders

tasks.max = 2
# Single-broker clusters: every topic MM2 creates gets replication factor 1.
replication.factor = 1
offset.storage.replication.factor = 1
config.storage.replication.factor = 1
status.storage.replication.factor = 1
offset-syncs.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
EOF
step "mm2.properties ($config)"
sed 's/^/   /' "$config"

offsets() { # bootstrap topic -> "partition offset" lines, sorted; nothing if the topic does not exist
  kt org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$1" --topic "$(printf '%s' "$2" | sed 's/\./\\./g')" \
    --time -1 2>/dev/null | awk -F: -v t="$2" '$1 == t { print $2, $3 }' | sort -n || true
}
source_offsets="$(offsets "$primary" orders)"

step "Running: ${strait#"$root/"} run --config $config"
"$strait" run --config "$config" >"$demo/strait.log" 2>&1 &
strait_pid=$!
start_ns=$(date +%s%N)
target_offsets=""
while :; do
  if ! kill -0 "$strait_pid" 2>/dev/null; then
    rc=0; wait "$strait_pid" || rc=$?
    strait_pid=""
    echo "--- last lines of $demo/strait.log:" >&2
    tail -n 30 "$demo/strait.log" >&2
    fail "$rname exited (status $rc) before primary.orders caught up with orders"
  fi
  target_offsets="$(offsets "$secondary" primary.orders)"
  [ "$target_offsets" = "$source_offsets" ] && break
  elapsed=$(( ($(date +%s%N) - start_ns) / 1000000000 ))
  if [ "$elapsed" -ge "$wait_secs" ]; then
    echo "--- last lines of $demo/strait.log:" >&2
    tail -n 30 "$demo/strait.log" >&2
    fail "primary.orders on secondary did not catch up with orders on primary within ${wait_secs}s
source end offsets: $(echo $source_offsets)
target end offsets: $(echo ${target_offsets:-none (no primary.orders yet)})"
  fi
  printf '   %3ss: %s of %s records on secondary\n' "$elapsed" \
    "$(echo "$target_offsets" | awk '{s += $2} END {print s + 0}')" "$records"
  sleep 2
done
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

step "Replicated: orders (primary) -> primary.orders (secondary)"
printf '   %-9s  %12s  %12s\n' partition orders primary.orders
paste -d' ' <(echo "$source_offsets") <(echo "$target_offsets") | while read -r p s _ t; do
  printf '   %-9s  %12s  %12s\n' "$p" "$s" "$t"
done
total=$(echo "$source_offsets" | awk '{s += $2} END {print s + 0}')
awk -v n="$total" -v ms="$elapsed_ms" -v sz="$size" -v r="$rname" 'BEGIN {
  s = ms / 1000.0; if (s <= 0) s = 0.001
  printf "   %-9s  %12d  %12d\n   %d records in %.1f s since %s started (%.0f records/s, %.1f MB/s of values; the time includes start-up and 2 s polling)\n",
    "total", n, n, n, s, r, n / s, n * sz / s / 1e6 }'
echo "   topic configs of primary.orders on secondary:"
kt kafka.admin.ConfigCommand --bootstrap-server "$secondary" --describe --entity-type topics \
  --entity-name primary.orders 2>/dev/null | sed -n 's/^  \([^ ]*\) .*/     \1/p'

step "Stopping $rname (SIGTERM)"
kill -TERM "$strait_pid"
rc=0
for _ in $(seq 150); do kill -0 "$strait_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$strait_pid" 2>/dev/null; then
  kill -KILL "$strait_pid"; wait "$strait_pid" || true; strait_pid=""
  fail "$rname did not exit within 30 s of SIGTERM (killed); log: $demo/strait.log"
fi
wait "$strait_pid" || rc=$?
strait_pid=""
echo "   $rname exited with status $rc; its log: $demo/strait.log"
# A JVM ends with 143 (128 + SIGTERM) after a clean shutdown; strait itself must exit 0.
if [ "$rc" != 0 ] && ! { [ -n "${DEMO_REPLICATOR:-}" ] && [ "$rc" = 143 ]; }; then
  fail "$rname exited with status $rc after SIGTERM"
fi

step "Stopping the clusters"
# (the EXIT trap does it, unless --keep)
