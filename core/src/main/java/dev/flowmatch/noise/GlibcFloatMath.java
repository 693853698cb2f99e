package dev.flowmatch.noise;

/**
 * glibc's single-precision {@code logf}, {@code sinf} and {@code cosf} (glibc 2.28 to at least 2.42:
 * {@code sysdeps/ieee754/flt-32/e_logf.c}, {@code s_sinf.c}, {@code s_cosf.c}, {@code s_sincosf.h},
 * {@code sincosf_poly.h}, tables in {@code e_logf_data.c} and {@code s_sincosf_data.c}), re-implemented step for
 * step so that torch's scalar {@code normal_fill_16<float>} can be reproduced bit for bit.
 *
 * <p>The algorithms compute in double and round once to float. On x86-64 glibc selects, by ifunc, a copy built
 * with {@code -mfma -mavx2} ({@code sysdeps/x86_64/fpu/multiarch/e_logf-fma.c}, {@code s_sinf-fma.c},
 * {@code s_cosf-fma.c}) on every CPU with FMA and AVX2, where GCC contracts each {@code a*b + c} into one fused
 * operation; this port is that copy ({@link Math#fma} at each contraction), and AArch64 builds contract the same
 * way. The SSE2 copy (separate roundings, older x86-64 CPUs) was checked to return the same float for every
 * argument the noise kernels can pass (all 2^24 of each function), so one port serves both.
 *
 * <p>Only the paths taken by finite inputs below 120 in magnitude are reachable from the noise kernels, but
 * every path of the originals is here.
 */
final class GlibcFloatMath {
    private GlibcFloatMath() {}

    // ---------------------------------------------------------------- logf (e_logf.c, LOGF_TABLE_BITS = 4)

    private static final int LOGF_OFF = 0x3f330000;
    /** {@code __logf_data.tab[i].invc}. */
    private static final double[] LOGF_INVC = {
        0x1.661ec79f8f3bep+0, 0x1.571ed4aaf883dp+0, 0x1.49539f0f010bp+0, 0x1.3c995b0b80385p+0,
        0x1.30d190c8864a5p+0, 0x1.25e227b0b8eap+0, 0x1.1bb4a4a1a343fp+0, 0x1.12358f08ae5bap+0,
        0x1.0953f419900a7p+0, 0x1p+0, 0x1.e608cfd9a47acp-1, 0x1.ca4b31f026aap-1,
        0x1.b2036576afce6p-1, 0x1.9c2d163a1aa2dp-1, 0x1.886e6037841edp-1, 0x1.767dcf5534862p-1,
    };
    /** {@code __logf_data.tab[i].logc}. */
    private static final double[] LOGF_LOGC = {
        -0x1.57bf7808caadep-2, -0x1.2bef0a7c06ddbp-2, -0x1.01eae7f513a67p-2, -0x1.b31d8a68224e9p-3,
        -0x1.6574f0ac07758p-3, -0x1.1aa2bc79c81p-3, -0x1.a4e76ce8c0e5ep-4, -0x1.1973c5a611cccp-4,
        -0x1.252f438e10c1ep-5, 0x0p+0, 0x1.aa5aa5df25984p-5, 0x1.c5e53aa362eb4p-4,
        0x1.526e57720db08p-3, 0x1.bc2860d22477p-3, 0x1.1058bc8a07ee1p-2, 0x1.4043057b6ee09p-2,
    };
    private static final double LOGF_LN2 = 0x1.62e42fefa39efp-1;
    private static final double LOGF_A0 = -0x1.00ea348b88334p-2;
    private static final double LOGF_A1 = 0x1.5575b0be00b6ap-2;
    private static final double LOGF_A2 = -0x1.ffffef20a4123p-2;

