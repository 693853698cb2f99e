package dev.flowmatch.tensor;

/**
 * A tensor owned by one {@link TensorBackend}.
 *
 * <p>A tensor may hold native memory, so it is {@link AutoCloseable}: close it (try-with-resources) as soon as
 * it is no longer needed; closing twice is harmless, and using a closed tensor raises
 * {@link IllegalStateException}. Tensors are immutable: every operation returns a new tensor.
 */
public interface Tensor extends AutoCloseable {

    /**
     * The shape.
     *
     * @return the shape
     */
    Shape shape();

    /**
     * The element type.
     *
     * @return the dtype
     */
    DType dtype();

    /**
     * The backend that created this tensor; only that backend can operate on it.
     *
     * @return the backend
     */
    TensorBackend backend();

    /**
     * Whether this tensor was closed (or, for a wrapped tensor, its owner freed the memory).
     *
     * @return true once closed
     */
    boolean isClosed();

    /** Frees this tensor's memory now. Idempotent. */
    @Override
    void close();

    /**
     * Throws {@link IllegalStateException} naming {@code role} when this tensor is closed.
     *
     * @param role the argument's name, for the message
     * @throws IllegalStateException if this tensor is closed
     */
    default void requireOpen(String role) {
        if (isClosed()) {
            throw new IllegalStateException(role + ": tensor " + shape() + " " + dtype().torchName()
                    + " on backend '" + backend().name() + "' is closed");
        }
    }
}
