#!/usr/bin/env bash
# Runs a three-gateway wsmsg cluster on this machine: three JVMs on 127.0.0.1, configured by
# conf/gateway1.json .. conf/gateway3.json (the same files docker-compose.yml uses).
#
#   scripts/cluster.sh start      build target/wsmsg.jar if stale, start the gateways that are not
#                                 running, wait until all three answer /ready, print URLs and a token
#   scripts/cluster.sh status     which gateways run, their /ready and their last Hazelcast member list
#   scripts/cluster.sh stop       SIGTERM one gateway at a time (each hands its state to the others or
#                                 writes its snapshot), waiting up to STOP_TIMEOUT s for each to exit
#   scripts/cluster.sh logs [N]   follow the logs (of gateway N only)
#
# Files: run/cluster/gatewayN.{pid,log,exit} (the previous log is kept as gatewayN.log.1) and
# run/cluster/wsmsg.jar, a copy of target/wsmsg.jar, so rebuilding never pulls the jar from under
# running gateways. The gateways share one JWT secret: $WSMSG_JWT_SECRET if set, else
# run/cluster/secret, made on the first start and reused.
# Settings: JAVA_OPTS (extra JVM options), START_TIMEOUT (90 s), STOP_TIMEOUT (40 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUN=run/cluster
GATEWAYS=(gateway1 gateway2 gateway3)
START_TIMEOUT=${START_TIMEOUT:-90}
STOP_TIMEOUT=${STOP_TIMEOUT:-40}
# Per-instance settings come from the conf files: the same variable in this shell would give all
# three the same port or directory, so they are not passed on (WSMSG_AUTH_MODE and the secret are).
PER_INSTANCE_ENV=(WSMSG_HOST WSMSG_PORT WSMSG_DATA_DIR WSMSG_MANAGEMENT_HOST WSMSG_MANAGEMENT_PORT WSMSG_CLUSTER
  WSMSG_CLUSTER_NAME WSMSG_CLUSTER_HOST WSMSG_CLUSTER_PUBLIC_HOST WSMSG_CLUSTER_PORT WSMSG_CLUSTER_MEMBERS
  WSMSG_CLUSTER_EVENT_BUS_PORT)

say() { printf '%s\n' "$*"; }
fail() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

# The pid of gateway $1 when it is running (and is really that gateway), else nothing and status 1.
pid_of() {
  local f="$RUN/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # a pid file left by a crash may name a process that reused the number
  case "$(ps -p "$pid" -o args= 2>/dev/null)" in
    *wsmsg.jar*"conf/$1.json"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# management.port of conf/$1.json (8766, the default, when the file sets none).
mgmt_port() {
  local p
  p=$(tr -d ' \t\r\n' <"conf/$1.json" | grep -o '"management":{[^}]*}' | grep -o '"port":[0-9]*' | cut -d: -f2 || true)
  echo "${p:-8766}"
}

# HTTP status of GET $2 on gateway $1's management port ("000" when nothing answers).
http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(mgmt_port "$1")$2" || true
}

# The WebSocket port gateway $1 listens on, from its /status (which needs the admin token $2).
ws_port() {
  curl -s --max-time 2 -H "Authorization: Bearer $2" "http://127.0.0.1:$(mgmt_port "$1")/status" | tr -d ' \n' \
    | grep -o '"websocketPort":[0-9]*' | cut -d: -f2 || true
}

# The size of the last Hazelcast member list in gateway $1's log ("" when there is none yet).
members_seen() {
  { grep -o 'Members {size:[0-9]*' "$RUN/$1.log" 2>/dev/null || true; } | tail -n 1 | grep -o '[0-9]*$' || true
}

last_exit() {
  [ -f "$RUN/$1.exit" ] && cat "$RUN/$1.exit" || echo "?"
}

