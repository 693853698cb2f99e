package dev.flowmatch.examples;

import dev.flowmatch.noise.Noise;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import java.util.Objects;

/**
 * Generates samples of given classes: the starting noise is {@code torch.randn([B, ...sampleShape],
 * generator=torch.Generator().manual_seed(seed))} (flowmatch's torch-compatible CPU generator, on the model's
 * backend), then {@code sampler} runs the denoising loop with the model's {@link GuidedVelocity}.
 */
public final class ClassSampler {
    private ClassSampler() {}

    /**
     * The final latents as host floats, {@code [labels.length, ...sampleShape]} in row-major order.
     *
     * @param model         the model and its backend
     * @param labels        the class of each sample
     * @param guidanceScale classifier-free guidance scale ({@code <= 1}: none)
     * @param seed          the noise seed (torch's {@code manual_seed} meaning)
     * @param sampler       the loop (scheduler config, steps, listener)
     * @return the final latents, {@code labels.length * sampleSize} values
     */
    public static float[] sample(FlowModel model, int[] labels, float guidanceScale, long seed, Sampler sampler) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sampler, "sampler");
        try (GuidedVelocity velocity = model.guided(labels, guidanceScale);
             Tensor noise = Noise.initNoise(model.backend(), model.info().batchShape(labels.length), seed,
                     DType.FLOAT32);
             Tensor result = sampler.run(noise, velocity)) {
            return model.backend().toFloats(result);
        }
    }
}
