package dev.flowmatch.tensor;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps the native memory that a CPU tensor runtime frees inside the process on Linux (glibc), so that a step does
 * not page-fault its intermediates back in every time. Used by the native backends when they compute on the CPU.
 *
 * <p>Why (measured; see bench/RESULTS.md and {@code backend-mlx/repro/bf16_step_page_faults.c}): MLX's CPU
 * allocator and PyTorch's CPU allocator are plain {@code malloc}/{@code free} without a buffer cache. A bfloat16
 * step on {@code [1, 16384, 128]} frees several megabytes of intermediates per call; glibc then returns them to
 * the kernel ({@code madvise(MADV_DONTNEED)} when the free top of a malloc arena exceeds {@code M_TRIM_THRESHOLD},
 * or {@code munmap} for blocks above {@code M_MMAP_THRESHOLD}) and the next step faults every page in again, the
 * kernel zeroing each one: with MLX 7,138 minor page faults and about 400 ms per step in a JVM here, against 1
 * fault and 1.4 ms at 4096 tokens. glibc adapts both thresholds to the largest block it has seen freed, so whether
 * this happens depends on the sizes and order of earlier allocations in the process.
 *
 * <p>The remedy is glibc's own tuning, made once per process: {@code mallopt} with {@code M_MMAP_THRESHOLD} =
 * 32 MB (blocks up to that size come from the heap, not from a fresh {@code mmap}) and {@code M_TRIM_THRESHOLD} =
 * 256 MB (up to that much freed memory per arena stays in the process). It applies to the whole process (the JVM's
 * own native allocations too), is logged once, and is skipped with {@code -D}{@value #PROPERTY}{@code =false},
 * off Linux, or where the C library is not glibc. Blocks above 32 MB still come from {@code mmap}.
 */
public final class NativeHeap {
    /** System property: {@code false} leaves glibc's malloc settings alone. */
    public static final String PROPERTY = "flowmatch.native.keepFreedMemory";
    /** glibc's {@code mallopt} parameter numbers ({@code malloc.h}). */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    /** The largest mmap threshold glibc accepts on 64-bit. */
    static final int MMAP_THRESHOLD = 32 << 20;
    static final int TRIM_THRESHOLD = 256 << 20;

    private static final System.Logger LOG = System.getLogger(NativeHeap.class.getName());
    private static String outcome;

    private NativeHeap() {}

    /**
     * Applies the settings once per process (later calls return the first outcome); never throws.
     *
     * @return what was done, one line, e.g. for a backend's description
     */
    public static synchronized String keepFreedMemory() {
        if (outcome == null) {
            outcome = apply();
            LOG.log(System.Logger.Level.INFO, "flowmatch native backends on the CPU: " + outcome);
        }
        return outcome;
    }

    private static String apply() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return "malloc settings left alone (-D" + PROPERTY + "=false)";
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return "malloc settings left alone (not Linux)";
        }
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> glibc = linker.defaultLookup().find("gnu_get_libc_version");
            Optional<MemorySegment> mallopt = linker.defaultLookup().find("mallopt");
            if (glibc.isEmpty() || mallopt.isEmpty()) {
                return "malloc settings left alone (the C library is not glibc)";
            }
            MethodHandle set = linker.downcallHandle(mallopt.get(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
            boolean ok = (int) set.invokeExact(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    & (int) set.invokeExact(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1;
            return ok ? "glibc malloc keeps freed memory (mallopt M_MMAP_THRESHOLD=32 MB, M_TRIM_THRESHOLD=256 MB;"
                    + " -D" + PROPERTY + "=false leaves it alone)"
                    : "glibc mallopt refused the settings; freed intermediates may be page-faulted in every step";
        } catch (Throwable t) {
            return "malloc settings left alone (mallopt failed: " + t + ")";
        }
    }
}
