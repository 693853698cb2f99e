package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps the memory MLX's CPU backend frees inside the process on Linux (glibc), so a step does not page-fault its
 * intermediates back in every time.
 *
 * <p>Why (measured, see bench/RESULTS.md and {@code backend-mlx/repro/bf16_step_page_faults.c}): MLX's CPU allocator
 * ({@code mlx/backend/no_gpu/allocator.cpp}, v0.31.2) is plain {@code malloc}/{@code free} with no buffer cache
 * (its Metal and CUDA allocators keep one). A bfloat16 step on {@code [1, 16384, 128]} frees about 28 MB of
 * float32 intermediates per evaluation; glibc then trims the top of that malloc arena back to the kernel
 * ({@code madvise(MADV_DONTNEED)}, once per step) and the next step faults every page in again: 7,138 minor page
 * faults and about 400 ms per step in a JVM here, against 1 fault and 1.4 ms at 4096 tokens. glibc trims when the
 * free top of a heap exceeds {@code M_TRIM_THRESHOLD}, which it sets to twice the largest block it has seen
 * freed, so whether it happens depends on the sizes and order of earlier allocations in the process (a small C
 * program shows it only under some timings).
 *
 * <p>The fix is glibc's own tuning, made once when the MLX backend settles on the CPU: {@code mallopt} with
 * {@code M_MMAP_THRESHOLD} = 32 MB (buffers up to that size come from the heap, not from a fresh {@code mmap}) and
 * {@code M_TRIM_THRESHOLD} = 256 MB (up to that much freed memory per arena stays in the process). It applies to
 * the whole process (the JVM's own native allocations too), is logged once, and is skipped with
 * {@code -D}{@value #PROPERTY}{@code =false}, off Linux, on a GPU device, or where the C library is not glibc.
 */
final class CpuHeap {
    /** System property: {@code false} leaves glibc's malloc settings alone. */
    static final String PROPERTY = "flowmatch.mlx.keepFreedMemory";
    /** glibc's {@code mallopt} parameter numbers ({@code malloc.h}). */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    static final int MMAP_THRESHOLD = 32 << 20; // the largest value glibc accepts on 64-bit
    static final int TRIM_THRESHOLD = 256 << 20;

    private static final System.Logger LOG = System.getLogger(MlxBackend.class.getName());

    private CpuHeap() {}

    /** Applies the settings if this is glibc on Linux and the user did not opt out; says what it did. */
    static String keepFreedMemory() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return "malloc settings left alone (-D" + PROPERTY + "=false)";
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return "malloc settings left alone (not Linux)";
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> glibc = linker.defaultLookup().find("gnu_get_libc_version");
        Optional<MemorySegment> mallopt = linker.defaultLookup().find("mallopt");
        if (glibc.isEmpty() || mallopt.isEmpty()) {
            return "malloc settings left alone (the C library is not glibc)";
        }
        MethodHandle set = linker.downcallHandle(mallopt.get(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        try {
            boolean ok = (int) set.invokeExact(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    & (int) set.invokeExact(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1;
            String done = ok ? "glibc malloc keeps freed memory (mallopt M_MMAP_THRESHOLD=32 MB,"
                    + " M_TRIM_THRESHOLD=256 MB; -D" + PROPERTY + "=false to leave it alone)"
                    : "glibc mallopt refused the settings; MLX's CPU intermediates may be page-faulted in every step";
            LOG.log(System.Logger.Level.INFO, "flowmatch mlx backend on the CPU: " + done);
            return done;
        } catch (Throwable t) {
            return "malloc settings left alone (mallopt failed: " + t + ")";
        }
    }
}
