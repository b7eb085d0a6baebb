#!/usr/bin/env bash
# Soak run of the daemon (results and discussion: docs/performance.md, "Soak").
#
#   bench/daemon/soak.sh [--minutes N] [--restart-minutes M] [--image DIR] [--nmt]
#
# Runs the image's `plasm daemon` on 127.0.0.1 for N minutes (default 60): cycles of 60 s of bounded
# load (4 clients, a mix of jobs of every outcome, some cancelled while running) and 90 s idle (past
# the virtual-thread scheduler's 30 s keep-alive), with a SIGTERM restart every M minutes (default
# 15) while jobs are in flight. Meanwhile /healthz is probed twice a second and the daemon's RSS,
# heap and threads are sampled from /v1/node every 10 s. The node runs with jobs.retention = 10m, so
# that it reaches the steady state where jobs are forgotten as they come; the jobs are listed after
# every cycle, and every accepted job must be seen ended, never listed twice, and, if it started,
# have a receipt; 40 receipts are verified offline with `plasm receipt verify --trust`. Prints the
# books, the probe latencies, the samples, and PASS or FAIL (exit 1): any /healthz at or over 100 ms,
# any failed probe, any job missing, duplicated, unended or without its receipt, any job held past
# the retention, or RSS growing 5% or more (threads by more than 3) from minutes 20-30 to the last
# 10 fails the run. Each sample also goes, with the daemon's anonymous and file-backed RSS, to a
# samples.tsv whose path is printed first; --nmt runs the daemon with native memory tracking and adds
# the JVM's committed memory per category (jcmd VM.native_memory summary) to each line.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
minutes=60 restart=15 image=$root/jlink/target/image nmt=false
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift ;;
    --restart-minutes) restart=$2; shift ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    --nmt) nmt=true ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null
. "$root/scripts/lib/image.sh"
ensure_image soak.sh "$image" "$root"
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS
exec "$JAVA_HOME/bin/java" "$root/bench/daemon/Soak.java" --image "$image" --repo "$root" --minutes "$minutes" \
  --restart-minutes "$restart" --nmt "$nmt"
