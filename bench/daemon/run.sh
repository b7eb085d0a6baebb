#!/usr/bin/env bash
# Daemon benchmark: hello jobs through the HTTP API (results and discussion: docs/performance.md).
#
#   bench/daemon/run.sh [--quick] [--seconds N] [--image DIR] [--baseline-image DIR] [--no-fresh]
#                       [--no-syscalls] [--rounds N] [--clients LIST] [--profile DIR]
#                       [--fresh-driver] [--warmup-seconds N]
#
# Starts the image's `plasm daemon` on 127.0.0.1 with a fresh state directory (2 executors, the
# default), uploads examples/hello.wasm, runs untimed warm-up jobs (4 clients for --warmup-seconds,
# default 60: a worker's CPU per job falls for its first ~20,000 jobs as its JIT warms, see
# bench/daemon/worker-life.sh; a short warm-up measures compiling, not a node's steady state),
# records the idle resident memory of the daemon and of its warm workers (3 s and 35 s after the
# warm-up), then drives it with 1, 4 and 16 concurrent clients (bench/daemon/LoadDriver.java:
# submit, long-poll the result, repeat) for N seconds each (default 20; --quick: 5), sampling the
# peak resident memory meanwhile. For each case it prints jobs/s,
# p50/p90/p99 submit-to-result latency and the CPU time per job of each process (the daemon, its
# workers, the load driver: /proc utime + stime over the run divided by the jobs that ended in it).
# After the load: the daemon's RSS at once and after 15 s idle (is the heap given back?), then the
# system calls per job (fsync + fdatasync, futex, all; `perf stat` on the daemon and on its
# workers, 4 clients) unless --no-syscalls or perf cannot trace here.
#
# --baseline-image DIR runs every case on that image too, interleaved with this one case by case
# (two daemons, one idle while the other is driven), and prints the ratios this / baseline: the
# before-and-after of a change measured in the same minutes. --rounds N repeats the cases N times
# (default 1). The fresh-JVM baseline (workers.warm = false, a fresh worker JVM per job, 4 clients,
# at least 15 s) runs last unless --no-fresh. --clients LIST (comma list, default 1,4,16) chooses the
# client counts.
#
# --profile DIR profiles the case of the last client count in round 1 (this image only): a JFR
# recording (settings=profile plus JDK 25's CPU-time sampler) of the daemon and of each worker, to
# DIR/daemon-PID.jfr and DIR/worker-PID.jfr, started and stopped with the JDK's jcmd so that the
# warm-up and the other cases stay out; the CPU per job of every thread (/proc) in DIR/threads.txt;
# and, where perf can record, DIR/perf.data (the whole machine; bench/daemon/perf-threads.sh reads
# it by process). Sum a recording with bench/daemon/JfrAreas.java. The image must hold jdk.jfr,
# which the shipped one does not: build one with
# `PLASM_IMAGE_EXTRA_MODULES=jdk.jfr mvn -DskipTests -pl jlink -am package -Dplasm.image.dir=DIR2`
# (docs/performance.md, "Where a job's CPU goes"). Profiled processes run with --add-modules
# jdk.jfr and -XX:+DebugNonSafepoints, and workers.max-jobs is raised so that no worker is replaced
# during the recording.
# The load driver is one JVM for the whole run (LoadDriver.java --serve, warmed by the warm-up jobs
# like the daemon), so its CPU per job is a warm client's; --fresh-driver starts a fresh driver JVM
# for every case instead (the method before 2026-12-05: each case then pays the driver's JIT).
# Everything runs on loopback; the daemons are stopped and their state removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
secs=20 image=$root/jlink/target/image baseline= fresh=1 syscalls=1 rounds=1 clients="1 4 16" profile=
fresh_driver= warmup_secs=60
while [ $# -gt 0 ]; do
  case $1 in
    --quick) secs=5 ;;
    --seconds) secs=$2; shift ;;
    --image) image=$(cd "$2" && pwd); shift ;;
    --baseline-image) baseline=$(cd "$2" && pwd); shift ;;
    --no-fresh) fresh= ;;
    --no-syscalls) syscalls= ;;
    --rounds) rounds=$2; shift ;;
    --clients) clients=${2//,/ }; shift ;;
    --profile) profile=$(mkdir -p -- "$2" && cd "$2" && pwd); shift ;;
    --fresh-driver) fresh_driver=1 ;;
    --warmup-seconds) warmup_secs=$2; shift ;;
    -h | --help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --seconds needs a positive number" >&2; exit 64; }
