package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every golden file (the bundled one and {@code -Dflowmatch.goldens=PATH[,PATH...]}) on every
 * backend, with one summary line per file at the end of the run.
 */
class GoldenConformanceTest {

    @TestFactory
    Stream<DynamicNode> goldenFiles() {
        List<DynamicNode> files = new ArrayList<>();
        for (Goldens.GoldenFile file : Goldens.all()) {
            List<DynamicNode> sections = new ArrayList<>();
            sections.add(section(file, "schedules", Goldens.ScheduleCase::of, GoldenConformanceTest::schedule));
            sections.add(section(file, "empirical_mu", Goldens.EmpiricalMuCase::of, GoldenConformanceTest::empiricalMu));
            sections.add(section(file, "steps", Goldens.StepCase::of, GoldenConformanceTest::step));
            sections.add(section(file, "torch_randn", Goldens.RandnCase::of, (c, b) -> NoiseGoldens.randn(file, c, b)));
            sections.add(section(file, "flux2_latents", Goldens.LatentsCase::of,
                    (c, b) -> NoiseGoldens.latents(file, c, b)));
            files.add(DynamicContainer.dynamicContainer(file.name(), sections));
        }
        return files.stream();
    }

    /**
     * One section of a file: a container per case, a test per backend. Each case is parsed inside its own
     * tests, so a case this build cannot read fails (and counts as not passed) alone.
     */
    private static <T> DynamicNode section(Goldens.GoldenFile file, String name, Function<JsonNode, T> parse,
                                           BiConsumer<T, TensorBackend> check) {
        List<JsonNode> cases = new ArrayList<>();
        file.root().path(name).forEach(cases::add);
        GoldenTally.register(file.name(), name, cases.size());
        List<DynamicNode> caseNodes = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            int index = i;
            JsonNode node = cases.get(i);
            List<DynamicNode> perBackend = Conformance.backends().map(backend ->
                    (DynamicNode) DynamicTest.dynamicTest(backend.name(), () -> {
                        Conformance.use(backend);
                        boolean passed = false;
                        try {
                            check.accept(parse.apply(node), backend);
                            passed = true;
                        } finally {
                            GoldenTally.record(file.name(), name, index, passed);
                        }
                    })).toList();
            caseNodes.add(DynamicContainer.dynamicContainer(i + ": " + node.path("name").asText(name + " " + i),
                    perBackend));
        }
        return DynamicContainer.dynamicContainer(name, caseNodes);
    }

    /** The schedule carried through the backend: sigmas placed on it, timesteps computed by it (T * sigma). */
    static void schedule(Goldens.ScheduleCase c, TensorBackend backend) {
        Schedule schedule = Schedules.compute(c.config(), c.request());
        float[] sigmas = schedule.sigmas();
        float[] withoutTerminal = Arrays.copyOf(sigmas, sigmas.length - 1);
        float t = (float) c.config().numTrainTimesteps();
        try (Tensor s = backend.fromFloats(sigmas, DType.FLOAT32, Shape.of(sigmas.length));
             Tensor head = backend.fromFloats(withoutTerminal, DType.FLOAT32, Shape.of(withoutTerminal.length));
             Tensor timesteps = backend.affine(t, head, 0f, head, AffineSpec.float32(DType.FLOAT32))) {
            assertArrayEquals(c.sigmasBits(), backend.toBits(s), "sigmas");
            assertArrayEquals(c.timestepsBits(), backend.toBits(timesteps), "timesteps");
        }
    }

    static void empiricalMu(Goldens.EmpiricalMuCase c, TensorBackend backend) {
        assertEquals(c.mu(), Flux2.computeEmpiricalMu(c.imageSeqLen(), c.numSteps()), 0.0);
    }

    static void step(Goldens.StepCase c, TensorBackend backend) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(c.numSteps(), c.mu());
        assertEquals(c.sigma(), scheduler.sigmas()[c.stepIndex()], "sigma");
        assertEquals(c.sigmaNext(), scheduler.sigmas()[c.stepIndex() + 1], "sigma_next");
        try (Tensor sample = backend.fromBits(c.sample().bits(), c.sample().dtype(), c.sample().shape());
             Tensor modelOutput = backend.fromBits(c.modelOutput().bits(), c.modelOutput().dtype(),
                     c.modelOutput().shape());
             Tensor out = scheduler.step(modelOutput, sample, c.stepIndex())) {
            assertEquals(c.expected().dtype(), out.dtype());
            Conformance.assertConforms(backend, out.dtype(), c.expected().bits(), backend.toBits(out), "step");
        }
    }
}
