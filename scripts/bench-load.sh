#!/bin/bash
# Runs the load-tool series of docs/benchmarks.md ("Load tool") against a separately started
# server on a free loopback port (auth mode none), each configuration ROUNDS times,
# interleaved, and prints a table of medians. Results go to target/bench-load/results.jsonl.
#   scripts/bench-load.sh                      # every configuration, 3 rounds, 10 s + 5 s warmup
#   ROUNDS=1 DURATION=5s scripts/bench-load.sh rpc1 q32    # some of them
# Needs Java 17, Maven (to build target/wsmsg.jar if missing) and python3 (for the table).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
OUT=target/bench-load
ensure_jar
mkdir -p "$OUT"
rm -rf "$OUT/data"
# the server runs from its own copy: rebuilding target/wsmsg.jar under a running JVM breaks it
cp target/wsmsg.jar "$OUT/server.jar"
cp target/wsmsg.jar "$OUT/bench.jar"
PORT=$(free_port)
cat > "$OUT/server.json" <<CONF
{"host": "127.0.0.1", "port": $PORT, "dataDir": "$PWD/$OUT/data", "auth": {"mode": "none"},
 "limits": {"maxConnectionsPerIp": 1000000}}
CONF
java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -jar "$OUT/server.jar" server -c "$OUT/server.json" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
wait_for_log "$OUT/server.log" listening 20 "$SERVER"
URL=ws://127.0.0.1:$PORT/

declare -A ARGS=(
  [rpc1]="rpc -n 1"
  [rpc16]="rpc -n 16"
  [rpc1raw]="rpc -n 1 --driver raw"
  [rpc16raw]="rpc -n 16 --driver raw"
  [fan1]="fanout -n 1"
  [fan10]="fanout -n 10"
  [fan10w32]="fanout -n 10 --window 32"
  [fan10w32c]="fanout -n 10 --window 32 --driver client"
  [fan10rate]="fanout -n 10 --window 32 --rate 5000"
  [q1]="queue -n 4 --window 1"
  [q32]="queue -n 4 --window 32"
  [q32rate]="queue -n 4 --window 32 --rate 20000"
  [conns1000]="conns -n 1000"
)
NAMES=(rpc1 rpc16 rpc1raw rpc16raw fan1 fan10 fan10w32 fan10w32c fan10rate q1 q32 q32rate conns1000)
[ $# -gt 0 ] && NAMES=("$@")
BENCH="java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -jar $OUT/bench.jar bench"

# warm the server's JIT with every scenario once (not recorded)
for n in rpc16 fan10w32 q32 conns1000; do
  $BENCH ${ARGS[$n]} --url "$URL" --duration 5s --warmup 1s --progress none --json > /dev/null 2>&1 || true
done
: > "$OUT/results.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  for n in "${NAMES[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    j=$($BENCH ${ARGS[$n]} --url "$URL" --duration "$DURATION" --warmup "$WARMUP" --progress none --json 2> "$OUT/$n-$r.err" || true)
    echo "{\"name\":\"$n\",\"round\":$r,\"load\":$load,\"args\":\"${ARGS[$n]}\",\"result\":${j:-null}}" >> "$OUT/results.jsonl"
    echo "round $r: $n done (load average before: $load)" >&2
  done
done

python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows: by.setdefault(r['name'], []).append(r)
med = lambda xs: statistics.median(xs) if xs else None
n = lambda x, d=0: '-' if x is None else f"{x:,.{d}f}"
print("| run | command | throughput (median of runs) | each run | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | lost | notes |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, rs in by.items():
    ok = [r['result'] for r in rs if r['result']]
    if not ok:
        print(f"| {name} | `wsmsg bench {rs[0]['args']}` | failed | | | | | | | | |"); continue
    tp = [j['throughput']['median'] for j in ok]
    L = lambda k: med([j['latencyMicros'][k] for j in ok])
    note = ''
    if 'fairness' in ok[0]: note = 'consumer min/max ' + ', '.join(f"{j['fairness']['minOverMax']:.2f}" for j in ok)
    if 'conns' in ok[0]:
        c = [j['conns'] for j in ok]
        note = (f"open {min(x['open'] for x in c)}, failed {sum(x['failed'] for x in c)}; connect ms p50 "
                f"{med([x['connectMillis']['p50'] for x in c]):.1f}, p99 {med([x['connectMillis']['p99'] for x in c]):.1f}")
    print(f"| {name} | `wsmsg bench {rs[0]['args']}` | {n(med(tp))} {ok[0]['throughput']['unit']} | {', '.join(n(t) for t in tp)} "
          f"| {n(L('p50'))} | {n(L('p90'))} | {n(L('p99'))} | {n(L('p999'))} | {n(L('max'))} | {sum(j['lost'] for j in ok)} | {note} |")
PY
