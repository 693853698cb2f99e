package dev.flowmatch.noise;

import java.util.Objects;

/**
 * The PyTorch build whose CPU {@code randn} a {@link TorchGenerator} reproduces: the CPU kernel it runs and its
 * release. {@link #STANDARD} is what most users' torch draws today.
 *
 * @param kernel  the normal kernel torch picked for the CPU (float32 tensors of 16+ elements)
 * @param release the torch release (float16 tensors of 16+ elements)
 */
public record TorchBuild(TorchCpuKernel kernel, TorchRelease release) {
    /**
     * torch 2.1 or later on an x86-64 CPU with AVX2 (any desktop or server x86 from 2013/2015 on): {@code (AVX2,
     * TORCH_2_7)}.
     */
    public static final TorchBuild STANDARD = new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_2_7);

    /**
     * Checks that both parts are given.
     *
     * @throws NullPointerException if {@code kernel} or {@code release} is null
     */
    public TorchBuild {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(release, "release");
    }

    /**
     * {@code kernel} with the standard release.
     *
     * @param kernel the CPU kernel
     * @return the build
     */
    public static TorchBuild of(TorchCpuKernel kernel) {
        return new TorchBuild(kernel, TorchRelease.TORCH_2_7);
    }

    /**
     * The build named by a torch capability ({@link TorchCpuKernel#parse}) and version ({@link TorchRelease#parse}),
     * e.g. a golden file's {@code torch_cpu_capability} and {@code source}.
     *
     * @param capability a torch CPU capability name, e.g. {@code avx2}
     * @param version    a torch version, or text containing "torch" and a version
     * @return the build
     * @throws IllegalArgumentException if either cannot be recognised
     */
    public static TorchBuild parse(String capability, String version) {
        return new TorchBuild(TorchCpuKernel.parse(capability), TorchRelease.parse(version));
    }
}
