package dev.flowmatch.examples;

import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.tensor.Tensor;

/**
 * A class-conditional model bound to the labels of one generation, from {@link FlowModel#withLabels}: a
 * {@link GuidedModel} whose conditional prediction ({@link #velocity}) is the model called with the labels, whose
 * unconditional prediction ({@link #unconditionalVelocity}) is the model called with the null label, and whose
 * {@link #velocities} runs both as <em>one</em> batched model call of {@code 2B} rows ({@code [x; x]} with
 * {@code [labels; null labels]}), as diffusers' pipelines batch classifier-free guidance. flowmatch's
 * {@link dev.flowmatch.sampling.Sampler} combines the two ({@link dev.flowmatch.sampling.Guidance#combine}) when it
 * guides, and calls {@link #velocity} alone when it does not.
 *
 * <p>It holds the runtime resources of its calls (a predictor, buffers) and must be closed. Not thread-safe: one
 * instance per sampling run.
 *
 * <p>Ownership: the latents stay the caller's (never kept or closed). Each returned tensor is the caller's to
 * close (the sampler closes it after its step); it stays valid at least until the next call of the <em>same</em>
 * method on this instance or {@code close()}, whichever comes first.
 */
public interface LabelledModel extends GuidedModel, AutoCloseable {

    /**
     * The labels of the batch items.
     *
     * @return one label per batch item (a copy)
     */
    int[] labels();

    /**
     * The model called with the labels: batch {@code B}, one runtime call.
     *
     * @param latents the latents, {@code [B, ...sampleShape]} float32, on the model's backend
     * @param t       the model time {@code timestep / 1000}, in {@code [0, 1]}
     * @return the conditional velocity, a new tensor of the latents' shape
     */
    @Override
    Tensor velocity(Tensor latents, float t);

    /**
     * The model called with the null label for every item: batch {@code B}, one runtime call.
     *
     * @param latents the latents, {@code [B, ...sampleShape]} float32, on the model's backend
     * @param t       the model time {@code timestep / 1000}, in {@code [0, 1]}
     * @return the unconditional velocity, a new tensor of the latents' shape
     */
    @Override
    Tensor unconditionalVelocity(Tensor latents, float t);

    /**
     * Both predictions from one runtime call of batch {@code 2B}: rows {@code [0, B)} with the labels, rows
     * {@code [B, 2B)} with the null label.
     *
     * @param latents the latents, {@code [B, ...sampleShape]} float32, on the model's backend
     * @param t       the model time {@code timestep / 1000}, in {@code [0, 1]}
     * @return the conditional and the unconditional velocity
     */
    @Override
    Predictions velocities(Tensor latents, float t);

    /** Frees the runtime resources; every tensor this instance lent becomes invalid (DJL). */
    @Override
    void close();
}
