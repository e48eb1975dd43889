#!/usr/bin/env bash
# strait benchmark harness: two local single-node Kafka 3.9 clusters, the same data, Java MirrorMaker 2
# (dedicated mode, tuned) and strait replicating it in turn, plus the target broker's own ingest ceiling.
# Prints progress while it runs, a markdown report and a PNG chart at the end; stops everything it
# started on exit.
#
# Usage: loadtest/run.sh [options]
#   --scenarios "S..."  which scenarios, in order: catchup latency partitions wan (default: the first
#                       three; the ceiling runs inside catchup)
#   --gb G              catch-up backlog per codec in GB (10^9 bytes of record values; default 2)
#   --record-size B     record value size in bytes (default 1024)
#   --partitions N      partitions of the catch-up and latency topics (default 12)
#   --codecs "C..."     producer codecs of the backlog, one topic each (default "lz4 none")
#   --replicators "R.." which replicators, in order: strait, mm2 (default "strait mm2")
#   --tasks N           tasks.max for both replicators (default 2, the number of cores here)
#   --repeat N          run every catch-up measurement (ceiling, each replicator) N times (default 1)
#   --no-ceiling        skip the ceiling (raw produce of the source's batches, loadtest/produce_ceiling.rs)
#   --producer-perf     also run Kafka's ProducerPerformance into the target as a second reference
#   --rate R            latency: records/s of the fixed-rate producer (default 5000)
#   --latency-seconds S latency: how long the producer runs (default 60; the first 10 s are not measured)
#   --latency-codec C   latency: producer codec (default lz4)
#   --latency-linger "MS.." latency: the source producer's linger.ms, one measurement each (default "0 5":
#                       Kafka 3.9's default and Kafka 4.0's). It decides how many records each source batch
#                       holds, and strait forwards batches as they are
#   --latency-exact     latency: also run strait with `strait.batch.join.enabled = false` (every source
#                       batch forwarded with its own framing), after strait
#   --target-warmup S   latency: before each replicator starts, ProducerPerformance writes to a scratch topic
#                       of the fresh target at the probe's rate for S seconds, so that the target broker's
#                       JIT warm-up is not part of either replicator's tail (default 20; 0 = none)
#   --idle-partitions "N.." many partitions: partition counts (default "1000 10000")
#   --idle-seconds S    many partitions: idle window measured after catch-up (default 30)
#   --rtts "R.."        distance: round trips between the replicator and the source, in ms, through a
#                       delay proxy; `direct` = no proxy (default "direct 0 20 50 100")
#   --no-build          use the binaries in target/ as they are (default: cargo build --release first)
#   --debug             debug build (target/debug/) instead of release: only for the smoke, numbers meaningless
#   --timeout S         give up on one replicator run after S seconds (default 1800)
#   --out FILE          markdown report (default docs/benchmarks/<date>-run.md, chart beside it as .png;
#                       smoke: target/loadtest/)
#   --smoke             a few MB, lz4 only, 20 s of latency at 200 records/s, 50 idle partitions, 20 ms
#                       of distance (all four scenarios unless --scenarios says otherwise):
#                       every step once (for CI: a few minutes)
# Env: LOADTEST_DIR (work dir, default target/loadtest/run), MM2_HEAP (Java MM2 heap, default 1g),
# STRAIT_BIN (the strait binary to run, default target/<profile>/strait: e.g. a heap-profiling build).
#
# Scenario 1 (catch-up): the backlog is written to `bench-<codec>` on primary before any replicator
# starts. Each replicator then runs against a freshly started secondary cluster (same topic pre-created
# as `primary.bench-<codec>`, same partitions) until the target's end offsets equal the source's. Its CPU
# time (utime+stime from /proc/PID/stat; java-mm2.sh execs java, so PID is the JVM) and peak resident
# memory (VmHWM) are sampled by loadtest/kwatch.py, which polls end offsets with ListOffsets over one
# socket every 0.1 s (every 2 s for the many-partition scenario; no JVM per poll).
# Scenario 3 (ceiling): loadtest/produce_ceiling.rs reads the backlog's log segments from the primary's
# data directory, rewrites the batches once (untimed) and then produces them raw into a fresh topic on a
# fresh secondary (acks=all, --tasks connections, 5 requests in flight each): the target broker's own
# ingest rate for the same bytes and batches, with no source fetch and no Java client work.
# Scenario 2 (latency): loadtest/LatencyProbe.java produces at a fixed rate on primary and reads the
# remote topic on the secondary, recording now - record timestamp in an HdrHistogram.
# Scenario 5 (distance, loadtest/wan.sh): the catch-up through a delay proxy (toxiproxy) in front of the
# source, at each --rtts round trip; strait and MM2 on the same backlog.
# Scenario 4 (many partitions): N partitions with one record each, replicated until caught up, then an
# idle window: the replicator's CPU in that window and its resident memory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
orig_args="$*"

