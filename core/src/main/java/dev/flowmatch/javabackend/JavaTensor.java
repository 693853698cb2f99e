package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/**
 * A tensor of the pure-Java backend: one Java array, {@code float[]} for float32 and {@code short[]} bit
 * patterns for bfloat16 / float16. Closing drops the array so a closed tensor cannot be read by mistake.
 */
final class JavaTensor implements Tensor {
    private final JavaBackend backend;
    private final Shape shape;
    private final DType dtype;
    private volatile float[] floats;
    private volatile short[] halves;

    private JavaTensor(JavaBackend backend, Shape shape, DType dtype, float[] floats, short[] halves) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.floats = floats;
        this.halves = halves;
    }

    static JavaTensor ofFloats(JavaBackend backend, Shape shape, float[] data) {
        return new JavaTensor(backend, shape, DType.FLOAT32, data, null);
    }

    static JavaTensor ofHalves(JavaBackend backend, Shape shape, DType dtype, short[] data) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("dtype: 16-bit storage cannot hold float32");
        }
        return new JavaTensor(backend, shape, dtype, null, data);
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
        return dtype == DType.FLOAT32 ? floats.length : halves.length;
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }

    @Override
    public boolean isClosed() {
        return floats == null && halves == null;
    }

    @Override
    public void close() {
        floats = null;
        halves = null;
    }

    @Override
    public String toString() {
        return "JavaTensor" + shape + " " + dtype.torchName() + (isClosed() ? " (closed)" : "");
    }
}
