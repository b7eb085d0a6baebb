// vm N: a tiny register bytecode interpreter (a switch in a loop: one indirect branch per
// instruction, br_table in WebAssembly) running a bytecode program that counts the Collatz
// steps of every number from 1 to N and folds them into a checksum. Measures dispatch.
#include "bench.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { HALT, LOADI, MOV, ADD, ADDI, MUL, MULI, XOR, ANDI, SHRI, JMP, JZ, JNE, JLE };

typedef struct { uint8_t op, a, b, c; int32_t imm; } insn;

// r0 = i, r1 = n, r2 = total steps, r3 = x, r4 = scratch, r5 = 1, r6 = steps of i, r7 = checksum
static const insn program[] = {
    /*  0 */ {LOADI, 0, 0, 0, 1},
    /*  1 */ {LOADI, 2, 0, 0, 0},
    /*  2 */ {LOADI, 5, 0, 0, 1},
    /*  3 */ {LOADI, 7, 0, 0, 0},
    /*  4 */ {MOV, 3, 0, 0, 0},     // outer: x = i
    /*  5 */ {LOADI, 6, 0, 0, 0},   //   steps = 0
    /*  6 */ {JNE, 3, 5, 0, 8},     // inner: if x != 1 goto body
    /*  7 */ {JMP, 0, 0, 0, 16},    //   else done
    /*  8 */ {ANDI, 4, 3, 0, 1},    // body: t = x & 1
    /*  9 */ {JZ, 4, 0, 0, 13},     //   if even goto half
    /* 10 */ {MULI, 3, 3, 0, 3},    //   x = 3x
    /* 11 */ {ADDI, 3, 3, 0, 1},    //   x = x + 1
    /* 12 */ {JMP, 0, 0, 0, 14},
    /* 13 */ {SHRI, 3, 3, 0, 1},    // half: x = x >> 1
    /* 14 */ {ADDI, 6, 6, 0, 1},    //   steps++
    /* 15 */ {JMP, 0, 0, 0, 6},
    /* 16 */ {ADD, 2, 2, 6, 0},     // done: total += steps
    /* 17 */ {MULI, 7, 7, 0, 31},   //   checksum = checksum * 31 ^ steps
    /* 18 */ {XOR, 7, 7, 6, 0},
    /* 19 */ {ADDI, 0, 0, 0, 1},    //   i++
    /* 20 */ {JLE, 0, 1, 0, 4},     //   if i <= n goto outer
    /* 21 */ {HALT, 0, 0, 0, 0},
};

static uint64_t run(const insn *code, uint64_t *r, uint64_t *executed) {
  const insn *pc = code;
  uint64_t count = 0;
  for (;;) {
    const insn *i = pc++;
    count++;
    switch (i->op) {
      case HALT: *executed = count; return r[7];
      case LOADI: r[i->a] = (uint64_t)(int64_t)i->imm; break;
      case MOV: r[i->a] = r[i->b]; break;
      case ADD: r[i->a] = r[i->b] + r[i->c]; break;
      case ADDI: r[i->a] = r[i->b] + (uint64_t)(int64_t)i->imm; break;
      case MUL: r[i->a] = r[i->b] * r[i->c]; break;
      case MULI: r[i->a] = r[i->b] * (uint64_t)(int64_t)i->imm; break;
      case XOR: r[i->a] = r[i->b] ^ r[i->c]; break;
      case ANDI: r[i->a] = r[i->b] & (uint64_t)(int64_t)i->imm; break;
      case SHRI: r[i->a] = r[i->b] >> i->imm; break;
      case JMP: pc = code + i->imm; break;
      case JZ: if (r[i->a] == 0) pc = code + i->imm; break;
      case JNE: if (r[i->a] != r[i->b]) pc = code + i->imm; break;
      case JLE: if (r[i->a] <= r[i->b]) pc = code + i->imm; break;
      default: fprintf(stderr, "bad opcode %d\n", i->op); exit(2);
    }
  }
}

int main(int argc, char **argv) {
  double start = bench_now_ms(); // the whole of main, as the engines run it
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
  uint64_t r[8] = {0};
  r[1] = n;
  uint64_t executed;
  uint64_t sum = run(program, r, &executed);
  bench_report(start);
  printf("vm %llu: steps %llu instructions %llu checksum %016llx\n", (unsigned long long)n,
         (unsigned long long)r[2], (unsigned long long)executed, (unsigned long long)sum);
  return 0;
}
