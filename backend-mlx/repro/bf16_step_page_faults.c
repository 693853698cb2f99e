/*
 * Minimal mlx-c reproduction: on MLX's CPU backend (Linux, glibc), a bfloat16 step on [1, 16384, 128] costs many
 * times more per element than on [1, 4096, 128], because every evaluation page-faults its intermediates back in.
 *
 * It builds the graph backend-mlx builds for diffusers' bfloat16 Euler step (dev.flowmatch.mlx.Graph#affine with
 * AffineSpec(float32, bfloat16, float32, bfloat16), conversions NATIVE as ConversionProbe picks them on x86):
 *   out = astype(astype(1 * astype(x, f32) + astype(astype(rb * astype(y, f32), bf16), f32), ...), bf16)
 * evaluates it R times and prints the time and the minor page faults per step (getrusage).
 *
 * Why: MLX's CPU allocator (mlx/backend/no_gpu/allocator.cpp, v0.31.2) is plain malloc/free with no buffer cache
 * (its Metal and CUDA allocators keep one). The graph's float32 intermediates are 8 MB each at 16384 tokens (about
 * 28 MB per step); when they are freed after an evaluation, glibc may trim the free top of that malloc arena back
 * to the kernel (madvise(MADV_DONTNEED) once per step, seen with strace -f), so the next step faults every page
 * in again and the kernel zeroes each 4 KB page. glibc trims when the free top of a heap exceeds M_TRIM_THRESHOLD
 * (twice the largest block it has seen freed), so whether it happens depends on the order in which MLX's worker
 * thread and the caller free buffers. At 4096 tokens the intermediates (7 MB) stay under the threshold.
 * Pass "keep" to raise glibc's thresholds with mallopt first (what flowmatch's NativeHeap does for the native backends): no faults.
 *
 * Measured on the 2-core AMD EPYC VM of bench/RESULTS.md (load 13-18 from other jobs), MLX 0.31.2 CPU backend:
 *   16384 tokens, 5 runs:        0, 1276, 0, 0, 2756 faults/step; 6.0 to 98.9 ns/element
 *   16384 tokens under strace:   3623 and 4388 faults/step; 130 and 167 ns/element
 *   16384 tokens keep (strace):  0 faults/step; 7.4 ns/element
 *   4096 tokens:                 0 faults/step
 * In a JVM (backend-mlx without NativeHeap) it happens every step: 7,138 faults (28 MB) per step at 16384 tokens.
 *
 * Build and run (libmlxc from mlx-c built with MLX's CPU backend, e.g. in /work/mlx-install):
 *   cc -O2 bf16_step_page_faults.c -I/work/mlx-install/include -L/work/mlx-install/lib -lmlxc \
 *      -Wl,-rpath,/work/mlx-install/lib -o bf16_step_page_faults
 *   ./bf16_step_page_faults 4096; ./bf16_step_page_faults 16384; ./bf16_step_page_faults 16384 keep
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mlx/c/mlx.h"

static long minor_faults(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One bfloat16 DIFFUSERS step x + bf16(rb * y), rounded to bfloat16, as backend-mlx's graph. */
static mlx_array step(mlx_array x, mlx_array y, mlx_array one, mlx_array rb, mlx_stream s) {
  mlx_array xf = mlx_array_new(), px = mlx_array_new(), yf = mlx_array_new(), p = mlx_array_new();
  mlx_array pb = mlx_array_new(), py = mlx_array_new(), sum = mlx_array_new(), out = mlx_array_new();
  mlx_astype(&xf, x, MLX_FLOAT32, s);
  mlx_multiply(&px, one, xf, s);
  mlx_astype(&yf, y, MLX_FLOAT32, s);
  mlx_multiply(&p, rb, yf, s);
  mlx_astype(&pb, p, MLX_BFLOAT16, s);
  mlx_astype(&py, pb, MLX_FLOAT32, s);
  mlx_add(&sum, px, py, s);
  mlx_astype(&out, sum, MLX_BFLOAT16, s);
  mlx_array_free(xf); mlx_array_free(px); mlx_array_free(yf); mlx_array_free(p);
  mlx_array_free(pb); mlx_array_free(py); mlx_array_free(sum);
  return out;
}

int main(int argc, char** argv) {
  int tokens = argc > 1 ? atoi(argv[1]) : 16384;
  if (argc > 2 && strcmp(argv[2], "keep") == 0) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* the largest glibc allows: 8 MB buffers come from the heap */
    mallopt(M_TRIM_THRESHOLD, 512 << 20); /* keep up to 512 MB of freed heap instead of returning it */
  }
  int shape[3] = {1, tokens, 128};
  size_t n = (size_t) tokens * 128;
  float* values = malloc(n * sizeof(float));
  unsigned state = 1;
  for (size_t i = 0; i < n; i++) {
    state = state * 1664525u + 1013904223u;
    values[i] = (float) (state >> 8) / (1 << 24) * 4 - 2;
  }
  mlx_stream s = mlx_default_cpu_stream_new();
  mlx_array f = mlx_array_new_data(values, shape, 3, MLX_FLOAT32);
  mlx_array x = mlx_array_new(), y = mlx_array_new();
  mlx_astype(&x, f, MLX_BFLOAT16, s);
  mlx_astype(&y, f, MLX_BFLOAT16, s);
  mlx_array_eval(x);
  mlx_array_eval(y);
  mlx_array one = mlx_array_new_float(1.0f);
  mlx_array rb = mlx_array_new_float(-0.0325927734375f); /* dt = -0.0326 rounded to bfloat16 */
  int warmup = 5, steps = 20;
  double t0 = 0;
  long f0 = 0;
  for (int i = 0; i < warmup + steps; i++) {
    if (i == warmup) {
      t0 = now_us();
      f0 = minor_faults();
    }
    mlx_array out = step(x, y, one, rb, s);
    mlx_array_eval(out);
    mlx_array_free(out);
  }
  double us = (now_us() - t0) / steps;
  double faults = (double) (minor_faults() - f0) / steps;
  printf("tokens=%d%s: %.0f us/step, %.1f ns/element, %.0f minor page faults/step (%.1f MB)\n", tokens,
         argc > 2 ? " keep" : "", us, us * 1e3 / n, faults, faults * 4096 / 1048576.0);
  mlx_array_free(x); mlx_array_free(y); mlx_array_free(f); mlx_array_free(one); mlx_array_free(rb);
  mlx_stream_free(s);
  free(values);
  return 0;
}
