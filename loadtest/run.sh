#!/usr/bin/env bash
# strait benchmark harness: two local single-node Kafka 3.9 clusters, the same backlog, Java MirrorMaker 2
# (dedicated mode, tuned) and strait replicating it in turn, plus the target broker's own ingest ceiling.
# Prints progress while it runs and a markdown table at the end; stops everything it started on exit.
#
# Usage: loadtest/run.sh [options]
#   --gb G              backlog per codec in GB (10^9 bytes of record values; default 2)
#   --record-size B     record value size in bytes (default 1024)
#   --partitions N      partitions of the source topic (default 12)
#   --codecs "C..."     producer codecs of the backlog, one topic each (default "lz4 none")
#   --replicators "R.." which replicators, in order: strait, mm2 (default "strait mm2")
#   --tasks N           tasks.max for both replicators (default 2, the number of cores here)
#   --no-ceiling        skip the ProducerPerformance ceiling
#   --no-build          use target/release/strait as it is (default: cargo build --release first)
#   --timeout S         give up on one replicator run after S seconds (default 1800)
#   --out FILE          markdown report (default docs/benchmarks/<date>-catchup.md; smoke: target/loadtest/)
#   --smoke             a few MB, lz4 only, every step once (for CI: about a minute)
# Env: LOADTEST_DIR (work dir, default target/loadtest/run), MM2_HEAP (Java MM2 heap, default 1g).
#
# Scenario 1 (catch-up): the backlog is written to `bench-<codec>` on primary before any replicator
# starts. Each replicator then runs against a freshly started secondary cluster (same topic pre-created
# as `primary.bench-<codec>`, same partitions) until the target's end offsets equal the source's. Its CPU
# time (utime+stime from /proc/PID/stat; java-mm2.sh execs java, so PID is the JVM) and peak resident
# memory (VmHWM) are sampled by loadtest/kwatch.py, which polls end offsets with ListOffsets over one
# socket every 0.5 s (no JVM per poll).
# Scenario 3 (ceiling): org.apache.kafka.tools.ProducerPerformance writes the same number of records of
# the same size with the same codec and batch size into a fresh topic on a fresh secondary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
orig_args="$*"

gb=2; size=1024; parts=12; codecs="lz4 none"; replicators="strait mm2"; tasks=2
ceiling=1; build=1; timeout=1800; out=""; smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --gb) gb="$2"; shift 2 ;;
    --record-size) size="$2"; shift 2 ;;
    --partitions) parts="$2"; shift 2 ;;
    --codecs) codecs="$2"; shift 2 ;;
    --replicators) replicators="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --no-ceiling) ceiling=0; shift ;;
    --no-build) build=0; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "loadtest/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$smoke" = 1 ]; then
  gb=0.004; codecs="lz4"; parts=3; timeout=120
  [ -n "$out" ] || out="$root/target/loadtest/smoke-catchup.md"
fi
[ -n "$out" ] || out="$root/docs/benchmarks/$(date +%F)-catchup.md"
records=$(awk -v g="$gb" -v s="$size" 'BEGIN { printf "%d", g * 1e9 / s }')
[ "$records" -ge "$parts" ] || { echo "loadtest/run.sh: --gb too small" >&2; exit 2; }

work="${LOADTEST_DIR:-$root/target/loadtest/run}"
step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }
fail() { printf '\nloadtest: %s\n' "$*" >&2; exit 1; }

step "Kafka jars"
jars="$(scripts/kafka-jars.sh)"
export STRAIT_KAFKA_JARS="$jars"
if [ "$build" = 1 ] && [[ " $replicators " == *" strait "* ]]; then
  step "cargo build --release"
  cargo build --release --quiet
fi
strait_bin="$root/target/release/strait"
scripts/test-client.sh --classes >/dev/null # compile the loader now, not inside a measurement

