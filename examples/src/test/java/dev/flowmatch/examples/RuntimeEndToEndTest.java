package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole path in Java, with Java's own model calls: the bundled model through DJL (backend {@code djl}) and
 * through ONNX Runtime (backend {@code java}), checked against torch's trajectories ({@link Trajectories}) for every
 * recorded scheduler of the family.
 *
 * <p><b>Tolerance, from the measured forward difference.</b> The runtimes do not run torch 1.13's kernels
 * (libtorch 2.7.1 in DJL, MLAS in ONNX Runtime), so their float32 convolutions sum in other orders. Measured on
 * this machine (x86-64 AVX2), the batched call ({@code [x; x]}, {@code [labels; null labels]}) on every recorded
 * input of the six runs (52 calls, LTX's last call at {@code t = 0} included), per output element, for outputs up
 * to 5.6 in magnitude: |DJL - torch| up to 5.4e-6 (one PyTorch thread) and |ONNX Runtime - torch| up to 7.7e-6, both
 * largest on Heun's call at sigma 0.001 and next on LTX's call at sigma 0 (6.4e-6), about 1e-6 elsewhere. The
 * forward bound {@link #FORWARD_BOUND} is 3e-5, about 4x the largest measured difference, as room for other CPUs'
 * kernels.
 *
 * <p>Guidance {@code u + g (c - u)} turns prediction errors of at most E into at most {@code (2g - 1) E} (5E at
 * g = 3). Every scheduler's end point is affine in the guided predictions, {@code x_end = a + sum_k c_k v_k} with
 * scalar coefficients (the step's own arithmetic; the noise draws of LCM and Euler-ancestral-RF are the same in
 * both runs), so it moves by at most {@code (2g - 1) E * sum_k |c_k|}, as long as the runtime's drift from torch's
 * trajectory does not feed back into larger model errors. {@link RuntimeMeasurement#sensitivity} measures
 * {@code sum_k |c_k|} with the scheduler itself: 1.000 for Euler ({@code sum |dt|}), Heun, UniPC, LCM and
 * Euler-ancestral-RF, 0.999 for DPM++ 2M, so every bound is 1.5e-4. Measured end points (printed): 0.7e-6 to 1.6e-6
 * for Euler, DPM++ 2M, UniPC, LCM and Euler-ancestral-RF on both runtimes, 100 times inside; Heun 1.2e-5, 12 times
 * inside:
 * its last step (sigma 0.2008 to 0.001) is corrected with the model at sigma 0.001, where a flow model's velocity
 * responds strongly to its input (the ideal {@code (x - x0(x)) / sigma}), so the 1.3e-6 drift the latents carry
 * there does feed back. A wrong time input, label, guidance or step is off by 1e-2 and more.
 */
class RuntimeEndToEndTest {
    /** Largest allowed |runtime - torch| of one forward pass on the same input (measured: up to 7.7e-6). */
    static final double FORWARD_BOUND = 3e-5;

    private static DjlFlowModel djl;
    private static OrtFlowModel ort;

    @BeforeAll
    static void load() {
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

    private static FlowModel runtime(String name) {
        if (name.equals("onnx")) {
            return ort;
        }
        TestBackends.backend("djl");
        return djl;
    }

    @ParameterizedTest
    @ValueSource(strings = {"onnx", "djl"})
    void forwardPassMatchesTorchOnEveryRecordedCall(String runtimeName) {
        FlowModel model = runtime(runtimeName);
        double worst = 0;
        for (Trajectories.Run run : Trajectories.runs()) {
            RuntimeMeasurement.Difference d = RuntimeMeasurement.forwardDifference(model, run);
            System.out.printf(Locale.ROOT, "%s forward pass vs torch 1.13, %s: max |diff| %.3g over %d calls (outputs"
                    + " up to %.3g)%n", runtimeName, run.name(), d.maxAbs(), d.calls(), d.maxReference());
            worst = Math.max(worst, d.maxAbs());
        }
        double measured = worst;
        assertTrue(measured <= FORWARD_BOUND, () -> "forward difference " + measured + " > " + FORWARD_BOUND);
    }

    static Stream<Arguments> runtimesAndRuns() {
        List<Arguments> out = new ArrayList<>();
        for (String runtime : List.of("onnx", "djl")) {
            for (Trajectories.Run run : Trajectories.runs()) {
                out.add(Arguments.of(runtime, run.name()));
            }
        }
        return out.stream();
    }

    /**
     * {@code flowmatch generate}'s path ({@link FlowSchedulers}, {@link ClassSampler}: the generator seeded, guidance
     * by core's sampler) with each recorded scheduler ends at torch's end point within
     * {@code (2g - 1) * FORWARD_BOUND * sum_k |c_k|}.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndRuns")
    void samplingEndsAtTorchsEndPoint(String runtimeName, String runName) {
        Trajectories.Run run = Trajectories.run(runName);
        SchedulerType type = ReferenceTrajectoryTest.schedulerType(run);
        FlowModel model = runtime(runtimeName);
        Scheduler scheduler = FlowSchedulers.create(type, 1.0);
        scheduler.setTimesteps(run.request());
        int numSteps = scheduler.numInferenceSteps();
        ScheduleRequest request = FlowSchedulers.request(scheduler, numSteps, 0.0);
        List<float[]> samples = new ArrayList<>();
        Sampler sampler = Sampler.builder().scheduler(() -> FlowSchedulers.create(type, 1.0)).schedule(request)
                .numSteps(numSteps).guidanceScale(run.guidanceScale()).distilled(false)
                .listener(event -> samples.add(event.next().backend().toFloats(event.next())))
                .build();
        float[] result = ClassSampler.sample(model, run.labels(), run.seed(), sampler);

        double worstStep = 0;
        for (int i = 0; i < run.steps().size(); i++) {

            worstStep = Math.max(worstStep,
                    RuntimeMeasurement.maxAbs(samples.get(i), Trajectories.floats(run.steps().get(i).prevSample())));
        }
        double end = RuntimeMeasurement.maxAbs(result, Trajectories.floats(run.finalSample()));
        double sensitivity = RuntimeMeasurement.sensitivity(type, request, run.seed());
        double bound = (2 * run.guidanceScale() - 1) * FORWARD_BOUND * sensitivity;
        System.out.printf(Locale.ROOT, "%s %s sampling vs torch + diffusers: end point max |diff| %.3g (largest on the"
                + " way %.3g); sum |c_k| %.3f, bound %.3g%n", runtimeName, run.name(), end, worstStep, sensitivity,
                bound);
        assertTrue(end <= bound, () -> "end point differs by " + end + " > " + bound);
    }
}
