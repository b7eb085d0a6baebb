#!/usr/bin/env bash
# Engine benchmark: the same WASI programs on every Plasm engine, on Node's V8 and natively
# (results and discussion: docs/performance.md, "Engine benchmark").
#
#   bench/engines/run.sh [-n RUNS] [--warm N] [--warm-rounds R] [--quick | --check] [--profiles LIST]
#                        [--engines LIST] [--programs LIST] [--slow-large] [--image DIR]
#
# Builds the corpus (src/*.c) for wasm32-wasi with clang -O2, natively with gcc -O2 ("native",
# the baseline of the ratios) and with clang -O2 ("native-clang": the compiler that made the
# .wasm), compiles the in-process harness (harness/) and the wasmtime-java baseline (raw/), then
# for every program of each size profile (corpus.txt):
#   - runs it RUNS times as a whole process on each engine, round-robin (native, native-clang,
#     v8, wasmtime-java, then every engine `plasm engines --json` lists): the native binaries,
#     `node wasi-run.mjs`, `java RawWasmtime` (the image's wasmtime-java with its default
#     settings on a plain JVM, no Plasm), `bin/plasm run --engine ID`;
#   - compiles it once per engine in one fresh process and runs it 1 + N times there (the first
#     run is the cold one, the median of the other N is the warm time): the Java harness on the
#     image's JVM for each Plasm engine, RawWasmtime --warm for wasmtime-java, wasi-run.mjs
#     --warm for V8.
# Every run's output is checked against corpus.txt. Prints Markdown tables (medians, ratios to
# native and to V8 measured in the same run) and keeps the raw numbers in build/results/.
#
# Options:
#   -n, --runs N       whole-process runs per program and engine (default 5)
#   --warm N           warm in-process runs after the first one (default 5)
#   --warm-rounds R    repeat the in-process measurement R times, engines in turn, each in a fresh
#                      process; the medians are over all R rounds (default 1). On a machine others
#                      share, R = 3 keeps one engine's unlucky minute from deciding its warm time.
#   --quick            a ~3-minute run: -n 1 --warm 2, one warm compile
#   --check            build, then run every program once on every engine (and once warm) at the
#                      tiny `check` sizes; verifies every checksum, prints no timings; exit 0 when
#                      all pass. Small enough for a test run (~30 s).
#   --profiles LIST    comma-separated size profiles (default small,large; see corpus.txt)
#   --engines LIST     comma-separated subset: native, native-clang, v8, wasmtime-java and Plasm
#                      engine ids (default all)
#   --programs LIST    comma-separated subset of the corpus programs (default all)
#   --slow-large       also run engines whose mode is "interpreter" on the large profile (slow)
#   --image DIR        a runtime image to use instead of building jlink/target/image
#   --cold-cache       empty Plasm's compiled-module cache ($PLASM_HOME/cache) before every
#                      whole-process run, so that `plasm run` compiles every time as wasmtime-java
#                      does (default: the cache is kept, as for a user running a module again)
#
# Needs: clang, lld, wasi-libc, libclang-rt-14-dev-wasm32 and gcc (installed with apt-get when
# missing and run as root), Node.js 20+, a JDK 25 (scripts/lib/java25.sh) and Maven for the image.
# Runs with an empty PLASM_HOME, so the engines are the image's own (boot and image plugins/).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$here/build

die() { echo "run.sh: $*" >&2; exit "${2:-1}"; }
usage_error() { echo "run.sh: $1 (see --help)" >&2; exit 64; }

command_line=bench/engines/run.sh
for a in "$@"; do
  if [[ $a =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then command_line+=" $a"; else command_line+=" $(printf '%q' "$a")"; fi
done
runs= warm= compiles= mode=full profiles= engine_filter= program_filter= slow_large= image= warm_rounds=1 cold_cache=
while [ $# -gt 0 ]; do
  case $1 in
    -n | --runs) [ $# -ge 2 ] || usage_error "$1 needs a value"; runs=$2; shift ;;
    --warm) [ $# -ge 2 ] || usage_error "$1 needs a value"; warm=$2; shift ;;
    --cold-cache) cold_cache=1 ;;
    --warm-rounds) [ $# -ge 2 ] || usage_error "$1 needs a value"; warm_rounds=$2; shift ;;
    --quick) mode=quick ;;
    --check) mode=check ;;
    --profiles) [ $# -ge 2 ] || usage_error "$1 needs a value"; profiles=$2; shift ;;
    --engines) [ $# -ge 2 ] || usage_error "$1 needs a value"; engine_filter=$2; shift ;;
    --programs) [ $# -ge 2 ] || usage_error "$1 needs a value"; program_filter=$2; shift ;;
    --slow-large) slow_large=1 ;;
    --image) [ $# -ge 2 ] || usage_error "$1 needs a value"; image=$(cd "$2" && pwd) || usage_error "no directory $2"; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown argument $1" ;;
  esac
  shift
done
case $mode in
  full) : "${runs:=5}" "${warm:=5}" "${compiles:=3}" "${profiles:=small,large}" ;;
  quick) : "${runs:=1}" "${warm:=2}" "${compiles:=1}" "${profiles:=small,large}" ;;
  check) : "${runs:=1}" "${warm:=1}" "${compiles:=1}" "${profiles:=check}" ;;
esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage_error "-n needs a positive whole number"
[[ $warm =~ ^[1-9][0-9]*$ ]] || usage_error "--warm needs a positive whole number"
[[ $warm_rounds =~ ^[1-9][0-9]*$ ]] || usage_error "--warm-rounds needs a positive whole number"

# ---------------------------------------------------------------------------------------------
# Tools

# The WebAssembly C toolchain (Debian packages), gcc for the native build.
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
[ -d /usr/lib/wasm32-wasi ] || [ -d /usr/share/wasi-sysroot ] || missing+=(wasi-libc)
if command -v clang >/dev/null; then
  builtins=$(clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)
  [ -n "$builtins" ] && [ -f "$builtins" ] || missing+=(libclang-rt-14-dev-wasm32)
else
  missing+=(libclang-rt-14-dev-wasm32)
fi
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
      { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
      die "apt-get could not install ${missing[*]}" 69
  else
    die "the compilers are incomplete (missing: ${missing[*]}). On Debian/Ubuntu run:
  sudo apt-get install ${missing[*]}" 69
  fi
fi
. "$root/scripts/lib/wasm-toolchain.sh" # compile_c: clang --target=wasm32-wasi -O2 -Wl,--strip-debug

command -v node >/dev/null || die "Node.js 20 or newer is needed (the V8 reference and the report); install it (e.g. from nodejs.org or NodeSource)" 69
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: node:wasi with version 'preview1' needs Node 20+" 69

. "$root/scripts/lib/java25.sh"
require_java25 >/dev/null # JAVA_HOME: javac for the harness (exits 69 explaining what to install)

if [ -z "$image" ]; then
  "$root/scripts/plasm" --version >/dev/null ||
    die "could not build the runtime image (scripts/plasm --version failed, see above).
  To benchmark the image that is there as it is, pass --image jlink/target/image" 70
  image=$root/jlink/target/image
fi
modules=$root/jlink/target/modules
[ -x "$image/bin/plasm" ] || die "$image/bin/plasm is missing; build the image (scripts/plasm --version)" 66
[ -d "$modules" ] || die "$modules is missing; build Plasm (scripts/plasm --version or mvn -DskipTests install)" 66
case $build${TMPDIR:-} in *[[:space:]]*) die "the harness is started through PLASM_JAVA_OPTS, which cannot hold a path with spaces: $build" 70 ;; esac

scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT
# Benchmark a copy of the image: a build started meanwhile (scripts/plasm, mvn install) rewrites
# jlink/target/image and must not change the engines halfway through. A copied image keeps its
# AOT cache working.
cp -r -- "$image" "$scratch/image" || die "could not copy $image to $scratch" 70
image_source=$image
image=$scratch/image

# Every engine runs with an empty PLASM_HOME (the image's engines only) and no inherited JVM options.
export PLASM_HOME=$scratch/home
mkdir -p "$PLASM_HOME"
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS PLASM_JAVA_OPTS PLASM_AOT

# Plasm engines in the image: "ID MODE" lines, in the order `plasm engines` lists them.
"$image/bin/plasm" engines --json >"$scratch/engines.json" || die "plasm engines --json failed" 70
mapfile -t plasm_engines < <(node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of j.problems ?? []) console.error(`run.sh: plugin problem: ${p.source}: ${p.message}`);
  for (const e of j.engines) console.log(`${e.id}\t${e.mode}`);' "$scratch/engines.json")
