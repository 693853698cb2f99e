package dev.flowmatch.sampling;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.Tensors;

/**
 * Classifier-free guidance as diffusers' FLUX.2 klein pipelines compute it
 * ({@code pipeline_flux2_klein.py}: {@code noise_pred = neg_noise_pred + guidance_scale * (noise_pred - neg_noise_pred)}).
 */
public final class Guidance {
    private Guidance() {}

    /**
     * Whether the pipeline guides: {@code do_classifier_free_guidance = guidance_scale > 1 and not is_distilled}.
     *
     * @param guidanceScale the guidance scale
     * @param distilled     whether the model is step-wise distilled (klein's {@code is_distilled})
     * @return true when the unconditional prediction is computed and combined
     */
    public static boolean applies(double guidanceScale, boolean distilled) {
        return guidanceScale > 1 && !distilled;
    }

    /**
     * {@code neg + scale * (cond - neg)} in the predictions' dtype, in PyTorch's order: the difference of the two
     * tensors, times the Python float {@code scale}, plus {@code neg}; each operation rounded to the dtype. torch
     * 1.13 casts the Python float to the tensor's dtype first (through float32: {@code (bf16) (float) scale}), so a
     * scale that bfloat16 cannot hold (3.3) is rounded before the product; checked against torch with
     * {@code tools/reference/klein_cfg_scales.py}.
     *
     * @param conditional   {@code noise_pred}
     * @param unconditional {@code neg_noise_pred}, same backend, shape and dtype
     * @param guidanceScale {@code guidance_scale}, finite
     * @return a new tensor
     */
    public static Tensor combine(Tensor conditional, Tensor unconditional, double guidanceScale) {
        if (!Double.isFinite(guidanceScale)) {
            throw new IllegalArgumentException("guidanceScale: " + guidanceScale + " must be finite");
        }
        Tensors.requireSameShape("conditional", conditional, "unconditional", unconditional);
        if (conditional.dtype() != unconditional.dtype()) {
            throw new IllegalArgumentException("dtype mismatch: conditional is " + conditional.dtype().torchName()
                    + " but unconditional is " + unconditional.dtype().torchName());
        }
        DType d = conditional.dtype();
        Expr cond = Expr.input(0);
        Expr neg = Expr.input(1);
        Expr guided = Expr.add(neg, Expr.mul(Expr.scalar(d.round((float) guidanceScale)), Expr.sub(cond, neg, d), d), d);
        return conditional.backend().elementwise(guided, conditional, unconditional);
    }
}
