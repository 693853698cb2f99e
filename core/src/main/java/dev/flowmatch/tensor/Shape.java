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
