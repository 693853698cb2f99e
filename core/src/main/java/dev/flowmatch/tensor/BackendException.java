package dev.flowmatch.tensor;

/** A failure inside a backend's native runtime (an mlx-c error, a PyTorch error), carried as a Java exception. */
public class BackendException extends RuntimeException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
