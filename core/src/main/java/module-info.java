/**
 * flowmatch core: the schedule math, the tensor SPI, the stateful scheduler, the sampling loop, torch-compatible
 * noise and the pure-Java reference backend. Backends are services of {@link dev.flowmatch.tensor.TensorBackend}.
 */
module dev.flowmatch.core {
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.statistics.distribution;
    // Optional: the java backend's vector kernels, used only when the JVM runs with
    // --add-modules jdk.incubator.vector (dev.flowmatch.javabackend.Vectorization).
    requires static jdk.incubator.vector;

    exports dev.flowmatch;
    exports dev.flowmatch.schedule;
    exports dev.flowmatch.scheduler;
    exports dev.flowmatch.tensor;
    exports dev.flowmatch.sampling;
    exports dev.flowmatch.noise;
    exports dev.flowmatch.convention;
    exports dev.flowmatch.torchmath;
    exports dev.flowmatch.javabackend;

    uses dev.flowmatch.tensor.TensorBackend;

    provides dev.flowmatch.tensor.TensorBackend with dev.flowmatch.javabackend.JavaBackend;
}
