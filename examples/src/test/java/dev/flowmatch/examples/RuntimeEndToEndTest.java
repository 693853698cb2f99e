package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.VelocityModel;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole path in Java, with Java's own model calls: the bundled model through DJL (backend {@code djl}) and
 * through ONNX Runtime (backend {@code java}), checked against torch's Euler trajectory ({@link Trajectories}).
 *
 * <p><b>Tolerance, from the measured forward difference.</b> The runtimes do not run torch 1.13's kernels
 * (libtorch 2.7.1 in DJL, MLAS in ONNX Runtime), so their float32 convolutions sum in other orders. Measured on
 * this machine (x86-64 AVX2) on the ten recorded Euler inputs: |DJL - torch| <= 1.4e-6 (one PyTorch thread;
 * 1.7e-6 with two) and |ONNX Runtime - torch| <= 1.9e-6 per output element, for outputs up to 4.0 in magnitude
 * (about 4 ulp of 4.0); over all 41 recorded calls of the four schedulers the largest is 7.7e-6 (Heun's call at
 * sigma 0.001, outputs up to 5.6).
 * The forward bound {@link #FORWARD_BOUND} is 3e-5, about 4x the largest measured difference, as room for other
 * CPUs' kernels. Guidance {@code u + g (c - u)} turns input errors of at most E into at most {@code (2g - 1) E}
 * (5E at g = 3), and Euler adds {@code |dt| * error} per step with {@code sum |dt| = 1}, so, as long as the
 * runtime's drift from torch's trajectory does not feed back into larger errors, the end point differs by at most
 * {@code (2g - 1) * sum|dt| * E} = {@link #endBound} = 1.5e-4. Measured: 7.2e-7 (ONNX Runtime) and 7.2e-7 to
 * 8.2e-7 (DJL, two or one threads), about 200 times inside it: the drift does not amplify here (the per-call
 * errors are not aligned). A wrong time input, label, guidance or
 * step is off by 1e-2 and more, far outside.
 */
class RuntimeEndToEndTest {
    /** Largest allowed |runtime - torch| of one forward pass on the same input (measured: up to 7.7e-6). */
    static final double FORWARD_BOUND = 3e-5;

    private static DjlFlowModel djl;
    private static OrtFlowModel ort;
    private static Trajectories.Run euler;

    @BeforeAll
    static void load() {
        euler = Trajectories.run("euler");
        ModelFiles files = ModelFiles.bundled(ModelFiles.DIGITS);
        ort = OrtFlowModel.load(files);
        if (Backends.find("djl").map(TensorBackend::isAvailable).orElse(false)) {
            djl = DjlFlowModel.load(files);
        }
    }

    @AfterAll
    static void close() {
        if (djl != null) {
            djl.close();
        }
        if (ort != null) {
            ort.close();
        }
    }

    /** {@code (2g - 1) * sum |dt| * FORWARD_BOUND}: see the class comment. */
    static double endBound(Trajectories.Run run) {
        float[] sigmas = Trajectories.floats(Trajectories.bits(run.sigmas()));
        double travelled = 0;
        for (int i = 0; i + 1 < sigmas.length; i++) {
            travelled += Math.abs(sigmas[i + 1] - sigmas[i]);
        }
        return (2 * run.guidanceScale() - 1) * travelled * FORWARD_BOUND;
    }

    @Test
    void djlForwardPassMatchesTorch() {
        checkForward(requireDjl());
    }

    @Test
    void onnxRuntimeForwardPassMatchesTorch() {
        checkForward(ort);
    }

    @Test
    void djlSamplingEndsAtTorchsEndPoint() {
        checkEndToEnd(requireDjl());
    }

    @Test
    void onnxRuntimeSamplingEndsAtTorchsEndPoint() {
        checkEndToEnd(ort);
    }

    private static DjlFlowModel requireDjl() {
        TestBackends.backend("djl");
        return djl;
    }

    private static void checkForward(FlowModel model) {
        RuntimeMeasurement.Difference d = RuntimeMeasurement.forwardDifference(model, euler);
        System.out.printf(Locale.ROOT, "%s forward pass vs torch 1.13: max |diff| %.3g over %d calls (outputs up to %.3g)%n",
                model.getClass().getSimpleName(), d.maxAbs(), d.calls(), d.maxReference());
        assertTrue(d.maxAbs() <= FORWARD_BOUND, () -> "forward difference " + d.maxAbs() + " > " + FORWARD_BOUND);
    }

    private static void checkEndToEnd(FlowModel model) {
        List<Float> times = new ArrayList<>();
        List<float[]> samples = new ArrayList<>();
        Sampler sampler = Sampler.builder().config(SchedulerConfigJson.fromTree(euler.config()))
                .numSteps(euler.steps().size())
                .listener(event -> samples.add(event.next().backend().toFloats(event.next())))
                .build();
        float[] result;
        try (GuidedVelocity guided = model.guided(euler.labels(), euler.guidanceScale());
             Tensor noise = Noise.initNoise(model.backend(), euler.shape(), euler.seed(), DType.FLOAT32)) {
            assertArrayEquals(euler.initialSample(), model.backend().toBits(noise), "the same starting noise as torch");
            VelocityModel recording = (latents, t) -> {
                times.add(t);
                return guided.velocity(latents, t);
            };
            try (Tensor out = sampler.run(noise, recording)) {
                result = model.backend().toFloats(out);
            }
        }
        double worstStep = 0;
        for (int i = 0; i < euler.steps().size(); i++) {
            Trajectories.Step step = euler.steps().get(i);
            assertEquals(step.modelTimeBits(), Float.floatToRawIntBits(times.get(i)), "model t of step " + i);
            worstStep = Math.max(worstStep,
                    RuntimeMeasurement.maxAbs(samples.get(i), Trajectories.floats(step.prevSample())));
        }
        double end = RuntimeMeasurement.maxAbs(result, Trajectories.floats(euler.finalSample()));
        double bound = endBound(euler);
        System.out.printf(Locale.ROOT, "%s sampling vs torch + diffusers: end point max |diff| %.3g (largest on the"
                + " way %.3g), bound %.3g%n", model.getClass().getSimpleName(), end, worstStep, bound);
        assertTrue(end <= bound, () -> "end point differs by " + end + " > " + bound);
    }
}
