package dev.flowmatch.schedule;

import dev.flowmatch.Limits;
import dev.flowmatch.torchmath.GlibcDoubleMath;
import dev.flowmatch.torchmath.NumpyDispatch;
import dev.flowmatch.torchmath.NumpyFloat64;
import org.apache.commons.statistics.distribution.BetaDistribution;

/**
 * Evenly spaced values and the alternative sigma spacings of diffusers, computed in float64 exactly as numpy
 * computes them.
 */
public final class Spacings {
    /** Karras et al. (2022) use rho = 7 ({@code _convert_to_karras}: "7.0 is the value used in the paper"). */
    public static final double KARRAS_RHO = 7.0;
    /**
     * {@code _convert_to_beta} defaults: alpha = beta = 0.6 ("Beta Sampling is All You Need").
     *
     * @see #BETA_BETA
     */
    public static final double BETA_ALPHA = 0.6;
    /** The beta parameter of {@code _convert_to_beta} (0.6; alpha is {@link #BETA_ALPHA}). */
    public static final double BETA_BETA = 0.6;

    private Spacings() {}

    /**
     * {@code numpy.linspace(start, stop, num)} (endpoint included) in float64, reproducing numpy 1.24's
     * arithmetic ({@code numpy/core/function_base.py}): {@code step = (stop - start) / (num - 1)},
     * {@code y[i] = i * step + start}, and the last value set to {@code stop}. With {@code num == 1} the single
     * value is {@code start}.
     *
     * @param start the first value
     * @param stop  the last value
     * @param num   the number of values, {@code >= 0}
     * @return {@code num} values from {@code start} to {@code stop}
     * @throws IllegalArgumentException if {@code num < 0}
     */
    public static double[] linspace(double start, double stop, int num) {
        if (num < 0) {
            throw new IllegalArgumentException("num: " + num + " must be >= 0");
        }
        Limits.requireElements("linspace", dev.flowmatch.tensor.Shape.of(num), null);
        double[] y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        if (div > 0) {
            double step = delta / div;
            if (step == 0) {
                // numpy: "if any_step_zero: y /= div; y = y * delta"
                for (int i = 0; i < num; i++) {
                    y[i] = (i / (double) div) * delta + start;
                }
            } else {
                for (int i = 0; i < num; i++) {
                    y[i] = i * step + start;
                }
            }
            y[num - 1] = stop;
        } else if (num == 1) {
            y[0] = 0 * delta + start;
        }
        return y;
    }

    /**
     * Karras et al. sigmas ({@code _convert_to_karras}), numpy's power as on the machine of the reference data
     * ({@link NumpyDispatch#configured()}, by default {@link NumpyDispatch#DEFAULT}).
     *
     * @param sigmaMin the smallest sigma
     * @param sigmaMax the largest sigma
     * @param n        the number of sigmas, {@code >= 0}
     * @return {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}
     * @see #karras(double, double, int, NumpyDispatch)
     */
    public static double[] karras(double sigmaMin, double sigmaMax, int n) {
        return karras(sigmaMin, sigmaMax, n, NumpyDispatch.configured());
    }

    /**
     * Karras et al. sigmas ({@code _convert_to_karras}, {@code scheduling_flow_match_euler_discrete.py} l. 558-560):
     * {@code (max^(1/rho) + ramp * (min^(1/rho) - max^(1/rho)))^rho} with {@code ramp = linspace(0, 1, n)}. The
     * sigmas are Python floats, so {@code sigma ** (1 / rho)} is glibc's {@code pow}; {@code (...) ** rho} is numpy's
     * float64 {@code power} on an array.
     *
     * @param sigmaMin the smallest sigma
     * @param sigmaMax the largest sigma
     * @param n        the number of sigmas, {@code >= 0}
     * @param dispatch numpy's loop for {@code power}
     * @return {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}
     */
    public static double[] karras(double sigmaMin, double sigmaMax, int n, NumpyDispatch dispatch) {
        double[] ramp = linspace(0, 1, n);
        double minInvRho = GlibcDoubleMath.pow(sigmaMin, 1 / KARRAS_RHO); // l. 558
        double maxInvRho = GlibcDoubleMath.pow(sigmaMax, 1 / KARRAS_RHO); // l. 559
        double[] sigmas = new double[n];
        for (int i = 0; i < n; i++) {
            // l. 560: the float64 array ** 7.0, numpy's power ufunc
            sigmas[i] = NumpyFloat64.power(maxInvRho + ramp[i] * (minInvRho - maxInvRho), KARRAS_RHO, dispatch);
        }
        return sigmas;
    }

    /**
     * Log-linear sigmas ({@code _convert_to_exponential}), numpy's exp as on the machine of the reference data
     * ({@link NumpyDispatch#configured()}, by default {@link NumpyDispatch#DEFAULT}).
     *
     * @param sigmaMin the smallest sigma, {@code > 0}
     * @param sigmaMax the largest sigma, {@code > 0}
     * @param n        the number of sigmas, {@code >= 0}
     * @return {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}
     * @see #exponential(double, double, int, NumpyDispatch)
     */
    public static double[] exponential(double sigmaMin, double sigmaMax, int n) {
        return exponential(sigmaMin, sigmaMax, n, NumpyDispatch.configured());
    }

    /**
     * Log-linear sigmas ({@code _convert_to_exponential}, {@code scheduling_flow_match_euler_discrete.py} l. 594):
     * {@code np.exp(np.linspace(math.log(max), math.log(min), n))}: glibc's {@code log} of the Python floats, numpy's
     * float64 {@code exp} of the array.
     *
     * @param sigmaMin the smallest sigma, {@code > 0}
     * @param sigmaMax the largest sigma, {@code > 0}
     * @param n        the number of sigmas, {@code >= 0}
     * @param dispatch numpy's loop for {@code exp}
     * @return {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}
     */
    public static double[] exponential(double sigmaMin, double sigmaMax, int n, NumpyDispatch dispatch) {
        double[] logs = linspace(GlibcDoubleMath.log(sigmaMax), GlibcDoubleMath.log(sigmaMin), n);
        double[] sigmas = new double[n];
        for (int i = 0; i < n; i++) {
            sigmas[i] = NumpyFloat64.exp(logs[i], dispatch);
        }
        return sigmas;
    }

    /**
     * Beta-quantile sigmas ({@code _convert_to_beta}):
     * {@code min + ppf(1 - linspace(0, 1, n)[i]; 0.6, 0.6) * (max - min)}. The quantile comes from Apache
     * Commons Statistics (scipy's {@code beta.ppf} in the reference).
     *
     * @param sigmaMin the smallest sigma
     * @param sigmaMax the largest sigma
     * @param n        the number of sigmas, {@code >= 0}
     * @return {@code n} sigmas from {@code sigmaMax} down to {@code sigmaMin}
     */
    public static double[] beta(double sigmaMin, double sigmaMax, int n) {
        BetaDistribution distribution = BetaDistribution.of(BETA_ALPHA, BETA_BETA);
        double[] ramp = linspace(0, 1, n);
        double[] sigmas = new double[n];
        for (int i = 0; i < n; i++) {
            double ppf = distribution.inverseCumulativeProbability(1 - ramp[i]);
            sigmas[i] = sigmaMin + (ppf * (sigmaMax - sigmaMin));
        }
        return sigmas;
    }
}
