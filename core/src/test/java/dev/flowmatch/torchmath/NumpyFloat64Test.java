package dev.flowmatch.torchmath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link NumpyFloat64#exp} ({@link NumpyDispatch#AVX512_SKX}) against {@code np.exp} as numpy 1.24 computed it on an AVX-512 CPU
 * ({@code numpy_exp[]} of {@code reference/dpm-solver-schedules.json}, written by
 * {@code tools/reference/dpm_solver_reference.py}).
 */
class NumpyFloat64Test {

    @Test
    void matchesNumpyBitForBit() throws IOException {
        JsonNode root;
        try (InputStream in = NumpyFloat64Test.class.getResourceAsStream("/reference/dpm-solver-schedules.json")) {
            root = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : root.get("numpy_exp")) {
            double x = Double.parseDouble(c.get("x").asText());
            double expected = Double.parseDouble(c.get("exp").asText());
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(NumpyFloat64.exp(x, NumpyDispatch.AVX512_SKX)),
                    () -> "np.exp(" + x + ") = " + expected + ", NumpyFloat64 gives " + NumpyFloat64.exp(x, NumpyDispatch.AVX512_SKX));
            checked++;
        }
        assertTrue(checked > 500, "cases: " + checked);
    }

    @Test
    void limitsOutsideTheVectorRange() {
        assertTrue(Double.isNaN(NumpyFloat64.exp(Double.NaN, NumpyDispatch.AVX512_SKX)));
        assertEquals(Double.POSITIVE_INFINITY, NumpyFloat64.exp(Double.POSITIVE_INFINITY, NumpyDispatch.AVX512_SKX));
        assertEquals(0.0, NumpyFloat64.exp(Double.NEGATIVE_INFINITY, NumpyDispatch.AVX512_SKX));
        assertEquals(Double.POSITIVE_INFINITY, NumpyFloat64.exp(710, NumpyDispatch.AVX512_SKX));
        assertEquals(0.0, NumpyFloat64.exp(-746, NumpyDispatch.AVX512_SKX));
    }
}
