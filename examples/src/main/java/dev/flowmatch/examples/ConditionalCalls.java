package dev.flowmatch.examples;

import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.Arrays;
import java.util.Objects;

/**
 * What both runtimes share: the argument checks and the label column of each kind of call ({@link Rows}). A
 * runtime supplies the forward passes: one of batch {@code B} ({@link #forward}) and the batched one of
 * {@code 2B} rows ({@link #forwardBoth}). Guidance itself is flowmatch's ({@code Sampler}, {@code Guidance}).
 */
abstract class ConditionalCalls implements LabelledModel {

    /** The rows of one model call and their labels. */
    enum Rows {
        /** {@code B} rows with the batch's labels. */
        CONDITIONAL,
        /** {@code B} rows with the null label. */
        UNCONDITIONAL,
        /** {@code 2B} rows: the batch's labels, then the null label ({@code [x; x]}). */
        BOTH
    }

    private final ModelInfo info;
    private final TensorBackend backend;
    private final int[] labels;
    private final Shape latentShape;
    private boolean closed;

    ConditionalCalls(ModelInfo info, TensorBackend backend, int[] labels) {
        this.info = Objects.requireNonNull(info, "info");
        this.backend = Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(labels, "labels");
        if (labels.length == 0) {
            throw new IllegalArgumentException("labels: must name at least one batch item");
        }
        for (int i = 0; i < labels.length; i++) {
            info.requireLabel(labels[i], "labels[" + i + "]");
        }
        this.labels = labels.clone();
        this.latentShape = info.batchShape(labels.length);
    }

    @Override
    public final int[] labels() {
        return labels.clone();
    }

    /** The batch {@code B}: rows of the latents. */
    protected final int batch() {
        return labels.length;
    }

    protected final ModelInfo info() {
        return info;
    }

    /** The model's label input for a call of these rows. */
    protected final long[] modelLabels(Rows rows) {
        int b = labels.length;
        long[] out = new long[rows == Rows.BOTH ? 2 * b : b];
        for (int i = 0; i < out.length; i++) {
            boolean conditional = rows == Rows.CONDITIONAL || (rows == Rows.BOTH && i < b);
            out[i] = conditional ? labels[i] : info.nullLabel();
        }
        return out;
    }

    @Override
    public final Tensor velocity(Tensor latents, float t) {
        check(latents, t);
        return forward(Rows.CONDITIONAL, latents, t);
    }

    @Override
    public final Tensor unconditionalVelocity(Tensor latents, float t) {
        check(latents, t);
        return forward(Rows.UNCONDITIONAL, latents, t);
    }

    @Override
    public final GuidedModel.Predictions velocities(Tensor latents, float t) {
        check(latents, t);
        return forwardBoth(latents, t);
    }

    private void check(Tensor latents, float t) {
        if (closed) {
            throw new IllegalStateException("this LabelledModel is closed");
        }
        Tensors.requireOwned(backend, latents, "latents");
        if (!latents.shape().equals(latentShape)) {
            throw new IllegalArgumentException("latents: shape " + latents.shape() + " but model '" + info.name()
                    + "' with " + labels.length + " label(s) takes " + latentShape);
        }
        if (latents.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("latents: dtype " + latents.dtype().torchName()
                    + " but model '" + info.name() + "' takes float32");
        }
        // t = 0 is a valid input: DPM-Solver's last int64 timestep can be 0, and LTX's schedules end with sigma 0
        // (the digits model was trained on t ~ U[0, 1); torch's pipelines call it there too).
        if (!Float.isFinite(t) || t < 0f || t > 1f) {
            throw new IllegalArgumentException("t: " + t + " must lie in [0, 1] (timestep / 1000)");
        }
    }

    /**
     * One model call of {@code B} rows on {@code latents} with the labels of {@code rows} ({@link Rows#CONDITIONAL}
     * or {@link Rows#UNCONDITIONAL}) and {@code t} for every row.
     */
    protected abstract Tensor forward(Rows rows, Tensor latents, float t);

    /** One model call of {@code 2B} rows ({@code [latents; latents]}, {@link Rows#BOTH}): its two halves. */
    protected abstract GuidedModel.Predictions forwardBoth(Tensor latents, float t);

    /** Frees this instance's runtime resources. */
    protected abstract void release();

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + info.name() + ", labels " + Arrays.toString(labels) + "]";
    }
}
