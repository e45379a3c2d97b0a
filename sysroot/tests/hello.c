/* hello.c: sysroot smoke test — the smallest stdio program. */
#include <stdio.h>
int main(int argc, char **argv) { printf("hello from SwiftOS C, argc=%d argv0=%s\n", argc, argv[0]); return 0; }
