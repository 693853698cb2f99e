package dev.flowmatch.noise;

/** Where initial noise comes from. */
public enum NoiseGenerator {
    /**
     * PyTorch's CPU generator ({@code torch.Generator().manual_seed(seed)} then {@code torch.randn}), computed in
     * plain Java and copied to the backend: the same seed gives the same bits on every backend and machine, and
     * the same latents as a diffusers pipeline run with a CPU generator. The default.
     */
    TORCH_CPU,

    /**
     * MLX's {@code random.normal(shape, dtype, key=random.key(seed))} as MLX 0.31.2's CPU backend computes it, in
     * plain Java ({@link MlxRandom}) and copied to the backend: the noise Ollama's FLUX.2 engine starts from, the
     * same bits on every backend. (MLX's Metal kernels may differ in the last bits: unchecked.)
     */
    MLX,

    /**
     * The backend's own generator ({@link dev.flowmatch.tensor.TensorBackend#nativeNormal}): MLX's
     * {@code random.normal} with {@code random.key(seed)}, DJL's engine generator. Deterministic for a seed on one
     * backend, but <em>not portable</em>: other backends, and other versions of the same runtime, may draw other
     * values. Backends without a generator throw {@link UnsupportedOperationException}.
     */
    NATIVE
}
