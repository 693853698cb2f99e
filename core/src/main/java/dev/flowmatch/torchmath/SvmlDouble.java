package dev.flowmatch.torchmath;

import java.math.BigDecimal;

/**
 * Intel SVML's float64 kernels that numpy 1.24 runs on AVX-512 CPUs ({@link NumpyDispatch#AVX512_SKX}), one lane at a
 * time: {@code __svml_exp8}, {@code __svml_log8} and {@code __svml_pow8} ({@code linux/avx512/svml_z0_exp_d_la.s},
 * {@code svml_z0_log_d_la.s}, {@code svml_z0_pow_d_la.s} of numpy's SVML submodule, as Debian's python3-numpy
 * 1:1.24.2 ships them in {@code _multiarray_umath}; read from its disassembly). Each line of a port is one instruction
 * of the kernel ({@link Math#fma} where it fuses, a directed rounding where the instruction has {@code {rz-sae}} or
 * {@code {rd-sae}}); see {@link NumpyFloat64} for where numpy calls them.
 *
 * <p>{@code __svml_log8} and {@code __svml_pow8} start from {@code VRCP14PD}, an approximate reciprocal that Intel
 * specifies only to a relative error below 2^-14, rounded to a multiple of 1/32 ({@code VRNDSCALEPD $0x58}). Only that
 * rounded value matters; it changes at the 16 (log) and 32 (pow) mantissas listed in {@link #LOG8_RCP_BREAKPOINTS}
 * and {@link #POW8_RCP_BREAKPOINTS}, measured on an AMD EPYC (Zen 5) by {@code tools/reference/vrcp14_breakpoints.c}
 * (monotone around each). A CPU whose {@code VRCP14PD} rounds otherwise near those points would differ there.
 */
final class SvmlDouble {
    private static final double LOG2E = 0x1.71547652b82fep+0;
    /** 1.5 * 2^48 + 1023: its ulp is 1/16, so adding it rounds to a multiple of 1/16. */
    private static final double SHIFTER = 0x1.8000000003ff0p+48;
    private static final double LN2_HI = 0x1.62e42fefa39efp-1;
    private static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** The mask the kernel applies to the reduced argument (clears exponent bit 62). */
    private static final long R_MASK = 0xbfffffffffffffffL;
    private static final double C6 = 0x1.72eb5ef0d213dp-10;
    private static final double C5 = 0x1.1106603d97c00p-7;
    private static final double C4 = 0x1.555564bb4f5f0p-5;
    private static final double C3 = 0x1.5555554b508a2p-3;
    private static final double C2 = 0x1.0000000002622p-1;
    /** |x| at and above which the vector path hands the lane to the scalar fallback. */
    private static final double SPECIAL = 0x1.61da04cbafe44p+9;
    /** {@code 2^(j/16)}, j = 0..15. */
    private static final double[] TABLE = {
        0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
        0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
        0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
        0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
    };

    private SvmlDouble() {}

    /**
     * {@code __svml_exp8} on one lane. The kernel: {@code N} = {@code x * log2(e)} rounded down to a multiple of 1/16
     * (one fused multiply-add rounded toward zero onto a shifter constant), {@code R = x - N ln2} in two fused steps,
     * a degree-6 polynomial in {@code R}, times the table value {@code 2^(frac(N))}, scaled by {@code 2^floor(N)}.
     * Inputs with {@code |x| >= 0x1.61da04cbafe44p+9} (about 707.7) go to SVML's scalar fallback, which is not
     * reproduced: there this returns 0, infinity or NaN as the limit requires and otherwise glibc's {@code exp}
     * (within one ulp).
     *
     * @param x any double
     * @return e to the {@code x}
     */
    static double exp8(double x) {
        if (!(Math.abs(x) < SPECIAL)) {
            return scalarFallback(x);
        }
        // vfmadd213pd {rz-sae}: x * log2(e) + shifter, rounded toward zero.
        double shifted = fmaTowardZero(x, LOG2E, SHIFTER);
        double n = shifted - SHIFTER; // vsubpd: a multiple of 1/16
        // vpermt2pd: the low four bits of the shifted value index the table.
        double t = TABLE[(int) (Double.doubleToRawLongBits(shifted) & 0xf)];
        double r = Math.fma(-n, LN2_HI, x); // vfnmadd213pd
        r = Math.fma(-LN2_LO, n, r); // vfnmadd231pd
        r = Double.longBitsToDouble(Double.doubleToRawLongBits(r) & R_MASK); // vandpd
        double r2 = r * r;
        double p65 = Math.fma(C6, r, C5);
        double p43 = Math.fma(C4, r, C3);
        double r3 = r2 * r;
        double p21 = Math.fma(r2, C2, r);
        double p = Math.fma(r2, p65, p43);
        p = Math.fma(r3, p, p21);
        p = Math.fma(t, p, t);
        return Math.scalb(p, (int) Math.floor(n)); // vscalefpd: times 2^floor(n), one rounding
    }

