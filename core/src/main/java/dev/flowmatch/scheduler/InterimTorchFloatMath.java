package dev.flowmatch.scheduler;

import dev.flowmatch.noise.TorchCpuKernel;

/**
 * INTERIM, until {@code dev.flowmatch.torchmath.TorchFloatMath} is on main: torch 1.13's float32 {@code torch.exp}
 * and {@code torch.log} of a 0-dim tensor under the {@code avx2} kernel, which are SLEEF 3.5.1's
 * {@code Sleef_expf8_u10} and {@code Sleef_logf8_u10} (torch's {@code Vectorized<float>::exp} / {@code log},
 * {@code aten/src/ATen/cpu/vec/vec256/vec256_float.h}) in their AVX2 + FMA build ({@code xexpf} and
 * {@code xlogf_u1} of {@code src/libm/sleefsimdsp.c}, helpers of {@code src/libm/df.h}). One line per SLEEF
 * operation, {@link Math#fma} where the AVX2 build fuses. The {@code default} kernel is not here yet.
 */
final class InterimTorchFloatMath {
    private static final float R_LN2F = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    private static final float L2UF = 0.693145751953125f;
    private static final float L2LF = 1.428606765330187045e-06f;

    private InterimTorchFloatMath() {}

    /** {@code torch.exp} of a float32 0-dim tensor. */
    static float exp(float x, TorchCpuKernel kernel) {
        requireAvx2(kernel);
        return sleefExpf(x);
    }

    /** {@code torch.log} of a float32 0-dim tensor. */
    static float log(float x, TorchCpuKernel kernel) {
        requireAvx2(kernel);
        return sleefLogfU1(x);
    }

    private static void requireAvx2(TorchCpuKernel kernel) {
        if (kernel != TorchCpuKernel.AVX2) {
            throw new IllegalArgumentException("kernel: " + kernel + " is not available yet for DPM-Solver's "
                    + "coefficients (only AVX2)");
        }
    }

    /** SLEEF {@code xexpf}. */
    private static float sleefExpf(float d) {
        int q = (int) Math.rint(d * R_LN2F); // vrint_vi2_vf: _mm256_cvtps_epi32, ties to even
        if (Float.isNaN(d) || Math.abs(d * R_LN2F) >= 0x1p31f) {
            q = Integer.MIN_VALUE; // cvtps_epi32's "integer indefinite"
        }
        float s = Math.fma((float) q, -L2UF, d);
        s = Math.fma((float) q, -L2LF, s);
        float u = 0.000198527617612853646278381f;
        u = Math.fma(u, s, 0.00139304355252534151077271f);
        u = Math.fma(u, s, 0.00833336077630519866943359f);
        u = Math.fma(u, s, 0.0416664853692054748535156f);
        u = Math.fma(u, s, 0.166666671633720397949219f);
        u = Math.fma(u, s, 0.5f);
        u = 1.0f + Math.fma(s * s, u, s);
        u = ldexp2(u, q);
        if (d < -104f) {
            u = 0f;
        }
        if (100f < d) {
            u = Float.POSITIVE_INFINITY;
        }
        return u;
    }

    /** SLEEF {@code vldexp2_vf_vf_vi2}: {@code d * 2^(e >> 1) * 2^(e - (e >> 1))}. */
    private static float ldexp2(float d, int e) {
        return d * pow2i(e >> 1) * pow2i(e - (e >> 1));
    }

    /** SLEEF {@code vpow2i_vf_vi2}: the float with exponent field {@code q + 127}. */
    private static float pow2i(int q) {
        return Float.intBitsToFloat((q + 0x7f) << 23);
    }

    /** SLEEF {@code xlogf_u1} (the non-AVX-512 branch). */
    private static float sleefLogfU1(float d) {
        boolean tiny = d < Float.MIN_NORMAL;
        if (tiny) {
            d = d * ((float) (1L << 32) * (float) (1L << 32));
        }
        int e = ((Float.floatToRawIntBits(d * (1.0f / 0.75f)) >>> 23) & 0xff) - 0x7f; // vilogb2k_vi2_vf
        float m = Float.intBitsToFloat(Float.floatToRawIntBits(d) + ((-e) << 23)); // vldexp3_vf_vf_vi2
        if (tiny) {
            e = e - 64;
        }
        // s = dfmul((0.693147182464599609375, -1.904654323148236017e-09), e)
        float[] s = dfmul(0.69314718246459960938f, -1.904654323148236017e-09f, (float) e);
        // x = dfdiv(dfadd2(-1, m), dfadd2(1, m))
        float[] num = dfadd2(-1f, m);
        float[] den = dfadd2(1f, m);
        float[] x = dfdiv(num[0], num[1], den[0], den[1]);
        float x2 = x[0] * x[0];
        float t = 0.3027294874e+0f;
        t = Math.fma(t, x2, 0.3996108174e+0f);
        t = Math.fma(t, x2, 0.6666694880e+0f);
        s = dfaddDf(s[0], s[1], x[0] * 2f, x[1] * 2f); // dfadd_vf2_vf2_vf2(s, dfscale(x, 2))
        s = dfaddF(s[0], s[1], (x2 * x[0]) * t); // dfadd_vf2_vf2_vf
        float r = s[0] + s[1];
        if (d == Float.POSITIVE_INFINITY) {
            r = Float.POSITIVE_INFINITY;
        }
        if (d < 0 || Float.isNaN(d)) {
            r = Float.NaN;
        }
        if (d == 0) {
            r = Float.NEGATIVE_INFINITY;
        }
        return r;
    }

    /** {@code dfmul_vf2_vf2_vf} (FMA build). */
    private static float[] dfmul(float xHi, float xLo, float y) {
        float s = xHi * y;
        return new float[] {s, Math.fma(xLo, y, Math.fma(xHi, y, -s))};
    }

    /** {@code dfadd2_vf2_vf_vf}. */
    private static float[] dfadd2(float x, float y) {
        float s = x + y;
        float v = s - x;
        return new float[] {s, (x - (s - v)) + (y - v)};
    }

    /** {@code dfdiv_vf2_vf2_vf2} (FMA build). */
    private static float[] dfdiv(float nHi, float nLo, float dHi, float dLo) {
        float t = 1.0f / dHi;
        float s = nHi * t;
        float u = Math.fma(t, nHi, -s);
        float v = Math.fma(-dLo, t, Math.fma(-dHi, t, 1f));
        return new float[] {s, Math.fma(s, v, Math.fma(nLo, t, u))};
    }

    /** {@code dfadd_vf2_vf2_vf2}. */
    private static float[] dfaddDf(float xHi, float xLo, float yHi, float yLo) {
        float s = xHi + yHi;
        return new float[] {s, (((xHi - s) + yHi) + xLo) + yLo};
    }

    /** {@code dfadd_vf2_vf2_vf}. */
    private static float[] dfaddF(float xHi, float xLo, float y) {
        float s = xHi + y;
        return new float[] {s, ((xHi - s) + y) + xLo};
    }
}
