#!/usr/bin/env bash
# Times writing and loading snapshots of 10k, 100k and 1M queued 100-byte messages.
#   scripts/bench-snapshot.sh [sizes...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >&2
exec java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.wsmsg.bench.SnapshotBench "$@"
