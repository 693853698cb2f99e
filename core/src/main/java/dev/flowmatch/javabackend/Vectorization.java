package dev.flowmatch.javabackend;

import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * Picks the {@link BlockKernels} of this JVM once, the way Apache Lucene's {@code VectorizationProvider} does:
 * the Vector API kernels when the incubating module {@code jdk.incubator.vector} is readable (the JVM was
 * started with {@code --add-modules jdk.incubator.vector}), the scalar loops otherwise, and one log line saying
 * which and, for the scalar loops, the flag that would give the vector ones. Both give the same bits.
 *
 * <p>The vector kernels take over from the scalar ones only once HotSpot has compiled them ({@link WarmingKernels}):
 * interpreted Vector API code is far slower than an interpreted scalar loop.
 *
 * <p>{@value #PROPERTY}{@code =false} forces the scalar loops (to compare, or to avoid the incubator module).
 * The vector kernels are also not used where the JVM interprets only ({@code -Xint}) or the CPU's vectors are
 * narrower than 256 bits; the log line says so.
 */
final class Vectorization {
    /** System property: {@code false} uses the scalar loops even where the vector kernels could run. */
    static final String PROPERTY = "flowmatch.java.vector";
    /** The JVM flag that makes the vector kernels available. */
    static final String FLAG = "--add-modules jdk.incubator.vector";
    static final String MODULE = "jdk.incubator.vector";

    private static final System.Logger LOG = System.getLogger(JavaBackend.class.getName());

    /** The kernels every affine of this JVM uses: a constant, so the JIT binds the calls to one class. */
    private static final BlockKernels KERNELS = choose();

    private Vectorization() {}

    /** The kernels in use (the first call logs which). */
    static BlockKernels kernels() {
        return KERNELS;
    }

    /** The portable kernels, whatever is in use (for tests and comparisons). */
    static BlockKernels scalar() {
        return new ScalarBlockKernels();
    }

    /** The Vector API kernels, or why they cannot run in this JVM (for tests and comparisons; logs nothing). */
    static Optional<BlockKernels> vector() {
        return Optional.ofNullable(probe().kernels());
    }

    /** Why this JVM uses the scalar loops; empty when it uses the vector kernels. */
    static Optional<String> scalarReason() {
        return Optional.ofNullable(probe().reason());
    }

    private static BlockKernels choose() {
        Probe probe = probe();
        if (probe.kernels() != null) {
            LOG.log(System.Logger.Level.INFO, "flowmatch java backend: " + probe.kernels().description()
                    + " for bfloat16, once the JIT has compiled them (" + WarmingKernels.THREAD + ")");
            return WarmingKernels.of(probe.kernels());
        }
        LOG.log(System.Logger.Level.INFO, "flowmatch java backend: scalar kernels (" + probe.reason() + ")");
        return scalar();
    }

    /** The vector kernels, or the reason there are none. */
    private record Probe(BlockKernels kernels, String reason) {}

    private static Probe probe() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            return new Probe(null, "-D" + PROPERTY + "=false");
        }
        Optional<Module> vectorModule = ModuleLayer.boot().findModule(MODULE);
        if (vectorModule.isEmpty()) {
            return new Probe(null, "module " + MODULE + " is not loaded; start java with " + FLAG
                    + " for the vector kernels, several times faster on bfloat16");
        }
        if (!Vectorization.class.getModule().canRead(vectorModule.get())) {
            return new Probe(null, Vectorization.class.getModule() + " cannot read " + MODULE + "; start java with "
                    + FLAG);
        }
        if (System.getProperty("java.vm.info", "").contains("interpreted mode")) {
            return new Probe(null, "the JVM only interprets (-Xint), where the Vector API is slow");
        }
        try {
            // Reflection, so that this class never links against jdk.incubator.vector itself.
            Object kernels = Class.forName(Vectorization.class.getPackageName() + ".VectorBlockKernels")
                    .getDeclaredMethod("create").invoke(null);
            return new Probe((BlockKernels) kernels, null);
        } catch (InvocationTargetException e) {
            return new Probe(null, String.valueOf(e.getCause().getMessage()));
        } catch (ReflectiveOperationException | LinkageError e) {
            return new Probe(null, "the vector kernels could not be loaded: " + e);
        }
    }
}
