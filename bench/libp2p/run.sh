#!/usr/bin/env bash
# libp2p transport benchmark (results and discussion: docs/performance.md, "libp2p transport").
#
#   bench/libp2p/run.sh [--quick] [--size MiB] [--runs N] [--dials N] [--rounds N]
#                       [--pairs js-js,java-java,...] [--transports tcp,quic]
#
# On loopback, for js->js (the reference, js-libp2p 3.3.11 on Node, with @chainsafe/libp2p-quic
# 2.1.1 for QUIC), Java->Java, Java->js and js->Java, over TCP and over QUIC, each pair a fresh
# server process and a fresh client process:
#   throughput  one stream (Noise + Yamux over TCP, or one QUIC stream), SIZE MiB one way (default
#               256), median of RUNS (default 6) after 2 untimed warm-up transfers on the same
#               connection;
#   set-up      DIALS fresh connections (default 200, after 20 untimed): TCP + mss + Noise + Yamux,
#               or QUIC + TLS 1.3 (+ identify, which both stacks run on every connection) + the
#               first /ipfs/ping/1.0.0 round trip; median and p99.
# The pairs are interleaved in ROUNDS rounds (default 2, order reversed every other round) so
# that a change in machine load hits all of them alike. Ratios, measured in the same run, are
# against js->js over the same transport ("vs js") and, for QUIC, against the same pair over TCP
# ("vs TCP"); above 1 means faster. --quick: 64 MiB, 3 runs, 50 dials, 1 round. --pairs runs only
# the listed pairs (js-js, java-java, java-js, js-java); --transports only the listed transports.
# QUIC needs linux-x86_64 (Netty's native QUIC library).
#
# Needs a JDK 25 and Node 20+. Builds the libp2p module's classes and its class path (and runs npm
# ci for the pinned js-libp2p, once) with Maven before measuring; set BENCH_NO_BUILD=1 to skip the
# build. Maven options (e.g. -Dmaven.repo.local=...) go in MAVEN_OPTS.
# BENCH_JVM_ARGS adds options to the Java server and client JVMs (e.g. a JFR recording).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
case "${1:-}" in -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

. "$root/scripts/lib/java25.sh"
require_java25
command -v node >/dev/null || { echo "run.sh: node (Node.js 20 or newer) is not on the PATH" >&2; exit 69; }

module=$root/plugins/transport-libp2p
cpfile=$module/target/bench-classpath.txt
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "building plugins/transport-libp2p (test classes, class path, js-libp2p test peer) ..." >&2
  # Each module of the build writes its own target/bench-classpath.txt; the reactor's modules
  # appear in it as their target/classes.
  (cd "$root" && mvn -B -ntp -q -pl plugins/transport-libp2p -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime) >&2
fi
for d in "$module/target/classes" "$module/target/test-classes" "$module/src/test/js/node_modules" "$cpfile"; do
  [ -e "$d" ] || { echo "run.sh: $d is missing (run without BENCH_NO_BUILD)" >&2; exit 66; }
done

# The class path, not the module path: the driver lives in the test classes, which are not a module.
exec "$JAVA_HOME/bin/java" -Dbench.jvmArgs="${BENCH_JVM_ARGS:-}" --enable-native-access=ALL-UNNAMED \
  -Dio.netty.native.workdir="$module/target/netty-native" \
  -cp "$module/target/classes:$module/target/test-classes:$(cat "$cpfile")" \
  dev.plasm.transport.libp2p.bench.TransportBench run --js-dir "$module/src/test/js" "$@"
