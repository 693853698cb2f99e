package dev.flowmatch.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guidance against torch for scales the tensors' dtype cannot hold (torch rounds the Python float to the dtype
 * before the product): {@code core/src/test/resources/reference/klein-cfg-scales.json}, made by
 * {@code tools/reference/klein_cfg_scales.py} with torch 1.13.
 */
class GuidanceTest {
    private final JavaBackend backend = new JavaBackend();

    static Stream<JsonNode> cases() throws IOException {
        try (InputStream in = GuidanceTest.class.getResourceAsStream("/reference/klein-cfg-scales.json")) {
            List<JsonNode> out = new ArrayList<>();
            new ObjectMapper().readTree(in).get("klein_cfg").forEach(out::add);
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsTorch(JsonNode c) {
        Goldens.GoldenTensor cond = Goldens.GoldenTensor.of(c.get("noise_pred"));
        Goldens.GoldenTensor neg = Goldens.GoldenTensor.of(c.get("neg_noise_pred"));
        Goldens.GoldenTensor expected = Goldens.GoldenTensor.of(c.get("expected"));
        try (Tensor a = backend.fromBits(cond.bits(), cond.dtype(), cond.shape());
             Tensor b = backend.fromBits(neg.bits(), neg.dtype(), neg.shape());
             Tensor out = Guidance.combine(a, b, c.get("guidance_scale").asDouble())) {
            assertEquals(expected.dtype(), out.dtype());
            assertArrayEquals(expected.bits(), backend.toBits(out), c.get("name").asText());
        }
    }

    @Test
    void guidesOnlyANonDistilledModelAboveOne() {
        assertTrue(Guidance.applies(1.0001, false));
        assertFalse(Guidance.applies(1.0, false));
        assertFalse(Guidance.applies(4.0, true));
    }

    @Test
    void badArgumentsAreNamed() {
        try (Tensor a = backend.fromFloats(new float[4], DType.FLOAT32, Shape.of(4));
             Tensor b = backend.fromFloats(new float[4], DType.BFLOAT16, Shape.of(4));
             Tensor c = backend.fromFloats(new float[2], DType.FLOAT32, Shape.of(2))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Guidance.combine(a, a, Double.NaN))
                    .getMessage().contains("guidanceScale"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Guidance.combine(a, b, 2))
                    .getMessage().contains("dtype"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Guidance.combine(a, c, 2))
                    .getMessage().contains("shape"));
        }
    }
}
