package dev.flowmatch.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TorchInterpolate} against torch 1.13's {@code interpolate} ({@code torch-interpolate.json}, written by
 * {@code tools/reference/torch_interpolate.py}): every output bit for bit.
 */
class TorchInterpolateTest {

    record Case(int index, String mode, long[] shape, int[] size, int[] input, long[] expectedShape, int[] expected) {
        @Override
        public String toString() {
            return index + ": " + mode + " " + java.util.Arrays.toString(shape) + " -> "
                    + java.util.Arrays.toString(size);
        }
    }

    static Stream<Case> cases() throws IOException {
        try (InputStream in = TorchInterpolateTest.class.getResourceAsStream("/reference/torch-interpolate.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            assertEquals("avx2", root.get("torch_cpu_capability").asText());
            List<Case> cases = new ArrayList<>();
            int i = 0;
            for (JsonNode c : root.get("cases")) {
                cases.add(new Case(i++, c.get("mode").asText(), longs(c.get("shape")), ints(c.get("size")),
                        ints(c.get("input_bits")), longs(c.get("expected_shape")), ints(c.get("expected_bits"))));
            }
            return cases.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchBitForBit(Case c) {
        float[] input = new float[c.input().length];
        for (int i = 0; i < input.length; i++) {
            input[i] = Float.intBitsToFloat(c.input()[i]);
        }
        float[] out = TorchInterpolate.interpolate(input, c.shape(), c.size(), TorchInterpolate.Mode.find(c.mode()));
        int[] bits = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            bits[i] = Float.floatToRawIntBits(out[i]);
        }
        long expectedCount = 1;
        for (long d : c.expectedShape()) {
            expectedCount *= d;
        }
        assertEquals(expectedCount, out.length, "output size");
        assertArrayEquals(c.expected(), bits);
    }

    @Test
    void coversBothModesAndEveryNearestRank() {
        List<Case> all = assertDoesNotThrowCases();
        assertTrue(all.stream().anyMatch(c -> c.mode().equals("bicubic")));
        for (int rank = 3; rank <= 5; rank++) {
            int r = rank;
            assertTrue(all.stream().anyMatch(c -> c.mode().equals("nearest") && c.shape().length == r), "rank " + r);
        }
    }

    @Test
    void refusesWhatTorchRefuses() {
        float[] x = new float[2 * 3 * 4];
        IllegalArgumentException bicubic3d = assertThrows(IllegalArgumentException.class,
                () -> TorchInterpolate.interpolate(x, new long[] {2, 3, 4}, new int[] {8}, TorchInterpolate.Mode.BICUBIC));
        assertTrue(bicubic3d.getMessage().contains("bicubic"), bicubic3d.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TorchInterpolate.interpolate(x, new long[] {2, 3, 4}, new int[] {0}, TorchInterpolate.Mode.NEAREST));
        assertThrows(IllegalArgumentException.class,
                () -> TorchInterpolate.interpolate(x, new long[] {24}, new int[] {8}, TorchInterpolate.Mode.NEAREST));
    }

    private static List<Case> assertDoesNotThrowCases() {
        try {
            return cases().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
