package dev.flowmatch.tensor;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.testing.Oracle;
import org.junit.jupiter.api.Test;

class BitsTest {

    @Test
    void tiesRoundToEven() {
        // 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one (1).
        assertEquals(1.0f, Bits.bf16ToFloat(Bits.floatToBf16(1.00390625f)));
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6.
        assertEquals(1.015625f, Bits.bf16ToFloat(Bits.floatToBf16(1.01171875f)));
        // Just above a tie rounds up.
        assertEquals(1.0078125f, Bits.bf16ToFloat(Bits.floatToBf16(Math.nextUp(1.00390625f))));
    }

    @Test
    void specialValues() {
        assertTrue(Float.isNaN(Bits.bf16ToFloat(Bits.floatToBf16(Float.NaN))));
        // A NaN whose payload sits only in the low half must not become an infinity.
        assertTrue(Float.isNaN(Bits.bf16ToFloat(Bits.floatToBf16(Float.intBitsToFloat(0x7F800001)))));
        assertEquals(0x7FC0, Bits.floatToBf16(Float.NaN) & 0xFFFF);
        assertEquals(Float.POSITIVE_INFINITY, Bits.bf16ToFloat(Bits.floatToBf16(Float.MAX_VALUE)));
        assertEquals(Float.NEGATIVE_INFINITY, Bits.bf16ToFloat(Bits.floatToBf16(-Float.MAX_VALUE)));
        assertEquals(Float.POSITIVE_INFINITY, Bits.bf16ToFloat(Bits.floatToBf16(Float.POSITIVE_INFINITY)));
        assertEquals(0x8000, Bits.floatToBf16(-0.0f) & 0xFFFF);
        assertEquals(0x0000, Bits.floatToBf16(0.0f) & 0xFFFF);
        // The largest finite bf16 is 0x7F7F = 3.3895314e38.
        assertEquals(0x7F7F, Bits.floatToBf16(3.3895314e38f) & 0xFFFF);
    }

    @Test
    void subnormalsRoundToNearestEven() {
        // Smallest float subnormal (2^-149) is far below half a bf16 subnormal ulp (2^-133 / 2): rounds to 0.
        assertEquals(0, Bits.floatToBf16(Float.MIN_VALUE));
        // 2^-133 is the smallest bf16 subnormal and representable.
        float tiny = Math.scalb(1f, -133);
        assertEquals(tiny, Bits.bf16ToFloat(Bits.floatToBf16(tiny)));
    }

    @Test
    void agreesWithTheVeltkampOracleOnNormalFloats() {
        qt().forAll(integers().all()).checkAssert(bits -> {
            float x = Float.intBitsToFloat(bits);
            float ax = Math.abs(x);
            if (ax >= Float.MIN_NORMAL && ax <= 1e30f) {
                assertEquals(Oracle.bf16(x), Bits.bf16ToFloat(Bits.floatToBf16(x)), () -> "x = " + x);
            }
        });
    }

    @Test
    void dtypeRoundingIsIdempotentAndBitsRoundTrip() {
        qt().forAll(integers().all()).checkAssert(bits -> {
            float x = Float.intBitsToFloat(bits);
            for (DType d : DType.values()) {
                float r = d.round(x);
                if (!Float.isNaN(r)) {
                    assertEquals(r, d.round(r), () -> d + " x = " + x);
                    assertEquals(r, d.bitsToFloat(d.floatToBits(x)), () -> d + " x = " + x);
                }
            }
        });
    }

    @Test
    void promotionFollowsTorch() {
        assertEquals(DType.BFLOAT16, DType.promote(DType.BFLOAT16, DType.BFLOAT16));
        assertEquals(DType.FLOAT32, DType.promote(DType.BFLOAT16, DType.FLOAT16));
        assertEquals(DType.FLOAT32, DType.promote(DType.FLOAT16, DType.FLOAT32));
    }
}
