package dev.flowmatch.noise;

import java.util.Locale;

/**
 * Which of PyTorch's CPU normal kernels to reproduce. The choice only changes float32 tensors of 16 or more
 * elements ({@code normal_fill_AVX2} versus {@code normal_fill<float>} in
 * {@code aten/src/ATen/native/cpu/DistributionTemplates.h}), and those only in the last bits (about 4 values in
 * 10 differ, by at most about 2e-6); both draw the same Mersenne-Twister words, so the stream never drifts.
 * bfloat16, float16 and small float32 tensors are the same under both. See the package documentation for which
 * machines run which kernel.
 *
 * <p>The same choice decides torch's float32 {@code exp}, {@code log} and {@code expm1} on tensors of every size
 * (SLEEF under {@code AVX2}, glibc under {@code DEFAULT}): see {@link dev.flowmatch.torchmath.TorchFloatMath}.
 */
public enum TorchCpuKernel {
    /**
     * torch's AVX2 kernel ({@code torch_cpu_capability} {@code avx2}): Box-Muller over blocks of 16 with
     * {@code log256_ps} / {@code sincos256_ps} from {@code aten/src/ATen/native/cpu/avx_mathfun.h}, as GCC builds
     * it (multiply-adds fused). What torch runs on every x86-64 CPU with AVX2 and FMA, AVX-512 ones included (the
     * normal kernel has no AVX-512 build and falls back to this one). The default.
     */
    AVX2,

    /**
     * torch's portable kernel ({@code torch_cpu_capability} {@code default}): the same blocks computed with scalar
     * {@code std::log}, {@code std::sin}, {@code std::cos} on float, i.e. glibc's {@code logf}, {@code sinf},
     * {@code cosf}. What torch runs on Linux on ARM64 and on x86-64 CPUs without AVX2, and under
     * {@code ATEN_CPU_CAPABILITY=default}.
     */
    DEFAULT;

    /**
     * The kernel torch runs for a capability name ({@code torch_cpu_capability} in golden files,
     * {@code torch.backends.cpu.get_cpu_capability()}, {@code ATEN_CPU_CAPABILITY}): {@code avx2} and
     * {@code avx512} give {@link #AVX2}; {@code default} and the ARM64 SVE capabilities ({@code sve},
     * {@code sve128}, {@code sve256}, {@code sve512}: the normal kernel has no SVE code) give {@link #DEFAULT}.
     *
     * @throws IllegalArgumentException for any other name (POWER's {@code vsx} and IBM Z's {@code zvector} run
     *     kernels of their own, not reproduced)
     *
     * @param capability the capability name (case-insensitive)
     * @return the kernel
     */
    public static TorchCpuKernel parse(String capability) {
        String name = capability.trim().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "avx2", "avx512" -> AVX2;
            case "default", "sve", "sve128", "sve256", "sve512" -> DEFAULT;
            default -> throw new IllegalArgumentException("torch CPU kernel: unknown or unsupported capability '"
                    + capability + "' (expected avx2, avx512, default or sve*)");
        };
    }
}
