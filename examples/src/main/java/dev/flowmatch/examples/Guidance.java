package dev.flowmatch.examples;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.Objects;

/**
 * Classifier-free guidance as diffusers' pipelines compute it, in one place:
 * {@code noise_pred = neg_noise_pred + guidance_scale * (noise_pred - neg_noise_pred)}
 * ({@code pipelines/flux2/pipeline_flux2_klein.py}, the denoising loop; the other flow pipelines write the same
 * expression). PyTorch evaluates it as three eager operations, each rounded to the model output's dtype: the
 * difference, the product by the scale (a Python float, which torch 1.13 first rounds to that dtype), and the
 * sum. Two {@link TensorBackend#affine} calls reproduce exactly that rounding, so the result is bit-identical to
 * diffusers' on every backend.
 */
public final class Guidance {
    private Guidance() {}

    /**
     * Whether a pipeline guides at this scale: diffusers' {@code do_classifier_free_guidance} is
     * {@code guidance_scale > 1}; at 1 or below it calls the model once, conditionally, and uses that output.
     *
     * @param guidanceScale the guidance scale
     * @return whether to run the unconditional prediction and combine
     */
    public static boolean isEnabled(float guidanceScale) {
        return guidanceScale > 1f;
    }

    /**
     * Checks a guidance scale: finite and {@code >= 0}. (Scales up to 1 mean no guidance, as in diffusers: the
     * conditional prediction alone.)
     *
     * @param guidanceScale the guidance scale
     * @return {@code guidanceScale}
     * @throws IllegalArgumentException naming the value when it is not finite or negative
     */
    public static float requireScale(float guidanceScale) {
        if (!Float.isFinite(guidanceScale) || guidanceScale < 0f) {
            throw new IllegalArgumentException("guidanceScale: " + guidanceScale + " must be finite and >= 0");
        }
        return guidanceScale;
    }

    /**
     * {@code uncond + scale * (cond - uncond)}, a new tensor of the inputs' dtype on their backend. The inputs
     * stay open (the caller owns them).
     *
     * @param cond  the conditional prediction
     * @param uncond the unconditional (negative-prompt or null-label) prediction, same shape, dtype and backend
     * @param scale the guidance scale
     * @return the guided prediction; the caller closes it
     */
    public static Tensor combine(Tensor cond, Tensor uncond, float scale) {
        Objects.requireNonNull(cond, "cond");
        Objects.requireNonNull(uncond, "uncond");
        requireScale(scale);
        TensorBackend backend = cond.backend();
        Tensors.requireOwned(backend, uncond, "uncond");
        Tensors.requireSameShape("cond", cond, "uncond", uncond);
        if (cond.dtype() != uncond.dtype()) {
            throw new IllegalArgumentException("uncond: dtype " + uncond.dtype().torchName() + " differs from cond's "
                    + cond.dtype().torchName());
        }
        DType d = cond.dtype();
        // Every product, sum and result rounded to the model output's dtype, as each torch op is.
        AffineSpec inOutputType = new AffineSpec(d, d, d, d);
        try (Tensor difference = backend.affine(1f, cond, -1f, uncond, inOutputType)) {  // cond - uncond (exact products)
            return backend.affine(1f, uncond, scale, difference, inOutputType);          // uncond + scale * difference
        }
    }
}
