#!/usr/bin/env bash
# Jobs across peers, measured (results and discussion: docs/performance.md, "Jobs across peers").
#
#   bench/daemon/remote.sh [--jobs N] [--seconds S] [--warmup W] [--image DIR] [--keep]
#
# Starts five image daemons on 127.0.0.1 with p2p on: A sends jobs, B-E run other peers' jobs.
# Before measuring, every node is warmed alike: A runs W local jobs (default 400) while each
# executor runs W jobs pinned to it (--warmup 0: only the 60 jobs that bring the module everywhere).
# Measures, with hello: the latency a remote job adds over a local one (N of each, default 200,
# interleaved, submitted to A with ?wait), split into stages from the nodes' own timestamps (the
# median of each); jobs per second with 16 clients on A, local and remote
# (S seconds each, default 20); and the transfer of a 10 MiB module from A to B by hash (a first run
# that fetches it against a second that has it). The daemons are stopped at the end and their state
# removed (--keep leaves it, with each daemon's log, and prints where).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
jobs=200 secs=20 warmup=400 image=$root/jlink/target/image keep=()
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift ;;
    --seconds) secs=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    --keep) keep=(--keep yes) ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "remote.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null
. "$root/scripts/lib/image.sh"
ensure_image remote.sh "$image" "$root"
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS
exec "$JAVA_HOME/bin/java" "$root/bench/daemon/RemoteBench.java" --image "$image" --repo "$root" --jobs "$jobs" --seconds "$secs" --warmup "$warmup" "${keep[@]}"
