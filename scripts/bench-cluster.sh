#!/bin/bash
# The cluster series of docs/benchmarks.md ("Cluster (three local processes)"): starts the local
# three-gateway cluster (scripts/cluster.sh start), and a standalone server for comparison, runs
# each configuration ROUNDS times, interleaved (round 1 of all, then round 2...), and prints a
# table of medians; stops everything at the end, also on failure or Ctrl-C.
#
#   scripts/bench-cluster.sh                        # every configuration, 3 rounds, 10 s + 5 s warmup
#   ROUNDS=1 DURATION=5s scripts/bench-cluster.sh rpc1-same rpc1-cross    # some of them
#   BASELINE=0 scripts/bench-cluster.sh             # without the standalone server
#
# Configurations (payload 100 B; U1..U3 = ws://127.0.0.1:8781..8783/, the gateways):
#   rpc1-same / rpc1-cross       rpc -n 1: requester and responder at U1 / requester at U1, responder at U2
#   rpc16-same / rpc16-cross     the same with 16 requesters
#   rpc16-same-raw / -cross-raw  rpc16 with --driver raw (no unsubscribe.message after each reply)
#   fan-1gw                      fanout -n 9 --window 32: publisher and 9 subscribers at U1
#   fan-3gw                      the same, subscribers 3 per gateway, publisher at U1
#   fan-3gw-p3                   3 publishers and 9 subscribers spread over the three gateways
#   fan-1gw-p3                   3 publishers and 9 subscribers, all at U1 (the single-gateway counterpart)
#   fanw1-1gw / fanw1-3gw        fan-1gw / fan-3gw with window 1
#   queue-1gw / queue-3gw        queue -n 6 --window 32, publisher and the queue's owner at U1; consumers at U1 / 2 per gateway
#   sa-rpc1 / sa-rpc16 / sa-fan  rpc1, rpc16 and fanout -n 9 --window 32 against a standalone server
#
# Results: target/bench-cluster/results.jsonl (one line per run: the tool's JSON summary, the load
# average before, and the CPU seconds each server process and the tool used), owners.json (which
# gateway owned each endpoint, from /status), the gateways' logs and the table (table.md).
# The gateways keep their registry in data/gatewayN across restarts: each invocation leaves its
# endpoints (bench-HHMMSS-...) and the runs' channels there; delete data/gateway* while the
# cluster is stopped to start from an empty registry.
# Settings: ROUNDS (3), DURATION (10s), WARMUP (5s), BASELINE (1), OUT (target/bench-cluster), GATEWAY_JAVA_OPTS
# (-Xms1g -Xmx1g -XX:+AlwaysPreTouch, for every server), BENCH_JAVA_OPTS (-Xms512m -Xmx512m
# -XX:+AlwaysPreTouch). Needs Java 17, Maven (to build target/wsmsg.jar), curl and python3.
# The cluster runs without TLS (scripts/cluster.sh start --no-tls), as for the figures recorded so
# far; scripts/bench-tls.sh measures what TLS costs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
BASELINE=${BASELINE:-1}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}
OUT=${OUT:-target/bench-cluster}
U1=ws://127.0.0.1:8781/
U2=ws://127.0.0.1:8782/
U3=ws://127.0.0.1:8783/
GW_MGMT=(9781 9782 9783)

say() { printf '[bench-cluster] %s\n' "$*" >&2; }

if cluster_running; then
  say "the local cluster is already running: this script starts its own (this build, the benchmark's JVM"
  say "options) and stops it at the end. Stop yours first: scripts/cluster.sh stop"
  exit 1
fi

mkdir -p "$OUT"
rm -rf "$OUT/standalone-data"
ensure_jar

