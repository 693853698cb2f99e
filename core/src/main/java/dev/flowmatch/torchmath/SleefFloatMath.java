package dev.flowmatch.torchmath;

/**
 * SLEEF 3.5.1's single-precision {@code Sleef_expf8_u10}, {@code Sleef_logf8_u10} and {@code Sleef_expm1f8_u10} as
 * its AVX2 build computes them, one lane at a time: what torch's AVX2 CPU kernel returns for {@code torch.exp},
 * {@code torch.log} and {@code torch.expm1} on float32 tensors (torch 1.13 links SLEEF; Debian's package links the
 * system {@code libsleef.so.3}, version 3.5.1).
 *
 * <p>Source: {@code src/libm/sleefsimdsp.c} ({@code xexpf}, {@code xlogf_u1}, {@code xexpm1f} with {@code expk2f}),
 * the double-float helpers of {@code src/libm/df.h} in their {@code ENABLE_FMA_SP} form, and
 * {@code src/arch/helperavx2.h}. SLEEF's runtime dispatcher ({@code src/libm/dispavx.c.org}) picks the AVX2 build
 * on every CPU with AVX2 and FMA. SLEEF compiles with {@code -ffp-contract=off}: a multiply-add is fused exactly
 * where the source calls {@code vmla_vf_vf_vf_vf}, {@code vfma_vf_vf_vf_vf} or a {@code vfma*} variant
 * ({@code _mm256_fmadd_ps} and relatives in the AVX2 helper), and nowhere else. Every lane is independent, so the
 * value of one element never depends on its neighbours or on the tensor's size.
 *
 * <p>Constants are the float literals of the source ({@code R_LN2f}, {@code L2Uf}, {@code L2Lf} from
 * {@code src/common/misc.h}); {@code vrint_vi2_vf} is {@code _mm256_cvtps_epi32}, round to nearest even.
 */
final class SleefFloatMath {
    private SleefFloatMath() {}

    /** {@code R_LN2f}: 1 / ln 2. */
    private static final float R_LN2F = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    /** {@code L2Uf}: the upper part of ln 2. */
    private static final float L2UF = 0.693145751953125f;
    /** {@code L2Lf}: the lower part of ln 2. */
    private static final float L2LF = 1.428606765330187045e-06f;

    // ------------------------------------------------------------------------------ expf (xexpf, u10)

    /** {@code xexpf} (sleefsimdsp.c, the non-deterministic build): Horner polynomial, then {@code vldexp2}. */
    static float expf(float d) {
        int q = rint(d * R_LN2F);
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

        if (d < -104) {
            u = 0f; // vandnot of the mask: +0
        }
        if (100 < d) {
            u = Float.POSITIVE_INFINITY;
        }
        return u;
    }

    // --------------------------------------------------------------------------- logf (xlogf_u1, u10)

