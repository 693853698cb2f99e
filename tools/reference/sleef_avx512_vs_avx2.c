/*
 * Does torch's avx512 CPU capability give other exp/log/expm1 bits than its avx2 one?
 *
 * torch built with AVX-512 kernels (ATEN_CPU_CAPABILITY=avx512, e.g. PyPI wheels on AVX-512 CPUs) runs SLEEF's
 * 16-lane AVX-512F build (Sleef_expf16_u10 ...) where the avx2 kernel runs the 8-lane AVX2 build (Sleef_expf8_u10).
 * Debian's torch 1.13 has no AVX-512 kernels, so this compares the two SLEEF builds directly, on every float32
 * input, in the system's libsleef (Debian's 3.5.1, the library Debian's torch links). Needs an AVX-512F CPU.
 *
 *   gcc -O2 -mavx512f -o /tmp/sleef_cmp tools/reference/sleef_avx512_vs_avx2.c -l:libsleef.so.3 && /tmp/sleef_cmp
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__m256 Sleef_expf8_u10avx2(__m256);
__m256 Sleef_logf8_u10avx2(__m256);
__m256 Sleef_expm1f8_u10avx2(__m256);
__m512 Sleef_expf16_u10avx512f(__m512);
__m512 Sleef_logf16_u10avx512f(__m512);
__m512 Sleef_expm1f16_u10avx512f(__m512);

typedef __m256 (*f8)(__m256);
typedef __m512 (*f16)(__m512);

static int same(uint32_t a, uint32_t b) {
  int nan_a = (a & 0x7fffffffu) > 0x7f800000u, nan_b = (b & 0x7fffffffu) > 0x7f800000u;
  return a == b || (nan_a && nan_b);
}

static void compare(const char *name, f8 avx2, f16 avx512) {
  uint64_t differ = 0;
  for (uint64_t base = 0; base < (1ull << 32); base += 16) {
    uint32_t in[16], out8[16], out16[16];
    for (int k = 0; k < 16; k++) in[k] = (uint32_t)(base + k);
    __m256 lo, hi;
    memcpy(&lo, in, 32);
    memcpy(&hi, in + 8, 32);
    lo = avx2(lo);
    hi = avx2(hi);
    memcpy(out8, &lo, 32);
    memcpy(out8 + 8, &hi, 32);
    __m512 all;
    memcpy(&all, in, 64);
    all = avx512(all);
    memcpy(out16, &all, 64);
    for (int k = 0; k < 16; k++) {
      if (!same(out8[k], out16[k])) {
        if (differ < 5) {
          float x, a, b;
          memcpy(&x, &in[k], 4); memcpy(&a, &out8[k], 4); memcpy(&b, &out16[k], 4);
          printf("  %s(%a): avx2 %a, avx512f %a\n", name, x, a, b);
        }
        differ++;
      }
    }
  }
  printf("%s: %llu of 2^32 inputs differ between SLEEF's AVX2 and AVX-512F builds (NaN = NaN)\n", name,
         (unsigned long long)differ);
}

int main(void) {
  compare("exp", Sleef_expf8_u10avx2, Sleef_expf16_u10avx512f);
  compare("log", Sleef_logf8_u10avx2, Sleef_logf16_u10avx512f);
  compare("expm1", Sleef_expm1f8_u10avx2, Sleef_expm1f16_u10avx512f);
  return 0;
}
