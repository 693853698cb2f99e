package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;

/** Backends for tests: a backend named in {@code -Dflowmatch.require} must be available, others may be skipped. */
final class TestBackends {
    private TestBackends() {}

    static boolean required(String name) {
        return Arrays.asList(System.getProperty("flowmatch.require", "java").split(",")).contains(name);
    }

    /** The backend, or a skipped test when it is unavailable and not required. */
    static TensorBackend backend(String name) {
        TensorBackend backend = Backends.find(name).orElse(null);
        boolean available = backend != null && backend.isAvailable();
        if (!available && required(name)) {
            throw new AssertionError("backend '" + name + "' is required (-Dflowmatch.require) but "
                    + (backend == null ? "not found" : backend.availability().describe()));
        }
        assumeTrue(available, () -> "backend '" + name + "' unavailable");
        return backend;
    }
}
