# Helpers shared by scripts/bench-*.sh (sourced, not run; the caller has cd'd to the repository root
# and set -euo pipefail).

# ensure_jar, test_classpath
. scripts/lib/build.sh

# A free TCP port on 127.0.0.1 (free when asked: the caller binds it right away).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for_log FILE PATTERN SECONDS [PID]: waits until FILE has a line matching the extended regex
# PATTERN; fails, showing the end of FILE, after SECONDS or as soon as process PID has exited.
wait_for_log() {
  local file=$1 pattern=$2 seconds=$3 pid=${4:-} t0=$SECONDS
  while ! grep -qE "$pattern" "$file" 2>/dev/null; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      printf 'the process writing %s exited before logging /%s/; its end:\n' "$file" "$pattern" >&2
      tail -n 20 "$file" >&2 || true
      return 1
    fi
    if [ $((SECONDS - t0)) -ge "$seconds" ]; then
      printf 'no line matching /%s/ in %s after %s s; its end:\n' "$pattern" "$file" "$seconds" >&2
      tail -n 20 "$file" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# cluster_start FILE [scripts/cluster.sh start options...]: starts the local cluster, keeps what it
# printed in FILE and sets CLUSTER_TOKEN (an admin token), CLUSTER_URLS (its WebSocket URLs, an
# array), CLUSTER_MGMT (gateway1's management URL) and CLUSTER_CA (empty without TLS).
cluster_start() {
  local file=$1 out urls
  shift
  out=$(scripts/cluster.sh start "$@") || { printf '%s\n' "$out" >&2; return 1; }
  printf '%s\n' "$out" >"$file"
  CLUSTER_TOKEN=$(printf '%s\n' "$out" | sed -n 's/^ *export WSMSG_TOKEN=//p')
  urls=$(printf '%s\n' "$out" | sed -n 's/^ *export WSMSG_URL=//p')
  CLUSTER_MGMT=$(printf '%s\n' "$out" | sed -n 's/^ *export WSMSG_MANAGEMENT_URL=//p')
  CLUSTER_CA=$(printf '%s\n' "$out" | sed -n 's/^ *export WSMSG_CA=//p')
  IFS=, read -r -a CLUSTER_URLS <<<"$urls"
  if [ -z "$CLUSTER_TOKEN" ] || [ ${#CLUSTER_URLS[@]} -ne 3 ]; then
    printf 'no token or not three URLs in the output of scripts/cluster.sh start:\n%s\n' "$out" >&2
    return 1
  fi
}

# True when scripts/cluster.sh reports a running gateway (the benchmarks start their own cluster).
cluster_running() {
  scripts/cluster.sh status 2>/dev/null | grep -q ' running '
}

# CPU seconds (user + system) process $1 has used so far (0 for pid 0 or a process gone).
cpu_of() {
  if [ "$1" = 0 ] || [ ! -r "/proc/$1/stat" ]; then echo 0; return; fi
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# The load tool's scenarios by name, shared by bench-ab.sh and bench-cluster-instances.sh.
declare -A BENCH_SCENARIOS=(
  [rpc16]="rpc -n 16"
  [fan10w32]="fanout -n 10 --window 32"
  [q32]="queue -n 4 --window 32"
  # the workloads of issue 14 (cost per message)
  [rpc1]="rpc -n 1"
  [fan10w1]="fanout -n 10 --window 1"
  [fan10w64]="fanout -n 10 --window 64"
  [q4w1]="queue -n 4 --window 1"
)
