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
# TLS is on by default: clients use wss:// and https:// (certificate CERTS/server.pem), and the
# members talk over an event bus with mutual TLS, each with its own CERTS/gatewayN.pem signed by
# CERTS/cluster-ca.pem (a member without such a certificate is never routed to). The first start runs
# scripts/gen-certs.sh to make development certificates in certs/; later starts reuse them.
#   scripts/cluster.sh start --no-tls     (or WSMSG_NO_TLS=1) plain ws://, http:// and event bus,
#                                         for debugging only: anyone who reaches the ports is a member
#   scripts/cluster.sh start --tls edge   wss:// and https:// for clients, plain event bus (to measure
#                                         what the event bus's TLS costs; as unsafe as --no-tls inside)
# Each cluster gets a random Hazelcast cluster name (not the default "wsmsg"), kept in
# run/cluster/name so a restarted gateway joins the same cluster ($WSMSG_CLUSTER_NAME overrides it).
#
# Files: run/cluster/gatewayN.{pid,log,exit} (the previous log is kept as gatewayN.log.1),
# run/cluster/tls (the TLS mode of the running cluster: on, off or edge), run/cluster/name, and
# run/cluster/wsmsg.jar, a copy of target/wsmsg.jar, so rebuilding never pulls the jar from under
# running gateways. The gateways share one JWT secret: $WSMSG_JWT_SECRET if set, else
# run/cluster/secret, made on the first start and reused.
# Settings: JAVA_OPTS (extra JVM options), START_TIMEOUT (90 s), STOP_TIMEOUT (40 s), CERTS (certs:
# a directory of your own with ca.pem, server.pem/.key, cluster-ca.pem and gateway1..3.pem/.key is used as it is,
# never generated into).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUN=run/cluster
GATEWAYS=(gateway1 gateway2 gateway3)
START_TIMEOUT=${START_TIMEOUT:-90}
STOP_TIMEOUT=${STOP_TIMEOUT:-40}
CERTS=${CERTS:-certs}
# Per-instance settings come from the conf files: the same variable in this shell would give all
# three the same port or directory, so they are not passed on (WSMSG_AUTH_MODE and the secret are).
PER_INSTANCE_ENV=(WSMSG_HOST WSMSG_PORT WSMSG_DATA_DIR WSMSG_MANAGEMENT_HOST WSMSG_MANAGEMENT_PORT WSMSG_CLUSTER
  WSMSG_CLUSTER_NAME WSMSG_CLUSTER_HOST WSMSG_CLUSTER_PUBLIC_HOST WSMSG_CLUSTER_PORT WSMSG_CLUSTER_MEMBERS
  WSMSG_CLUSTER_EVENT_BUS_PORT
  # set by this script from CERTS and the TLS mode; one left in the shell would override the mode
  WSMSG_TLS_CERT WSMSG_TLS_KEY WSMSG_MANAGEMENT_TLS WSMSG_CLUSTER_TLS_CERT WSMSG_CLUSTER_TLS_KEY WSMSG_CLUSTER_TLS_CA)

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

# The TLS mode: --tls/--no-tls/WSMSG_NO_TLS when given, else that of the gateways still running
# (a gateway started beside them must speak as they do), else on.
tls_mode() {
  if [ -n "$TLS_ARG" ]; then echo "$TLS_ARG"; return; fi
  if [ -s "$RUN/tls" ]; then
    local name
    for name in "${GATEWAYS[@]}"; do
      if pid_of "$name" >/dev/null; then cat "$RUN/tls"; return; fi
    done
  fi
  echo on
}

# Schemes and curl options for the management port and the WebSocket port in mode $TLS.
http_scheme() { [ "$TLS" = off ] && echo http || echo https; }
ws_scheme() { [ "$TLS" = off ] && echo ws || echo wss; }
curl_tls() { [ "$TLS" = off ] || printf '%s\n' --cacert "$CERTS/ca.pem"; }

# HTTP status of GET $2 on gateway $1's management port ("000" when nothing answers); $3: a token.
http_code() {
  local auth=() tls
  [ -z "${3:-}" ] || auth=(-H "Authorization: Bearer $3")
  mapfile -t tls < <(curl_tls)
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${tls[@]}" "${auth[@]}" \
    "$(http_scheme)://127.0.0.1:$(mgmt_port "$1")$2" || true
}

