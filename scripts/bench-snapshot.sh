#!/usr/bin/env bash
# Times writing and loading snapshots of 10k, 100k and 1M queued 100-byte messages.
#   scripts/bench-snapshot.sh [sizes...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/build.sh
classpath=$(test_classpath wsmsg-server)
exec java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp "$classpath" \
  io.wsmsg.bench.SnapshotBench "$@"
