#!/usr/bin/env bash
# Fault scenarios of issue 12 against three member JVMs on 127.0.0.1 (event bus with mutual TLS
# from development certificates made by scripts/gen-certs.sh). Not part of `mvn test`: it takes
# several minutes and wants the machine to itself.
#   scripts/fault-test.sh                         # all: leave,rolling,stopall,sigstop,kill9
#   scripts/fault-test.sh kill9,sigstop           # some of them
# In each, endpoint Q is owned by member 0 and subscribed to channel C; a consumer attached
# through member 2 and a publisher at member 1 (numbered messages, FAULT_RATE a second, 300 by
# default) run through the fault; every number is checked (missing, duplicated). One RESULT line
# per scenario, then a markdown table (also in $OUT/results.md). Exit status 1 if a scenario
# could not be run to the end (losses and duplicates are reported, not failed on).
# Settings: OUT (target/fault: member logs and configurations per scenario), FAULT_RATE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-target/fault}
. scripts/lib/build.sh
# the scenarios are test classes of wsmsg-tests (io.wsmsg.cluster.FaultScenarios)
classpath=$(test_classpath wsmsg-tests)
rm -rf "$OUT"
mkdir -p "$OUT"
set +e
java -Xmx512m -Dfault.rate="${FAULT_RATE:-300}" \
  -cp "$classpath" \
  io.wsmsg.cluster.FaultScenarios "$OUT" "${1:-leave,rolling,stopall,sigstop,kill9}" | tee "$OUT/run.log"
rc=${PIPESTATUS[0]}
set -e
sed -n '/^| scenario/,$p' "$OUT/run.log" > "$OUT/results.md"
echo "member logs: $OUT/<scenario>/gateway<i>.log; table: $OUT/results.md" >&2
exit "$rc"
