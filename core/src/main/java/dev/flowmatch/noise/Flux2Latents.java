package dev.flowmatch.noise;

import dev.flowmatch.Limits;

import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Objects;

/**
 * The initial latents of diffusers' FLUX.2 pipelines ({@code pipeline_flux2_klein.py}): {@code prepare_latents}
 * draws {@code randn_tensor((B, 128, H // 16, W // 16), generator=generator, dtype=dtype)} and
 * {@code _pack_latents} turns it into tokens, {@code reshape(B, C, h * w).permute(0, 2, 1)}, giving
 * {@code [B, (H/16) * (W/16), 128]}. With a single CPU generator {@code randn_tensor} draws the whole batch in one
 * {@code torch.randn} call; with a list of generators, one {@code (1, 128, h, w)} draw per sample
 * ({@link #initLatentsPerSample}).
 *
 * <p>Sizes follow the pipeline: {@code h = 2 * (H // 16) / 2}, i.e. {@code H // 16} (floor), likewise {@code w}.
 */
public final class Flux2Latents {
    private Flux2Latents() {}

    /**
     * {@code (B, 128, H // 16, W // 16)}: the shape the pipeline draws noise at.
     *
     * @param batch the batch size, {@code >= 1}
     * @param size  the image size, within {@link Limits#requireImageSize}
     * @return the shape of the unpacked noise
     * @throws IllegalArgumentException if {@code batch < 1} or the size is out of range
     */
    public static Shape noiseShape(int batch, ImageSize size) {
        checkBatch(batch);
        Objects.requireNonNull(size, "size");
        Limits.requireImageSize("width", size.width(), "height", size.height());
        return Shape.of((long) batch, Flux2.LATENT_CHANNELS, Flux2.tokens(size.height(), "height"),
                Flux2.tokens(size.width(), "width"));
    }

    /**
     * {@code (B, (H // 16) * (W // 16), 128)}: the packed latents the transformer and the scheduler see.
     *
     * @param batch the batch size, {@code >= 1}
     * @param size  the image size, within {@link Limits#requireImageSize}
     * @return the shape of the packed latents
     * @throws IllegalArgumentException if {@code batch < 1} or the size is out of range
     */
    public static Shape packedShape(int batch, ImageSize size) {
        checkBatch(batch);
        return Shape.of((long) batch, Flux2.imageSeqLen(size), Flux2.LATENT_CHANNELS);
    }

    /**
     * The packed latents a pipeline called with {@code generator=torch.Generator().manual_seed(seed)} starts from,
     * as the {@linkplain TorchBuild#STANDARD standard} torch build draws them.
     *
     * @param backend the backend the latents go to
     * @param batch   the batch size, {@code >= 1}
     * @param size    the image size; each side at least 16 pixels
     * @param seed    the seed, with {@code torch.manual_seed} semantics
     * @param dtype   the latents' dtype
     * @return the packed latents {@code [B, (H/16) * (W/16), 128]}, a new tensor the caller must close
     * @throws IllegalArgumentException if {@code batch < 1}, a side is below 16 pixels, or the noise is too large
     */
    public static Tensor initLatents(TensorBackend backend, int batch, ImageSize size, long seed, DType dtype) {
        return initLatents(backend, batch, size, seed, dtype, TorchBuild.STANDARD);
    }

    /**
     * The same as {@code build} draws them.
     *
     * @param backend the backend the latents go to
     * @param batch   the batch size, {@code >= 1}
     * @param size    the image size; each side at least 16 pixels
     * @param seed    the seed, with {@code torch.manual_seed} semantics
     * @param dtype   the latents' dtype
     * @param build   the torch build to reproduce
     * @return the packed latents {@code [B, (H/16) * (W/16), 128]}, a new tensor the caller must close
     * @throws IllegalArgumentException if {@code batch < 1}, a side is below 16 pixels, or the noise is too large
     */
    public static Tensor initLatents(TensorBackend backend, int batch, ImageSize size, long seed, DType dtype,
                                     TorchBuild build) {
        return initLatents(backend, batch, size, dtype, new TorchGenerator(seed, build));
    }

