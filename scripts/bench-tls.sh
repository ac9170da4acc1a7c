#!/bin/bash
# The TLS series of docs/benchmarks.md ("TLS"): what wss:// and the event bus's TLS cost, measured
# with `wsmsg bench` (payload 100 B). Two phases, each configuration ROUNDS times:
#
# 1. One node: two standalone servers at once on free loopback ports (auth none), one plain (ws://)
#    and one with WSMSG_TLS_CERT/KEY (wss://); rounds interleaved (round 1 of all, then round 2...).
# 2. Across gateways: the local three-gateway cluster (scripts/cluster.sh, three JVMs on 127.0.0.1)
#    in three modes, one after the other (a mode is a cluster restart, so rounds interleave only
#    within a mode):  off   ws:// and a plain event bus          (cluster.sh --no-tls)
#                     edge  wss:// and a plain event bus         (cluster.sh --tls edge)
#                     on    wss:// and a mutual-TLS event bus    (cluster.sh, the default)
#    Requesters and the publisher at gateway1, responders at gateway2, subscribers on all three.
#
#   scripts/bench-tls.sh                          # everything: 3 rounds, 10 s + 3 s warmup each
#   ROUNDS=1 DURATION=5s scripts/bench-tls.sh rpc1-ws rpc1-wss     # some configurations
#   CLUSTER=0 scripts/bench-tls.sh                # one node only
#
# Configurations: rpc1-ws/-wss (rpc -n 1), rpc16-ws/-wss (rpc -n 16), fan-ws/-wss (fanout -n 9
# --window 32) on one node; x-rpc1-MODE, x-rpc16-MODE, x-fan-MODE across gateways, MODE off, edge, on.
# Prints medians and the ratios wss/ws (one node), edge/off (wss across gateways), on/edge (the
# event bus's TLS alone) and on/off (both), also written to OUT/table.md.
# Results: OUT/results.jsonl (a line per run: the tool's JSON summary), the servers' logs.
# Certificates: made by scripts/gen-certs.sh in OUT/certs (not certs/), the CA given to the tool as
# WSMSG_CA. The cluster keeps its registry in data/gatewayN, as with scripts/bench-cluster.sh.
# Settings: ROUNDS (3), DURATION (10s), WARMUP (3s), CLUSTER (1), OUT (target/bench-tls),
# SERVER_JAVA_OPTS (-Xms1g -Xmx1g -XX:+AlwaysPreTouch, for every server), BENCH_JAVA_OPTS
# (-Xms512m -Xmx512m -XX:+AlwaysPreTouch). Needs Java 17, Maven, openssl, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CLUSTER=${CLUSTER:-1}
OUT=${OUT:-target/bench-tls}
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}
MODES=(off edge on)

say() { printf '[bench-tls] %s\n' "$*" >&2; }

# Every configuration: its arguments, with @U@ (one node) or @U1@..@U3@ (gateways) for the URLs.
declare -A ARGS=(
  [rpc1-ws]="rpc -n 1 --url @U@" [rpc1-wss]="rpc -n 1 --url @U@"
  [rpc16-ws]="rpc -n 16 --url @U@" [rpc16-wss]="rpc -n 16 --url @U@"
  [fan-ws]="fanout -n 9 --window 32 --url @U@" [fan-wss]="fanout -n 9 --window 32 --url @U@"
)
SINGLE=(rpc1-ws rpc1-wss rpc16-ws rpc16-wss fan-ws fan-wss)
CROSS=()
for m in "${MODES[@]}"; do
  ARGS[x-rpc1-$m]="rpc -n 1 --pub-url @U1@ --sub-url @U2@"
  ARGS[x-rpc16-$m]="rpc -n 16 --pub-url @U1@ --sub-url @U2@"
  ARGS[x-fan-$m]="fanout -n 9 --window 32 --pub-url @U1@ --sub-url @U1@,@U2@,@U3@"
  CROSS+=("x-rpc1-$m" "x-rpc16-$m" "x-fan-$m")
