#!/usr/bin/env bash
# Starts and stops a real Apache Kafka 3.9 cluster (KRaft, every node a combined broker+controller) from
# the Maven Central jars of scripts/kafka-jars.sh. No Docker, no tarball.
#
#   kafka-cluster.sh start --name NAME --dir DIR --nodes 1|3 --port-base P [--owner-pid PID]
#                          [--prop key=value]... [--timeout SECONDS] [--secure CERTDIR]
#                          [--proxy-base Q] [--data-size MB]
#       Node k (1..N) listens PLAINTEXT on 127.0.0.1:P+k-1 and CONTROLLER on 127.0.0.1:P+N+k-1.
#       --secure CERTDIR (material of scripts/gen-test-certs.sh, generated there if missing): node k
#       also listens SSL with required client certificates (mTLS) on 127.0.0.1:P+2N+k-1 and SASL_SSL
#       (PLAIN user `strait-plain`, SCRAM-SHA-256/512 user `strait-scram`, passwords in CERTDIR;
#       OAUTHBEARER with unsecured JWTs, any subject) on
#       127.0.0.1:P+3N+k-1, with the StandardAuthorizer (super users: ANONYMOUS, i.e. the PLAINTEXT
#       and controller listeners, and the mTLS client CN=strait-client; others are allowed on
#       resources without ACLs). Inter-broker and controller traffic stay PLAINTEXT.
#       --proxy-base Q (not with --secure): node k also listens PLAINTEXT as listener EXTERNAL on
#       127.0.0.1:P+2N+k-1 and advertises it as 127.0.0.1:Q+k-1, where a fault-injecting TCP proxy
#       (toxiproxy, tests/chaos.rs) forwards to it; clients bootstrapping through the proxy stay
#       behind it, while inter-broker traffic and clients of the PLAINTEXT port bypass it.
#       --data-size MB: each node's data directory is a tmpfs of MB megabytes (needs root), so that a
#       test can fill a broker's disk (the broker then takes its log dir offline and stops) and give it
#       more room (mount -o remount,size=...) before starting it again.
#       Writes DIR/node-k/server.properties, formats DIR/node-k/data, starts the JVMs in the background
#       (own session, stdin/stdout/stderr detached), waits until Admin.describeCluster lists all N brokers,
#       then prints `bootstrap=127.0.0.1:P,...` on stdout (also kept in DIR/bootstrap).
#       On an existing DIR it restarts the nodes that are not running, with the stored id and ports.
#       --owner-pid PID: a detached watchdog (polling every second) SIGKILLs the brokers once PID has exited.
#       --prop key=value: appended to every node's server.properties (wins over the defaults here).
#   kafka-cluster.sh start-node --dir DIR --node K       restart one stopped node of an existing cluster
#   kafka-cluster.sh stop --dir DIR [--node K] [--kill]  SIGTERM (SIGKILL after 20 s; at once with --kill)
#   kafka-cluster.sh stop --all-under ROOT               stop every cluster found below ROOT
#   kafka-cluster.sh status --dir DIR                    one line per node: running or stopped
# Logs: DIR/node-k/logs/server.log (log4j config: scripts/log4j.properties), DIR/node-k/logs/stdout.log.
# Env: STRAIT_KAFKA_JARS (jar dir; default from scripts/kafka-jars.sh), STRAIT_BROKER_HEAP (default 512m),
#      STRAIT_BROKER_JVM_OPTS (extra JVM flags).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
self="$root/scripts/kafka-cluster.sh"

die() { echo "kafka-cluster: $*" >&2; exit 1; }
log() { echo "kafka-cluster: $*" >&2; }

cmd="${1:-}"; [ -n "$cmd" ] && shift || true
name=""; dir=""; nodes=""; port_base=""; owner=""; node=""; kill_now=0; all_under=""; timeout=180; secure=""; proxy_base=""; data_size="" 
props=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --port-base) port_base="$2"; shift 2 ;;
    --owner-pid) owner="$2"; shift 2 ;;
    --prop) props+=("$2"); shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --node) node="$2"; shift 2 ;;
    --kill) kill_now=1; shift ;;
    --all-under) all_under="$2"; shift 2 ;;
    --secure) secure="$2"; shift 2 ;;
    --proxy-base) proxy_base="$2"; shift 2 ;;
    --data-size) data_size="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
if [ -n "$dir" ]; then mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"; fi

# The pid in DIR/node-K/pid if that process is alive and really is this node's JVM (pids get reused).
node_pid() {
  local f="$dir/node-$1/pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/node-$1/server.properties" || return 1
  echo "$pid"
}

