/*
 * Do glibc's FMA and SSE2 copies of expf, logf, sinf, cosf give the same bits?
 *
 * On x86-64 glibc picks, by ifunc, copies built with -mfma -mavx2 on CPUs with FMA and AVX2, and SSE2 copies on
 * older ones. flowmatch ports the FMA copies (dev.flowmatch.torchmath.GlibcFloatMath); this checks whether the SSE2
 * copies agree, by running the same binary twice, the second time with FMA and AVX2 masked off:
 *
 *   gcc -O2 -o /tmp/glibc_copies tools/reference/glibc_fma_vs_sse2.c -lm
 *   /tmp/glibc_copies /tmp/fma.bin
 *   GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA /tmp/glibc_copies /tmp/sse2.bin
 *   cmp /tmp/fma.bin /tmp/sse2.bin && echo same
 *
 * Writes expf, logf, sinf, cosf of every 61st float32 bit pattern (70,409,300 inputs). glibc 2.36 (Debian 12):
 * identical files.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.bin\n", argv[0]);
    return 2;
  }
  FILE *out = fopen(argv[1], "wb");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  for (uint64_t i = 0; i < (1ull << 32); i += 61) {
    uint32_t u = (uint32_t)i;
    float x;
    memcpy(&x, &u, 4);
    volatile float vx = x;
    float r[4] = {expf(vx), logf(vx), sinf(vx), cosf(vx)};
    fwrite(r, 4, 4, out);
  }
  return fclose(out) == 0 ? 0 : 1;
}