    /** {@code xlogf_u1}: {@code Sleef_logf8_u10} (the path without AVX-512's {@code getexp}/{@code getmant}). */
    static float logf(float d) {
        boolean tiny = d < Float.MIN_NORMAL;
        if (tiny) {
            d = d * ((float) (1L << 32) * (float) (1L << 32));
        }
        int e = ilogb2k(d * (1.0f / 0.75f));
        float m = ldexp3(d, -e);
        if (tiny) {
            e -= 64;
        }
        // s = dfmul((0.69314718246459960938f, -1.904654323148236017e-09f), e)
        float ef = e;
        float sx = 0.69314718246459960938f * ef;
        float sy = Math.fma(-1.904654323148236017e-09f, ef, Math.fma(0.69314718246459960938f, ef, -sx));

        // x = dfdiv(dfadd2(-1, m), dfadd2(1, m))
        float nx = -1f + m;
        float nv = nx - -1f;
        float ny = (-1f - (nx - nv)) + (m - nv);
        float dx = 1f + m;
        float dv = dx - 1f;
        float dy = (1f - (dx - dv)) + (m - dv);
        float t = 1.0f / dx;
        float xx = nx * t;
        float u = Math.fma(t, nx, -xx);
        float v = Math.fma(-dy, t, Math.fma(-dx, t, 1f));
        float xy = Math.fma(xx, v, Math.fma(ny, t, u));

        float x2 = xx * xx;
        float p = 0.3027294874e+0f;
        p = Math.fma(p, x2, 0.3996108174e+0f);
        p = Math.fma(p, x2, 0.6666694880e+0f);

        // s = dfadd_vf2_vf2_vf2(s, dfscale(x, 2))
        float ax = xx * 2;
        float ay = xy * 2;
        float s2x = sx + ax;
        float s2y = (((sx - s2x) + ax) + sy) + ay;
        // s = dfadd_vf2_vf2_vf(s, x2 * x * t)
        float w = (x2 * xx) * p;
        float s3x = s2x + w;
        float s3y = ((s2x - s3x) + w) + s2y;

        float r = s3x + s3y;
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

    // ------------------------------------------------------------------------ expm1f (xexpm1f, u10)

    /** {@code xexpm1f}: {@code expk2f(a)} in double-float, minus one, with the range selections. */
    static float expm1f(float a) {
        // d = dfadd2_vf2_vf2_vf(expk2f((a, 0)), -1)
        long e = expk2f(a);
        float ex = Float.intBitsToFloat((int) (e >>> 32));
        float ey = Float.intBitsToFloat((int) e);
        float s = ex + -1.0f;
        float v = s - ex;
        float t = (ex - (s - v)) + (-1.0f - v);
        float x = s + (t + ey);
        if (a > 88.72283172607421875f) {
            x = Float.POSITIVE_INFINITY;
        }
        if (a < -16.635532333438687426013570f) {
            x = -1f;
        }
        if (Float.floatToRawIntBits(a) == 0x80000000) {
            x = -0.0f;
        }
        return x;
    }

    /**
     * {@code expk2f((d, 0))}: e^d as a double-float {@code (x, y)}, returned packed as {@code x} in the high and
     * {@code y} in the low 32 bits.
     */
    private static long expk2f(float d) {
        // the input pair is (d, 0): d.x + d.y = d
        int q = rint((d + 0f) * R_LN2F);

        // s = dfadd2_vf2_vf2_vf((d, 0), q * -L2Uf), then dfadd2_vf2_vf2_vf(s, q * -L2Lf)
        float sx = d;
        float sy = 0f;
        float add = (float) q * -L2UF;
        float nx = sx + add;
        float v = nx - sx;
        sy = ((sx - (nx - v)) + (add - v)) + sy;
        sx = nx;
        add = (float) q * -L2LF;
        nx = sx + add;
        v = nx - sx;
        sy = ((sx - (nx - v)) + (add - v)) + sy;
        sx = nx;

        float u = 0.1980960224e-3f;
        u = Math.fma(u, sx, 0.1394256484e-2f);
        u = Math.fma(u, sx, 0.8333456703e-2f);
        u = Math.fma(u, sx, 0.4166637361e-1f);

        // t = dfadd2_vf2_vf2_vf(dfmul_vf2_vf2_vf(s, u), 0.166666659414234244790680580464f)
        float mx = sx * u;
        float my = Math.fma(sy, u, Math.fma(sx, u, -mx));
        float c = 0.166666659414234244790680580464e+0f;
        float tx = mx + c;
        v = tx - mx;
        float ty = ((mx - (tx - v)) + (c - v)) + my;

        // t = dfadd2_vf2_vf2_vf(dfmul_vf2_vf2_vf2(s, t), 0.5)
        mx = sx * tx;
        my = Math.fma(sx, ty, Math.fma(sy, tx, Math.fma(sx, tx, -mx)));
        tx = mx + 0.5f;
        v = tx - mx;
        ty = ((mx - (tx - v)) + (0.5f - v)) + my;

        // t = dfadd2_vf2_vf2_vf2(s, dfmul_vf2_vf2_vf2(dfsqu_vf2_vf2(s), t))
        float qx = sx * sx;
        float qy = Math.fma(sx + sx, sy, Math.fma(sx, sx, -qx));
        mx = qx * tx;
        my = Math.fma(qx, ty, Math.fma(qy, tx, Math.fma(qx, tx, -mx)));
        float rx = sx + mx;
        v = rx - sx;
        float rt = (sx - (rx - v)) + (mx - v);
        float ry = rt + (sy + my);

        // t = dfadd_vf2_vf_vf2(1, t)
        tx = 1f + rx;
        ty = ((1f - tx) + rx) + ry;

        tx = ldexp2(tx, q);
        ty = ldexp2(ty, q);
        if (d < -104) {
            tx = 0f;
            ty = 0f;
        }
        return ((long) Float.floatToRawIntBits(tx) << 32) | (Float.floatToRawIntBits(ty) & 0xffffffffL);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * {@code vrint_vi2_vf}: {@code _mm256_cvtps_epi32} under round-to-nearest-even. Out of range and NaN give
     * {@code INT_MIN} there; every caller overrides those lanes, so only in-range values matter.
     */
    private static int rint(float x) {
        return (int) Math.rint(x);
    }

    /** {@code vpow2i_vf_vi2}: 2^q built from its exponent bits. */
    private static float pow2i(int q) {
        return Float.intBitsToFloat((q + 0x7f) << 23);
    }

    /** {@code vldexp2_vf_vf_vi2}: {@code d * 2^(e>>1) * 2^(e - (e>>1))}. */
    private static float ldexp2(float d, int e) {
        return d * pow2i(e >> 1) * pow2i(e - (e >> 1));
    }

    /** {@code vldexp3_vf_vf_vi2}: adds q to the exponent field. */
    private static float ldexp3(float d, int q) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(d) + (q << 23));
    }

    /** {@code vilogb2k_vi2_vf}: the biased exponent field minus 127. */
    private static int ilogb2k(float d) {
        return ((Float.floatToRawIntBits(d) >>> 23) & 0xff) - 0x7f;
    }
}
