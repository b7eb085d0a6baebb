#!/usr/bin/env bash
# Start-up benchmark of the Plasm runtime image (results and discussion: docs/performance.md).
#
#   bench/startup.sh [-n RUNS] [--tuning] [--steady] [--no-clients] [--no-p2p] [--image DIR] [--baseline DIR]
#
# Runs every case RUNS times (default 15), interleaved (a b c d a b c d ...) so that a change in
# machine load hits all cases alike, after one untimed warm-up round, and prints the median wall
# time of each in milliseconds (also min and max), the median CPU time (user + system: steadier than
# wall time on a loaded machine), the ratio of (b) and of each client case to (a), and the image size.
#   (a) the image's bin/java -version              (the floor: a bare JVM of this image)
#   (b) the image's bin/plasm run examples/hello.wasm   (what a user runs; AOT cache on)
#   (c) (b) without the AOT cache (PLASM_AOT=off)
#   (d) java -p jlink/target/modules -m dev.plasm.cli/dev.plasm.cli.Main run examples/hello.wasm
#       with the JDK 25 that builds Plasm (no image, no launcher flags)
#   (e)-(j) client commands (issue 18): the image's plasm against a daemon this script starts
#       from the same image (loopback, port 0, its own state directory, p2p on unless --no-p2p):
#   (e) plasm jobs   (f) plasm job show ID   (g) plasm peers --json   (h) plasm submit --wait hello.wasm
#   (i) plasm jobs with no daemon reachable (a closed loopback port: exit 69)   (j) plasm --version
#   (r) curl GET /v1/jobs: the HTTP round trip itself, for reference (when curl is installed)
#   Each is printed with its ratio to (a); the daemon is stopped (SIGTERM) at the end.
# --no-clients leaves (e)-(r) out (no daemon is started); --no-p2p starts the daemon without its
# libp2p node ((g) then measures the daemon's "p2p is off" answer, exit 69).
# --baseline DIR adds (b0): (b) on another image (e.g. one built before a change, copied aside),
# interleaved with the rest, and prints (b)/(b0): whether the change made plasm run slower; with the
# client cases it also adds (e0), (h0), (i0): (e), (h), (i) with the other image's plasm.
# --tuning adds start-up variants of (b) (JIT, GC and CDS flags, the CLI alone);
# --steady adds a long job (300 M instructions of loop-br-if.wasm under --fuel on the
# interpreter) with the launcher's flags against the alternatives, to see what a flag costs later.
#
# Needs the image built (scripts/plasm --version, or mvn -DskipTests install) and a JDK 25 for (d).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
runs=15 tuning= steady= baseline= clients=1 p2p=1
image=$root/jlink/target/image
while [ $# -gt 0 ]; do
  case $1 in
    -n | --runs) runs=$2; shift ;;
    --tuning) tuning=1 ;;
    --steady) steady=1 ;;
    --no-clients) clients= ;;
    --no-p2p) p2p= ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    --baseline) baseline=$(cd "$2" && pwd); shift ;;
    -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "startup.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "startup.sh: -n needs a positive number" >&2; exit 64; }

. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null # JAVA_HOME: the JDK for case (d)

modules=$root/jlink/target/modules
hello=$root/examples/hello.wasm
loop=$root/modules/plasm-test-fixtures/src/main/resources/dev/plasm/fixtures/loop-br-if.wasm
for f in "$image/bin/plasm" "$image/bin/java" "$hello"; do
  [ -e "$f" ] || { echo "startup.sh: $f is missing; build the image first (scripts/plasm --version)" >&2; exit 66; }
done
[ -d "$modules" ] || { echo "startup.sh: $modules is missing (mvn -DskipTests install builds it)" >&2; exit 66; }

# Every case runs with an empty PLASM_HOME (no personal plugins) and without inherited JVM options.
scratch=$(mktemp -d)
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf -- "$scratch"
}
trap cleanup EXIT
export PLASM_HOME=$scratch/home
mkdir -p -- "$PLASM_HOME"
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS PLASM_AOT

labels=() rcs=() cmds=()
# add LABEL EXPECTED_EXIT_CODE SHELL-CODE (run with bash -c from the repository root; $I is the
# image, $J the JDK, $M the module dir, $H hello.wasm, $L the loop fixture)
add() { labels+=("$1"); rcs+=("$2"); cmds+=("$3"); }

