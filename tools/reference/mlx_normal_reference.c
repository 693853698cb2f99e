/*
 * MLX's random.normal(shape, dtype, key=random.key(seed)) on MLX's CPU stream, through mlx-c: reference data for
 * flowmatch's MlxRandom (NoiseGenerator.MLX). Each draw is what Ollama's InitNoise calls:
 * mlx_random_normal(shape, dtype, 0, 1, mlx_random_key(seed)). Large draws are recorded as an FNV-1a 64-bit hash of
 * their bit patterns (uint32 per float32 value, uint16 per bfloat16 / float16 value, in order) and their first
 * values.
 *
 * Build and run from the repository root against an mlx-c install (here MLX 0.31.2's CPU backend):
 *
 *   gcc -O2 -I$MLXC/include tools/reference/mlx_normal_reference.c -L$MLXC/lib -lmlxc -Wl,-rpath,$MLXC/lib \
 *       -o /tmp/mlx_normal_reference
 *   /tmp/mlx_normal_reference > core/src/test/resources/reference/mlx-normal-hashes.json
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlx/c/mlx.h"

static const uint64_t SEEDS[] = {0ULL, 1ULL, 42ULL, 1234567890123ULL, 9223372036854775808ULL,
                                 18446744073709551615ULL, 0xDEADBEEFCAFEBABEULL};
static const int SHAPES[][4] = {{1, 128, 64, 64}, {1, 128, 63, 63}, {1, 128, 48, 80}, {1, 1, 1, 1},
                                {1, 1, 1, 3}, {1, 1, 7, 9}, {1, 5, 17, 3}};
static const int RANKS[] = {4, 4, 4, 1, 1, 2, 3};

static void check(int rc, const char* what) {
    if (rc != 0) {
        fprintf(stderr, "mlx-c call failed: %s\n", what);
        exit(1);
    }
}

int main(void) {
    mlx_stream cpu = mlx_default_cpu_stream_new();
    mlx_string version = mlx_string_new();
    mlx_version(&version);
    const mlx_dtype dtypes[] = {MLX_FLOAT32, MLX_BFLOAT16, MLX_FLOAT16};
    const char* names[] = {"float32", "bfloat16", "float16"};
    printf("{\"source\":\"tools/reference/mlx_normal_reference.c: MLX %s CPU stream through mlx-c,"
           " mlx_random_normal(shape, dtype, 0, 1, mlx_random_key(seed))\",\n", mlx_string_data(version));
    printf("\"schema\":\"mlx_normal_hashes[]: seed (uint64), shape, dtype, count; fnv1a64: FNV-1a 64 over the values'"
           " bit patterns (32-bit words for float32, 16-bit for bfloat16/float16) as hex; first: the first 8 patterns\",\n");
    printf("\"mlx_normal_hashes\":[");
    int first_entry = 1;
    for (size_t s = 0; s < sizeof(SEEDS) / sizeof(SEEDS[0]); s++) {
        for (size_t h = 0; h < sizeof(RANKS) / sizeof(RANKS[0]); h++) {
            if (h < 3 && s >= 3 && s != 5) {
                continue; /* the large Ollama latent shapes for a few seeds only */
            }
            const int* dims = SHAPES[h] + (4 - RANKS[h]);
            for (int d = 0; d < 3; d++) {
                mlx_array key = mlx_array_new(), normal = mlx_array_new(), view = mlx_array_new();
                check(mlx_random_key(&key, SEEDS[s]), "key");
                check(mlx_random_normal(&normal, dims, RANKS[h], dtypes[d], 0.0f, 1.0f, key, cpu), "normal");
                int wide = dtypes[d] == MLX_FLOAT32;
                check(mlx_view(&view, normal, wide ? MLX_UINT32 : MLX_UINT16, cpu), "view");
                check(mlx_array_eval(view), "eval");
                size_t n = mlx_array_size(view);
                uint64_t hash = 14695981039346656037ULL; /* the FNV-1a 64 offset basis */
                uint32_t firsts[8];
                for (size_t i = 0; i < n; i++) {
                    uint32_t bits = wide ? mlx_array_data_uint32(view)[i] : mlx_array_data_uint16(view)[i];
                    if (i < 8) {
                        firsts[i] = bits;
                    }
                    hash = (hash ^ bits) * 1099511628211ULL;
                }
                printf("%s\n{\"seed\":%" PRIu64 ",\"shape\":[", first_entry ? "" : ",", SEEDS[s]);
                first_entry = 0;
                for (int r = 0; r < RANKS[h]; r++) {
                    printf("%s%d", r ? "," : "", dims[r]);
                }
                printf("],\"dtype\":\"%s\",\"count\":%zu,\"fnv1a64\":\"%016" PRIx64 "\",\"first\":[", names[d], n, hash);
                for (size_t i = 0; i < n && i < 8; i++) {
                    printf("%s%" PRIu32, i ? "," : "", firsts[i]);
                }
                printf("]}");
                mlx_array_free(key);
                mlx_array_free(normal);
                mlx_array_free(view);
            }
        }
    }
    printf("\n]}\n");
    mlx_string_free(version);
    mlx_stream_free(cpu);
    return 0;
}
