package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.fail;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;

/**
 * The MLX backend for tests, or a visible skip with the reason it is unavailable (never a silent pass).
 * With {@code -Dflowmatch.require=mlx} (comma-separated list) an unavailable backend fails the test instead.
 */
final class MlxTests {
    private MlxTests() {}

    static final String REQUIRE_PROPERTY = "flowmatch.require";

    /** The ServiceLoader's instance (the one conformance and the CLI use), available, or skip / fail. */
    static MlxBackend backend() {
        TensorBackend found = Backends.find(MlxBackend.NAME).orElseThrow(
                () -> new AssertionError("backend 'mlx' is not registered with ServiceLoader"));
        Availability availability = found.availability();
        if (!availability.available()) {
            String reason = "backend 'mlx' is " + availability.describe();
            if (required()) {
                fail(reason + " (and -D" + REQUIRE_PROPERTY + " requires it)", availability.cause());
            }
            Assumptions.abort(reason);
        }
        return (MlxBackend) found;
    }

    static MlxRuntime runtime() {
        return backend().runtime();
    }

    static JavaBackend reference() {
        return (JavaBackend) Backends.named(JavaBackend.NAME);
    }

    static boolean required() {
        String value = System.getProperty(REQUIRE_PROPERTY, "");
        return Arrays.stream(value.split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT))
                .anyMatch(MlxBackend.NAME::equals);
    }

    /** Runs {@code body} with the given conversion modes, then restores the probed ones. */
    static void withConversions(Conversions modes, Runnable body) {
        MlxRuntime runtime = runtime();
        Conversions saved = runtime.conversions();
        runtime.conversions(modes);
        try {
            body.run();
        } finally {
            runtime.conversions(saved);
        }
    }
}
