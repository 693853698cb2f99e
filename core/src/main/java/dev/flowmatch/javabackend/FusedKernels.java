package dev.flowmatch.javabackend;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_short;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One compiled loop per expression shape, for {@link JavaBackend#elementwise} with the vector kernels: the whole
 * expression is evaluated one vector at a time, in registers, so a step reads each input once and writes its
 * result once at memory speed. ({@link ElementwiseKernels}' interpreter runs one loop per operation over a block;
 * its intermediate values stay in the L1 cache, but each operation still costs a pass, which made a DPM-Solver++ or
 * UniPC step 2.5 to 4.5 times slower than its memory traffic allows.)
 *
 * <p>How: the expression is flattened into nodes (loads, constants, operations, roundings), and the nodes are
 * written as the bytecode of a loop ({@code java.lang.classfile}) that calls the Vector API exactly as hand-written
 * Java would ({@code x.mul(c).add(y)}, and for bfloat16 the integer lane operations of
 * {@link VectorBlockKernels}' loops), defined as a hidden class. HotSpot compiles it like any loop. The shape of an expression (its nodes, without the values of its
 * constants, which the loop takes as arguments) is the cache key, so the sampler's step of every iteration reuses
 * one loop. Each node is one IEEE float32 operation and the same rounding as {@link Expr#apply}, in the same order,
 * never fused or reordered: the same bits as the interpreter (checked by {@code FusedKernelsTest}).
 *
 * <p>When: Vector API code is hundreds of times slower than the interpreter until C2 has compiled it, so a shape is
 * fused only once it has been seen {@value #SIGHTINGS} times on at least {@value #MIN_ELEMENTS} elements; its loop
 * is then generated and raced against the interpreter on a daemon thread ({@value #THREAD}) until it wins
 * {@value #WINS_NEEDED} rounds in a row, and only from then on do calls use it. Loop tails (fewer elements than a
 * vector), float16 and constant results stay with the interpreter. {@value #PROPERTY}{@code =false} turns fusion
 * off; {@code =always} fuses every expression at once, without the race (for tests); any other value is
 * {@code auto}.
 *
 * <p>Measured limits: a float32 loop streams at the speed of a triad whatever its length; a bfloat16 loop is
 * compute-bound (each rounding is about ten lane operations), about 1.5x faster than the interpreter. HotSpot's
 * {@code -XX:+PrintIntrinsics} reports some of the bfloat16 reinterpretations as not intrinsified in these loops
 * ("missing constant"), where the same calls in {@link VectorBlockKernels} are: a lead for making them faster.
 */
final class FusedKernels {
    /** System property: {@code auto} (the default), {@code false}, or {@code always}. */
    static final String PROPERTY = "flowmatch.java.fused";
    static final String THREAD = "flowmatch-fused-warm-up";
    /** Calls of one shape before its loop is generated: a shape seen once (a test's random expression) is not. */
    static final int SIGHTINGS = 2;
    /** Elements below which a call does not count as a sighting: a few vectors do not repay a class. */
    static final int MIN_ELEMENTS = 1 << 14;
    /** Nodes above which an expression is left to the interpreter (its loop would be too large to compile well). */
    static final int MAX_NODES = 64;
    /** Shapes remembered at most (sightings and loops); beyond, new shapes go to the interpreter. */
    static final int MAX_SHAPES = 512;
    /** Consecutive rounds the loop must beat the interpreter before calls use it. */
    static final int WINS_NEEDED = 25;
    /** Calls of the interpreter before the race, so that HotSpot has compiled it. */
    static final int YARDSTICK_CALLS = 2_000;
    /** How long a warm-up may race before it settles for the interpreter. */
    static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(60);

    private static final String MODE = System.getProperty(PROPERTY, "auto").toLowerCase(Locale.ROOT);

    private FusedKernels() {}

    /**
     * A generated loop: runs the expression over the whole vectors of {@code [from, to)} and returns the index where
     * it stopped (the interpreter runs the rest). Input {@code k} is {@code floats[k]} (float32) or {@code halves[k]}
     * (bfloat16 bits); the output is {@code floatsOut} or {@code halvesOut}, at the same indices.
     */
    interface Kernel {
        /**
         * Runs the loop.
         *
         * @param floats    float32 inputs by argument index (null where an input is not float32)
         * @param halves    bfloat16 inputs by argument index
         * @param constants the values of the shape's constants
         * @param from      first element
         * @param to        end of the range
         * @param floatsOut the float32 output, or null
         * @param halvesOut the bfloat16 output, or null
         * @return the first element not computed
         */
        int run(float[][] floats, short[][] halves, float[] constants, int from, int to, float[] floatsOut,
                short[] halvesOut);
    }

    /** A node of a flattened expression; operands are indices of earlier nodes. */
    sealed interface Node permits Load, Constant, Operation, Round {}

    /** Input {@code input}, float32 or bfloat16 bits widened. */
    record Load(int input, boolean bfloat16) implements Node {}

    /** Constant {@code slot} of the call. */
    record Constant(int slot) implements Node {}

    /** {@code left op right} in float32, rounded to bfloat16 when {@code roundBf16}. */
    record Operation(Expr.Op op, int left, int right, boolean roundBf16) implements Node {}

    /** {@code operand} rounded to bfloat16. */
    record Round(int operand) implements Node {}

    /** The shape of an expression: its nodes in evaluation order (the last is the result) and the output's storage. */
    record Shape(List<Node> nodes, boolean bf16Out) {}

    /** A flattened call: its shape and the values of its constants. */
    record Plan(Shape shape, float[] constants) {}

    /** A loop ready for one call: the kernel and the call's constants. */
    record Bound(Kernel kernel, float[] constants) {
        int run(float[][] floats, short[][] halves, int from, int to, float[] floatsOut, short[] halvesOut) {
            return kernel.run(floats, halves, constants, from, to, floatsOut, halvesOut);
        }
    }

    /** The interpreter, the yardstick of the warm-up race: evaluates {@code expression} over {@code n} elements. */
    @FunctionalInterface
    interface Interpreter {
        void run(Expr expression, float[][] floats, short[][] halves, DType[] dtypes, int n, float[] floatsOut,
                 short[] halvesOut, DType out);
    }

    /** What is known of one shape. */
    private static final class Entry {
        static final int SEEN = 0;
        static final int WARMING = 1;
        static final int WARM = 2;
        static final int REJECTED = 3;

        final AtomicInteger sightings = new AtomicInteger();
        final AtomicInteger state = new AtomicInteger(SEEN);
        volatile Kernel kernel;
    }

    private static final Map<Shape, Entry> SHAPES = new ConcurrentHashMap<>();
    private static final ExecutorService WARM_UP = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, THREAD);
        thread.setDaemon(true);
        return thread;
    });

    /** Whether fusion is on in this JVM (it also needs the vector kernels: see {@link ElementwiseKernels}). */
    static boolean enabled() {
        return !MODE.equals("false");
    }

    /**
     * The loop to use for this call, or null for the interpreter: the shape is not supported, not seen often enough
     * yet, or its loop is still warming up. Counts the sighting and starts the warm-up when it is due.
     *
     * @param expression  the expression
     * @param dtypes      each input's storage dtype (broadcast inputs are float32 copies)
     * @param out         the result's dtype
     * @param elements    the call's element count
     * @param interpreter the yardstick of the warm-up race
     * @return the loop and the call's constants, or null
     */
    static Bound find(Expr expression, DType[] dtypes, DType out, int elements, Interpreter interpreter) {
        Plan plan = plan(expression, dtypes, out);
        if (plan == null) {
            return null;
        }
        if (MODE.equals("always")) {
            return new Bound(loop(plan.shape()), plan.constants());
        }
        if (elements < MIN_ELEMENTS) {
            return null;
        }
        Entry entry = SHAPES.get(plan.shape());
        if (entry == null) {
            if (SHAPES.size() >= MAX_SHAPES) {
                return null;
            }
            entry = SHAPES.computeIfAbsent(plan.shape(), s -> new Entry());
        }
        int state = entry.state.get();
        if (state == Entry.WARM) {
            return new Bound(entry.kernel, plan.constants());
        }
        if (state == Entry.SEEN && entry.sightings.incrementAndGet() >= SIGHTINGS
                && entry.state.compareAndSet(Entry.SEEN, Entry.WARMING)) {
            Entry warming = entry;
            WARM_UP.execute(() -> warmUp(warming, plan, expression, dtypes, out, interpreter));
        }
        return null;
    }

    /** Waits until every warm-up started so far has ended (for benchmarks and tests). */
    static void awaitWarmUps(long timeout, TimeUnit unit) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        WARM_UP.execute(done::countDown);
        done.await(timeout, unit);
    }

    /**
     * The flattened form of a call, or null when the interpreter must run it: a float16 input, operation or cast, a
     * constant result, or more than {@value #MAX_NODES} nodes. Operations on constants only are folded (the same
     * float32 operation and rounding, done once); a cast to float32 is no node.
     */
    static Plan plan(Expr expression, DType[] dtypes, DType out) {
        if (out == DType.FLOAT16) {
            return null;
        }
        Flattener flattener = new Flattener(dtypes);
        Flattener.Value result = flattener.emit(expression);
        if (result == null || result.known() || flattener.nodes.size() > MAX_NODES) {
            return null;
        }
        float[] constants = new float[flattener.constants.size()];
        for (int i = 0; i < constants.length; i++) {
            constants[i] = flattener.constants.get(i);
        }
        return new Plan(new Shape(List.copyOf(flattener.nodes), out == DType.BFLOAT16), constants);
    }

    /** Emits the nodes of an expression, operands first; null for what the loops do not support. */
    private static final class Flattener {
        /** A node index, or a constant known while flattening ({@code node < 0}). */
        record Value(int node, float constant) {
            boolean known() {
                return node < 0;
            }
        }

        final DType[] dtypes;
        final List<Node> nodes = new ArrayList<>();
        final List<Float> constants = new ArrayList<>();
        /** Input index to its load: an input read more than once is loaded once. */
        final Map<Integer, Integer> loads = new HashMap<>();

        Flattener(DType[] dtypes) {
            this.dtypes = dtypes;
        }

        Value emit(Expr e) {
            return switch (e) {
                case Expr.Input in -> {
                    DType dtype = dtypes[in.index()];
                    if (dtype == DType.FLOAT16) {
                        yield null;
                    }
                    Integer load = loads.get(in.index());
                    if (load == null) {
                        load = add(new Load(in.index(), dtype == DType.BFLOAT16));
                        loads.put(in.index(), load);
                    }
                    yield new Value(load, 0);
                }
                case Expr.Scalar s -> new Value(-1, s.value());
                case Expr.Binary b -> {
                    Value left = emit(b.left());
                    Value right = left == null || b.dtype() == DType.FLOAT16 ? null : emit(b.right());
                    if (right == null) {
                        yield null;
                    }
                    if (left.known() && right.known()) {
                        yield new Value(-1, b.dtype().round(b.op().apply(left.constant(), right.constant())));
                    }
                    int l = materialize(left);
                    int r = materialize(right);
                    yield new Value(add(new Operation(b.op(), l, r, b.dtype() == DType.BFLOAT16)), 0);
                }
                case Expr.Cast c -> {
                    Value operand = emit(c.operand());
                    if (operand == null || c.dtype() == DType.FLOAT16) {
                        yield null;
                    }
                    if (c.dtype() == DType.FLOAT32) {
                        yield operand;
                    }
                    yield operand.known() ? new Value(-1, c.dtype().round(operand.constant()))
                            : new Value(add(new Round(operand.node())), 0);
                }
            };
        }

        private int materialize(Value value) {
            if (!value.known()) {
                return value.node();
            }
            constants.add(value.constant());
            return add(new Constant(constants.size() - 1));
        }

        private int add(Node node) {
            nodes.add(node);
            return nodes.size() - 1;
        }
    }

    /** The loop of {@code shape}, generated and cached (never raced: for {@code always} and tests). */
    static Kernel loop(Shape shape) {
        if (SHAPES.size() >= MAX_SHAPES && !SHAPES.containsKey(shape)) {
            return generate(shape); // not cached: the class is unloaded with its last user
        }
        Entry entry = SHAPES.computeIfAbsent(shape, s -> new Entry());
        Kernel kernel = entry.kernel;
        if (kernel == null) {
            kernel = generate(shape);
            entry.kernel = kernel;
        }
        return kernel;
    }

    /** Generates the loop, races it against the interpreter, and marks the shape warm or rejected. */
    private static void warmUp(Entry entry, Plan plan, Expr expression, DType[] dtypes, DType out,
                               Interpreter interpreter) {
        boolean warm = false;
        try {
            Kernel kernel = generate(plan.shape());
            entry.kernel = kernel;
            warm = race(kernel, plan, expression, dtypes, out, interpreter);
        } catch (Throwable t) {
            warm = false; // the interpreter gives the same bits
        } finally {
            entry.state.set(warm ? Entry.WARM : Entry.REJECTED);
        }
    }

    /**
     * Runs the loop and the interpreter on the same small inputs until the loop wins {@value #WINS_NEEDED} rounds
     * in a row (C2 has compiled it), or gives up. The loop is called through a method handle HotSpot cannot inline
     * here, so that it compiles the loop's own method: the one the backend's calls reach.
     */
    private static boolean race(Kernel kernel, Plan plan, Expr expression, DType[] dtypes, DType out,
                                Interpreter interpreter) throws Throwable {
        int n = 32 * VectorBlockKernels.lanes();
        float[][] floats = new float[dtypes.length][];
        short[][] halves = new short[dtypes.length][];
        for (int k = 0; k < dtypes.length; k++) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = ((i * 31 + k * 7) % 97) / 31f - 1.5f;
            }
            if (dtypes[k] == DType.FLOAT32) {
                floats[k] = values;
            } else {
                halves[k] = new short[n];
                for (int i = 0; i < n; i++) {
                    halves[k][i] = Bits.floatToBf16(values[i]);
                }
            }
        }
        float[] floatsOut = out == DType.FLOAT32 ? new float[n] : null;
        short[] halvesOut = out == DType.FLOAT32 ? null : new short[n];
        Handle handle = new Handle(kernel);
        // The yardstick first: the loop's C1 compilation could beat an interpreter HotSpot has not compiled yet.
        for (int i = 0; i < YARDSTICK_CALLS; i++) {
            interpreter.run(expression, floats, halves, dtypes, n, floatsOut, halvesOut, out);
        }
        long deadline = System.nanoTime() + GIVE_UP_NANOS;
        int wins = 0;
        while (wins < WINS_NEEDED && System.nanoTime() < deadline) {
            long start = System.nanoTime();
            int unused = (int) handle.run.invokeExact(floats, halves, plan.constants(), 0, n, floatsOut, halvesOut);
            long fused = System.nanoTime() - start;
            start = System.nanoTime();
            interpreter.run(expression, floats, halves, dtypes, n, floatsOut, halvesOut, out);
            long interpreted = System.nanoTime() - start;
            wins = fused < interpreted ? wins + 1 : 0;
        }
        return wins >= WINS_NEEDED;
    }

    /** {@link Kernel#run} bound to one loop, in a field HotSpot does not treat as a constant. */
    private static final class Handle {
        MethodHandle run;

        Handle(Kernel kernel) throws ReflectiveOperationException {
            run = MethodHandles.lookup().findVirtual(Kernel.class, "run", MethodType.methodType(int.class,
                    float[][].class, short[][].class, float[].class, int.class, int.class, float[].class,
                    short[].class)).bindTo(kernel);
        }
    }

    // The generated class: `final class FusedLoop implements Kernel { public int run(...) { ... } }`. Its loop calls
    // only the Vector API's own methods (annotated to be inlined, intrinsified to one or two instructions each), as
    // javac compiles the same Java source; no helper method of ours, because HotSpot inlines those only where its
    // profile says the call is hot, and one call left out boxes every vector after it (measured: a bfloat16 UniPC
    // step 2x slower than the interpreter when the bfloat16 conversions were helper methods).

    private static final ClassDesc FLOAT_VECTOR = ClassDesc.of("jdk.incubator.vector.FloatVector");
    private static final ClassDesc INT_VECTOR = ClassDesc.of("jdk.incubator.vector.IntVector");
    private static final ClassDesc SHORT_VECTOR = ClassDesc.of("jdk.incubator.vector.ShortVector");
    private static final ClassDesc VECTOR = ClassDesc.of("jdk.incubator.vector.Vector");
    private static final ClassDesc SPECIES = ClassDesc.of("jdk.incubator.vector.VectorSpecies");
    private static final ClassDesc MASK = ClassDesc.of("jdk.incubator.vector.VectorMask");
    private static final ClassDesc OPERATORS = ClassDesc.of("jdk.incubator.vector.VectorOperators");
    private static final ClassDesc BINARY_OPERATOR = ClassDesc.of("jdk.incubator.vector.VectorOperators$Binary");
    private static final ClassDesc COMPARISON = ClassDesc.of("jdk.incubator.vector.VectorOperators$Comparison");
    private static final ClassDesc CONVERSION = ClassDesc.of("jdk.incubator.vector.VectorOperators$Conversion");
    /** Where the species are: {@link VectorBlockKernels}' static finals. */
    private static final ClassDesc KERNELS = ClassDesc.of(FusedKernels.class.getPackageName() + ".VectorBlockKernels");
    private static final ClassDesc KERNEL = ClassDesc.of(Kernel.class.getName());
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(CD_int, CD_float.arrayType(2),
            CD_short.arrayType(2), CD_float.arrayType(), CD_int, CD_int, CD_float.arrayType(), CD_short.arrayType());
    private static final MethodTypeDesc FLOAT_BINARY = MethodTypeDesc.of(FLOAT_VECTOR, VECTOR);
    private static final MethodTypeDesc INT_BINARY = MethodTypeDesc.of(INT_VECTOR, VECTOR);
    private static final MethodTypeDesc INT_SHIFT = MethodTypeDesc.of(INT_VECTOR, BINARY_OPERATOR, CD_int);
    private static final MethodTypeDesc CONVERT_SHAPE = MethodTypeDesc.of(VECTOR, CONVERSION, SPECIES, CD_int);

    // Local variable slots of run(): its arguments, then the index, the loop's bound and a scratch slot, then one
    // slot per input array and per node.
    private static final int FLOATS = 1;
    private static final int HALVES = 2;
    private static final int CONSTANTS = 3;
    private static final int FROM = 4;
    private static final int TO = 5;
    private static final int FLOATS_OUT = 6;
    private static final int HALVES_OUT = 7;
    private static final int INDEX = 8;
    private static final int BOUND = 9;
    private static final int SCRATCH = 10;
    /** The rounding's lane constants, broadcast once before the loop: {@link #ROUNDING_CONSTANTS} in order. */
    private static final int ROUNDING = 11;
    private static final int[] ROUNDING_CONSTANTS = {1, 0x7FFF, 0xFFFF0000, 0x7FFFFFFF, 0x7F800000, 0x7FC00000,
            0x7FC0};
    private static final int ONE = ROUNDING;
    private static final int BIAS = ROUNDING + 1;
    private static final int HIGH_HALF = ROUNDING + 2;
    private static final int SIGN_CLEARED = ROUNDING + 3;
    private static final int INFINITY_BITS = ROUNDING + 4;
    private static final int NAN_BITS = ROUNDING + 5;
    private static final int NAN_BF16 = ROUNDING + 6;
    private static final int FIRST_FREE = ROUNDING + ROUNDING_CONSTANTS.length;

    /** Generates and loads the loop of {@code shape}. */
    static Kernel generate(Shape shape) {
        int lanes = VectorBlockKernels.lanes();
        byte[] bytes = ClassFile.of().build(ClassDesc.of(FusedKernels.class.getPackageName() + ".FusedLoop"),
                c -> c.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                        .withInterfaceSymbols(KERNEL)
                        .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC, code -> code
                                .aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                        .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC, code -> body(code, shape, lanes)));
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClass(bytes, true);
            return (Kernel) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("could not define the fused loop of " + shape, t);
        }
    }

    /**
     * The body of {@code run}: {@code bound = from + ((to - from) & -lanes)}; the input arrays and the constants'
     * vectors before the loop; per vector, each node in order into its own local; the result stored; return the
     * bound.
     */
    private static void body(CodeBuilder code, Shape shape, int lanes) {
        List<Node> nodes = shape.nodes();
        int[] local = new int[nodes.size()];
        Map<Integer, Integer> arrays = new HashMap<>();
        int next = FIRST_FREE;
        code.iload(FROM).iload(TO).iload(FROM).isub().loadConstant(-lanes).iand().iadd().istore(BOUND);
        for (int k = 0; k < ROUNDING_CONSTANTS.length; k++) {
            // IntVector.broadcast(INTS, c): made once, as the hand-written loops do (VectorBlockKernels.round)
            code.getstatic(KERNELS, "INTS", SPECIES).loadConstant(ROUNDING_CONSTANTS[k])
                    .invokestatic(INT_VECTOR, "broadcast", MethodTypeDesc.of(INT_VECTOR, SPECIES, CD_int))
                    .astore(ROUNDING + k);
        }
        for (Node node : nodes) {
            if (node instanceof Load load && !arrays.containsKey(load.input())) {
                code.aload(load.bfloat16() ? HALVES : FLOATS).loadConstant(load.input()).aaload().astore(next);
                arrays.put(load.input(), next++);
            }
        }
        for (int n = 0; n < nodes.size(); n++) {
            local[n] = next++;
            if (nodes.get(n) instanceof Constant constant) {
                // FloatVector.broadcast(FLOATS, constants[slot])
                code.getstatic(KERNELS, "FLOATS", SPECIES).aload(CONSTANTS).loadConstant(constant.slot()).faload()
                        .invokestatic(FLOAT_VECTOR, "broadcast", MethodTypeDesc.of(FLOAT_VECTOR, SPECIES, CD_float))
                        .astore(local[n]);
            }
        }
        Label top = code.newLabel();
        Label end = code.newLabel();
        code.iload(FROM).istore(INDEX);
        code.labelBinding(top);
        code.iload(INDEX).iload(BOUND).if_icmpge(end);
        for (int n = 0; n < nodes.size(); n++) {
            switch (nodes.get(n)) {
                case Load load when load.bfloat16() -> loadBf16(code, arrays.get(load.input()));
                case Load load -> code.getstatic(KERNELS, "FLOATS", SPECIES).aload(arrays.get(load.input()))
                        .iload(INDEX).invokestatic(FLOAT_VECTOR, "fromArray", MethodTypeDesc.of(FLOAT_VECTOR, SPECIES,
                                CD_float.arrayType(), CD_int));
                case Constant constant -> {
                    continue; // broadcast before the loop
                }
                case Operation operation -> {
                    String method = switch (operation.op()) {
                        case ADD -> "add";
                        case SUB -> "sub";
                        case MUL -> "mul";
                        case DIV -> "div";
                    };
                    code.aload(local[operation.left()]).aload(local[operation.right()])
                            .invokevirtual(FLOAT_VECTOR, method, FLOAT_BINARY);
                    if (operation.roundBf16()) {
                        roundBf16(code, false);
                        code.invokevirtual(INT_VECTOR, "reinterpretAsFloats", MethodTypeDesc.of(FLOAT_VECTOR));
                    }
                }
                case Round round -> {
                    code.aload(local[round.operand()]);
                    roundBf16(code, false);
                    code.invokevirtual(INT_VECTOR, "reinterpretAsFloats", MethodTypeDesc.of(FLOAT_VECTOR));
                }
            }
            code.astore(local[n]);
        }
        code.aload(local[nodes.size() - 1]);
        if (shape.bf16Out()) {
            // ((ShortVector) rounded.convertShape(I2S, SHORTS, 0)).intoArray(halvesOut, i)
            roundBf16(code, true);
            code.getstatic(OPERATORS, "I2S", CONVERSION).getstatic(KERNELS, "SHORTS", SPECIES).iconst_0()
                    .invokevirtual(INT_VECTOR, "convertShape", CONVERT_SHAPE).checkcast(SHORT_VECTOR)
                    .aload(HALVES_OUT).iload(INDEX)
                    .invokevirtual(SHORT_VECTOR, "intoArray", MethodTypeDesc.of(CD_void, CD_short.arrayType(), CD_int));
        } else {
            code.aload(FLOATS_OUT).iload(INDEX).invokevirtual(FLOAT_VECTOR, "intoArray",
                    MethodTypeDesc.of(CD_void, CD_float.arrayType(), CD_int));
        }
        code.iinc(INDEX, lanes).goto_(top);
        code.labelBinding(end);
        code.iload(BOUND).ireturn();
    }

    /**
     * Pushes the bfloat16 elements {@code [i, i + lanes)} of the array in {@code array} widened to float32:
     * {@code ((IntVector) ShortVector.fromArray(SHORTS, a, i).convertShape(S2I, INTS, 0)).lanewise(LSHL, 16)
     * .reinterpretAsFloats()}, as {@link VectorBlockKernels#widen}.
     */
    private static void loadBf16(CodeBuilder code, int array) {
        code.getstatic(KERNELS, "SHORTS", SPECIES).aload(array).iload(INDEX)
                .invokestatic(SHORT_VECTOR, "fromArray", MethodTypeDesc.of(SHORT_VECTOR, SPECIES, CD_short.arrayType(),
                        CD_int))
                .getstatic(OPERATORS, "S2I", CONVERSION).getstatic(KERNELS, "INTS", SPECIES).iconst_0()
                .invokevirtual(SHORT_VECTOR, "convertShape", CONVERT_SHAPE).checkcast(INT_VECTOR)
                .getstatic(OPERATORS, "LSHL", BINARY_OPERATOR).bipush(16)
                .invokevirtual(INT_VECTOR, "lanewise", INT_SHIFT)
                .invokevirtual(INT_VECTOR, "reinterpretAsFloats", MethodTypeDesc.of(FLOAT_VECTOR));
    }

    /**
     * Replaces the FloatVector on the stack by its bits rounded to bfloat16 (an IntVector), as
     * {@link VectorBlockKernels#round} and {@code narrow} do: {@code b + ((b >>> 16) & 1) + 0x7FFF}, then either
     * the high half kept ({@code & 0xFFFF0000}, NaN lanes {@code 0x7FC00000}) or, for {@code shifted}, shifted down
     * ({@code >>> 16}, NaN lanes {@code 0x7FC0}). Uses the scratch slot.
     */
    private static void roundBf16(CodeBuilder code, boolean shifted) {
        code.invokevirtual(FLOAT_VECTOR, "reinterpretAsInts", MethodTypeDesc.of(INT_VECTOR)).astore(SCRATCH)
                .aload(SCRATCH).aload(SCRATCH).getstatic(OPERATORS, "LSHR", BINARY_OPERATOR).bipush(16)
                .invokevirtual(INT_VECTOR, "lanewise", INT_SHIFT)
                .aload(ONE).invokevirtual(INT_VECTOR, "and", INT_BINARY)
                .invokevirtual(INT_VECTOR, "add", INT_BINARY)
                .aload(BIAS).invokevirtual(INT_VECTOR, "add", INT_BINARY);
        if (shifted) {
            code.getstatic(OPERATORS, "LSHR", BINARY_OPERATOR).bipush(16).invokevirtual(INT_VECTOR, "lanewise", INT_SHIFT)
                    .aload(NAN_BF16);
        } else {
            code.aload(HIGH_HALF).invokevirtual(INT_VECTOR, "and", INT_BINARY).aload(NAN_BITS);
        }
        // .blend(nan, b.and(SIGN_CLEARED).compare(GT, INFINITY_BITS)): the lanes that held a NaN
        code.aload(SCRATCH).aload(SIGN_CLEARED).invokevirtual(INT_VECTOR, "and", INT_BINARY)
                .getstatic(OPERATORS, "GT", COMPARISON).aload(INFINITY_BITS)
                .invokevirtual(INT_VECTOR, "compare", MethodTypeDesc.of(MASK, COMPARISON, VECTOR))
                .invokevirtual(INT_VECTOR, "blend", MethodTypeDesc.of(INT_VECTOR, VECTOR, MASK));
    }
}