    // ------------------------------------------------------------------------------------------- __svml_log8

    /**
     * Mantissas m in [1, 2) from which {@code VRNDSCALEPD(VRCP14PD(m), $0x58)} is 31/32, 30/32, ..., 16/32 (below the
     * first it is 1): measured, see the class documentation.
     */
    private static final double[] LOG8_RCP_BREAKPOINTS = {
        0x1.040fp+0, 0x1.0c97p+0, 0x1.15b4p+0, 0x1.1f7p+0, 0x1.29e6p+0, 0x1.3523p+0, 0x1.4143p+0, 0x1.4e5fp+0,
        0x1.5c99p+0, 0x1.6c15p+0, 0x1.7d07p+0, 0x1.8f9cp+0, 0x1.a41ap+0, 0x1.badp+0, 0x1.d41cp+0, 0x1.f08p+0,
    };
    /** {@code -log(1 + j/16)} for j = 0..7 and {@code -log((16 + j)/32)} for j = 8..15 (the kernel's table). */
    private static final double[] LOG8_TABLE = {
        0x0.0p+0, -0x1.f0a30c01162a6p-5, -0x1.e27076e2af2e6p-4, -0x1.5ff3070a793d4p-3,
        -0x1.c8ff7c79a9a22p-3, -0x1.1675cababa60ep-2, -0x1.4618bc21c5ec2p-2, -0x1.739d7f6bbd007p-2,
        0x1.269621134db92p-2, 0x1.f991c6cb3b379p-3, 0x1.a93ed3c8ad9e3p-3, 0x1.5bf406b543db2p-3,
        0x1.1178e8227e47cp-3, 0x1.9335e5d594989p-4, 0x1.08598b59e3a07p-4, 0x1.0415d89e74444p-5,
    };
    private static final double LOG8_C9 = 0x1.c81cd309d7c70p-4;
    private static final double LOG8_C8 = -0x1.007357e93af62p-3;
    private static final double LOG8_C7 = 0x1.249229cee81efp-3;
    private static final double LOG8_C6 = -0x1.55553fb28db06p-3;
    private static final double LOG8_C5 = 0x1.9999999cc9f5cp-3;
    private static final double LOG8_C4 = -0x1.00000000c05bdp-2;
    private static final double LOG8_C3 = 0x1.5555555555466p-2;
    private static final double LOG8_C2 = -0x1.fffffffffffc6p-2;
    private static final double LOG8_LN2 = 0x1.62e42fefa39efp-1;

    /**
     * {@code __svml_log8} on one lane: x = 2^e m with m in [1, 2) ({@code VGETEXPPD}, {@code VGETMANTPD}), r the
     * reciprocal of m rounded to 1/32, {@code R = r m - 1}, log(x) = e ln 2 - log(r) + log1p(R) with a degree-9
     * polynomial. Negative x, zeros and infinities go to SVML's scalar fallback, whose results are the limits.
     *
     * @param x any double
     * @return the natural logarithm: -inf for ±0, +inf for +inf, NaN for negative {@code x} and NaN
     */
    static double log8(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (x < 0) {
            return Double.NaN;
        }
        if (x == Double.POSITIVE_INFINITY) {
            return x;
        }
        double m = mantissa(x); // vgetmantpd $0x8: [1, 2)
        double e = Math.getExponent(x) >= Double.MIN_EXPONENT ? Math.getExponent(x) : subnormalExponent(x);
        int k = 32;
        for (double b : LOG8_RCP_BREAKPOINTS) {
            if (m >= b) {
                k--;
            }
        }
        double rcp = k / 32.0; // vrcp14pd, vrndscalepd $0x58
        double r = Math.fma(rcp, m, -1.0); // vfmsub213pd
        if (rcp < 0.75) {
            e += 1.0; // vcmplt_oqpd, masked vaddpd
        }
        double p76 = Math.fma(r, LOG8_C7, LOG8_C6);
        double p98 = Math.fma(r, LOG8_C9, LOG8_C8);
        double p32 = Math.fma(r, LOG8_C3, LOG8_C2);
        double r2 = r * r;
        double p54 = Math.fma(r, LOG8_C5, LOG8_C4);
        double r4 = r2 * r2;
        double q1 = Math.fma(r2, p98, p76);
        double q2 = Math.fma(r2, p54, p32);
        int j = k == 32 ? 0 : k - 16; // vpsrlq $48 of the reciprocal indexes the table
        double p = Math.fma(r4, q1, q2);
        p = Math.fma(r2, p, r);
        double t = LOG8_TABLE[j] + p;
        return Math.fma(LOG8_LN2, e, t);
    }