    /** glibc's {@code logf} (FMA build). */
    static float logf(float x) {
        int ix = Float.floatToRawIntBits(x);
        if (ix == 0x3f800000) {
            return 0f; // WANT_ROUNDING: log(1) is +0 in every rounding mode
        }
        if (Integer.compareUnsigned(ix - 0x00800000, 0x7f800000 - 0x00800000) >= 0) {
            // x < 0x1p-126, inf or nan
            if (ix << 1 == 0) {
                return Float.NEGATIVE_INFINITY;
            }
            if (ix == 0x7f800000) {
                return x;
            }
            if (ix < 0 || Integer.compareUnsigned(ix << 1, 0xff000000) >= 0) {
                return Float.NaN;
            }
            ix = Float.floatToRawIntBits(x * 0x1p23f) - (23 << 23); // subnormal: normalize
        }
        // x = 2^k z, z in [OFF, 2*OFF] exact; c near the centre of z's subinterval
        int tmp = ix - LOGF_OFF;
        int i = (tmp >>> (23 - 4)) & 15;
        int k = tmp >> 23;
        int iz = ix - (tmp & 0xff800000);
        double invc = LOGF_INVC[i];
        double logc = LOGF_LOGC[i];
        double z = Float.intBitsToFloat(iz);
        // log(x) = log1p(z/c - 1) + log(c) + k*Ln2; each a*b + c below is one fused operation in the FMA build
        double r = Math.fma(z, invc, -1.0);
        double y0 = Math.fma(k, LOGF_LN2, logc);
        double r2 = r * r;
        double y = Math.fma(LOGF_A1, r, LOGF_A2);
        y = Math.fma(LOGF_A0, r2, y);
        y = Math.fma(y, r2, y0 + r);
        return (float) y;
    }

    // ------------------------------------------------------ sinf / cosf (s_sinf.c, s_cosf.c, s_sincosf_data.c)

    /** 2 pi * 2^-64. */
    private static final double PI63 = 0x1.921FB54442D18p-62;
    private static final float PIO4 = 0x1.921FB6p-1f;
    /** 2 / pi, pre-scaled by 2^24 (x86-64 has no TOINT_INTRINSICS). */
    private static final double HPI_INV = 0x1.45F306DC9C883p+23;
    private static final double HPI = 0x1.921FB54442D18p0;
    private static final double[] SIGN = {1.0, -1.0, -1.0, 1.0};
    private static final double S1 = -0x1.555545995a603p-3;
    private static final double S2 = 0x1.1107605230bc4p-7;
    private static final double S3 = -0x1.994eb3774cf24p-13;
    /** The cosine polynomial c0..c4 of {@code __sincosf_table[0]}; {@code [1]} holds its negation. */
    private static final double[] COS0 = {
        0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16,
    };
    private static final double[] COS1 = {
        -0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16,
    };
    /** 4/pi to 192 bits, 8 new bits per entry ({@code __inv_pio4}). */
    private static final int[] INV_PIO4 = {
        0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
        0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
        0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
    };

    private static final int TOP_PIO4 = abstop12(PIO4);
    private static final int TOP_TINY = abstop12(0x1p-12f);
    private static final int TOP_120 = abstop12(120f);
    private static final int TOP_INF = abstop12(Float.POSITIVE_INFINITY);

    private static int abstop12(float x) {
        return (Float.floatToRawIntBits(x) >>> 20) & 0x7ff;
    }

    /** glibc's {@code sinf} (FMA build). */
    static float sinf(float y) {
        double x = y;
        int top = abstop12(y);
        if (top < TOP_PIO4) {
            if (top < TOP_TINY) {
                return y;
            }
            return sinfPoly(x, x * x, COS0, 0);
        } else if (top < TOP_120) {
            int n = reduceFastQuadrant(x);
            x = reduceFast(x, n);
            double s = SIGN[n & 3];
            return sinfPoly(x * s, x * x, (n & 2) != 0 ? COS1 : COS0, n);
        } else if (top < TOP_INF) {
            int xi = Float.floatToRawIntBits(y);
            int sign = xi >>> 31;
            long product = largeProduct(xi);
            int n = largeQuadrant(product);
            x = largeResidue(product, n);
            double s = SIGN[(n + sign) & 3];
            return sinfPoly(x * s, x * x, ((n + sign) & 2) != 0 ? COS1 : COS0, n);
        }
        return Float.NaN;
    }

