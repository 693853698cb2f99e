package dev.flowmatch.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link NumpyExp} against {@code np.exp} as numpy 1.24 computed it on an AVX-512 CPU
 * ({@code numpy_exp[]} of {@code reference/dpm-solver-schedules.json}, written by
 * {@code tools/reference/dpm_solver_reference.py}).
 */
class NumpyExpTest {

    @Test
    void matchesNumpyBitForBit() throws IOException {
        JsonNode root;
        try (InputStream in = NumpyExpTest.class.getResourceAsStream("/reference/dpm-solver-schedules.json")) {
            root = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : root.get("numpy_exp")) {
            double x = Double.parseDouble(c.get("x").asText());
            double expected = Double.parseDouble(c.get("exp").asText());
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(NumpyExp.exp(x)),
                    () -> "np.exp(" + x + ") = " + expected + ", NumpyExp gives " + NumpyExp.exp(x));
            checked++;
        }
        assertTrue(checked > 500, "cases: " + checked);
    }

    @Test
    void limitsOutsideTheVectorRange() {
        assertTrue(Double.isNaN(NumpyExp.exp(Double.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, NumpyExp.exp(Double.POSITIVE_INFINITY));
        assertEquals(0.0, NumpyExp.exp(Double.NEGATIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, NumpyExp.exp(710));
        assertEquals(0.0, NumpyExp.exp(-746));
    }
}
