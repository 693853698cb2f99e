package dev.flowmatch.tensor;

import java.util.Objects;

/** Argument checks shared by every backend, so each message is written once. */
public final class Tensors {
    private Tensors() {}

    /**
     * Checks that {@code tensor} is non-null, open, and owned by {@code backend}; returns it.
     *
     * @param backend the backend that must own the tensor
     * @param tensor  the tensor
     * @param role    the argument's name, for the message
     * @return {@code tensor}
     * @throws NullPointerException     if {@code tensor} is null
     * @throws IllegalArgumentException if another backend owns it
     * @throws IllegalStateException    if it is closed
     */
    public static Tensor requireOwned(TensorBackend backend, Tensor tensor, String role) {
        Objects.requireNonNull(tensor, role);
        tensor.requireOpen(role);
        if (tensor.backend() != backend) {
            throw new IllegalArgumentException(role + ": tensor belongs to backend '" + tensor.backend().name()
                    + "' but was passed to backend '" + backend.name() + "'; convert it with "
                    + "Tensors.transfer(tensor, target) first");
        }
        return tensor;
    }

    /**
     * Checks that two tensors have the same shape, naming both sides.
     *
     * @param roleA the first argument's name
     * @param a     the first tensor
     * @param roleB the second argument's name
     * @param b     the second tensor
     * @throws IllegalArgumentException if the shapes differ
     */
    public static void requireSameShape(String roleA, Tensor a, String roleB, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException("shape mismatch: " + roleA + " is " + a.shape() + " but " + roleB
                    + " is " + b.shape());
        }
    }

    /**
     * Checks that a host array has as many elements as the shape.
     *
     * @param length the array's length
     * @param shape  the shape
     * @param role   the argument's name
     * @throws IllegalArgumentException if they differ
     */
    public static void requireLength(int length, Shape shape, String role) {
        Objects.requireNonNull(shape, "shape");
        if (length != shape.numelAsInt()) {
            throw new IllegalArgumentException(role + ": " + length + " values given for shape " + shape + " ("
                    + shape.numel() + " elements)");
        }
    }

    /**
     * Checks 16-bit patterns are in 0..65535 (the layout of {@link TensorBackend#fromBits}).
     *
     * @param bits  the patterns
     * @param dtype the dtype they are for (float32 takes any int)
     * @throws IllegalArgumentException naming the first pattern out of range
     */
    public static void requireSixteenBitPatterns(int[] bits, DType dtype) {
        if (dtype == DType.FLOAT32) {
            return;
        }
        for (int i = 0; i < bits.length; i++) {
            if ((bits[i] & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("bits[" + i + "] = " + bits[i] + " is not a 16-bit pattern for "
                        + dtype.torchName() + " (expected 0..65535)");
            }
        }
    }

    /**
     * The checks of {@link TensorBackend#fromFloats}: non-null arguments, one value per element.
     *
     * @param values the values
     * @param dtype  the dtype
     * @param shape  the shape
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the lengths differ
     */
    public static void checkHostValues(float[] values, DType dtype, Shape shape) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dtype, "dtype");
        requireLength(values.length, shape, "values");
    }

    /**
     * The checks of {@link TensorBackend#fromBits}: non-null arguments, one pattern per element, 16-bit patterns.
     *
     * @param bits  the bit patterns
     * @param dtype the dtype
     * @param shape the shape
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the lengths differ or a 16-bit pattern is out of range
     */
    public static void checkHostBits(int[] bits, DType dtype, Shape shape) {
        Objects.requireNonNull(bits, "bits");
        Objects.requireNonNull(dtype, "dtype");
        requireLength(bits.length, shape, "bits");
        requireSixteenBitPatterns(bits, dtype);
    }

    /**
     * Copies a tensor to another backend (through the host, bit-exact). Returns a new tensor.
     *
     * @param tensor the tensor (stays open; the caller still owns it)
     * @param target the backend to copy to
     * @return a new tensor on {@code target} that the caller must close
     */
    public static Tensor transfer(Tensor tensor, TensorBackend target) {
        tensor.requireOpen("tensor");
        if (tensor.backend() == target) {
            return target.convert(tensor, tensor.dtype());
        }
        return target.fromBits(tensor.backend().toBits(tensor), tensor.dtype(), tensor.shape());
    }
}
