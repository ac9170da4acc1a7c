#!/usr/bin/env bash
# Runs the JMH micro-benchmarks (header codec, glob matching, routing). Not part of the tests.
#   scripts/jmh.sh                                # all benchmarks: 3x1s warm-up, 5x1s measured, 1 fork
#   scripts/jmh.sh Glob -wi 2 -i 3 -f 1 -prof gc  # or any JMH arguments (then no defaults are added)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/build.sh
# the benchmarks are test classes of wsmsg-server (src/test/java/io/wsmsg/bench)
classpath=$(test_classpath wsmsg-server)
# Heap fixed and pre-touched: these VMs page out aggressively and distort allocation-heavy runs.
if [ $# -eq 0 ]; then set -- -wi 3 -w 1s -i 5 -r 1s -f 1 io.wsmsg.bench; fi
exec java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$classpath" \
  org.openjdk.jmh.Main "$@"
