package dev.flowmatch.examples;

import dev.flowmatch.sampling.VelocityModel;

/**
 * A {@link VelocityModel} for one generation, from {@link FlowModel#guided}: it holds the runtime resources of
 * its calls (buffers, a predictor) and must be closed. Not thread-safe: one instance per sampling run.
 *
 * <p>Ownership: {@link #velocity} takes the latents as the sampler's (it neither keeps nor closes them) and
 * returns a tensor the caller closes. That tensor is valid at least until the next {@code velocity} call on this
 * instance or its {@code close()}, whichever comes first; the sampler uses it only within its step.
 */
public interface GuidedVelocity extends VelocityModel, AutoCloseable {

    /**
     * The labels of the batch items.
     *
     * @return one label per batch item (a copy)
     */
    int[] labels();

    /**
     * The guidance scale.
     *
     * @return the classifier-free guidance scale of every call
     */
    float guidanceScale();

    @Override
    void close();
}
