package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The loops behind {@link JavaBackend#elementwise}: the expression is flattened once into a short program over
 * float32 registers of {@value #BLOCK} elements, and the program runs block by block, so each tensor is read once
 * and the result written once however many operations the expression has (the intermediate values stay in the
 * CPU's L1 cache). Each operation is one float32 operation and one rounding, exactly {@link Expr#apply}.
 *
 * <p>Each operation is one {@link BlockKernels#binary} loop over a block, so what a block costs is one pass per
 * operation: with the vector kernels, float32 inputs are read where they are (no copy into a register), a
 * constant is an operand of the loop (no register filled with it), and a float32 result is written by the last
 * operation straight into the output. The scalar kernels vectorise only loops whose arrays share their offset,
 * so there every input is copied into a register and the result copied out.
 *
 * <p>With the vector kernels, an expression whose shape keeps coming back (a sampler's step) gets a loop of its
 * own ({@link FusedKernels}) that evaluates the whole expression per vector; this interpreter then runs only the
 * elements after its last whole vector, and every call until that loop is compiled.
 */
final class ElementwiseKernels {
    /** Elements per register: a dozen registers stay in the L1 cache. */
    static final int BLOCK = 1024;

    /** The kernels of this JVM (vector or scalar, see {@link Vectorization}): a constant the JIT binds to. */
    private static final BlockKernels KERNELS = Vectorization.kernels();
    /** Whether the kernels run at vector speed on arrays at different offsets (the vector kernels do). */
    private static final boolean ANY_OFFSETS = KERNELS.vectorized();
    /** Whether shapes seen often get a fused loop ({@link FusedKernels}): it needs the vector kernels. */
    private static final boolean FUSED = ANY_OFFSETS && FusedKernels.enabled();
    /** The target of the operation that writes the float32 output itself. */
    private static final int OUTPUT = -1;

    private ElementwiseKernels() {}

    /** Where an operand's block is. */
    private sealed interface Operand permits Register, InPlace, Constant {}

    /** Register {@code index}: the block at offset 0 of a scratch array. */
    private record Register(int index) implements Operand {}

    /** Float32 input {@code input}, read where it is: the block at its own offset. */
    private record InPlace(int input) implements Operand {}

    /** A float32 constant, an operand of the loop itself. */
    private record Constant(float value) implements Operand {}

    /** One instruction: writes register {@code target} (or the output, {@link #OUTPUT}). */
    private sealed interface Instruction permits Load, Apply, Round {}

    /** Widens (or copies) the block of input {@code input} into register {@code target}. */
    private record Load(int input, int target) implements Instruction {}

    /** {@code target = round(dtype, left op right)}. */
    private record Apply(Expr.Op op, Operand left, Operand right, DType dtype, int target) implements Instruction {}

    /** {@code target = round(dtype, operand)}, {@code dtype} a 16-bit one. */
    private record Round(Operand operand, DType dtype, int target) implements Instruction {}

    /**
     * The flattened expression: instructions in evaluation order, the number of registers they use, where the
     * result is, and whether the last instruction has written it into the output already.
     */
    private record Program(Instruction[] code, int registers, Operand result, boolean written) {
        static Program of(Expr expression, Source[] sources, DType out) {
            Builder builder = new Builder(sources);
            Operand result = builder.emit(expression);
            List<Instruction> code = builder.code;
            boolean written = false;
            if (ANY_OFFSETS && out == DType.FLOAT32 && result instanceof Register r && !code.isEmpty()
                    && code.getLast() instanceof Apply last && last.target() == r.index()) {
                // The last operation computes the result: it writes the output at the block's offset itself.
                code.set(code.size() - 1, new Apply(last.op(), last.left(), last.right(), last.dtype(), OUTPUT));
                written = true;
            }
            return new Program(code.toArray(Instruction[]::new), builder.registers, result, written);
        }
    }

    /** Emits the instructions of an expression, operands first. */
    private static final class Builder {
        final Source[] sources;
        final List<Instruction> code = new ArrayList<>();
        /** Input index to its operand: an input read more than once is loaded once. */
        final Map<Integer, Operand> inputs = new HashMap<>();
        int registers;

        Builder(Source[] sources) {
            this.sources = sources;
        }

        /**
         * The operand holding the value of {@code e}, after appending the instructions that compute it. Operations
         * on constants only are folded into a constant (the same float32 operation and rounding, done once); a cast
         * to float32 is no instruction (every value already is a float32).
         */
        Operand emit(Expr e) {
            return switch (e) {
                case Expr.Input in -> inputs.computeIfAbsent(in.index(), this::input);
                case Expr.Scalar s -> new Constant(s.value());
                case Expr.Binary b -> {
                    Operand left = emit(b.left());
                    Operand right = emit(b.right());
                    if (left instanceof Constant l && right instanceof Constant r) {
                        yield new Constant(b.dtype().round(b.op().apply(l.value(), r.value())));
                    }
                    int target = registers++;
                    code.add(new Apply(b.op(), left, right, b.dtype(), target));
                    yield new Register(target);
                }
                case Expr.Cast c -> {
                    Operand operand = emit(c.operand());
                    if (c.dtype() == DType.FLOAT32) {
                        yield operand;
                    }
                    if (operand instanceof Constant k) {
                        yield new Constant(c.dtype().round(k.value()));
                    }
                    int target = registers++;
                    code.add(new Round(operand, c.dtype(), target));
                    yield new Register(target);
                }
            };
        }

        private Operand input(int index) {
            if (ANY_OFFSETS && sources[index].floats() != null) {
                return new InPlace(index);
            }
            int target = registers++;
            code.add(new Load(index, target));
            return new Register(target);
        }
    }

    /**
     * Evaluates {@code expression} over {@code inputs} (already checked, broadcast to {@code shape}) into a new
     * tensor of dtype {@code out}.
     */
    static JavaTensor evaluate(JavaBackend backend, Expr expression, JavaTensor[] inputs, Shape shape, DType out) {
        Source[] sources = new Source[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            sources[i] = Source.of(inputs[i], shape);
        }
        Program program = Program.of(expression, sources, out);
        int n = shape.numelAsInt();
        FusedKernels.Bound fused = FUSED ? FusedKernels.find(expression, dtypes(sources), out, n,
                ElementwiseKernels::interpret) : null;
        float[][] floats = new float[sources.length][];
        short[][] halves = new short[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            floats[i] = sources[i].floats();
            halves[i] = sources[i].halves();
        }
        float[] floatsOut = out == DType.FLOAT32 ? backend.pool().floats(n) : null;
        short[] halvesOut = out == DType.FLOAT32 ? null : backend.pool().shorts(n);
        // A fused float32 loop streams like the triad (AffineKernels' streaming threshold: at [1, 4096, 128] two
        // threads made the float32 family steps of bench/RESULTS.md slower, not faster); everything else computes.
        boolean streaming = fused != null && out == DType.FLOAT32 && allFloat32(sources);
        AffineKernels.forRanges(n, streaming ? AffineKernels.MIN_STREAMING_PER_THREAD
                : AffineKernels.MIN_COMPUTING_PER_THREAD, (from, to) -> {
            // The fused loop (when this shape has one) does the whole vectors, the interpreter the rest.
            int done = fused == null ? from : fused.run(floats, halves, from, to, floatsOut, halvesOut);
            if (done < to) {
                run(program, sources, done, to, floatsOut, halvesOut, out);
            }
        });
        return out == DType.FLOAT32 ? JavaTensor.ofFloats(backend, shape, floatsOut)
                : JavaTensor.ofHalves(backend, shape, out, halvesOut);
    }

    private static boolean allFloat32(Source[] sources) {
        for (Source source : sources) {
            if (source.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }

    /** Each input's storage dtype (a broadcast input is a float32 copy). */
    private static DType[] dtypes(Source[] sources) {
        DType[] dtypes = new DType[sources.length];
        for (int i = 0; i < sources.length; i++) {
            dtypes[i] = sources[i].dtype();
        }
        return dtypes;
    }

    /** The interpreter over plain arrays: the yardstick {@link FusedKernels} races a new loop against. */
    static void interpret(Expr expression, float[][] floats, short[][] halves, DType[] dtypes, int n,
                          float[] floatsOut, short[] halvesOut, DType out) {
        Source[] sources = new Source[dtypes.length];
        for (int i = 0; i < dtypes.length; i++) {
            sources[i] = new Source(floats[i], halves[i], dtypes[i]);
        }
        run(Program.of(expression, sources, out), sources, 0, n, floatsOut, halvesOut, out);
    }

    /** An input's storage: float32 values, or 16-bit patterns of {@code dtype}. */
    private record Source(float[] floats, short[] halves, DType dtype) {
        static Source of(JavaTensor t, Shape shape) {
            if (!t.shape().equals(shape)) {
                // Broadcast inputs (a mask [B, S, 1] against latents [B, S, C]) are expanded once.
                float[] values = Tensors.broadcastValues(t.backend().toFloats(t), t.shape(), shape);
                return new Source(values, null, DType.FLOAT32);
            }
            return t.dtype() == DType.FLOAT32
                    ? new Source(t.floats("inputs"), null, DType.FLOAT32)
                    : new Source(null, t.halves("inputs"), t.dtype());
        }

        void widen(int from, float[] target, int length) {
            switch (dtype) {
                case FLOAT32 -> System.arraycopy(floats, from, target, 0, length);
                case BFLOAT16, FLOAT16 -> KERNELS.widen(dtype, halves, from, target, 0, length);
            }
        }
    }

    /** Runs the program over elements {@code [from, to)} with registers of its own. */
    private static void run(Program program, Source[] sources, int from, int to, float[] floatsOut,
                            short[] halvesOut, DType out) {
        float[][] registers = new float[program.registers()][BLOCK];
        float[][] floats = new float[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            floats[i] = sources[i].floats();
        }
        for (int start = from; start < to; start += BLOCK) {
            int length = Math.min(BLOCK, to - start);
            for (Instruction instruction : program.code()) {
                switch (instruction) {
                    case Load load -> sources[load.input()].widen(start, registers[load.target()], length);
                    case Apply a -> apply(a, registers, floats, start, length, floatsOut);
                    case Round r -> round(r, registers, floats, start, length);
                }
            }
            if (!program.written()) {
                store(program.result(), registers, floats, start, length, floatsOut, halvesOut, out);
            }
        }
    }

    /** {@code target = round(dtype, left op right)} over one block, one {@link BlockKernels#binary} loop. */
    private static void apply(Apply a, float[][] registers, float[][] floats, int start, int length,
                              float[] floatsOut) {
        boolean output = a.target() == OUTPUT;
        float[] target = output ? floatsOut : registers[a.target()];
        int offset = output ? start : 0;
        if (a.left() instanceof Constant c) {
            KERNELS.binary(a.op(), c.value(), array(a.right(), registers, floats), offset(a.right(), start),
                    target, offset, length);
        } else if (a.right() instanceof Constant c) {
            KERNELS.binary(a.op(), array(a.left(), registers, floats), offset(a.left(), start), c.value(),
                    target, offset, length);
        } else {
            KERNELS.binary(a.op(), array(a.left(), registers, floats), offset(a.left(), start),
                    array(a.right(), registers, floats), offset(a.right(), start), target, offset, length);
        }
        if (a.dtype() != DType.FLOAT32) {
            KERNELS.round(a.dtype(), target, offset, length);
        }
    }

    /** {@code target = round(dtype, operand)} over one block (the operand is never a constant: those fold). */
    private static void round(Round r, float[][] registers, float[][] floats, int start, int length) {
        float[] target = registers[r.target()];
        System.arraycopy(array(r.operand(), registers, floats), offset(r.operand(), start), target, 0, length);
        KERNELS.round(r.dtype(), target, 0, length);
    }

    /** Writes the block of the result into the output (when no operation has written it there). */
    private static void store(Operand result, float[][] registers, float[][] floats, int start, int length,
                              float[] floatsOut, short[] halvesOut, DType out) {
        if (result instanceof Constant c) {
            if (floatsOut != null) {
                Arrays.fill(floatsOut, start, start + length, c.value());
            } else {
                Arrays.fill(halvesOut, start, start + length, (short) out.floatToBits(c.value()));
            }
        } else if (floatsOut != null) {
            System.arraycopy(array(result, registers, floats), offset(result, start), floatsOut, start, length);
        } else {
            KERNELS.narrow(out, array(result, registers, floats), offset(result, start), halvesOut, start, length);
        }
    }

    /** The array holding an operand's block (not for constants). */
    private static float[] array(Operand operand, float[][] registers, float[][] floats) {
        return switch (operand) {
            case Register r -> registers[r.index()];
            case InPlace p -> floats[p.input()];
            case Constant c -> throw new IllegalStateException("a constant has no array");
        };
    }

    /** Where an operand's block starts in its array: a register's at 0, an input's at the block's own offset. */
    private static int offset(Operand operand, int start) {
        return operand instanceof InPlace ? start : 0;
    }
}