[[ $warmup_secs =~ ^[0-9]+$ ]] || { echo "run.sh: --warmup-seconds needs a number of seconds" >&2; exit 64; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds needs a positive number" >&2; exit 64; }
[[ $clients =~ ^[1-9][0-9]*( [1-9][0-9]*)*$ ]] || { echo "run.sh: --clients needs a comma list of positive numbers, e.g. 4,16" >&2; exit 64; }

. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null
if [ ! -x "$image/bin/plasm" ]; then
  echo "run.sh: building the image (scripts/plasm --version)" >&2
  "$root/scripts/plasm" --version >/dev/null
fi
[ -z "$baseline" ] || [ -x "$baseline/bin/plasm" ] || { echo "run.sh: $baseline/bin/plasm is missing" >&2; exit 64; }
if [ -n "$profile" ] && ! "$image/bin/java" --list-modules | grep -q '^jdk\.jfr@'; then
  echo "run.sh: --profile needs an image with jdk.jfr, and $image has none; build one with" >&2
  echo "  PLASM_IMAGE_EXTRA_MODULES=jdk.jfr mvn -DskipTests -pl jlink -am package -Dplasm.image.dir=DIR" >&2
  echo "and pass --image DIR (docs/performance.md, \"Where a job's CPU goes\")" >&2
  exit 64
fi
perf_record=
if [ -n "$profile" ] && perf record -q -o "$profile/perf.check" -- true > /dev/null 2>&1; then perf_record=1; fi
rm -f -- "${profile:-/nonexistent}/perf.check"
if [ -n "$syscalls" ] && ! perf stat -e syscalls:sys_enter_fsync -- true >/dev/null 2>&1; then
  echo "run.sh: perf cannot trace system calls here (needs perf and access to tracepoints); skipping them" >&2
  syscalls=
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
tick=$(getconf CLK_TCK)

# rss_kib PID: the resident memory of a process alone; tree_kib PID: of it and its descendants.
# A process that ends meanwhile counts 0 (awk then prints nothing, or fails).
rss_kib() { local k; k=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null); echo "${k:-0}"; }
tree_kib() {
  local total=0 p
  for p in $(pgrep -P "$1") ; do total=$((total + $(tree_kib "$p"))); done
  echo $((total + $(rss_kib "$1")))
}
# cpu PID -> "SELF CHILDREN": clock ticks of the process (utime + stime) and of the workers it has
# reaped plus those alive now (so a worker replaced during a run is still counted).
cpu() {
  local self reaped live=0 p
  read -r self reaped < <(sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13, $14 + $15}')
  for p in $(pgrep -P "$1"); do
    live=$((live + $(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$self $((reaped + live))"
}

# start_daemon NAME IMAGE WARM -> sets $pid $base $state $sha
start_daemon() {
  state=$scratch/$1
  mkdir -p "$state"
  cat > "$scratch/$1.toml" <<TOML
[jobs]
queue-capacity = 10000
[workers]
warm = $3
TOML
  # --profile: JFR in the profiled daemon and its workers (the JVM resolves jdk.jfr only when asked);
  # DebugNonSafepoints makes the samples name the inlined method that runs, not the safepoint's.
  local jvm=
  if [ -n "$profile" ] && [ "$1" = new ]; then
    jvm="--add-modules=jdk.jfr -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints"
    printf 'max-jobs = 1000000000\njava-options = ["%s"]\n' "${jvm// /\", \"}" >> "$scratch/$1.toml"
  fi
  PLASM_JAVA_OPTS=$jvm PLASM_HOME=$state "$2/bin/plasm" daemon --config "$scratch/$1.toml" --listen 127.0.0.1:0 \
    --state-dir "$state" 2> "$scratch/$1.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do [ -s "$state/daemon.json" ] && break; sleep 0.1; done
  [ -s "$state/daemon.json" ] || { echo "run.sh: the daemon did not start:" >&2; cat "$scratch/$1.log" >&2; exit 70; }
  base=http://$(sed -n 's/.*"address": "\([^"]*\)".*/\1/p' "$state/daemon.json")
  sha=$(curl -sf -H "Authorization: Bearer $(cat "$state/token")" -H 'Content-Type: application/wasm' \
    --data-binary @"$root/examples/hello.wasm" "$base/v1/modules" | sed -n 's/.*"sha256" *: *"\([0-9a-f]*\)".*/\1/p')
  [ -n "$sha" ] || { echo "run.sh: the module upload failed" >&2; exit 70; }
}

# load NAME LABEL CLIENTS SECONDS WARMUP -> prints the driver's JSON line with the CPU per job added
declare -A BASE STATE SHA PID
load() {
  local name=$1 before after line jobs
  local args=(--base "${BASE[$name]}" --token-file "${STATE[$name]}/token" --module "${SHA[$name]}"
    --label "$2" --clients "$3" --seconds "$4" --warmup "$5")
  before=$(cpu "${PID[$name]}")
  if [ -n "$fresh_driver" ]; then
    line=$("$JAVA_HOME/bin/java" "$driver" "${args[@]}")
  else
    echo "${args[*]}" >&"${DRIVER[1]}"
    IFS= read -r line <&"${DRIVER[0]}" || { echo "run.sh: the load driver ended" >&2; exit 70; }
  fi
  after=$(cpu "${PID[$name]}")
  jobs=$(field "$line" jobsAll)
  awk -v l="$line" -v b="$before" -v a="$after" -v j="$jobs" -v t="$tick" -v d="$(field "$line" driverCpuMs)" 'BEGIN {
    split(b, x, " "); split(a, y, " "); j = (j > 0 ? j : 1)
    sub(/}$/, "", l)
    printf "%s,\"daemonCpuMsPerJob\":%.3f,\"workersCpuMsPerJob\":%.3f,\"driverCpuMsPerJob\":%.3f}\n", l,
      (y[1] - x[1]) * 1000 / t / j, (y[2] - x[2]) * 1000 / t / j, d / j }'
}
# jfr start|stop NAME [JOBS]: a JFR recording on the daemon and on each of its workers (the JDK's
# jcmd; settings=profile plus JDK 25's CPU-time sampler, one sample per ms of a thread's CPU, Java
# and native code alike), the CPU of each of their threads (/proc), and, where perf can record, a
# perf profile of the machine (`perf report --pid` picks a process; JIT-compiled methods are named
# through the JVMs' perf maps, written before it stops).
jfr() {
  local p=${PID[$2]} w cpu_sampler="jdk.CPUTimeSample#enabled=true jdk.CPUTimeSample#throttle=1ms"
  if [ "$1" = start ]; then
    JFR_PIDS="$p $(pgrep -P "$p" | paste -sd' ' -)"
    "$JAVA_HOME/bin/jcmd" "$p" JFR.start name=bench settings=profile $cpu_sampler filename="$profile/daemon-$p.jfr" > /dev/null
    for w in ${JFR_PIDS#* }; do
      "$JAVA_HOME/bin/jcmd" "$w" JFR.start name=bench settings=profile $cpu_sampler filename="$profile/worker-$w.jfr" > /dev/null
    done
    thread_cpu $JFR_PIDS > "$scratch/threads.0"
    PERF_PID=
    if [ -n "$perf_record" ]; then
      perf record -q -a -F 499 -o "$profile/perf.data" -- sleep "$secs" 2> /dev/null &
      PERF_PID=$!
    fi
  else
    thread_cpu $JFR_PIDS > "$scratch/threads.1"
    for w in $JFR_PIDS; do "$JAVA_HOME/bin/jcmd" "$w" JFR.stop name=bench > /dev/null; done
    [ "$p $(pgrep -P "$p" | paste -sd' ' -)" = "$JFR_PIDS" ] ||
      echo "run.sh: a worker was replaced during the recording; its successor is not in the profile" >&2
    if [ -n "$PERF_PID" ]; then
      for w in $JFR_PIDS; do "$JAVA_HOME/bin/jcmd" "$w" Compiler.perfmap > /dev/null; done
      wait "$PERF_PID" || true
    fi
    # CPU per job of each thread, threads named alike (digits folded) added up: in the daemon, and
    # in the workers together; "-" is the process's CPU that no live thread accounts for (threads
    # that ended meanwhile, such as a worker's thread per job).
    awk -v d="$p" -v j="$3" -v t="$tick" '
      NR == FNR {b[$1 " " $2] = $3; next}
      {k = $1 " " $2; name = ($2 == "-" ? "(threads that ended)" : substr($0, index($0, $4))); gsub(/[0-9]+/, "N", name)
       who = ($1 == d ? "daemon" : "workers"); c[who "\t" name] += $3 - b[k]; all[who] += $3 - b[k]}
      END {j = (j > 0 ? j : 1)
        for (x in c) if (c[x] > 0) {split(x, y, "\t"); printf "%s\t%.1f\t%.1f %%\t%s\n", y[1], c[x] * 1e6 / t / j, c[x] * 100 / all[y[1]], y[2]}
      }' "$scratch/threads.0" "$scratch/threads.1" | sort -t$'\t' -k1,1 -k2,2nr > "$profile/threads.txt"
    {
      echo "# profile: CPU per job by thread (us), share of the process, thread name; $3 jobs"
      cat "$profile/threads.txt"
      echo "# profile: $(cd "$profile" && ls -- *.jfr | paste -sd' ' -) in $profile" \
        "(java bench/daemon/JfrAreas.java --jobs $3 FILE.jfr)${PERF_PID:+; perf.data (perf report -i $profile/perf.data --sort pid,dso)}"
    } >&2
  fi
}
# thread_cpu PID... -> "PID TID TICKS NAME" for every thread of each (utime + stime), and
# "PID - TICKS" for what the process's total has beyond its live threads
thread_cpu() {
  local p t n live
  for p; do
    live=0
    for t in /proc/"$p"/task/*; do
      n=$(sed 's/^.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')
      echo "$p ${t##*/} ${n:-0} $(cat "$t/comm" 2>/dev/null)"
      live=$((live + ${n:-0}))
    done
    echo "$p - $(( $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}') - live ))"
  done
}
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<< "$1"; }
label() { sed -n 's/.*"label":"\([^"]*\)".*/\1/p' <<< "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), (b > 0 ? a / b : 0)}'; }

# syscalls NAME -> "fsync futex all" per job, for the daemon and for its workers (4 clients, $secs s)
syscalls_per_job() {
  local name=$1 p=${PID[$1]} workers jobs
  workers=$(pgrep -P "$p" | paste -sd, -)
  "$JAVA_HOME/bin/java" "$driver" --base "${BASE[$name]}" --token-file "${STATE[$name]}/token" \
    --module "${SHA[$name]}" --label sys --clients 4 --seconds "$((secs + 2))" --warmup 0 > /dev/null &
  local drv=$!
  sleep 1
  local ev=syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_futex,raw_syscalls:sys_enter
  perf stat -x, -e "$ev" -p "$p" -o "$scratch/perf.d" -- sleep "$secs" 2>/dev/null &
  local pd=$!
  perf stat -x, -e "$ev" -p "$workers" -o "$scratch/perf.w" -- sleep "$secs" 2>/dev/null &
  local pw=$!
  local m0
  m0=$(metric "$name" 'plasm_jobs_total{outcome="completed"}')
  wait "$pd" "$pw" || true
  local m1
  m1=$(metric "$name" 'plasm_jobs_total{outcome="completed"}')
  wait "$drv" || true
  jobs=$((m1 - m0))
  for f in d w; do
    awk -F, -v j="$jobs" '
      /sys_enter_fsync|sys_enter_fdatasync/ {fs += $1}
      /sys_enter_futex/ {fx = $1}
      /raw_syscalls:sys_enter/ {all = $1}
      END {j = (j > 0 ? j : 1); printf "%.2f %.1f %.1f ", fs / j, fx / j, all / j}' "$scratch/perf.$f"
  done
  echo "$jobs"
}
metric() {
  curl -sf -H "Authorization: Bearer $(cat "${STATE[$1]}/token")" "${BASE[$1]}/metrics" \
    | awk -v k="$2" 'index($0, k " ") == 1 {print $2}'
}

names=(new)
images=("$image")
if [ -n "$baseline" ]; then names+=(base); images+=("$baseline"); fi

echo "# plasm daemon benchmark: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${secs}s per case, ${warmup_secs}s warm-up, driver: ${fresh_driver:+a fresh JVM per case}${fresh_driver:-one warm JVM}"
echo "# image: $image${baseline:+; baseline image: $baseline}"
declare -A IDLE_D IDLE_T LOADED IDLE_AFTER PEAK
for i in "${!names[@]}"; do
  n=${names[$i]}
  start_daemon "$n" "${images[$i]}" true
  BASE[$n]=$base STATE[$n]=$state SHA[$n]=$sha PID[$n]=$pid
done
if [ -z "$fresh_driver" ]; then
  coproc DRIVER { exec "$JAVA_HOME/bin/java" "$driver" --serve; }
  pids+=("$DRIVER_PID")
fi
for n in "${names[@]}"; do load "$n" warmup 4 "$((warmup_secs > 0 ? warmup_secs : 1))" 0 > /dev/null; done
sleep 3
for n in "${names[@]}"; do
  IDLE_D[$n]=$(rss_kib "${PID[$n]}") IDLE_T[$n]=$(tree_kib "${PID[$n]}") PEAK[$n]=0
done
# Again past one period of the native-heap trim (30 s: daemon and workers give back what the C
# library kept of the memory they freed): what an idle node holds, not one just off its warm-up.
declare -A IDLE_T30
sleep 32
for n in "${names[@]}"; do IDLE_T30[$n]=$(tree_kib "${PID[$n]}"); done
results=()
for ((r = 1; r <= rounds; r++)); do
  ci=0
  for c in $clients; do
    ci=$((ci + 1))
    for n in "${names[@]}"; do
      rec=
      [ -n "$profile" ] && [ "$r" = 1 ] && [ "$n" = new ] && [ "$ci" = "$(wc -w <<< "$clients")" ] && rec=1
      [ -z "$rec" ] || jfr start "$n"
      ( while kill -0 "${PID[$n]}" 2>/dev/null; do tree_kib "${PID[$n]}"; sleep 0.2; done ) > "$scratch/rss.$n.$c" &
      sampler=$!
      results+=("$(load "$n" "$n-warm-$c" "$c" "$secs" 1)")
      [ -z "$rec" ] || jfr stop "$n" "$(field "${results[-1]}" jobsAll)"
      kill "$sampler" 2>/dev/null || true
      wait "$sampler" 2>/dev/null || true
      p=$(sort -n "$scratch/rss.$n.$c" | tail -1)
      [ "${p:-0}" -gt "${PEAK[$n]}" ] && PEAK[$n]=$p
    done
  done
done
for n in "${names[@]}"; do LOADED[$n]=$(rss_kib "${PID[$n]}"); done
sleep 15
for n in "${names[@]}"; do IDLE_AFTER[$n]=$(rss_kib "${PID[$n]}"); done
declare -A SYS
if [ -n "$syscalls" ]; then
  for n in "${names[@]}"; do SYS[$n]=$(syscalls_per_job "$n"); done
fi
for n in "${names[@]}"; do kill "${PID[$n]}"; wait "${PID[$n]}" 2>/dev/null || true; done

base_line=
if [ -n "$fresh" ]; then
  start_daemon cold "$image" false
  BASE[cold]=$base STATE[cold]=$state SHA[cold]=$sha PID[cold]=$pid
  # A fresh JVM per job takes about a second: give the baseline long enough to finish some.
  base_line=$(load cold "fresh-jvm-4" 4 "$((secs < 15 ? 15 : secs))" 3)
  results+=("$base_line")
fi

printf '\n%-16s %7s %8s %8s %8s %8s %6s %10s %10s %10s\n' case clients jobs/s p50_ms p90_ms p99_ms 429s \
  daemon_cpu workers_cpu driver_cpu
printf '%-16s %7s %8s %8s %8s %8s %6s %10s %10s %10s\n' '' '' '' '' '' '' '' ms/job ms/job ms/job
for r in "${results[@]}"; do
  printf '%-16s %7s %8s %8s %8s %8s %6s %10s %10s %10s\n' "$(label "$r")" "$(field "$r" clients)" \
    "$(field "$r" jobsPerSecond)" "$(field "$r" p50Ms)" "$(field "$r" p90Ms)" "$(field "$r" p99Ms)" \
    "$(field "$r" refused429)" "$(field "$r" daemonCpuMsPerJob)" "$(field "$r" workersCpuMsPerJob)" \
    "$(field "$r" driverCpuMsPerJob)"
done
if [ -n "$baseline" ]; then
  echo
  echo "this image / baseline image, same run (jobs/s higher is better; p99 and CPU lower is better):"
  printf '%-10s %8s %8s %12s %12s\n' clients jobs/s p99 daemon_cpu workers_cpu
  for c in $clients; do
    # Means over the rounds of each image.
    a=$(printf '%s\n' "${results[@]}" | grep "\"label\":\"new-warm-$c\"" || true)
    b=$(printf '%s\n' "${results[@]}" | grep "\"label\":\"base-warm-$c\"" || true)
    mean() { while read -r l; do field "$l" "$2"; done <<< "$1" | awk '{s += $1; n++} END {print (n ? s / n : 0)}'; }
    printf '%-10s %8s %8s %12s %12s\n' "$c" "$(ratio "$(mean "$a" jobsPerSecond)" "$(mean "$b" jobsPerSecond)")" \
      "$(ratio "$(mean "$a" p99Ms)" "$(mean "$b" p99Ms)")" \
      "$(ratio "$(mean "$a" daemonCpuMsPerJob)" "$(mean "$b" daemonCpuMsPerJob)")" \
      "$(ratio "$(mean "$a" workersCpuMsPerJob)" "$(mean "$b" workersCpuMsPerJob)")"
  done
fi
echo
if [ -n "$base_line" ]; then
  w4=$(field "$(printf '%s\n' "${results[@]}" | grep '"label":"new-warm-4"' | head -1)" jobsPerSecond)
  [ -n "$w4" ] && echo "warm pool vs fresh JVM per job, 4 clients: $(ratio "$w4" "$(field "$base_line" jobsPerSecond)")x the jobs/s"
fi
for n in "${names[@]}"; do
  echo "memory (RSS, $n): daemon idle $((IDLE_D[$n] / 1024)) MiB, daemon + warm workers idle $((IDLE_T[$n] / 1024)) MiB" \
    "(35 s after the warm-up: $((IDLE_T30[$n] / 1024)) MiB);"
  echo "              daemon after load $((LOADED[$n] / 1024)) MiB, 15 s later $((IDLE_AFTER[$n] / 1024)) MiB;" \
    "peak daemon + workers under load $((PEAK[$n] / 1024)) MiB"
  if [ -n "${SYS[$n]:-}" ]; then
    read -r dfs dfx dall wfs wfx wall sj <<< "${SYS[$n]}"
    echo "system calls per job ($n, 4 clients, $sj jobs): daemon $dfs fsync, $dfx futex, $dall in all;" \
      "workers $wfs fsync, $wfx futex, $wall in all"
  fi
done
echo "targets (issue 18): >= 1000 jobs/s at 16 clients; p99 < 20 ms at 4 clients; daemon + warm workers idle < 300 MiB"
for r in "${results[@]}"; do echo "$r"; done