add "(a) image bin/java -version" 0 '"$I/bin/java" -version'
add "(b) image bin/plasm run hello.wasm" 0 '"$I/bin/plasm" run "$H"'
add "(c) (b) without AOT cache (PLASM_AOT=off)" 0 'PLASM_AOT=off "$I/bin/plasm" run "$H"'
# The launcher's native-library options, so wasmtime loads the image's extracted library
# instead of unpacking 18 MB into /tmp on every run (and warns about native access).
add "(d) JDK 25 java -p modules -m ... run hello.wasm" 0 '"$J/bin/java" -Djava.library.path="$I/lib/wasmtime" --enable-native-access=wasmtime.java -p "$M" -m dev.plasm.cli/dev.plasm.cli.Main run "$H"'
if [ -n "$baseline" ]; then
  [ -x "$baseline/bin/plasm" ] || { echo "startup.sh: $baseline/bin/plasm is missing" >&2; exit 66; }
  add "(b0) baseline image bin/plasm run hello.wasm" 0 '"$B/bin/plasm" run "$H"'
fi
if [ -n "$clients" ]; then
  # The daemon: this image's, on a free loopback port, with PLASM_HOME as its state directory, so
  # every client case finds it (daemon.json) and its token there, as a user's plasm does.
  cfg=$scratch/plasmd.toml
  printf 'state-dir = "%s"\n[api]\nlisten = "127.0.0.1:0"\n' "$PLASM_HOME" >"$cfg"
  [ -z "$p2p" ] || printf '[p2p]\nenabled = true\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n' >>"$cfg"
  "$image/bin/plasm" daemon --config "$cfg" </dev/null >"$scratch/daemon.out" 2>"$scratch/daemon.err" &
  daemon_pid=$!
  for _ in $(seq 1 600); do
    [ -f "$PLASM_HOME/daemon.json" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -f "$PLASM_HOME/daemon.json" ] || { echo "startup.sh: the daemon did not start:" >&2; cat "$scratch/daemon.err" >&2; exit 1; }
  daemon_addr=$(sed -n 's/.*"address" *: *"\([^"]*\)".*/\1/p' "$PLASM_HOME/daemon.json" | head -n 1)
  # One job for (f) to show; it also warms the daemon's worker before anything is timed.
  job_id=$("$image/bin/plasm" submit --wait -q "$hello" 2>"$scratch/err" >/dev/null; "$image/bin/plasm" jobs -q --limit 1) ||
    { echo "startup.sh: the first job failed:" >&2; cat "$scratch/err" >&2; exit 1; }
  [ -n "$job_id" ] || { echo "startup.sh: the daemon lists no job after one was submitted" >&2; exit 1; }
  export D=$daemon_addr JOB=$job_id
  p2p_rc=0
  [ -n "$p2p" ] || p2p_rc=69
  add "(e) plasm jobs (live daemon)" 0 '"$I/bin/plasm" jobs'
  add "(f) plasm job show ID" 0 '"$I/bin/plasm" job show "$JOB"'
  add "(g) plasm peers --json$([ -n "$p2p" ] && echo ' (p2p on)' || echo ' (p2p off: exit 69)')" "$p2p_rc" '"$I/bin/plasm" peers --json'
  add "(h) plasm submit --wait hello.wasm" 0 '"$I/bin/plasm" submit --wait "$H"'
  add "(i) plasm jobs, no daemon (closed port: exit 69)" 69 'PLASM_DAEMON=127.0.0.1:1 "$I/bin/plasm" jobs'
  add "(j) plasm --version" 0 '"$I/bin/plasm" --version'
  if command -v curl >/dev/null; then
    add "(r) curl GET /v1/jobs (the HTTP round trip)" 0 'curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$PLASM_HOME/token")" "http://$D/v1/jobs"'
  fi
  if [ -n "$baseline" ]; then
    add "(e0) baseline image: plasm jobs" 0 '"$B/bin/plasm" jobs'
    add "(h0) baseline image: plasm submit --wait" 0 '"$B/bin/plasm" submit --wait "$H"'
    add "(i0) baseline image: plasm jobs, no daemon" 69 'PLASM_DAEMON=127.0.0.1:1 "$B/bin/plasm" jobs'
  fi
