package dev.flowmatch.noise;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.torchmath.GlibcFloatMath;

/**
 * The ways PyTorch's CPU {@code normal_kernel} ({@code aten/src/ATen/native/cpu/DistributionTemplates.h}, line 176
 * in torch 1.13.1) fills a contiguous tensor with {@code randn} values, each reproduced bit for bit:
 *
 * <ol>
 *   <li>float32 with at least 16 elements: {@code normal_fill_AVX2} or {@code normal_fill<float>}
 *       ({@link #float32Blocks});</li>
 *   <li>bfloat16 / float16 with at least 16 elements: {@code normal_fill<scalar_t>}, rounding to the 16-bit type
 *       wherever the C++ operators do ({@link #halfBlocks});</li>
 *   <li>anything smaller: one {@code at::normal_distribution<double>} draw per element
 *       ({@link TorchGenerator}).</li>
 * </ol>
 *
 * <p>The block kernels fill the tensor with uniforms, then transform blocks of 16 in place (8 Box-Muller pairs:
 * element {@code j} with {@code j + 8}); when the size is not a multiple of 16 the last 16 elements are drawn
 * again and transformed once more ("Recompute the last 16 values"), overwriting up to 15 finished values.
 */
final class TorchRandn {
    private TorchRandn() {}

    /** {@code 2.0f * c10::pi<double>}: a double (float times double), used by {@code normal_fill_16}. */
    static final double TWO_PI_DOUBLE = 2.0f * Math.PI;
    /** {@code _mm256_set1_ps(2.0f * c10::pi<double>)}: the same constant rounded to float, for the AVX2 kernel. */
    static final float TWO_PI_FLOAT = (float) TWO_PI_DOUBLE;

    /** Blocks per chunk: 1024 floats, well inside the L1 cache. */
    private static final int CHUNK_BLOCKS = Avx2Kernel.PAIRS / 8;

    // -------------------------------------------------------------------------------------------- float32

    /**
     * {@code normal_fill_AVX2} (DistributionTemplates.h line 109) / {@code normal_fill<float>} (line 152) for
     * {@code data.length >= 16}. Uniforms are {@code uniform_real_distribution<float>(0, 1)}
     * ({@code transformation::uniform_real}, TransformationHelper.h line 82): the low 24 bits of a 32-bit draw
     * times 2^-24. The tail is "Recompute the last 16 values" (lines 128 and 165). torch draws
     * all uniforms, then transforms the blocks; here each chunk of blocks is drawn right before it is transformed
     * (while it is in the cache), which consumes the same words in the same order and gives the same values.
     */
    static void float32Blocks(Mt19937 mt, float[] data, TorchCpuKernel kernel) {
        int n = data.length;
        int blocks = n / 16;
        Avx2Kernel.Scratch scratch = kernel == TorchCpuKernel.AVX2 ? new Avx2Kernel.Scratch() : null;
        for (int b = 0; b < blocks; b += CHUNK_BLOCKS) {
            int count = Math.min(CHUNK_BLOCKS, blocks - b);
            mt.fillUniform(data, 16 * b, 16 * (b + count), 0xFFFFFF, 0x1p-24f);
            float32Transform(data, 16 * b, count, kernel, scratch);
        }
        mt.fillUniform(data, 16 * blocks, n, 0xFFFFFF, 0x1p-24f); // the tail's first draw, overwritten below
        if (n % 16 != 0) {
            mt.fillUniform(data, n - 16, n, 0xFFFFFF, 0x1p-24f);
            float32Transform(data, n - 16, 1, kernel, scratch);
        }
    }

    private static void float32Transform(float[] data, int start, int count, TorchCpuKernel kernel,
                                         Avx2Kernel.Scratch scratch) {
        switch (kernel) {
            case AVX2 -> Avx2Kernel.transform(data, start, count, scratch);
            case DEFAULT -> {
                for (int b = 0; b < count; b++) {
                    scalarBlock(data, start + 16 * b);
                }
            }
        }
    }

