#!/bin/bash
# Server CPU per operation, A/B: runs the issue-14 workloads against two server jars, interleaved
# (A then B in every round), reading each server's CPU (utime + stime from /proc/PID/stat) just
# before and after every load run and dividing by the operations the run received (rpc: replies,
# fanout: deliveries, queue: consumed messages). Warmup and drain are inside the window, so
# setup and the tool's warmup count as well (a few per cent at most). Prints medians, and the
# same for the event-loop threads alone ("loops"): on a busy machine the JIT compiler threads
# are still at work long after start and their share moves from run to run.
#   scripts/bench-cpu.sh A.jar [B.jar]              # B defaults to target/wsmsg.jar
#   ROUNDS=3 DURATION=5s SCENARIOS="rpc1 fan10w1" scripts/bench-cpu.sh old.jar
#   SERVER_OPTS="-XX:StartFlightRecording=..." to pass JVM options to both servers
# Scenarios: rpc1 (rpc, one requester), fan10w1, fan10w64 (fanout 1 -> 10), q4w1 (queue 1 -> 4).
# Results: target/bench-cpu/results.jsonl. A simple stand-in until the load tool reports CPU itself.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
[ $# -ge 1 ] || { echo "usage: scripts/bench-cpu.sh A.jar [B.jar]" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
OUT=${OUT:-target/bench-cpu}
if [ $# -lt 2 ]; then ensure_jar; fi
mkdir -p "$OUT"
cp "$1" "$OUT/a.jar"
cp "${2:-target/wsmsg.jar}" "$OUT/b.jar"

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
declare -A URL PID
for side in a b; do
  port=$(free_port)
  rm -rf "$OUT/data-$side"
  cat > "$OUT/server-$side.json" <<CONF
{"host": "127.0.0.1", "port": $port, "dataDir": "$PWD/$OUT/data-$side", "auth": {"mode": "none"},
 "management": {"enabled": false}, "limits": {"maxConnectionsPerIp": 1000000}}
CONF
  # shellcheck disable=SC2086
  java -Xms1g -Xmx1g -XX:+AlwaysPreTouch ${SERVER_OPTS:-} -jar "$OUT/$side.jar" server -c "$OUT/server-$side.json" > "$OUT/server-$side.log" 2>&1 &
  PIDS+=($!)
  PID[$side]=$!
  wait_for_log "$OUT/server-$side.log" listening 30 "$!"
  URL[$side]=ws://127.0.0.1:$port/
done

# CPU seconds of the Vert.x event-loop threads of process $1
loops_cpu() {
  local hz; hz=$(getconf CLK_TCK)
  cat /proc/"$1"/task/*/stat 2>/dev/null | awk -v hz="$hz" '/\(vert\.x-eventloo/ { sub(/^.*\) /, ""); t += $12 + $13 } END { print t / hz }'
}

declare -A ARGS=(
  [rpc1]="rpc -n 1"
  [fan10w1]="fanout -n 10 --window 1"
  [fan10w64]="fanout -n 10 --window 64"
  [q4w1]="queue -n 4 --window 1"
)
read -r -a NAMES <<< "${SCENARIOS:-rpc1 fan10w1 fan10w64 q4w1}"
BENCH="java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -jar $OUT/b.jar bench"

for side in a b; do
  for n in "${NAMES[@]}"; do
    $BENCH ${ARGS[$n]} --url "${URL[$side]}" --duration "${WARMUP_RUN:-5s}" --warmup 1s --progress none --json > /dev/null 2>&1 || true
  done
done
: > "$OUT/results.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  for n in "${NAMES[@]}"; do
    for side in a b; do
      c0=$(cpu_of "${PID[$side]}"); l0=$(loops_cpu "${PID[$side]}")
      j=$($BENCH ${ARGS[$n]} --url "${URL[$side]}" --duration "$DURATION" --warmup "$WARMUP" --progress none --json 2> "$OUT/$n-$side-$r.err" || true)
      c1=$(cpu_of "${PID[$side]}"); l1=$(loops_cpu "${PID[$side]}")
      echo "{\"name\":\"$n\",\"side\":\"$side\",\"round\":$r,\"args\":\"${ARGS[$n]}\",\"cpu\":$(python3 -c "print($c1-$c0)"),\"loops\":$(python3 -c "print($l1-$l0)"),\"result\":${j:-null}}" >> "$OUT/results.jsonl"
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
def us(r, k='cpu'):
    j = r['result']
    return r[k] * 1e6 / j['received'] if j and j.get('received') else None
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
fmt = lambda x, d=1: '-' if x is None else f"{x:,.{d}f}"
print("| scenario | command | A µs/op | B µs/op | B/A | A loops µs/op | B loops µs/op | loops B/A | A ops/s | B ops/s | each run A / B (µs/op) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in names:
    a = med(us(r) for r in by.get((n, 'a'), []))
    b = med(us(r) for r in by.get((n, 'b'), []))
    ta = med(r['result']['throughput']['median'] for r in by.get((n, 'a'), []) if r['result'])
    tb = med(r['result']['throughput']['median'] for r in by.get((n, 'b'), []) if r['result'])
    ratio = f"{b / a:.2f}" if a and b else '-'
    la = med(us(r, 'loops') for r in by.get((n, 'a'), []))
    lb = med(us(r, 'loops') for r in by.get((n, 'b'), []))
    lratio = f"{lb / la:.2f}" if la and lb else '-'
    runs = lambda s: ', '.join(fmt(us(r)) for r in by.get((n, s), []))
    print(f"| {n} | `wsmsg bench {by[(n, 'a')][0]['args']}` | {fmt(a)} | {fmt(b)} | {ratio} | {fmt(la)} | {fmt(lb)} | {lratio} | {fmt(ta, 0)} | {fmt(tb, 0)} | {runs('a')} / {runs('b')} |")
PY
