// fib N: naive doubly recursive Fibonacci; measures calls and returns.
#include "bench.h"
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long long fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 30;
  unsigned long long f = fib(n);
  bench_report(start);
  printf("fib %u = %llu\n", n, f);
  return 0;
}
