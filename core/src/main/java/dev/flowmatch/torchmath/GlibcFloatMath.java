package dev.flowmatch.torchmath;

/**
 * glibc's single-precision {@code expf}, {@code logf}, {@code expm1f}, {@code sinf} and {@code cosf}, re-implemented
 * step for step: what {@code std::exp}, {@code std::log}, {@code std::expm1}, {@code std::sin}, {@code std::cos} on a
 * {@code float} return on Linux, and so what torch's portable CPU kernel ({@code ATEN_CPU_CAPABILITY=default})
 * computes for {@code torch.exp}, {@code torch.log}, {@code torch.expm1} (see {@link TorchFloatMath}) and for its
 * scalar {@code randn} path (see {@link dev.flowmatch.noise.TorchCpuKernel#DEFAULT}).
 *
 * <p>Sources (glibc 2.28 to at least 2.36, the version of Debian 12): {@code sysdeps/ieee754/flt-32/e_expf.c} with
 * {@code e_exp2f_data.c}, {@code e_logf.c} with {@code e_logf_data.c}, {@code s_expm1f.c}, {@code s_sinf.c},
 * {@code s_cosf.c}, {@code s_sincosf.h}, {@code sincosf_poly.h}, {@code s_sincosf_data.c}.
 *
 * <p>{@code expf}, {@code logf}, {@code sinf} and {@code cosf} compute in double and round once to float. On x86-64
 * glibc selects, by ifunc, copies built with {@code -mfma -mavx2} ({@code sysdeps/x86_64/fpu/multiarch/e_expf-fma.c},
 * {@code e_logf-fma.c}, {@code s_sinf-fma.c}, {@code s_cosf-fma.c}) on every CPU with FMA and AVX2, where GCC
 * contracts each {@code a*b + c} into one fused operation (also when {@code a*b} feeds two sums); these ports are
 * those copies ({@link Math#fma} at each contraction). AArch64 builds contract the same way. {@code expm1f} is the
 * old fdlibm algorithm in float arithmetic; x86-64 has no FMA copy of it and none of its operations is contracted.
 * The checks behind each function are listed in the package documentation.
 */
public final class GlibcFloatMath {
    private GlibcFloatMath() {}

    // ------------------------------------------------- expf (e_expf.c, e_exp2f_data.c, EXP2F_TABLE_BITS = 5)

    /** {@code __exp2f_data.tab}: {@code uint(2^(i/32)) - (i << 47)}. */
    private static final long[] EXP2F_TAB = {
        0x3ff0000000000000L, 0x3fefd9b0d3158574L, 0x3fefb5586cf9890fL, 0x3fef9301d0125b51L,
        0x3fef72b83c7d517bL, 0x3fef54873168b9aaL, 0x3fef387a6e756238L, 0x3fef1e9df51fdee1L,
        0x3fef06fe0a31b715L, 0x3feef1a7373aa9cbL, 0x3feedea64c123422L, 0x3feece086061892dL,
        0x3feebfdad5362a27L, 0x3feeb42b569d4f82L, 0x3feeab07dd485429L, 0x3feea47eb03a5585L,
        0x3feea09e667f3bcdL, 0x3fee9f75e8ec5f74L, 0x3feea11473eb0187L, 0x3feea589994cce13L,
        0x3feeace5422aa0dbL, 0x3feeb737b0cdc5e5L, 0x3feec49182a3f090L, 0x3feed503b23e255dL,
        0x3feee89f995ad3adL, 0x3feeff76f2fb5e47L, 0x3fef199bdd85529cL, 0x3fef3720dcef9069L,
        0x3fef5818dcfba487L, 0x3fef7c97337b9b5fL, 0x3fefa4afa2a490daL, 0x3fefd0765b6e4540L,
    };
    /** {@code __exp2f_data.shift}. */
    private static final double EXPF_SHIFT = 0x1.8p+52;
    /** {@code __exp2f_data.invln2_scaled}: 32 / ln 2. */
    private static final double EXPF_INVLN2N = 0x1.71547652b82fep+0 * 32;
    /** {@code __exp2f_data.poly_scaled}. */
    private static final double EXPF_C0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32;
    private static final double EXPF_C1 = 0x1.ebfce50fac4f3p-3 / 32 / 32;
    private static final double EXPF_C2 = 0x1.62e42ff0c52d6p-1 / 32;

