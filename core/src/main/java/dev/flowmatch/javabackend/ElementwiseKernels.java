package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The loops behind {@link JavaBackend#elementwise}: the expression is flattened once into a short program over
 * float32 registers of {@value #BLOCK} elements, and the program runs block by block, so each tensor is read once
 * and the result written once however many operations the expression has (the intermediate values stay in the
 * CPU's cache). Each operation is one float32 operation and one rounding, exactly {@link Expr#apply}.
 */
final class ElementwiseKernels {
    /** Elements per register: small enough that a dozen registers stay in the L1/L2 cache. */
    static final int BLOCK = 1024;
    /** Elements per thread below which splitting costs more than it saves (see {@link AffineKernels}). */
    static final int MIN_PER_THREAD = 1 << 17;

    /** The kernels of this JVM (vector or scalar, see {@link Vectorization}): a constant the JIT binds to. */
    private static final BlockKernels KERNELS = Vectorization.kernels();

    private ElementwiseKernels() {}

    /** One instruction: writes register {@code target}. */
    private sealed interface Instruction permits Load, Constant, Apply, Round {}

    /** Widens block of input {@code input} into {@code target}. */
    private record Load(int input, int target) implements Instruction {}

    /** A register filled with one value (once: nothing else writes it). */
    private record Constant(float value, int target) implements Instruction {}

    /** {@code target = round(dtype, left op right)}. */
    private record Apply(Expr.Op op, int left, int right, DType dtype, int target) implements Instruction {}

    /** {@code target = round(dtype, operand)}. */
    private record Round(int operand, DType dtype, int target) implements Instruction {}

    /** The flattened expression: instructions in evaluation order, and the register holding the result. */
    private record Program(List<Instruction> code, int registers, int result) {
        static Program of(Expr expression) {
            List<Instruction> code = new ArrayList<>();
            int result = emit(expression, code, new java.util.HashMap<>());
            return new Program(List.copyOf(code), code.size(), result);
        }

        /**
         * Appends the instructions of {@code e} (operands first) and returns the register of its value. An input read
         * more than once is loaded once ({@code loaded}: input index to register); a cast to float32 is no
         * instruction (every value already is a float32).
         */
        private static int emit(Expr e, List<Instruction> code, java.util.Map<Integer, Integer> loaded) {
            int target;
            switch (e) {
                case Expr.Input in -> {
                    Integer register = loaded.get(in.index());
                    if (register != null) {
                        return register;
                    }
                    target = code.size();
                    code.add(new Load(in.index(), target));
                    loaded.put(in.index(), target);
                }
                case Expr.Scalar s -> {
                    target = code.size();
                    code.add(new Constant(s.value(), target));
                }
                case Expr.Binary b -> {
                    int left = emit(b.left(), code, loaded);
                    int right = emit(b.right(), code, loaded);
                    target = code.size();
                    code.add(new Apply(b.op(), left, right, b.dtype(), target));
                }
                case Expr.Cast c -> {
                    int operand = emit(c.operand(), code, loaded);
                    if (c.dtype() == DType.FLOAT32) {
                        return operand;
                    }
                    target = code.size();
                    code.add(new Round(operand, c.dtype(), target));
                }
            }
            return target;
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
        Program program = Program.of(expression);
        int n = shape.numelAsInt();
        if (out == DType.FLOAT32) {
            float[] result = backend.pool().floats(n);
            forRanges(n, (from, to) -> run(program, sources, from, to, result, null, out));
            return JavaTensor.ofFloats(backend, shape, result);
        }
        short[] result = backend.pool().shorts(n);
        forRanges(n, (from, to) -> run(program, sources, from, to, null, result, out));
        return JavaTensor.ofHalves(backend, shape, out, result);
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

    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code kernel} over {@code [0, n)}, split over the cores when each gets {@link #MIN_PER_THREAD}. */
    private static void forRanges(int n, Range kernel) {
        int threads = n < 2 * MIN_PER_THREAD ? 1 : Math.min(n / MIN_PER_THREAD,
                Integer.getInteger(AffineKernels.THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
        if (threads <= 1) {
            kernel.run(0, n);
            return;
        }
        IntStream.range(0, threads).parallel().forEach(t ->
                kernel.run((int) ((long) n * t / threads), (int) ((long) n * (t + 1) / threads)));
    }

    /** Runs the program over elements {@code [from, to)} with registers of its own. */
    private static void run(Program program, Source[] sources, int from, int to, float[] floatsOut,
                            short[] halvesOut, DType out) {
        float[][] registers = new float[program.registers()][BLOCK];
        for (Instruction instruction : program.code()) {
            if (instruction instanceof Constant c) {
                java.util.Arrays.fill(registers[c.target()], c.value());
            }
        }
        for (int start = from; start < to; start += BLOCK) {
            int length = Math.min(BLOCK, to - start);
            for (Instruction instruction : program.code()) {
                switch (instruction) {
                    case Load load -> sources[load.input()].widen(start, registers[load.target()], length);
                    case Constant c -> { }
                    case Apply a -> apply(a.op(), registers[a.left()], registers[a.right()], a.dtype(),
                            registers[a.target()], length);
                    case Round r -> round(registers[r.operand()], r.dtype(), registers[r.target()], length);
                }
            }
            float[] result = registers[program.result()];
            if (floatsOut != null) {
                System.arraycopy(result, 0, floatsOut, start, length);
            } else {
                KERNELS.narrow(out, result, 0, halvesOut, start, length);
            }
        }
    }

    /**
     * {@code target = round(dtype, left op right)} with the {@link BlockKernels} of this JVM: each loop over
     * registers at offset 0 (indexed alike, so HotSpot vectorises it), the rounding to a 16-bit dtype in place.
     */
    private static void apply(Expr.Op op, float[] left, float[] right, DType dtype, float[] target, int length) {
        switch (op) {
            case ADD -> KERNELS.add(left, 0, right, 0, target, 0, length);
            case SUB -> KERNELS.subtract(left, 0, right, 0, target, 0, length);
            case MUL -> KERNELS.multiply(left, 0, right, 0, target, 0, length);
            case DIV -> KERNELS.divide(left, 0, right, 0, target, 0, length);
        }
        if (dtype != DType.FLOAT32) {
            KERNELS.round(dtype, target, 0, length);
        }
    }

    /** {@code target = round(dtype, operand)} ({@code dtype} is 16-bit: casts to float32 emit nothing). */
    private static void round(float[] operand, DType dtype, float[] target, int length) {
        System.arraycopy(operand, 0, target, 0, length);
        KERNELS.round(dtype, target, 0, length);
    }
}