done
if [ $# -gt 0 ]; then
  for n in "$@"; do [ -n "${ARGS[$n]:-}" ] || { say "no configuration named $n (see the top of $0)"; exit 2; }; done
  sel=" $* "
  keep() { local out=() n; for n in "$@"; do [[ "$sel" == *" $n "* ]] && out+=("$n"); done; echo "${out[*]}"; }
  read -r -a SINGLE <<<"$(keep "${SINGLE[@]}")"
  read -r -a CROSS <<<"$(keep "${CROSS[@]}")"
elif [ "$CLUSTER" != 1 ]; then
  CROSS=()
fi
if [ ${#CROSS[@]} -gt 0 ] && cluster_running; then
  say "the local cluster is already running: this script starts its own (in each TLS mode) and stops"
  say "it at the end. Stop yours first: scripts/cluster.sh stop"
  exit 1
fi

mkdir -p "$OUT"
rm -rf "$OUT"/data-*
: >"$OUT/results.jsonl"
ensure_jar
# the tool and the servers run from copies: rebuilding target/wsmsg.jar under a running JVM breaks it
cp target/wsmsg.jar "$OUT/bench.jar"
cp target/wsmsg.jar "$OUT/server.jar"
scripts/gen-certs.sh --out "$OUT/certs" --gateways 3 >/dev/null
CA=$PWD/$OUT/certs/ca.pem
TAG=$(date +%H%M%S)

SERVERS=()
CLUSTER_UP=0
cleanup() {
  local status=$? p
  trap - EXIT INT TERM
  for p in "${SERVERS[@]+"${SERVERS[@]}"}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$CLUSTER_UP" = 1 ]; then
    say "stopping the cluster"
    scripts/cluster.sh stop >&2 || true
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME TLS(0|1): a standalone server on a free port, its URL in SERVER_URL (not
# printed: a $(...) subshell would lose the pid, and with it the cleanup).
start_server() {
  local name=$1 tls=$2 port pid env=(-u WSMSG_TLS_CERT -u WSMSG_TLS_KEY) scheme=ws
  port=$(free_port)
  cat >"$OUT/$name.json" <<CONF
{"host": "127.0.0.1", "port": $port, "dataDir": "$PWD/$OUT/data-$name", "auth": {"mode": "none"},
 "management": {"enabled": false}, "limits": {"maxConnectionsPerIp": 1000000}}
CONF
  if [ "$tls" = 1 ]; then
    env+=(WSMSG_TLS_CERT="$PWD/$OUT/certs/server.pem" WSMSG_TLS_KEY="$PWD/$OUT/certs/server.key")
    scheme=wss
  fi
  # shellcheck disable=SC2086 # the options are split on spaces on purpose
  env "${env[@]}" java @bin/jvm-flags $SERVER_JAVA_OPTS -jar "$OUT/server.jar" server -c "$OUT/$name.json" \
    >"$OUT/$name.log" 2>&1 &
  pid=$!
  SERVERS+=("$pid")
  wait_for_log "$OUT/$name.log" listening 60 "$pid" >&2
  # a build without TLS support ignores WSMSG_TLS_* and serves ws://: that would measure nothing
  grep -q "listening on $scheme://" "$OUT/$name.log" || {
    say "$name does not listen on $scheme:// (this build ignores WSMSG_TLS_CERT?): $(grep listening "$OUT/$name.log")"
    return 1
  }
  SERVER_URL="$scheme://127.0.0.1:$port/"
}

# run NAME ROUND MODE DURATION WARMUP URL...: one run of the tool; appends its line to results.jsonl
# when ROUND > 0. The URLs replace @U@ (one) or @U1@..@U3@ (three) in the arguments.
run() {
  local name=$1 round=$2 mode=$3 duration=$4 warmup=$5 args j
  shift 5
  args=${ARGS[$name]}
  if [ $# -eq 1 ]; then
    args=${args//@U@/$1}
  else
    args=${args//@U1@/$1}; args=${args//@U2@/$2}; args=${args//@U3@/$3}
  fi
  # shellcheck disable=SC2086 # the arguments and the JVM options are split on spaces on purpose
  WSMSG_CA=$CA java @bin/jvm-flags $BENCH_JAVA_OPTS -jar "$OUT/bench.jar" bench $args \
    --endpoint-prefix "tls-$TAG-$name" --duration "$duration" --warmup "$warmup" --progress none --json \
    >"$OUT/run.json" 2>"$OUT/$name-$round.err" || true
  j=$(cat "$OUT/run.json")
  [ "$round" -gt 0 ] || return 0
  python3 - "$name" "$round" "$mode" "$args" "${j:-null}" >>"$OUT/results.jsonl" <<'PY'
import json, sys
name, rnd, mode, args, result = sys.argv[1:]
print(json.dumps({"name": name, "round": int(rnd), "mode": mode, "args": args,
                  "result": json.loads(result) if result.strip() else None}))
PY
  say "round $round: $name $(tail -n 1 "$OUT/results.jsonl" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]
print("FAILED, see its .err file" if not r else "%s %s, p50 %s µs, lost %s" % (r["throughput"]["median"], r["throughput"]["unit"], r["latencyMicros"]["p50"], r["lost"]))')"
}

# Phase 1: one node.
if [ ${#SINGLE[@]} -gt 0 ]; then
  declare -A URL_OF=()
  if [[ " ${SINGLE[*]} " == *"-ws "* ]]; then start_server plain 0; URL_OF[ws]=$SERVER_URL; fi
  if [[ " ${SINGLE[*]} " == *"-wss "* ]]; then start_server tls 1; URL_OF[wss]=$SERVER_URL; fi
  say "one node: ${URL_OF[*]}; warming up"
  for s in "${!URL_OF[@]}"; do run "rpc16-$s" 0 "$s" 5s 1s "${URL_OF[$s]}"; run "fan-$s" 0 "$s" 5s 1s "${URL_OF[$s]}"; done
  for r in $(seq 1 "$ROUNDS"); do
    for n in "${SINGLE[@]}"; do run "$n" "$r" "${n##*-}" "$DURATION" "$WARMUP" "${URL_OF[${n##*-}]}"; done
  done
  for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  SERVERS=()
fi

# Phase 2: across gateways, one cluster start per TLS mode.
for m in "${MODES[@]}"; do
  names=()
  for n in "${CROSS[@]+"${CROSS[@]}"}"; do [ "${n##*-}" = "$m" ] && names+=("$n"); done
  [ ${#names[@]} -gt 0 ] || continue
  say "starting the cluster with --tls $m (SERVER_JAVA_OPTS: $SERVER_JAVA_OPTS)"
  CLUSTER_UP=1
  CERTS=$OUT/certs JAVA_OPTS="$SERVER_JAVA_OPTS" cluster_start "$OUT/cluster-$m.txt" --tls "$m"
  export WSMSG_TOKEN=$CLUSTER_TOKEN
  run "x-rpc16-$m" 0 "$m" 5s 1s "${CLUSTER_URLS[@]}"
  run "x-fan-$m" 0 "$m" 5s 1s "${CLUSTER_URLS[@]}"
  for r in $(seq 1 "$ROUNDS"); do
    for n in "${names[@]}"; do run "$n" "$r" "$m" "$DURATION" "$WARMUP" "${CLUSTER_URLS[@]}"; done
  done
  scripts/cluster.sh stop >&2 || true
  CLUSTER_UP=0
  for g in 1 2 3; do cp -f "run/cluster/gateway$g.log" "$OUT/cluster-$m-gateway$g.log" 2>/dev/null || true; done
  unset WSMSG_TOKEN
done

python3 - "$OUT/results.jsonl" <<'PY' | tee "$OUT/table.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows: by.setdefault(r["name"], []).append(r)
med = lambda xs: statistics.median(xs) if xs else None
num = lambda x, d=0: "-" if x is None else f"{x:,.{d}f}"
summary = {}
print("| run | command | throughput (median) | each run | p50 µs | p99 µs | lost |")
print("|---|---|---|---|---|---|---|")
for name, rs in by.items():
    ok = [r["result"] for r in rs if r["result"]]
    if not ok:
        print(f"| {name} | `wsmsg bench {rs[0]['args']}` | failed | | | | |"); continue
    tp = [j["throughput"]["median"] for j in ok]
    p50 = med([j["latencyMicros"]["p50"] for j in ok]); p99 = med([j["latencyMicros"]["p99"] for j in ok])
    summary[name] = (med(tp), p50)
    print(f"| {name} | `wsmsg bench {rs[0]['args']}` | {num(med(tp))} {ok[0]['throughput']['unit']} "
          f"| {' · '.join(num(t) for t in tp)} | {num(p50)} | {num(p99)} | {sum(j['lost'] for j in ok)} |")
lines = []
def ratio(label, a, b):
    cells = []
    for k in ("rpc1", "rpc16", "fan"):
        x, y = summary.get(a.format(k)), summary.get(b.format(k))
        cells.append("-" if not x or not y or not y[0] or not y[1]
                     else f"{x[0] / y[0]:.2f} (p50 ×{x[1] / y[1]:.2f})")
    if any(c != "-" for c in cells): lines.append(f"| {label} | " + " | ".join(cells) + " |")
ratio("one node: wss / ws", "{}-wss", "{}-ws")
ratio("gateways: wss / ws, plain event bus (edge / off)", "x-{}-edge", "x-{}-off")
ratio("gateways: event-bus TLS alone (on / edge)", "x-{}-on", "x-{}-edge")
ratio("gateways: all TLS / none (on / off)", "x-{}-on", "x-{}-off")
if lines:
    print()
    print("| ratio | rpc -n 1 | rpc -n 16 | fanout -n 9 |")
    print("|---|---|---|---|")
    print("\n".join(lines))
    print()
    print("Throughput ratio, then the ratio of median latencies (p50). Below 1 means TLS is slower in throughput.")
PY