    /**
     * {@code normal_fill_16_AVX2} (DistributionTemplates.h line 89) for one block, lane by lane with
     * {@link AvxMathfun}: {@code u1 = 1 - data[j]},
     * {@code radius = sqrt(-2 * log256_ps(u1))}, {@code theta = two_pi * data[j + 8]} (float),
     * {@code sincos256_ps}, then {@code _mm256_fmadd_ps(n, std, mean)} with std 1 and mean 0, which is
     * {@code n + 0} (a negative zero becomes +0). The readable reference for {@link Avx2Kernel}.
     */
    static void avx2Block(float[] data, int i) {
        for (int j = i; j < i + 8; j++) {
            float u1 = 1f - data[j];
            float u2 = data[j + 8];
            float radius = (float) Math.sqrt(-2f * AvxMathfun.log(u1)); // a float sqrt through double is exact
            float theta = TWO_PI_FLOAT * u2;
            long sc = AvxMathfun.sincos(theta);
            float sin = Float.intBitsToFloat((int) (sc >>> 32));
            float cos = Float.intBitsToFloat((int) sc);
            data[j] = radius * cos + 0f;
            data[j + 8] = radius * sin + 0f;
        }
    }

    /**
     * {@code normal_fill_16<float>} (DistributionTemplates.h line 140): {@code radius = std::sqrt(-2 *
     * std::log(u1))} in float,
     * {@code theta = 2.0f * c10::pi<double> * u2} computed in double then stored as float, and
     * {@code radius * std::cos(theta) * std + mean} in float (std 1, mean 0), with glibc's float functions.
     */
    static void scalarBlock(float[] data, int i) {
        for (int j = i; j < i + 8; j++) {
            float u1 = 1f - data[j];
            float u2 = data[j + 8];
            float radius = (float) Math.sqrt(-2f * GlibcFloatMath.logf(u1));
            float theta = (float) (TWO_PI_DOUBLE * u2);
            data[j] = radius * GlibcFloatMath.cosf(theta) * 1f + 0f;
            data[j + 8] = radius * GlibcFloatMath.sinf(theta) * 1f + 0f;
        }
    }

    // ----------------------------------------------------------------------------------- bfloat16 / float16

    /** How {@code normal_fill_16<scalar_t>} rounds for a 16-bit type. */
    enum HalfMath {
        /**
         * {@code c10::BFloat16} (every release), and {@code c10::Half} from torch 2.1: {@code std::log},
         * {@code std::sqrt}, {@code std::cos}, {@code std::sin} have overloads returning the 16-bit type
         * ({@code c10/util/BFloat16-math.h}), and 16-bit by 16-bit operators round their float result, so every
         * step is rounded.
         */
        ROUND_EVERY_STEP,
        /**
         * {@code c10::Half} up to torch 2.0: no math overloads, so {@code std::log(u1)} and {@code std::sqrt} run on
         * float and {@code Half * float} stays float; only {@code u1}, {@code radius}, {@code theta} and the stored
         * value are rounded.
         */
        FLOAT_MATH
    }

    /**
     * {@code normal_fill<c10::BFloat16>} / {@code normal_fill<c10::Half>}: uniforms {@code k / 2^digits} with 8
     * ({@code bfloat16}) or 11 ({@code float16}) bits, then the blocks. Results are float values exactly
     * representable in the 16-bit type.
     */
    static void halfBlocks(Mt19937 mt, float[] data, boolean float16, HalfMath math) {
        int n = data.length;
        HalfTables tables = HalfTables.of(float16, math);
        mt.fillUniform(data, 0, n, tables.mask, tables.scale);
        for (int i = 0; i + 16 <= n; i += 16) {
            halfBlock(data, i, tables);
        }
        if (n % 16 != 0) {
            mt.fillUniform(data, n - 16, n, tables.mask, tables.scale);
            halfBlock(data, n - 16, tables);
        }
    }

