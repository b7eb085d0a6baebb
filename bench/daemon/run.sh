#!/usr/bin/env bash
# Daemon benchmark: hello jobs through the HTTP API (results and discussion: docs/performance.md).
#
#   bench/daemon/run.sh [--quick] [--seconds N] [--image DIR]
#
# Starts the image's `plasm daemon` on 127.0.0.1 with a fresh state directory (2 executors, the
# default), uploads examples/hello.wasm, runs 200 untimed warm-up jobs, records the idle resident
# memory of the daemon and of its warm workers, then drives it with 1, 4 and 16 concurrent clients
# (bench/daemon/LoadDriver.java: submit, long-poll the result, repeat) for N seconds each (default
# 20; --quick: 5), sampling the peak resident memory meanwhile. The baseline, measured in the same
# run, is the same daemon with workers.warm = false (a fresh worker JVM per job), 4 clients (at
# least 15 s).
# Prints jobs/s, p50/p90/p99 submit-to-result latency, memory, and the ratios warm / baseline.
# Everything runs on loopback; the daemons are stopped and their state removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
secs=20 image=$root/jlink/target/image
while [ $# -gt 0 ]; do
  case $1 in
    --quick) secs=5 ;;
    --seconds) secs=$2; shift ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --seconds needs a positive number" >&2; exit 64; }

. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null
if [ ! -x "$image/bin/plasm" ]; then
  echo "run.sh: building the image (scripts/plasm --version)" >&2
  "$root/scripts/plasm" --version >/dev/null
fi
driver=$root/bench/daemon/LoadDriver.java
scratch=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf -- "$scratch"
}
trap cleanup EXIT
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS

# rss_kib PID: the resident memory of a process alone; tree_kib PID: of it and its descendants.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
tree_kib() {
  local total=0 p
  for p in $(pgrep -P "$1") ; do total=$((total + $(tree_kib "$p"))); done
  echo $((total + $(rss_kib "$1")))
}

# start_daemon NAME WARM -> sets $pid $base $state
start_daemon() {
  state=$scratch/$1
  mkdir -p "$state"
  cat > "$scratch/$1.toml" <<TOML
[jobs]
queue-capacity = 10000
[workers]
warm = $2
TOML
  PLASM_HOME=$state "$image/bin/plasm" daemon --config "$scratch/$1.toml" --listen 127.0.0.1:0 \
    --state-dir "$state" 2> "$scratch/$1.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do [ -s "$state/daemon.json" ] && break; sleep 0.1; done
  [ -s "$state/daemon.json" ] || { echo "run.sh: the daemon did not start:" >&2; cat "$scratch/$1.log" >&2; exit 70; }
  base=http://$(sed -n 's/.*"address": "\([^"]*\)".*/\1/p' "$state/daemon.json")
  sha=$(curl -sf -H "Authorization: Bearer $(cat "$state/token")" -H 'Content-Type: application/wasm' \
    --data-binary @"$root/examples/hello.wasm" "$base/v1/modules" | sed -n 's/.*"sha256" : "\([0-9a-f]*\)".*/\1/p')
}

# load LABEL CLIENTS SECONDS WARMUP -> prints the driver's JSON line
load() {
  "$JAVA_HOME/bin/java" "$driver" --base "$base" --token-file "$state/token" --module "$sha" \
    --label "$1" --clients "$2" --seconds "$3" --warmup "$4"
}
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<< "$1"; }

echo "# plasm daemon benchmark: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${secs}s per case"
start_daemon warm true
warm_pid=$pid
load warmup 4 4 0 > /dev/null
sleep 3
idle_daemon=$(rss_kib "$warm_pid")
idle_tree=$(tree_kib "$warm_pid")
results=()
peak=0
for c in 1 4 16; do
  ( while kill -0 "$warm_pid" 2>/dev/null; do tree_kib "$warm_pid"; sleep 0.2; done ) > "$scratch/rss.$c" &
  sampler=$!
  results+=("$(load "warm-$c" "$c" "$secs" 1)")
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  p=$(sort -n "$scratch/rss.$c" | tail -1)
  [ "${p:-0}" -gt "$peak" ] && peak=$p
done
loaded_daemon=$(rss_kib "$warm_pid")
kill "$warm_pid"; wait "$warm_pid" 2>/dev/null || true

start_daemon cold false
# A fresh JVM per job takes about a second: give the baseline long enough to finish some.
base_secs=$((secs < 15 ? 15 : secs))
base_line=$(load "fresh-jvm-4" 4 "$base_secs" 3)
results+=("$base_line")

printf '\n%-14s %8s %8s %9s %9s %9s %8s\n' case clients jobs/s p50_ms p90_ms p99_ms 429s
for r in "${results[@]}"; do
  printf '%-14s %8s %8s %9s %9s %9s %8s\n' "$(sed -n 's/.*"label":"\([^"]*\)".*/\1/p' <<< "$r")" \
    "$(field "$r" clients)" "$(field "$r" jobsPerSecond)" "$(field "$r" p50Ms)" "$(field "$r" p90Ms)" \
    "$(field "$r" p99Ms)" "$(field "$r" refused429)"
done
w4=$(field "${results[1]}" jobsPerSecond)
b4=$(field "$base_line" jobsPerSecond)
echo
echo "warm pool vs fresh JVM per job, 4 clients: $(awk -v a="$w4" -v b="$b4" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}') the jobs/s"
echo "memory (RSS): daemon idle $((idle_daemon / 1024)) MiB, daemon + 2 warm workers idle $((idle_tree / 1024)) MiB;"
echo "              daemon after load $((loaded_daemon / 1024)) MiB, peak daemon + workers under load $((peak / 1024)) MiB"
echo "targets: >= 500 jobs/s; p99 < 50 ms at moderate load (4 clients); idle daemon RSS < 150 MiB"
for r in "${results[@]}"; do echo "$r"; done
