#!/usr/bin/env bash
# How a worker's CPU per job falls as its JVM warms: one daemon (default settings but
# workers.max-jobs raised so that no worker is replaced meanwhile), 4 clients of hello jobs for
# --seconds (default 90), and every 5 s the workers' CPU (/proc utime + stime of the daemon's
# children) over the jobs completed meanwhile (/metrics). Results: docs/performance.md, "A worker's
# life".
#
#   bench/daemon/worker-life.sh [--image DIR] [--seconds N]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
image=$root/jlink/target/image secs=90
while [ $# -gt 0 ]; do
  case $1 in
    --image) image=$(cd "$2" && pwd); shift ;;
    --seconds) secs=$2; shift ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "worker-life.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "worker-life.sh: --seconds needs a positive number" >&2; exit 64; }
. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null
[ -x "$image/bin/plasm" ] || "$root/scripts/plasm" --version >/dev/null
scratch=$(mktemp -d)
daemon=
cleanup() { [ -z "$daemon" ] || { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }; rm -rf -- "$scratch"; }
trap cleanup EXIT
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS
printf '[jobs]\nqueue-capacity = 10000\n[workers]\nmax-jobs = 1000000000\n' > "$scratch/c.toml"
PLASM_HOME=$scratch "$image/bin/plasm" daemon --config "$scratch/c.toml" --listen 127.0.0.1:0 \
  --state-dir "$scratch" 2> "$scratch/daemon.log" &
daemon=$!
for _ in $(seq 300); do [ -s "$scratch/daemon.json" ] && break; sleep 0.1; done
[ -s "$scratch/daemon.json" ] || { echo "worker-life.sh: the daemon did not start:" >&2; cat "$scratch/daemon.log" >&2; exit 70; }
base=http://$(sed -n 's/.*"address": "\([^"]*\)".*/\1/p' "$scratch/daemon.json")
auth="Authorization: Bearer $(cat "$scratch/token")"
sha=$(curl -sf -H "$auth" -H 'Content-Type: application/wasm' --data-binary @"$root/examples/hello.wasm" \
  "$base/v1/modules" | sed -n 's/.*"sha256" *: *"\([0-9a-f]*\)".*/\1/p')
[ -n "$sha" ] || { echo "worker-life.sh: the module upload failed" >&2; exit 70; }
completed() { curl -sf -H "$auth" "$base/metrics" | awk 'index($0, "plasm_jobs_total{outcome=\"completed\"} ") == 1 {print $2}'; }
workers_ticks() {
  local t=0 p
  for p in $(pgrep -P "$daemon"); do t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo "$t"
}
tick=$(getconf CLK_TCK)
"$JAVA_HOME/bin/java" "$root/bench/daemon/LoadDriver.java" --base "$base" --token-file "$scratch/token" \
  --module "$sha" --clients 4 --seconds "$secs" --warmup 0 > "$scratch/driver.json" &
drv=$!
echo "# $(date -u +%FT%TZ), $(nproc) cores, image $image: 4 clients, workers' CPU per job by 5-s interval"
printf '%8s %10s %10s %12s\n' seconds jobs jobs/s "workers us/job"
j0=$(completed) c0=$(workers_ticks) t=0
while kill -0 "$drv" 2>/dev/null; do
  sleep 5
  t=$((t + 5))
  j1=$(completed) c1=$(workers_ticks)
  [ "$j1" -gt "$j0" ] && awk -v t="$t" -v j="$j1" -v d=$((j1 - j0)) -v c=$((c1 - c0)) -v k="$tick" \
    'BEGIN {printf "%8d %10d %10.1f %12.0f\n", t, j, d / 5, c * 1e6 / k / d}'
  j0=$j1 c0=$c1
done
wait "$drv"
