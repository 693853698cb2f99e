package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code -Dflowmatch.require=...}: every named backend must be found and available, or the run fails. */
class RequiredBackendsTest {

    @Test
    void requiredBackendsAreFoundAndAvailable() {
        for (String name : Conformance.required()) {
            Optional<TensorBackend> backend = Backends.find(name);
            if (backend.isEmpty()) {
                fail("backend '" + name + "' is required (-D" + Conformance.REQUIRE + ") but was not found. "
                        + Backends.report());
            }
            Conformance.use(backend.get());
        }
    }

    @Test
    void theReferenceBackendIsAlwaysThere() {
        assertTrue(Conformance.reference().isAvailable());
    }
}
