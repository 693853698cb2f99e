package dev.flowmatch.tensor;

/**
 * A tensor owned by one {@link TensorBackend}.
 *
 * <p>A tensor may hold native memory, so it is {@link AutoCloseable}: close it (try-with-resources) as soon as
 * it is no longer needed; closing twice is harmless, and using a closed tensor raises
 * {@link IllegalStateException}. Tensors are immutable: every operation returns a new tensor.
 */
public interface Tensor extends AutoCloseable {

    Shape shape();

    DType dtype();

    /** The backend that created this tensor; only that backend can operate on it. */
    TensorBackend backend();

    boolean isClosed();

    /** Frees this tensor's memory now. Idempotent. */
    @Override
    void close();

    /** Throws {@link IllegalStateException} naming {@code role} when this tensor is closed. */
    default void requireOpen(String role) {
        if (isClosed()) {
            throw new IllegalStateException(role + ": tensor " + shape() + " " + dtype().torchName()
                    + " on backend '" + backend().name() + "' is closed");
        }
    }
}
