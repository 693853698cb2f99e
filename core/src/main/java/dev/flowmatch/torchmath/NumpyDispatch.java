package dev.flowmatch.torchmath;

import java.util.Locale;

/**
 * Which loop numpy 1.24 runs for its float64 {@code exp}, {@code log} and {@code power} ufuncs, chosen at import by
 * the CPU's features ({@code numpy/core/src/umath/loops_exponent_log.dispatch.c.src} and
 * {@code loops_umath_fp.dispatch.c.src}, v1.24.2; {@code np.show_config()} lists what a build found). The choice
 * decides the last bit of diffusers' numpy schedule math: {@code np.exp(mu)} (DPM-Solver's {@code flow_shift}),
 * {@code np.exp(np.linspace(...))} (exponential sigmas) and {@code array ** rho} (Karras sigmas). A Python float
 * argument is a one-element array, so scalars take the same loop.
 */
public enum NumpyDispatch {
    /**
     * The {@code AVX512_SKX} target, on every CPU with AVX-512 F, CD, BW, DQ and VL (Intel Skylake-X and later, AMD
     * Zen 4 and later): numpy links Intel's SVML and maps each element through {@code __svml_exp8},
     * {@code __svml_log8}, {@code __svml_pow8} (the {@code _la} builds of numpy's SVML submodule, in Debian's
     * python3-numpy 1:1.24.2). Not correctly rounded. The machine that made this repository's reference data has
     * AVX-512, so this is the default.
     */
    AVX512_SKX,

    /**
     * Every other x86-64 CPU (AVX2 and older) and other architectures: the scalar loops call libm, i.e. glibc's
     * {@code exp}, {@code log}, {@code pow} ({@link GlibcDoubleMath}) on Linux. (The {@code AVX512F} target without
     * SKX, Xeon Phi, runs numpy's own AVX-512F {@code exp}/{@code log}; not reproduced.)
     */
    BASELINE;

    /**
     * The dispatch of the machine the reference data was generated on (an x86-64 CPU with AVX-512: every golden file
     * of this repository passes with it, and the numpy-dependent ones fail with {@link #BASELINE}). It is the default
     * on every machine, whatever CPU runs flowmatch: the schedule reproduces what diffusers computes on an AVX-512
     * machine. To reproduce diffusers on a machine without AVX-512 (or on arm64), set the system property
     * {@value #PROPERTY} to {@code baseline}, or pass {@link #BASELINE} to the methods that take a dispatch.
     */
    public static final NumpyDispatch DEFAULT = AVX512_SKX;

    /** The system property that overrides {@link #DEFAULT}: {@code avx512_skx} or {@code baseline}. */
    public static final String PROPERTY = "flowmatch.numpy.dispatch";

    /**
     * The dispatch the schedule code uses when none is passed: the system property {@value #PROPERTY} if set, else
     * {@link #DEFAULT}. Read on every call, so a test or a service can change it at run time.
     *
     * @return the configured dispatch
     * @throws IllegalArgumentException if the property holds another name
     */
    public static NumpyDispatch configured() {
        String value = System.getProperty(PROPERTY);
        if (value == null) {
            return DEFAULT;
        }
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + ": unknown '" + value
                    + "' (expected avx512_skx or baseline)", e);
        }
    }

    /**
     * The dispatch for a name: {@code avx512_skx} or {@code baseline} (case-insensitive).
     *
     * @param name the name
     * @return the dispatch
     * @throws IllegalArgumentException for any other name
     */
    public static NumpyDispatch parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "avx512_skx" -> AVX512_SKX;
            case "baseline" -> BASELINE;
            default -> throw new IllegalArgumentException("numpy dispatch: unknown '" + name
                    + "' (expected avx512_skx or baseline)");
        };
    }
}
