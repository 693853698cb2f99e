/** The {@code mlx} backend: MLX through mlx-c, bound with the FFM API. */
module dev.flowmatch.mlx {
    requires dev.flowmatch.core;

    exports dev.flowmatch.mlx;

    provides dev.flowmatch.tensor.TensorBackend with dev.flowmatch.mlx.MlxBackend;
}
