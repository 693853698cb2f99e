package dev.flowmatch.torchmath;

/**
 * Go's {@code math.Exp} as Go 1.19 computes it ({@code go1.19.8}, the toolchain of the Ollama goldens): on amd64 and
 * arm64 {@code math.Exp} is assembly ({@code src/math/exp_asm.go}: {@code haveArchExp = true}), and the two are
 * different algorithms, neither correctly rounded. Ollama's FLUX.2 scheduler calls it once, as
 * {@code float32(math.Exp(float64(mu)))} ({@code x/imagegen/models/flux2/scheduler.go}).
 */
public final class GoMath {
    /** Which of Go's {@code math.Exp} runs. */
    public enum Arch {
        /**
         * amd64 on a CPU with AVX and FMA (every x86-64 CPU since 2013-2015): {@code exp_amd64.s}'s {@code avxfma}
         * branch ({@code useFMA = cpu.X86.HasAVX && cpu.X86.HasFMA}, {@code exp_amd64.go}).
         */
        AMD64,
        /** amd64 without FMA (or with {@code GODEBUG=cpu.fma=off}): {@code exp_amd64.s}'s SSE2 instructions. */
        AMD64_NO_FMA,
        /** arm64, Apple silicon included: {@code exp_arm64.s}, fdlibm's algorithm with fused multiply-adds. */
        ARM64
    }

    private GoMath() {}

    // exp_amd64.s (Shibata's method, from SLEEF): constants as the Go assembler parses their decimal text
    private static final double AMD64_LOG2E = 1.4426950408889634073599246810018920;
    private static final double AMD64_LN2U = 0.69314718055966295651160180568695068359375;
    private static final double AMD64_LN2L = 0.28235290563031577122588448175013436025525412068e-12;
    private static final double AMD64_OVERFLOW = 7.09782712893384e+02;
    /** {@code exprodata<>}: 1/8!, 1/7!, 1/6!, 1/5!, 1/4!, 1/3!, then 0.5 and 1.0, in evaluation order. */
    private static final double[] AMD64_TAYLOR = {
        2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
        8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0,
    };

    // exp_arm64.s (fdlibm's e_exp.c via exp.go's exp and expmulti)
    private static final double ARM64_LN2_HI = 6.93147180369123816490e-01;
    private static final double ARM64_LN2_LO = 1.90821492927058770002e-10;
    private static final double ARM64_LOG2E = 1.44269504088896338700e+00;
    private static final double ARM64_OVERFLOW = 7.09782712893383973096e+02;
    private static final double ARM64_UNDERFLOW = -7.45133219101941108420e+02;
    private static final double ARM64_NEAR_ZERO = 0x1p-28;
    private static final double ARM64_P1 = 1.66666666666666657415e-01;
    private static final double ARM64_P2 = -2.77777777770155933842e-03;
    private static final double ARM64_P3 = 6.61375632143793436117e-05;
    private static final double ARM64_P4 = -1.65339022054652515390e-06;
    private static final double ARM64_P5 = 4.13813679705723846039e-08;
    private static final long FRAC_MASK = 0x000fffffffffffffL;

    /**
     * Go's {@code math.Exp(x)} on the given architecture.
     *
     * @param x    any double
     * @param arch which assembly runs
     * @return {@code math.Exp(x)} bit for bit
     */
    public static double exp(double x, Arch arch) {
        return switch (arch) {
            case AMD64 -> expAmd64(x, true);
            case AMD64_NO_FMA -> expAmd64(x, false);
            case ARM64 -> expArm64(x);
        };
    }