    /** glibc's {@code cosf} (FMA build). */
    static float cosf(float y) {
        double x = y;
        int top = abstop12(y);
        if (top < TOP_PIO4) {
            if (top < TOP_TINY) {
                return 1.0f;
            }
            return sinfPoly(x, x * x, COS0, 1);
        } else if (top < TOP_120) {
            int n = reduceFastQuadrant(x);
            x = reduceFast(x, n);
            double s = SIGN[n & 3];
            return sinfPoly(x * s, x * x, (n & 2) != 0 ? COS1 : COS0, n ^ 1);
        } else if (top < TOP_INF) {
            int xi = Float.floatToRawIntBits(y);
            int sign = xi >>> 31;
            long product = largeProduct(xi);
            int n = largeQuadrant(product);
            x = largeResidue(product, n);
            double s = SIGN[(n + sign) & 3];
            return sinfPoly(x * s, x * x, ((n + sign) & 2) != 0 ? COS1 : COS0, n ^ 1);
        }
        return Float.NaN;
    }

    /** {@code reduce_fast}'s quadrant: {@code ((int32_t) (x * hpi_inv) + 0x800000) >> 24}. */
    private static int reduceFastQuadrant(double x) {
        double r = x * HPI_INV;
        return ((int) r + 0x800000) >> 24;
    }

    /** {@code reduce_fast}: {@code x - n * hpi}, in [-pi/4, pi/4]. */
    private static double reduceFast(double x, int n) {
        return Math.fma(-(double) n, HPI, x);
    }

    /**
     * {@code reduce_large}'s exact 32x96-bit product of the mantissa with 4/pi: a 2.62 fixed-point value whose
     * top two bits (after rounding, {@link #largeQuadrant}) are the quadrant. For |x| >= 120 only.
     */
    private static long largeProduct(int xi) {
        int base = (xi >>> 26) & 15;
        int shift = (xi >>> 23) & 7;
        long m = ((((xi & 0xffffff) | 0x800000) & 0xffffffffL) << shift) & 0xffffffffL; // uint32_t xi <<= shift
        long res0 = (m * (INV_PIO4[base] & 0xffffffffL)) & 0xffffffffL; // a uint32_t product
        long res1 = m * (INV_PIO4[base + 4] & 0xffffffffL);
        long res2 = m * (INV_PIO4[base + 8] & 0xffffffffL);
        res0 = (res2 >>> 32) | (res0 << 32);
        return res0 + res1;
    }

    /** {@code n = (res0 + (1ULL << 61)) >> 62}. */
    private static int largeQuadrant(long product) {
        return (int) ((product + (1L << 61)) >>> 62);
    }

    /** {@code res0 -= n << 62; return (int64_t) res0 * pi63}. */
    private static double largeResidue(long product, int n) {
        return (product - ((long) n << 62)) * PI63;
    }

    /** {@code sinf_poly}: sine (n even) or cosine (n odd) of the reduced x, with x2 = x*x. */
    private static float sinfPoly(double x, double x2, double[] c, int n) {
        if ((n & 1) == 0) {
            double x3 = x * x2;
            double x7 = x3 * x2;
            double s1 = Math.fma(x2, S3, S2); // s2 + x2 * s3
            double s = Math.fma(x3, S1, x); // x + x3 * s1
            return (float) Math.fma(x7, s1, s); // s + x7 * s1
        }
        double x4 = x2 * x2;
        double x6 = x4 * x2;
        double c2 = Math.fma(x2, c[4], c[3]); // c3 + x2 * c4
        double c1 = Math.fma(x2, c[1], c[0]); // c0 + x2 * c1
        double cc = Math.fma(x4, c[2], c1); // c1 + x4 * c2
        return (float) Math.fma(x6, c2, cc); // c + x6 * c2
    }
}
