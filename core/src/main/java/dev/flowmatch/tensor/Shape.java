package dev.flowmatch.tensor;

import java.util.Arrays;

/**
 * A tensor shape: the size of each dimension, outermost first. A shape with no dimensions is a scalar
 * (one element). Values are checked: every dimension is {@code >= 0}.
 */
public record Shape(long[] dims) {

    public Shape {
        dims = dims.clone();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " is " + dims[i] + " in "
                        + Arrays.toString(dims) + "; dimensions must be >= 0");
            }
        }
    }

    public static Shape of(long... dims) {
        return new Shape(dims);
    }

    public static Shape of(int... dims) {
        return new Shape(Arrays.stream(dims).asLongStream().toArray());
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    /** Number of elements, or an {@link ArithmeticException} if it overflows a long. */
    public long numel() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Number of elements as an int, for backends that hold a tensor in one Java array; a shape with more
     * elements than a Java array can hold gets a clear error.
     */
    public int numelAsInt() {
        long n;
        try {
            n = numel();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + this + " has more elements than a long can count", e);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "shape " + this + " has " + n + " elements, more than one Java array can hold (2^31 - 9)");
        }
        return (int) n;
    }

    /**
     * The shape two tensors broadcast to, with NumPy's and PyTorch's rule: dimensions aligned at the last one,
     * each pair equal or one of them 1 (a missing leading dimension counts as 1).
     *
     * @throws IllegalArgumentException naming both shapes when they do not broadcast
     */
    public static Shape broadcast(Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
            long db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast (dimension "
                        + i + " of the result: " + da + " vs " + db + ")");
            }
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
