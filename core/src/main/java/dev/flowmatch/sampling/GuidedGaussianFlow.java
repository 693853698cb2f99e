package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;
import java.util.Objects;

/**
 * An exact guided model: a conditional Gaussian flow {@code N(m_c, s^2 I)} and an unconditional one
 * {@code N(m_u, s^2 I)} with the same {@code s}, so guidance has a known answer.
 *
 * <p>With the same {@code s}, both velocities are {@code v(x, t) = a(t) x - t m / D(t)} with the same
 * {@code a(t) = D'(t) / (2 D(t))}, {@code D(t) = (1-t)^2 s^2 + t^2} (see {@link GaussianFlow}); the guided velocity
 * {@code v_u + w (v_c - v_u)} is therefore the velocity of the Gaussian flow with mean
 * {@code m_g = m_u + w (m_c - m_u)}, and the guided ODE ends exactly at {@code m_g + s z} from noise {@code z}.
 */
public final class GuidedGaussianFlow implements GuidedModel {
    private final GaussianFlow conditional;
    private final GaussianFlow unconditional;

    /**
     * Two Gaussian flows of one standard deviation.
     *
     * @param conditionalMean   {@code m_c}, one batch item
     * @param unconditionalMean {@code m_u}, the same length
     * @param std               {@code s > 0}, shared
     */
    public GuidedGaussianFlow(float[] conditionalMean, float[] unconditionalMean, double std) {
        Objects.requireNonNull(conditionalMean, "conditionalMean");
        Objects.requireNonNull(unconditionalMean, "unconditionalMean");
        if (conditionalMean.length != unconditionalMean.length) {
            throw new IllegalArgumentException("unconditionalMean: " + unconditionalMean.length
                    + " values, but conditionalMean has " + conditionalMean.length);
        }
        this.conditional = new GaussianFlow(conditionalMean, std);
        this.unconditional = new GaussianFlow(unconditionalMean, std);
    }

    @Override
    public Tensor velocity(Tensor latents, float t) {
        return conditional.velocity(latents, t);
    }

    @Override
    public Tensor unconditionalVelocity(Tensor latents, float t) {
        return unconditional.velocity(latents, t);
    }

    /**
     * The conditional flow alone.
     *
     * @return the flow of mean {@code m_c}
     */
    public GaussianFlow conditional() {
        return conditional;
    }

    /**
     * The exact endpoint of the guided ODE from noise {@code z}: {@code m_u + w (m_c - m_u) + s z}, float64.
     *
     * @param noise         the starting noise {@code z}
     * @param guidanceScale {@code w}
     * @return the endpoint per element
     */
    public double[] exactEndpoint(float[] noise, double guidanceScale) {
        float[] mc = conditional.mean();
        float[] mu = unconditional.mean();
        if (noise.length % mc.length != 0) {
            throw new IllegalArgumentException("noise: " + noise.length
                    + " elements, not a whole number of mean patterns of " + mc.length);
        }
        double[] out = new double[noise.length];
        for (int i = 0; i < noise.length; i++) {
            int e = i % mc.length;
            out[i] = mu[e] + guidanceScale * ((double) mc[e] - mu[e]) + conditional.std() * noise[i];
        }
        return out;
    }
}