kt() { # Kafka tool JVM
  java -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" -cp "$jars/*" "$@"
}
kw() { python3 "$root/loadtest/kwatch.py" "$@"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p="$1"; while ! { port_free "$p" && port_free $((p + 1)); }; do p=$((p + 10)); done; echo "$p"; }

scripts/kafka-cluster.sh stop --all-under "$work" --kill >/dev/null 2>&1 || true
rm -rf "$work"
mkdir -p "$work" "$(dirname "$out")"
rpid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null; then kill -KILL "$rpid" 2>/dev/null || true; fi
  step "Stopping the clusters"
  scripts/kafka-cluster.sh stop --all-under "$work" 2>&1 | sed 's/^/   /' || true
  # keep logs, drop the (large) data directories
  rm -rf "$work"/*/node-*/data 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "loadtest/run.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

# Machine conditions, recorded before anything starts.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

step "Starting primary"
p_port="$(pick_port 21092)"
scripts/kafka-cluster.sh start --name primary --dir "$work/primary" --nodes 1 --port-base "$p_port" \
  --owner-pid $$ >"$work/primary.start" 2>&1 || { cat "$work/primary.start" >&2; fail "primary did not start"; }
primary="$(cat "$work/primary/bootstrap")"
echo "   primary at $primary"

sec_n=0; sec_dir=""; secondary=""; broker_pid=""
fresh_secondary() { # stop (and wipe) the previous secondary, start a new one
  if [ -n "$sec_dir" ]; then
    scripts/kafka-cluster.sh stop --dir "$sec_dir" >/dev/null 2>&1 || true
    rm -rf "$sec_dir"/node-*/data
  fi
  sec_n=$((sec_n + 1)); sec_dir="$work/secondary-$sec_n"
  local port; port="$(pick_port $((23092 + 10 * sec_n)))"
  scripts/kafka-cluster.sh start --name secondary --dir "$sec_dir" --nodes 1 --port-base "$port" \
    --owner-pid $$ >"$sec_dir.start" 2>&1 || { cat "$sec_dir.start" >&2; fail "secondary did not start"; }
  secondary="$(cat "$sec_dir/bootstrap")"
  broker_pid="$(cat "$sec_dir/node-1/pid")"
  echo "   fresh secondary at $secondary (broker pid $broker_pid)"
}
create_topic() { # bootstrap topic
  kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" --partitions "$parts" \
    --replication-factor 1 --config retention.ms=-1 --config max.message.bytes=8388608 >/dev/null
}

results="$work/results.tsv"
: >"$results"
# codec  what  key=value...
record() { printf '%s\n' "$*" >>"$results"; }

write_config() { # file topic codec
  cat >"$1" <<EOF
# Benchmark flow: one topic, nothing else. Read by strait and by Java MM2 alike.
clusters = primary, secondary
primary.bootstrap.servers = $primary
secondary.bootstrap.servers = $secondary
primary->secondary.enabled = true
primary->secondary.topics = $2
secondary->primary.enabled = false
tasks.max = $tasks

# Only data replication is measured: no heartbeats, checkpoints, offset syncs, group/ACL/config sync.
# (No offset-syncs.* key may be set while emit.offset-syncs.enabled=false: MM2 3.9 then refuses the connector.)
emit.heartbeats.enabled = false
emit.checkpoints.enabled = false
emit.offset-syncs.enabled = false
sync.group.offsets.enabled = false
refresh.groups.enabled = false
sync.topic.acls.enabled = false
sync.topic.configs.enabled = false
replication.factor = 1
offset.storage.replication.factor = 1
config.storage.replication.factor = 1
status.storage.replication.factor = 1
heartbeats.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1

# Client tuning. Java MM2 uses all of these (Connect's defaults are one request in flight, no
# batching to speak of); strait uses the consumer fetch sizes and lists the producer batching keys as
# having no effect (it forwards the source's batches as they are).
primary.consumer.max.poll.records = 5000
primary.consumer.fetch.max.bytes = 52428800
primary.consumer.max.partition.fetch.bytes = 1048576
primary.consumer.fetch.min.bytes = 1
secondary.producer.compression.type = $3
secondary.producer.batch.size = 262144
secondary.producer.linger.ms = 10
secondary.producer.buffer.memory = 134217728
secondary.producer.acks = all
secondary.producer.enable.idempotence = true
secondary.producer.max.in.flight.requests.per.connection = 5
secondary.producer.max.request.size = 8388608
EOF
}

run_replicator() { # name codec topic expect
  local name="$1" codec="$2" topic="$3" expect="$4" cfg log res
  step "$name, $codec: fresh target, pre-create primary.$topic, replicate the backlog"
  fresh_secondary
  create_topic "$secondary" "primary.$topic"
  cfg="$work/$name-$codec.properties"; log="$work/$name-$codec.log"; res="$work/$name-$codec.json"
  write_config "$cfg" "$topic" "$codec"
  local cmd=("$strait_bin" run --config "$cfg")
  [ "$name" = mm2 ] && cmd=("$root/scripts/java-mm2.sh" run --config "$cfg")
  local start_ns; start_ns="$(date +%s%N)"
  NO_COLOR=1 "${cmd[@]}" >"$log" 2>&1 &
  rpid=$!
  kw wait --bootstrap "$secondary" --topic "primary.$topic" --expect "$expect" --pid "$rpid" \
    --broker-pid "$broker_pid" --start-ns "$start_ns" --timeout "$timeout" --label "$name/$codec" \
    --bytes "$((records * size))" >"$res" || true
  cat "$res" | sed 's/^/   result: /'
  kill -TERM "$rpid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$rpid" 2>/dev/null || true
  wait "$rpid" 2>/dev/null || true
  rpid=""
  grep -q '"caught_up": true' "$res" || { echo "   $name did not catch up; last log lines:"; tail -n 15 "$log" | sed 's/^/   | /'; }
  record "$codec" "$name" "$(cat "$res")"
}

run_ceiling() { # codec
  local codec="$1" res="$work/ceiling-$1.txt"
  step "ceiling, $codec: ProducerPerformance, $records records of $size B into a fresh topic on a fresh target"
  fresh_secondary
  create_topic "$secondary" ceiling
  local b0; b0="$(awk '{print $14 + $15}' "/proc/$broker_pid/stat")"
  kt org.apache.kafka.tools.ProducerPerformance --topic ceiling --num-records "$records" --record-size "$size" \
    --throughput -1 --producer-props bootstrap.servers="$secondary" acks=all enable.idempotence=true \
    compression.type="$codec" batch.size=262144 linger.ms=20 buffer.memory=67108864 max.request.size=8388608 \
    2>&1 | tee "$res" | grep --line-buffered -E 'records sent' | sed 's/^/   /'
  local b1; b1="$(awk '{print $14 + $15}' "/proc/$broker_pid/stat")"
  # final line: "N records sent, R records/sec (M MB/sec), ..."
  local rps; rps="$(grep -E 'records sent.*99.9th' "$res" | tail -n1 | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/')"
  [ -n "$rps" ] || fail "ProducerPerformance printed no summary (see $res)"
  record "$codec" ceiling "{\"records_per_s\": $rps, \"broker_cpu_s\": $(awk -v a="$b0" -v b="$b1" -v t="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/t}')}"
}

