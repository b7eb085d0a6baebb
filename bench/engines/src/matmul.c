// matmul N: C = A x B for N x N float64 matrices (i-k-j loop order), twice (the second
// product multiplies C by A); measures loads, stores and multiply-adds over a working set of
// 3 N^2 doubles. Prints the sum of the result and an FNV-1a hash of its bit patterns.
#include "bench.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void multiply(int n, const double *a, const double *b, double *c) {
  memset(c, 0, sizeof(double) * n * n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++) {
      double aik = a[i * n + k];
      const double *bk = b + k * n;
      double *ci = c + i * n;
      for (int j = 0; j < n; j++) ci[j] += aik * bk[j];
    }
}

int main(int argc, char **argv) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  int n = argc > 1 ? atoi(argv[1]) : 64;
  double *a = calloc((size_t)n * n, sizeof(double)), *b = calloc((size_t)n * n, sizeof(double));
  double *c = calloc((size_t)n * n, sizeof(double)), *d = calloc((size_t)n * n, sizeof(double));
  if (!a || !b || !c || !d) { fputs("out of memory\n", stderr); return 1; }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      a[i * n + j] = ((i * 31 + j * 17) % 101) / 100.0 - 0.5;
      b[i * n + j] = ((i * 13 + j * 7) % 97) / 50.0 - 0.9;
    }
  multiply(n, a, b, c);
  multiply(n, c, a, d);
  double sum = 0;
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < n * n; i++) {
    uint64_t bits;
    memcpy(&bits, &d[i], sizeof bits);
    sum += d[i];
    h = (h ^ bits) * 0x100000001b3ull;
  }
  bench_report(start);
  printf("matmul %d: %.6e %016llx\n", n, sum, (unsigned long long)h);
  return 0;
}
