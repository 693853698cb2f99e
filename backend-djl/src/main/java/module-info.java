/**
 * The {@code djl} backend: DJL NDArrays on the PyTorch engine.
 *
 * <p>On the module path, DJL's jars are automatic modules; the PyTorch natives jar cannot be one (its
 * {@code native/lib} folder is not a legal package name) and stays on the class path, where DJL finds it. The
 * recipe is in the README ("Use it in your project", module path).
 */
module dev.flowmatch.djl {
    requires transitive dev.flowmatch.core;
    requires transitive ai.djl.api;
    requires ai.djl.pytorch_engine;
    // DJL's automatic modules read every module, but the module system resolves only required ones: DJL's
    // engine logs through SLF4J's API, so it is required here to be present at run time. (No SLF4J binding:
    // the application chooses one, or none.)
    requires org.slf4j;

    exports dev.flowmatch.djl;

    provides dev.flowmatch.tensor.TensorBackend with dev.flowmatch.djl.DjlBackend;
}
