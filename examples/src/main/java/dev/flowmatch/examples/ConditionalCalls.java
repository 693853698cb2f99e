package dev.flowmatch.examples;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.Tensors;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.Objects;

/**
 * What both runtimes share: argument checks, the model's label column (the batch's labels, followed by as many
 * null labels when guiding), and the guidance step. A runtime supplies one batched forward pass.
 */
abstract class ConditionalCalls implements GuidedVelocity {
    /** The model's outputs of one call: {@code uncond} is null when not guiding. */
    record Outputs(Tensor cond, Tensor uncond) {}

    private final ModelInfo info;
    private final TensorBackend backend;
    private final int[] labels;
    private final float guidanceScale;
    /** The label input of every call: {@code labels}, then {@code labels.length} null labels when guiding. */
    protected final long[] modelLabels;
    protected final Shape latentShape;
    private boolean closed;

    ConditionalCalls(ModelInfo info, TensorBackend backend, int[] labels, float guidanceScale) {
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
        this.guidanceScale = Guidance.requireScale(guidanceScale);
        boolean guided = Guidance.isEnabled(guidanceScale);
        this.modelLabels = new long[guided ? 2 * labels.length : labels.length];
        for (int i = 0; i < modelLabels.length; i++) {
            modelLabels[i] = i < labels.length ? labels[i] : info.nullLabel();
        }
        this.latentShape = info.batchShape(labels.length);
    }

    @Override
    public final int[] labels() {
        return labels.clone();
    }

    @Override
    public final float guidanceScale() {
        return guidanceScale;
    }

    /** Rows of one model call: the batch, twice when guiding. */
    protected final int modelBatch() {
        return modelLabels.length;
    }

    protected final boolean guiding() {
        return modelLabels.length != labels.length;
    }

    @Override
    public final Tensor velocity(Tensor latents, float t) {
        if (closed) {
            throw new IllegalStateException("this GuidedVelocity is closed");
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
        if (!Float.isFinite(t) || t < 0f || t > 1f) {
            throw new IllegalArgumentException("t: " + t + " must lie in [0, 1] (timestep / 1000)");
        }
        Outputs outputs = forward(latents, t);
        if (outputs.uncond() == null) {
            return outputs.cond();
        }
        try (Tensor cond = outputs.cond(); Tensor uncond = outputs.uncond()) {
            return Guidance.combine(cond, uncond, guidanceScale);
        } finally {
            afterGuidance();
        }
    }

    /**
     * One model call on {@code latents} (twice over, stacked, when guiding) with {@link #modelLabels} and
     * {@code t} for every row. Returns the conditional rows and, when guiding, the unconditional rows.
     */
    protected abstract Outputs forward(Tensor latents, float t);

    /** Frees what the last guided call kept for its outputs (they are closed now). */
    protected void afterGuidance() {}

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
        return getClass().getSimpleName() + "[" + info.name() + ", labels " + Arrays.toString(labels) + ", guidance "
                + guidanceScale + "]";
    }
}
