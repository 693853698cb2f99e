package dev.flowmatch.convention;

import dev.flowmatch.Limits;

import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import java.util.Objects;

/**
 * {@code torch.linspace(start, end, steps)} in float32 on the CPU, bit for bit per torch build
 * ({@code linspace_kernel} in {@code aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp}).
 *
 * <p>torch computes {@code step = (end - start) / (steps - 1)} in float32; element {@code i} of the first half
 * is {@code start + step * i}, of the second half {@code end - step * (steps - i - 1)}. Two things make builds
 * differ in the last bits:
 * <ul>
 *   <li><b>Contraction.</b> The {@link TorchCpuKernel#AVX2 AVX2} kernel is compiled with {@code -mavx2 -mfma},
 *       and GCC contracts each {@code a + b * c} into one fused multiply-add ({@link Math#fma} here); the
 *       {@link TorchCpuKernel#DEFAULT default} kernel, compiled for baseline x86-64, rounds the product and the sum
 *       separately.</li>
 *   <li><b>Vectorisation (torch 1.x).</b> Up to torch 1.13 the kernel also had a vector path: blocks of 8 values
 *       (two per iteration of {@code vectorized_loop}, the rest scalar) each start from the formula of the block's
 *       first index and continue with {@code Vectorized<float>::arange(base, step)}, {@code base + j * step}
 *       (never fused), even where the block crosses the middle. torch 2.0 dropped it (pytorch#89048): every value comes from the
 *       scalar formula.</li>
 * </ul>
 * Checked under {@code ATEN_CPU_CAPABILITY=avx2} and {@code default}: torch 1.13 for 391 linspaces
 * ({@code tools/reference/torch_conventions.py}), libtorch 2.7.1 (DJL's natives) for 20000 and, bundled, 175
 * ({@code tools/reference/TorchLinspaceReference.java}). Builds for ARM64 also contract multiply-adds; their values
 * are expected to follow {@code AVX2}, not {@code DEFAULT} (not checked).
 */
public final class TorchLinspace {
    /** {@code Vectorized<float>::size()}: 8 floats in both the AVX2 and the portable build. */
    private static final int VECTOR = 8;
    /** {@code at::internal::GRAIN_SIZE}: above it torch 1.13's vector blocks start where each thread's range does. */
    static final int GRAIN_SIZE = 32768;

    private TorchLinspace() {}

    /**
     * {@code torch.linspace(start, end, steps)} (float32) as {@code build} computes it.
     *
     * @param start the first value, as the float32 torch casts it to
     * @param end   the last value, as the float32 torch casts it to
     * @param steps the number of values, {@code >= 0}
     *
     * @param build the torch build (CPU kernel and release) to reproduce
     * @return the {@code steps} values
     */
    public static float[] linspace(float start, float end, int steps, TorchBuild build) {
        Objects.requireNonNull(build, "build");
        if (steps < 0) {
            throw new IllegalArgumentException("steps: " + steps + " must be >= 0");
        }
        if (!Float.isFinite(start) || !Float.isFinite(end)) {
            throw new IllegalArgumentException("start, end: " + start + ", " + end + " must be finite");
        }
        Limits.requireElements("linspace", dev.flowmatch.tensor.Shape.of(steps), null);
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start; // linspace_out: "if (steps == 1) result.fill_(start)"
        }
        if (steps < 2) {
            return out;
        }
        if (build.release() == TorchRelease.TORCH_1_13 && steps > GRAIN_SIZE) {
            throw new IllegalArgumentException("steps: " + steps + " is above " + GRAIN_SIZE + ": torch 1.13 splits"
                    + " such a linspace over its threads, and its values depend on the thread count");
        }
        boolean fused = build.kernel() == TorchCpuKernel.AVX2;
        float step = (end - start) / (float) (steps - 1);
        int halfway = steps / 2;
        int i = 0;
        if (build.release() == TorchRelease.TORCH_1_13) {
            // vectorized_loop: two vectors per iteration while 16 values are left, then the scalar op
            for (; i <= steps - 2 * VECTOR; i += 2 * VECTOR) {
                arange(out, i, start, end, step, steps, halfway, fused);
                arange(out, i + VECTOR, start, end, step, steps, halfway, fused);
            }
        }
        for (; i < steps; i++) {
            out[i] = scalar(i, start, end, step, steps, halfway, fused);
        }
        return out;
    }

    /** The scalar lambda: {@code start + step * idx} below the middle, {@code end - step * (steps - idx - 1)} above. */
    private static float scalar(int idx, float start, float end, float step, int steps, int halfway, boolean fused) {
        if (idx < halfway) {
            return fused ? Math.fma(step, (float) idx, start) : start + step * (float) idx;
        }
        float k = (float) (steps - idx - 1);
        return fused ? Math.fma(-step, k, end) : end - step * k;
    }

    /**
     * The vector lambda for the block at {@code idx}: its base from the scalar formula of {@code idx}, then
     * {@code Vectorized<float>::arange(base, step)}: {@code base + j * step} for {@code j = 0..7}
     * ({@code vec256_float.h} writes {@code base}, {@code base + step}, {@code base + 2 * step}, ...; the
     * portable {@code vec_base.h} writes {@code base + i * step}). Unlike the base, these are not fused in the AVX2
     * build either: torch 1.13's values show a separately rounded product and sum.
     */
    private static void arange(float[] out, int idx, float start, float end, float step, int steps, int halfway,
                               boolean fused) {
        float base = scalar(idx, start, end, step, steps, halfway, fused);
        for (int j = 0; j < VECTOR; j++) {
            // rounded twice in both builds: torch 1.13's AVX2 binary does not fuse arange's multiply-adds
            out[idx + j] = base + (float) j * step;
        }
    }
}
