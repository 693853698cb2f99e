package dev.flowmatch.examples;

import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import java.util.Objects;

/**
 * Generates samples of given classes as a diffusers pipeline called with
 * {@code generator=torch.Generator().manual_seed(seed)} does: the starting latents are that generator's first draw,
 * {@code torch.randn([B, ...sampleShape], generator=generator)} (flowmatch's torch-compatible CPU generator, on the
 * model's backend), and the same generator, continuing, is given to every step, where a stochastic scheduler (LCM,
 * Euler-ancestral RF, SDE-DPM) draws its noise (as diffusers' pipelines that pass their generator to
 * {@code scheduler.step} do; a deterministic scheduler draws nothing). {@code sampler} runs the loop over the model's
 * {@link LabelledModel}: it guides when built with {@code guidanceScale(g)} above 1 and {@code distilled(false)}.
 */
public final class ClassSampler {
    private ClassSampler() {}

    /**
     * The final latents as host floats, {@code [labels.length, ...sampleShape]} in row-major order.
     *
     * @param model   the model and its backend
     * @param labels  the class of each sample
     * @param seed    the generator's seed (torch's {@code manual_seed} meaning)
     * @param sampler the loop (scheduler, steps, guidance, listener)
     * @return the final latents, {@code labels.length * sampleSize} values
     */
    public static float[] sample(FlowModel model, int[] labels, long seed, Sampler sampler) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sampler, "sampler");
        TorchGenerator generator = new TorchGenerator(seed);
        try (LabelledModel labelled = model.withLabels(labels);
             Tensor noise = generator.normal(model.backend(), model.info().batchShape(labels.length), DType.FLOAT32);
             Tensor result = sampler.run(noise, labelled, generator)) {
            return model.backend().toFloats(result);
        }
    }
}
