package dev.flowmatch.tensor;

import java.util.Objects;

/** What every tensor holds the same way: its backend, shape and dtype. Backends extend it with their storage. */
public abstract class AbstractTensor implements Tensor {
    private final TensorBackend backend;
    private final Shape shape;
    private final DType dtype;

    /**
     * Holds what every tensor has.
     *
     * @param backend the backend that made the tensor
     * @param shape   its shape
     * @param dtype   its element type
     */
    protected AbstractTensor(TensorBackend backend, Shape shape, DType dtype) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
    }

    @Override
    public final Shape shape() {
        return shape;
    }

    @Override
    public final DType dtype() {
        return dtype;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + shape + " " + dtype.torchName() + (isClosed() ? " (closed)" : "");
    }
}
