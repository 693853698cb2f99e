package dev.flowmatch.torchmath;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.floats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.noise.TorchCpuKernel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link TorchFloatMath} against torch 1.13 itself: {@code /torchmath/torch-1.13-unary.json}, made by
 * {@code tools/reference/torch_unary_cases.py} with Debian's python3-torch under both CPU kernels (edge cases,
 * random bit patterns, the schedulers' ranges, inputs where the kernels disagree). The full 2^32-input check is
 * {@link ExhaustiveUnaryCheck}, run by hand.
 */
class TorchFloatMathTest {
    private static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = TorchFloatMathTest.class.getResourceAsStream("/torchmath/torch-1.13-unary.json")) {
            reference = new ObjectMapper().readTree(in);
        }
    }

    private static String hex(float f) {
        return f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")";
    }

    /** Bit-equal, or NaN where torch gave a NaN (payloads are not reproduced). */
    private static void assertSameFloat(float expected, float actual, String what) {
        if (Float.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), () -> what + ": torch NaN, java " + hex(actual));
        } else {
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                    () -> what + ": torch " + hex(expected) + ", java " + hex(actual));
        }
    }

    @TestFactory
    List<DynamicTest> everyFunctionAndKernelMatchesTorch() {
        List<DynamicTest> tests = new ArrayList<>();
        record Function(String name, BiFunction<Float, TorchCpuKernel, Float> java) {}
        List<Function> functions = List.of(new Function("exp", TorchFloatMath::exp),
                new Function("log", TorchFloatMath::log), new Function("expm1", TorchFloatMath::expm1));
        for (Function function : functions) {
            for (TorchCpuKernel kernel : TorchCpuKernel.values()) {
                String key = kernel == TorchCpuKernel.AVX2 ? "avx2" : "default";
                tests.add(DynamicTest.dynamicTest(function.name() + " " + key, () -> {
                    JsonNode cases = reference.get("functions").get(function.name());
                    JsonNode xs = cases.get("x");
                    JsonNode expected = cases.get(key);
                    assertTrue(xs.size() > 3000, "reference cases present");
                    for (int i = 0; i < xs.size(); i++) {
                        float x = Float.intBitsToFloat(xs.get(i).asInt());
                        float torch = Float.intBitsToFloat(expected.get(i).asInt());
                        assertSameFloat(torch, function.java().apply(x, kernel),
                                function.name() + "(" + hex(x) + ") " + key);
                    }
                }));
            }
        }
        return tests;
    }

    @Test
    void theKernelsDisagreeOnTheReferenceInputs() {
        // the reason both are needed: torch's own results differ between the kernels on many inputs
        for (String name : List.of("exp", "log", "expm1")) {
            JsonNode cases = reference.get("functions").get(name);
            int differ = 0;
            for (int i = 0; i < cases.get("x").size(); i++) {
                differ += cases.get("avx2").get(i).asInt() != cases.get("default").get(i).asInt() ? 1 : 0;
            }
            assertTrue(differ > 300, name + ": " + differ + " inputs differ between torch's kernels");
        }
    }

    @Test
    void integerPowersMatchTorch() {
        JsonNode pows = reference.get("pow");
        assertTrue(pows.size() > 1000);
        for (JsonNode c : pows) {
            float x = Float.intBitsToFloat(c.get(0).asInt());
            int exponent = c.get(1).asInt();
            float torch = Float.intBitsToFloat(c.get(2).asInt());
            assertSameFloat(torch, TorchFloatMath.pow(x, exponent), "pow(" + hex(x) + ", " + exponent + ")");
        }
    }

    @Test
    void pythonNumberDividedByTensorMatchesTorch() {
        JsonNode divisions = reference.get("scalar_divide");
        assertTrue(divisions.size() > 1000);
        for (JsonNode c : divisions) {
            double scalar = c.get(0).asDouble();
            float x = Float.intBitsToFloat(c.get(1).asInt());
            float torch = Float.intBitsToFloat(c.get(2).asInt());
            assertSameFloat(torch, TorchFloatMath.scalarDivide(scalar, x), scalar + " / " + hex(x));
        }
    }

    @Test
    void zeroDimTensorWithPythonNumberIsOneFloatOperation() {
        // what the package documentation tells scheduler code to write for these operators, against torch
        JsonNode cases = reference.get("scalar_ops");
        assertTrue(cases.size() > 2000);
        for (JsonNode c : cases) {
            String op = c.get(0).asText();
            float s = (float) c.get(1).asDouble(); // the Python number becomes float32 first
            float x = Float.intBitsToFloat(c.get(2).asInt());
            float torch = Float.intBitsToFloat(c.get(3).asInt());
            float java = switch (op) {
                case "sub" -> x - s;
                case "rsub" -> s - x;
                case "add" -> x + s;
                case "mul" -> x * s;
                case "div" -> x / s;
                case "sqrt", "pow_half" -> (float) Math.sqrt(Math.abs(x));
                case "clamp_min0" -> x < 0f ? 0f : x;
                default -> throw new AssertionError("unknown op " + op);
            };
            assertSameFloat(torch, java, op + " x=" + hex(x) + " s=" + c.get(1).asDouble());
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchFloatMath.pow(2f, 4));
        assertTrue(e.getMessage().contains("exponent: 4") && e.getMessage().contains("-2 to 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TorchFloatMath.pow(2f, -3));
        assertTrue(e.getMessage().contains("exponent: -3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TorchFloatMath.exp(1f, null));
        assertTrue(e.getMessage().contains("kernel: null"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TorchFloatMath.log(1f, null));
        assertThrows(IllegalArgumentException.class, () -> TorchFloatMath.expm1(1f, null));
    }

    @Test
    void monotoneOverTheSchedulersRanges() {
        // torch's results are monotone over every float (checked exhaustively, see the package documentation), so
        // the ports must be too: neighbouring floats never map to decreasing values
        for (TorchCpuKernel kernel : TorchCpuKernel.values()) {
            qt().forAll(floats().between(-20f, 20f)).checkAssert(x -> {
                float next = Math.nextUp(x);
                assertTrue(TorchFloatMath.exp(x, kernel) <= TorchFloatMath.exp(next, kernel), "exp at " + x);
                assertTrue(TorchFloatMath.expm1(x, kernel) <= TorchFloatMath.expm1(next, kernel), "expm1 at " + x);
            });
            qt().forAll(floats().between(Float.MIN_VALUE, 4f)).checkAssert(x -> assertTrue(
                    TorchFloatMath.log(x, kernel) <= TorchFloatMath.log(Math.nextUp(x), kernel), "log at " + x));
        }
    }
}
