package dev.flowmatch.javabackend;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the arrays of closed tensors. A denoising loop closes the previous latents every step, so the next
 * step's output reuses their array instead of allocating (and zeroing) a new one: latent-sized arrays are
 * "humongous" for G1, and allocating one per step costs more than the step's own arithmetic. Arrays come back
 * only from tensors this backend allocated (never from {@code wrap}ped user arrays), and a pooled array is
 * fully overwritten before anyone reads it.
 *
 * <p>Bounded: at most {@link #PER_LENGTH} arrays of one length and {@link #MAX_BYTES} in all are kept; the rest
 * go to the garbage collector.
 */
final class BufferPool {
    static final int PER_LENGTH = 4;
    static final long MAX_BYTES = 256L << 20;
    /** Arrays smaller than this are cheap to allocate and not worth pooling. */
    static final int MIN_LENGTH = 1024;

    private final Map<Integer, ConcurrentLinkedDeque<float[]>> floats = new ConcurrentHashMap<>();
    private final Map<Integer, ConcurrentLinkedDeque<short[]>> shorts = new ConcurrentHashMap<>();
    private final AtomicLong pooledBytes = new AtomicLong();

    float[] floats(int length) {
        if (length >= MIN_LENGTH) {
            ConcurrentLinkedDeque<float[]> free = floats.get(length);
            float[] reused = free == null ? null : free.pollFirst();
            if (reused != null) {
                pooledBytes.addAndGet(-4L * length);
                return reused;
            }
        }
        return new float[length];
    }

    short[] shorts(int length) {
        if (length >= MIN_LENGTH) {
            ConcurrentLinkedDeque<short[]> free = shorts.get(length);
            short[] reused = free == null ? null : free.pollFirst();
            if (reused != null) {
                pooledBytes.addAndGet(-2L * length);
                return reused;
            }
        }
        return new short[length];
    }

    void recycle(float[] array) {
        if (array.length >= MIN_LENGTH && reserve(4L * array.length)) {
            ConcurrentLinkedDeque<float[]> free = floats.computeIfAbsent(array.length, k -> new ConcurrentLinkedDeque<>());
            if (free.size() < PER_LENGTH) {
                free.addFirst(array);
            } else {
                pooledBytes.addAndGet(-4L * array.length);
            }
        }
    }

    void recycle(short[] array) {
        if (array.length >= MIN_LENGTH && reserve(2L * array.length)) {
            ConcurrentLinkedDeque<short[]> free = shorts.computeIfAbsent(array.length, k -> new ConcurrentLinkedDeque<>());
            if (free.size() < PER_LENGTH) {
                free.addFirst(array);
            } else {
                pooledBytes.addAndGet(-2L * array.length);
            }
        }
    }

    private boolean reserve(long bytes) {
        if (pooledBytes.addAndGet(bytes) <= MAX_BYTES) {
            return true;
        }
        pooledBytes.addAndGet(-bytes);
        return false;
    }
}
