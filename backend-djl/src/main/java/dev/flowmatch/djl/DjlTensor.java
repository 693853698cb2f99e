package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.AbstractTensor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tensor of the {@code djl} backend: one NDArray (FLOAT32 for float32 and bfloat16 values, FLOAT16 for
 * float16). A tensor the backend made owns its array and closes it; a tensor from {@link DjlBackend#wrap}
 * borrows the caller's array and leaves it open. A borrowed array that its owner closes makes the tensor closed.
 */
final class DjlTensor extends AbstractTensor {
    private final NDArray array;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    DjlTensor(DjlBackend backend, NDArray array, Shape shape, DType dtype, boolean owned) {
        super(backend, shape, dtype);
        this.array = array;
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
        return super.toString() + (isClosed() ? "" : " on " + array.getDevice());
    }
}
