package dev.flowmatch.mlx;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.AbstractTensor;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tensor of the {@code mlx} backend: one {@code mlx_array} handle, owned by this object.
 *
 * <p>{@link #close()} frees the handle at once ({@code mlx_array_free}); MLX frees the memory when no other
 * handle or pending graph node refers to the array. A {@link Cleaner} frees handles of tensors that were never
 * closed, but only as a safety net: close tensors (try-with-resources) to keep MLX's memory flat.
 *
 * <p>The array may not be computed yet (MLX is lazy); reading it through the backend evaluates it.
 */
public final class MlxTensor extends AbstractTensor {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Handles owned by open tensors, for tests and leak hunting. */
    static final AtomicLong OPEN = new AtomicLong();

    private final MemorySegment array;
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /** Takes ownership of {@code array} (an {@code mlx_array} ctx). */
    MlxTensor(MlxBackend backend, MlxRuntime runtime, MemorySegment array, Shape shape, DType dtype) {
        super(backend, shape, dtype);
        this.array = array;
        this.release = new Release(runtime, array);
        this.cleanable = CLEANER.register(this, release);
        OPEN.incrementAndGet();
    }

    @Override
    public boolean isClosed() {
        return release.done;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    /**
     * The {@code mlx_array}'s {@code ctx} pointer, for the caller's own MLX code (a model consuming this tensor):
     * pass it wherever mlx-c takes an {@code mlx_array} by value. It is borrowed: valid until this tensor is
     * closed; to keep the array longer, take a reference of your own ({@link #retainHandle()}, or
     * {@code mlx_array_set} in your binding). It must be used with the same libmlxc this backend loaded.
     *
     * @return the borrowed {@code ctx} pointer
     * @throws IllegalStateException if this tensor is closed
     */
    public MemorySegment handle() {
        requireOpen("handle");
        return array;
    }

    /**
     * A new {@code mlx_array} ctx on the same array (no copy), owned by the caller, who frees it with
     * {@code mlx_array_free}. Stays valid after this tensor is closed.
     *
     * @return a new {@code ctx} pointer the caller must free
     * @throws IllegalStateException if this tensor is closed
     */
    public MemorySegment retainHandle() {
        MlxRuntime runtime = release.runtime;
        runtime.lock.lock();
        try {
            requireOpen("retainHandle");
            return runtime.c.arrayRetain(array);
        } finally {
            runtime.lock.unlock();
        }
    }

    /** The handle, for the backend (callers hold the runtime lock and have checked the tensor is open). */
    MemorySegment array() {
        return array;
    }

    static int mlxDtype(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> MlxC.MLX_FLOAT32;
            case BFLOAT16 -> MlxC.MLX_BFLOAT16;
            case FLOAT16 -> MlxC.MLX_FLOAT16;
        };
    }

    /** The flowmatch dtype of an mlx_dtype, or {@code null} for the ones flowmatch does not hold. */
    static DType dtypeOf(int mlxDtype) {
        return switch (mlxDtype) {
            case MlxC.MLX_FLOAT32 -> DType.FLOAT32;
            case MlxC.MLX_BFLOAT16 -> DType.BFLOAT16;
            case MlxC.MLX_FLOAT16 -> DType.FLOAT16;
            default -> null;
        };
    }

    /** Frees the handle once: from {@link #close()} or, if never closed, from the Cleaner. Holds no tensor. */
    private static final class Release implements Runnable {
        final MlxRuntime runtime;
        private final MemorySegment array;
        volatile boolean done;

        Release(MlxRuntime runtime, MemorySegment array) {
            this.runtime = runtime;
            this.array = array;
        }

        @Override
        public void run() {
            runtime.lock.lock();
            try {
                if (!done) {
                    done = true;
                    OPEN.decrementAndGet();
                    runtime.c.arrayFree(array);
                }
            } finally {
                runtime.lock.unlock();
            }
        }
    }
}
