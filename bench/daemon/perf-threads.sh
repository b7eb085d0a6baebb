#!/usr/bin/env bash
# Where the CPU of some processes went in a perf recording (bench/daemon/run.sh --profile writes
# DIR/perf.data): samples by thread (digits in names folded, so a worker's thread per job counts as
# one) and shared object (kernel, libjvm, wasmtime's library, libc, JIT-compiled Java), and, with a
# thread-name prefix, the hottest symbols of those threads.
#
#   bench/daemon/perf-threads.sh PERF.DATA PID[,PID...] [THREAD-PREFIX [N]]
#
# e.g. bench/daemon/perf-threads.sh DIR/perf.data 5697,5698 plasm-guest 30
# JIT-compiled methods are named from /tmp/perf-PID.map (run.sh writes them before perf stops).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
data=$1 pids=$2 prefix=${3:-} top=${4:-30}
[ -f "$data" ] || { echo "perf-threads: $data not found" >&2; exit 66; }
[[ $pids =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "perf-threads: PID list must be numbers separated by commas" >&2; exit 64; }

# Lines of `perf report -n --sort comm,dso,sym`: "PCT% SAMPLES COMM DSO [.] SYMBOL"; a thread name
# (comm) may hold spaces, and the DSO is the field that starts with "[" or "lib" or "ld-".
perf report -i "$data" -n --pid "$pids" --sort comm,dso,sym --stdio 2> /dev/null | grep -v '^#' | grep -v '^$' |
  awk -v prefix="$prefix" -v top="$top" '
    {
      n = $2; comm = ""; i = 3
      while (i <= NF && $i !~ /^(\[|lib|ld-)/) { comm = comm (comm == "" ? "" : " ") $i; i++ }
      dso = $i; if (dso == "[JIT]") { dso = "[JIT] (Java)"; i += 2 }
      sym = ""; for (j = i + 2; j <= NF; j++) sym = sym (sym == "" ? "" : " ") $j
      gsub(/[0-9]+/, "N", comm)
      byThread[comm] += n; byDso[comm "\t" dso] += n; all += n
      if (prefix != "" && index(comm, prefix) == 1) { bySym[dso " " sym] += n; mine += n }
    }
    END {
      printf "samples: %d\n-- by thread (share of these processes)\n", all
      for (t in byThread) printf "%7d %6.1f %%  %s\n", byThread[t], byThread[t] * 100 / all, t | "sort -rn"
      close("sort -rn")
      printf "-- by thread and shared object (share of the thread)\n"
      for (k in byDso) { split(k, a, "\t"); printf "%7d %6.1f %%  %-20s %s\n", byDso[k], byDso[k] * 100 / byThread[a[1]], a[1], a[2] | "sort -rn | head -40" }
      close("sort -rn | head -40")
      if (prefix != "") {
        printf "-- hottest symbols of threads %s* (share of those threads, %d samples)\n", prefix, mine
        for (s in bySym) printf "%7d %6.1f %%  %s\n", bySym[s], bySym[s] * 100 / (mine ? mine : 1), s | ("sort -rn | head -" top)
        close("sort -rn | head -" top)
      }
    }'
