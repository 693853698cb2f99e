package dev.flowmatch.torchmath;

import dev.flowmatch.noise.TorchCpuKernel;

/**
 * torch 1.13's CPU float32 element functions that plain Java arithmetic does not reproduce by itself, each bit for
 * bit as torch computes it on a float32 tensor of any size, 0-dim included.
 *
 * <p>torch evaluates {@code exp}, {@code log} and {@code expm1} through {@code at::vml} ({@code IMPLEMENT_VML} in
 * {@code aten/src/ATen/cpu/vml.h}), which maps {@code Vectorized<float>} over the whole tensor, the tail and a
 * single element included (a partial vector is loaded). Under the {@link TorchCpuKernel#AVX2 AVX2} kernel those are
 * SLEEF's {@code Sleef_expf8_u10}, {@code Sleef_logf8_u10}, {@code Sleef_expm1f8_u10}, which are not correctly
 * rounded; under the {@link TorchCpuKernel#DEFAULT portable} kernel they are {@code std::exp}, {@code std::log},
 * {@code std::expm1} on float, i.e. glibc's {@code expf}, {@code logf}, {@code expm1f} ({@link GlibcFloatMath}).
 * The two kernels give different bits for many arguments (see the package documentation), so a caller must know
 * which one ran ({@link TorchCpuKernel#parse}).
 *
 * <p>Which machines these cover: {@code AVX2} is x86-64 with AVX2 and FMA under torch's {@code avx2} kernel, and
 * also its {@code avx512} kernel, whose SLEEF AVX-512F build returns the same bits for every float32 (compared over
 * all 2^32 inputs in Debian's {@code libsleef} 3.5.1, {@code tools/reference/sleef_avx512_vs_avx2.c}).
 * {@code DEFAULT} is x86-64 under {@code ATEN_CPU_CAPABILITY=default} or without AVX2: glibc's FMA and SSE2 copies
 * of {@code expf} and {@code logf} agree (every 61st float32 bit pattern compared, glibc 2.36). torch's ARM64 builds
 * may map SLEEF's AdvSIMD functions instead ({@code USE_SLEEF} in {@code vec256_float_neon.h}); not checked.
 *
 * <p>Everything else the flow schedulers compute on 0-dim tensors is one IEEE float32 operation per Python operator
 * and needs no function here: see the package documentation for the list, and for the two operators that are not
 * what they look like ({@link #scalarDivide} and {@link #pow}).
 */
public final class TorchFloatMath {
    /** The smallest integer exponent {@link #pow} accepts. */
    public static final int MIN_POW_EXPONENT = -2;
    /** The largest integer exponent {@link #pow} accepts. */
    public static final int MAX_POW_EXPONENT = 3;

    private TorchFloatMath() {}

    /**
     * {@code torch.exp(t)} for a float32 tensor element {@code x}.
     *
     * @param x the element
     * @param kernel the CPU kernel torch ran ({@code AVX2}: SLEEF {@code Sleef_expf8_u10}; {@code DEFAULT}: glibc
     *     {@code expf})
     * @return {@code exp(x)} as that kernel computes it; NaN for NaN (payload not reproduced)
     * @throws IllegalArgumentException if {@code kernel} is null
     */
    public static float exp(float x, TorchCpuKernel kernel) {
        return switch (checked(kernel)) {
            case AVX2 -> SleefFloatMath.expf(x);
            case DEFAULT -> GlibcFloatMath.expf(x);
        };
    }

    /**
     * {@code torch.log(t)} for a float32 tensor element {@code x}.
     *
     * @param x the element
     * @param kernel the CPU kernel torch ran ({@code AVX2}: SLEEF {@code Sleef_logf8_u10}; {@code DEFAULT}: glibc
     *     {@code logf})
     * @return {@code log(x)} as that kernel computes it: -inf for &plusmn;0, NaN below 0 and for NaN (payload not
     *     reproduced)
     * @throws IllegalArgumentException if {@code kernel} is null
     */
    public static float log(float x, TorchCpuKernel kernel) {
        return switch (checked(kernel)) {
            case AVX2 -> SleefFloatMath.logf(x);
            case DEFAULT -> GlibcFloatMath.logf(x);
        };
    }

    /**
     * {@code torch.expm1(t)} for a float32 tensor element {@code x}.
     *
     * @param x the element
     * @param kernel the CPU kernel torch ran ({@code AVX2}: SLEEF {@code Sleef_expm1f8_u10}; {@code DEFAULT}: glibc
     *     {@code expm1f})
     * @return {@code exp(x) - 1} as that kernel computes it; NaN for NaN (payload not reproduced)
     * @throws IllegalArgumentException if {@code kernel} is null
     */
    public static float expm1(float x, TorchCpuKernel kernel) {
        return switch (checked(kernel)) {
            case AVX2 -> SleefFloatMath.expm1f(x);
            case DEFAULT -> GlibcFloatMath.expm1f(x);
        };
    }

    /**
     * {@code torch.pow(t, exponent)} (and {@code t ** exponent}) for a float32 tensor element and a Python int
     * exponent from -2 to 3: the exponents torch does not send to a {@code pow} function. {@code pow_out}
     * ({@code aten/src/ATen/native/Pow.cpp}) fills 1 for exponent 0 (NaN included) and copies for 1;
     * {@code pow_tensor_scalar_kernel} ({@code aten/src/ATen/native/cpu/PowKernel.cpp}) computes -1 as the
     * reciprocal, 2 as {@code x * x}, 3 as {@code (x * x) * x} and -2 as {@code 1 / (x * x)}, the same under both
     * kernels and for every tensor size. Other exponents go to SLEEF's or libm's {@code pow}, which depends on the
     * kernel and, for the portable loop's scalar tail, on the tensor size; they are not reproduced.
     *
     * @param x the element
     * @param exponent the exponent, from {@value #MIN_POW_EXPONENT} to {@value #MAX_POW_EXPONENT}
     * @return {@code x ** exponent} as torch computes it
     * @throws IllegalArgumentException for any other exponent
     */
    public static float pow(float x, int exponent) {
        return switch (exponent) {
            case 0 -> 1f;
            case 1 -> x;
            case 2 -> x * x;
            case 3 -> x * x * x;
            case -1 -> 1f / x;
            case -2 -> 1f / (x * x);
            default -> throw new IllegalArgumentException("exponent: " + exponent + " (accepted: "
                    + MIN_POW_EXPONENT + " to " + MAX_POW_EXPONENT
                    + "; torch sends other exponents to a kernel-dependent pow function)");
        };
    }

    /**
     * Python's {@code scalar / t} for a Python number {@code scalar} and a float32 tensor element: torch's
     * {@code Tensor.__rtruediv__} ({@code torch/_tensor.py}) is {@code t.reciprocal() * scalar}, so this is
     * {@code (1 / x) * (float) scalar}, two roundings, not one division. (With a float32 tensor the Python number
     * becomes float32 first, as in every other scalar operation; {@code 1.0 / t} is therefore exactly
     * {@code 1 / x}.)
     *
     * @param scalar the Python number on the left
     * @param x the tensor element on the right
     * @return {@code scalar / t} as torch computes it
     */
    public static float scalarDivide(double scalar, float x) {
        return (1f / x) * (float) scalar;
    }

    private static TorchCpuKernel checked(TorchCpuKernel kernel) {
        if (kernel == null) {
            throw new IllegalArgumentException("kernel: null (expected AVX2 or DEFAULT)");
        }
        return kernel;
    }
}
