package dev.flowmatch;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import java.util.EnumMap;
import java.util.Map;

/**
 * How the Euler step {@code x + dt * v} is rounded. Both modes compute in float32 and return a tensor of the
 * model output's dtype; they differ only when the model output is bfloat16 or float16.
 */
public enum Precision {
    /**
     * The seed's arithmetic (Ollama's {@code Step}): sample and model output upcast to float32,
     * {@code x + dt*v} in float32, the result rounded to the output dtype.
     */
    FP32,
    /**
     * What diffusers' {@code step} computes under PyTorch's type promotion: the sample is upcast to float32,
     * {@code dt * model_output} is computed in the model output's dtype ({@code dt}, a 0-dim float32 tensor,
     * is first cast to that dtype, then the product is rounded to it), the sum is float32, and the result is
     * cast to the model output's dtype. The default: diffusers is the reference.
     */
    DIFFUSERS;

    /** The rounding of {@code x + c * v} for a model output of dtype {@code v} ({@code x} upcast to float32). */
    AffineSpec stepSpec(DType v) {
        return STEP_SPECS.get(this).get(v);
    }

    /** Every step spec, made once: the step is called per denoising step and allocates nothing it need not. */
    private static final Map<Precision, Map<DType, AffineSpec>> STEP_SPECS = new EnumMap<>(Precision.class);

    static {
        for (Precision p : values()) {
            Map<DType, AffineSpec> specs = new EnumMap<>(DType.class);
            for (DType v : DType.values()) {
                DType product = p == DIFFUSERS ? v : DType.FLOAT32;
                specs.put(v, new AffineSpec(DType.FLOAT32, product, DType.FLOAT32, v));
            }
            STEP_SPECS.put(p, specs);
        }
    }
}
