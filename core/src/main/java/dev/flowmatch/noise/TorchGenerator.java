package dev.flowmatch.noise;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Objects;

/**
 * A {@code torch.Generator()} on the CPU ({@code at::CPUGeneratorImpl}, {@code aten/src/ATen/CPUGeneratorImpl.cpp}),
 * reproduced bit for bit: a 32-bit Mersenne Twister plus the cached second Box-Muller value, so consecutive
 * {@link #randnBits} calls continue the stream exactly as consecutive
 * {@code torch.randn(shape, generator=g, dtype=dtype)} calls do.
 *
 * <p>The state is torch's: the twister ({@code engine_}) and {@code next_double_normal_sample_}, which the
 * small-tensor path fills and reads and {@link #manualSeed} clears. ({@code next_float_normal_sample_} is only read
 * and written by {@code normal_distribution<float>}, which no CPU {@code randn} path uses, so it is always empty
 * here as in torch after {@code manual_seed}.)
 *
 * <p>{@code new TorchGenerator(seed)} is {@code torch.Generator().manual_seed(seed)}. Draws run in plain Java;
 * {@link #normal} then places the bits on a backend, so every backend receives identical values. Methods are
 * synchronized, as torch holds the generator's mutex for a whole draw.
 */
public final class TorchGenerator implements NoiseSource {
    private final TorchBuild build;
    private final Mt19937 engine;
    /** {@code next_double_normal_sample_}: the sine half of the last {@code normal_distribution<double>} draw. */
    private double nextDoubleNormal;
    private boolean hasNextDoubleNormal;

    /**
     * {@code torch.Generator().manual_seed(seed)} as the {@linkplain TorchBuild#STANDARD standard} torch build draws.
     *
     * @param seed the seed, with {@code manual_seed} semantics
     */
    public TorchGenerator(long seed) {
        this(seed, TorchBuild.STANDARD);
    }

    /**
     * {@code torch.Generator().manual_seed(seed)} as {@code build} draws.
     *
     * @param seed  the seed, with {@code manual_seed} semantics
     * @param build the torch build whose draws to reproduce
     */
    public TorchGenerator(long seed, TorchBuild build) {
        this.build = Objects.requireNonNull(build, "build");
        this.engine = new Mt19937(seed);
    }

    private TorchGenerator(TorchGenerator other) {
        this.build = other.build;
        this.engine = other.engine.copy();
        this.nextDoubleNormal = other.nextDoubleNormal;
        this.hasNextDoubleNormal = other.hasNextDoubleNormal;
    }

    /**
     * {@code g.manual_seed(seed)} ({@code CPUGeneratorImpl::set_current_seed} in
     * {@code aten/src/ATen/CPUGeneratorImpl.cpp}): forgets the cached normals and re-seeds the twister. The seed is
     * torch's {@code uint64}: Python's {@code manual_seed} ({@code THPGenerator_manualSeed},
     * {@code torch/csrc/Generator.cpp}) reads a negative int as its two's complement, so {@code manualSeed(-1)} is
     * Python's {@code manual_seed(-1)} and {@code manual_seed(2**64 - 1)} alike, and a Python seed in
     * [2^63, 2^64) is the negative long with the same bits. Only the low 32 bits enter the state
     * ({@code init_with_uint32}), so seeds equal modulo 2^32 draw the same stream.
     *
     * @param seed the seed (a negative long is the unsigned Python seed with the same bits)
     * @return this generator
     */
    public synchronized TorchGenerator manualSeed(long seed) {
        hasNextDoubleNormal = false;
        nextDoubleNormal = 0;
        engine.seed(seed);
        return this;
    }

    /**
     * {@code g.initial_seed()} as a signed long; {@link Long#toUnsignedString} gives what Python prints.
     *
     * @return the seed of the last {@code manualSeed}
     */
    public synchronized long initialSeed() {
        return engine.seedValue();
    }

    /**
     * The torch build whose values this generator reproduces.
     *
     * @return the build
     */
    public TorchBuild build() {
        return build;
    }

    /**
     * An independent copy of this generator's whole state (like {@code g.clone_state()}).
     *
     * @return a new generator in the same state
     */
    public synchronized TorchGenerator copy() {
        return new TorchGenerator(this);
    }

    /**
     * {@code CPUGeneratorImpl::random()}: the next 32 random bits, an unsigned value held in an int.
     *
     * @return 32 random bits
     */
    public synchronized int random() {
        return engine.nextInt();
    }

    /**
     * {@code CPUGeneratorImpl::random64()}: two 32-bit draws, the first one high.
     *
     * @return 64 random bits
     */
    public synchronized long random64() {
        return nextLong();
    }

    private long nextLong() {
        long hi = engine.nextInt() & 0xffffffffL;
        long lo = engine.nextInt() & 0xffffffffL;
        return (hi << 32) | lo;
    }

