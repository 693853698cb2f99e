package dev.flowmatch.testing;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import java.util.SplittableRandom;

/** Random {@link Expr} trees and broadcast shapes for property tests of {@code TensorBackend.elementwise}. */
public final class RandomExprs {
    /** Scalars that exercise rounding and the corners of every dtype. */
    private static final float[] SCALARS = {0f, -0f, 1f, -1f, 0.5f, 3f, 1e-3f, -0.0742f, 1.00390625f, 65520f,
            1e-40f, Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, 0.3333333f, -7.25e-5f};

    private RandomExprs() {}

    /** An expression over {@code inputs} tensors, at most {@code depth} deep, reading every input at least once. */
    public static Expr expr(long seed, int inputs, int depth) {
        SplittableRandom random = new SplittableRandom(seed);
        Expr e = node(random, inputs, depth);
        // Make sure every input is read: fold the missing ones in with an ADD.
        for (int i = 0; i < inputs; i++) {
            if (!reads(e, i)) {
                e = Expr.add(e, Expr.input(i), dtype(random));
            }
        }
        return random.nextBoolean() ? e : Expr.cast(e, dtype(random));
    }

    private static Expr node(SplittableRandom random, int inputs, int depth) {
        int kind = depth <= 1 ? random.nextInt(4) : random.nextInt(10);
        if (kind < 3) {
            return Expr.input(random.nextInt(inputs));
        }
        if (kind == 3) {
            return Expr.scalar(random.nextInt(4) == 0 ? SCALARS[random.nextInt(SCALARS.length)]
                    : (float) (random.nextDouble() * 4 - 2));
        }
        if (kind == 4) {
            return Expr.cast(node(random, inputs, depth - 1), dtype(random));
        }
        Expr.Op op = Expr.Op.values()[random.nextInt(4)];
        return new Expr.Binary(op, node(random, inputs, depth - 1), node(random, inputs, depth - 1), dtype(random));
    }

    private static boolean reads(Expr e, int input) {
        return switch (e) {
            case Expr.Input in -> in.index() == input;
            case Expr.Scalar s -> false;
            case Expr.Binary b -> reads(b.left(), input) || reads(b.right(), input);
            case Expr.Cast c -> reads(c.operand(), input);
        };
    }

    /** A random dtype. */
    public static DType dtype(SplittableRandom random) {
        return DType.values()[random.nextInt(DType.values().length)];
    }

    /**
     * A shape that broadcasts to {@code full}: itself, a suffix of it, or it with some dimensions set to 1 (as a mask
     * {@code [B, S, 1]} against latents {@code [B, S, C]}).
     */
    public static Shape broadcastable(SplittableRandom random, Shape full) {
        long[] dims = full.dims();
        switch (random.nextInt(4)) {
            case 0, 1 -> { return full; }
            case 2 -> {
                int drop = random.nextInt(dims.length + 1);
                long[] suffix = new long[dims.length - drop];
                System.arraycopy(dims, drop, suffix, 0, suffix.length);
                return Shape.of(suffix);
            }
            default -> {
                for (int i = 0; i < dims.length; i++) {
                    if (random.nextBoolean()) {
                        dims[i] = 1;
                    }
                }
                return Shape.of(dims);
            }
        }
    }
}
