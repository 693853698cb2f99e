package dev.flowmatch.tensor;

/**
 * The element types a flowmatch tensor can hold.
 *
 * <p>Reduced-precision types are stored as 16-bit patterns; converting a float32 value to them rounds to
 * nearest, ties to even, with NaN kept NaN and overflow going to infinity, exactly as PyTorch's
 * {@code tensor.to(dtype)} does (see {@link Bits}).
 */
public enum DType {
    /** IEEE 754 binary32 ({@code torch.float32}). */
    FLOAT32(4, "float32"),
    /** bfloat16: float32's exponent, 8 bits of significand ({@code torch.bfloat16}). */
    BFLOAT16(2, "bfloat16"),
    /** IEEE 754 binary16 ({@code torch.float16}). */
    FLOAT16(2, "float16");

    private final int byteSize;
    private final String torchName;

    DType(int byteSize, String torchName) {
        this.byteSize = byteSize;
        this.torchName = torchName;
    }

    /**
     * Bytes per element.
     *
     * @return 4 or 2
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The name PyTorch and the golden files use: {@code float32}, {@code bfloat16}, {@code float16}.
     *
     * @return the name
     */
    public String torchName() {
        return torchName;
    }

    /**
     * Rounds a float32 value to this dtype and returns it as a float32 value (exact for every dtype here).
     *
     * @param value a float32 value
     * @return the nearest value of this dtype
     */
    public float round(float value) {
        return switch (this) {
            case FLOAT32 -> value;
            case BFLOAT16 -> Bits.bf16ToFloat(Bits.floatToBf16(value));
            case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16(value));
        };
    }

    /**
     * The float32 value of one element's raw bits (an int32 pattern for float32, a 16-bit pattern otherwise).
     *
     * @param bits the element's bit pattern
     * @return its value
     */
    public float bitsToFloat(int bits) {
        return switch (this) {
            case FLOAT32 -> Float.intBitsToFloat(bits);
            case BFLOAT16 -> Bits.bf16ToFloat((short) bits);
            case FLOAT16 -> Float.float16ToFloat((short) bits);
        };
    }

    /**
     * The raw bits of a float32 value rounded to this dtype: int32 pattern, or the unsigned 16-bit pattern.
     *
     * @param value a float32 value
     * @return the bit pattern of the nearest value of this dtype
     */
    public int floatToBits(float value) {
        return switch (this) {
            case FLOAT32 -> Float.floatToRawIntBits(value);
            case BFLOAT16 -> Bits.floatToBf16(value) & 0xFFFF;
            case FLOAT16 -> Float.floatToFloat16(value) & 0xFFFF;
        };
    }

    /**
     * PyTorch's type promotion between two tensors that both have dimensions: the same dtype stays, anything
     * with float32 is float32, and bfloat16 with float16 is float32 (neither holds the other).
     *
     * @param a one dtype
     * @param b the other
     * @return the dtype PyTorch computes {@code a op b} in
     */
    public static DType promote(DType a, DType b) {
        return a == b ? a : FLOAT32;
    }

    /**
     * Parses a PyTorch / golden-file name ({@code float32}, {@code bfloat16}, {@code float16}) or an enum name.
     *
     * @param name the name
     * @return the dtype
     * @throws IllegalArgumentException for any other name
     */
    public static DType parse(String name) {
        for (DType d : values()) {
            if (d.torchName.equalsIgnoreCase(name) || d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "float" -> FLOAT32;
            case "bf16" -> BFLOAT16;
            case "f16", "fp16", "half" -> FLOAT16;
            default -> throw new IllegalArgumentException(
                    "dtype: unknown dtype '" + name + "' (expected float32, bfloat16 or float16)");
        };
    }
}