    /**
     * The next {@code torch.randn(shape, generator=this, dtype=dtype)} on the CPU as raw bits: int32 patterns
     * for float32, 16-bit patterns (0..65535) for bfloat16 and float16, in row-major order.
     *
     * @throws IllegalArgumentException if the shape has more elements than {@link dev.flowmatch.Limits#maxElements()}
     *
     * @param shape the shape
     * @param dtype the dtype
     * @return the values' bit patterns, row-major
     */
    public int[] randnBits(Shape shape, DType dtype) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        int n = Noise.checkedNumel(shape);
        float[] values = randnValues(n, dtype);
        int[] bits = new int[n];
        toBits(values, bits, dtype);
        return bits;
    }

    /**
     * The next {@code randn} values as floats (each exactly representable in {@code dtype}). Same stream as
     * {@link #randnBits}.
     *
     * @param shape the shape
     * @param dtype the dtype
     * @return the values, row-major
     * @throws IllegalArgumentException if the shape has more elements than {@link dev.flowmatch.Limits#maxElements()}
     */
    public float[] randn(Shape shape, DType dtype) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        return randnValues(Noise.checkedNumel(shape), dtype);
    }

    /** {@inheritDoc} The values are {@link #randnBits}, placed on {@code backend} with {@code fromBits}. */
    @Override
    public Tensor normal(TensorBackend backend, Shape shape, DType dtype) {
        Objects.requireNonNull(backend, "backend");
        return backend.fromBits(randnBits(shape, dtype), dtype, shape);
    }

    /**
     * {@code normal_kernel}'s dispatch (DistributionTemplates.h): float32 with {@code size >= 16} goes to the
     * vectorised / scalar block kernel; bfloat16 and float16 with {@code size >= 16} to {@code normal_fill};
     * everything smaller to {@code at::normal_distribution<double>} element by element.
     */
    private synchronized float[] randnValues(int n, DType dtype) {
        float[] out = new float[n];
        if (n >= 16) {
            switch (dtype) {
                case FLOAT32 -> TorchRandn.float32Blocks(engine, out, build.kernel());
                case BFLOAT16 -> TorchRandn.halfBlocks(engine, out, false, TorchRandn.HalfMath.ROUND_EVERY_STEP);
                case FLOAT16 -> TorchRandn.halfBlocks(engine, out, true, build.release() == TorchRelease.TORCH_1_13
                        ? TorchRandn.HalfMath.FLOAT_MATH : TorchRandn.HalfMath.ROUND_EVERY_STEP);
            }
        } else {
            for (int i = 0; i < n; i++) {
                // static_cast<scalar_t>(double): to float first (c10::BFloat16 / c10::Half are built from float)
                out[i] = dtype.round((float) nextDoubleNormal());
            }
        }
        return out;
    }

    /**
     * {@code at::normal_distribution<double>(0, 1)} ({@code aten/src/ATen/core/DistributionsHelper.h} line 190 in
     * torch 1.13.1), used by {@code normal_kernel} for tensors under 16 elements (DistributionTemplates.h line 192):
     * returns the cached value if there is one; otherwise draws {@code u1}, {@code u2} (53-bit uniforms from
     * {@code random64()}), caches {@code r * sin(theta)} and returns {@code r * cos(theta)} with
     * {@code r = sqrt(-2 log(1 - u2))} (line 215), {@code theta = 2 pi u1}; {@code transformation::normal}
     * multiplies by std 1 and adds mean 0.
     *
     * <p>The double {@code log}, {@code sin}, {@code cos} are {@link StrictMath}'s (fdlibm) where torch calls glibc;
     * both are within an ulp, and the value is then rounded to float, so a difference could only show when a double
     * result lies within an ulp of a float rounding boundary (about one value in 2^29). Later torch releases write
     * {@code log1p(-u2)}, which is the same exact argument ({@code 1 - u2} is exact in double) and meets the same
     * bound. No difference was seen in any comparison with torch 1.13.1 or 2.7.1.
     */
    double nextDoubleNormal() {
        if (hasNextDoubleNormal) {
            hasNextDoubleNormal = false;
            return nextDoubleNormal * 1.0 + 0.0;
        }
        double u1 = uniformDouble53();
        double u2 = uniformDouble53();
        double r = Math.sqrt(-2.0 * StrictMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        nextDoubleNormal = r * StrictMath.sin(theta);
        hasNextDoubleNormal = true;
        return r * StrictMath.cos(theta) * 1.0 + 0.0;
    }

    /** {@code uniform_real_distribution<double>(0, 1)}: {@code (random64() & (2^53 - 1)) * 2^-53}. */
    private double uniformDouble53() {
        return (nextLong() & ((1L << 53) - 1)) * 0x1p-53;
    }

    static void toBits(float[] values, int[] bits, DType dtype) {
        switch (dtype) {
            case FLOAT32 -> {
                for (int i = 0; i < values.length; i++) {
                    bits[i] = Float.floatToRawIntBits(values[i]);
                }
            }
            case BFLOAT16, FLOAT16 -> {
                for (int i = 0; i < values.length; i++) {
                    bits[i] = dtype.floatToBits(values[i]);
                }
            }
        }
    }
}
