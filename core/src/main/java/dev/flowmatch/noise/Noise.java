package dev.flowmatch.noise;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Objects;

/**
 * Initial noise for a generation: where a generation's identity starts.
 *
 * <p>{@link #initNoise(TensorBackend, Shape, long, DType)} is
 * {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)} on the CPU, computed in
 * plain Java and placed on the backend with {@link TensorBackend#fromBits}, so every backend gets identical bits
 * for a seed. Shapes are checked before anything is allocated: more elements than
 * {@link #maxElements()} is an {@link IllegalArgumentException}; a shape with a zero dimension gives an empty
 * tensor (and, as in torch, draws nothing).
 */
public final class Noise {
    /** System property capping the elements one noise tensor may have: {@value}. */
    public static final String MAX_ELEMENTS_PROPERTY = "flowmatch.noise.maxElements";
    /**
     * The default cap: 2^28 elements (1 GiB as float32), the latents of 512 images of 1024x1024 in one batch;
     * anything larger is almost certainly a mistaken shape.
     */
    public static final long DEFAULT_MAX_ELEMENTS = 1L << 28;
    /** The most elements one Java array can hold, and so the most the cap can allow. */
    public static final long ARRAY_LIMIT = Integer.MAX_VALUE - 8;

    private Noise() {}

    /**
     * {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)} as the
     * {@linkplain TorchBuild#STANDARD standard} torch build draws it ({@link NoiseGenerator#TORCH_CPU}).
     *
     * @param backend the backend the tensor goes to
     * @param shape   the shape
     * @param seed    the seed, with {@code torch.manual_seed} semantics (only the low 32 bits reach the twister)
     * @param dtype   the dtype (part of the seed's meaning: float32 and bfloat16 noise for one seed are unrelated)
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the shape has more than {@link #maxElements()} elements
     */
    public static Tensor initNoise(TensorBackend backend, Shape shape, long seed, DType dtype) {
        return initNoise(backend, shape, seed, dtype, TorchBuild.STANDARD);
    }

    /**
     * The same as {@code build} draws it.
     *
     * @param backend the backend the tensor goes to
     * @param shape   the shape
     * @param seed    the seed, with {@code torch.manual_seed} semantics (only the low 32 bits reach the twister)
     * @param dtype   the dtype
     * @param build   the torch build to reproduce
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the shape has more than {@link #maxElements()} elements
     */
    public static Tensor initNoise(TensorBackend backend, Shape shape, long seed, DType dtype, TorchBuild build) {
        Objects.requireNonNull(backend, "backend");
        return new TorchGenerator(seed, build).normal(backend, shape, dtype);
    }

    /**
     * Noise from {@code generator}: {@link NoiseGenerator#TORCH_CPU} as above, {@link NoiseGenerator#MLX} (MLX's
     * {@code random.normal} with {@code random.key(seed)}, computed in Java), or the backend's own
     * {@link TensorBackend#nativeNormal} for {@link NoiseGenerator#NATIVE} (not portable between backends).
     *
     * @param backend   the backend the tensor goes to
     * @param shape     the shape
     * @param seed      the seed
     * @param dtype     the dtype
     * @param generator {@link NoiseGenerator#TORCH_CPU} or {@link NoiseGenerator#NATIVE}
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the shape has more than {@link #maxElements()} elements
     */
    public static Tensor initNoise(TensorBackend backend, Shape shape, long seed, DType dtype,
                                   NoiseGenerator generator) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(generator, "generator");
        return switch (generator) {
            case TORCH_CPU -> initNoise(backend, shape, seed, dtype);
            case MLX -> MlxRandom.normal(backend, shape, seed, dtype);
            case NATIVE -> nativeNoise(backend, shape, seed, dtype);
        };
    }

    private static Tensor nativeNoise(TensorBackend backend, Shape shape, long seed, DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        int n = checkedNumel(shape);
        if (n == 0) {
            return backend.fromBits(new int[0], dtype, shape);
        }
        return backend.nativeNormal(seed, dtype, shape);
    }

    /**
     * The cap on elements per noise tensor: {@code -D}{@value #MAX_ELEMENTS_PROPERTY} if set, else
     * {@link #DEFAULT_MAX_ELEMENTS}; never more than {@link #ARRAY_LIMIT}.
     *
     * @throws IllegalArgumentException if the property is not a positive integer
     *
     * @return the cap, {@code >= 1}
     */
    public static long maxElements() {
        String value = System.getProperty(MAX_ELEMENTS_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_MAX_ELEMENTS;
        }
        long cap;
        try {
            cap = Long.parseLong(value.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    MAX_ELEMENTS_PROPERTY + ": '" + value + "' is not an integer number of elements", e);
        }
        if (cap < 1) {
            throw new IllegalArgumentException(MAX_ELEMENTS_PROPERTY + ": " + cap + " must be >= 1");
        }
        return Math.min(cap, ARRAY_LIMIT);
    }

    /**
     * The element count of {@code shape} as an int, or an {@link IllegalArgumentException} naming the shape when it
     * overflows or exceeds {@link #maxElements()}. (Negative dimensions are already rejected by {@link Shape}.)
     */
    static int checkedNumel(Shape shape) {
        Objects.requireNonNull(shape, "shape");
        long n;
        try {
            n = shape.numel();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("noise shape " + shape + ": the element count overflows a 64-bit"
                    + " integer", e);
        }
        long cap = maxElements();
        if (n > cap) {
            throw new IllegalArgumentException("noise shape " + shape + " has " + n + " elements, more than the cap of "
                    + cap + (n > ARRAY_LIMIT ? " (and more than one Java array can hold)" : "")
                    + "; raise it with -D" + MAX_ELEMENTS_PROPERTY + "=N if this shape is intended");
        }
        return (int) n;
    }
}
