package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.Objects;

/**
 * An exact velocity model: data distributed as {@code N(m, s^2 I)} under the rectified flow
 * {@code x_t = (1 - t) x0 + t * eps}, so the sampler can run without model weights and its result can be
 * compared with the exact answer.
 *
 * <p>Derivation, per element (all Gaussian): {@code Cov(x0, x_t) = (1-t) s^2},
 * {@code Var(x_t) = (1-t)^2 s^2 + t^2}, hence
 * {@code E[x0 | x_t = x] = m + (1-t) s^2 / ((1-t)^2 s^2 + t^2) * (x - (1-t) m)}. The flow's velocity target is
 * {@code eps - x0 = (x_t - x0) / t}, so the exact (marginal) velocity is {@code v(x, t) = (x - E[x0 | x]) / t}.
 * The ODE {@code dx/dt = v} transports {@code z ~ N(0, I)} at {@code t = 1} along
 * {@code x_t = (1-t) m + sqrt((1-t)^2 s^2 + t^2) z} (substitute: both sides give
 * {@code -m + z (t - (1-t) s^2) / sqrt(...)}), so the exact endpoint from noise {@code z} is {@code m + s z}.
 *
 * <p>At {@code t = 0} the quotient is {@code 0 / 0}; the velocity there is its limit. With
 * {@code D = (1-t)^2 s^2 + t^2}, {@code 1 - gain = t (t - (1-t) s^2) / D} and {@code 1 - gain (1-t) = t^2 / D}, so
 * {@code x - E[x0 | x] = t ((t - (1-t) s^2) x - t m) / D} and {@code v(x, t) = ((t - (1-t) s^2) x - t m) / D},
 * which is continuous on [0, 1] with {@code v(x, 0) = -s^2 x / s^2 = -x}: the clean end of the flow is a fixed
 * point of the denoiser ({@code E[x0 | x_0 = x] = x}), and the velocity {@code eps - x0} seen from it is
 * {@code -x} (for the data's own trajectory {@code x_t = (1-t) m + sqrt(D) z}, {@code dx/dt} at 0 is
 * {@code -m - s^2 z / s = -(m + s z)}). Some schedulers call the model there: DPM-Solver's last int64 timestep
 * ({@code sigma * 1000} truncated to 0 near the end of a long schedule) and the terminal sigma 0 of
 * {@code LTXEulerAncestralRFScheduler}'s explicit sigmas.
 *
 * <p>The model computes in float64 on the host and returns a tensor of the latents' dtype on their backend.
 * The mean pattern {@code m} covers one batch item and repeats over the batch.
 */
public final class GaussianFlow implements VelocityModel {
    private final float[] mean;
    private final double std;

    /**
     * An exact model of data {@code N(m, s^2 I)}.
     *
     * @param mean the data mean {@code m} of one batch item, in the latents' memory order (copied), non-empty
     * @param std  the data standard deviation {@code s}, finite and {@code > 0}
     * @throws IllegalArgumentException if {@code mean} is empty or {@code std} is not finite and positive
     */
    public GaussianFlow(float[] mean, double std) {
        Objects.requireNonNull(mean, "mean");
        if (mean.length == 0) {
            throw new IllegalArgumentException("mean: must not be empty");
        }
        if (!(std > 0) || !Double.isFinite(std)) {
            throw new IllegalArgumentException("std: " + std + " must be finite and > 0");
        }
        this.mean = mean.clone();
        this.std = std;
    }

    /**
     * The data standard deviation.
     *
     * @return {@code s}
     */
    public double std() {
        return std;
    }

    /**
     * {@code E[x0 | x_t = x]}, the model's prediction of the clean data.
     *
     * @param x       the noisy value {@code x_t} of one element
     * @param t       the flow time in [0, 1]
     * @param element the element's flat index (selects the mean)
     * @return the expected clean value
     */
    public double expectedX0(double x, double t, int element) {
        double m = mean[element % mean.length];
        double s2 = std * std;
        double oneMinusT = 1 - t;
        double gain = oneMinusT * s2 / (oneMinusT * oneMinusT * s2 + t * t);
        return m + gain * (x - oneMinusT * m);
    }

