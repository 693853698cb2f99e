package dev.flowmatch.torchmath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link GlibcDoubleMath}, {@link NumpyFloat64} (both dispatches) and {@link GoMath} (the three {@code math.Exp}s)
 * against the reference libraries themselves: {@code torchmath/host-math-double.json}, written by
 * {@code tools/reference/host_math_cases.py} from Python's {@code math} module (glibc 2.36), numpy 1.24 on an
 * AVX-512 CPU (SVML) and Go 1.19 (amd64 with and without FMA, arm64 under qemu). Every result must have the
 * reference's bits; a NaN matches a NaN. The large by-hand checks are the {@code *StreamCheck} classes.
 */
class HostMathDoubleTest {
    private static JsonNode root;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = HostMathDoubleTest.class.getResourceAsStream("/torchmath/host-math-double.json")) {
            root = new ObjectMapper().readTree(in);
        }
    }

    @Test
    void glibcExpLogPowAreTheFunctionsPythonsMathCalls() {
        JsonNode glibc = root.get("glibc");
        assertUnary(glibc.get("exp"), GlibcDoubleMath::exp, "glibc exp", 1000);
        assertUnary(glibc.get("log"), GlibcDoubleMath::log, "glibc log", 1000);
        assertBinary(glibc.get("pow"), GlibcDoubleMath::pow, "glibc pow", 1000);
    }

    @Test
    void numpyBaselineLoopsAreGlibc() {
        // numpy's baseline loops call libm: the glibc records are its results too
        JsonNode glibc = root.get("glibc");
        assertUnary(glibc.get("exp"), x -> NumpyFloat64.exp(x, NumpyDispatch.BASELINE), "numpy baseline exp", 1000);
        assertUnary(glibc.get("log"), x -> NumpyFloat64.log(x, NumpyDispatch.BASELINE), "numpy baseline log", 1000);
        assertBinary(glibc.get("pow"), (x, y) -> NumpyFloat64.power(x, y, NumpyDispatch.BASELINE),
                "numpy baseline power", 1000);
    }

    @Test
    void numpyAvx512SkxIsSvml() {
        JsonNode numpy = root.get("numpy_avx512_skx");
        assertUnary(numpy.get("exp"), x -> NumpyFloat64.exp(x, NumpyDispatch.AVX512_SKX), "numpy avx512_skx exp", 1000);
        assertUnary(numpy.get("log"), x -> NumpyFloat64.log(x, NumpyDispatch.AVX512_SKX), "numpy avx512_skx log", 1000);
        // __svml_pow8's scalar fallback (x <= 0, non-finite x or y, |y log2 x| > 1021.5) is not reproduced (see
        // SvmlDouble.pow8): those records are left out; the schedules' bases and exponents never reach it
        JsonNode vectorPath = new ObjectMapper().createArrayNode().addAll(
                StreamSupport.stream(numpy.get("power").spliterator(), false)
                        .filter(r -> !svmlPowFallback(bits(r.get(0)), bits(r.get(1)))).toList());
        assertBinary(vectorPath, (x, y) -> NumpyFloat64.power(x, y, NumpyDispatch.AVX512_SKX),
                "numpy avx512_skx power", 800);
    }

    private static boolean svmlPowFallback(double x, double y) {
        return !(x > 0) || !Double.isFinite(x) || !Double.isFinite(y)
                || Math.abs(y * Math.log(x) / Math.log(2)) > 1021;
    }

    @Test
    void goMathExpPerArchitecture() {
        assertUnary(root.get("go_amd64").get("exp"), x -> GoMath.exp(x, GoMath.Arch.AMD64), "go amd64 exp", 1000);
        assertUnary(root.get("go_amd64_no_fma").get("exp"), x -> GoMath.exp(x, GoMath.Arch.AMD64_NO_FMA),
                "go amd64 no-fma exp", 1000);
        assertUnary(root.get("go_arm64").get("exp"), x -> GoMath.exp(x, GoMath.Arch.ARM64), "go arm64 exp", 1000);
    }

    @Test
    void theDefaultDispatchIsTheReferenceMachinesAndThePropertyChoosesTheOther() {
        String before = System.getProperty(NumpyDispatch.PROPERTY);
        try {
            System.clearProperty(NumpyDispatch.PROPERTY);
            assertEquals(NumpyDispatch.AVX512_SKX, NumpyDispatch.configured());
            System.setProperty(NumpyDispatch.PROPERTY, "baseline");
            assertEquals(NumpyDispatch.BASELINE, NumpyDispatch.configured());
            System.setProperty(NumpyDispatch.PROPERTY, "AVX512_SKX");
            assertEquals(NumpyDispatch.AVX512_SKX, NumpyDispatch.configured());
            System.setProperty(NumpyDispatch.PROPERTY, "avx2");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, NumpyDispatch::configured);
            assertTrue(e.getMessage().contains(NumpyDispatch.PROPERTY) && e.getMessage().contains("avx2")
                    && e.getMessage().contains("baseline"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(NumpyDispatch.PROPERTY);
            } else {
                System.setProperty(NumpyDispatch.PROPERTY, before);
            }
        }
    }

    private static void assertUnary(JsonNode records, DoubleUnaryOperator f, String name, int atLeast) {
        List<String> mismatches = new ArrayList<>();
        for (JsonNode r : records) {
            double x = bits(r.get(0));
            double expected = bits(r.get(1));
            double actual = f.applyAsDouble(x);
            if (!same(expected, actual)) {
                mismatches.add(name + "(" + hex(x) + ") = " + hex(expected) + ", port " + hex(actual));
            }
        }
        assertTrue(records.size() >= atLeast, name + ": records " + records.size());
        assertEquals(List.of(), mismatches.subList(0, Math.min(10, mismatches.size())),
                name + ": " + mismatches.size() + " of " + records.size() + " differ");
    }

    private static void assertBinary(JsonNode records, DoubleBinaryOperator f, String name, int atLeast) {
        List<String> mismatches = new ArrayList<>();
        for (JsonNode r : records) {
            double x = bits(r.get(0));
            double y = bits(r.get(1));
            double expected = bits(r.get(2));
            double actual = f.applyAsDouble(x, y);
            if (!same(expected, actual)) {
                mismatches.add(name + "(" + hex(x) + ", " + hex(y) + ") = " + hex(expected) + ", port " + hex(actual));
            }
        }
        assertTrue(records.size() >= atLeast, name + ": records " + records.size());
        assertEquals(List.of(), mismatches.subList(0, Math.min(10, mismatches.size())),
                name + ": " + mismatches.size() + " of " + records.size() + " differ");
    }

    private static boolean same(double expected, double actual) {
        return Double.isNaN(expected) ? Double.isNaN(actual)
                : Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(actual);
    }

    private static double bits(JsonNode hex) {
        return Double.longBitsToDouble(Long.parseUnsignedLong(hex.asText(), 16));
    }

    private static String hex(double d) {
        return Double.toHexString(d);
    }
}