    /**
     * The same from the current state of {@code generator} (which advances), as a pipeline given that generator
     * draws its latents.
     *
     * @param backend   the backend the latents go to
     * @param batch     the batch size, {@code >= 1}
     * @param size      the image size; each side at least 16 pixels
     * @param dtype     the latents' dtype
     * @param generator the generator to draw from (it advances)
     * @return the packed latents {@code [B, (H/16) * (W/16), 128]}, a new tensor the caller must close
     * @throws IllegalArgumentException if {@code batch < 1}, a side is below 16 pixels, or the noise is too large
     */
    public static Tensor initLatents(TensorBackend backend, int batch, ImageSize size, DType dtype,
                                     TorchGenerator generator) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(generator, "generator");
        Shape noise = noiseShape(batch, size);
        int[] bits = generator.randnBits(noise, dtype);
        return backend.fromBits(pack(bits, noise), dtype, packedShape(batch, size));
    }

    /**
     * Packed latents from {@code generator}: {@link NoiseGenerator#TORCH_CPU} as above, or the generator drawn at
     * {@link #noiseShape} and packed the same way: {@link NoiseGenerator#MLX} is Ollama's
     * {@code packLatents(InitNoise([1, 128, H/16, W/16], seed))} (bfloat16 there) on every backend,
     * {@link NoiseGenerator#NATIVE} the backend's own generator (not portable).
     *
     * @param backend   the backend the latents go to
     * @param batch     the batch size, {@code >= 1}
     * @param size      the image size; each side at least 16 pixels
     * @param seed      the seed
     * @param dtype     the latents' dtype
     * @param generator {@link NoiseGenerator#TORCH_CPU}, {@link NoiseGenerator#MLX} or {@link NoiseGenerator#NATIVE}
     * @return the packed latents {@code [B, (H/16) * (W/16), 128]}, a new tensor the caller must close
     * @throws IllegalArgumentException if {@code batch < 1}, a side is below 16 pixels, or the noise is too large
     */
    public static Tensor initLatents(TensorBackend backend, int batch, ImageSize size, long seed, DType dtype,
                                     NoiseGenerator generator) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(generator, "generator");
        if (generator == NoiseGenerator.TORCH_CPU) {
            return initLatents(backend, batch, size, seed, dtype);
        }
        Shape noise = noiseShape(batch, size);
        int[] bits;
        if (generator == NoiseGenerator.MLX) {
            bits = MlxRandom.normalBits(seed, noise, dtype);
        } else {
            try (Tensor drawn = Noise.initNoise(backend, noise, seed, dtype, NoiseGenerator.NATIVE)) {
                bits = backend.toBits(drawn);
            }
        }
        return backend.fromBits(pack(bits, noise), dtype, packedShape(batch, size));
    }

    /**
     * The packed latents of a pipeline called with one CPU generator per sample,
     * {@code generator=[torch.Generator().manual_seed(s) for s in seeds]}: sample {@code i} is drawn alone at
     * {@code (1, 128, h, w)} from {@code seeds[i]}; the batch is {@code seeds.length}.
     *
     * @param backend the backend the latents go to
     * @param size    the image size; each side at least 16 pixels
     * @param seeds   one seed per sample, at least one
     * @param dtype   the latents' dtype
     * @param build   the torch build to reproduce
     * @return the packed latents {@code [seeds.length, (H/16) * (W/16), 128]}, a new tensor the caller must close
     * @throws IllegalArgumentException if {@code seeds} is empty, a side is below 16 pixels, or the noise is too large
     */
    public static Tensor initLatentsPerSample(TensorBackend backend, ImageSize size, long[] seeds, DType dtype,
                                              TorchBuild build) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(seeds, "seeds");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(build, "build");
        Shape whole = noiseShape(seeds.length, size);
        Noise.checkedNumel(whole);
        Shape one = noiseShape(1, size);
        int perSample = Math.toIntExact(one.numel());
        int[] bits = new int[perSample * seeds.length];
        for (int i = 0; i < seeds.length; i++) {
            int[] sample = new TorchGenerator(seeds[i], build).randnBits(one, dtype);
            System.arraycopy(sample, 0, bits, i * perSample, perSample);
        }
        return backend.fromBits(pack(bits, whole), dtype, packedShape(seeds.length, size));
    }

    /**
     * {@code _pack_latents} on raw bits: {@code [B, C, h, w] -> [B, h * w, C]}, i.e.
     * {@code out[b][p][c] = in[b][c][p]} with {@code p = y * w + x}.
     *
     * @param bits  the unpacked values' bit patterns, row-major
     * @param noise the unpacked shape, rank 4
     * @return the packed bit patterns
     * @throws IllegalArgumentException if the shape is not rank 4 or does not match {@code bits}
     */
    public static int[] pack(int[] bits, Shape noise) {
        Objects.requireNonNull(bits, "bits");
        Objects.requireNonNull(noise, "noise");
        if (noise.rank() != 4) {
            throw new IllegalArgumentException("pack: shape " + noise + " is not [B, C, h, w]");
        }
        if (bits.length != noise.numel()) {
            throw new IllegalArgumentException("pack: " + bits.length + " values for shape " + noise);
        }
        int batch = (int) noise.dim(0);
        int channels = (int) noise.dim(1);
        int tokens = (int) (noise.dim(2) * noise.dim(3));
        int[] out = new int[bits.length];
        for (int b = 0; b < batch; b++) {
            int base = b * channels * tokens;
            for (int c = 0; c < channels; c++) {
                int from = base + c * tokens;
                for (int p = 0; p < tokens; p++) {
                    out[base + p * channels + c] = bits[from + p];
                }
            }
        }
        return out;
    }

    private static void checkBatch(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch: " + batch + " must be >= 1");
        }
    }
}
