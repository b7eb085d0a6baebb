#!/usr/bin/env bash
# What [p2p] costs a daemon of the runtime image (docs/libp2p.md, "In the daemon").
#
#   bench/daemon/p2p.sh [-n RUNS] [--image DIR]
#
# 1. Start-up: RUNS times (default 7), interleaved, `bin/plasm daemon` until daemon.json appears,
#    (a) with p2p off and (b) with p2p on (listening on 127.0.0.1:0); prints the medians and b/a.
# 2. Requests: two image daemons with p2p on, B bootstrapped from A. RUNS*10 rounds, interleaved, of
#    (c) GET /v1/node on B (the HTTP baseline), (d) PUT /v1/dht/values on A (store on A and its
#    closest peers), (e) GET /v1/dht/values on B of the key A stored (a DHT lookup across nodes);
#    prints the median milliseconds of each (curl's time_total) and d/c, e/c.
# Loopback only; every daemon is stopped on exit. Needs the image (mvn -pl jlink -am package), curl
# and python3 (to read JSON).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
runs=7
image=$root/jlink/target/image
while [ $# -gt 0 ]; do
  case $1 in
    -n | --runs) runs=$2; shift ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "p2p.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "p2p.sh: -n needs a positive number" >&2; exit 64; }
[ -x "$image/bin/plasm" ] || { echo "p2p.sh: no image at $image (mvn -pl jlink -am package)" >&2; exit 66; }
command -v curl >/dev/null || { echo "p2p.sh: needs curl" >&2; exit 69; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf -- "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'; }

# start HOME TOML: starts a daemon, waits for daemon.json, sets $elapsed to the milliseconds it took.
# (Not in a $(...) subshell: the pid must reach pids, and the EXIT trap must not run early.)
start() {
  local home=$1 toml=$2
  mkdir -p "$home"
  printf '%s' "$toml" >"$home.toml"
  local t0
  t0=$(now_ms)
  PLASM_HOME=$home "$image/bin/plasm" daemon --config "$home.toml" --listen 127.0.0.1:0 2>"$home.log" &
  pids+=($!)
  until [ -f "$home/daemon.json" ]; do
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$home.log" >&2; exit 70; }
    sleep 0.01
  done
  elapsed=$(($(now_ms) - t0))
}
stop_last() {
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
}

p2p=$'[p2p]\nenabled = true\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n'
off=() on=()
for i in $(seq 0 "$runs"); do
  start "$work/off$i" ""
  a=$elapsed
  stop_last
  start "$work/on$i" "$p2p"
  b=$elapsed
  stop_last
  if [ "$i" -gt 0 ]; then # round 0 warms the file cache
    off+=("$a") on+=("$b")
  fi
done
a=$(printf '%s\n' "${off[@]}" | median)
b=$(printf '%s\n' "${on[@]}" | median)
echo "start-up to daemon.json, median of $runs (ms):  (a) p2p off $a   (b) p2p on $b   b/a $(awk "BEGIN {printf \"%.2f\", $b/$a}")"

start "$work/A" "$p2p"
addr_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["address"])' "$1/daemon.json"; }
A=$(addr_of "$work/A")
TA=$(cat "$work/A/token")
listen=$(curl -s -H "Authorization: Bearer $TA" "http://$A/v1/peers" | python3 -c 'import json, sys; print(json.load(sys.stdin)["listenAddresses"][0])')
start "$work/B" "$p2p"$'bootstrap = ["'"$listen"$'"]\n'
B=$(addr_of "$work/B")
TB=$(cat "$work/B/token")
has_a='import json, sys; sys.exit(0 if any(p["peerId"] == sys.argv[1] for p in json.load(sys.stdin)["peers"]) else 1)'
until curl -s -H "Authorization: Bearer $TB" "http://$B/v1/peers" | python3 -c "$has_a" "${listen##*/p2p/}"; do sleep 0.1; done

t() { curl -s -o /dev/null -w '%{time_total}\n' "$@"; }
node=() put=() get=()
for i in $(seq 1 $((runs * 10))); do
  key="%2Fplasm%2Fbench%2F$i"
  node+=("$(t -H "Authorization: Bearer $TB" "http://$B/v1/node")")
  put+=("$(t -X PUT --data-binary "value $i" -H "Authorization: Bearer $TA" "http://$A/v1/dht/values/$key")")
  get+=("$(t -H "Authorization: Bearer $TB" "http://$B/v1/dht/values/$key")")
done
c=$(printf '%s\n' "${node[@]}" | awk '{print $1*1000}' | median)
d=$(printf '%s\n' "${put[@]}" | awk '{print $1*1000}' | median)
e=$(printf '%s\n' "${get[@]}" | awk '{print $1*1000}' | median)
echo "requests, median of $((runs * 10)) (ms):  (c) GET /v1/node $c   (d) PUT dht value $d   (e) GET dht value from the other node $e   d/c $(awk "BEGIN {printf \"%.1f\", $d/$c}")   e/c $(awk "BEGIN {printf \"%.1f\", $e/$c}")"