gb=2; size=1024; parts=12; codecs="lz4 none"; replicators="strait mm2"; tasks=2
ceiling=1; build=1; timeout=1800; out=""; smoke=0; scenarios="catchup latency partitions"; scenarios_given=0; repeat=1
pperf=0; profile=release; rate=5000; lat_secs=60; lat_codec=lz4; idle_parts="1000 10000"; idle_secs=30; lat_warmup=10; lat_lingers="0 5"; target_warmup=20; lat_exact=0; wan_rtts="direct 0 20 50 100"
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) scenarios="$2"; scenarios_given=1; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --producer-perf) pperf=1; shift ;;
    --debug) profile=debug; shift ;;
    --rate) rate="$2"; shift 2 ;;
    --latency-seconds) lat_secs="$2"; shift 2 ;;
    --latency-codec) lat_codec="$2"; shift 2 ;;
    --latency-linger) lat_lingers="$2"; shift 2 ;;
    --latency-exact) lat_exact=1; shift ;;
    --rtts) wan_rtts="$2"; shift 2 ;;
    --target-warmup) target_warmup="$2"; shift 2 ;;
    --idle-partitions) idle_parts="$2"; shift 2 ;;
    --idle-seconds) idle_secs="$2"; shift 2 ;;
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
  gb=0.004; codecs="lz4"; parts=3; timeout=180; rate=200; lat_secs=20; lat_warmup=5; target_warmup=3; lat_lingers=0
  idle_parts=50; idle_secs=5; wan_rtts=20
  [ "$scenarios_given" = 1 ] || scenarios="catchup latency partitions wan"
  [ -n "$out" ] || out="$root/target/loadtest/smoke.md"
fi
[ -n "$out" ] || out="$root/docs/benchmarks/$(date +%F)-run.md"
chart="${out%.md}.png"
records=$(awk -v g="$gb" -v s="$size" 'BEGIN { printf "%d", g * 1e9 / s }')
[ "$records" -ge "$parts" ] || { echo "loadtest/run.sh: --gb too small" >&2; exit 2; }

work="${LOADTEST_DIR:-$root/target/loadtest/run}"
step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }
fail() { printf '\nloadtest: %s\n' "$*" >&2; exit 1; }

# The chart is drawn with matplotlib (loadtest/chart.py): checked now, not after an hour of measuring.
python3 -c 'import matplotlib' 2>/dev/null \
  || fail "python3 has no matplotlib (the chart needs it): python3 -m pip install matplotlib, or apt-get install python3-matplotlib"

step "Kafka jars"
jars="$(scripts/kafka-jars.sh)"
export STRAIT_KAFKA_JARS="$jars"
strait_bin="${STRAIT_BIN:-$root/target/$profile/strait}"
ceiling_bin="$root/target/$profile/examples/produce_ceiling"
if [ "$build" = 1 ] || [ ! -x "$strait_bin" ] || [ ! -x "$ceiling_bin" ]; then
  step "cargo build ($profile: strait and the ceiling producer)"
  if [ "$profile" = release ]; then cargo build --release --quiet --bin strait --example produce_ceiling
  else cargo build --quiet --bin strait --example produce_ceiling; fi
fi
scripts/test-client.sh --classes >/dev/null # compile the loader now, not inside a measurement

