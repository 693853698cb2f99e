package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.flowmatch.mlx.Conversions.Mode;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Checks a device once, at load.
 *
 * <p>Conversions: MLX's {@code astype} against Java's on every float32 conversion of the 65,536 values of each
 * 16-bit type, the rounding ties between them, subnormals, overflow, NaNs with every kind of payload and random
 * bit patterns; and on every one of the 65,536 patterns of each 16-bit type widened to float32. A conversion that
 * differs only on NaN inputs gets the NaN fix, a bfloat16 conversion that differs elsewhere the integer path
 * ({@link Conversions}). What still differs after that is reported in {@link Report#problems()}: on the GPU that
 * rules the GPU out; on the CPU the tests fail on it (float16 has no integer path).
 *
 * <p>Arithmetic: {@link #checkArithmetic} compares a few thousand affine results with {@link AffineSpec#apply}.
 */
final class ConversionProbe {
    private ConversionProbe() {}

    /**
     * @param chosen   the modes in use
     * @param problems one line per conversion that still differs from Java with its chosen mode (none expected)
     * @param native_  what MLX's plain {@code astype} got wrong, per conversion (for the record)
     */
    record Report(Conversions chosen, List<String> problems, List<String> native_) {
        String describe() {
            return "conversions: " + chosen + (problems.isEmpty() ? " (all match Java)" : "; MISMATCHES: " + problems)
                    + (native_.isEmpty() ? "" : "; plain astype differs: " + native_);
        }
    }

    /** Float32 inputs: the corner values, every 16-bit value widened, their ties and neighbours, random bits. */
    static int[] float32Inputs() {
        int[] corners = {
            0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000,
            0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F8000, 0x7F7F7FFF, 0x7F800000, 0xFF800000,
            0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FA00000, 0x7FBFFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
            0x7FC00001, 0x7F802000, 0x7FC01FF0, 0xFF80000F, 0x7FE00000, 0x7F810000, 0x7F808000,
            0x477FE000, 0x477FEFFF, 0x477FF000, 0x33800000, 0x33000000, 0x33000001, 0x387FC000, 0x38800000,
        };
        int random = 16384;
        int[] v = new int[corners.length + 4 * 65536 + random];
        System.arraycopy(corners, 0, v, 0, corners.length);
        int k = corners.length;
        for (int h = 0; h < 65536; h++) {
            int half = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            v[k++] = h << 16;                  // every bfloat16 value
            v[k++] = (h << 16) | 0x8000;       // bfloat16 ties
            v[k++] = half;                     // every float16 value
            v[k++] = half | 0x1000;            // float16 ties (normal range)
        }
        SplittableRandom bits = new SplittableRandom(0x5EED_F10D_2026L);
        while (k < v.length) {
            v[k++] = bits.nextInt();
        }
        return v;
    }

    /** The conversions checked: the four that {@link Conversions} configures, and the two composed of them. */
    private static final DType[][] CHECKED = {
        {DType.FLOAT32, DType.BFLOAT16}, {DType.FLOAT32, DType.FLOAT16},
        {DType.BFLOAT16, DType.FLOAT32}, {DType.FLOAT16, DType.FLOAT32},
        {DType.BFLOAT16, DType.FLOAT16}, {DType.FLOAT16, DType.BFLOAT16},
    };

    /**
     * Checks plain {@code astype} for each conversion, picks the modes, and checks the conversions whose mode
     * changed again with it (the others give the same results as before).
     */
    static Report run(MlxRuntime runtime) {
        int[] inputs = float32Inputs();
        int[] halves = allHalves();
        Mismatch[] plain = new Mismatch[CHECKED.length];
        List<String> nativeDiffs = new ArrayList<>();
        Conversions saved = runtime.conversions();
        runtime.conversions(Conversions.NATIVE);
        try {
            for (int i = 0; i < CHECKED.length; i++) {
                plain[i] = compare(runtime, CHECKED[i][0] == DType.FLOAT32 ? inputs : halves, CHECKED[i][0],
                        CHECKED[i][1]);
                addIfAny(nativeDiffs, name(CHECKED[i]), plain[i]);
            }
        } finally {
            runtime.conversions(saved);
        }
        Conversions chosen = new Conversions(
                pick(plain[0], Mode.NAN_FIX, Mode.BITS),
                pick(plain[1], Mode.NAN_FIX, Mode.NAN_FIX),
                pick(plain[2], Mode.BITS, Mode.BITS),
                pick(plain[3], Mode.NAN_FIX, Mode.NAN_FIX));
        boolean[] changed = {
            chosen.toBfloat16() != Mode.NATIVE, chosen.toFloat16() != Mode.NATIVE,
            chosen.fromBfloat16() != Mode.NATIVE, chosen.fromFloat16() != Mode.NATIVE,
            chosen.fromBfloat16() != Mode.NATIVE || chosen.toFloat16() != Mode.NATIVE,
            chosen.fromFloat16() != Mode.NATIVE || chosen.toBfloat16() != Mode.NATIVE,
        };
        List<String> problems = new ArrayList<>();
        runtime.conversions(chosen);
        for (int i = 0; i < CHECKED.length; i++) {
            Mismatch m = !changed[i] ? plain[i]
                    : compare(runtime, CHECKED[i][0] == DType.FLOAT32 ? inputs : halves, CHECKED[i][0], CHECKED[i][1]);
            addIfAny(problems, name(CHECKED[i]), m);
        }
        return new Report(chosen, List.copyOf(problems), List.copyOf(nativeDiffs));
    }

    /** Mismatches of {@code modes} for every conversion, one line each, into {@code out} (for tests). */
    static void check(MlxRuntime runtime, Conversions modes, int[] inputs, int[] halves, List<String> out) {
        Conversions saved = runtime.conversions();
        runtime.conversions(modes);
        try {
            for (DType[] conversion : CHECKED) {
                addIfAny(out, name(conversion), compare(runtime,
                        conversion[0] == DType.FLOAT32 ? inputs : halves, conversion[0], conversion[1]));
            }
        } finally {
            runtime.conversions(saved);
        }
    }

    /** Every 16-bit pattern. */
    static int[] allHalves() {
        int[] halves = new int[65536];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = i;
        }
        return halves;
    }

    private static String name(DType[] conversion) {
        return conversion[0].torchName() + "->" + conversion[1].torchName();
    }

    private static void addIfAny(List<String> out, String name, Mismatch m) {
        if (m.count > 0) {
            out.add(name + ": " + m);
        }
    }

    /** Plain astype if it matched, the NaN fix if only NaNs differed, else the fallback. */
    private static Mode pick(Mismatch plain, Mode nanMode, Mode fallback) {
        if (plain.count == 0) {
            return Mode.NATIVE;
        }
        return plain.onlyNaN ? nanMode : fallback;
    }

    /** Converts {@code inputs} (bit patterns of {@code from}) to {@code to} in MLX and compares with Java. */
    static Mismatch compare(MlxRuntime runtime, int[] inputs, DType from, DType to) {
        int[] got = convert(runtime, inputs, from, to);
        Mismatch m = new Mismatch();
        for (int i = 0; i < inputs.length; i++) {
            int expected = to.floatToBits(from.bitsToFloat(inputs[i])); // what JavaBackend computes
            if (got[i] != expected) {
                m.add(inputs[i], got[i], expected, Float.isNaN(from.bitsToFloat(inputs[i])));
            }
        }
        return m;
    }

    /** The bit patterns MLX produces converting {@code inputs} from {@code from} to {@code to}. */
    static int[] convert(MlxRuntime runtime, int[] inputs, DType from, DType to) {
        try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate((long) inputs.length * from.byteSize(), 8);
            for (int i = 0; i < inputs.length; i++) {
                if (from == DType.FLOAT32) {
                    data.setAtIndex(JAVA_INT, i, inputs[i]);
                } else {
                    data.setAtIndex(JAVA_SHORT, i, (short) inputs[i]);
                }
            }
            MemorySegment a = g.fromData(data, new int[] {inputs.length}, MlxTensor.mlxDtype(from));
            return read(g, g.contiguous(g.convert(a, from, to)), inputs.length, to);
        }
    }

    /**
     * A few thousand affine results on the device against {@link AffineSpec#apply}, in each rounding form the
     * scheduler uses; {@link IllegalStateException} on the first difference (a device that computes wrongly, such
     * as an emulated GPU, must not be used).
     */
    static void checkArithmetic(MlxRuntime runtime) {
        int n = 4096;
        SplittableRandom random = new SplittableRandom(42);
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(-20, 20)));
            y[i] = (float) random.nextGaussian();
        }
        float a = 1f;
        float b = -0.0463f;
        for (DType dtype : DType.values()) {
            for (AffineSpec spec : new AffineSpec[] {AffineSpec.float32(dtype),
                new AffineSpec(DType.FLOAT32, dtype, DType.FLOAT32, dtype)}) {
                int[] got = affine(runtime, a, x, b, y, dtype, spec);
                for (int i = 0; i < n; i++) {
                    float expected = spec.apply(a, dtype.round(x[i]), b, dtype.round(y[i]));
                    if (got[i] != dtype.floatToBits(expected)) {
                        throw new IllegalStateException(String.format("its arithmetic differs from Java's: %s with "
                                        + "a = %s, x = %s, b = %s, y = %s gave 0x%X instead of 0x%X (%s)", spec, a,
                                dtype.round(x[i]), b, dtype.round(y[i]), got[i], dtype.floatToBits(expected),
                                expected));
                    }
                }
            }
        }
    }

    private static int[] affine(MlxRuntime runtime, float a, float[] x, float b, float[] y, DType dtype,
                                AffineSpec spec) {
        try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate((long) x.length * dtype.byteSize(), 8);
            MemorySegment ys = arena.allocate((long) y.length * dtype.byteSize(), 8);
            for (int i = 0; i < x.length; i++) {
                if (dtype == DType.FLOAT32) {
                    xs.setAtIndex(JAVA_INT, i, Float.floatToRawIntBits(x[i]));
                    ys.setAtIndex(JAVA_INT, i, Float.floatToRawIntBits(y[i]));
                } else {
                    xs.setAtIndex(JAVA_SHORT, i, (short) dtype.floatToBits(x[i]));
                    ys.setAtIndex(JAVA_SHORT, i, (short) dtype.floatToBits(y[i]));
                }
            }
            int mlxDtype = MlxTensor.mlxDtype(dtype);
            MemorySegment result = g.contiguous(g.affine(a, g.fromData(xs, new int[] {x.length}, mlxDtype), dtype,
                    b, g.fromData(ys, new int[] {y.length}, mlxDtype), dtype, spec));
            return read(g, result, x.length, dtype);
        }
    }

    private static int[] read(Graph g, MemorySegment result, int n, DType dtype) {
        g.c().eval(result);
        MemorySegment out = g.c().data(result, dtype.byteSize(), (long) n * dtype.byteSize());
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) {
            bits[i] = dtype == DType.FLOAT32 ? out.getAtIndex(JAVA_INT, i) : out.getAtIndex(JAVA_SHORT, i) & 0xFFFF;
        }
        return bits;
    }

    static final class Mismatch {
        int count;
        boolean onlyNaN = true;
        final List<String> examples = new ArrayList<>();

        void add(int input, int got, int expected, boolean nanInput) {
            count++;
            onlyNaN &= nanInput;
            if (examples.size() < 4) {
                examples.add(String.format("0x%08X -> 0x%08X (Java 0x%08X)", input, got, expected));
            }
        }

        @Override
        public String toString() {
            return count + " values differ" + (onlyNaN ? " (NaNs only)" : "") + ", e.g. " + examples;
        }
    }
}
