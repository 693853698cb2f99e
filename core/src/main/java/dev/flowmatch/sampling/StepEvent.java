package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;

/**
 * One completed sampling step, given to a {@link Sampler.StepListener}. The tensors are the sampler's: read
 * them inside the callback, do not close them or keep them.
 *
 * @param index     the step index {@code i}, {@code 0 <= i < numSteps}
 * @param numSteps  the number of steps of this run
 * @param sigma     sigma {@code i}
 * @param sigmaNext sigma {@code i + 1}
 * @param timestep  the scheduler's timestep {@code i} ({@code sigma * 1000})
 * @param sample    the latents before the step
 * @param velocity  the model's velocity at this step
 * @param next      the latents after the step
 * @param nanos     wall time of the step: model call plus scheduler step
 */
public record StepEvent(int index, int numSteps, float sigma, float sigmaNext, float timestep, Tensor sample,
                        Tensor velocity, Tensor next, long nanos) {}
