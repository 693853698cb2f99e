package dev.flowmatch.noise;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.torchmath.GlibcFloatMath;
import java.util.Objects;

/**
 * MLX's {@code random.normal(shape, dtype, key=random.key(seed))} in plain Java, bit for bit as MLX 0.31.2's CPU
 * backend computes it: the noise Ollama's FLUX.2 engine starts from ({@code InitNoise} calls
 * {@code mlx_random_normal(shape, dtype, 0, 1, mlx_random_key(seed))}).
 *
 * <p>The steps, each one MLX operation (references are to {@code ml-explore/mlx} at {@code v0.31.2}):
 * <ol>
 *   <li>{@code random::key(seed)} ({@code mlx/random.cpp}): the key is the two 32-bit halves of the 64-bit seed,
 *       high half first.</li>
 *   <li>{@code random::bits(shape, 4, key)}: {@code RandomBits::eval_cpu} ({@code mlx/backend/cpu/primitives.cpp})
 *       fills {@code n} words with {@code threefry2x32_hash(key, (j, j + half + odd))} for
 *       {@code j < half = n / 2}, the first word of each pair at {@code j}, the second at {@code j + half + odd};
 *       an odd {@code n} gets {@code threefry2x32_hash(key, (half, 0)).first} in the middle
 *       ({@code mlx/backend/cpu/threefry.cpp}: 20 rounds, rotations 13 15 26 6 / 17 29 16 24, key injection
 *       every 4 rounds).</li>
 *   <li>{@code random::uniform(nextafter(-1f, 0f), 1f, shape, float32)}: each word converted to float32
 *       (round to nearest even), divided by {@code float32(UINT32_MAX) = 2^32}, clamped to
 *       {@code nextafter(1f, 0f)}, multiplied by the range ({@code 1f - nextafter(-1f, 0f)}, which rounds to 2)
 *       and added to the low end, each a float32 operation.</li>
 *   <li>{@code erfinv} in float32 ({@code mlx/backend/cpu/simd/math.h}: {@code t = log(fma(a, -a, 1))}, one of
 *       two polynomials in {@code t} evaluated with {@code std::fma}, times {@code a}). On x86-64 Linux the CPU
 *       backend's SIMD width is 1, so this scalar code is what runs; {@code std::log} on a float is glibc's
 *       {@code logf}.</li>
 *   <li>{@code astype(dtype)}, then a multiplication by {@code sqrt(2)} held in the dtype, computed in the dtype
 *       ({@code random::normal}). So bfloat16 noise is {@code bf16(bf16(erfinv(u)) * bf16(sqrt 2))}, not the
 *       rounded float32 noise.</li>
 * </ol>
 * Checked against MLX 0.31.2's CPU stream ({@code mlx-noise-goldens.json}, and the mlx backend's own
 * {@code random.normal} in the conformance suite); the {@code logf} port equals glibc 2.36's for every float in
 * {@code (0, 1]}, all the arguments erfinv passes it. MLX's Metal kernels compute {@code erfinv} and {@code log} with
 * other code and may differ in the last bits (unchecked).
 *
 * <p>Seeds are 64-bit unsigned as in MLX; a negative {@code long} is its two's complement (Go's
 * {@code uint64(seed)} in Ollama). Unlike torch's, all 64 bits matter.
 */
public final class MlxRandom {
    /** {@code std::nextafter(-1.0f, 0.0f)}: the low end of the uniform draw. */
    private static final float LOW = Math.nextUp(-1f);
    /** {@code std::nextafter(1.0f, 0.0f)}: the largest uniform value before scaling. */
    private static final float BELOW_ONE = Math.nextDown(1f);
    /** {@code array(std::numeric_limits<uint32_t>::max(), float32)}: 2^32 after rounding. */
    private static final float UINT32_MAX_AS_FLOAT = (float) 0xffffffffL;
    /** {@code subtract(hi, lo)} in float32: {@code 1 - nextafter(-1, 0)} rounds to 2. */
    private static final float RANGE = 1f - LOW;
    /** threefry2x32's key-schedule parity constant. */
    private static final int THREEFRY_PARITY = 0x1BD11BDA;
    private static final int[][] ROTATIONS = {{13, 15, 26, 6}, {17, 29, 16, 24}};
    /** {@code std::sqrt(2.0)} as a float ({@code array(double, dtype)} converts through float). */
    private static final float SQRT2 = (float) Math.sqrt(2.0);
    /** |t| above this takes the tail polynomial of erfinv. */
    private static final float ERFINV_THRESHOLD = 6.125f;

    private MlxRandom() {}

    /**
     * {@code random::key(seed)}: {@code {seed >> 32, seed & 0xffffffff}} as two uint32 held in ints.
     *
     * @param seed the seed ({@code uint64} in MLX)
     * @return the two key words
     */
    public static int[] key(long seed) {
        return new int[] {(int) (seed >>> 32), (int) seed};
    }

    /**
     * {@code threefry2x32_hash(key, count)}: 20 rounds of Threefry-2x32 on the counter pair, as
     * {@code mlx/backend/cpu/threefry.cpp} computes it (all arithmetic modulo 2^32).
     *
     * @return the two output words {@code {first, second}}
     *
     * @param key0   the first key word
     * @param key1   the second key word
     * @param count0 the first counter word
     * @param count1 the second counter word
     */
    public static int[] threefry2x32(int key0, int key1, int count0, int count1) {
        int[] ks = {key0, key1, key0 ^ key1 ^ THREEFRY_PARITY};
        int x0 = count0 + ks[0];
        int x1 = count1 + ks[1];
        for (int i = 0; i < 5; i++) {
            for (int r : ROTATIONS[i % 2]) {
                x0 += x1;
                x1 = Integer.rotateLeft(x1, r);
                x1 ^= x0;
            }
            x0 += ks[(i + 1) % 3];
            x1 += ks[(i + 2) % 3] + i + 1;
        }
        return new int[] {x0, x1};
    }

