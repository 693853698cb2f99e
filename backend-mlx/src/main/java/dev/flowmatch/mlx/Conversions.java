package dev.flowmatch.mlx;

/**
 * How each dtype conversion is built in the MLX graph so that it matches the reference backend bit for bit.
 *
 * <p>MLX's own {@code astype} rounds to nearest even like {@link dev.flowmatch.tensor.Bits} and
 * {@link Float#floatToFloat16}, but its NaNs can differ by platform: MLX's portable float16 type turns every NaN
 * into {@code sign|0x7D00}, while Java (x86 F16C, AArch64 FCVT) keeps the payload's top bits with the quiet bit set;
 * the hardware bfloat16 types (Apple's {@code __bf16} on the CPU, Metal's {@code bfloat}) may keep the sign and
 * payload of a NaN where flowmatch (like PyTorch) always writes {@code 0x7FC0}. {@link ConversionProbe} checks each
 * conversion on the device at load time and picks, per conversion, the cheapest mode that matches Java.
 *
 * @param toBfloat16  float32 to bfloat16
 * @param toFloat16   float32 to float16
 * @param fromBfloat16 bfloat16 to float32
 * @param fromFloat16 float16 to float32
 */
record Conversions(Mode toBfloat16, Mode toFloat16, Mode fromBfloat16, Mode fromFloat16) {

    enum Mode {
        /** {@code mlx_astype} alone. */
        NATIVE,
        /** {@code mlx_astype}, then NaNs replaced by Java's NaN for the same input ({@code isnan} + {@code where}). */
        NAN_FIX,
        /** Computed with integer ops on the bit patterns, exactly as Java does (bfloat16 only). */
        BITS
    }

    static final Conversions NATIVE = new Conversions(Mode.NATIVE, Mode.NATIVE, Mode.NATIVE, Mode.NATIVE);

    /** Every fix-up on: slower, the same results everywhere (used by tests to check the fix-ups themselves). */
    static final Conversions ALL_FIXES = new Conversions(Mode.BITS, Mode.NAN_FIX, Mode.BITS, Mode.NAN_FIX);

    /** Modes with the NaN fix instead of the integer path for bfloat16 (also checked by tests). */
    static final Conversions NAN_FIXES = new Conversions(Mode.NAN_FIX, Mode.NAN_FIX, Mode.BITS, Mode.NAN_FIX);

    @Override
    public String toString() {
        return "float32->bfloat16 " + toBfloat16 + ", float32->float16 " + toFloat16 + ", bfloat16->float32 "
                + fromBfloat16 + ", float16->float32 " + fromFloat16;
    }
}
