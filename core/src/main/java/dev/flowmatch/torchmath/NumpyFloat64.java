package dev.flowmatch.torchmath;

import java.util.Objects;

/**
 * numpy 1.24's float64 ufuncs {@code np.exp}, {@code np.log} and {@code np.power} (the {@code **} of a float64 array
 * and a Python float) element by element, as numpy's dispatch runs them on the CPU ({@link NumpyDispatch}):
 * {@code DOUBLE_exp} and {@code DOUBLE_log} ({@code numpy/core/src/umath/loops_exponent_log.dispatch.c.src}) and
 * {@code DOUBLE_power} ({@code loops_umath_fp.dispatch.c.src}) call SVML's AVX-512 kernels on
 * {@link NumpyDispatch#AVX512_SKX} and libm on {@link NumpyDispatch#BASELINE}. An array's elements never influence
 * each other (the SIMD loop maps lane by lane; the tail is padded), and a Python float argument is a one-element
 * array, so one function per element is exact. {@code array ** 2.0}, {@code ** 0.5}, {@code ** 1.0} and
 * {@code ** -1.0} never reach {@code power} (numpy's {@code fast_scalar_power} squares, takes the square root, copies
 * or divides instead).
 *
 * <p>Where diffusers v0.40.0 calls them: {@code np.exp(mu)} ({@code scheduling_dpmsolver_multistep.py} l. 392, the
 * flow shift), {@code np.exp(np.linspace(math.log(sigma_max), math.log(sigma_min), n))} ({@code _convert_to_exponential},
 * e.g. {@code scheduling_flow_match_euler_discrete.py} l. 594) and {@code (max_inv_rho + ramp * (...)) ** rho}
 * ({@code _convert_to_karras}, l. 560). Verified against numpy itself: see the package documentation.
 */
public final class NumpyFloat64 {
    private NumpyFloat64() {}

    /**
     * {@code np.exp(x)} on a float64 element.
     *
     * @param x        any double
     * @param dispatch which loop numpy runs
     * @return e to the {@code x}
     */
    public static double exp(double x, NumpyDispatch dispatch) {
        return switch (Objects.requireNonNull(dispatch, "dispatch")) {
            case AVX512_SKX -> SvmlDouble.exp8(x);
            case BASELINE -> GlibcDoubleMath.exp(x);
        };
    }

    /**
     * {@code np.log(x)} on a float64 element.
     *
     * @param x        any double
     * @param dispatch which loop numpy runs
     * @return the natural logarithm
     */
    public static double log(double x, NumpyDispatch dispatch) {
        return switch (Objects.requireNonNull(dispatch, "dispatch")) {
            case AVX512_SKX -> SvmlDouble.log8(x);
            case BASELINE -> GlibcDoubleMath.log(x);
        };
    }

    /**
     * {@code np.power(x, y)} on float64 elements, i.e. {@code array ** y} for an exponent that
     * {@code fast_scalar_power} leaves to the ufunc (anything but 2, 0.5, 1, -1 and 0).
     *
     * @param x        the base
     * @param y        the exponent
     * @param dispatch which loop numpy runs
     * @return x to the y
     */
    public static double power(double x, double y, NumpyDispatch dispatch) {
        return switch (Objects.requireNonNull(dispatch, "dispatch")) {
            case AVX512_SKX -> SvmlDouble.pow8(x, y);
            case BASELINE -> GlibcDoubleMath.pow(x, y);
        };
    }
}
