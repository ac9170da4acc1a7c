#!/bin/bash
# A clustered member on one gateway instance against the same member on INSTANCES (default 2):
# starts the local three-gateway cluster (scripts/cluster.sh start --no-tls) with
# WSMSG_GATEWAY_INSTANCES=1, runs the scenarios with every connection on gateway1 and reads
# gateway1's CPU per operation and its split over the event loops from /proc (--server-pid),
# stops the cluster, does the same with INSTANCES, and so on for ROUNDS rounds (interleaved);
# then prints medians. The other two members are idle cluster members (heartbeats, claims).
#   scripts/bench-cluster-instances.sh
#   ROUNDS=3 DURATION=10s INSTANCES=8 SCENARIOS="fan10w64 q4w1" scripts/bench-cluster-instances.sh
#   SERVER_CPUS=0-7 BENCH_CPUS=8-15 ...     # pin the gateways and the load tool apart (taskset)
# Results: target/bench-cluster-instances/results.jsonl. Needs Java 17 and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
INSTANCES=${INSTANCES:-2}
OUT=target/bench-cluster-instances
if cluster_running; then
  echo "the local cluster is running (scripts/cluster.sh status): stop it first" >&2
  exit 1
fi
ensure_jar
mkdir -p "$OUT"
trap 'scripts/cluster.sh stop > /dev/null 2>&1 || true' EXIT
read -r -a NAMES <<< "${SCENARIOS:-rpc1 fan10w1 fan10w64 q4w1}"
BENCH="${BENCH_CPUS:+taskset -c $BENCH_CPUS} java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -jar target/wsmsg.jar bench"
: > "$OUT/results.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  for n in $(echo 1 "$INSTANCES" | tr ' ' '\n' | sort -un); do
    WSMSG_GATEWAY_INSTANCES=$n JAVA_OPTS="-Xms1g -Xmx1g -XX:+AlwaysPreTouch" \
      ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} bash -c '. scripts/lib/bench.sh; cluster_start "$1" --no-tls' _ \
      "$OUT/start.txt" > /dev/null
    token=$(sed -n 's/^ *export WSMSG_TOKEN=//p' "$OUT/start.txt")
    url=$(sed -n 's/^ *export WSMSG_URL=//p' "$OUT/start.txt" | cut -d, -f1)
    pid=$(cat run/cluster/gateway1.pid)
    for s in "${NAMES[@]}"; do
      # each run its own endpoint names: a later run must not find the endpoints of an earlier one
      $BENCH ${BENCH_SCENARIOS[$s]} --url "$url" --token "$token" --duration "$WARMUP" --warmup 1s --progress none \
        --endpoint-prefix "w$r-$n-$s" > /dev/null 2>&1 || true
      j=$($BENCH ${BENCH_SCENARIOS[$s]} --url "$url" --token "$token" --server-pid "$pid" --duration "$DURATION" \
        --warmup "$WARMUP" --progress none --json --endpoint-prefix "m$r-$n-$s" 2> "$OUT/$s-$n-$r.err" || true)
      echo "{\"name\":\"$s\",\"instances\":$n,\"round\":$r,\"args\":\"${BENCH_SCENARIOS[$s]}\",\"result\":${j:-null}}" >> "$OUT/results.jsonl"
      echo "round $r: $s on $n instance(s) done" >&2
    done
    scripts/cluster.sh stop > /dev/null
  done
done

python3 - "$OUT/results.jsonl" "$INSTANCES" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
wide = int(sys.argv[2])
names = list(dict.fromkeys(r['name'] for r in rows))
def ok(r): return r['result'] and 'microsPerOperation' in r['result'].get('serverCpu', {})
def med(name, n, f):
    xs = [f(r['result']) for r in rows if r['name'] == name and r['instances'] == n and ok(r)]
    return statistics.median(xs) if xs else None
tp = lambda j: j['throughput']['median']
cpu = lambda j: j['serverCpu']['microsPerOperation']
def split(name, n):
    out = []
    for r in rows:
        if r['name'] != name or r['instances'] != n or not ok(r): continue
        loops = sorted((l['percent'] for l in r['result']['serverCpu'].get('eventLoops', [])), reverse=True)
        out.append(' / '.join(f"{p:.0f}" for p in loops if p >= 1))
    return '; '.join(out) or '-'
f0 = lambda x: '-' if x is None else f"{x:,.0f}"
f1 = lambda x: '-' if x is None else f"{x:,.1f}"
print(f"| scenario | msg/s, 1 instance | msg/s, {wide} | gateway1 CPU µs/op, 1 | {wide} | CPU ratio | event loops % ({wide} instances, each run) |")
print("|---|---|---|---|---|---|---|")
for s in names:
    a, b = med(s, 1, cpu), med(s, wide, cpu)
    ratio = f"{b / a:.2f}" if a and b else '-'
    print(f"| {s} | {f0(med(s, 1, tp))} | {f0(med(s, wide, tp))} | {f1(a)} | {f1(b)} | {ratio} | {split(s, wide)} |")
PY
