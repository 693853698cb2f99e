package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;

/**
 * The denoising model as the sampler sees it: given the latents and the model time {@code t = timestep / 1000}
 * (the FLUX.2 pipelines divide the scheduler's timestep by 1000 before calling the transformer), it returns
 * the predicted velocity {@code v = noise - x0}, a new tensor of the latents' shape that the sampler closes.
 */
@FunctionalInterface
public interface VelocityModel {
    /**
     * The velocity at {@code latents} and model time {@code t}.
     *
     * @param latents the current latents (the sampler's: read it, do not close it)
     * @param t       the model time, {@code timestep / 1000} in the latents' dtype
     * @return the predicted velocity, a new tensor of the latents' shape and backend that the sampler closes
     */
    Tensor velocity(Tensor latents, float t);
}