    private static float round16(float x, boolean float16) {
        return float16 ? Float.float16ToFloat(Float.floatToFloat16(x)) : Bits.bf16ToFloat(Bits.floatToBf16(x));
    }

    /**
     * A 16-bit uniform takes only 2^8 or 2^11 values, so everything that depends on one uniform alone (the radius
     * from {@code u1}, cosine and sine from {@code u2}) is computed once per value, by exactly the operations of
     * {@code normal_fill_16<scalar_t>}, and looked up; only the final products are computed per element.
     */
    static final class HalfTables {
        private static final HalfTables BF16 = new HalfTables(false, HalfMath.ROUND_EVERY_STEP);
        private static final HalfTables F16 = new HalfTables(true, HalfMath.ROUND_EVERY_STEP);
        private static final HalfTables F16_FLOAT_MATH = new HalfTables(true, HalfMath.FLOAT_MATH);

        final boolean float16;
        final HalfMath math;
        final int mask;
        final float scale;
        final float resolution;
        /** radius[k] for u1 = 1 - k * scale; cos[k], sin[k] for u2 = k * scale. */
        final float[] radius;
        final float[] cos;
        final float[] sin;

        static HalfTables of(boolean float16, HalfMath math) {
            return !float16 ? BF16 : math == HalfMath.ROUND_EVERY_STEP ? F16 : F16_FLOAT_MATH;
        }

        private HalfTables(boolean f16, HalfMath math) {
            this.float16 = f16;
            this.math = math;
            int values = f16 ? 1 << 11 : 1 << 8;
            this.mask = values - 1;
            this.scale = 1f / values;
            this.resolution = values;
            this.radius = new float[values];
            this.cos = new float[values];
            this.sin = new float[values];
            for (int k = 0; k < values; k++) {
                float u = k * scale;
                float u1 = round16(1f - u, f16); // int - scalar_t: the int becomes scalar_t, then subtract
                // 2.0f * c10::pi<double> * u2 is a double; scalar_t is built from it through float
                float theta = round16((float) (TWO_PI_DOUBLE * u), f16);
                if (math == HalfMath.ROUND_EVERY_STEP) {
                    float log = round16(GlibcFloatMath.logf(u1), f16);
                    radius[k] = round16((float) Math.sqrt(round16(-2f * log, f16)), f16);
                    cos[k] = round16(GlibcFloatMath.cosf(theta), f16);
                    sin[k] = round16(GlibcFloatMath.sinf(theta), f16);
                } else {
                    radius[k] = round16((float) Math.sqrt(-2f * GlibcFloatMath.logf(u1)), f16);
                    cos[k] = GlibcFloatMath.cosf(theta); // std::cos(float): stays float
                    sin[k] = GlibcFloatMath.sinf(theta);
                }
            }
        }
    }

    /** One block: {@code radius * cos(theta) * std + mean} with std 1 and mean 0, rounded as the C++ types say. */
    private static void halfBlock(float[] data, int i, HalfTables t) {
        boolean f16 = t.float16;
        boolean everyStep = t.math == HalfMath.ROUND_EVERY_STEP;
        for (int j = i; j < i + 8; j++) {
            int k1 = (int) (data[j] * t.resolution); // exact: the uniforms are k / 2^digits
            int k2 = (int) (data[j + 8] * t.resolution);
            float radius = t.radius[k1];
            if (everyStep) {
                // three scalar_t operations, each rounded
                data[j] = round16(round16(round16(radius * t.cos[k2], f16) * 1f, f16) + 0f, f16);
                data[j + 8] = round16(round16(round16(radius * t.sin[k2], f16) * 1f, f16) + 0f, f16);
            } else {
                // Half * float is float: one rounding, at the store
                data[j] = round16(radius * t.cos[k2] * 1f + 0f, f16);
                data[j + 8] = round16(radius * t.sin[k2] * 1f + 0f, f16);
            }
        }
    }
}
