#!/bin/bash
# Before/after: runs the load tool's rpc, fanout and queue scenarios against two server jars,
# interleaved (A then B in every round, so both see the same machine noise), and prints a table
# of medians with the ratio B/A: throughput, latency, and the server's CPU per operation (read from
# /proc of each server process over the measured seconds, so a busy machine slows both sides
# without changing what each operation costs). The load tool itself is always B's, so only the
# server differs (and B must be a jar whose bench has --server-pid; A may be any server).
#   scripts/bench-ab.sh A.jar [B.jar]                 # B defaults to target/wsmsg.jar
#   ROUNDS=5 DURATION=10s scripts/bench-ab.sh old.jar # more rounds (also WARMUP, WARMUP_RUN)
#   SCENARIOS="fan10w32" scripts/bench-ab.sh old.jar  # some of rpc16, fan10w32, q32,
#                                                      # rpc1, fan10w1, fan10w64, q4w1
#   A_CONF='"gateway": {"instances": 1}' B_CONF='"gateway": {"instances": 2}' \
#     scripts/bench-ab.sh target/wsmsg.jar target/wsmsg.jar   # one jar, two settings
#   SERVER_CPUS=0-7 BENCH_CPUS=8-15 ...               # pin servers and load tool apart (taskset)
# Make A from an older commit with, e.g.:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && bin/wsmsg --version) && cp /tmp/old/target/wsmsg.jar old.jar
# Results: target/bench-ab/results.jsonl. Needs Java 17 and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
[ $# -ge 1 ] || { echo "usage: scripts/bench-ab.sh A.jar [B.jar]" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
OUT=target/bench-ab
if [ $# -lt 2 ]; then ensure_jar; fi
mkdir -p "$OUT"
# run from copies: rebuilding target/wsmsg.jar under a running JVM breaks it
cp "$1" "$OUT/a.jar"
cp "${2:-target/wsmsg.jar}" "$OUT/b.jar"

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
declare -A URL SPID
for side in a b; do
  port=$(free_port)
  extra_var="${side^^}_CONF"
  extra="${!extra_var:-}"
  rm -rf "$OUT/data-$side"
  cat > "$OUT/server-$side.json" <<CONF
{"host": "127.0.0.1", "port": $port, "dataDir": "$PWD/$OUT/data-$side", "auth": {"mode": "none"},
 "management": {"enabled": false}, "limits": {"maxConnectionsPerIp": 1000000}${extra:+, $extra}}
CONF
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -jar "$OUT/$side.jar" server -c "$OUT/server-$side.json" > "$OUT/server-$side.log" 2>&1 &
  PIDS+=($!)
  SPID[$side]=$!
  wait_for_log "$OUT/server-$side.log" listening 30 "$!"
  URL[$side]=ws://127.0.0.1:$port/
done

read -r -a NAMES <<< "${SCENARIOS:-rpc16 fan10w32 q32}"
BENCH="${BENCH_CPUS:+taskset -c $BENCH_CPUS} java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -jar $OUT/b.jar bench"

# warm both servers' JIT once per scenario (not recorded)
for side in a b; do
  for n in "${NAMES[@]}"; do
    $BENCH ${BENCH_SCENARIOS[$n]} --url "${URL[$side]}" --server-pid "${SPID[$side]}" --duration "${WARMUP_RUN:-5s}" --warmup 1s --progress none --json > /dev/null 2>&1 || true
  done
done
: > "$OUT/results.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  for n in "${NAMES[@]}"; do
    for side in a b; do
      j=$($BENCH ${BENCH_SCENARIOS[$n]} --url "${URL[$side]}" --server-pid "${SPID[$side]}" --duration "$DURATION" --warmup "$WARMUP" --progress none --json 2> "$OUT/$n-$side-$r.err" || true)
      echo "{\"name\":\"$n\",\"side\":\"$side\",\"round\":$r,\"args\":\"${BENCH_SCENARIOS[$n]}\",\"result\":${j:-null}}" >> "$OUT/results.jsonl"
      echo "round $r: $n on $side done" >&2
    done
  done
done

python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows: by.setdefault((r['name'], r['side']), []).append(r)
names = list(dict.fromkeys(r['name'] for r in rows))
def med(name, side, f):
    xs = [f(r['result']) for r in by.get((name, side), []) if r['result']]
    return statistics.median(xs) if xs else None
tp = lambda j: j['throughput']['median']
p50 = lambda j: j['latencyMicros']['p50']
p99 = lambda j: j['latencyMicros']['p99']
cpu = lambda j: j['serverCpu']['microsPerOperation']
fmt = lambda x: '-' if x is None else f"{x:,.0f}"
fmt1 = lambda x: '-' if x is None else f"{x:,.1f}"
def med_cpu(name, side):
    xs = [cpu(r['result']) for r in by.get((name, side), []) if r['result'] and 'microsPerOperation' in r['result'].get('serverCpu', {})]
    return statistics.median(xs) if xs else None
print("| scenario | command | A msg/s | B msg/s | B/A | A server CPU µs/op | B server CPU µs/op | B/A CPU | A p50 µs | B p50 µs | A p99 µs | B p99 µs | each run A / B |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for n in names:
    a, b = med(n, 'a', tp), med(n, 'b', tp)
    ratio = f"{b / a:.2f}" if a and b else '-'
    ca, cb = med_cpu(n, 'a'), med_cpu(n, 'b')
    cratio = f"{cb / ca:.2f}" if ca and cb else '-'
    runs = lambda s: ', '.join(fmt(tp(r['result'])) if r['result'] else 'failed' for r in by.get((n, s), []))
    args = by[(n, 'a')][0]['args']
    print(f"| {n} | `wsmsg bench {args}` | {fmt(a)} | {fmt(b)} | {ratio} | {fmt1(ca)} | {fmt1(cb)} | {cratio} "
          f"| {fmt(med(n,'a',p50))} | {fmt(med(n,'b',p50))} | {fmt(med(n,'a',p99))} | {fmt(med(n,'b',p99))} | {runs('a')} / {runs('b')} |")
PY
