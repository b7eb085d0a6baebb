// hello: the smallest WASI command; measures what starting a run costs.
#include "bench.h"
#include <stdio.h>

int main(void) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  puts("hello from the plasm engine benchmark");
  bench_report(start);
  return 0;
}
