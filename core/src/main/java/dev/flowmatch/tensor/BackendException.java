package dev.flowmatch.tensor;

/** A failure inside a backend's native runtime (an mlx-c error, a PyTorch error), carried as a Java exception. */
public class BackendException extends RuntimeException {
    /**
     * A failure with a message.
     *
     * @param message what failed, one line
     */
    public BackendException(String message) {
        super(message);
    }

    /**
     * A failure with a message and the runtime's own exception.
     *
     * @param message what failed, one line
     * @param cause   the runtime's exception
     */
    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
