package dev.flowmatch.noise;

import dev.flowmatch.tensor.Bits;

/**
 * The three ways PyTorch's CPU {@code normal_kernel} fills a contiguous tensor with {@code randn} values
 * ({@code aten/src/ATen/native/cpu/DistributionTemplates.h}, torch 1.13), each reproduced bit for bit:
 *
 * <ol>
 *   <li>float32 with at least 16 elements: {@code normal_fill_AVX2} or {@code normal_fill<float>}
 *       ({@link #float32Blocks});</li>
 *   <li>bfloat16 / float16 with at least 16 elements: {@code normal_fill<scalar_t>}, every step rounded to the
 *       16-bit type where the C++ types say so ({@link #bfloat16Blocks}, {@link #float16Blocks});</li>
 *   <li>anything smaller: one {@code at::normal_distribution<double>} draw per element, cast to the dtype
 *       ({@link TorchGenerator#nextDoubleNormal}).</li>
 * </ol>
 *
 * <p>The block kernels first fill the whole tensor with uniforms, then transform blocks of 16 in place (8
 * Box-Muller pairs: element {@code j} with {@code j + 8}); when the size is not a multiple of 16 the last 16
 * elements are drawn again and transformed once more ("Recompute the last 16 values").
 */
final class TorchRandn {
    private TorchRandn() {}

    /** {@code 2.0f * c10::pi<double>}: a double (float times double), used by {@code normal_fill_16}. */
    static final double TWO_PI_DOUBLE = 2.0f * Math.PI;
    /** {@code _mm256_set1_ps(2.0f * c10::pi<double>)}: the same constant rounded to float, for the AVX2 kernel. */
    static final float TWO_PI_FLOAT = (float) TWO_PI_DOUBLE;

    // ------------------------------------------------------------------------------------------- uniforms

    /**
     * {@code at::uniform_real_distribution<float>(0, 1)}: the low 24 bits of one 32-bit draw times 2^-24
     * ({@code transformation::uniform_real}, {@code digits} = 24).
     */
    static void uniformFloat24(Mt19937 mt, float[] out, int from, int to) {
        mt.fillUniform(out, from, to, 0xFFFFFF, 0x1p-24f);
    }

    /**
     * {@code uniform_real_distribution<c10::BFloat16>} ({@code digits} = 8: {@code k / 256}) and
     * {@code <c10::Half>} ({@code digits} = 11: {@code k / 2048}), exact in the 16-bit type.
     */
    static void uniformBits(Mt19937 mt, float[] out, int from, int to, int mask, float scale) {
        mt.fillUniform(out, from, to, mask, scale);
    }

    // -------------------------------------------------------------------------------------------- float32

    /**
     * {@code normal_fill_AVX2} / {@code normal_fill<float>}: {@code data.length >= 16}. torch draws all uniforms,
     * then transforms the blocks; here each chunk of blocks is drawn right before it is transformed (while it is
     * in the cache), which consumes the same words in the same order and gives the same values.
     */
    static void float32Blocks(Mt19937 mt, float[] data, TorchCpuKernel kernel) {
        int n = data.length;
        int blocks = n / 16;
        Avx2Kernel.Scratch scratch = kernel == TorchCpuKernel.AVX2 ? new Avx2Kernel.Scratch() : null;
        for (int b = 0; b < blocks; b += CHUNK_BLOCKS) {
            int count = Math.min(CHUNK_BLOCKS, blocks - b);
            uniformFloat24(mt, data, 16 * b, 16 * (b + count));
            blocks(data, 16 * b, count, kernel, scratch);
        }
        uniformFloat24(mt, data, 16 * blocks, n); // the tail's first draw, overwritten below
        if (n % 16 != 0) {
            uniformFloat24(mt, data, n - 16, n); // "Recompute the last 16 values"
            blocks(data, n - 16, 1, kernel, scratch);
        }
    }

    /** Blocks per chunk: 1024 floats, well inside the L1 cache. */
    private static final int CHUNK_BLOCKS = Avx2Kernel.PAIRS / 8;

    private static void blocks(float[] data, int start, int count, TorchCpuKernel kernel, Avx2Kernel.Scratch s) {
        switch (kernel) {
            case AVX2 -> Avx2Kernel.transform(data, start, count, s);
            case DEFAULT -> {
                for (int b = 0; b < count; b++) {
                    scalarBlock(data, start + 16 * b, true);
                }
            }
            case DEFAULT_NO_FMA -> {
                for (int b = 0; b < count; b++) {
                    scalarBlock(data, start + 16 * b, false);
                }
            }
        }
    }

