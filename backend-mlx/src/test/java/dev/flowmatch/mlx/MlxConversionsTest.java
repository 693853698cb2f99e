package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Corner values of every dtype conversion: NaNs of every payload and sign (signalling ones too), subnormals,
 * rounding ties, overflow to infinity; every 16-bit pattern. Checked with the modes the probe chose for this
 * machine, and with every fix-up forced on, so the fix-ups other platforms need are tested here too.
 */
class MlxConversionsTest {

    static Stream<Arguments> modes() {
        return Stream.of(Arguments.of("probed", null), Arguments.of("all fixes", Conversions.ALL_FIXES),
                Arguments.of("NaN fixes", Conversions.NAN_FIXES));
    }

    @Test
    void theProbeFindsNoRemainingMismatch() {
        MlxRuntime runtime = MlxTests.runtime();
        ConversionProbe.Report report = runtime.probeReport();
        System.out.println("[mlx] " + report.describe());
        assertTrue(report.problems().isEmpty(), report.describe());
        // MLX's bfloat16 rounding (float32 -> bfloat16 astype) is Bits.floatToBf16 exactly on this platform?
        boolean bf16Native = report.native_().stream().noneMatch(s -> s.startsWith("float32->bfloat16"));
        System.out.println("[mlx] plain astype float32->bfloat16 matches Bits.floatToBf16 (NaN -> 0x7FC0): "
                + bf16Native);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void everyConversionMatchesJava(String name, Conversions modes) {
        MlxRuntime runtime = MlxTests.runtime();
        List<String> problems = new ArrayList<>();
        int[] halves = new int[65536];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = i;
        }
        Conversions chosen = modes == null ? runtime.conversions() : modes;
        ConversionProbe.check(runtime, chosen, ConversionProbe.float32Inputs(), halves, problems);
        assertTrue(problems.isEmpty(), () -> name + " (" + chosen + "): " + problems);
    }

    /** Through the public API: fromBits, convert, toBits, for each fix-up mode. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void cornerValuesThroughTheBackend(String name, Conversions modes) {
        Runnable body = () -> {
            MlxBackend mlx = MlxTests.backend();
            JavaBackend java = MlxTests.reference();
            int[] f32 = {
                0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FA00000, 0x7FBFFFFF, 0x7FFFFFFF, 0x7FC00001,
                0x7F802000, 0x7F800000, 0xFF800000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF,
                0x7F7F8000, 0x7F7F7FFF, 0x3F808000, 0x3F818000, 0x477FF000, 0x477FEFFF, 0x33000000, 0x33000001,
                0x00000000, 0x80000000,
            };
            Shape shape = Shape.of(f32.length);
            for (DType to : DType.values()) {
                try (Tensor m = mlx.fromBits(f32, DType.FLOAT32, shape); Tensor j = java.fromBits(f32, DType.FLOAT32, shape);
                     Tensor mc = mlx.convert(m, to); Tensor jc = java.convert(j, to)) {
                    assertArrayEquals(java.toBits(jc), mlx.toBits(mc), "float32 -> " + to);
                }
            }
            int[] halves = new int[65536];
            for (int i = 0; i < halves.length; i++) {
                halves[i] = i;
            }
            Shape all = Shape.of(256, 256);
            for (DType from : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (DType to : DType.values()) {
                    try (Tensor m = mlx.fromBits(halves, from, all); Tensor j = java.fromBits(halves, from, all);
                         Tensor mc = mlx.convert(m, to); Tensor jc = java.convert(j, to)) {
                        assertArrayEquals(java.toBits(jc), mlx.toBits(mc), from + " -> " + to);
                    }
                }
            }
        };
        if (modes == null) {
            body.run();
        } else {
            MlxTests.withConversions(modes, body);
        }
    }

    /**
     * The affine primitive's roundings on corner values, every fix-up mode: every 16-bit pattern as x, with
     * coefficients that keep it, halve it (ties and subnormals) and overflow it; y adds NaNs and infinities.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void affineOnCornerValues(String name, Conversions modes) {
        Runnable body = () -> {
            MlxBackend mlx = MlxTests.backend();
            JavaBackend java = MlxTests.reference();
            int[] halves = new int[65536];
            for (int i = 0; i < halves.length; i++) {
                halves[i] = i;
            }
            Shape shape = Shape.of(65536);
            float[][] coefficients = {{1f, 0f}, {0.5f, -0f}, {1.0009766f, 1e-30f}, {3e38f, 1f}, {-1f, 1f}};
            for (DType dx : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (DType out : DType.values()) {
                    AffineSpec[] specs = {AffineSpec.float32(out), new AffineSpec(dx, dx, DType.FLOAT32, out),
                        new AffineSpec(DType.FLOAT32, dx, dx, out)};
                    for (AffineSpec spec : specs) {
                        for (float[] ab : coefficients) {
                            try (Tensor mx = mlx.fromBits(halves, dx, shape); Tensor jx = java.fromBits(halves, dx, shape);
                                 Tensor my = mlx.convert(mx, DType.FLOAT32); Tensor jy = java.convert(jx, DType.FLOAT32);
                                 Tensor mo = mlx.affine(ab[0], mx, ab[1], my, spec);
                                 Tensor jo = java.affine(ab[0], jx, ab[1], jy, spec)) {
                                assertSameExceptArithmeticNaNs(java.toBits(jo), mlx.toBits(mo), out,
                                        spec + " a=" + ab[0] + " b=" + ab[1] + " x:" + dx);
                            }
                        }
                    }
                }
            }
        };
        if (modes == null) {
            body.run();
        } else {
            MlxTests.withConversions(modes, body);
        }
    }

    /** Bits equal; a NaN made by arithmetic (here: NaN inputs, or inf * 0) only has to be a NaN. */
    static void assertSameExceptArithmeticNaNs(int[] expected, int[] actual, DType dtype, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                boolean bothNaN = Float.isNaN(dtype.bitsToFloat(expected[i])) && Float.isNaN(dtype.bitsToFloat(actual[i]));
                if (!bothNaN || dtype == DType.BFLOAT16) { // bfloat16 NaNs are always 0x7FC0
                    throw new AssertionError(String.format("%s: element %d: mlx 0x%X, java 0x%X", what, i,
                            actual[i], expected[i]));
                }
            }
        }
    }
}
