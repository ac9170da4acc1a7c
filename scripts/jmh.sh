#!/usr/bin/env bash
# Runs the JMH micro-benchmarks (header codec, glob matching, routing). Not part of the tests.
#   scripts/jmh.sh                                # all benchmarks: 3x1s warm-up, 5x1s measured, 1 fork
#   scripts/jmh.sh Glob -wi 2 -i 3 -f 1 -prof gc  # or any JMH arguments (then no defaults are added)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test >&2
# Heap fixed and pre-touched: these VMs page out aggressively and distort allocation-heavy runs.
if [ $# -eq 0 ]; then set -- -wi 3 -w 1s -i 5 -r 1s -f 1 io.wsmsg.bench; fi
exec java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "target/test-classes:target/classes:$(cat target/jmh-classpath.txt)" \
  org.openjdk.jmh.Main "$@"
