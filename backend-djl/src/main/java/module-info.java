/**
 * The {@code djl} backend: DJL NDArrays on the PyTorch engine. The PyTorch natives jar must stay on the class
 * path (its automatic module name is not a legal name).
 */
module dev.flowmatch.djl {
    requires transitive dev.flowmatch.core;
    requires transitive ai.djl.api;
    requires ai.djl.pytorch_engine;

    exports dev.flowmatch.djl;

    provides dev.flowmatch.tensor.TensorBackend with dev.flowmatch.djl.DjlBackend;
}