# The latency probe: HdrHistogram from Maven Central (cached beside the Kafka jars), compiled once.
hdr_dir="$(dirname "$(dirname "$jars")")/hdrhistogram-2.2.2"
if [[ " $scenarios " == *" latency "* ]]; then
  if [ ! -f "$hdr_dir/HdrHistogram-2.2.2.jar" ]; then
    step "HdrHistogram 2.2.2 from Maven Central"
    mkdir -p "$hdr_dir"
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact=org.hdrhistogram:HdrHistogram:2.2.2 -DoutputDirectory="$hdr_dir" >"$hdr_dir/mvn.log" 2>&1 \
      || fail "could not fetch HdrHistogram (see $hdr_dir/mvn.log)"
  fi
  probe_cp_jars="$hdr_dir/HdrHistogram-2.2.2.jar:$jars/*"
  probe_hash="$( { cat "$root/loadtest/LatencyProbe.java"; echo "$probe_cp_jars"; } | sha256sum | cut -c1-16)"
  probe_classes="$root/target/loadtest-classes/$probe_hash"
  if [ ! -f "$probe_classes/LatencyProbe.class" ]; then
    mkdir -p "$probe_classes.tmp"
    javac -nowarn -encoding UTF-8 -d "$probe_classes.tmp" -cp "$probe_cp_jars" "$root/loadtest/LatencyProbe.java"
    rm -rf "$probe_classes"; mv "$probe_classes.tmp" "$probe_classes"
  fi
fi