    /**
     * The exact velocity {@code (x - E[x0 | x]) / t} at one element; at {@code t = 0} its limit {@code -x} (see the
     * class comment).
     *
     * @param x       the noisy value {@code x_t} of one element
     * @param t       the flow time in [0, 1]
     * @param element the element's flat index (selects the mean)
     * @return the exact velocity
     */
    public double velocity(double x, double t, int element) {
        if (t == 0) {
            return -x;
        }
        return (x - expectedX0(x, t, element)) / t;
    }

    /**
     * The exact velocity of every element, computed in float64 and returned in the latents' dtype.
     *
     * @param latents the noisy latents {@code x_t}, a whole number of mean patterns
     * @param t       the flow time in [0, 1] (0: the limit {@code -x})
     * @return a new tensor of the latents' shape, dtype and backend
     */
    @Override
    public Tensor velocity(Tensor latents, float t) {
        if (!(t >= 0 && t <= 1)) {
            throw new IllegalArgumentException("t: " + t + " must lie in [0, 1] (GaussianFlow's model time, "
                    + "timestep / 1000)");
        }
        float[] x = latents.backend().toFloats(latents);
        requireWhole(latents.shape(), x.length);
        float[] v = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            v[i] = (float) velocity(x[i], t, i);
        }
        return latents.backend().fromFloats(v, latents.dtype(), latents.shape());
    }

    /**
     * The exact ODE endpoint {@code m + s z} for starting noise {@code z} (float64).
     *
     * @param noise the starting noise {@code z}, a whole number of mean patterns
     * @return the exact endpoint of the ODE from {@code z}
     */
    public double[] exactEndpoint(float[] noise) {
        requireWhole(null, noise.length);
        double[] out = new double[noise.length];
        for (int i = 0; i < noise.length; i++) {
            out[i] = mean[i % mean.length] + std * noise[i];
        }
        return out;
    }

    /**
     * The exact ODE endpoint from latents {@code x} at noise level {@code sigma} (an image-to-image start): the
     * trajectory through {@code x} is {@code x_t = (1-t) m + sqrt((1-t)^2 s^2 + t^2) z'} with
     * {@code z' = (x - (1-sigma) m) / sqrt((1-sigma)^2 s^2 + sigma^2)}, so it ends at {@code m + s z'}.
     *
     * @param latents the latents at {@code sigma}
     * @param sigma   their noise level, in (0, 1]
     * @return the endpoint per element, float64
     */
    public double[] exactEndpointFrom(float[] latents, double sigma) {
        if (!(sigma > 0 && sigma <= 1)) {
            throw new IllegalArgumentException("sigma: " + sigma + " must lie in (0, 1]");
        }
        requireWhole(null, latents.length);
        double oneMinus = 1 - sigma;
        double scale = Math.sqrt(oneMinus * oneMinus * std * std + sigma * sigma);
        double[] out = new double[latents.length];
        for (int i = 0; i < latents.length; i++) {
            double m = mean[i % mean.length];
            out[i] = m + std * (latents[i] - oneMinus * m) / scale;
        }
        return out;
    }

    /**
     * The data mean {@code m} of one batch item.
     *
     * @return a copy of the mean
     */
    public float[] mean() {
        return mean.clone();
    }

    /**
     * {@code ||a - b|| / ||b||}.
     *
     * @param a the values to compare
     * @param b the reference values, same length
     * @return the relative L2 distance of {@code a} from {@code b}
     * @throws IllegalArgumentException if the lengths differ
     */
    public static double relativeL2(float[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            diff += d * d;
            norm += b[i] * b[i];
        }
        return Math.sqrt(diff / norm);
    }

    private void requireWhole(Shape shape, int length) {
        if (length % mean.length != 0) {
            throw new IllegalArgumentException("latents" + (shape == null ? "" : " " + shape) + " have " + length
                    + " elements, not a whole number of mean patterns of " + mean.length);
        }
    }
}
