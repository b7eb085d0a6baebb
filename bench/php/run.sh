#!/usr/bin/env bash
# PHP SDK benchmark: per-job overhead of the SDK over raw HTTP for hello (docs/performance.md,
# "PHP SDK").
#
#   bench/php/run.sh [--quick] [--image DIR]
#
# Starts the image's `plasm daemon` on 127.0.0.1 with a fresh state directory (default settings but
# jobs.queue-capacity = 10000) and runs bench/php/overhead.php against it: after a warm-up, 10
# rounds (--quick: 4) of 50 hello jobs for each way of running one (raw ext-curl, without and with
# an idempotency key; the SDK's run(); submit()->wait(); run() plus receipt verification), one
# client, the ways taking turns job by job in a rotating order.
# Prints median/p90/mean milliseconds per job, the PHP process's CPU per job, and the ratios to raw
# measured in the same run. The daemon is stopped and its state removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
rounds=10 image=$root/jlink/target/image
while [ $# -gt 0 ]; do
  case $1 in
    --quick) rounds=4 ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
command -v php >/dev/null || { echo "run.sh: needs PHP with curl and sodium: sudo apt-get install php-cli php-curl" >&2; exit 69; }
if [ ! -x "$image/bin/plasm" ]; then
  echo "run.sh: building the image (scripts/plasm --version)" >&2
  "$root/scripts/plasm" --version >/dev/null
fi
scratch=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf -- "$scratch"
}
trap cleanup EXIT
unset PLASM_JAVA_OPTS

state=$scratch/state
printf '[jobs]\nqueue-capacity = 10000\n' > "$scratch/plasmd.toml"
PLASM_HOME=$state "$image/bin/plasm" daemon --config "$scratch/plasmd.toml" --listen 127.0.0.1:0 \
  --state-dir "$state" 2> "$scratch/daemon.log" &
pid=$!
for _ in $(seq 300); do [ -s "$state/daemon.json" ] && break; sleep 0.1; done
[ -s "$state/daemon.json" ] || { echo "run.sh: the daemon did not start:" >&2; cat "$scratch/daemon.log" >&2; exit 70; }
base=http://$(sed -n 's/.*"address": "\([^"]*\)".*/\1/p' "$state/daemon.json")

echo "PHP $(php -r 'echo PHP_VERSION;'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), daemon $base"
php "$root/bench/php/overhead.php" --url "$base" --token-file "$state/token" \
  --module "$root/examples/hello.wasm" --jobs 50 --rounds "$rounds" --warmup 200
