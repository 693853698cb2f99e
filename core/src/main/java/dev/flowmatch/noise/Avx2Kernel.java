package dev.flowmatch.noise;

/**
 * The fast form of torch's {@code normal_fill_16_AVX2}: the same float operations as {@link AvxMathfun} (so the
 * same bits, checked by the tests on millions of inputs), reorganised for speed. Blocks are processed in chunks of
 * {@value #PAIRS} Box-Muller pairs, one simple loop per stage, so that the JIT can keep each loop in registers and
 * vectorise the arithmetic ones (the polynomial and square-root loop, the sine/cosine loop). The sine/cosine
 * loop replaces {@code sincos256_ps}'s bit masks by exact arithmetic: selecting with factors 0 and 1 and
 * flipping signs by multiplying with -1 give the same bits, zeros included.
 */
final class Avx2Kernel {
    private Avx2Kernel() {}

    static final int PAIRS = 512;

    private static final int SQRTHF_BITS = Float.floatToRawIntBits(0.707106781186547524f);

    /** Per-call scratch: eight arrays of {@value #PAIRS} (no allocation per element). */
    static final class Scratch {
        final float[] x = new float[PAIRS];
        final float[] e = new float[PAIRS];
        final float[] radius = new float[PAIRS];
        final float[] theta = new float[PAIRS];
        final float[] sin = new float[PAIRS];
        final float[] cos = new float[PAIRS];
        final float[] reduced = new float[PAIRS];
        final int[] quadrant = new int[PAIRS];
    }

    /** Transforms {@code blocks} consecutive blocks of 16 starting at {@code start}, in place. */
    static void transform(float[] data, int start, int blocks, Scratch s) {
        int done = 0;
        while (done < blocks) {
            int chunkBlocks = Math.min(PAIRS / 8, blocks - done);
            int base = start + 16 * done;
            int pairs = chunkBlocks * 8;
            gather(data, base, pairs, s);
            logPrepare(s.x, s.e, pairs);
            theta(s.theta, pairs);
            radius(s.x, s.e, s.radius, pairs);
            sinCos(s, pairs);
            scatter(data, base, pairs, s);
            done += chunkBlocks;
        }
    }

    /** Copies each pair's uniforms, {@code data[j]} and {@code data[j + 8]}, into contiguous arrays. */
    private static void gather(float[] data, int base, int pairs, Scratch s) {
        float[] u1 = s.x;
        float[] u2 = s.theta;
        for (int q = 0, i = base; q < pairs; q += 8, i += 16) {
            System.arraycopy(data, i, u1, q, 8);
            System.arraycopy(data, i + 8, u2, q, 8);
        }
    }

    /**
     * The first part of {@code log256_ps} on {@code u1 = 1 - u} (in [2^-24, 1]: positive and normal, so the
     * denormal cut-off and the NaN mask do nothing): the mantissa scaled to [0.5, 1), moved to
     * [sqrt(1/2) - 1, sqrt(2) - 1) with the exponent adjusted. In place: {@code xs} holds u on entry.
     */
    private static void logPrepare(float[] xs, float[] es, int pairs) {
        for (int q = 0; q < pairs; q++) {
            int bits = Float.floatToRawIntBits(1f - xs[q]);
            int mbits = (bits & 0x007fffff) | 0x3f000000;
            int mask = (mbits - SQRTHF_BITS) >> 31; // -1 where the mantissa is below sqrt(1/2)
            xs[q] = (Float.intBitsToFloat(mbits) - 1f) + Float.intBitsToFloat(mbits & mask);
            es[q] = (float) ((bits >>> 23) - 0x7f + 1 + mask); // e + 1 - (mask ? 1 : 0): small integers, exact
        }
    }

    /** {@code theta = two_pi * u2}, in place. */
    private static void theta(float[] u2, int pairs) {
        for (int q = 0; q < pairs; q++) {
            u2[q] = TorchRandn.TWO_PI_FLOAT * u2[q];
        }
    }

