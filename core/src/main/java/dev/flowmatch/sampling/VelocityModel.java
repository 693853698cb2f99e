package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;

/**
 * The denoising model as the sampler sees it: given the latents and the model time {@code t = timestep / 1000}
 * (the FLUX.2 pipelines divide the scheduler's timestep by 1000 before calling the transformer), it returns
 * the predicted velocity {@code v = noise - x0}, a new tensor of the latents' shape that the sampler closes.
 */
@FunctionalInterface
public interface VelocityModel {
    Tensor velocity(Tensor latents, float t);
}
