/* The program the README's quick start runs: greets, echoes its arguments, and reads
 * PLASM_GREETING from the environment if it is set. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *greeting = getenv("PLASM_GREETING");
  printf("%s from WebAssembly!\n", greeting ? greeting : "Hello");
  for (int i = 1; i < argc; i++) {
    printf("arg %d: %s\n", i, argv[i]);
  }
  return 0;
}