    // ------------------------------------------------------------------------------------------- __svml_pow8

    /**
     * Mantissas m in [1/2, 1) from which {@code VRNDSCALEPD(VRCP14PD(m), $0x58)} is 63/32, 62/32, ..., 32/32 (below the
     * first it is 2): measured, see the class documentation.
     */
    private static final double[] POW8_RCP_BREAKPOINTS = {
        0x1.0206p-1, 0x1.0627p-1, 0x1.0a6ap-1, 0x1.0edp-1, 0x1.135dp-1, 0x1.180fp-1, 0x1.1cf2p-1, 0x1.21fdp-1,
        0x1.2736p-1, 0x1.2c9fp-1, 0x1.324p-1, 0x1.3812p-1, 0x1.3e25p-1, 0x1.446ep-1, 0x1.4afep-1, 0x1.51d2p-1,
        0x1.58efp-1, 0x1.6057p-1, 0x1.6817p-1, 0x1.702dp-1, 0x1.78a5p-1, 0x1.8182p-1, 0x1.8acdp-1, 0x1.948ap-1,
        0x1.9ecbp-1, 0x1.a98fp-1, 0x1.b4e9p-1, 0x1.c0ep-1, 0x1.cd88p-1, 0x1.dae6p-1, 0x1.e915p-1, 0x1.f823p-1,
    };
    /** log2 of the reciprocal's correction, high parts: j = 0..31 ({@code -log2(1 + j/32)}, then positive). */
    private static final double[] POW8_LOG2_HI = {
        0x0.0p+0, -0x1.6bad3758e0000p-5, -0x1.663f6fac90000p-4, -0x1.08c588cda8000p-3,
        -0x1.5c01a39fc0000p-3, -0x1.acf5e2db50000p-3, -0x1.fbc16b9028000p-3, -0x1.24407ab0e0000p-2,
        -0x1.49a784bcd0000p-2, -0x1.6e221cd9d0000p-2, -0x1.91bba891f0000p-2, -0x1.b47ebf7388000p-2,
        -0x1.d6753e0330000p-2, -0x1.f7a8568cb0000p-2, -0x1.0c10500d64000p-1, -0x1.1bf311e95e000p-1,
        0x1.a8ff971810000p-2, 0x1.8a8980abfc000p-2, 0x1.6cb0f6865c000p-2, 0x1.4f6fbb2cec000p-2,
        0x1.32bfee3710000p-2, 0x1.169c053640000p-2, 0x1.f5fd8a9060000p-3, 0x1.bfc67a8000000p-3,
        0x1.8a8980abf8000p-3, 0x1.563dc29ff8000p-3, 0x1.22dadc2ab0000p-3, 0x1.e0b1ae8f30000p-4,
        0x1.7d60496d00000p-4, 0x1.1bb32a6000000p-4, 0x1.77394c9da0000p-5, 0x1.743ee86200000p-6,
    };
    /** ... and their low parts. */
    private static final double[] POW8_LOG2_LO = {
        0x0.0p+0, -0x1.fb0e626c0de13p-42, -0x1.3167ccc538261p-44, 0x1.871a7610e40bdp-45,
        0x1.4bc302ffa76fbp-42, 0x1.36c101ee13440p-43, 0x1.7f5dc57266758p-43, -0x1.ce60916e52e91p-44,
        -0x1.b8afe492bf6ffp-42, -0x1.9bcaf1aa4168ap-43, -0x1.708b4b2b5056cp-42, -0x1.50520a377c7ecp-45,
        0x1.5f101c141e670p-42, -0x1.b3b3864c60011p-44, 0x1.5669df6a2b592p-43, 0x1.fe43895d8ac46p-42,
        0x1.4bc302ffa76fbp-43, -0x1.66cccab240e90p-45, 0x1.1d406db502403p-43, 0x1.661e393a16b95p-44,
        -0x1.1979a5db68722p-42, -0x1.d4f1b95e0ff45p-43, 0x1.f1a4847f7b278p-42, -0x1.667f21fa8423fp-44,
        0x1.e9933354dbf17p-42, 0x1.6590643906f2ap-42, 0x1.a4b69691d7994p-42, -0x1.54cda62d3926ep-47,
        -0x1.12ce6312ebb82p-42, 0x1.52743318a8a57p-42, -0x1.4e55443478fe0p-42, -0x1.95539356f93dcp-43,
    };
    private static final double POW8_LOG2E = 0x1.71547652b82fep+0;
    private static final double POW8_MINUS_HALF_LOG2E = -0x1.71547652b82fep-1;
    private static final double POW8_LOG2E_LO = 0x1.777f3ee5e912fp-56;
    private static final double POW8_L1 = 0x1.48799f5374b96p-3;
    private static final double POW8_L2 = -0x1.717e59a559f5dp-3;
    private static final double POW8_L3 = 0x1.a6175fca19d03p-3;
    private static final double POW8_L4 = -0x1.ec709bc8fb8dfp-3;
    private static final double POW8_L5 = 0x1.2776c50f03272p-2;
    private static final double POW8_L6 = -0x1.71547652bc9eap-2;
    private static final double POW8_L7 = 0x1.ec709dc3a03fcp-2;
    private static final double POW8_L8 = 0x1.36b5ddffe5b67p-57;
    /** 1.5 * 2^48 + 1023: its ulp is 1/16. */
    private static final double POW8_SHIFTER = 0x1.8000000003ff0p+48;
    private static final double POW8_E1 = 0x1.4a1d7f58c2d59p-13;
    private static final double POW8_E2 = 0x1.5d7472783d279p-10;
    private static final double POW8_E3 = 0x1.3b2ad1b14ebaap-7;
    private static final double POW8_E4 = 0x1.c6b08d4ad8eb9p-5;
    private static final double POW8_E5 = 0x1.ebfbdff84554dp-3;
    private static final double POW8_E6 = 0x1.62e42fefa398bp-1;
    /** |y log2(x)| above which the lane goes to the scalar fallback. */
    private static final double POW8_LIMIT = 0x1.fec0000000000p+9;