    /** exp_amd64.s, line by line; {@code fma} selects the {@code avxfma} branch. */
    private static double expAmd64(double x, boolean fma) {
        long bits = Double.doubleToRawLongBits(x);
        if ((bits & 0x7fffffffffffffffL) >= 0x7ff0000000000000L) { // JLE notFinite
            return bits == 0xfff0000000000000L ? 0.0 : x; // -Inf gives 0; NaN and +Inf themselves
        }
        if (x > AMD64_OVERFLOW) { // COMISD; JA overflow
            return Double.POSITIVE_INFINITY;
        }
        int exponent = cvtsd2si(AMD64_LOG2E * x); // CVTSD2SL: round to nearest even
        double k = exponent; // CVTSL2SD
        double r;
        if (fma) {
            r = Math.fma(-k, AMD64_LN2U, x); // VFNMADD231SD
            r = Math.fma(-k, AMD64_LN2L, r);
        } else {
            r = x - k * AMD64_LN2U;
            r = r - k * AMD64_LN2L;
        }
        r *= 0.0625; // reduce argument
        // Taylor series of expm1(r): p = ((... (c8 r + c7) r ...) r + 0.5) r + 1, then r * p
        double p = AMD64_TAYLOR[0];
        for (int i = 1; i < AMD64_TAYLOR.length; i++) {
            p = fma ? Math.fma(p, r, AMD64_TAYLOR[i]) : p * r + AMD64_TAYLOR[i];
        }
        double y = r * p;
        // four squarings of 1 + y, kept as y: y = y * (y + 2); the avxfma branch fuses the last one with the + 1
        for (int i = 0; i < 3; i++) {
            y = y * (y + 2.0);
        }
        if (fma) {
            y = Math.fma(y + 2.0, y, 1.0);
        } else {
            y = y * (y + 2.0);
            y = y + 1.0;
        }
        // ldexp: fr * 2**exponent
        int biased = exponent + 0x3FF; // ADDL (wraps like the 32-bit register)
        if (biased <= 0) {
            if (biased < -52) {
                return 0.0;
            }
            y *= Double.longBitsToDouble((long) (biased + 0x3FE) << 52);
            biased = 1;
        } else if (biased >= 0x7FF) {
            return Double.POSITIVE_INFINITY;
        }
        return y * Double.longBitsToDouble((long) biased << 52);
    }

    /** CVTSD2SI to a 32-bit register: round to nearest even; NaN and out-of-range give 0x80000000. */
    private static int cvtsd2si(double v) {
        double rounded = Math.rint(v);
        if (rounded >= -0x1p31 && rounded < 0x1p31) {
            return (int) rounded;
        }
        return Integer.MIN_VALUE;
    }

    /** exp_arm64.s, line by line (FMADDD, FMSUBD, FNMSUBD fused). */
    private static double expArm64(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x > ARM64_OVERFLOW) {
            return Double.POSITIVE_INFINITY;
        }
        if (x < ARM64_UNDERFLOW) {
            return 0.0;
        }
        if (Math.abs(x) < ARM64_NEAR_ZERO) {
            return 1.0 + x;
        }
        // k = int(Log2e*x - 0.5) for x < 0, int(Log2e*x + 0.5) otherwise, each multiply-add fused; FCVTZS truncates
        double kd = x < 0 ? Math.fma(ARM64_LOG2E, x, -0.5) : Math.fma(ARM64_LOG2E, x, 0.5);
        long k = (long) kd;
        double fk = k;
        double hi = Math.fma(-fk, ARM64_LN2_HI, x); // FMSUBD: x - float64(k)*Ln2Hi
        double lo = fk * ARM64_LN2_LO;
        double r = hi - lo;
        double t = r * r;
        double c = Math.fma(t, ARM64_P5, ARM64_P4);
        c = Math.fma(t, c, ARM64_P3);
        c = Math.fma(t, c, ARM64_P2);
        c = Math.fma(t, c, ARM64_P1);
        c = Math.fma(-t, c, r); // FMSUBD: r - t*(...)
        double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
        // inline Ldexp(y, k): the exponent field plus k, on the 64-bit register
        long yBits = Double.doubleToRawLongBits(y);
        long fraction = yBits & FRAC_MASK;
        long e = (yBits >>> 52) + k;
        double m = 1.0;
        if (e < 1) {
            e += 52; // denormal
            m = 0x1p-52;
        }
        return Double.longBitsToDouble(fraction | (e << 52)) * m;
    }
}