fi
if [ -n "$tuning" ]; then
  add "(t1) bin/plasm --version (CLI, no guest)" 0 '"$I/bin/plasm" --version'
  add "(t2) (b) + -XX:TieredStopAtLevel=1 (C1 only)" 0 'PLASM_JAVA_OPTS=-XX:TieredStopAtLevel=1 "$I/bin/plasm" run "$H"'
  add "(t3) (b) with G1 instead of Serial" 0 'PLASM_JAVA_OPTS=-XX:+UseG1GC "$I/bin/plasm" run "$H"'
  add "(t4) (b) with +DontCompileHugeMethods (JVM default)" 0 'PLASM_JAVA_OPTS=-XX:+DontCompileHugeMethods "$I/bin/plasm" run "$H"'
  add "(t5) (b) with -Xshare:off (no CDS, no AOT)" 0 'PLASM_AOT=off PLASM_JAVA_OPTS=-Xshare:off "$I/bin/plasm" run "$H"'
  add "(t6) (b) with -XX:-UsePerfData" 0 'PLASM_JAVA_OPTS=-XX:-UsePerfData "$I/bin/plasm" run "$H"'
  add "(t7) bin/plasm run --json hello.wasm" 0 '"$I/bin/plasm" run --json "$H"'
  add "(t8) bin/plasm run --engine chicory-compiler" 0 '"$I/bin/plasm" run --engine chicory-compiler "$H"'
fi
if [ -n "$steady" ]; then
  fuel="run --fuel 300000000 --timeout 10m \"\$L\""
  add "(s1) long job, launcher flags" 123 "\"\$I/bin/plasm\" $fuel"
  add "(s2) long job, -XX:TieredStopAtLevel=1" 123 "PLASM_JAVA_OPTS=-XX:TieredStopAtLevel=1 \"\$I/bin/plasm\" $fuel"
  add "(s3) long job, G1" 123 "PLASM_JAVA_OPTS=-XX:+UseG1GC \"\$I/bin/plasm\" $fuel"
  add "(s4) long job, +DontCompileHugeMethods" 123 "PLASM_JAVA_OPTS=-XX:+DontCompileHugeMethods \"\$I/bin/plasm\" $fuel"
  add "(s5) long job, no AOT cache" 123 "PLASM_AOT=off \"\$I/bin/plasm\" $fuel"
fi
export I=$image J=$JAVA_HOME M=$modules H=$hello L=$loop B=$baseline
cd "$root"

now() { date +%s%N; }
# run_case INDEX: prints the wall time and the CPU time (user + system, of the process and its
# children) in ms; fails loudly on an unexpected exit code.
run_case() {
  local i=$1 s e rc=0 cpu
  local TIMEFORMAT='%U %S'
  s=$(now)
  cpu=$( { time bash -c "${cmds[$i]}" </dev/null >"$scratch/out" 2>"$scratch/err" || echo "rc=$?"; } 2>&1)
  e=$(now)
  # Two lines when the command failed: the times, and rc=N.
  case $cpu in *rc=*) rc=$(sed -n 's/^rc=//p' <<<"$cpu"); cpu=$(grep -v '^rc=' <<<"$cpu") ;; esac
  if [ "$rc" != "${rcs[$i]}" ]; then
    echo "startup.sh: ${labels[$i]}: exit $rc, expected ${rcs[$i]}" >&2
    cat "$scratch/out" "$scratch/err" >&2
    exit 1
  fi
  echo "$(((e - s) / 1000000)) $(awk -v u="${cpu% *}" -v y="${cpu#* }" 'BEGIN {printf "%d", (u + y) * 1000}')"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image:   $image ($(du -sh -- "$image" | cut -f1); AOT cache $(du -h -- "$image/lib/plasm.aot" 2>/dev/null | cut -f1 || echo missing))"
[ -z "$clients" ] || echo "daemon:  $image/bin/plasm daemon on $daemon_addr (pid $daemon_pid, p2p $([ -n "$p2p" ] && echo on || echo off)), job $job_id"
[ -z "$baseline" ] || echo "baseline: $baseline ($(du -sh -- "$baseline" | cut -f1))"
echo "JDK:     $JAVA_HOME ($("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p))"
echo "runs:    $runs per case, interleaved, after one warm-up round"
echo

