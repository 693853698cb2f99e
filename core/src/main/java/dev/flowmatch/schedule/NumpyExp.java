package dev.flowmatch.schedule;

import java.math.BigDecimal;

/**
 * numpy's float64 {@code np.exp} as numpy 1.24 computes it on an x86-64 CPU with AVX-512 (Skylake-X level, e.g.
 * AMD Zen 4, the machine of the reference goldens): numpy dispatches {@code DOUBLE_exp} to Intel SVML's
 * {@code __svml_exp8} (numpy's {@code loops_exponent_log.dispatch.c.src} with {@code NPY_CAN_LINK_SVML}; the kernel is
 * {@code linux/avx512/svml_z0_exp_d_la.s} of numpy's SVML submodule), even for one element such as
 * {@code np.exp(mu)} on a Python float. It is not correctly rounded: about one input in four differs by one ulp
 * from glibc's {@code exp}, which numpy calls on CPUs without AVX-512 (flowmatch reproduces the AVX-512 kernel only).
 *
 * <p>diffusers' {@code DPMSolverMultistepScheduler.set_timesteps(mu=...)} stores {@code np.exp(mu)} as its
 * {@code flow_shift}. The kernel: {@code N} = {@code x * log2(e)} rounded down to a multiple of 1/16 (one fused
 * multiply-add rounded toward zero onto a shifter constant), {@code R = x - N ln2} in two fused steps, a degree-6
 * polynomial in {@code R}, times the table value {@code 2^(frac(N))}, scaled by {@code 2^floor(N)}. Each line below is
 * one instruction of it ({@link Math#fma} where it fuses). Inputs with {@code |x| >= 0x1.61da04cbafe44p+9} (about
 * 707.7) go to SVML's scalar fallback, which is not reproduced: there this returns 0, infinity or NaN as the limit
 * requires and otherwise {@link StrictMath#exp} (within one ulp).
 */
public final class NumpyExp {
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

    private NumpyExp() {}

    /**
     * {@code np.exp(x)} for a float64 {@code x}, bit for bit with numpy 1.24 on an AVX-512 CPU for
     * {@code |x| < 707.7}.
     *
     * @param x any double
     * @return e to the {@code x}
     */
    public static double exp(double x) {
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

    private static double scalarFallback(double x) {
        if (Double.isNaN(x) || x == Double.POSITIVE_INFINITY) {
            return x;
        }
        if (x == Double.NEGATIVE_INFINITY) {
            return 0.0;
        }
        return StrictMath.exp(x);
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
