// Shared by the corpus programs: each program times its main() with the monotonic clock and
// prints "guest-ms MILLISECONDS" on stderr (stdout carries only the checksum line). run.sh uses it
// for the native binary's run time without process start-up; the clock is WASI's clock_time_get
// under the engines.
#ifndef BENCH_H
#define BENCH_H
#include <stdio.h>
#include <time.h>

static double bench_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void bench_report(double start_ms) {
  fprintf(stderr, "guest-ms %.3f\n", bench_now_ms() - start_ms);
}
#endif
