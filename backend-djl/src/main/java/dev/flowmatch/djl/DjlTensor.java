package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import dev.flowmatch.tensor.AbstractTensor;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tensor of the {@code djl} backend: one NDArray (FLOAT32 for float32, FLOAT16 for float16, a PyTorch bfloat16
 * tensor that DJL shows as UNKNOWN for bfloat16, see {@link TorchScriptKernels}). A tensor the backend made owns its array and closes it; a tensor from {@link DjlBackend#wrap}
 * borrows the caller's array and leaves it open. A borrowed array that its owner closes makes the tensor closed.
 *
 * <p><b>Safety net.</b> An owned array is attached to the backend's long-lived manager, so the garbage collector
 * alone would never free its native memory. A {@link Cleaner} therefore closes the array of an owned tensor that
 * became unreachable without {@link #close()}, and the first time that happens in a JVM one warning says how to
 * close tensors. It is a net, not a way to manage memory: the collector runs when the Java heap fills, which
 * native memory does not, so unclosed tensors still pile up between collections.
 */
final class DjlTensor extends AbstractTensor {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger("dev.flowmatch.djl");
    /** Whether the leak warning was logged in this JVM (tests reset it). */
    static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Arrays of unclosed tensors freed by the cleaner, for tests and leak hunting. */
    static final AtomicLong FREED_BY_CLEANER = new AtomicLong();

    private final NDArray array;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    DjlTensor(DjlBackend backend, NDArray array, Shape shape, DType dtype, boolean owned) {
        super(backend, shape, dtype);
        this.array = array;
        this.owned = owned;
        if (owned) {
            // The action holds the array, the shape and the dtype, never this tensor (or it would stay reachable).
            this.release = new Release(array, shape, dtype);
            this.cleanable = CLEANER.register(this, release);
        } else {
            this.release = null;
            this.cleanable = null;
        }
    }

    /** The stored array; callers check {@link #requireOpen} first, and keep this tensor reachable while using it. */
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
            release.closedByOwner = true;
            cleanable.clean();
        }
        Reference.reachabilityFence(this);
    }

    @Override
    public String toString() {
        return super.toString() + (isClosed() ? "" : " on " + array.getDevice());
    }

    /** Closes an owned array once: from {@link #close()}, or from the cleaner when the tensor was dropped. */
    private static final class Release implements Runnable {
        private final NDArray array;
        private final Shape shape;
        private final DType dtype;
        /** Set by {@link #close()} before it runs this action, so that only a dropped tensor warns. */
        volatile boolean closedByOwner;

        Release(NDArray array, Shape shape, DType dtype) {
            this.array = array;
            this.shape = shape;
            this.dtype = dtype;
        }

        @Override
        public void run() {
            if (!closedByOwner) {
                FREED_BY_CLEANER.incrementAndGet();
                if (WARNED.compareAndSet(false, true)) {
                    LOG.log(System.Logger.Level.WARNING, "flowmatch: a djl tensor " + shape + " " + dtype.torchName()
                            + " was never closed; the garbage collector freed its native memory late. Close every"
                            + " tensor you get when done with it (try-with-resources, or close()): native memory"
                            + " does not make the collector run. (This warning is shown once.)");
                }
            }
            if (!array.isReleased()) {
                array.close();
            }
        }
    }
}