secret() {
  if [ -n "${WSMSG_JWT_SECRET:-}" ]; then
    printf '%s' "$WSMSG_JWT_SECRET"
    return
  fi
  if [ ! -s "$RUN/secret" ]; then
    # 256 random bits, base64url: as long as the HS256 hash
    (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$RUN/secret")
  fi
  cat "$RUN/secret"
}

launch() {
  local name=$1 secret=$2 unset=() v
  for v in "${PER_INSTANCE_ENV[@]}"; do unset+=(-u "$v"); done
  if [ -f "$RUN/$name.log" ]; then mv -f "$RUN/$name.log" "$RUN/$name.log.1"; fi
  rm -f "$RUN/$name.pid" "$RUN/$name.exit"
  # A small bash parent per gateway records the exit status (stop and status report it). nohup:
  # the gateways outlive this terminal. JAVA_OPTS is split on spaces on purpose, as in bin/wsmsg.
  # shellcheck disable=SC2016 # $! and $? belong to the inner bash
  env "${unset[@]}" WSMSG_JWT_SECRET="$secret" nohup bash -c '
      java @bin/jvm-flags $JAVA_OPTS -jar "$1/wsmsg.jar" server -c "conf/$2.json" </dev/null &
      echo $! >"$1/$2.pid"
      wait $!
      status=$?
      echo $status >"$1/$2.exit"
      echo "[cluster.sh] $2 exited with status $status at $(date "+%F %T")"
    ' cluster-launcher "$RUN" "$name" >"$RUN/$name.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    [ -s "$RUN/$name.pid" ] && return 0
    sleep 0.1
  done
  fail "$name did not start (no $RUN/$name.pid); see $RUN/$name.log"
}

start() {
  mkdir -p "$RUN"
  local name pid running=() missing=()
  for name in "${GATEWAYS[@]}"; do
    if pid=$(pid_of "$name"); then running+=("$name"); else missing+=("$name"); fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "The cluster is already running (${running[*]}); scripts/cluster.sh status shows it."
    return 0
  fi
  # bin/wsmsg builds target/wsmsg.jar when it is missing or older than the sources (its rule).
  bin/wsmsg --version >/dev/null
  if [ ${#running[@]} -eq 0 ]; then
    cp target/wsmsg.jar "$RUN/wsmsg.jar.tmp" && mv -f "$RUN/wsmsg.jar.tmp" "$RUN/wsmsg.jar"
  else
    say "Already running: ${running[*]}; starting ${missing[*]} from the same jar as those."
    if [ target/wsmsg.jar -nt "$RUN/wsmsg.jar" ]; then
      say "(target/wsmsg.jar is newer: stop and start the whole cluster to run it.)"
    fi
  fi
  local key
  key=$(secret)
  [ -n "$key" ] || fail "could not make a JWT secret in $RUN/secret"
  export JAVA_OPTS=${JAVA_OPTS:-}
  for name in "${missing[@]}"; do
    launch "$name" "$key"
    say "started $name (pid $(cat "$RUN/$name.pid")), log $RUN/$name.log"
  done

  say "Waiting for /ready on all three (up to ${START_TIMEOUT} s)..."
  local t0=$SECONDS waiting=("${GATEWAYS[@]}") left
  while [ ${#waiting[@]} -gt 0 ]; do
    left=()
    for name in "${waiting[@]}"; do
      if ! pid_of "$name" >/dev/null; then
        say "$name exited during start (status $(last_exit "$name")). The end of $RUN/$name.log:" >&2
        tail -n 15 "$RUN/$name.log" >&2 || true
        fail "start failed; the other gateways may still run: scripts/cluster.sh stop stops them"
      fi
      [ "$(http_code "$name" /ready)" = 200 ] || left+=("$name")
    done
    waiting=("${left[@]+"${left[@]}"}")
    [ ${#waiting[@]} -eq 0 ] && break
    if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
      fail "not ready after ${START_TIMEOUT} s: ${waiting[*]}; their logs are in $RUN/ (gatewayN.log)"
    fi
    sleep 0.5
  done
  say "All three answer /ready after $((SECONDS - t0)) s."

  # Readiness is per node: also wait (briefly) until each has logged the full Hazelcast member list.
  local sizes
  for _ in $(seq 1 30); do
    sizes=""
    for name in "${GATEWAYS[@]}"; do sizes+="$(members_seen "$name") "; done
    [ "$sizes" = "3 3 3 " ] && break
    sleep 0.5
  done
  if [ "$sizes" != "3 3 3 " ]; then
    say "Note: the last Hazelcast member lists in the logs have sizes ${sizes}(not 3 each): the members" \
      "may still be merging; check scripts/cluster.sh status in a few seconds."
  fi

  local token url urls=()
  token=$(WSMSG_JWT_SECRET="$key" java -jar "$RUN/wsmsg.jar" token --sub admin --admin) ||
    fail "could not make a token (java -jar $RUN/wsmsg.jar token)"
  say ""
  say "The wsmsg cluster is up:"
  for name in "${GATEWAYS[@]}"; do
    url="ws://127.0.0.1:$(ws_port "$name" "$token")/"
    urls+=("$url")
    printf '  %-9s %-33s management http://127.0.0.1:%s/status  pid %s\n' \
      "$name" "$url<endpoint>" "$(mgmt_port "$name")" "$(pid_of "$name")"
  done
  say ""
  if [ -n "${WSMSG_JWT_SECRET:-}" ]; then
    say "An admin token (valid 24 h, signed with \$WSMSG_JWT_SECRET), set up for bin/wsmsg sub/pub/req/reply (and status/endpoints/channels);"
  else
    say "An admin token (valid 24 h, signed with the shared secret in $RUN/secret), set up for bin/wsmsg sub/pub/req/reply (and status/endpoints/channels);"
  fi
  say "other clients send it as  Authorization: Bearer <token>:"
  say ""
  say "  export WSMSG_TOKEN=$token"
  say "  export WSMSG_URL=$(IFS=,; echo "${urls[*]}")"
  say "  export WSMSG_MANAGEMENT_URL=http://127.0.0.1:$(mgmt_port gateway1)"
  say ""
  if [ -n "${WSMSG_JWT_SECRET:-}" ]; then
    say "More tokens: bin/wsmsg token --sub NAME ... (it reads \$WSMSG_JWT_SECRET)"
  else
    say "More tokens: WSMSG_JWT_SECRET=\$(cat $RUN/secret) bin/wsmsg token --sub NAME ..."
  fi
  say "Logs: scripts/cluster.sh logs    Stop: scripts/cluster.sh stop"
}

stop() {
  local name pid t0 status=0 stopped=0 i
  # One at a time, last first: each leaving gateway hands what it owns to the ones still running.
  for ((i = ${#GATEWAYS[@]} - 1; i >= 0; i--)); do
    name=${GATEWAYS[i]}
    pid=$(pid_of "$name") || continue
    stopped=1
    t0=$SECONDS
    kill -TERM "$pid"
    printf 'stopping %s (pid %s)...' "$name" "$pid"
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt "$STOP_TIMEOUT" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say " still running ${STOP_TIMEOUT} s after SIGTERM; see $RUN/$name.log (kill -9 $pid forces it)"
      status=1
      continue
    fi
    for _ in $(seq 1 20); do [ -f "$RUN/$name.exit" ] && break; sleep 0.1; done
    say " exited with status $(last_exit "$name") after $((SECONDS - t0)) s"
    [ "$(last_exit "$name")" = 0 ] || status=1
    rm -f "$RUN/$name.pid"
  done
  [ $stopped = 1 ] || say "No gateway is running."
  return $status
}

status() {
  local name pid code all=0 n
  for name in "${GATEWAYS[@]}"; do
    if pid=$(pid_of "$name"); then
      code=$(http_code "$name" /ready)
      n=$(members_seen "$name")
      printf '%-9s running (pid %s)  /ready %s  http://127.0.0.1:%s/status  Hazelcast members: %s\n' \
        "$name" "$pid" "$code" "$(mgmt_port "$name")" "${n:-none yet}"
      [ "$code" = 200 ] || all=1
    else
      if [ -f "$RUN/$name.exit" ]; then
        printf '%-9s stopped (last exit status %s)\n' "$name" "$(last_exit "$name")"
      else
        printf '%-9s stopped\n' "$name"
      fi
      all=1
    fi
  done
  return $all
}

logs() {
  local files=()
  if [ $# -gt 0 ]; then
    files=("$RUN/gateway$1.log")
  else
    files=("${GATEWAYS[@]/#/$RUN/}")
    files=("${files[@]/%/.log}")
  fi
  for f in "${files[@]}"; do [ -f "$f" ] || fail "no log $f yet (scripts/cluster.sh start)"; done
  exec tail -n 40 -F "${files[@]}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  *)
    say "usage: scripts/cluster.sh start|stop|status|logs [1|2|3]" >&2
    exit 2
    ;;
esac
