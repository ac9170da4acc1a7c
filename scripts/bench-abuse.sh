#!/bin/bash
# Does a healthy client keep its round-trip time while hostile clients attack the server?
# Starts a server (JWT auth, default limits) on free loopback ports, then for each attack
# measures a healthy requester (wsmsg bench rpc, one requester at a steady rate) before,
# during and after the attack, with the server's resident memory (RSS) at each phase and its
# peak during the attack. Prints a table; raw results go to target/bench-abuse/.
#   scripts/bench-abuse.sh                     # every attack, 8 s phases
#   PHASE=5 scripts/bench-abuse.sh flood bomb  # some of them
#   HEAP=2g scripts/bench-abuse.sh memory      # a larger heap, to see what the byte budget holds
# Attacks (scripts/abuse.py): slowloris (2,000 half-sent upgrades), flood (garbage, never
# read), bomb (permessage-deflate bomb), churn (connect-subscribe-disconnect), glob (costly
# wildcards against fresh subjects), memory (512 KiB messages for an endpoint nobody reads).
# Needs Java 17, Maven (builds target/wsmsg.jar if missing) and python3 (standard library).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
PHASE=${PHASE:-8}
RATE=${RATE:-200}
HEAP=${HEAP:-1g}
OUT=target/bench-abuse
ensure_jar
mkdir -p "$OUT"
rm -rf "$OUT/data"
cp target/wsmsg.jar "$OUT/server.jar"
ulimit -n 65536 2>/dev/null || true
PORT=$(free_port)
MPORT=$(free_port)
SECRET="bench-abuse-secret-of-at-least-32-bytes!"
cat > "$OUT/server.json" <<CONF
{"host": "127.0.0.1", "port": $PORT, "dataDir": "$PWD/$OUT/data",
 "management": {"port": $MPORT}, "auth": {"hs256Secret": "$SECRET"}}
CONF
java -Xms"$HEAP" -Xmx"$HEAP" -jar "$OUT/server.jar" server -c "$OUT/server.json" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
wait_for_log "$OUT/server.log" listening 20 "$SERVER"
WSMSG="java -jar $OUT/server.jar"
ALICE=$($WSMSG token --sub alice --secret "$SECRET" 2>/dev/null)
URL=ws://127.0.0.1:$PORT/

rss() { awk '/VmRSS/ {printf "%d", $2/1024}' /proc/$SERVER/status; }
healthy() { # one requester at $RATE calls/s for $PHASE s; prints the JSON summary
  java -Xmx256m -jar "$OUT/server.jar" bench rpc -n 1 --rate "$RATE" --duration "${PHASE}s" --warmup 1s \
    --url "$URL" --token "$ALICE" --endpoint-prefix healthy --progress none --json 2> /dev/null || echo null
}

ATTACKS=(slowloris flood bomb churn glob memory)
[ $# -gt 0 ] && ATTACKS=("$@")
healthy > /dev/null # warm the server's JIT (not recorded)
: > "$OUT/results.jsonl"
for a in "${ATTACKS[@]}"; do
  before=$(healthy); rss_before=$(rss)
  # each attack with a token of its own: quotas used up by one attack do not blunt the next
  MALLORY=$($WSMSG token --sub "mallory-$a" --secret "$SECRET" 2>/dev/null)
  python3 scripts/abuse.py "$a" --port "$PORT" --token "$MALLORY" --seconds $((PHASE + 6)) > "$OUT/$a.attack" 2>&1 &
  ATTACK=$!
  peak=0
  ( while kill -0 $ATTACK 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo $peak > "$OUT/$a.peak"; sleep 0.5; done ) &
  WATCH=$!
  sleep 2
  during=$(healthy); rss_during=$(rss)
  wait $ATTACK || true
  wait $WATCH 2>/dev/null || true
  sleep 1
  after=$(healthy); rss_after=$(rss)
  echo "{\"attack\":\"$a\",\"before\":$before,\"during\":$during,\"after\":$after,\"rss\":[$rss_before,$rss_during,$rss_after,$(cat "$OUT/$a.peak" 2>/dev/null || echo 0)],\"attacker\":$(tail -1 "$OUT/$a.attack" | grep '^{' || echo null)}" >> "$OUT/results.jsonl"
  echo "$a done" >&2
done
echo "server log lines about clients: $(grep -c -i 'closing\|refus' "$OUT/server.log" || true) (see $OUT/server.log)" >&2

python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def lat(r):
    if not r: return "  failed  ", "-"
    l = r["latencyMicros"]
    return "%6.2f / %7.2f" % (l["p50"] / 1000, l["p99"] / 1000), "%d/%d" % (r["lost"] + r["timeouts"], r["sent"])
print("| attack | phase | healthy p50 / p99 ms | healthy lost/sent | server RSS MiB | attacker |")
print("|---|---|---|---|---|---|")
for r in rows:
    for i, ph in enumerate(("before", "during", "after")):
        l, lost = lat(r[ph])
        rss = "%d" % r["rss"][i] + (" (peak %d)" % max(r["rss"][1:]) if ph == "during" else "")
        att = ""
        if ph == "during" and r["attacker"]:
            att = ", ".join("%s %s" % (k, v) for k, v in r["attacker"].items() if k not in ("attack",))
        print("| %s | %s | %s | %s | %s | %s |" % (r["attack"] if i == 0 else "", ph, l, lost, rss, att))
PY
