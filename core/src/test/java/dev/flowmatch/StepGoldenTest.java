package dev.flowmatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.golden.Goldens;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** diffusers' own step outputs (float32, bfloat16, float16) reproduced bit for bit in DIFFUSERS precision. */
class StepGoldenTest {
    private final TensorBackend backend = new JavaBackend();

    static Stream<Goldens.StepCase> steps() {
        return Goldens.bundled().steps().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void stepIsBitIdenticalToDiffusers(Goldens.StepCase c) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(c.numSteps(), c.mu());
        assertEquals(c.sigma(), scheduler.sigmas()[c.stepIndex()]);
        assertEquals(c.sigmaNext(), scheduler.sigmas()[c.stepIndex() + 1]);
        try (Tensor sample = backend.fromBits(c.sample().bits(), c.sample().dtype(), c.sample().shape());
             Tensor modelOutput = backend.fromBits(c.modelOutput().bits(), c.modelOutput().dtype(),
                     c.modelOutput().shape());
             Tensor out = scheduler.step(modelOutput, sample, c.stepIndex())) {
            assertEquals(c.expected().dtype(), out.dtype());
            assertEquals(c.expected().shape(), out.shape());
            assertArrayEquals(c.expected().bits(), backend.toBits(out));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void diffusersFormWithBeginIndexGivesTheSameBits(Goldens.StepCase c) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(c.numSteps(), c.mu());
        scheduler.setBeginIndex(c.stepIndex());
        try (Tensor sample = backend.fromBits(c.sample().bits(), c.sample().dtype(), c.sample().shape());
             Tensor modelOutput = backend.fromBits(c.modelOutput().bits(), c.modelOutput().dtype(),
                     c.modelOutput().shape());
             Tensor out = scheduler.step(modelOutput, scheduler.timestep(c.stepIndex()), sample)) {
            assertArrayEquals(c.expected().bits(), backend.toBits(out));
            assertEquals(c.stepIndex() + 1, scheduler.stepIndex());
        }
    }
}
