package dev.flowmatch.examples;

import dev.flowmatch.tensor.TensorBackend;

/**
 * A loaded class-conditional flow model on one model runtime, paired with the flowmatch backend whose tensors
 * that runtime reads and writes ({@link DjlFlowModel}: backend {@code djl}; {@link OrtFlowModel}: backend
 * {@code java}). Thread-safe: each generation asks for its own {@link LabelledModel}.
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
     * @return the backend whose tensors {@link LabelledModel#velocity} takes and returns
     */
    TensorBackend backend();

    /**
     * The model of one generation: {@code labels[i]} is the class of batch item {@code i}. It is a
     * {@link dev.flowmatch.sampling.GuidedModel}: with a guidance scale above 1 (and {@code distilled(false)}),
     * flowmatch's {@code Sampler} asks it for both predictions, which it computes as one batched model call of
     * {@code 2B} rows, and combines them; otherwise the sampler calls the model once with the labels, as
     * diffusers' pipelines do.
     *
     * @param labels one label per batch item ({@code 0..numClasses-1}, or the null label)
     * @return a new model for one generation; the caller closes it
     */
    LabelledModel withLabels(int[] labels);

    /** Frees the runtime's session; open {@link LabelledModel} instances must be closed first. */
    @Override
    void close();
}