kt() { # Kafka tool JVM
  java -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" -cp "$jars/*" "$@"
}
kw() { python3 "$root/loadtest/kwatch.py" "$@"; }
# shellcheck source=loadtest/wan.sh
source "$root/loadtest/wan.sh"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p="$1"; while ! { port_free "$p" && port_free $((p + 1)) && port_free $((p + 2)); }; do p=$((p + 10)); done; echo "$p"; }

scripts/kafka-cluster.sh stop --all-under "$work" --kill >/dev/null 2>&1 || true
rm -rf "$work"
mkdir -p "$work" "$(dirname "$out")"
rpid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null; then kill -KILL "$rpid" 2>/dev/null || true; fi
  wan_stop_proxy
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
proxy_args=()
if [[ " $scenarios " == *" wan "* ]]; then
  # The distance scenario's proxy listens here; the broker advertises it on its EXTERNAL listener.
  wan_port="$(pick_port $((p_port + 100)))"
  proxy_args=(--proxy-base "$wan_port")
fi
scripts/kafka-cluster.sh start --name primary --dir "$work/primary" --nodes 1 --port-base "$p_port" \
  "${proxy_args[@]}" --owner-pid $$ >"$work/primary.start" 2>&1 || { cat "$work/primary.start" >&2; fail "primary did not start"; }
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
# A KRaft controller refuses one operation of more than 10,000 records ("excessively large batch
# operation"): a topic of N partitions is N + 1 records, so large topics are created in steps of
# at most 5,000 partitions (create, then add).
create_topic() { # bootstrap topic [partitions]
  local want="${3:-$parts}" have
  have=$(( want < 5000 ? want : 5000 ))
  kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" --partitions "$have" \
    --replication-factor 1 --config retention.ms=-1 --config max.message.bytes=8388608 >/dev/null
  while [ "$have" -lt "$want" ]; do
    have=$(( want - have < 5000 ? want : have + 5000 ))
    kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --alter --topic "$2" --partitions "$have" >/dev/null
  done
}

results="$work/results.tsv"
: >"$results"
# group (scenario/codec or scenario/partitions)  what  {json}
record() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$results"; }
jmerge() { python3 -c 'import json,sys; d={}; [d.update(json.loads(a)) for a in sys.argv[1:]]; print(json.dumps(d))' "$@"; }
# CPU and memory between two `kwatch.py sample` lines
delta() { python3 -c 'import json,sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cpu = round(b["cpu_s"] - a["cpu_s"], 2) if a["cpu_s"] is not None and b["cpu_s"] is not None else None
print(json.dumps({sys.argv[3]: cpu, "rss_mb": b["rss_mb"], "hwm_mb": b["hwm_mb"]}))' "$@"; }
ones() { printf '1 %.0s' $(seq "$1"); }

write_config() { # file topic codec linger.ms [extra line]
  cat >"$1" <<EOF
# Benchmark flow: one topic, nothing else. Read by strait and by Java MM2 alike.
clusters = primary, secondary
primary.bootstrap.servers = ${config_primary:-$primary}
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
# having no effect (it forwards the source's batches, joining small ones that wait). linger.ms is 10 for catch-up
# (throughput) and 0 (Connect's default) for the latency and many-partition scenarios.
primary.consumer.max.poll.records = 5000
primary.consumer.fetch.max.bytes = 52428800
primary.consumer.max.partition.fetch.bytes = 1048576
primary.consumer.fetch.min.bytes = 1
secondary.producer.compression.type = $3
secondary.producer.batch.size = 262144
secondary.producer.linger.ms = $4
secondary.producer.buffer.memory = 134217728
secondary.producer.acks = all
secondary.producer.enable.idempotence = true
secondary.producer.max.in.flight.requests.per.connection = 5
secondary.producer.max.request.size = 8388608
${5:-}
EOF
}

start_replicator() { # name cfg log -> sets rpid, start_ns
  local cmd=("$strait_bin" run --config "$2")
  [ "$1" = mm2 ] && cmd=("$root/scripts/java-mm2.sh" run --config "$2")
  start_ns="$(date +%s%N)"
  NO_COLOR=1 "${cmd[@]}" >"$3" 2>&1 &
  rpid=$!
}
stop_replicator() {
  kill -TERM "$rpid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$rpid" 2>/dev/null || true
  wait "$rpid" 2>/dev/null || true
  rpid=""
}
# A measurement that did not happen (a replicator that never caught up, a probe that failed) is
# kept here, named in the report's output, and fails the run once the report is written: a smoke
# or a benchmark whose replicator did not replicate must not look like a success.
failures=()
check_caught_up() { # name res log
  grep -q '"caught_up": true' "$2" && return 0
  echo "   $1 did not catch up; last log lines:"; tail -n 15 "$3" | sed 's/^/   | /'
  failures+=("$1 did not catch up ($2, log $3)")
}
probe_failed() { # what res
  echo "   $1 failed"
  failures+=("$1 failed (${2})")
}

# ---- Scenario 1: catch-up ------------------------------------------------------------------------
# The backlog a catch-up replicates: --gb of records into `topic` on primary, before any replicator
# starts; sets `expect` (the source's end offsets) and records the source's sizes under `group`.
load_backlog() { # topic codec group
  local topic="$1" codec="$2" logbytes
  step "Backlog $codec: $records records of $size B into $topic ($parts partitions) on primary"
  create_topic "$primary" "$topic"
  scripts/test-client.sh bulk --bootstrap "$primary" --topic "$topic" --records "$records" --size "$size" \
    --codec "$codec" | sed 's/^/   loaded: /'
  expect="$(kw offsets --bootstrap "$primary" --topic "$topic" --partitions "$parts")"
  logbytes="$(find "$work/primary/node-1/data" -path "*/$topic-*" -name '*.log' -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
  echo "   source end offsets: $expect; log bytes on disk: $logbytes"
  record "$3" source "{\"records\": $records, \"value_bytes\": $((records * size)), \"log_bytes\": $logbytes}"
}
run_catchup() { # name codec topic expect rep [group, default catchup/<codec>]
  local name="$1" codec="$2" topic="$3" expect="$4" rep="$5" group="${6:-catchup/$2}" cfg log res tag
  tag="$(echo "$group" | tr '/=' '--')-$name-$rep"
  step "$group $name (run $rep/$repeat): fresh target, pre-create primary.$topic, replicate the backlog"
  fresh_secondary
  create_topic "$secondary" "primary.$topic"
  cfg="$work/$tag.properties"; log="$work/$tag.log"; res="$work/$tag.json"
  write_config "$cfg" "$topic" "$codec" 10
  start_replicator "$name" "$cfg" "$log"
  kw wait --bootstrap "$secondary" --topic "primary.$topic" --expect "$expect" --pid "$rpid" \
    --broker-pid "$broker_pid" --start-ns "$start_ns" --timeout "$timeout" --label "$name/$codec" \
    --bytes "$((records * size))" >"$res" || true
  sed 's/^/   result: /' "$res"
  stop_replicator
  check_caught_up "$name" "$res" "$log"
  record "$group" "$name" "$(jmerge "$(cat "$res")" "{\"rep\": $rep}")"
}