load_env() {
  [ -f "$dir/cluster.env" ] || die "$dir has no cluster (no cluster.env)"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_node() { # K
  local k="$1" nd="$dir/node-$1"
  if node_pid "$k" >/dev/null; then return 0; fi
  local port=$((PORT_BASE + k - 1)) cport=$((PORT_BASE + NODES + k - 1))
  for p in "$port" "$cport"; do
    port_open "$p" && die "port $p (node $k of $NAME) is already in use"
  done
  mkdir -p "$nd/logs"
  # A killed node leaves its pid file behind: without this, the wait below could accept the dead
  # node's pid before the new one is written, and wait_ready would report the node as exited.
  rm -f "$nd/pid"
  # Own session (setsid) so that a terminal's Ctrl-C or a test runner's process group does not reach it,
  # all stdio detached so that nobody waiting for our output waits for the broker.
  # shellcheck disable=SC2086
  setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$nd/pid" \
    java -Xms256m -Xmx"${STRAIT_BROKER_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:TieredStopAtLevel=1 \
      -Djava.awt.headless=true -Dkafka.logs.dir="$nd/logs" \
      -Dlog4j.configuration="file:$root/scripts/log4j.properties" -Dstrait.cluster="$NAME" \
      ${STRAIT_BROKER_JVM_OPTS:-} -cp "$JARS/*" kafka.Kafka "$nd/server.properties" \
    </dev/null >"$nd/logs/stdout.log" 2>&1 &
  for _ in $(seq 50); do [ -s "$nd/pid" ] && break; sleep 0.1; done
}

write_props() { # K
  local k="$1" nd="$dir/node-$1" voters="" i
  for i in $(seq 1 "$NODES"); do voters="$voters${voters:+,}$i@127.0.0.1:$((PORT_BASE + NODES + i - 1))"; done
  local port=$((PORT_BASE + k - 1)) cport=$((PORT_BASE + NODES + k - 1))
  local isr=1; [ "$NODES" -ge 3 ] && isr=2
  mkdir -p "$nd/data" "$nd/logs"
  if [ -n "$data_size" ] && ! mountpoint -q "$nd/data"; then
    mount -t tmpfs -o "size=${data_size}m" tmpfs "$nd/data" \
      || die "--data-size: cannot mount a tmpfs on $nd/data (needs root)"
  fi
  {
    echo "# $NAME node $k, written by scripts/kafka-cluster.sh"
    echo "process.roles=broker,controller"
    echo "node.id=$k"
    echo "controller.quorum.voters=$voters"
    if [ -n "${SECURE:-}" ]; then
      secure_props "$k"
    elif [ -n "${PROXY_BASE:-}" ]; then
      local eport=$((PORT_BASE + 2 * NODES + k - 1)) pport=$((PROXY_BASE + k - 1))
      echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,EXTERNAL://127.0.0.1:$eport"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port,EXTERNAL://127.0.0.1:$pport"
    else
      echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    fi
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "controller.listener.names=CONTROLLER"
    echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
    echo "log.dirs=$nd/data"
    if [ "$NODES" -gt 1 ]; then
      # Topic-level defaults only where they differ from Kafka's own, so that a 1-node cluster reports
      # pristine topic configs (describeConfigs sources) to a replicator's config sync.
      echo "default.replication.factor=$NODES"
      echo "min.insync.replicas=$isr"
    fi
    echo "offsets.topic.replication.factor=$NODES"
    echo "offsets.topic.num.partitions=3"
    echo "transaction.state.log.replication.factor=$NODES"
    echo "transaction.state.log.min.isr=$isr"
    echo "transaction.state.log.num.partitions=3"
    echo "group.initial.rebalance.delay.ms=0"
    echo "auto.create.topics.enable=false"
    echo "num.network.threads=2"
    echo "num.io.threads=2"
    echo "num.recovery.threads.per.data.dir=1"
    echo "background.threads=2"
    # The cleaner allocates its dedupe buffer up front (default 128 MiB of a 512 MiB heap).
    echo "log.cleaner.dedupe.buffer.size=16777216"
    # Compaction a test can wait for (Kafka checks every 15 s by default).
    echo "log.cleaner.backoff.ms=1000"
    if [ -f "$dir/extra.properties" ]; then cat "$dir/extra.properties"; fi
  } > "$nd/server.properties"
}

secure_props() { # K (inside write_props)
  local k="$1" pass plain
  local port=$((PORT_BASE + k - 1)) cport=$((PORT_BASE + NODES + k - 1))
  local sport=$((PORT_BASE + 2 * NODES + k - 1)) saport=$((PORT_BASE + 3 * NODES + k - 1))
  pass="$(cat "$SECURE/store-password")"; plain="$(cat "$SECURE/sasl-plain-password")"
  echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SSL://127.0.0.1:$sport,SASL_SSL://127.0.0.1:$saport"
  echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port,SSL://127.0.0.1:$sport,SASL_SSL://127.0.0.1:$saport"
  echo "ssl.keystore.type=PKCS12"
  echo "ssl.keystore.location=$SECURE/broker.keystore.p12"
  echo "ssl.keystore.password=$pass"
  echo "ssl.key.password=$pass"
  echo "ssl.truststore.type=JKS"
  echo "ssl.truststore.location=$SECURE/truststore.jks"
  echo "ssl.truststore.password=$pass"
  echo "listener.name.ssl.ssl.client.auth=required"
  echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
  echo "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_strait-plain=\"$plain\";"
  echo "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  echo "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  # OAUTHBEARER with Kafka's default validator, which accepts unsecured (alg "none") JWTs such as
  # those of the tests' token endpoint (tests/oauth_token_endpoint.py).
  echo "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
  echo "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
  echo "super.users=User:ANONYMOUS;User:CN=strait-client"
  echo "allow.everyone.if.no.acl.found=true"
}

stop_nodes() { # signal K...
  local sig="$1" k pid; shift
  for k in "$@"; do
    if pid="$(node_pid "$k")"; then kill -s "$sig" "$pid" 2>/dev/null || true; fi
  done
}

wait_stopped() { # seconds K... -> 0 when all stopped
  local deadline=$((SECONDS + $1)) k alive; shift
  while :; do
    alive=0
    for k in "$@"; do node_pid "$k" >/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

stop_watchdog() {
  local f="$dir/watchdog.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "_watchdog --dir $dir "; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

all_nodes() { seq 1 "$NODES"; }

do_stop() {
  load_env
  local targets
  if [ -n "$node" ]; then targets="$node"; else targets="$(all_nodes)"; fi
  # shellcheck disable=SC2086
  if [ "$kill_now" = 1 ]; then
    stop_nodes KILL $targets
    wait_stopped 10 $targets || die "could not kill $NAME nodes $targets"
  else
    stop_nodes TERM $targets
    if ! wait_stopped 20 $targets; then
      log "$NAME: nodes still running 20 s after SIGTERM, sending SIGKILL"
      stop_nodes KILL $targets
      wait_stopped 10 $targets || die "could not kill $NAME nodes $targets"
    fi
  fi
  local k running=0
  for k in $(all_nodes); do node_pid "$k" >/dev/null && running=1; done
  [ "$running" = 0 ] && stop_watchdog
  log "$NAME ($dir): stopped node(s) $(echo $targets)"
}

wait_ready() { # deadline(SECONDS)
  local deadline="$1" k rc
  while :; do
    for k in $(all_nodes); do
      if ! node_pid "$k" >/dev/null; then
        log "$NAME node $k exited during start-up; last lines of $dir/node-$k/logs:"
        tail -n 30 "$dir/node-$k/logs/stdout.log" "$dir/node-$k/logs/server.log" >&2 2>/dev/null || true
        return 1
      fi
    done
    rc=0
    STRAIT_KAFKA_JARS="$JARS" "$root/scripts/test-client.sh" wait-ready --bootstrap "$BOOTSTRAP" \
      --brokers "$NODES" --timeout-ms 5000 >/dev/null 2>"$dir/wait-ready.err" || rc=$?
    [ "$rc" = 0 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$NAME not ready after ${timeout}s: $(tail -n 1 "$dir/wait-ready.err")"
      return 1
    fi
  done
}

spawn_watchdog() {
  [ -n "$owner" ] || return 0
  [ -d "/proc/$owner" ] || die "--owner-pid $owner is not a running process"
  stop_watchdog
  setsid bash "$self" _watchdog --dir "$dir" --owner-pid "$owner" </dev/null >"$dir/watchdog.log" 2>&1 &
}

# Field 22 of /proc/PID/stat (start time); the command name before it may contain spaces.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20 || true; }

do_watchdog() {
  load_env
  echo $$ > "$dir/watchdog.pid"
  # The owner's start time guards against its pid being reused by another process.
  local started; started="$(start_time "$owner")"
  while [ -n "$started" ] && [ "$(start_time "$owner")" = "$started" ]; do
    sleep 1
  done
  echo "$(date '+%F %T') owner $owner is gone: killing $NAME" >&2
  stop_nodes KILL $(all_nodes)
  rm -f "$dir/watchdog.pid"
}

do_start() {
  local t0=$SECONDS k
  if [ -f "$dir/cluster.env" ]; then
    load_env
    [ -z "$nodes" ] || [ "$nodes" = "$NODES" ] || die "$dir holds a $NODES-node cluster, not $nodes"
    [ -z "$port_base" ] || [ "$port_base" = "$PORT_BASE" ] || die "$dir uses port base $PORT_BASE, not $port_base"
  else
    [ -n "$name" ] || die "start needs --name"
    [ -n "$nodes" ] && [ -n "$port_base" ] || die "start needs --nodes and --port-base"
    case "$nodes" in 1|2|3|4|5) ;; *) die "--nodes must be 1..5" ;; esac
    local jars id
    jars="${STRAIT_KAFKA_JARS:-$("$root/scripts/kafka-jars.sh")}"
    # A Kafka Uuid: 16 random bytes, base64url without padding; Kafka never hands out one starting with '-'.
    id="-"; while [ "${id:0:1}" = "-" ]; do id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
    local bootstrap="" i
    for i in $(seq 1 "$nodes"); do bootstrap="$bootstrap${bootstrap:+,}127.0.0.1:$((port_base + i - 1))"; done
    {
      echo "NAME='$name'"; echo "NODES=$nodes"; echo "PORT_BASE=$port_base"; echo "CLUSTER_ID='$id'"
      echo "JARS='$jars'"; echo "BOOTSTRAP='$bootstrap'"
      if [ -n "$secure" ]; then
        mkdir -p "$secure"; secure="$(cd "$secure" && pwd)"
        bash "$root/scripts/gen-test-certs.sh" "$secure" || die "gen-test-certs.sh $secure failed"
        echo "SECURE='$secure'"
      fi
      if [ -n "$proxy_base" ]; then
        [ -z "$secure" ] || die "--proxy-base and --secure do not go together"
        echo "PROXY_BASE=$proxy_base"
      fi
    } > "$dir/cluster.env.tmp"
    if [ "${#props[@]}" -gt 0 ]; then printf '%s\n' "${props[@]}" > "$dir/extra.properties"; fi
    mv "$dir/cluster.env.tmp" "$dir/cluster.env"
    load_env
    for k in $(all_nodes); do write_props "$k"; done
  fi
  # Format the nodes that are not formatted yet (in parallel: each is a JVM start).
  local pids=()
  for k in $(all_nodes); do
    if [ ! -f "$dir/node-$k/data/meta.properties" ]; then
      local scram=()
      if [ -n "${SECURE:-}" ]; then
        local sp; sp="$(cat "$SECURE/sasl-scram-password")"
        scram=(--add-scram "SCRAM-SHA-256=[name=strait-scram,password=$sp]"
               --add-scram "SCRAM-SHA-512=[name=strait-scram,password=$sp]")
      fi
      java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$root/scripts/tools-log4j.properties" \
        -cp "$JARS/*" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$dir/node-$k/server.properties" \
        "${scram[@]}" >"$dir/node-$k/logs/format.log" 2>&1 &
      pids+=($!)
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || die "storage format failed: $(cat "$dir"/node-*/logs/format.log)"; done
  if [ -n "$node" ]; then start_node "$node"; else for k in $(all_nodes); do start_node "$k"; done; fi
  spawn_watchdog
  if ! wait_ready $((t0 + timeout)); then
    stop_nodes KILL $(all_nodes)
    stop_watchdog
    die "$NAME did not start (logs under $dir)"
  fi
  echo "$BOOTSTRAP" > "$dir/bootstrap"
  log "$NAME: $NODES node(s) ready in $((SECONDS - t0)) s ($dir)"
  echo "bootstrap=$BOOTSTRAP"
}

do_status() {
  load_env
  local k
  for k in $(all_nodes); do
    if pid="$(node_pid "$k")"; then echo "$NAME node $k running pid $pid 127.0.0.1:$((PORT_BASE + k - 1))"
    else echo "$NAME node $k stopped"; fi
  done
}

case "$cmd" in
  start) [ -n "$dir" ] || die "start needs --dir"; do_start ;;
  start-node) [ -n "$dir" ] && [ -n "$node" ] || die "start-node needs --dir and --node"; do_start ;;
  stop)
    if [ -n "$all_under" ]; then
      [ -d "$all_under" ] || exit 0
      find "$all_under" -name cluster.env -printf '%h\n' | while read -r d; do
        if [ "$kill_now" = 1 ]; then bash "$self" stop --dir "$d" --kill || true
        else bash "$self" stop --dir "$d" || true; fi
      done
    else
      [ -n "$dir" ] || die "stop needs --dir or --all-under"; do_stop
    fi ;;
  status) [ -n "$dir" ] || die "status needs --dir"; do_status ;;
  _watchdog) do_watchdog ;;
  *) sed -n '2,29p' "$self" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
