# Build helpers shared by the scripts (sourced; the caller has cd'd to the repository root and set
# -euo pipefail).

# ensure_jar: builds target/wsmsg.jar (the wsmsg-cli module and the modules it holds) if missing.
ensure_jar() {
  [ -f target/wsmsg.jar ] || mvn -q -B -DskipTests -pl wsmsg-cli -am package >&2
}

# test_classpath MODULE: compiles MODULE's tests (and the modules it needs, in one reactor so they
# resolve to their target/ directories) and prints MODULE's test class path: its test classes,
# its classes, and every dependency's.
test_classpath() {
  local module=$1 file=target/test-classpath.txt
  mvn -q -B test-compile dependency:build-classpath -pl "$module" -am \
    -Dmdep.outputFile="$file" -Dmdep.includeScope=test >&2
  printf '%s/target/test-classes:%s/target/classes:%s' "$module" "$module" "$(cat "$module/$file")"
}
