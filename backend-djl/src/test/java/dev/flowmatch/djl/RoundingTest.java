package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rounding float32 to bfloat16 (PyTorch's own conversion, through TorchScript: {@link TorchScriptKernels#round}) and to float16
 * (PyTorch's own conversion) equals the reference for every sign, exponent and leading mantissa, at and around
 * every rounding boundary.
 */
class RoundingTest {
    private static final JavaBackend JAVA = new JavaBackend();
    private static final DjlBackend DJL = DjlBackend.instance();

    /** Low 16 bits around the bfloat16 rounding point (bit 16) and the float16 ones (bits 13 and lower for subnormals). */
    private static final int[] LOW_BITS = {
        0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF, // bf16: exact, just above, below/at/above the tie, top
        0x0FFF, 0x1000, 0x1001, 0x2000, 0x3000, 0x5000, // f16 normal ties (bit 12) and neighbours
        0x4000, 0xC000, 0x6000, 0xA000, // f16 subnormal ties at higher bits
    };

    /**
     * Every one of the 65,536 upper halves (sign, exponent, 7 leading mantissa bits) combined with each low half
     * above: every bfloat16 value, the ties between neighbours and their neighbours: 1,048,576 floats.
     */
    private static int[] sweep() {
        int[] bits = new int[65536 * LOW_BITS.length];
        int i = 0;
        for (int high = 0; high < 65536; high++) {
            for (int low : LOW_BITS) {
                bits[i++] = (high << 16) | low;
            }
        }
        return bits;
    }

    @Test
    void float32ToBfloat16MatchesTheReferenceOnEveryBoundary() {
        int[] bits = sweep();
        Shape shape = Shape.of(bits.length);
        try (Tensor f32 = DJL.fromBits(bits, DType.FLOAT32, shape); Tensor bf = DJL.convert(f32, DType.BFLOAT16)) {
            int[] actual = DJL.toBits(bf);
            int[] expected = new int[bits.length];
            for (int i = 0; i < bits.length; i++) {
                expected[i] = Bits.floatToBf16(Float.intBitsToFloat(bits[i])) & 0xFFFF;
            }
            // Exact, NaNs included: every NaN becomes 0x7FC0 on both backends.
            assertNull(TestData.firstDifference(DType.BFLOAT16, expected, actual, bits));
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void float32ToFloat16MatchesFloatToFloat16OnEveryBoundary() {
        int[] bits = sweep();
        Shape shape = Shape.of(bits.length);
        try (Tensor f32 = DJL.fromBits(bits, DType.FLOAT32, shape); Tensor h = DJL.convert(f32, DType.FLOAT16)) {
            int[] actual = DJL.toBits(h);
            int[] expected = new int[bits.length];
            for (int i = 0; i < bits.length; i++) {
                expected[i] = Float.floatToFloat16(Float.intBitsToFloat(bits[i])) & 0xFFFF;
            }
            assertNull(TestData.firstDifference(DType.FLOAT16, expected, actual, bits));
        }
    }

    @Test
    void edgeValuesRoundExactly() {
        // name, float32 bits, expected bf16, expected f16
        Object[][] cases = {
            {"+0", 0x00000000, 0x0000, 0x0000},
            {"-0", 0x80000000, 0x8000, 0x8000},
            {"+inf", 0x7F800000, 0x7F80, 0x7C00},
            {"-inf", 0xFF800000, 0xFF80, 0xFC00},
            {"NaN", 0x7FC00000, 0x7FC0, 0x7E00},
            {"-NaN (bf16 drops the sign)", 0xFFC00000, 0x7FC0, null},
            {"NaN payload", 0x7F800001, 0x7FC0, null},
            {"max float overflows bf16", 0x7F7FFFFF, 0x7F80, 0x7C00},
            {"bf16 overflow tie goes to inf", 0x7F7F8000, 0x7F80, 0x7C00},
            {"just below the bf16 overflow tie", 0x7F7F7FFF, 0x7F7F, 0x7C00},
            {"-max float", 0xFF7FFFFF, 0xFF80, 0xFC00},
            {"f16 overflow 65520", 0x477FF000, 0x4780, 0x7C00},
            {"f16 max 65504", 0x477FE000, 0x4780, 0x7BFF},
            {"tie 1+2^-8 to even (down)", 0x3F808000, 0x3F80, 0x3C04},
            {"tie 1+3*2^-8 to even (up)", 0x3F818000, 0x3F82, 0x3C0C},
            {"smallest subnormal", 0x00000001, 0x0000, 0x0000},
            {"-smallest subnormal keeps the sign", 0x80000001, 0x8000, 0x8000},
            {"bf16 subnormal tie to even (0)", 0x00008000, 0x0000, 0x0000},
            {"bf16 subnormal tie to even (2)", 0x00018000, 0x0002, 0x0000},
            {"just above the first subnormal tie", 0x00008001, 0x0001, 0x0000},
            {"largest subnormal rounds to MIN_NORMAL", 0x007FFFFF, 0x0080, 0x0000},
            {"MIN_NORMAL", 0x00800000, 0x0080, 0x0000},
            {"f16 smallest subnormal 2^-24", 0x33800000, 0x3380, 0x0001},
            {"f16 tie to zero 2^-25", 0x33000000, 0x3300, 0x0000},
            {"f16 3*2^-26 rounds up", 0x33400000, 0x3340, 0x0001},
            {"2^99 (scaling threshold)", 0x71000000, 0x7100, 0x7C00},
            {"just above 2^99 with a tie", 0x71008000, 0x7100, 0x7C00},
            {"1e30", 0x7149F2CA, 0x714A, 0x7C00},
        };
        int[] input = new int[cases.length];
        for (int i = 0; i < cases.length; i++) {
            input[i] = (int) cases[i][1];
        }
        try (Tensor f32 = DJL.fromBits(input, DType.FLOAT32, Shape.of(input.length));
             Tensor bf = DJL.convert(f32, DType.BFLOAT16); Tensor h = DJL.convert(f32, DType.FLOAT16)) {
            int[] bfBits = DJL.toBits(bf);
            int[] hBits = DJL.toBits(h);
            for (int i = 0; i < cases.length; i++) {
                float value = Float.intBitsToFloat(input[i]);
                assertEquals(Bits.floatToBf16(value) & 0xFFFF, (int) cases[i][2], "reference bf16 " + cases[i][0]);
                assertEquals(TestData.hex(DType.BFLOAT16, (int) cases[i][2]), TestData.hex(DType.BFLOAT16, bfBits[i]),
                        "bf16 " + cases[i][0]);
                if (cases[i][3] != null) {
                    assertEquals(Float.floatToFloat16(value) & 0xFFFF, (int) cases[i][3], "reference f16 " + cases[i][0]);
                    assertEquals(TestData.hex(DType.FLOAT16, (int) cases[i][3]), TestData.hex(DType.FLOAT16, hBits[i]),
                            "f16 " + cases[i][0]);
                } else {
                    assertEquals(true, TestData.isNaN(DType.FLOAT16, hBits[i]), "f16 " + cases[i][0]);
                }
            }
        }
    }

    @Test
    void everyConversionBetweenDtypesMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(11);
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                int[] bits = TestData.bits(from, 4099, random);
                Shape shape = Shape.of(4099);
                try (Tensor j = JAVA.fromBits(bits, from, shape); Tensor jc = JAVA.convert(j, to);
                     Tensor d = DJL.fromBits(bits, from, shape); Tensor dc = DJL.convert(d, to)) {
                    assertEquals(to, dc.dtype());
                    assertNull(TestData.firstDifference(to, JAVA.toBits(jc), DJL.toBits(dc), bits),
                            from + " -> " + to);
                    assertArrayEquals(DJL.toBits(d), bits, "convert left its input alone");
                }
            }
        }
    }

    @Test
    void fromFloatsRoundsLikeTheReference() {
        SplittableRandom random = new SplittableRandom(5);
        int[] raw = TestData.bits(DType.FLOAT32, 5000, random);
        float[] values = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            values[i] = Float.intBitsToFloat(raw[i]);
        }
        for (DType d : DType.values()) {
            try (Tensor j = JAVA.fromFloats(values, d, Shape.of(50, 100));
                 Tensor t = DJL.fromFloats(values, d, Shape.of(50, 100))) {
                assertNull(TestData.firstDifference(d, JAVA.toBits(j), DJL.toBits(t), raw), d.torchName());
                float[] expected = JAVA.toFloats(j);
                float[] actual = DJL.toFloats(t);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(Float.isNaN(expected[i]) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(expected[i])),
                            Float.isNaN(actual[i]) ? "NaN" : Integer.toHexString(Float.floatToRawIntBits(actual[i])),
                            d + " toFloats[" + i + "]");
                }
            }
        }
    }
}