    /**
     * {@code normal_fill_16_AVX2}: {@code u1 = 1 - data[j]}, {@code radius = sqrt(-2 * log256_ps(u1))},
     * {@code theta = two_pi * data[j + 8]} (float), {@code sincos256_ps}, then {@code _mm256_fmadd_ps(n, std,
     * mean)} with std 1 and mean 0, which is {@code n + 0} (a negative zero becomes +0).
     */
    static void avx2Block(float[] data, int i) {
        for (int j = i; j < i + 8; j++) {
            float u1 = 1f - data[j];
            float u2 = data[j + 8];
            float radius = (float) Math.sqrt(-2f * AvxMathfun.log(u1)); // sqrt of a float via double is exact
            float theta = TWO_PI_FLOAT * u2;
            long sc = AvxMathfun.sincos(theta);
            float sin = Float.intBitsToFloat((int) (sc >>> 32));
            float cos = Float.intBitsToFloat((int) sc);
            data[j] = radius * cos + 0f;
            data[j + 8] = radius * sin + 0f;
        }
    }

    /**
     * {@code normal_fill_16<float>}: {@code radius = std::sqrt(-2 * std::log(u1))} in float,
     * {@code theta = 2.0f * c10::pi<double> * u2} computed in double then stored as float, and
     * {@code radius * std::cos(theta) * std + mean} in float (std 1, mean 0).
     */
    static void scalarBlock(float[] data, int i, boolean fused) {
        for (int j = i; j < i + 8; j++) {
            float u1 = 1f - data[j];
            float u2 = data[j + 8];
            float radius = (float) Math.sqrt(-2f * GlibcFloatMath.logf(u1, fused));
            float theta = (float) (TWO_PI_DOUBLE * u2);
            data[j] = radius * GlibcFloatMath.cosf(theta, fused) * 1f + 0f;
            data[j + 8] = radius * GlibcFloatMath.sinf(theta, fused) * 1f + 0f;
        }
    }

    // ----------------------------------------------------------------------------------- bfloat16 / float16

    /**
     * {@code normal_fill<c10::BFloat16>}: uniforms {@code k / 256}; then per pair, with every
     * {@code c10::BFloat16} operator rounding its float result to bfloat16 ({@code BFloat16-inl.h},
     * {@code BFloat16-math.h}): {@code u1 = 1 - u}, {@code radius = sqrt(-2 * log(u1))},
     * {@code theta = 2.0f * pi<double> * u2} (a double, stored through float into bfloat16), and
     * {@code radius * cos(theta) * std + mean}. Results are float values that are exact bfloat16 numbers.
     */
    static void bfloat16Blocks(Mt19937 mt, float[] data) {
        int n = data.length;
        uniformBits(mt, data, 0, n, 0xFF, 0x1p-8f);
        for (int i = 0; i + 16 <= n; i += 16) {
            bfloat16Block(data, i);
        }
        if (n % 16 != 0) {
            uniformBits(mt, data, n - 16, n, 0xFF, 0x1p-8f);
            bfloat16Block(data, n - 16);
        }
    }

    private static float bf(float x) {
        return Bits.bf16ToFloat(Bits.floatToBf16(x));
    }

    static void bfloat16Block(float[] data, int i) {
        for (int j = i; j < i + 8; j++) {
            float u1 = bf(1f - data[j]);
            float u2 = data[j + 8];
            float log = bf(GlibcFloatMath.logf(u1, true));
            float radius = bf((float) Math.sqrt(bf(-2f * log)));
            float theta = bf((float) (TWO_PI_DOUBLE * u2));
            float cos = bf(GlibcFloatMath.cosf(theta, true));
            float sin = bf(GlibcFloatMath.sinf(theta, true));
            data[j] = bf(bf(bf(radius * cos) * 1f) + 0f);
            data[j + 8] = bf(bf(bf(radius * sin) * 1f) + 0f);
        }
    }

    /**
     * {@code normal_fill<c10::Half>}: uniforms {@code k / 2048}; {@code c10::Half} has no math overloads, so
     * {@code std::log}, {@code std::sqrt}, {@code std::cos} run on float and mixed Half/float arithmetic stays
     * in float; only {@code u1}, {@code radius}, {@code theta} and the stored value are rounded to float16.
     */
    static void float16Blocks(Mt19937 mt, float[] data) {
        int n = data.length;
        uniformBits(mt, data, 0, n, 0x7FF, 0x1p-11f);
        for (int i = 0; i + 16 <= n; i += 16) {
            float16Block(data, i);
        }
        if (n % 16 != 0) {
            uniformBits(mt, data, n - 16, n, 0x7FF, 0x1p-11f);
            float16Block(data, n - 16);
        }
    }

    private static float half(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    static void float16Block(float[] data, int i) {
        for (int j = i; j < i + 8; j++) {
            float u1 = half(1f - data[j]);
            float u2 = data[j + 8];
            float radius = half((float) Math.sqrt(-2f * GlibcFloatMath.logf(u1, true)));
            float theta = half((float) (TWO_PI_DOUBLE * u2));
            data[j] = half(radius * GlibcFloatMath.cosf(theta, true) * 1f + 0f);
            data[j + 8] = half(radius * GlibcFloatMath.sinf(theta, true) * 1f + 0f);
        }
    }
}