[ ${#plasm_engines[@]} -gt 0 ] || die "the image lists no engines" 70

selected() { # selected LIST ITEM: is ITEM in the comma-separated LIST (or LIST empty)?
  [ -z "$1" ] || [[ ",$1," == *",$2,"* ]]
}
engines=()
declare -A engine_mode
for e in native native-clang v8; do
  selected "$engine_filter" "$e" && engines+=("$e") && engine_mode[$e]=$e
done
# The baseline of Plasm's wasmtime engine: the same binding on a plain JVM (raw/RawWasmtime.java).
wasmtime_jar=$(ls "$modules"/wasmtime-java-*.jar 2>/dev/null | head -n 1 || true)
if [ -n "$wasmtime_jar" ] && [ -f "$image/lib/wasmtime/libwasmtime_jni.so" ] && selected "$engine_filter" wasmtime-java; then
  engines+=(wasmtime-java) && engine_mode[wasmtime-java]=native
fi
for line in "${plasm_engines[@]}"; do
  id=${line%%$'\t'*}
  selected "$engine_filter" "$id" && engines+=("$id") && engine_mode[$id]=${line#*$'\t'}
done
for e in ${engine_filter//,/ }; do
  [ -n "${engine_mode[$e]:-}" ] || usage_error "--engines: no engine '$e'; choose from native, native-clang, v8, wasmtime-java, $(printf '%s\n' "${plasm_engines[@]}" | cut -f1 | paste -sd, | sed 's/,/, /g')"
done
[ ${#engines[@]} -gt 0 ] || usage_error "--engines $engine_filter selects nothing; choose from native, native-clang, v8, $(printf '%s\n' "${plasm_engines[@]}" | cut -f1 | paste -sd, | sed 's/,/, /g')"

# ---------------------------------------------------------------------------------------------
# Build (always from scratch: a few seconds)

echo "run.sh: building the corpus and the harness in ${build#"$root"/}/" >&2
rm -rf -- "$build/wasm" "$build/native" "$build/native-clang" "$build/harness" "$build/raw"
mkdir -p "$build/wasm" "$build/native" "$build/native-clang" "$build/harness" "$build/raw" "$build/results"
for src in "$here"/src/*.c; do
  name=$(basename "$src" .c)
  compile_c "$build/wasm/$name.wasm" "$src" || die "clang failed on $src"
  gcc -O2 -o "$build/native/$name" "$src" -lm || die "gcc failed on $src"
  clang -O2 -o "$build/native-clang/$name" "$src" -lm || die "clang (native) failed on $src"
done
mapfile -t harness_sources < <(find "$here/harness" -name '*.java')
"$JAVA_HOME/bin/javac" -Xlint:all -Werror -d "$build/harness" -p "$modules" "${harness_sources[@]}" ||
  die "javac failed on the harness"
raw_cp=
if [ -n "${engine_mode[wasmtime-java]:-}" ]; then
  "$JAVA_HOME/bin/javac" -Xlint:all -Werror -d "$build/raw" -cp "$wasmtime_jar" "$here/raw/RawWasmtime.java" ||
    die "javac failed on raw/RawWasmtime.java"
  # The binding logs through slf4j: its API and the no-op provider keep stderr the guest's.
  raw_cp=$build/raw:$wasmtime_jar:$(ls "$modules"/slf4j-api-*.jar | head -n 1):$(ls "$modules"/slf4j-nop-*.jar | head -n 1)
fi
# A plain JVM: the JDK's own java with its default flags; only the native library's location is
# given (as Plasm's launcher does), so that the binding does not copy it to /tmp on every start.
raw_java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Djava.library.path="$image/lib/wasmtime" -cp "$raw_cp"
  dev.plasm.bench.raw.RawWasmtime)

# ---------------------------------------------------------------------------------------------
# Corpus

profile_list=() prog_list=() args_list=() expect_list=()
while IFS= read -r line; do
  case $line in '#'* | '') continue ;; esac
  left=${line%%|*} expected=${line#*|}
  expected=${expected# }
  read -r prof prog args <<<"$left"
  selected "$profiles" "$prof" || continue
  selected "$program_filter" "$prog" || continue
  [ -f "$here/src/$prog.c" ] || die "corpus.txt names $prog, but src/$prog.c does not exist"
  profile_list+=("$prof") prog_list+=("$prog") args_list+=("$args") expect_list+=("$expected")
done <"$here/corpus.txt"
[ ${#prog_list[@]} -gt 0 ] || usage_error "no corpus entries for --profiles ${profiles} --programs ${program_filter:-all}"

# ---------------------------------------------------------------------------------------------
# Measuring

stamp=$(date +%Y%m%d-%H%M%S)
out=$build/results/$stamp
[ "$mode" = check ] && out=$build/results/check-$stamp
mkdir -p "$out"
: >"$out/raw.tsv"
: >"$out/failures.txt"
printf '%s\n' "${engines[@]}" | while read -r e; do printf '%s\t%s\n' "$e" "${engine_mode[$e]}"; done >"$out/engines.tsv"

per_run_cap=15m # outer limit on any one process (a hung engine must not stall the run)
plasm_opts=(--timeout 10m --max-memory 512MiB)
loads=()

now_us() { echo "${EPOCHREALTIME/./}"; } # bash 5: microseconds, without forking date
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$out/raw.tsv"; }
fail() { echo "$*" >>"$out/failures.txt"; bar_clear; echo "run.sh: FAILED: $*" >&2; }

# runs_on PROFILE ENGINE: does the engine run this profile?
runs_on() {
  [ "$1" != large ] || [ "${engine_mode[$2]}" != interpreter ] || [ -n "$slow_large" ]
}

# run_process ENGINE PROGRAM ARGS...: one whole process; prints nothing, sets t_ms, rc, output in files.
run_process() {
  local engine=$1 prog=$2 s e
  shift 2
  local cmd
  case $engine in
    native | native-clang) cmd=("$build/$engine/$prog" "$@") ;;
    v8) cmd=(node --no-warnings "$here/wasi-run.mjs" "$build/wasm/$prog.wasm" "$@") ;;
    wasmtime-java) cmd=("${raw_java[@]}" "$build/wasm/$prog.wasm" "$@") ;;
    *) cmd=("$image/bin/plasm" run --engine "$engine" "${plasm_opts[@]}" "$build/wasm/$prog.wasm" -- "$@")
      [ -z "$cold_cache" ] || rm -rf "$PLASM_HOME/cache" ;;
  esac
  rc=0
  s=$(now_us)
  timeout -k 5 "$per_run_cap" "${cmd[@]}" </dev/null >"$scratch/out" 2>"$scratch/err" || rc=$?
  e=$(now_us)
  t_ms=$(awk -v d=$((e - s)) 'BEGIN {printf "%.3f", d / 1000}')
}

sample_load() { loads+=("$(cut -d' ' -f1 /proc/loadavg)"); }
cpu_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # user nice system irq softirq
own_child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }                  # cutime + cstime of this shell

machine="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy0=$(cpu_busy_ticks) own0=$(own_child_ticks) wall0=$(now_us)
echo "machine: $machine; load average before: $load_before" >&2
echo "engines: ${engines[*]}; profiles: $profiles; $runs process run(s), 1 + $warm in-process run(s) each; compiled-module cache: $([ -n "$cold_cache" ] && echo "emptied before every run" || echo kept)" >&2

declare -A dead # "profile|program|engine" -> 1 after a failure
total=${#prog_list[@]}

# A progress bar on the last line of the terminal (stderr only when it is one: never in a pipe or a
# CI log): every process run and every in-process run is one step.
bar_total=0 bar_done=0
for ((k = 0; k < total; k++)); do
  for e in "${engines[@]}"; do
    runs_on "${profile_list[k]}" "$e" || continue
    bar_total=$((bar_total + runs))
    case $e in native | native-clang) ;; *) bar_total=$((bar_total + warm_rounds)) ;; esac
  done
done
bar() { # bar WHAT: redraws the bar with what runs now
  [ -t 2 ] && [ "$bar_total" -gt 0 ] || return 0
  local cells=24 filled hashes dots
  filled=$((bar_done * cells / bar_total))
  printf -v hashes '%*s' "$filled" ''
  printf -v dots '%*s' $((cells - filled)) ''
  printf '\r\033[2K[%s%s] %3d%%  %d/%d  %s' "${hashes// /#}" "${dots// /.}" $((bar_done * 100 / bar_total)) \
    "$bar_done" "$bar_total" "$1" >&2
}
bar_clear() { [ -t 2 ] && printf '\r\033[2K' >&2 || true; }

for ((k = 0; k < total; k++)); do
  prof=${profile_list[k]} prog=${prog_list[k]} args=${args_list[k]} expected=${expect_list[k]}
  read -r -a argv <<<"$args"
  these=()
  for e in "${engines[@]}"; do runs_on "$prof" "$e" && these+=("$e"); done
  bar_clear
  printf 'run.sh: [%d/%d] %s: %s %s on %s\n' $((k + 1)) "$total" "$prof" "$prog" "$args" "${these[*]}" >&2

  # (a) whole processes, round-robin over the engines
  for ((r = 1; r <= runs; r++)); do
    sample_load
    for e in "${these[@]}"; do
      [ -z "${dead[$prof|$prog|$e]:-}" ] || { bar_done=$((bar_done + 1)); continue; }
      bar "$prog on $e, process run $r of $runs"
      run_process "$e" "$prog" "${argv[@]}"
      bar_done=$((bar_done + 1))
      if [ "$rc" != 0 ]; then
        fail "$prof $prog $args on $e (process): exit $rc: $(head -c 400 "$scratch/err" | tr '\n' ' ')"
        dead[$prof|$prog|$e]=1
      elif [ "$(cat "$scratch/out")" != "$expected" ] || [ "$(wc -l <"$scratch/out")" != 1 ]; then
        fail "$prof $prog $args on $e (process): printed '$(head -c 200 "$scratch/out" | tr '\n' ' ')', expected '$expected'"
        dead[$prof|$prog|$e]=1
      else
        record "$prof" "$prog" "$args" "$e" process "$t_ms"
        g=$(sed -n 's/^guest-ms //p' "$scratch/err" | tail -n 1)
        [ -z "$g" ] || record "$prof" "$prog" "$args" "$e" guest "$g"
      fi
    done
  done

  # (b) in one process, --warm-rounds times over the engines in turn (one fresh process each)
  for ((wr = 1; wr <= warm_rounds; wr++)); do
    sample_load
    if [[ " ${these[*]} " == *" v8 "* ]] && [ -z "${dead[$prof|$prog|v8]:-}" ]; then
      bar "$prog on v8, in one process (round $wr of $warm_rounds)"
      rc=0
      timeout -k 5 "$per_run_cap" node --no-warnings "$here/wasi-run.mjs" --warm "$warm" "$build/wasm/$prog.wasm" "${argv[@]}" \
        </dev/null >"$scratch/out" 2>"$scratch/err" || rc=$?
      bad=$(grep -cvxF -- "$expected" "$scratch/out" || true)
      lines=$(wc -l <"$scratch/out")
      if [ "$rc" != 0 ] || [ "$bad" != 0 ] || [ "$lines" != $((warm + 1)) ]; then
        fail "$prof $prog $args on v8 (in-process): exit $rc, $lines lines of output, $bad unexpected: $(head -c 300 "$scratch/err" | tr '\n' ' ')"
      else
        read -r _ c first _ list < <(grep '^timing ' "$scratch/err")
        record "$prof" "$prog" "$args" v8 compile_cold "$c"
        record "$prof" "$prog" "$args" v8 first "$first"
        for t in ${list//,/ }; do record "$prof" "$prog" "$args" v8 warm "$t"; done
      fi
    fi
    [[ " ${these[*]} " != *" v8 "* ]] || bar_done=$((bar_done + 1))

    # (b) in one process: each Plasm engine in a JVM of its own (so that its cold compile is cold and
    # no other engine's JIT work runs in the background), started through the image's launcher so
    # that the JVM has the flags of `plasm run`: PLASM_JAVA_OPTS puts the harness's -m before the
    # launcher's own. The AOT cache cannot be used with an extra module path: PLASM_AOT=off.
    for e in "${these[@]}"; do
      case $e in native | native-clang | v8) continue ;; esac
      bar_done=$((bar_done + 1))
      [ -z "${dead[$prof|$prog|$e]:-}" ] || continue
      bar "$prog on $e, in one process (round $wr of $warm_rounds)"
      rc=0
      if [ "$e" = wasmtime-java ]; then
        timeout -k 5 "$per_run_cap" "${raw_java[@]}" --warm "$warm" --compiles "$compiles" --expect "$expected" \
          "$build/wasm/$prog.wasm" "${argv[@]}" </dev/null >"$scratch/out" 2>"$scratch/err" || rc=$?
      else
        PLASM_AOT=off PLASM_JAVA_OPTS="-p $build/harness -m dev.plasm.bench/dev.plasm.bench.EngineHarness" \
          timeout -k 5 "$per_run_cap" "$image/bin/plasm" \
          --engines "$e" --expect "$expected" --warm "$warm" --compiles "$compiles" \
          --timeout 10m --max-memory 512MiB --plugin-dir "$image/plugins" --plugin-dir "$PLASM_HOME/plugins" \
          "$build/wasm/$prog.wasm" "${argv[@]}" </dev/null >"$scratch/out" 2>"$scratch/err" || rc=$?
      fi
      read -r _ cold cwarm first _ list cpus < <(grep "^$e " "$scratch/out" || echo "$e FAIL")
      if [ "$rc" != 0 ] || [ "$cold" = FAIL ]; then
        fail "$prof $prog $args on $e (in-process): harness exit $rc: $(grep "^$e FAIL" "$scratch/out" | cut -d' ' -f3- || true) $(head -c 300 "$scratch/err" | tr '\n' ' ')"
        continue
      fi
      record "$prof" "$prog" "$args" "$e" compile_cold "$cold"
      record "$prof" "$prog" "$args" "$e" compile_warm "$cwarm"
      record "$prof" "$prog" "$args" "$e" first "$first"
      for t in ${list//,/ }; do record "$prof" "$prog" "$args" "$e" warm "$t"; done
      for t in ${cpus//,/ }; do record "$prof" "$prog" "$args" "$e" warm_cpu "$t"; done
    done
  done
done

bar_clear

busy1=$(cpu_busy_ticks) own1=$(own_child_ticks) wall1=$(now_us)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
tck=$(getconf CLK_TCK)
wall_s=$(awk -v d=$((wall1 - wall0)) 'BEGIN {printf "%.0f", d / 1e6}')
load_summary=$(printf '%s\n' "${loads[@]}" | sort -n | awk '{v[NR] = $1} END {printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR]}')
cpu_summary=$(awk -v b=$((busy1 - busy0)) -v o=$((own1 - own0)) -v t="$tck" -v w="$wall_s" -v n="$(nproc)" 'BEGIN {
  others = (b - o) / t; if (others < 0) others = 0
  printf "the benchmark used %.0f CPU-s (%.2f CPUs on average), everything else %.0f CPU-s (%.2f of %d CPUs)", o / t, o / t / w, others, others / w, n }')

{
  echo "- command: \`$command_line\` (mode $mode: $runs process run(s) per engine and program, round-robin; 1 + $warm in-process runs in each of $warm_rounds round(s); $compiles warm compile(s))"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), $wall_s s in all; commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
  echo "- machine: $machine"
  echo "- load average (1 min) sampled before each program's rounds: min / median / max $load_summary; before $load_before, after $load_after"
  echo "- CPU time during the run: $cpu_summary"
  echo "- image: ${image_source#"$root"/} (copied for the run); engines: $(for e in "${engines[@]}"; do case $e in native | native-clang | v8) printf '%s, ' "$e" ;; *) printf '%s (mode %s), ' "$e" "${engine_mode[$e]}" ;; esac; done | sed 's/, $//') (Plasm $("$image/bin/plasm" --version 2>/dev/null | head -n 1); $("$image/bin/java" -version 2>&1 | sed -n 2p)); V8: Node $(node --version) (V8 $(node -p process.versions.v8))"
  echo "- compilers: $(clang --version | head -n 1) \`--target=wasm32-wasi -O2 -Wl,--strip-debug\` (and \`-O2\` for native-clang); $(gcc --version | head -n 1) \`-O2\` for native"
} >"$out/meta.txt"

ln -sfn "$(basename "$out")" "$build/results/latest"
nfail=$(wc -l <"$out/failures.txt")
if [ "$mode" = check ]; then
  nproc_runs=$(awk -F'\t' '$5 == "process"' "$out/raw.tsv" | wc -l)
  nwarm=$(awk -F'\t' '$5 == "warm"' "$out/raw.tsv" | wc -l)
  echo "check: ${#prog_list[@]} programs x ${#engines[@]} engines (${engines[*]}): $nproc_runs process runs and $nwarm warm runs gave the expected output; $nfail failure(s)"
  [ "$nfail" = 0 ] || { cat "$out/failures.txt" >&2; exit 1; }
  exit 0
fi
node "$here/report.mjs" "$out" | tee "$out/report.md"
echo
echo "run.sh: raw numbers and this report are in ${out#"$root"/}/ (raw.tsv, report.md)" >&2
[ "$nfail" = 0 ] || exit 1
