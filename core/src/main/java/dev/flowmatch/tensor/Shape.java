package dev.flowmatch.tensor;

import java.util.Arrays;

/**
 * A tensor shape: the size of each dimension, outermost first. A shape with no dimensions is a scalar
 * (one element). Values are checked: every dimension is {@code >= 0}.
 *
 * @param dims the dimensions, outermost first (copied)
 */
public record Shape(long[] dims) {

    /**
     * Copies and checks the dimensions.
     *
     * @throws IllegalArgumentException naming a negative dimension
     */
    public Shape {
        dims = dims.clone();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " is " + dims[i] + " in "
                        + Arrays.toString(dims) + "; dimensions must be >= 0");
            }
        }
    }

    /**
     * A shape of these dimensions.
     *
     * @param dims the dimensions, each {@code >= 0}
     * @return the shape
     */
    public static Shape of(long... dims) {
        return new Shape(dims);
    }

    /**
     * A shape of these dimensions.
     *
     * @param dims the dimensions, each {@code >= 0}
     * @return the shape
     */
    public static Shape of(int... dims) {
        return new Shape(Arrays.stream(dims).asLongStream().toArray());
    }

    /**
     * The dimensions.
     *
     * @return a copy of the dimensions
     */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /**
     * The number of dimensions.
     *
     * @return the rank (0 for a scalar)
     */
    public int rank() {
        return dims.length;
    }

    /**
     * One dimension.
     *
     * @param i the dimension's index, {@code 0 <= i < rank()}
     * @return its size
     * @throws ArrayIndexOutOfBoundsException if {@code i} is out of range
     */
    public long dim(int i) {
        return dims[i];
    }

    /**
     * Number of elements, or an {@link ArithmeticException} if it overflows a long.
     *
     * @return the product of the dimensions
     */
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
     *
     * @return the product of the dimensions
     * @throws IllegalArgumentException if it exceeds what one Java array can hold
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
     *
     * @param a one shape
     * @param b the other
     * @return the broadcast shape
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
