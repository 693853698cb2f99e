package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tensor of the {@code djl} backend: one NDArray (FLOAT32 for float32 and bfloat16 values, FLOAT16 for
 * float16). A tensor the backend made owns its array and closes it; a tensor from {@link DjlBackend#wrap}
 * borrows the caller's array and leaves it open. A borrowed array that its owner closes makes the tensor closed.
 */
final class DjlTensor implements Tensor {
    private final DjlBackend backend;
    private final NDArray array;
    private final Shape shape;
    private final DType dtype;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    DjlTensor(DjlBackend backend, NDArray array, Shape shape, DType dtype, boolean owned) {
        this.backend = backend;
        this.array = array;
        this.shape = shape;
        this.dtype = dtype;
        this.owned = owned;
    }

    /** The stored array; callers check {@link #requireOpen} first. */
    NDArray array() {
        return array;
    }

    boolean owned() {
        return owned;
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
        return closed.get() || array.isReleased();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            array.close();
        }
    }

    @Override
    public String toString() {
        return "DjlTensor" + shape + " " + dtype.torchName() + (isClosed() ? " (closed)" : " on " + array.getDevice());
    }
}
