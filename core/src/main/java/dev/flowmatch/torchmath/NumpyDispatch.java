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

    /** The dispatch of the machine the bundled reference data was generated on. */
    public static final NumpyDispatch DEFAULT = AVX512_SKX;

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
