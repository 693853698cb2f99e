package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.AbstractTensor;

/**
 * A tensor of the pure-Java backend: one Java array, {@code float[]} for float32 and {@code short[]} bit
 * patterns for bfloat16 / float16. Closing drops the array so a closed tensor cannot be read by mistake.
 */
final class JavaTensor extends AbstractTensor {
    private final JavaBackend backend;
    /** Whether the array came from the backend (and goes back to its pool on close) or from a caller's wrap. */
    private final boolean owned;
    private volatile float[] floats;
    private volatile short[] halves;

    private JavaTensor(JavaBackend backend, Shape shape, DType dtype, float[] floats, short[] halves, boolean owned) {
        super(backend, shape, dtype);
        this.backend = backend;
        this.floats = floats;
        this.halves = halves;
        this.owned = owned;
    }

    /** A float32 tensor over an array the backend allocated. */
    static JavaTensor ofFloats(JavaBackend backend, Shape shape, float[] data) {
        return new JavaTensor(backend, shape, DType.FLOAT32, data, null, true);
    }

    /** A 16-bit tensor over an array the backend allocated. */
    static JavaTensor ofHalves(JavaBackend backend, Shape shape, DType dtype, short[] data) {
        return new JavaTensor(backend, shape, require16(dtype), null, data, true);
    }

    /** A float32 tensor over a caller's array (never pooled). */
    static JavaTensor wrapFloats(JavaBackend backend, Shape shape, float[] data) {
        return new JavaTensor(backend, shape, DType.FLOAT32, data, null, false);
    }

    /** A 16-bit tensor over a caller's array (never pooled). */
    static JavaTensor wrapHalves(JavaBackend backend, Shape shape, DType dtype, short[] data) {
        return new JavaTensor(backend, shape, require16(dtype), null, data, false);
    }

    private static DType require16(DType dtype) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("dtype: 16-bit storage cannot hold float32");
        }
        return dtype;
    }

    /** The float32 storage; only valid for float32 tensors. */
    float[] floats(String role) {
        requireOpen(role);
        return floats;
    }

    /** The 16-bit storage; only valid for bfloat16 / float16 tensors. */
    short[] halves(String role) {
        requireOpen(role);
        return halves;
    }

    int size() {
        return shape().numelAsInt();
    }

    @Override
    public boolean isClosed() {
        return floats == null && halves == null;
    }

    /**
     * Drops the array so a closed tensor cannot be read, and gives a backend-allocated array back to the pool.
     * Closing a tensor while another thread still reads it is a bug in the caller.
     */
    @Override
    public synchronized void close() {
        float[] f = floats;
        short[] h = halves;
        floats = null;
        halves = null;
        if (owned) {
            if (f != null) {
                backend.pool().recycle(f);
            }
            if (h != null) {
                backend.pool().recycle(h);
            }
        }
    }
}
