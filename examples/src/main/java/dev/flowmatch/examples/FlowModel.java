package dev.flowmatch.examples;

import dev.flowmatch.tensor.TensorBackend;

/**
 * A loaded class-conditional flow model on one model runtime, paired with the flowmatch backend whose tensors
 * that runtime reads and writes ({@link DjlFlowModel}: backend {@code djl}; {@link OrtFlowModel}: backend
 * {@code java}). Thread-safe: each generation asks for its own {@link GuidedVelocity}.
 */
public interface FlowModel extends AutoCloseable {

    /**
     * The model's interface.
     *
     * @return its classes, null label and sample shape
     */
    ModelInfo info();

    /**
     * The backend of this runtime.
     *
     * @return the backend whose tensors {@link GuidedVelocity#velocity} takes and returns
     */
    TensorBackend backend();

    /**
     * The velocity model of one generation: {@code labels[i]} is the class of batch item {@code i}, and with
     * {@code guidanceScale > 1} every call runs the conditional and the unconditional (null-label) prediction as
     * one batched model call and combines them with {@link Guidance#combine}. With {@code guidanceScale <= 1} it
     * calls the model once with the labels, as diffusers' pipelines do.
     *
     * @param labels        one label per batch item ({@code 0..numClasses-1}, or the null label)
     * @param guidanceScale finite, {@code >= 0}
     * @return a new velocity model for one generation; the caller closes it
     */
    GuidedVelocity guided(int[] labels, float guidanceScale);

    /** Frees the runtime's session; open {@link GuidedVelocity} instances must be closed first. */
    @Override
    void close();
}