for codec in $codecs; do
  topic="bench-$codec"
  step "Backlog $codec: $records records of $size B into $topic ($parts partitions) on primary"
  create_topic "$primary" "$topic"
  scripts/test-client.sh bulk --bootstrap "$primary" --topic "$topic" --records "$records" --size "$size" \
    --codec "$codec" | sed 's/^/   loaded: /'
  expect="$(kw offsets --bootstrap "$primary" --topic "$topic" --partitions "$parts")"
  logbytes="$(find "$work/primary/node-1/data" -path "*/$topic-*" -name '*.log' -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
  echo "   source end offsets: $expect; log bytes on disk: $logbytes"
  record "$codec" source "{\"records\": $records, \"value_bytes\": $((records * size)), \"log_bytes\": $logbytes}"
  [ "$ceiling" = 1 ] && run_ceiling "$codec"
  for r in $replicators; do run_replicator "$r" "$codec" "$topic" "$expect"; done
done

step "Report"
strait_rev="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+dirty')"
python3 "$root/loadtest/report.py" --results "$results" --size "$size" --parts "$parts" --tasks "$tasks" \
  --command "loadtest/run.sh${orig_args:+ $orig_args}" --rev "$strait_rev" --cpu "$cpu_model" --cores "$(nproc)" \
  --mem "$(free -g | awk '/^Mem:/ {print $2}') GiB" --load "$load_before" \
  --java "$(java -version 2>&1 | head -n1)" --kafka "$(basename "$(dirname "$jars")")" >"$out"
cat "$out"
echo
echo "written to ${out#"$root/"}; logs in ${work#"$root/"}"