    /**
     * {@code __svml_pow8} on one lane: log2(x) in about 70 bits (x = 2^e m with m in [1/2, 1), r the reciprocal of m
     * rounded to 1/32, a table of log2(r) in two parts, a polynomial in {@code R = r m - 1} with its rounding errors
     * carried), times y rounded toward zero, then 2^(y log2 x) from a 16-entry table and a degree-6 polynomial. SVML
     * hands a lane to its scalar fallback for x negative, zero, infinite or NaN, y infinite or NaN, and
     * |y log2(x)| &gt; 1021.5; that fallback is not reproduced: there this returns glibc's {@code pow} (the same for
     * the special values C99 defines; near overflow and underflow, and for a negative x with an integer y, possibly
     * one ulp apart).
     *
     * @param x the base
     * @param y the exponent
     * @return x to the y
     */
    static double pow8(double x, double y) {
        if (!(x > 0) || x == Double.POSITIVE_INFINITY || !Double.isFinite(y)) {
            return GlibcDoubleMath.pow(x, y); // vfpclasspd $0xdf on x, $0x99 on y
        }
        double m = mantissa(x) * 0.5; // vgetmantpd $0xa: [1/2, 1)
        double e = Math.getExponent(x) >= Double.MIN_EXPONENT ? Math.getExponent(x) : subnormalExponent(x);
        int k = 64;
        for (double b : POW8_RCP_BREAKPOINTS) {
            if (m >= b) {
                k--;
            }
        }
        double rcp = k / 32.0; // vrcp14pd, vrndscalepd $0x58
        double r = Math.fma(rcp, m, -1.0); // vfmsub213pd
        if (rcp < 1.5) {
            e += 1.0;
        }
        int j = k == 64 ? 0 : k - 32; // vpsrlq $47: four bits index the tables, the fifth picks the pair
        double hi = POW8_LOG2_HI[j];
        double lo = POW8_LOG2_LO[j];
        double p1 = Math.fma(POW8_L1, r, POW8_L2);
        double r2 = r * r;
        double p2 = Math.fma(POW8_L3, r, POW8_L4);
        double he = hi + e;
        double p3 = Math.fma(POW8_L5, r, POW8_L6);
        double q = Math.fma(r2, p1, p2);
        double p4 = Math.fma(POW8_L7, r, POW8_L8);
        q = Math.fma(r2, q, p3);
        double r2Error = Math.fma(r, r, -r2);
        double e1 = Math.fma(POW8_MINUS_HALF_LOG2E, r2Error, lo);
        double s1 = Math.fma(POW8_LOG2E, r, he);
        q = Math.fma(r2, q, p4);
        double d1 = s1 - he;
        double e2 = Math.fma(q, r2, e1);
        double err1 = Math.fma(r, POW8_LOG2E, -d1);
        double s2 = Math.fma(POW8_MINUS_HALF_LOG2E, r2, s1);
        double err2 = Math.fma(POW8_LOG2E_LO, r, err1);
        double s3 = s2 + e2;
        double d2 = s2 - s1;
        double yLog = multiplyTowardZero(s3, y); // vmulpd {rz-sae}
        double err3 = Math.fma(POW8_MINUS_HALF_LOG2E, r2, -d2);
        double d3 = s3 - s2;
        double yLogError = Math.fma(y, s3, -yLog); // vfmsub213pd {rz-sae}: exact, the error of a product
        double err4 = e2 - d3;
        double err5 = err2 + err3;
        double errSum = err4 + err5;
        if (!(Math.abs(yLog) <= POW8_LIMIT)) {
            return GlibcDoubleMath.pow(x, y); // vcmpnle_uqpd: over- or underflow, to the scalar fallback
        }
        // vaddpd {rd-sae} onto the shifter: yLog rounded down to a multiple of 1/16 (exact otherwise)
        long sixteenths = (long) Math.floor(yLog * 16);
        long shifted = Double.doubleToRawLongBits(POW8_SHIFTER) + sixteenths;
        // vreducepd $0x41: yLog less yLog rounded down to 1/16, the subtraction also rounded down
        double fraction = subtractDown(yLog, Math.floor(yLog * 16) / 16);
        double yLogLow = fmaTowardZero(y, errSum, yLogError); // vfmadd213pd {rz-sae}
        double t = fraction + yLogLow;
        t = Double.longBitsToDouble(Double.doubleToRawLongBits(t) & R_MASK); // vandpd
        double table = TABLE[(int) (shifted & 0xf)]; // vpermt2pd
        double t2 = t * t;
        double tTable = t * table;
        double f1 = Math.fma(POW8_E1, t, POW8_E2);
        double f2 = Math.fma(POW8_E3, t, POW8_E4);
        double f3 = Math.fma(POW8_E5, t, POW8_E6);
        double scale = Double.longBitsToDouble((shifted << 48) & 0x7ff0000000000000L); // vpsllq $48, vandpd
        double f = Math.fma(t2, f1, f2);
        f = Math.fma(t2, f, f3);
        f = Math.fma(tTable, f, table);
        return f * scale;
    }

