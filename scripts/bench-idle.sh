#!/bin/bash
# What an idle connection costs the server (issue 14): starts the server as its own JVM, reads
# its resident memory (VmRSS), live heap (after a full GC) and native memory (NMT) before and
# after opening N idle WebSocket connections from another JVM (scripts/lib/IdleConns.java: no
# frame sent, pings answered), and prints the difference per connection.
#   scripts/bench-idle.sh                       # 10,000 connections, one endpoint each
#   N=10000 ENDPOINTS=1 scripts/bench-idle.sh   # all on one endpoint: the connection alone
#   PRETOUCH=1 scripts/bench-idle.sh            # -XX:+AlwaysPreTouch: RSS then shows no heap growth
#   JAR=old.jar scripts/bench-idle.sh           # another build of the server
#   TLS=1 scripts/bench-idle.sh                 # wss:// (certificates from scripts/gen-certs.sh)
#   SERVER_OPTS='-Xlog:gc' LIMITS='"maxFrameBytes": 65536' EXTRA_CONF='"ping": {"intervalSeconds": 5}' \
#     scripts/bench-idle.sh                     # more JVM flags, limits.* entries, top-level config
# Output in target/bench-idle/ (logs, histograms, NMT summaries); needs Java 17 (jcmd, jmap).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
N=${N:-10000}
ENDPOINTS=${ENDPOINTS:-$N}
SETTLE=${SETTLE:-15}
OUT=target/bench-idle
[ -n "${JAR:-}" ] || { ensure_jar; JAR=target/wsmsg.jar; }
mkdir -p "$OUT"
cp "$JAR" "$OUT/server.jar" # a rebuild must not change the jar under the running JVM
port=$(free_port)
rm -rf "$OUT/data"
PT=""; [ "${PRETOUCH:-0}" = 1 ] && PT="-XX:+AlwaysPreTouch"
SCHEME=ws
if [ "${TLS:-0}" = 1 ]; then
  scripts/gen-certs.sh --out "$OUT/certs" --gateways 1 > /dev/null
  EXTRA_CONF="\"tls\": {\"cert\": \"$PWD/$OUT/certs/server.pem\", \"key\": \"$PWD/$OUT/certs/server.key\"}${EXTRA_CONF:+, $EXTRA_CONF}"
  SCHEME=wss
fi
cat > "$OUT/server.json" <<CONF
{"host": "127.0.0.1", "port": $port, "dataDir": "$PWD/$OUT/data", "auth": {"mode": "none"},
 "management": {"enabled": false},
 "limits": {"maxConnectionsPerIp": 1000000, "maxConnections": 1000000, "maxEndpoints": 1000000${LIMITS:+, $LIMITS}}
 ${EXTRA_CONF:+, $EXTRA_CONF}}
CONF
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
# shellcheck disable=SC2086
java -Xms1g -Xmx1g $PT -XX:NativeMemoryTracking=summary ${SERVER_OPTS:-} -jar "$OUT/server.jar" server -c "$OUT/server.json" \
  > "$OUT/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
wait_for_log "$OUT/server.log" listening 60 "$SERVER"

# measure LABEL: full GC, then RSS (KiB), live heap (KiB), NMT committed (KiB) per category
measure() {
  jcmd "$SERVER" GC.run > /dev/null
  sleep 2
  jcmd "$SERVER" GC.run > /dev/null
  sleep 1
  local rss heap
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status")
  heap=$(jcmd "$SERVER" GC.heap_info | sed -n 's/.*total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1)
  jcmd "$SERVER" VM.native_memory summary > "$OUT/nmt-$1.txt"
  jmap -histo:live "$SERVER" > "$OUT/histo-$1.txt"
  # kernel memory of all TCP sockets (pages, both ends: the client runs here too), not in any RSS
  tcpmem=$(awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)
  echo "$1 $rss $heap $tcpmem" >> "$OUT/measures.txt"
}
: > "$OUT/measures.txt"
# a short warm-up: the first connections load and compile classes, which is not per connection
java -cp "$OUT/server.jar" scripts/lib/IdleConns.java 127.0.0.1 "$port" 200 200 "$SCHEME" < /dev/null > /dev/null 2>&1 || true
sleep "$SETTLE"
measure before
rm -f "$OUT/hold"; mkfifo "$OUT/hold"
java -Xmx1g -cp "$OUT/server.jar" scripts/lib/IdleConns.java 127.0.0.1 "$port" "$N" "$ENDPOINTS" "$SCHEME" < "$OUT/hold" > "$OUT/client.log" 2>&1 &
CLIENT=$!
PIDS+=("$CLIENT")
exec 9> "$OUT/hold"   # keeps the client's stdin open until we close it
wait_for_log "$OUT/client.log" '^open' 600 "$CLIENT"
opened=$(sed -n 's/^open \([0-9]*\).*/\1/p' "$OUT/client.log")
sleep "$SETTLE"
measure after
exec 9>&-
wait "$CLIENT" || true
python3 - "$OUT" "$opened" <<'PY'
import re, sys
out, n = sys.argv[1], int(sys.argv[2])
m = {l.split()[0]: list(map(int, l.split()[1:])) for l in open(out + "/measures.txt")}
def nmt(label):
    cats = {}
    for line in open(f"{out}/nmt-{label}.txt"):
        g = re.match(r"-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB", line.strip())
        if g: cats[g.group(1).strip()] = int(g.group(2))
        g = re.match(r"Total: reserved=\d+KB, committed=(\d+)KB", line.strip())
        if g: cats["Total"] = int(g.group(1))
    return cats
b, a = nmt("before"), nmt("after")
def histo(label):
    h = {}
    for line in open(f"{out}/histo-{label}.txt"):
        p = line.split()
        if len(p) >= 4 and p[0].endswith(":"): h[p[3]] = (int(p[1]), int(p[2]))
    return h
hb, ha = histo("before"), histo("after")
per = lambda kib: kib * 1024 / n
print(f"{n} connections open")
print(f"RSS        {m['before'][0]:>9,} -> {m['after'][0]:>9,} KiB   {per(m['after'][0]-m['before'][0]):>8,.0f} B/conn")
print(f"live heap  {m['before'][1]:>9,} -> {m['after'][1]:>9,} KiB   {per(m['after'][1]-m['before'][1]):>8,.0f} B/conn")
pg = int(__import__("os").sysconf("SC_PAGE_SIZE")) / 1024
print(f"kernel TCP {m['before'][2] * pg:>9,.0f} -> {m['after'][2] * pg:>9,.0f} KiB   {per((m['after'][2]-m['before'][2]) * pg):>8,.0f} B/conn (both ends, outside RSS)")
for c in ["Total", "Java Heap", "Thread", "Other", "Internal", "NIO", "Class", "Code", "GC", "Symbol", "Arena Chunk"]:
    if c in a or c in b:
        d = a.get(c, 0) - b.get(c, 0)
        print(f"NMT {c:<12} committed {per(d):>8,.0f} B/conn")
print("heap histogram, per connection (instances, bytes), largest first:")
rows = []
for k, (cnt, by) in ha.items():
    cb, bb = hb.get(k, (0, 0))
    rows.append((by - bb, cnt - cb, k))
rows.sort(reverse=True)
print(f"heap histogram total    {sum(r[0] for r in rows) / n:>8,.0f} B/conn (live objects after, minus before)")
for dby, dcnt, k in rows[:40]:
    if dby <= 0: break
    print(f"  {dcnt / n:6.2f} x {dby / n:8.1f} B  {k}")
PY