# ---- Scenario 3: the target broker's ceiling -----------------------------------------------------
broker_cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$broker_pid/stat"; }
run_ceiling() { # codec topic expect rep
  local codec="$1" topic="$2" expect="$3" rep="$4" res="$work/ceiling-$1-$4.json" self="$work/ceiling-$1-$4.self.json"
  step "ceiling, $codec (run $rep/$repeat): the backlog's own batches produced raw into a fresh topic on a fresh target"
  fresh_secondary
  create_topic "$secondary" ceiling
  # Timed like a replicator: kwatch polls the target from the process start until it equals the source.
  start_ns="$(date +%s%N)"
  "$ceiling_bin" --bootstrap "$secondary" --topic ceiling --source-dir "$work/primary/node-1/data" \
    --source-topic "$topic" --partitions "$parts" --tasks "$tasks" >"$self" &
  rpid=$!
  kw wait --bootstrap "$secondary" --topic ceiling --expect "$expect" --pid "$rpid" --broker-pid "$broker_pid" \
    --start-ns "$start_ns" --timeout "$timeout" --label "ceiling/$codec" --bytes "$((records * size))" >"$res" || true
  wait "$rpid" || fail "produce_ceiling failed"
  rpid=""
  sed 's/^/   result: /' "$res" "$self"
  record "catchup/$codec" ceiling "$(jmerge "$(cat "$res")" "{\"rep\": $rep, \"self\": $(cat "$self")}")"
}

run_producer_perf() { # codec
  local codec="$1" res="$work/pperf-$1.txt" b0 b1 rps
  step "reference, $codec: ProducerPerformance, $records records of $size B into a fresh topic on a fresh target"
  fresh_secondary
  create_topic "$secondary" pperf
  b0="$(broker_cpu)"
  kt org.apache.kafka.tools.ProducerPerformance --topic pperf --num-records "$records" --record-size "$size" \
    --throughput -1 --producer-props bootstrap.servers="$secondary" acks=all enable.idempotence=true \
    compression.type="$codec" batch.size=262144 linger.ms=20 buffer.memory=67108864 max.request.size=8388608 \
    2>&1 | tee "$res" | grep --line-buffered -E 'records sent' | sed 's/^/   /'
  b1="$(broker_cpu)"
  # final line: "N records sent, R records/sec (M MB/sec), ..."
  rps="$(grep -E 'records sent.*99.9th' "$res" | tail -n1 | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/')"
  [ -n "$rps" ] || fail "ProducerPerformance printed no summary (see $res)"
  record "catchup/$codec" pperf "{\"records_per_s\": $rps, \"broker_cpu_s\": $(awk -v a="$b0" -v b="$b1" 'BEGIN{printf "%.2f", b - a}')}"
}