    /** The rest of {@code log256_ps} (cephes polynomial), then {@code sqrt(-2 * log)}. */
    private static void radius(float[] xs, float[] es, float[] out, int pairs) {
        for (int q = 0; q < pairs; q++) {
            float x = xs[q];
            float e = es[q];
            float z = x * x;
            float y = 7.0376836292E-2f;
            y = Math.fma(y, x, -1.1514610310E-1f);
            y = Math.fma(y, x, 1.1676998740E-1f);
            y = Math.fma(y, x, -1.2420140846E-1f);
            y = Math.fma(y, x, 1.4249322787E-1f);
            y = Math.fma(y, x, -1.6668057665E-1f);
            y = Math.fma(y, x, 2.0000714765E-1f);
            y = Math.fma(y, x, -2.4999993993E-1f);
            y = Math.fma(y, x, 3.3333331174E-1f);
            y = y * x;
            y = Math.fma(y, z, e * -2.12194440e-4f);
            y = Math.fma(-z, 0.5f, y);
            x = x + y;
            x = Math.fma(e, 0.693359375f, x);
            out[q] = (float) Math.sqrt(-2f * x);
        }
    }

    /**
     * {@code sincos256_ps} for arguments {@code >= +0} (theta = two_pi * u2), in three loops that the JIT
     * vectorises (one loop doing all three runs an order of magnitude slower): the quadrant and the
     * extended-precision reduction, the two polynomials, the selection and signs.
     */
    private static void sinCos(Scratch s, int pairs) {
        reduce(s.theta, s.quadrant, s.reduced, pairs);
        polynomials(s.reduced, s.cos, s.sin, pairs);
        selectAndSign(s.quadrant, s.cos, s.sin, pairs);
    }

    /** {@code j = (int)(x * 4/pi)} rounded up to even, {@code x = ((x - j*DP1) - j*DP2) - j*DP3} (fused). */
    private static void reduce(float[] th, int[] quadrant, float[] reduced, int pairs) {
        for (int q = 0; q < pairs; q++) {
            float x = th[q];
            int j = (int) (x * 1.27323954473516f);
            j = (j + 1) & ~1;
            float y = (float) j;
            x = Math.fma(y, -0.78515625f, x);
            x = Math.fma(y, -2.4187564849853515625e-4f, x);
            x = Math.fma(y, -3.77489497744594108e-8f, x);
            quadrant[q] = j;
            reduced[q] = x;
        }
    }

    /** The cosine polynomial (into {@code yc}) and the sine polynomial (into {@code ys}) of the reduced x. */
    private static void polynomials(float[] reduced, float[] yc, float[] ys, int pairs) {
        for (int q = 0; q < pairs; q++) {
            float x = reduced[q];
            float z = x * x;
            float c = 2.443315711809948E-005f;
            c = Math.fma(c, z, -1.388731625493765E-003f);
            c = Math.fma(c, z, 4.166664568298827E-002f);
            c = c * z;
            c = Math.fma(c, z, -(z * 0.5f));
            yc[q] = c + 1f;
            float s = -1.9515295891E-4f;
            s = Math.fma(s, z, 8.3321608736E-3f);
            s = Math.fma(s, z, -1.6666654611E-1f);
            s = s * z;
            ys[q] = Math.fma(s, x, x);
        }
    }

    /**
     * Which polynomial is the sine ({@code (j & 2) != 0} swaps them) and the signs ({@code j & 4} for the sine,
     * {@code (j - 2) & 4} clear for the cosine), in place: {@code cos} holds yc and {@code sin} ys on entry.
     */
    private static void selectAndSign(int[] quadrant, float[] cos, float[] sin, int pairs) {
        for (int q = 0; q < pairs; q++) {
            int j = quadrant[q];
            float yc = cos[q];
            float ys = sin[q];
            float w = (float) ((j & 2) >> 1); // 1 where the polynomials swap roles
            float v = 1f - w;
            float sn = ys * v + yc * w + 0f; // the masked adds of sincos256_ps, -0 normalised to +0 as there
            float cs = yc * v + ys * w + 0f;
            sin[q] = sn * (float) (1 - ((j & 4) >> 1));
            cos[q] = cs * (float) ((((j - 2) & 4) >> 1) - 1);
        }
    }

    /** {@code _mm256_fmadd_ps(radius * cos, std, mean)} with std 1, mean 0: the product plus +0. */
    private static void scatter(float[] data, int base, int pairs, Scratch s) {
        float[] r = s.radius;
        float[] sin = s.sin;
        float[] cos = s.cos;
        for (int q = 0; q < pairs; q++) {
            cos[q] = r[q] * cos[q] + 0f;
            sin[q] = r[q] * sin[q] + 0f;
        }
        for (int q = 0, i = base; q < pairs; q += 8, i += 16) {
            System.arraycopy(cos, q, data, i, 8);
            System.arraycopy(sin, q, data, i + 8, 8);
        }
    }
}
