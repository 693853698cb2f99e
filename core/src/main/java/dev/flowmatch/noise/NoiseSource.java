package dev.flowmatch.noise;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/**
 * A stream of standard normal noise, as a {@code torch.Generator} is: each call continues where the last one
 * stopped. Used for initial latents and for stochastic sampling steps.
 */
public interface NoiseSource {

    /**
     * The next {@code shape.numel()} standard normal values of this stream, as a tensor on {@code backend}.
     *
     * @param backend the backend the tensor goes to
     * @param shape   the shape
     * @param dtype   the dtype
     * @return a new tensor the caller must close
     */
    Tensor normal(TensorBackend backend, Shape shape, DType dtype);
}
