package dev.flowmatch.tensor;

/**
 * Conversions between float32 and bfloat16 bit patterns.
 *
 * <p>bfloat16 is the upper half of a float32. Conversion from float32 rounds to nearest, ties to even, as
 * PyTorch's {@code c10::BFloat16} constructor does ({@code round_to_nearest_even} in
 * {@code c10/util/BFloat16.h}): add {@code 0x7FFF} plus the lowest kept bit, then truncate. A NaN becomes the
 * quiet NaN {@code 0x7FC0}, so no NaN is ever rounded into an infinity. Values too large round to infinity.
 * float16 uses {@link Float#floatToFloat16}, which rounds the same way.
 */
public final class Bits {
    private Bits() {}

    /**
     * The bfloat16 pattern nearest to {@code value} (ties to even; NaN stays NaN).
     *
     * @param value a float32 value
     * @return the bfloat16 bit pattern
     */
    public static short floatToBf16(float value) {
        if (Float.isNaN(value)) {
            return (short) 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /**
     * The float32 value of a bfloat16 pattern (exact).
     *
     * @param bf16 a bfloat16 bit pattern
     * @return its value
     */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }
}
