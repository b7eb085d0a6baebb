// sha256 KIB: SHA-256 over KIB kibibytes (rounded up to a multiple of 64) generated in the
// program (xorshift64*, fixed seed), hashed in 64 KiB chunks; measures 32-bit integer
// arithmetic, rotates and loads.
#include "bench.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t buf[64];
  size_t fill;
} sha256_ctx;

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(sha256_ctx *c, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
    h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
  }
  c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
  c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void init(sha256_ctx *c) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, h0, sizeof h0);
  c->bytes = 0;
  c->fill = 0;
}

static void update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->bytes += n;
  if (c->fill) {
    while (n && c->fill < 64) { c->buf[c->fill++] = *p++; n--; }
    if (c->fill < 64) return;
    block(c, c->buf);
    c->fill = 0;
  }
  for (; n >= 64; p += 64, n -= 64) block(c, p);
  memcpy(c->buf, p, n);
  c->fill = n;
}

static void final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->bytes * 8;
  uint8_t pad = 0x80;
  update(c, &pad, 1);
  pad = 0;
  while (c->fill != 56) update(c, &pad, 1);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  update(c, len, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24); out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8); out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

int main(int argc, char **argv) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  unsigned kib = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 64;
  unsigned chunks = (kib + 63) / 64;
  static uint64_t chunk[8192]; // 64 KiB
  uint64_t s = 0x9E3779B97F4A7C15ull;
  sha256_ctx c;
  init(&c);
  for (unsigned k = 0; k < chunks; k++) {
    for (int i = 0; i < 8192; i++) {
      s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
      uint64_t v = s * 0x2545F4914F6CDD1Dull;
      uint8_t *b = (uint8_t *)&chunk[i]; // little-endian bytes on both targets
      for (int j = 0; j < 8; j++) b[j] = (uint8_t)(v >> (8 * j));
    }
    update(&c, (const uint8_t *)chunk, sizeof chunk);
  }
  uint8_t d[32];
  final(&c, d);
  bench_report(start);
  printf("sha256 %u KiB = ", chunks * 64);
  for (int i = 0; i < 32; i++) printf("%02x", d[i]);
  putchar('\n');
  return 0;
}