# The WebSocket port gateway $1 listens on, from its /status (admin only: $2 is an admin token).
ws_port() {
  local tls
  mapfile -t tls < <(curl_tls)
  curl -s --max-time 2 "${tls[@]}" -H "Authorization: Bearer $2" "$(http_scheme)://127.0.0.1:$(mgmt_port "$1")/status" \
    | tr -d ' \n' | grep -o '"websocketPort":[0-9]*' | cut -d: -f2 || true
}

# When TLS is expected but gateway $1 answers /ready over plain http: says so (a build without
# TLS support ignores WSMSG_TLS_*, and curl over https then only reports "000").
plain_hint() {
  [ "$TLS" != off ] || return 0
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(mgmt_port "$1")/ready" || true)" = 200 ]; then
    say "$1 answers /ready over plain http, not https: this build ignores the TLS settings (WSMSG_TLS_CERT...)." \
      "scripts/cluster.sh stop, then start --no-tls, or build a version with TLS."
  fi
}

# Makes the development certificates on the first start (gen-certs.sh keeps existing ones); a
# CERTS directory of the user's own is only checked: generating into it could replace their CA.
ensure_certs() {
  local f missing=()
  for f in ca.pem server.pem server.key cluster-ca.pem "${GATEWAYS[@]/%/.pem}" "${GATEWAYS[@]/%/.key}"; do
    [ -r "$CERTS/$f" ] || missing+=("$f")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$CERTS" != certs ]; then
    fail "CERTS=$CERTS lacks ${missing[*]} (or they are unreadable); see \"TLS and certificates\" in README.md"
  fi
  say "Making development certificates in $CERTS/ (scripts/gen-certs.sh; later starts reuse them)"
  scripts/gen-certs.sh --out "$CERTS" --gateways ${#GATEWAYS[@]} >/dev/null ||
    fail "scripts/gen-certs.sh failed"
}

# The Hazelcast cluster name: $WSMSG_CLUSTER_NAME, else run/cluster/name, made on the first start.
# Random, so this cluster never merges with another one (or a default "wsmsg") on the same network.
cluster_name() {
  if [ -n "${WSMSG_CLUSTER_NAME:-}" ]; then
    printf '%s' "$WSMSG_CLUSTER_NAME"
    return
  fi
  if [ ! -s "$RUN/name" ]; then
    printf 'wsmsg-%s' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$RUN/name"
  fi
  cat "$RUN/name"
}

# An admin token for the management port's /status (short-lived: this script's own reads).
admin_token() {
  # its summary of the grants goes to stderr: kept in a file, shown only when it fails
  WSMSG_JWT_SECRET="$1" java @bin/jvm-flags -jar "$RUN/wsmsg.jar" token --sub admin --admin --ttl "${2:-300}" \
    2>"$RUN/token.err" || { cat "$RUN/token.err" >&2; return 1; }
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
  local name=$1 secret=$2 unset=() v tls=() c
  for v in "${PER_INSTANCE_ENV[@]}"; do unset+=(-u "$v"); done
  # Absolute paths: the gateways log them, and they stay right if a gateway changes directory.
  c=$(cd "$CERTS" 2>/dev/null && pwd || echo "$CERTS")
  case "$TLS" in
    on) tls=(WSMSG_TLS_CERT="$c/server.pem" WSMSG_TLS_KEY="$c/server.key"
      WSMSG_CLUSTER_TLS_CERT="$c/$name.pem" WSMSG_CLUSTER_TLS_KEY="$c/$name.key" WSMSG_CLUSTER_TLS_CA="$c/cluster-ca.pem") ;;
    edge) tls=(WSMSG_TLS_CERT="$c/server.pem" WSMSG_TLS_KEY="$c/server.key") ;;
  esac
  if [ -f "$RUN/$name.log" ]; then mv -f "$RUN/$name.log" "$RUN/$name.log.1"; fi
  rm -f "$RUN/$name.pid" "$RUN/$name.exit"
  # A small bash parent per gateway records the exit status (stop and status report it). nohup:
  # the gateways outlive this terminal. JAVA_OPTS is split on spaces on purpose, as in bin/wsmsg.
  # shellcheck disable=SC2016 # $! and $? belong to the inner bash
  env "${unset[@]}" WSMSG_JWT_SECRET="$secret" WSMSG_CLUSTER_NAME="$CLUSTER_NAME" "${tls[@]+"${tls[@]}"}" nohup bash -c '
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
  if [ ${#running[@]} -gt 0 ] && [ -s "$RUN/tls" ] && [ "$TLS" != "$(cat "$RUN/tls")" ]; then
    fail "${running[*]} run with TLS $(cat "$RUN/tls"), not $TLS: stop the cluster first (scripts/cluster.sh stop)"
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    say "The cluster is already running (${running[*]}, TLS $(cat "$RUN/tls" 2>/dev/null || echo '?'));" \
      "scripts/cluster.sh status shows it."
    return 0
  fi
  [ "$TLS" = off ] || ensure_certs
  case "$TLS" in
    off) say "TLS is off (--no-tls): plain ws:// and http://, and ANY process that reaches the cluster ports" \
      "can join as a member. For debugging only." ;;
    edge) say "TLS for clients only (--tls edge): the members' event bus is plain and unauthenticated." ;;
  esac
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
  CLUSTER_NAME=$(cluster_name)
  printf '%s\n' "$TLS" >"$RUN/tls"
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
      plain_hint "${waiting[0]}" >&2
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

  local token url urls=() ca
  token=$(admin_token "$key" 86400) ||
    fail "could not make a token (java -jar $RUN/wsmsg.jar token)"
  say ""
  say "The wsmsg cluster \"$CLUSTER_NAME\" is up (TLS $TLS):"
  for name in "${GATEWAYS[@]}"; do
    url="$(ws_scheme)://127.0.0.1:$(ws_port "$name" "$token")/"
    urls+=("$url")
    printf '  %-9s %-34s management %s://127.0.0.1:%s/status  pid %s\n' \
      "$name" "$url<endpoint>" "$(http_scheme)" "$(mgmt_port "$name")" "$(pid_of "$name")"
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
  say "  export WSMSG_MANAGEMENT_URL=$(http_scheme)://127.0.0.1:$(mgmt_port gateway1)"
  if [ "$TLS" != off ]; then
    ca=$(cd "$CERTS" && pwd)/ca.pem
    say "  export WSMSG_CA=$ca"
    say ""
    say "(WSMSG_CA: the CLI trusts the CA that signed the server certificate; other clients: curl --cacert $ca ...)"
  fi
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
  [ -s "$RUN/tls" ] && say "TLS $(cat "$RUN/tls"), cluster name $(cat "$RUN/name" 2>/dev/null || echo '?')"
  for name in "${GATEWAYS[@]}"; do
    if pid=$(pid_of "$name"); then
      code=$(http_code "$name" /ready)
      n=$(members_seen "$name")
      printf '%-9s running (pid %s)  /ready %s  %s://127.0.0.1:%s/status  Hazelcast members: %s\n' \
        "$name" "$pid" "$code" "$(http_scheme)" "$(mgmt_port "$name")" "${n:-none yet}"
      [ "$code" = 200 ] || { all=1; [ "$code" != 000 ] || plain_hint "$name"; }
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

usage() {
  say "usage: scripts/cluster.sh start [--no-tls | --tls on|off|edge] | stop | status | logs [1|2|3]" >&2
  exit 2
}
TLS_ARG=
case "${WSMSG_NO_TLS:-}" in 1 | true | yes) TLS_ARG=off ;; esac
COMMAND=
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-tls) TLS_ARG=off; shift ;;
    --tls)
      case "${2:-}" in on | off | edge) TLS_ARG=$2 ;; *) say "--tls takes on, off or edge" >&2; usage ;; esac
      shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) say "cluster.sh: unknown option $1" >&2; usage ;;
    *) if [ -z "$COMMAND" ]; then COMMAND=$1; else ARGS+=("$1"); fi; shift ;;
  esac
done
TLS=$(tls_mode)
CLUSTER_NAME=

case "$COMMAND" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) logs "${ARGS[@]+"${ARGS[@]}"}" ;;
  *) usage ;;
esac
