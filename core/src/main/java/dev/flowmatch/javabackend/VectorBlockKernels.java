package dev.flowmatch.javabackend;

import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BlockKernels} whose bfloat16 loops and float32 operations use the incubating Vector API
 * ({@code jdk.incubator.vector}); the float16 loops are {@link ScalarBlockKernels}', which HotSpot vectorises by
 * itself. Loaded only by
 * {@link Vectorization}, after it has checked that the module is readable: nothing else may refer to this class.
 *
 * <p>A bfloat16 is the upper half of a float32, so the conversions are integer lane operations:
 * <ul>
 *   <li>widen: load {@code n} shorts, sign-extend them to {@code n} ints ({@code S2I}), shift left by 16 and
 *       reinterpret the lanes as floats;</li>
 *   <li>round to bfloat16 ({@link dev.flowmatch.tensor.Bits#floatToBf16}, PyTorch's {@code round_to_nearest_even}): add
 *       {@code 0x7FFF} plus the lowest kept bit, clear the low 16 bits, and put {@code 0x7FC0} in the lanes that
 *       held a NaN (a NaN must not carry into an infinity);</li>
 *   <li>narrow: that rounding, shifted right by 16 and truncated to shorts ({@code I2S}).</li>
 * </ul>
 * The shapes are chosen so that HotSpot compiles each operation to one or two instructions: floats and ints in
 * the preferred shape (256 bits on AVX2, 512 on AVX-512) and shorts in half of it, so {@code S2I} and {@code I2S}
 * keep the lane count. (Species whose lane counts do not match are not intrinsified and run hundreds of times
 * slower, without an error.) Loop tails run the scalar code, which gives the same bits.
 */
final class VectorBlockKernels extends ScalarBlockKernels {
    // Package-private: the fused loops FusedKernels generates read these fields (static finals, constants to C2).
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    /** Elements per iteration. */
    private static final int LANES = FLOATS.length();

    private static final int HIGH_HALF = 0xFFFF0000;
    private static final int BF16_NAN_BITS = 0x7FC00000;
    private static final int BF16_NAN = 0x7FC0;

    private VectorBlockKernels() {}

    /**
     * The kernels, or an exception saying why the Vector API is not worth using here. Called reflectively by
     * {@link Vectorization}; loading this class already needs {@code jdk.incubator.vector}.
     */
    static BlockKernels create() {
        if (FLOATS.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("the CPU's preferred vectors have " + FLOATS.vectorBitSize()
                    + " bits; the vector kernels need at least 256 (AVX2)");
        }
        return new VectorBlockKernels();
    }

    @Override
    public String description() {
        return "vector kernels (jdk.incubator.vector, " + FLOATS.vectorBitSize() + "-bit, " + LANES + " floats)";
    }

    @Override
    public boolean vectorized() {
        return true;
    }

    // Every loop below is written out in full, with the lane constants made once before it: HotSpot inlines at
    // most 15 calls deep (MaxInlineLevel), the Vector API's own methods take about five of those per operation,
    // and an operation that is not inlined allocates a vector object per iteration (hundreds of times slower,
    // silently). Helper methods around the operations, or a caller that inlines these methods deep into its own
    // compilation, can cross that limit; these loops leave room for both.

    @Override
    public void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        if (dtype != DType.BFLOAT16) {
            widenF16(src, srcOffset, dst, dstOffset, length);
            return;
        }
        int i = 0;
        for (int bound = SHORTS.loopBound(length); i < bound; i += LANES) {
            IntVector bits = (IntVector) ShortVector.fromArray(SHORTS, src, srcOffset + i).convertShape(S2I, INTS, 0);
            bits.lanewise(LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        widenBf16(src, srcOffset + i, dst, dstOffset + i, length - i);
    }

    @Override
    public void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        if (dtype != DType.BFLOAT16) {
            narrowF16(src, srcOffset, dst, dstOffset, length);
            return;
        }
        IntVector one = IntVector.broadcast(INTS, 1);
        IntVector bias = IntVector.broadcast(INTS, 0x7FFF);
        IntVector nan = IntVector.broadcast(INTS, BF16_NAN);
        int i = 0;
        for (int bound = SHORTS.loopBound(length); i < bound; i += LANES) {
            FloatVector f = FloatVector.fromArray(FLOATS, src, srcOffset + i);
            IntVector b = f.reinterpretAsInts();
            IntVector r = b.add(b.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                    .blend(nan, f.compare(NE, f).cast(INTS));
            ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(dst, dstOffset + i);
        }
        narrowBf16(src, srcOffset + i, dst, dstOffset + i, length - i);
    }

    @Override
    public void round(DType dtype, float[] values, int offset, int length) {
        if (dtype != DType.BFLOAT16) {
            super.round(dtype, values, offset, length);
            return;
        }
        IntVector one = IntVector.broadcast(INTS, 1);
        IntVector bias = IntVector.broadcast(INTS, 0x7FFF);
        IntVector highHalf = IntVector.broadcast(INTS, HIGH_HALF);
        FloatVector nanFloat = IntVector.broadcast(INTS, BF16_NAN_BITS).reinterpretAsFloats();
        int i = 0;
        for (int bound = FLOATS.loopBound(length); i < bound; i += LANES) {
            FloatVector f = FloatVector.fromArray(FLOATS, values, offset + i);
            IntVector b = f.reinterpretAsInts();
            b.add(b.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf).reinterpretAsFloats()
                    .blend(nanFloat, f.compare(NE, f))
                    .intoArray(values, offset + i);
        }
        roundBf16(values, offset + i, length - i);
    }

    /**
     * The four roundings of the fused step, one loop each (and the DIFFUSERS step {@code x + bf16(dt*v)} apart,
     * where {@code 1*x} is {@code x}). Per lane: widen {@code x} and {@code y} (shift the sign-extended 16 bits up),
     * multiply each by its coefficient, round a product to bfloat16 where its flag says so (add {@code 0x7FFF} plus
     * the lowest kept bit, clear the low half, NaN lanes to {@code 0x7FC00000}), add, round the sum the same way and
     * store its high half. NaN lanes are found by a float compare ({@code v != v}: one instruction, the integer
     * test {@code (bits & 0x7FFFFFFF) > 0x7F800000} takes two); this loop is bound by its arithmetic.
     */
    @Override
    public void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y,
                       boolean roundProductY, short[] out, int offset, int length) {
        if (dtype != DType.BFLOAT16) {
            super.affine(dtype, a, x, roundProductX, b, y, roundProductY, out, offset, length);
            return;
        }
        FloatVector va = FloatVector.broadcast(FLOATS, a);
        FloatVector vb = FloatVector.broadcast(FLOATS, b);
        IntVector one = IntVector.broadcast(INTS, 1);
        IntVector bias = IntVector.broadcast(INTS, 0x7FFF);
        IntVector highHalf = IntVector.broadcast(INTS, HIGH_HALF);
        FloatVector nanFloat = IntVector.broadcast(INTS, BF16_NAN_BITS).reinterpretAsFloats();
        IntVector nan = IntVector.broadcast(INTS, BF16_NAN);
        int to = offset + length;
        int tail = offset + SHORTS.loopBound(length);
        int i = offset;
        if (roundProductX && roundProductY) {
            for (; i < tail; i += LANES) {
                IntVector wx = (IntVector) ShortVector.fromArray(SHORTS, x, i).convertShape(S2I, INTS, 0);
                IntVector wy = (IntVector) ShortVector.fromArray(SHORTS, y, i).convertShape(S2I, INTS, 0);
                FloatVector px = wx.lanewise(LSHL, 16).reinterpretAsFloats().mul(va);
                FloatVector py = wy.lanewise(LSHL, 16).reinterpretAsFloats().mul(vb);
                IntVector pxBits = px.reinterpretAsInts();
                IntVector pyBits = py.reinterpretAsInts();
                FloatVector rx = pxBits.add(pxBits.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf)
                        .reinterpretAsFloats().blend(nanFloat, px.compare(NE, px));
                FloatVector ry = pyBits.add(pyBits.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf)
                        .reinterpretAsFloats().blend(nanFloat, py.compare(NE, py));
                FloatVector sum = rx.add(ry);
                IntVector s = sum.reinterpretAsInts();
                IntVector r = s.add(s.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                        .blend(nan, sum.compare(NE, sum).cast(INTS));
                ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(out, i);
            }
            bf16RoundedProducts(a, x, b, y, out, i, to);
        } else if (roundProductY && a == 1f) {
            // The DIFFUSERS step: 1 * x is x (a NaN x makes a NaN sum either way, and every NaN sum becomes 0x7FC0).
            for (; i < tail; i += LANES) {
                IntVector wx = (IntVector) ShortVector.fromArray(SHORTS, x, i).convertShape(S2I, INTS, 0);
                IntVector wy = (IntVector) ShortVector.fromArray(SHORTS, y, i).convertShape(S2I, INTS, 0);
                FloatVector py = wy.lanewise(LSHL, 16).reinterpretAsFloats().mul(vb);
                IntVector pyBits = py.reinterpretAsInts();
                FloatVector ry = pyBits.add(pyBits.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf)
                        .reinterpretAsFloats().blend(nanFloat, py.compare(NE, py));
                FloatVector sum = wx.lanewise(LSHL, 16).reinterpretAsFloats().add(ry);
                IntVector s = sum.reinterpretAsInts();
                IntVector r = s.add(s.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                        .blend(nan, sum.compare(NE, sum).cast(INTS));
                ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(out, i);
            }
            bf16RoundedProductY(a, x, b, y, out, i, to);
        } else if (roundProductY) {
            for (; i < tail; i += LANES) {
                IntVector wx = (IntVector) ShortVector.fromArray(SHORTS, x, i).convertShape(S2I, INTS, 0);
                IntVector wy = (IntVector) ShortVector.fromArray(SHORTS, y, i).convertShape(S2I, INTS, 0);
                FloatVector px = wx.lanewise(LSHL, 16).reinterpretAsFloats().mul(va);
                FloatVector py = wy.lanewise(LSHL, 16).reinterpretAsFloats().mul(vb);
                IntVector pyBits = py.reinterpretAsInts();
                FloatVector ry = pyBits.add(pyBits.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf)
                        .reinterpretAsFloats().blend(nanFloat, py.compare(NE, py));
                FloatVector sum = px.add(ry);
                IntVector s = sum.reinterpretAsInts();
                IntVector r = s.add(s.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                        .blend(nan, sum.compare(NE, sum).cast(INTS));
                ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(out, i);
            }
            bf16RoundedProductY(a, x, b, y, out, i, to);
        } else if (roundProductX) {
            for (; i < tail; i += LANES) {
                IntVector wx = (IntVector) ShortVector.fromArray(SHORTS, x, i).convertShape(S2I, INTS, 0);
                IntVector wy = (IntVector) ShortVector.fromArray(SHORTS, y, i).convertShape(S2I, INTS, 0);
                FloatVector px = wx.lanewise(LSHL, 16).reinterpretAsFloats().mul(va);
                FloatVector py = wy.lanewise(LSHL, 16).reinterpretAsFloats().mul(vb);
                IntVector pxBits = px.reinterpretAsInts();
                FloatVector rx = pxBits.add(pxBits.lanewise(LSHR, 16).and(one)).add(bias).and(highHalf)
                        .reinterpretAsFloats().blend(nanFloat, px.compare(NE, px));
                FloatVector sum = rx.add(py); // the rounded product on the left, as the scalar loop
                IntVector s = sum.reinterpretAsInts();
                IntVector r = s.add(s.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                        .blend(nan, sum.compare(NE, sum).cast(INTS));
                ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(out, i);
            }
            bf16RoundedProductX(a, x, b, y, out, i, to);
        } else {
            for (; i < tail; i += LANES) {
                IntVector wx = (IntVector) ShortVector.fromArray(SHORTS, x, i).convertShape(S2I, INTS, 0);
                IntVector wy = (IntVector) ShortVector.fromArray(SHORTS, y, i).convertShape(S2I, INTS, 0);
                FloatVector px = wx.lanewise(LSHL, 16).reinterpretAsFloats().mul(va);
                FloatVector py = wy.lanewise(LSHL, 16).reinterpretAsFloats().mul(vb);
                FloatVector sum = px.add(py);
                IntVector s = sum.reinterpretAsInts();
                IntVector r = s.add(s.lanewise(LSHR, 16).and(one)).add(bias).lanewise(LSHR, 16)
                        .blend(nan, sum.compare(NE, sum).cast(INTS));
                ((ShortVector) r.convertShape(I2S, SHORTS, 0)).intoArray(out, i);
            }
            bf16Float32(a, x, b, y, out, i, to);
        }
    }

    /** Lanes per vector: the fused loops' step ({@link FusedKernels}, which also reads the species above). */
    static int lanes() {
        return LANES;
    }

    // The float32 operations at any offsets: the interface's loops vectorise only when the offsets are equal, and an
    // elementwise expression reads its float32 inputs in place and writes its output in place (ElementwiseKernels).
    // Lane-wise add / sub / mul / div are IEEE float32 operations, Java's own: the same bits. Tails: the scalar loops.

    @Override
    public void binary(Expr.Op op, float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset,
                       int length) {
        int i = 0;
        int bound = FLOATS.loopBound(length);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).add(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).sub(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).mul(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).div(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
        }
        super.binary(op, x, xOffset + i, y, yOffset + i, out, outOffset + i, length - i);
    }

    @Override
    public void binary(Expr.Op op, float[] x, int xOffset, float c, float[] out, int outOffset, int length) {
        FloatVector vc = FloatVector.broadcast(FLOATS, c);
        int i = 0;
        int bound = FLOATS.loopBound(length);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).add(vc).intoArray(out, outOffset + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).sub(vc).intoArray(out, outOffset + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).mul(vc).intoArray(out, outOffset + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += LANES) {
                    FloatVector.fromArray(FLOATS, x, xOffset + i).div(vc).intoArray(out, outOffset + i);
                }
            }
        }
        super.binary(op, x, xOffset + i, c, out, outOffset + i, length - i);
    }

    @Override
    public void binary(Expr.Op op, float c, float[] y, int yOffset, float[] out, int outOffset, int length) {
        FloatVector vc = FloatVector.broadcast(FLOATS, c);
        int i = 0;
        int bound = FLOATS.loopBound(length);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += LANES) {
                    vc.add(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += LANES) {
                    vc.sub(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += LANES) {
                    vc.mul(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += LANES) {
                    vc.div(FloatVector.fromArray(FLOATS, y, yOffset + i)).intoArray(out, outOffset + i);
                }
            }
        }
        super.binary(op, c, y, yOffset + i, out, outOffset + i, length - i);
    }
}