    /**
     * glibc's {@code expf} (FMA build).
     *
     * @param x any float
     * @return {@code expf(x)}: +0 below about -103.97 and for -inf, +inf above about 88.72, NaN for NaN
     */
    public static float expf(float x) {
        int abstop = top12(x) & 0x7ff;
        if (abstop >= top12(88.0f)) {
            // |x| >= 88 or x is nan
            if (Float.floatToRawIntBits(x) == Float.floatToRawIntBits(Float.NEGATIVE_INFINITY)) {
                return 0f;
            }
            if (abstop >= top12(Float.POSITIVE_INFINITY)) {
                return x + x;
            }
            if (x > 0x1.62e42ep6f) {
                return Float.POSITIVE_INFINITY; // __math_oflowf(0): 0x1p97f * 0x1p97f
            }
            if (x < -0x1.9fe368p6f) {
                return 0f; // __math_uflowf(0): 0x1p-95f * 0x1p-95f
            }
            if (x < -0x1.9d1d9ep6f) {
                return 0x1.4p-75f * 0x1.4p-75f; // __math_may_uflowf(0) (WANT_ERRNO_UFLOW): the smallest subnormal
            }
        }
        double xd = x;
        // z = InvLn2N * xd feeds both kd = z + SHIFT and r = z - kd: the FMA build fuses the product into each
        double kd = Math.fma(EXPF_INVLN2N, xd, EXPF_SHIFT);
        long ki = Double.doubleToRawLongBits(kd);
        kd -= EXPF_SHIFT;
        double r = Math.fma(EXPF_INVLN2N, xd, -kd);
        // exp(x) = 2^(k/N) * 2^(r/N) ~= s * (C0*r^3 + C1*r^2 + C2*r + 1)
        long t = EXP2F_TAB[(int) (ki & 31)] + (ki << (52 - 5));
        double s = Double.longBitsToDouble(t);
        double z = Math.fma(EXPF_C0, r, EXPF_C1);
        double r2 = r * r;
        double y = Math.fma(EXPF_C2, r, 1.0);
        y = Math.fma(z, r2, y);
        return (float) (y * s);
    }

    /** {@code asuint(x) >> 20}. */
    private static int top12(float x) {
        return Float.floatToRawIntBits(x) >>> 20;
    }

    // ------------------------------------------------------------------------- expm1f (s_expm1f.c, fdlibm)

    private static final float EXPM1F_HUGE = 1.0e+30f;
    private static final float EXPM1F_TINY = 1.0e-30f;
    private static final float EXPM1F_O_THRESHOLD = 8.8721679688e+01f; // 0x42b17180
    private static final float EXPM1F_LN2_HI = 6.9313812256e-01f; // 0x3f317180
    private static final float EXPM1F_LN2_LO = 9.0580006145e-06f; // 0x3717f7d1
    private static final float EXPM1F_INVLN2 = 1.4426950216e+00f; // 0x3fb8aa3b
    private static final float EXPM1F_Q1 = -3.3333335072e-02f; // 0xbd088889
    private static final float EXPM1F_Q2 = 1.5873016091e-03f; // 0x3ad00d01
    private static final float EXPM1F_Q3 = -7.9365076090e-05f; // 0xb8a670cd
    private static final float EXPM1F_Q4 = 4.0082177293e-06f; // 0x36867e54
    private static final float EXPM1F_Q5 = -2.0109921195e-07f; // 0xb457edbb

