package dev.flowmatch.noise;

/**
 * Which of PyTorch's CPU normal kernels a {@link TorchGenerator} reproduces. The choice only changes float32
 * tensors of 16 or more elements ({@code normal_fill_AVX2} versus {@code normal_fill<float>} in
 * {@code aten/src/ATen/native/cpu/DistributionTemplates.h}), and those only in the last bits of some values;
 * every kernel draws the same Mersenne-Twister words, so the streams never drift apart. bfloat16, float16 and
 * small float32 tensors are identical under every kernel. See the package documentation for which torch builds
 * and CPUs run which kernel.
 */
public enum TorchCpuKernel {
    /**
     * torch's AVX2 kernel ({@code torch_cpu_capability} {@code avx2}): Box-Muller over blocks of 16 with
     * {@code log256_ps} / {@code sincos256_ps} from {@code avx_mathfun.h}, as GCC builds it (multiply-adds
     * fused). What torch 1.13 to 2.7 run on every x86-64 CPU with AVX2 and FMA, AVX-512 CPUs included (the
     * normal kernel has no AVX-512 version, so torch falls back to the AVX2 one). The default.
     */
    AVX2,

    /**
     * torch's portable kernel ({@code torch_cpu_capability} {@code default}): the same blocks of 16 computed
     * with scalar {@code std::log}, {@code std::sin}, {@code std::cos} on float, i.e. glibc's {@code logf},
     * {@code sinf}, {@code cosf}, here in their FMA builds (what glibc runs on any CPU with FMA and AVX2, and
     * how AArch64 glibc is compiled). Reproduces {@code ATEN_CPU_CAPABILITY=default} on a current x86-64
     * Linux machine, and is the kernel torch runs on Linux on ARM64.
     */
    DEFAULT,

    /**
     * The portable kernel over glibc's SSE2 builds of {@code logf}, {@code sinf}, {@code cosf} (no fused
     * multiply-add): torch on an x86-64 CPU without AVX2 or FMA (before Intel Haswell / AMD Excavator).
     */
    DEFAULT_NO_FMA;

    /** The kernel most machines run: {@link #AVX2}. */
    public static TorchCpuKernel standard() {
        return AVX2;
    }

    /**
     * The kernel for a golden file's or torch's capability name: {@code avx2} (also {@code avx512}, which
     * torch's normal kernel maps to AVX2), {@code default}, or an enum name.
     */
    public static TorchCpuKernel parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (n) {
            case "avx2", "avx512" -> AVX2;
            case "default" -> DEFAULT;
            case "default_no_fma" -> DEFAULT_NO_FMA;
            default -> throw new IllegalArgumentException("torch CPU kernel: unknown name '" + name
                    + "' (expected avx2, avx512, default or default_no_fma)");
        };
    }
}