SERVER=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  say "stopping the cluster"
  scripts/cluster.sh stop >&2 || true
  for n in 1 2 3; do cp -f "run/cluster/gateway$n.log" "$OUT/gateway$n.log" 2>/dev/null || true; done
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting the cluster (GATEWAY_JAVA_OPTS: $GATEWAY_JAVA_OPTS)"
JAVA_OPTS="$GATEWAY_JAVA_OPTS" cluster_start "$OUT/cluster-start.txt" --no-tls
export WSMSG_TOKEN=$CLUSTER_TOKEN
GW_PIDS=()
for n in 1 2 3; do GW_PIDS+=("$(cat "run/cluster/gateway$n.pid")"); done
# the tool runs from its own copy: rebuilding target/wsmsg.jar under a running JVM breaks it
cp run/cluster/wsmsg.jar "$OUT/bench.jar"

SA_PID=0
if [ "$BASELINE" = 1 ]; then
  cp run/cluster/wsmsg.jar "$OUT/server.jar"
  PORT=$(free_port)
  cat > "$OUT/standalone.json" <<CONF
{"host": "127.0.0.1", "port": $PORT, "dataDir": "$PWD/$OUT/standalone-data", "auth": {"mode": "none"},
 "management": {"enabled": false}, "limits": {"maxConnectionsPerIp": 1000000}}
CONF
  # shellcheck disable=SC2086 # the options are split on spaces on purpose
  java $GATEWAY_JAVA_OPTS -jar "$OUT/server.jar" server -c "$OUT/standalone.json" > "$OUT/standalone.log" 2>&1 &
  SERVER=$!
  SA_PID=$SERVER
  wait_for_log "$OUT/standalone.log" listening 20 "$SERVER"
  SA=ws://127.0.0.1:$PORT/
fi

# Each configuration has endpoints of its own (--endpoint-prefix): an endpoint stays owned by the
# gateway where it was first used, so a placement must never reuse another's endpoints. The tag
# keeps this invocation apart from earlier ones (whose endpoints the gateways may have restored).
TAG=$(date +%H%M%S)
declare -A ARGS=(
  [rpc1-same]="rpc -n 1 --url $U1"
  [rpc1-cross]="rpc -n 1 --pub-url $U1 --sub-url $U2"
  [rpc16-same]="rpc -n 16 --url $U1"
  [rpc16-cross]="rpc -n 16 --pub-url $U1 --sub-url $U2"
  [rpc16-same-raw]="rpc -n 16 --driver raw --url $U1"
  [rpc16-cross-raw]="rpc -n 16 --driver raw --pub-url $U1 --sub-url $U2"
  [fan-1gw]="fanout -n 9 --window 32 --url $U1"
  [fan-3gw]="fanout -n 9 --window 32 --pub-url $U1 --sub-url $U1,$U2,$U3"
  [fan-3gw-p3]="fanout -n 9 --publishers 3 --window 32 --url $U1,$U2,$U3"
  [fan-1gw-p3]="fanout -n 9 --publishers 3 --window 32 --url $U1"
  [fanw1-1gw]="fanout -n 9 --window 1 --url $U1"
  [fanw1-3gw]="fanout -n 9 --window 1 --pub-url $U1 --sub-url $U1,$U2,$U3"
  [queue-1gw]="queue -n 6 --window 32 --url $U1"
  [queue-3gw]="queue -n 6 --window 32 --pub-url $U1 --sub-url $U1,$U2,$U3"
)
NAMES=(rpc1-same rpc1-cross rpc16-same rpc16-cross rpc16-same-raw rpc16-cross-raw fan-1gw fan-3gw fan-3gw-p3
  fan-1gw-p3 fanw1-1gw fanw1-3gw queue-1gw queue-3gw)
if [ "$BASELINE" = 1 ]; then
  ARGS[sa-rpc1]="rpc -n 1 --url $SA"
  ARGS[sa-rpc16]="rpc -n 16 --url $SA"
  ARGS[sa-fan]="fanout -n 9 --window 32 --url $SA"
  NAMES=(sa-rpc1 "${NAMES[@]:0:2}" sa-rpc16 "${NAMES[@]:2:4}" sa-fan "${NAMES[@]:6}")
