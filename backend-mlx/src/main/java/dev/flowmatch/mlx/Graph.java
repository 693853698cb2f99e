package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One scope of MLX graph building: holds the runtime's lock and this thread's default stream on the device,
 * and frees every intermediate array it created when closed. The array a caller wants to keep is taken out
 * with {@link #keep}. Ops are lazy: nothing is computed until an array is evaluated.
 *
 * <pre>{@code
 * try (Graph g = runtime.graph()) {
 *     MemorySegment sum = g.add(g.widen(x, BFLOAT16), y);
 *     return g.keep(sum);            // everything else created here is freed on close
 * }
 * }</pre>
 */
final class Graph implements AutoCloseable {
    private final MlxRuntime runtime;
    private final MlxC c;
    private final MemorySegment stream;
    private final Conversions modes;
    private final List<MemorySegment> temporaries = new ArrayList<>();

    Graph(MlxRuntime runtime, MemorySegment device) {
        this.runtime = runtime;
        this.c = runtime.c;
        this.modes = runtime.conversions();
        runtime.lock.lock();
        try {
            this.stream = c.defaultStream(device);
        } catch (RuntimeException e) {
            runtime.lock.unlock();
            throw e;
        }
    }

    MlxC c() {
        return c;
    }

    MemorySegment stream() {
        return stream;
    }

    /** Records {@code array} as an intermediate, freed on close. */
    MemorySegment temp(MemorySegment array) {
        temporaries.add(array);
        return array;
    }

    /** Takes {@code array} out of this scope's intermediates: the caller now owns it. */
    MemorySegment keep(MemorySegment array) {
        for (int i = temporaries.size() - 1; i >= 0; i--) {
            if (temporaries.get(i).equals(array)) {
                temporaries.remove(i);
                return array;
            }
        }
        // Not created here (e.g. an input returned unchanged): a new handle on the same array, no copy.
        return c.arrayRetain(array);
    }

    @Override
    public void close() {
        try {
            RuntimeException failure = null;
            for (MemorySegment array : temporaries) {
                try {
                    c.arrayFree(array);
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            temporaries.clear();
            c.streamFree(stream);
            if (failure != null) {
                throw failure;
            }
        } finally {
            runtime.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- plain ops

    MemorySegment scalar(float value) {
        return temp(c.scalar(value));
    }

    MemorySegment multiply(MemorySegment a, MemorySegment b) {
        return temp(c.multiply(a, b, stream));
    }

    MemorySegment add(MemorySegment a, MemorySegment b) {
        return temp(c.add(a, b, stream));
    }

    MemorySegment astype(MemorySegment a, int dtype) {
        return temp(c.astype(a, dtype, stream));
    }

    MemorySegment contiguous(MemorySegment a) {
        return temp(c.contiguous(a, stream));
    }

    /** A new array holding a copy of {@code data}, laid out row-major in {@code shape}. */
    MemorySegment fromData(MemorySegment data, int[] shape, int dtype) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = arena.allocate(JAVA_INT, Math.max(1, shape.length));
            MemorySegment.copy(shape, 0, dims, JAVA_INT, 0, shape.length);
            return temp(c.arrayNewData(data, dims, shape.length, dtype));
        }
    }

    /** A 0-dimensional array of a 16- or 32-bit unsigned dtype holding {@code bits}. */
    MemorySegment scalarBits(int bits, int dtype) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data;
            if (dtype == MlxC.MLX_UINT32) {
                data = arena.allocate(JAVA_INT);
                data.set(JAVA_INT, 0, bits);
            } else {
                data = arena.allocate(JAVA_SHORT);
                data.set(JAVA_SHORT, 0, (short) bits);
            }
            return fromData(data, new int[0], dtype);
        }
    }

    private MemorySegment u32(int value) {
        return scalarBits(value, MlxC.MLX_UINT32);
    }

    // ---------------------------------------------------------------- the affine primitive

    /**
     * {@code a*x + b*y} rounded as {@code spec} says ({@link AffineSpec#apply}): each coefficient rounded to its
     * product's dtype, multiplied in float32 by its operand widened to float32, the product rounded to its dtype;
     * the float32 sum rounded to the sum's dtype, then to the output dtype. One MLX op per arithmetic step, each
     * correctly rounded (no fused multiply-add).
     */
    MemorySegment affine(float a, MemorySegment x, DType dx, float b, MemorySegment y, DType dy, AffineSpec spec) {
        MemorySegment px = product(spec.productX().round(a), x, dx, spec.productX());
        MemorySegment py = product(spec.productY().round(b), y, dy, spec.productY());
        MemorySegment sum = convert(add(px, py), DType.FLOAT32, spec.sum());
        return convert(sum, spec.sum(), spec.out());
    }

    /** {@code round(dtype, coefficient * widen(t))}, as float32. */
    private MemorySegment product(float coefficient, MemorySegment t, DType from, DType dtype) {
        MemorySegment p = multiply(scalar(coefficient), widen(t, from));
        return convert(convert(p, DType.FLOAT32, dtype), dtype, DType.FLOAT32);
    }

    // ---------------------------------------------------------------- the elementwise primitive

    /** A node's value as a float32 array, and the narrowest dtype that holds it exactly. */
    private record Value(MemorySegment array, DType held) {}

    /**
     * {@code expression} over {@code inputs} (of {@code dtypes}) as MLX ops, one per node, rounded as
     * {@link Expr#apply} rounds: every value is a float32 array (inputs widened exactly, {@link #widen}); a
     * {@link Expr.Binary} is MLX's float32 {@code add} / {@code subtract} / {@code multiply} / {@code divide}, each
     * correctly rounded (the CPU kernels are plain C++ operators, no fast math, one op per kernel: nothing to
     * contract); rounding to a 16-bit dtype and back is {@link #convert}, the conversions checked at load. A
     * subtree that reads no tensor is folded on the host by {@link Expr#apply} itself. The result has the root's
     * dtype and {@code shape}.
     */
    MemorySegment expression(Expr expression, MemorySegment[] inputs, DType[] dtypes, int[] shape) {
        MemorySegment[] widened = new MemorySegment[inputs.length];
        DType out = expression.dtype(dtypes);
        MemorySegment result;
        if (expression instanceof Expr.Input in) {
            result = inputs[in.index()];
        } else {
            Value v = value(expression, inputs, dtypes, widened);
            result = convert(v.array(), DType.FLOAT32, out); // exact when the value already is one of out
        }
        if (!java.util.Arrays.equals(c.shape(result), java.util.Arrays.stream(shape).asLongStream().toArray())) {
            // An input the expression does not read still widens the result (Tensors.checkElementwise).
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dims = arena.allocate(JAVA_INT, Math.max(1, shape.length));
                MemorySegment.copy(shape, 0, dims, JAVA_INT, 0, shape.length);
                result = temp(c.broadcastTo(result, dims, shape.length, stream));
            }
        }
        return result;
    }

    private Value value(Expr e, MemorySegment[] inputs, DType[] dtypes, MemorySegment[] widened) {
        if (e.arity() == 0) {
            // No tensor below: the reference's own host arithmetic, one 0-dim float32 array.
            return new Value(scalarExact(e.apply(new float[0])), e.dtype(new DType[0]));
        }
        return switch (e) {
            case Expr.Input in -> {
                int i = in.index();
                if (widened[i] == null) {
                    widened[i] = widen(inputs[i], dtypes[i]);
                }
                yield new Value(widened[i], dtypes[i]);
            }
            case Expr.Scalar s -> throw new AssertionError("folded above");
            case Expr.Binary b -> {
                MemorySegment left = value(b.left(), inputs, dtypes, widened).array();
                MemorySegment right = value(b.right(), inputs, dtypes, widened).array();
                MemorySegment r = temp(switch (b.op()) {
                    case ADD -> c.add(left, right, stream);
                    case SUB -> c.subtract(left, right, stream);
                    case MUL -> c.multiply(left, right, stream);
                    case DIV -> c.divide(left, right, stream);
                });
                yield round(new Value(r, DType.FLOAT32), b.dtype());
            }
            case Expr.Cast cast -> round(value(cast.operand(), inputs, dtypes, widened), cast.dtype());
        };
    }

    /** {@code v} rounded to {@code dtype}, as a float32 array (a value already of {@code dtype} as it is). */
    private Value round(Value v, DType dtype) {
        if (v.held() == dtype || dtype == DType.FLOAT32) {
            return v;
        }
        return new Value(convert(convert(v.array(), DType.FLOAT32, dtype), dtype, DType.FLOAT32), dtype);
    }

    /** A 0-dim float32 array of exactly {@code value} (a NaN keeps its bits). */
    private MemorySegment scalarExact(float value) {
        if (Float.isNaN(value)) {
            return view(scalarBits(Float.floatToRawIntBits(value), MlxC.MLX_UINT32), MlxC.MLX_FLOAT32);
        }
        return scalar(value);
    }

    // ---------------------------------------------------------------- dtype conversions, bit-exact with Java

    /** {@code a} (of dtype {@code from}) as {@code to}, rounded to nearest even as the reference backend does. */
    MemorySegment convert(MemorySegment a, DType from, DType to) {
        if (from == to) {
            return a;
        }
        if (to == DType.FLOAT32) {
            return widen(a, from);
        }
        return narrow(from == DType.FLOAT32 ? a : widen(a, from), to);
    }

    /** A float32 array with the exact values of {@code a}. */
    MemorySegment widen(MemorySegment a, DType from) {
        return switch (from) {
            case FLOAT32 -> a;
            case BFLOAT16 -> modes.fromBfloat16() == Conversions.Mode.NATIVE
                    ? astype(a, MlxC.MLX_FLOAT32) : widenBfloat16Bits(a);
            case FLOAT16 -> modes.fromFloat16() == Conversions.Mode.NATIVE
                    ? astype(a, MlxC.MLX_FLOAT32) : nanFix(a, astype(a, MlxC.MLX_FLOAT32), widenFloat16Nan(a));
        };
    }

    /** A float32 array {@code a} rounded to a 16-bit dtype. */
    MemorySegment narrow(MemorySegment a, DType to) {
        return switch (to) {
            case FLOAT32 -> a;
            case BFLOAT16 -> switch (modes.toBfloat16()) {
                case NATIVE -> astype(a, MlxC.MLX_BFLOAT16);
                case NAN_FIX -> nanFix(a, astype(a, MlxC.MLX_BFLOAT16), scalarBits(0x7FC0, MlxC.MLX_BFLOAT16));
                case BITS -> nanFix(a, narrowBfloat16Bits(a), scalarBits(0x7FC0, MlxC.MLX_BFLOAT16));
            };
            case FLOAT16 -> modes.toFloat16() == Conversions.Mode.NATIVE
                    ? astype(a, MlxC.MLX_FLOAT16)
                    : nanFix(a, astype(a, MlxC.MLX_FLOAT16), narrowFloat16Nan(a));
        };
    }

    /** {@code where(isnan(source), nan, converted)}. */
    private MemorySegment nanFix(MemorySegment source, MemorySegment converted, MemorySegment nan) {
        MemorySegment isNan = temp(c.isnan(source, stream));
        return temp(c.where(isNan, nan, converted, stream));
    }

    /** bfloat16 to float32 as {@code bits << 16} (keeps signalling NaNs signalling, as Java does). */
    private MemorySegment widenBfloat16Bits(MemorySegment a) {
        MemorySegment bits = astype(view(a, MlxC.MLX_UINT16), MlxC.MLX_UINT32);
        return view(shiftLeft(bits, 16), MlxC.MLX_FLOAT32);
    }

    /** {@link dev.flowmatch.tensor.Bits#floatToBf16} on the bits: {@code (u + 0x7FFF + ((u >> 16) & 1)) >> 16}. */
    private MemorySegment narrowBfloat16Bits(MemorySegment a) {
        MemorySegment u = view(a, MlxC.MLX_UINT32);
        MemorySegment lsb = and(shiftRight(u, 16), 1);
        MemorySegment rounded = shiftRight(temp(c.add(temp(c.add(u, u32(0x7FFF), stream)), lsb, stream)), 16);
        return view(astype(rounded, MlxC.MLX_UINT16), MlxC.MLX_BFLOAT16);
    }

    /** Java's float16 of a float32 NaN: {@code sign | 0x7E00 | top 10 payload bits} (quiet, payload truncated). */
    private MemorySegment narrowFloat16Nan(MemorySegment a) {
        MemorySegment t = shiftRight(view(a, MlxC.MLX_UINT32), 13);
        MemorySegment sign = and(shiftRight(t, 3), 0x8000);
        MemorySegment h = or(or(and(t, 0x3FF), 0x7E00), sign);
        return view(astype(h, MlxC.MLX_UINT16), MlxC.MLX_FLOAT16);
    }

    /** Java's float32 of a float16 NaN: {@code sign << 16 | 0x7FC00000 | payload << 13} (quiet). */
    private MemorySegment widenFloat16Nan(MemorySegment a) {
        MemorySegment h = astype(view(a, MlxC.MLX_UINT16), MlxC.MLX_UINT32);
        MemorySegment sign = shiftLeft(and(h, 0x8000), 16);
        MemorySegment payload = shiftLeft(and(h, 0x3FF), 13);
        return view(or(or(payload, 0x7FC00000), sign), MlxC.MLX_FLOAT32);
    }

    private MemorySegment view(MemorySegment a, int dtype) {
        return temp(c.view(a, dtype, stream));
    }

    private MemorySegment shiftLeft(MemorySegment a, int bits) {
        return temp(c.leftShift(a, u32(bits), stream));
    }

    private MemorySegment shiftRight(MemorySegment a, int bits) {
        return temp(c.rightShift(a, u32(bits), stream));
    }

    private MemorySegment and(MemorySegment a, int mask) {
        return temp(c.bitwiseAnd(a, u32(mask), stream));
    }

    private MemorySegment or(MemorySegment a, int mask) {
        return temp(c.bitwiseOr(a, u32(mask), stream));
    }

    private MemorySegment or(MemorySegment a, MemorySegment b) {
        return temp(c.bitwiseOr(a, b, stream));
    }
}