    /**
     * {@code random::bits(shape, 4, key)} for {@code n} elements with one key: the uint32 words (held in ints) in
     * the order {@code RandomBits::eval_cpu} writes them.
     *
     * @param key0 the first key word
     * @param key1 the second key word
     * @param n    the number of words
     * @return the words
     */
    public static int[] bits(int key0, int key1, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n: " + n + " must be >= 0");
        }
        int[] out = new int[n];
        int half = n / 2;
        int odd = n % 2;
        for (int j = 0; j < half; j++) {
            int[] pair = threefry2x32(key0, key1, j, j + half + odd);
            out[j] = pair[0];
            out[j + half + odd] = pair[1];
        }
        if (odd == 1) {
            // "count.second = 0": the middle word is the first output of the counter (half, 0)
            out[half] = threefry2x32(key0, key1, half, 0)[0];
        }
        return out;
    }

    /**
     * One uniform value of {@code random::uniform(nextafter(-1, 0), 1, shape, float32)} from its random word:
     * {@code float(word) / 2^32}, clamped below 1, times 2, plus {@code nextafter(-1, 0)}, in float32.
     */
    static float uniform(int word) {
        float unit = (float) Integer.toUnsignedLong(word) / UINT32_MAX_AS_FLOAT;
        // minimum(out, upper): MLX's scalar minimum returns the first operand when it is NaN, never the case here
        float clamped = unit < BELOW_ONE ? unit : BELOW_ONE;
        return RANGE * clamped + LOW;
    }

    /**
     * MLX's float32 {@code erfinv} on the CPU ({@code mlx/backend/cpu/simd/math.h}, {@code erfinv}): a
     * single-precision approximation (about 2.4 ulp), reproduced operation by operation; each {@code fma} is a
     * fused multiply-add as {@code std::fma} computes it.
     *
     * @param a the argument, in [-1, 1]
     * @return MLX's {@code erfinv(a)}
     */
    public static float erfinv(float a) {
        float t = Math.fma(a, 0.0f - a, 1.0f);
        t = GlibcFloatMath.logf(t);
        float p;
        if (Math.abs(t) > ERFINV_THRESHOLD) {
            p = 3.03697567e-10f;
            p = Math.fma(p, t, 2.93243101e-8f);
            p = Math.fma(p, t, 1.22150334e-6f);
            p = Math.fma(p, t, 2.84108955e-5f);
            p = Math.fma(p, t, 3.93552968e-4f);
            p = Math.fma(p, t, 3.02698812e-3f);
            p = Math.fma(p, t, 4.83185798e-3f);
            p = Math.fma(p, t, -2.64646143e-1f);
            p = Math.fma(p, t, 8.40016484e-1f);
        } else {
            p = 5.43877832e-9f;
            p = Math.fma(p, t, 1.43285448e-7f);
            p = Math.fma(p, t, 1.22774793e-6f);
            p = Math.fma(p, t, 1.12963626e-7f);
            p = Math.fma(p, t, -5.61530760e-5f);
            p = Math.fma(p, t, -1.47697632e-4f);
            p = Math.fma(p, t, 2.31468678e-3f);
            p = Math.fma(p, t, 1.15392581e-2f);
            p = Math.fma(p, t, -2.32015476e-1f);
            p = Math.fma(p, t, 8.86226892e-1f);
        }
        return a * p;
    }

    /**
     * {@code random::normal(shape, dtype, key=random::key(seed))} with loc 0 and scale 1, as raw bits: int32
     * patterns for float32, 16-bit patterns (0..65535) for bfloat16 and float16, row-major.
     *
     * @throws IllegalArgumentException if the shape has more elements than {@link dev.flowmatch.Limits#maxElements()}
     *
     * @param seed  the seed of {@code random::key}
     * @param shape the shape
     * @param dtype the dtype
     * @return the values' bit patterns
     */
    public static int[] normalBits(long seed, Shape shape, DType dtype) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        int n = Noise.checkedNumel(shape);
        int[] key = key(seed);
        int[] words = bits(key[0], key[1], n);
        // applied_scale = array(sqrt(2.0), dtype): exact in float32, rounded once to a 16-bit dtype
        float scale = dtype.round(SQRT2);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            // astype(erfinv(samples), dtype), then multiply(applied_scale, samples) computed in the dtype
            float value = dtype.round(erfinv(uniform(words[i])));
            out[i] = dtype.floatToBits(dtype.round(scale * value));
        }
        return out;
    }

    /**
     * {@link #normalBits} placed on {@code backend}: identical bits on every backend.
     *
     * @param backend the backend the tensor goes to
     * @param shape   the shape
     * @param seed    the seed of {@code random::key}
     * @param dtype   the dtype
     * @return a new tensor the caller must close
     */
    public static Tensor normal(TensorBackend backend, Shape shape, long seed, DType dtype) {
        Objects.requireNonNull(backend, "backend");
        return backend.fromBits(normalBits(seed, shape, dtype), dtype, shape);
    }
}