    /**
     * glibc's {@code expm1f}.
     *
     * @param x any float
     * @return {@code expm1f(x)}: -1 below about -18.7 and for -inf, +inf above about 88.72, NaN for NaN, x itself
     *     for |x| &lt; 2^-25 (signed zeros kept)
     */
    public static float expm1f(float x) {
        int hx = Float.floatToRawIntBits(x);
        boolean negative = hx < 0;
        hx &= 0x7fffffff;

        // filter out huge and non-finite argument
        if (hx >= 0x4195b844) { // |x| >= 27*ln2
            if (hx >= 0x42b17218) { // |x| >= 88.721...
                if (hx > 0x7f800000) {
                    return x + x; // NaN
                }
                if (hx == 0x7f800000) {
                    return negative ? -1.0f : x; // exp(+-inf) = {inf, -1}
                }
                if (x > EXPM1F_O_THRESHOLD) {
                    return EXPM1F_HUGE * EXPM1F_HUGE; // overflow
                }
            }
            if (negative) {
                return EXPM1F_TINY - 1.0f; // x < -27*ln2: -1 with inexact
            }
        }

        // argument reduction
        float hi;
        float lo;
        int k;
        float c = 0f;
        if (hx > 0x3eb17218) { // |x| > 0.5 ln2
            if (hx < 0x3F851592) { // and |x| < 1.5 ln2
                if (!negative) {
                    hi = x - EXPM1F_LN2_HI;
                    lo = EXPM1F_LN2_LO;
                    k = 1;
                } else {
                    hi = x + EXPM1F_LN2_HI;
                    lo = -EXPM1F_LN2_LO;
                    k = -1;
                }
            } else {
                k = (int) (EXPM1F_INVLN2 * x + (negative ? -0.5f : 0.5f)); // C float-to-int: truncation
                float t = k;
                hi = x - t * EXPM1F_LN2_HI; // t*ln2_hi is exact here
                lo = t * EXPM1F_LN2_LO;
            }
            x = hi - lo;
            c = (hi - x) - lo;
        } else if (hx < 0x33000000) { // |x| < 2**-25: return x (x - ((huge+x) - (huge+x)))
            return x;
        } else {
            k = 0;
        }

        // x is now in primary range
        float hfx = 0.5f * x;
        float hxs = x * hfx;
        float r1 = 1.0f + hxs * (EXPM1F_Q1 + hxs * (EXPM1F_Q2 + hxs * (EXPM1F_Q3 + hxs * (EXPM1F_Q4 + hxs * EXPM1F_Q5))));
        float t = 3.0f - r1 * hfx;
        float e = hxs * ((r1 - t) / (6.0f - x * t));
        if (k == 0) {
            return x - (x * e - hxs); // c is 0
        }
        e = (x * (e - c) - c);
        e -= hxs;
        if (k == -1) {
            return 0.5f * (x - e) - 0.5f;
        }
        if (k == 1) {
            if (x < -0.25f) {
                return -2.0f * (e - (x + 0.5f));
            }
            return 1.0f + 2.0f * (x - e);
        }
        if (k <= -2 || k > 56) { // suffice to return exp(x)-1
            float y = 1.0f - (e - x);
            y = Float.intBitsToFloat(Float.floatToRawIntBits(y) + (k << 23)); // add k to y's exponent
            return y - 1.0f;
        }
        float y;
        if (k < 23) {
            float oneMinus = Float.intBitsToFloat(0x3f800000 - (0x1000000 >> k)); // 1 - 2^-k
            y = oneMinus - (e - x);
        } else {
            float twoToMinusK = Float.intBitsToFloat((0x7f - k) << 23); // 2^-k
            y = x - (e + twoToMinusK);
            y += 1.0f;
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) + (k << 23)); // add k to y's exponent
    }

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

    /**
     * glibc's {@code logf} (FMA build).
     *
     * @param x any float
     * @return {@code logf(x)}: NaN for x &lt; 0 and NaN, -inf for &plusmn;0, +inf for +inf
     */
    public static float logf(float x) {
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

    /**
     * glibc's {@code sinf} (FMA build).
     *
     * @param y any float
     * @return {@code sinf(y)}: NaN for &plusmn;inf and NaN
     */
    public static float sinf(float y) {
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

    /**
     * glibc's {@code cosf} (FMA build).
     *
     * @param y any float
     * @return {@code cosf(y)}: NaN for &plusmn;inf and NaN
     */
    public static float cosf(float y) {
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
