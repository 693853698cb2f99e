package dev.flowmatch.sampling;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.Tensors;

/**
 * The inpainting blend of diffusers' FLUX.2 klein inpaint loop ({@code pipeline_flux2_klein_inpaint.py}): after each
 * step, {@code latents = (1 - mask) * init_latents_proper + mask * latents}, where {@code init_latents_proper} is
 * the image latents noised to the next timestep ({@code scale_noise}) or, after the last step, the image latents.
 * The mask is 1 where the model paints and 0 where the image is kept.
 */
public final class Inpainting {
    private Inpainting() {}

    /**
     * {@code (1 - mask) * kept + mask * painted} in PyTorch's order and promotion: {@code 1 - mask} in the mask's
     * dtype (a Python int minus a tensor), each product and the sum rounded to the promoted dtype.
     *
     * @param mask    the mask, broadcastable to the latents (packed {@code [B, seq, 1]} against {@code [B, seq, C]})
     * @param kept    {@code init_latents_proper}
     * @param painted the latents after the step
     * @return a new tensor of the latents' shape
     */
    public static Tensor blend(Tensor mask, Tensor kept, Tensor painted) {
        Tensors.requireSameShape("kept", kept, "painted", painted);
        Shape.broadcast(mask.shape(), painted.shape());
        DType m = mask.dtype();
        DType keptProduct = DType.promote(m, kept.dtype());
        DType paintedProduct = DType.promote(m, painted.dtype());
        DType sum = DType.promote(keptProduct, paintedProduct);
        Expr oneMinusMask = Expr.sub(Expr.scalar(1f), Expr.input(0), m);
        Expr expression = Expr.add(Expr.mul(oneMinusMask, Expr.input(1), keptProduct),
                Expr.mul(Expr.input(0), Expr.input(2), paintedProduct), sum);
        return painted.backend().elementwise(expression, mask, kept, painted);
    }
}
