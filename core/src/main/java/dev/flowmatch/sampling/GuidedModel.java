package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;
import java.util.Objects;

/**
 * A model with a conditional and an unconditional (negative prompt) prediction, for classifier-free guidance:
 * {@link #velocity} is the conditional one. A model that can run both as one batched call (batch 2) overrides
 * {@link #velocities}; the default calls the two predictions one after the other, as diffusers' FLUX.2 klein
 * pipeline does.
 */
public interface GuidedModel extends VelocityModel {

    /**
     * The unconditional prediction at the same latents and model time.
     *
     * @param latents the latents
     * @param t       the model time, {@code timestep / 1000}
     * @return a new tensor of the latents' shape, which the sampler closes
     */
    Tensor unconditionalVelocity(Tensor latents, float t);

    /**
     * Both predictions. The default calls {@link #velocity} then {@link #unconditionalVelocity}.
     *
     * @param latents the latents
     * @param t       the model time, {@code timestep / 1000}
     * @return both predictions, which the sampler closes
     */
    default Predictions velocities(Tensor latents, float t) {
        Tensor conditional = velocity(latents, t);
        try {
            return new Predictions(conditional, unconditionalVelocity(latents, t));
        } catch (RuntimeException | Error e) {
            if (conditional != null) {
                conditional.close();
            }
            throw e;
        }
    }

    /**
     * The conditional and the unconditional prediction of one step; closing closes both.
     *
     * @param conditional   the prediction with the prompt ({@code noise_pred})
     * @param unconditional the prediction with the negative prompt ({@code neg_noise_pred})
     */
    record Predictions(Tensor conditional, Tensor unconditional) implements AutoCloseable {
        /** Checks that neither is null. */
        public Predictions {
            Objects.requireNonNull(conditional, "the model returned a null conditional prediction");
            Objects.requireNonNull(unconditional, "the model returned a null unconditional prediction");
        }

        @Override
        public void close() {
            try {
                conditional.close();
            } finally {
                unconditional.close();
            }
        }
    }

    /**
     * A guided model from two velocity models (e.g. one model called with two prompts).
     *
     * @param conditional   the model with the prompt
     * @param unconditional the model with the negative prompt
     * @return the pair as one guided model
     */
    static GuidedModel of(VelocityModel conditional, VelocityModel unconditional) {
        Objects.requireNonNull(conditional, "conditional");
        Objects.requireNonNull(unconditional, "unconditional");
        return new GuidedModel() {
            @Override
            public Tensor velocity(Tensor latents, float t) {
                return conditional.velocity(latents, t);
            }

            @Override
            public Tensor unconditionalVelocity(Tensor latents, float t) {
                return unconditional.velocity(latents, t);
            }
        };
    }
}