# ---- Scenario 2: steady-state latency ------------------------------------------------------------
# A freshly started broker answers its first tens of thousands of Produce requests slowly (JIT, class
# loading, first segment files): the same for both replicators, but it lands in whichever tail runs
# first. Produce small batches at the probe's rate into a scratch topic first.
warm_target() {
  [ "$target_warmup" -gt 0 ] || return 0
  create_topic "$secondary" warmup
  kt org.apache.kafka.tools.ProducerPerformance --topic warmup --num-records "$((rate * target_warmup))" \
    --record-size "$size" --throughput "$rate" --producer-props bootstrap.servers="$secondary" acks=all \
    enable.idempotence=true compression.type="$lat_codec" linger.ms=0 >"$work/warmup.log" 2>&1 \
    || echo "   target warm-up failed (see $work/warmup.log)"
}
run_latency() { # name linger
  local name="$1" linger="$2" topic="lat-$1-l$2" cfg log res s0 s1 b0 b1
  step "latency $name: $rate records/s of $size B ($lat_codec, linger.ms $linger) for $lat_secs s, first $lat_warmup s not measured"
  fresh_secondary
  warm_target
  create_topic "$primary" "$topic"
  create_topic "$secondary" "primary.$topic"
  cfg="$work/$topic.properties"; log="$work/$topic.log"; res="$work/$topic.json"
  local extra=""
  # strait-exact: strait forwarding every source batch with its own framing (no joining).
  [ "$name" = strait-exact ] && extra="primary->secondary.strait.batch.join.enabled = false"
  write_config "$cfg" "$topic" "$lat_codec" 0 "$extra"
  start_replicator "$name" "$cfg" "$log"
  # Ready = one record per partition, written after the start, has arrived on the target.
  scripts/test-client.sh produce --bootstrap "$primary" --topic "$topic" --partitions "$parts" --per-partition 1 >/dev/null
  kw wait --bootstrap "$secondary" --topic "primary.$topic" --expect "$(ones "$parts")" \
    --pid "$rpid" --start-ns "$start_ns" --timeout "$timeout" --label "$name ready" >"$res.ready" || true
  check_caught_up "$name" "$res.ready" "$log"
  s0="$(kw sample --pid "$rpid" || true)"; b0="$(broker_cpu)"
  java -Xms64m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" \
    -cp "$probe_classes:$probe_cp_jars" LatencyProbe --source "$primary" --target "$secondary" --topic "$topic" \
    --remote-topic "primary.$topic" --rate "$rate" --size "$size" --seconds "$lat_secs" --warmup "$lat_warmup" \
    --codec "$lat_codec" --linger "$linger" >"$res" || probe_failed "latency probe ($name, linger.ms $linger)" "$res"
  s1="$(kw sample --pid "$rpid" || true)"; b1="$(broker_cpu)"
  sed 's/^/   result: /' "$res"
  stop_replicator
  [ -s "$res" ] || echo '{}' >"$res"
  # How the source producer batched.
  local batches target_batches
  batches="$(python3 "$root/loadtest/kwatch.py" batches --dir "$work/primary/node-1/data" --topic "$topic")"
  # How the target was written: strait forwards the source's batches (small waiting ones joined unless
  # strait-exact); MM2's producer re-batches.
  target_batches="$(python3 "$root/loadtest/kwatch.py" batches --dir "$sec_dir/node-1/data" --topic "primary.$topic" \
    | sed 's/"source_/"target_/g')"
  echo "   source batches: $batches; target batches: $target_batches"
  record "latency/$lat_codec,linger.ms=$linger" "$name" "$(jmerge "$(cat "$res")" "$(delta "$s0" "$s1" cpu_s)" "$batches" "$target_batches" \
    "{\"broker_cpu_s\": $(awk -v a="$b0" -v b="$b1" 'BEGIN{printf "%.2f", b - a}')}")"
}

# The probe's own floor: the same producer and consumer on one cluster (no replicator, one hop less).
run_latency_floor() { # linger
  local linger="$1" topic="lat-floor-l$1" res="$work/lat-floor-l$1.json"
  step "latency floor: the probe alone, producing and consuming $topic on primary (no replicator, linger.ms $linger)"
  create_topic "$primary" "$topic"
  java -Xms64m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" \
    -cp "$probe_classes:$probe_cp_jars" LatencyProbe --source "$primary" --target "$primary" --topic "$topic" \
    --remote-topic "$topic" --rate "$rate" --size "$size" --seconds "$lat_secs" --warmup "$lat_warmup" \
    --codec "$lat_codec" --linger "$linger" >"$res" || probe_failed "latency probe (floor, linger.ms $linger)" "$res"
  sed 's/^/   result: /' "$res"
  [ -s "$res" ] || echo '{}' >"$res"
  record "latency/$lat_codec,linger.ms=$linger" floor "$(cat "$res")"
}

