package dev.flowmatch.mlx;

import dev.flowmatch.tensor.NativeHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * libmlxc, loaded once per JVM: the bindings, the device every array is computed on, the conversion modes found
 * by {@link ConversionProbe}, and the lock that serialises every call into MLX.
 *
 * <p>mlx-c's error handler is a process-wide global and a library can only be loaded once, so there is one
 * runtime, shared by every {@link MlxBackend} instance.
 */
final class MlxRuntime {
    final Path library;
    final MlxC c;
    final MlxVersion version;
    /** Whether arrays are computed on the GPU (Metal on Apple silicon). */
    final boolean gpu;
    /** {@code gpu:0} or {@code cpu}. */
    final String deviceName;
    /** Why the GPU is not used although MLX has one (it failed the checks below); {@code null} otherwise. */
    final String gpuProblem;
    /** On the CPU, what {@link NativeHeap} did to glibc's malloc settings; {@code null} on a GPU. */
    final String cpuHeap;
    /** The {@code mlx_device} every op runs on; kept for the life of the JVM. */
    private MemorySegment device;
    /**
     * Every call into MLX holds this lock: the backend is thread-safe however MLX is built, and a tensor closed on
     * one thread can never be freed while another thread uses it.
     */
    final ReentrantLock lock = new ReentrantLock();
    private volatile Conversions conversions = Conversions.NATIVE;
    private ConversionProbe.Report probeReport;

    /**
     * Picks the device ({@value MlxBackend#DEVICE_PROPERTY}: {@code auto}, {@code gpu} or {@code cpu}) and checks
     * it: conversions against Java ({@link ConversionProbe}) and a few thousand affine results against
     * {@link dev.flowmatch.tensor.AffineSpec#apply}. With {@code auto}, a GPU that fails (no usable Metal device,
     * as in some virtual machines, or results that differ from Java) leaves the backend on the CPU, and
     * {@link #gpuProblem} says why.
     */
    private MlxRuntime(Path library, MlxC c, MlxVersion version, String wanted) {
        this.library = library;
        this.c = c;
        this.version = version;
        int gpus;
        try {
            gpus = c.deviceCount(MlxC.MLX_GPU);
        } catch (RuntimeException noGpuBackend) {
            gpus = 0;
        }
        String problem = null;
        boolean onGpu = false;
        if (!wanted.equals("cpu")) {
            if (gpus > 0) {
                try {
                    setUp(c.deviceNew(MlxC.MLX_GPU, 0), true);
                    onGpu = true;
                } catch (RuntimeException e) {
                    problem = e.getMessage();
                }
            } else {
                problem = "MLX has no GPU here";
            }
            if (!onGpu && wanted.equals("gpu")) {
                throw new IllegalStateException("-D" + MlxBackend.DEVICE_PROPERTY + "=gpu, but " + problem);
            }
        }
        if (!onGpu) {
            setUp(c.deviceNew(MlxC.MLX_CPU, 0), false);
        }
        this.gpu = onGpu;
        // MLX's CPU allocator has no buffer cache: keep freed memory in the process (see NativeHeap).
        this.cpuHeap = onGpu ? null : NativeHeap.keepFreedMemory();
        this.deviceName = onGpu ? "gpu:0" : "cpu";
        this.gpuProblem = wanted.equals("cpu") ? null : problem;
    }

    /** Makes {@code candidate} the device and checks it; frees it and throws if it fails. */
    private void setUp(MemorySegment candidate, boolean strict) {
        MemorySegment previous = device;
        device = candidate;
        try {
            ConversionProbe.Report report = ConversionProbe.run(this);
            if (strict && !report.problems().isEmpty()) {
                throw new IllegalStateException("its dtype conversions differ from Java's: " + report.problems());
            }
            ConversionProbe.checkArithmetic(this);
            probeReport = report;
            conversions = report.chosen();
        } catch (RuntimeException e) {
            device = previous;
            conversions = Conversions.NATIVE;
            try {
                c.deviceFree(candidate);
            } catch (RuntimeException ignored) {
                // the failure being reported matters more
            }
            throw e;
        }
    }

    /** Loads libmlxc, checks its version, picks the device and probes conversions; throws with the cause. */
    static MlxRuntime load() {
        MlxLibrary.Search search = MlxLibrary.find();
        return load(search.found().orElseThrow(() -> new IllegalStateException(search.describe())));
    }

    /** Loads the library at {@code path}; see {@link #load()}. The library must not be loaded twice. */
    static MlxRuntime load(Path path) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            throw new IllegalStateException("cannot load " + path + ": " + e.getMessage(), e);
        }
        MlxC c;
        try {
            c = new MlxC(lookup);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(path + ": " + e.getMessage(), e);
        }
        String wanted = System.getProperty(MlxBackend.DEVICE_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        wanted = wanted.isEmpty() ? "auto" : wanted;
        if (!wanted.equals("auto") && !wanted.equals("gpu") && !wanted.equals("cpu")) {
            throw new IllegalStateException("-D" + MlxBackend.DEVICE_PROPERTY + "=" + wanted
                    + ": expected auto, gpu or cpu");
        }
        return new MlxRuntime(path, c, checkVersion(path, c.version()), wanted);
    }

    /** The version, or {@link IllegalStateException} if flowmatch does not support it. */
    static MlxVersion checkVersion(Path path, String reported) {
        MlxVersion version = MlxVersion.parse(reported);
        if (!version.supported() && !Boolean.getBoolean(MlxBackend.SKIP_VERSION_CHECK_PROPERTY)) {
            throw new IllegalStateException(path + " reports MLX " + version + ", which flowmatch does not support"
                    + " (supported: " + MlxVersion.supportedRange() + "); install a supported mlx-c, or set -D"
                    + MlxBackend.SKIP_VERSION_CHECK_PROPERTY + "=true to try it anyway");
        }
        return version;
    }

    Conversions conversions() {
        return conversions;
    }

    /** For tests: forces conversion modes (e.g. every fix-up on, to check them where they are not needed). */
    void conversions(Conversions modes) {
        this.conversions = modes;
    }

    ConversionProbe.Report probeReport() {
        return probeReport;
    }

    /** Opens a graph-building scope on this thread's default stream of the device (takes the lock). */
    Graph graph() {
        return new Graph(this, device);
    }

    /** Frees one array handle, under the lock (the Cleaner and {@link MlxTensor#close} call this). */
    void free(MemorySegment array) {
        lock.lock();
        try {
            c.arrayFree(array);
        } finally {
            lock.unlock();
        }
    }

    String describe() {
        return deviceName + " (MLX " + version + ", " + library + ")"
                + (gpuProblem == null ? "" : "; GPU not used: " + gpuProblem)
                + (cpuHeap == null ? "" : "; " + cpuHeap);
    }
}