    /** {@code VGETMANTPD} with interval [1, 2) and the sign cleared (x finite, non-zero). */
    private static double mantissa(double x) {
        long bits = Double.doubleToRawLongBits(Math.abs(x));
        if (Math.getExponent(x) < Double.MIN_EXPONENT) {
            bits = Double.doubleToRawLongBits(Math.abs(x) * 0x1p54); // normalize a subnormal exactly
        }
        return Double.longBitsToDouble((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
    }

    /** {@code VGETEXPPD} of a subnormal: floor(log2|x|). */
    private static double subnormalExponent(double x) {
        return Math.getExponent(Math.abs(x) * 0x1p54) - 54;
    }

    /** {@code a - b} rounded toward negative infinity (exact error by Knuth's two-sum). */
    private static double subtractDown(double a, double b) {
        double difference = a - b;
        double bVirtual = difference - a;
        double error = (a - (difference - bVirtual)) + (-b - bVirtual);
        return error < 0 ? Math.nextDown(difference) : difference;
    }

    /** {@code a * b} rounded toward zero. */
    private static double multiplyTowardZero(double a, double b) {
        double nearest = a * b;
        double error = Math.fma(a, b, -nearest);
        if (error != 0 && (error > 0) != (nearest > 0) && nearest != 0 && Double.isFinite(nearest)) {
            return nearest > 0 ? Math.nextDown(nearest) : Math.nextUp(nearest);
        }
        return nearest;
    }

    private static double scalarFallback(double x) {
        if (Double.isNaN(x) || x == Double.POSITIVE_INFINITY) {
            return x;
        }
        if (x == Double.NEGATIVE_INFINITY) {
            return 0.0;
        }
        return GlibcDoubleMath.exp(x);
    }

    /** {@code a * b + c} with one rounding toward zero (the {@code {rz-sae}} form of the fused multiply-add). */
    private static double fmaTowardZero(double a, double b, double c) {
        double nearest = Math.fma(a, b, c);
        BigDecimal exact = new BigDecimal(a).multiply(new BigDecimal(b)).add(new BigDecimal(c));
        int cmp = new BigDecimal(nearest).compareTo(exact);
        if (cmp > 0 && nearest > 0) {
            return Math.nextDown(nearest);
        }
        if (cmp < 0 && nearest < 0) {
            return Math.nextUp(nearest);
        }
        return nearest;
    }
}