n=${#cmds[@]}
for ((i = 0; i < n; i++)); do run_case "$i" >/dev/null; done # warm-up: page cache, first-run effects
declare -a times cpus
for ((r = 1; r <= runs; r++)); do
  for ((i = 0; i < n; i++)); do
    read -r w c < <(run_case "$i")
    times[i]+="$w " cpus[i]+="$c "
  done
  [ -t 2 ] && printf '\rround %d/%d' "$r" "$runs" >&2
done
[ -t 2 ] && printf '\r%*s\r' 20 '' >&2

printf '%-52s %9s %7s %7s %8s\n' "case" "median ms" "min" "max" "cpu ms"
declare -a med cpu
for ((i = 0; i < n; i++)); do
  # shellcheck disable=SC2086
  med[i]=$(printf '%s\n' ${times[i]} | median)
  # shellcheck disable=SC2086
  read -r lo hi < <(printf '%s\n' ${times[i]} | sort -n | sed -n '1p;$p' | paste -sd' ')
  # shellcheck disable=SC2086
  cpu[i]=$(printf '%s\n' ${cpus[i]} | median)
  printf '%-52s %9d %7d %7d %8d\n' "${labels[i]}" "${med[i]}" "$lo" "$hi" "${cpu[i]}"
done
echo
awk -v b="${med[1]}" -v a="${med[0]}" -v cb="${cpu[1]}" -v ca="${cpu[0]}" 'BEGIN {r = b / a; printf "ratio (b)/(a) = %.2fx (target <= 2x: %s; CPU time %.2fx)\n", r, (r <= 2 ? "met" : "NOT met"), cb / ca}'
# Every client case against (a): "ratio (e)/(a) = ..." (the (r) line is the round trip's own cost).
for ((i = 0; i < n; i++)); do
  case ${labels[i]} in
    "("[e-j]")"* | "(r)"*)
      awk -v x="${med[i]}" -v a="${med[0]}" -v cx="${cpu[i]}" -v ca="${cpu[0]}" -v l="${labels[i]%%)*})" -v name="${labels[i]#*) }" \
        'BEGIN {r = x / a; printf "ratio %s/(a) = %.2fx%s; CPU time %.2fx  %s\n", l, r, (l == "(r)" ? "" : (r <= 2 ? " (<= 2x: met)" : " (<= 2x: NOT met)")), cx / ca, name}' ;;
  esac
done
awk -v c="${med[2]}" -v b="${med[1]}" -v d="${med[3]}" 'BEGIN {printf "AOT cache saves %d ms (c - b); the image with AOT is %.1fx faster than a plain module path (d/b)\n", c - b, d / b}'
if [ -n "$baseline" ]; then
  awk -v b="${med[1]}" -v b0="${med[4]}" 'BEGIN {printf "change against the baseline image: (b)/(b0) = %.2fx (%+d ms)\n", b / b0, b - b0}'
  for ((i = 0; i < n; i++)); do
    case ${labels[i]} in
      "("[e-j]"0)"*)
        x=${labels[i]:1:1}
        for ((k = 0; k < n; k++)); do
          [ "${labels[k]:0:3}" = "($x)" ] && awk -v c="${med[k]}" -v c0="${med[i]}" -v x="$x" \
            'BEGIN {printf "change against the baseline image: (%s)/(%s0) = %.2fx (%+d ms)\n", x, x, c / c0, c - c0}'
        done ;;
    esac
  done
fi
echo "image size: $(du -sh -- "$image" | cut -f1) ($(du -sh -- "$image/lib/modules" | cut -f1) lib/modules, $(du -sh -- "$image/lib/server" | cut -f1) lib/server, $(du -sh -- "$image/lib/plasm.aot" | cut -f1) lib/plasm.aot$([ -f "$image/lib/plasm-client.aot" ] && echo ", $(du -sh -- "$image/lib/plasm-client.aot" | cut -f1) lib/plasm-client.aot"))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