fi
if [ $# -gt 0 ]; then
  for n in "$@"; do [ -n "${ARGS[$n]:-}" ] || { say "no configuration named $n"; exit 2; }; done
  NAMES=("$@")
fi

cpus() { local p out=""; for p in "${GW_PIDS[@]}" "$SA_PID"; do out+="$(cpu_of "$p") "; done; echo "$out"; }

# run NAME ROUND DURATION WARMUP: one run of the tool; appends its line to results.jsonl (ROUND > 0)
run() {
  local name=$1 round=$2 duration=$3 warmup=$4 load before after j tool t0 t1
  load=$(cut -d' ' -f1 /proc/loadavg)
  before=$(cpus)
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # ARGS and the JVM options are split on spaces on purpose
  { TIMEFORMAT='%U %S'; time java $BENCH_JAVA_OPTS -jar "$OUT/bench.jar" bench ${ARGS[$name]} \
      --endpoint-prefix "bench-$TAG-$name" --duration "$duration" --warmup "$warmup" --progress none --json \
      > "$OUT/run.json" 2> "$OUT/$name-$round.err"; } 2> "$OUT/run.time" || true
  after=$(cpus)
  t1=$(date +%s.%N)
  j=$(cat "$OUT/run.json")
  tool=$(awk '{ print $1 + $2 }' "$OUT/run.time" 2>/dev/null || echo 0)
  if [ "$round" -gt 0 ]; then
    python3 - "$name" "$round" "$load" "${ARGS[$name]}" "$before" "$after" "$tool" "$t0" "$t1" "${j:-null}" \
      >> "$OUT/results.jsonl" <<'PY'
import json, sys
name, rnd, load, args, before, after, tool, t0, t1, result = sys.argv[1:]
b = [float(x) for x in before.split()]; a = [float(x) for x in after.split()]
d = [round(y - x, 2) for x, y in zip(b, a)]
print(json.dumps({"name": name, "round": int(rnd), "load": float(load), "args": args,
                  "wallSeconds": round(float(t1) - float(t0), 2),
                  "cpuSeconds": {"gateway1": d[0], "gateway2": d[1], "gateway3": d[2], "standalone": d[3],
                                 "tool": float(tool)},
                  "result": json.loads(result) if result.strip() else None}))
PY
  fi
}

: > "$OUT/results.jsonl"
# Warm the servers' JIT with each kind of traffic once (not recorded): local and cross-gateway
# rpc, fanout to local and remote subscribers from every gateway, a queue served through its owner.
say "warming up the servers"
for n in rpc16-cross fan-3gw-p3 queue-3gw sa-rpc16 sa-fan; do
  if [ -n "${ARGS[$n]:-}" ]; then run "$n" 0 5s 1s; fi
done
# What the servers use when nobody loads them (Hazelcast heartbeats and metrics, timers): the
# table subtracts it, pro rata of each run's wall time, from the CPU the servers used in the run.
say "measuring the servers' idle CPU for 10 s"
idle_before=$(cpus)
sleep 10
python3 - "$idle_before" "$(cpus)" > "$OUT/idle.json" <<'PY'
import json, sys
b = [float(x) for x in sys.argv[1].split()]; a = [float(x) for x in sys.argv[2].split()]
d = [round((y - x) / 10, 4) for x, y in zip(b, a)]
print(json.dumps({"gateway1": d[0], "gateway2": d[1], "gateway3": d[2], "standalone": d[3]}))
PY
for r in $(seq 1 "$ROUNDS"); do
  for n in "${NAMES[@]}"; do
    run "$n" "$r" "$DURATION" "$WARMUP"
    say "round $r: $n done ($(tail -n 1 "$OUT/results.jsonl" | python3 -c 'import json,sys; j=json.load(sys.stdin)
r=j["result"]; print("FAILED, see the .err file" if not r else "%s %s, lost %s, load before %s" % (r["throughput"]["median"], r["throughput"]["unit"], r["lost"], j["load"]))'))"
  done
done

# Who owned each endpoint of this invocation, and what the gateways dropped, from /status.
python3 - "$TAG" "$WSMSG_TOKEN" "${GW_MGMT[@]}" > "$OUT/owners.json" <<'PY'
import json, sys, urllib.request
tag, token, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
out = {"members": {}, "owners": {}, "dropped": {}}
for i, p in enumerate(ports, 1):
    # /status is for admins (Authorization: Bearer)
    req = urllib.request.Request(f"http://127.0.0.1:{p}/status", headers={"Authorization": f"Bearer {token}"})
    s = json.load(urllib.request.urlopen(req, timeout=10))
    out["members"][s["cluster"]["member"]] = f"gateway{i}"
    out["dropped"][f"gateway{i}"] = s["messages"]["dropped"]
    if i == 1:
        for e in s["endpoints"]:
            if e["name"].startswith(f"bench-{tag}-"): out["owners"][e["name"]] = e.get("owner")
out["owners"] = {k: out["members"].get(v, v) for k, v in sorted(out["owners"].items())}
print(json.dumps(out, indent=1))
PY

python3 - "$OUT/results.jsonl" "$OUT/owners.json" "$TAG" "$OUT/idle.json" "${!ARGS[@]}" <<'PY' | tee "$OUT/table.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
owners = json.load(open(sys.argv[2]))
tag = sys.argv[3]
idle = json.load(open(sys.argv[4]))
configs = sys.argv[5:]  # every configuration: the warmup runs made endpoints too
by = {}
for r in rows: by.setdefault(r['name'], []).append(r)
med = lambda xs: statistics.median(xs) if xs else None
n = lambda x, d=0: '-' if x is None else f"{x:,.{d}f}"
print(f"Servers' idle CPU (subtracted below), CPU-seconds per second: {json.dumps(idle)}")
print()
print("| run | command | throughput (median of runs) | each run | p50 µs | p99 µs | lost | server CPU µs/msg (gw1 · gw2 · gw3) | tool CPU µs/msg | load before |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, rs in by.items():
    ok = [r for r in rs if r['result']]
    if not ok:
        print(f"| {name} | `wsmsg bench {rs[0]['args']}` | failed | | | | | | | |"); continue
    res = [r['result'] for r in ok]
    tp = [j['throughput']['median'] for j in res]
    L = lambda k: med([j['latencyMicros'][k] for j in res])
    # CPU per message received over the whole run (warmup included, as the counts are), minus idle use
    per = lambda k: med([max(0.0, r['cpuSeconds'][k] - idle.get(k, 0) * r['wallSeconds']) * 1e6
                         / max(1, r['result']['received']) for r in ok])
    if name.startswith('sa-'):
        cpu = f"{n(per('standalone'), 1)} (standalone)"
    else:
        g = [per('gateway1'), per('gateway2'), per('gateway3')]
        cpu = f"{n(sum(g), 1)} ({' · '.join(n(x, 1) for x in g)})"
    print(f"| {name} | `wsmsg bench {ok[0]['args']}` | {n(med(tp))} {res[0]['throughput']['unit']} | {' · '.join(n(t) for t in tp)} "
          f"| {n(L('p50'))} | {n(L('p99'))} | {sum(j['lost'] for j in res)} | {cpu} | {n(per('tool'), 1)} "
          f"| {' · '.join(str(r['load']) for r in ok)} |")
print()
print("Owners of each configuration's endpoints (from gateway1's /status):")
groups = {}
for ep, o in owners['owners'].items():
    rest = ep[len(f"bench-{tag}-"):]
    for name in sorted(configs, key=len, reverse=True):
        if rest.startswith(name + '-'):
            groups.setdefault(name, {}).setdefault(o, []).append(rest[len(name) + 1:]); break
for name in [c for c in by] + [c for c in groups if c not in by]:
    if name in groups:
        print(f"- {name}: " + "; ".join(f"{o}: {', '.join(sorted(v))}" for o, v in sorted(groups[name].items())))
print("Dropped by the gateways over the whole series:", json.dumps(owners['dropped']))
PY