# ---- Scenario 4: many mostly idle partitions ---------------------------------------------------
# Java MM2 on thousands of partitions sometimes never starts copying (its tasks stay unassigned after
# the first rebalance): such a run is retried on a fresh target, up to 3 attempts, and the report
# names the attempt. strait gets one attempt.
run_partitions() { # name n
  local name="$1" n="$2" topic="idle-$2" cfg log res s0 s1 attempt=1 tries=1
  [ "$name" = mm2 ] && tries=3
  while :; do
    step "many partitions $name: $n partitions, one record each, then $idle_secs s idle (attempt $attempt)"
    fresh_secondary
    create_topic "$secondary" "primary.$topic" "$n"
    cfg="$work/idle-$name-$n.properties"; log="$work/idle-$name-$n-$attempt.log"; res="$work/idle-$name-$n.json"
    write_config "$cfg" "$topic" none 0
    start_replicator "$name" "$cfg" "$log"
    kw wait --bootstrap "$secondary" --topic "primary.$topic" --expect "$(ones "$n")" \
      --pid "$rpid" --start-ns "$start_ns" --timeout "$timeout" --interval 2 --label "$name/$n" >"$res" || true
    if [ "$attempt" -lt "$tries" ] && ! grep -q '"caught_up": true' "$res"; then
      echo "   $name did not catch up on $n partitions (log $log): trying again"
      stop_replicator
      attempt=$((attempt + 1))
      continue
    fi
    break
  done
  check_caught_up "$name" "$res" "$log"
  s0="$(kw sample --pid "$rpid" || true)"
  sleep "$idle_secs"
  s1="$(kw sample --pid "$rpid" || true)"
  stop_replicator
  record "partitions/$n" "$name" "$(jmerge "$(cat "$res")" "$(delta "$s0" "$s1" idle_cpu_s)" \
    "{\"idle_s\": $idle_secs, \"attempts\": $attempt}")"
  echo "   idle: $(tail -n1 "$results" | cut -d' ' -f3-)"
}

for scenario in $scenarios; do
  case "$scenario" in
    catchup)
      for codec in $codecs; do
        topic="bench-$codec"
        load_backlog "$topic" "$codec" "catchup/$codec"
        if [ "$pperf" = 1 ]; then run_producer_perf "$codec"; fi
        for rep in $(seq "$repeat"); do
          if [ "$ceiling" = 1 ]; then run_ceiling "$codec" "$topic" "$expect" "$rep"; fi
          for r in $replicators; do run_catchup "$r" "$codec" "$topic" "$expect" "$rep"; done
        done
        # the backlog is no longer needed: free the disk for the next codec
        kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$primary" --delete --topic "$topic" >/dev/null || true
      done ;;
    latency)
      for linger in $lat_lingers; do
        run_latency_floor "$linger"
        for r in $replicators; do
          run_latency "$r" "$linger"
          if [ "$r" = strait ] && [ "$lat_exact" = 1 ]; then run_latency strait-exact "$linger"; fi
        done
      done ;;
    partitions)
      for n in $idle_parts; do
        step "Many partitions: $n partitions on primary, one record each"
        create_topic "$primary" "idle-$n" "$n"
        scripts/test-client.sh produce --bootstrap "$primary" --topic "idle-$n" --partitions "$n" --per-partition 1 >/dev/null
        for r in $replicators; do run_partitions "$r" "$n"; done
        kt org.apache.kafka.tools.TopicCommand --bootstrap-server "$primary" --delete --topic "idle-$n" >/dev/null || true
      done ;;
    wan) run_wan ;;
    *) fail "unknown scenario $scenario" ;;
  esac
done

step "Report"
strait_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+dirty')"
[ "$profile" = release ] || strait_rev="$strait_rev, DEBUG build (smoke only)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$root/loadtest/report.py" --results "$results" --size "$size" --parts "$parts" --tasks "$tasks" \
  --command "loadtest/run.sh${orig_args:+ $orig_args}" --rev "$strait_rev" --cpu "$cpu_model" --cores "$(nproc)" \
  --mem "$(free -g | awk '/^Mem:/ {print $2}') GiB" --load "$load_before" --load-after "$load_after" \
  --java "$(java -version 2>&1 | head -n1)" --kafka "$(basename "$(dirname "$jars")")" \
  --rate "$rate" --latency-seconds "$lat_secs" --warmup "$lat_warmup" --latency-linger "$lat_lingers" --target-warmup "$target_warmup" --idle-seconds "$idle_secs" \
  --chart "$chart" >"$out"
cat "$out"
echo
echo "written to ${out#"$root/"} and ${chart#"$root/"}; logs in ${work#"$root/"}"
if [ "${#failures[@]}" -gt 0 ]; then
  printf '   %s\n' "${failures[@]}" >&2
  fail "${#failures[@]} measurement(s) failed (above); the report holds only what was measured"
fi
