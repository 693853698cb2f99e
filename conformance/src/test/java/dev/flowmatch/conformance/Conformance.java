package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What every conformance test shares: the backends under test, the reference backend, the rule for skips, and
 * the comparison of results (bit equality, or one ulp for a backend that declares a fused multiply-add).
 */
public final class Conformance {
    /** {@code -Dflowmatch.require=java,djl[,mlx]}: a skip of one of these backends is a failure. */
    public static final String REQUIRE = "flowmatch.require";

    private Conformance() {}

    /**
     * {@code -Dflowmatch.conformance.backends=java[,...]}: only these backends are tested (the build's second run
     * of the java backend, with its fused loops forced on, uses it); all of them when unset.
     */
    public static final String ONLY = "flowmatch.conformance.backends";

    /** Every backend found by {@link java.util.ServiceLoader}, available or not: each gets its run or its skip. */
    public static Stream<TensorBackend> backends() {
        Set<String> only = names(System.getProperty(ONLY, ""));
        return Backends.all().stream().filter(b -> only.isEmpty() || only.contains(b.name()));
    }

    /** The pure-Java reference backend every other backend is compared with. */
    public static TensorBackend reference() {
        return Backends.named("java");
    }

    public static Set<String> required() {
        return names(System.getProperty(REQUIRE, ""));
    }

    private static Set<String> names(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Continues when the backend is available; otherwise skips the test (a visible JUnit skip with the cause),
     * or fails it when the backend is required.
     */
    public static TensorBackend use(TensorBackend backend) {
        Availability availability = backend.availability();
        if (!availability.available()) {
            Report.skipped(backend.name(), availability.describe());
            if (required().contains(backend.name())) {
                fail("backend '" + backend.name() + "' is required (-D" + REQUIRE + ") but " + availability.describe(),
                        availability.cause());
            }
            Assumptions.abort("backend '" + backend.name() + "' " + availability.describe());
        }
        Report.ran(backend.name());
        return backend;
    }

    /**
     * Distance in ulps of {@code dtype} between two raw bit patterns (the layout of {@code toBits}); 0 for two
     * NaNs, {@link Integer#MAX_VALUE} for a NaN against a number.
     */
    public static long ulpDistance(DType dtype, int a, int b) {
        float fa = dtype.bitsToFloat(a);
        float fb = dtype.bitsToFloat(b);
        if (Float.isNaN(fa) || Float.isNaN(fb)) {
            return Float.isNaN(fa) && Float.isNaN(fb) ? 0 : Integer.MAX_VALUE;
        }
        return Math.abs(ordered(dtype, a) - ordered(dtype, b));
    }

    /** Maps a bit pattern to a signed integer that orders like the value (sign-magnitude to two's complement). */
    private static long ordered(DType dtype, int bits) {
        int width = dtype == DType.FLOAT32 ? 32 : 16;
        long mask = (1L << width) - 1;
        long u = bits & mask;
        long sign = 1L << (width - 1);
        return (u & sign) != 0 ? -(u & ~sign & mask) : u;
    }

    /**
     * Compares a backend's result with the reference's: bit for bit, or within one ulp of the output dtype when
     * the backend fuses multiply-adds (the largest distance seen goes into the report).
     */
    public static void assertConforms(TensorBackend backend, DType dtype, int[] expected, int[] actual, String what) {
        assertConforms(backend, dtype, expected, actual, what, 0);
    }

    /**
     * {@link #assertConforms(TensorBackend, DType, int[], int[], String)} for a case whose reference itself fuses
     * multiply-adds the SPI cannot: within {@code referenceFusedUlps} ulps on every backend (the caller names the
     * cases and why).
     */
    public static void assertConforms(TensorBackend backend, DType dtype, int[] expected, int[] actual, String what,
                                      long referenceFusedUlps) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " elements, expected " + expected.length);
        }
        long allowed = Math.max(backend.fusesMultiplyAdd() ? 1 : 0, referenceFusedUlps);
        long worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            long d = expected[i] == actual[i] ? 0 : ulpDistance(dtype, expected[i], actual[i]);
            if (d > worst) {
                worst = d;
                worstAt = i;
            }
        }
        Report.ulps(backend.name(), worst);
        if (worst > allowed) {
            int i = worstAt;
            fail(what + " on backend '" + backend.name() + "': element " + i + " is " + dtype.bitsToFloat(actual[i])
                    + " (bits 0x" + Integer.toHexString(actual[i]) + "), expected " + dtype.bitsToFloat(expected[i])
                    + " (bits 0x" + Integer.toHexString(expected[i]) + "): " + worst + " ulp of "
                    + dtype.torchName() + ", allowed " + allowed);
        }
    }
}
