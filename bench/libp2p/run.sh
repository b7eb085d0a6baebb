#!/usr/bin/env bash
# libp2p transport benchmark (results and discussion: docs/performance.md, "libp2p transport").
#
#   bench/libp2p/run.sh [--quick] [--size MiB] [--runs N] [--dials N] [--rounds N] [--pairs js-js,java-java,...]
#
# On loopback, for js->js (the reference, js-libp2p 3.3.11 on Node), Java->Java, Java->js and
# js->Java, each pair a fresh server process and a fresh client process:
#   throughput  one stream over Noise + Yamux, SIZE MiB one way (default 256), median of RUNS
#               (default 6) after 2 untimed warm-up transfers on the same connection;
#   set-up      DIALS fresh connections (default 200, after 20 untimed): TCP + mss + Noise +
#               Yamux (+ identify, which both stacks run on every connection) + the first
#               /ipfs/ping/1.0.0 round trip; median and p99.
# The pairs are interleaved in ROUNDS rounds (default 2, order reversed every other round) so
# that a change in machine load hits all of them alike. Ratios are against js->js measured in
# the same run; above 1 means faster. --quick: 64 MiB, 3 runs, 50 dials, 1 round. --pairs runs
# only the listed pairs (js-js, java-java, java-js, js-java; ratios against the first listed).
#
# Needs a JDK 25 and Node 20+. Builds the libp2p module's classes (and runs npm ci for the pinned
# js-libp2p, once) with Maven before measuring; set BENCH_NO_BUILD=1 to skip the build.
# BENCH_JVM_ARGS adds options to the Java server and client JVMs (e.g. a JFR recording).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
case "${1:-}" in -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

. "$root/scripts/lib/java25.sh"
require_java25
command -v node >/dev/null || { echo "run.sh: node (Node.js 20 or newer) is not on the PATH" >&2; exit 69; }

module=$root/plugins/transport-libp2p
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "building plugins/transport-libp2p (test classes, js-libp2p test peer) ..." >&2
  (cd "$root" && mvn -B -ntp -q -pl plugins/transport-libp2p -am test-compile) >&2
fi
api=$root/modules/plasm-api/target/classes
for d in "$module/target/classes" "$module/target/test-classes" "$api" "$module/src/test/js/node_modules"; do
  [ -d "$d" ] || { echo "run.sh: $d is missing (run without BENCH_NO_BUILD)" >&2; exit 66; }
done

# The class path, not the module path: the driver lives in the test classes, which are not a module.
exec "$JAVA_HOME/bin/java" -Dbench.jvmArgs="${BENCH_JVM_ARGS:-}" \
  -cp "$module/target/classes:$module/target/test-classes:$api" \
  dev.plasm.transport.libp2p.bench.TransportBench run --js-dir "$module/src/test/js" "$@"
