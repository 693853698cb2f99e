package dev.flowmatch.noise;

import dev.flowmatch.Limits;
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
 * {@link Limits#maxElements()} is an {@link IllegalArgumentException}; a shape with a zero dimension gives an empty
 * tensor (and, as in torch, draws nothing).
 */
public final class Noise {
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
     * @throws IllegalArgumentException if the shape has more than {@link Limits#maxElements()} elements
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
     * @throws IllegalArgumentException if the shape has more than {@link Limits#maxElements()} elements
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
     * @throws IllegalArgumentException if the shape has more than {@link Limits#maxElements()} elements
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
     * The element count of {@code shape} as an int, or an {@link IllegalArgumentException} naming the shape when it
     * overflows or exceeds {@link Limits#maxElements()}. (Negative dimensions are already rejected by {@link Shape}.)
     */
    static int checkedNumel(Shape shape) {
        return Limits.requireElements("noise", shape, null);
    }
}
