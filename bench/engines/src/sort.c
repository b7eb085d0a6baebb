// sort N: sorts N 32-bit ints from a fixed-seed PRNG (xorshift32) with a hand-written
// introsort-style quicksort (median of three, insertion sort below 16 elements), so that every
// target runs the same algorithm (libc qsort differs between glibc and wasi-libc). Measures
// compares, branches and memory traffic. Checks the order and prints a hash of the result.
#include "bench.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void insertion(int32_t *a, long n) {
  for (long i = 1; i < n; i++) {
    int32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void quick(int32_t *a, long n) {
  while (n > 16) {
    long m = n / 2;
    int32_t x = a[0], y = a[m], z = a[n - 1];
    int32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i >= j) break;
      int32_t t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    // recurse into the smaller part, loop on the larger: O(log n) stack
    if (j + 1 < n - j - 1) { quick(a, j + 1); a += j + 1; n -= j + 1; }
    else { quick(a + j + 1, n - j - 1); n = j + 1; }
  }
  insertion(a, n);
}

int main(int argc, char **argv) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int32_t *a = malloc(sizeof(int32_t) * (size_t)n);
  if (!a) { fputs("out of memory\n", stderr); return 1; }
  uint32_t s = 2463534242u;
  for (long i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    a[i] = (int32_t)s;
  }
  quick(a, n);
  uint64_t h = 0xcbf29ce484222325ull;
  for (long i = 0; i < n; i++) {
    if (i > 0 && a[i - 1] > a[i]) { printf("sort %ld: NOT SORTED at %ld\n", n, i); return 1; }
    h = (h ^ (uint32_t)a[i]) * 0x100000001b3ull;
  }
  bench_report(start);
  printf("sort %ld: min %d median %d max %d hash %016llx\n", n, a[0], a[n / 2], a[n - 1], (unsigned long long)h);
  return 0;
}
