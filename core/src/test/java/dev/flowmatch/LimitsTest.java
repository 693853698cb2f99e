package dev.flowmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.convention.ComfyUiSchedule;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.schedule.TimeShiftType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Limits} and the departures from the references: each input where diffusers (or Ollama, ComfyUI) returns
 * NaN, infinity or nonsense is refused with the parameter, its value and the accepted range; the edges of every
 * limit still compute finite schedules.
 */
class LimitsTest {
    private static final SchedulerConfig KLEIN = SchedulerConfig.flux2Klein();
    private static final SchedulerConfig LINEAR = KLEIN.toBuilder().timeShiftType(TimeShiftType.LINEAR).build();

    @AfterEach
    void clearCap() {
        System.clearProperty(Limits.MAX_ELEMENTS_PROPERTY);
    }

    private static void refused(String expected, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    private static ScheduleRequest flux2(int steps, double mu) {
        return ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(steps)).withMu(mu);
    }

    @Test
    void muOutsideTheFloat32RangeOfItsExponentialIsRefusedEverywhere() {
        refused("mu: 1.0E10 must lie in [-87, 88]", () -> Schedules.compute(KLEIN, flux2(4, 1e10)));
        refused("mu: -1.0E308 must lie in [-87, 88]", () -> Schedules.compute(KLEIN, flux2(4, -1e308)));
        refused("mu: 88.5 must lie in [-87, 88]", () -> new FlowMatchScheduler(KLEIN).setTimestepsWithMu(4, 88.5));
        refused("mu: 89.0", () -> new FlowMatchScheduler(KLEIN).setConvention(Convention.OLLAMA)
                .setTimestepsWithMu(4, 89));
        refused("mu: 89.0", () -> ComfyUiSchedule.flux2Schedule(4, 89, TorchBuild.STANDARD));
        refused("shift: 100.0 must lie in [-87, 88]", () -> ComfyUiSchedule.simpleFlux(100, 4));
        // the edges compute
        for (double mu : new double[] {Limits.MIN_MU, Limits.MAX_MU}) {
            requireFinite(Schedules.compute(KLEIN, flux2(Limits.MAX_STEPS, mu)));
            requireFinite(Convention.OLLAMA.flux2Schedule(KLEIN, 3.0, 50, mu, TorchBuild.STANDARD));
            requireFinite(ComfyUiSchedule.flux2Schedule(50, mu, TorchBuild.STANDARD));
        }
    }

    @Test
    void theLinearShiftNeedsAPositiveMu() {
        refused("mu: 0.0 must lie in [1.1754944E-38, 88]", () -> Schedules.compute(LINEAR, flux2(4, 0)));
        refused("mu: -0.5 must lie in [1.1754944E-38, 88]", () -> Schedules.compute(LINEAR, flux2(4, -0.5)));
        refused("mu: -0.5", () -> OllamaSchedule.AMD64.setTimestepsWithMu(OllamaSchedule.Config.of(LINEAR), 4, -0.5f));
        requireFinite(Schedules.compute(LINEAR, flux2(4, Limits.MIN_LINEAR_MU)));
        // the seed's rule: mu == 0 selects the fixed shift, which is defined
        FlowMatchScheduler seed = new FlowMatchScheduler(LINEAR);
        seed.setTimestepsWithMu(4, 0);
        requireFinite(seed.schedule());
    }

    @Test
    void stepCountsImageSizesAndTokensHaveLimits() {
        refused("num_inference_steps: 100000 must lie in [1, 10000]", () -> ScheduleRequest.steps(100_000));
        refused("numSteps: 1000000000 must lie in [1, 10000]", () -> Flux2.pipelineSigmas(1_000_000_000));
        refused("sigmas: 10001 values; at most 10000", () -> ScheduleRequest.ofSigmas(new double[10_001]));
        refused("width: 100000 must lie in [16, 16384]", () -> Flux2.imageSeqLen(ImageSize.of(100_000, 100_000)));
        refused("width: 2147483647 must lie in [16, 16384]", () -> Flux2.imageSeqLen(ImageSize.of(1024, Integer.MAX_VALUE)));
        refused("width x height: 16384x16384 is 268435456 pixels, more than 67108864",
                () -> Flux2.imageSeqLen(ImageSize.of(16_384, 16_384)));
        refused("width: 2147483647 must lie in [1, 16384]",
                () -> ComfyUiSchedule.imageSeqLen(ImageSize.of(Integer.MAX_VALUE, Integer.MAX_VALUE)));
        refused("imageSeqLen: 262145 must lie in [1, 262144]", () -> Flux2.computeEmpiricalMu(262_145, 4));
        refused("numSteps: 0 must lie in [1, 10000]", () -> dev.flowmatch.sampling.Sampler.builder().numSteps(0));
        assertEquals(Limits.MAX_IMAGE_TOKENS, Flux2.imageSeqLen(ImageSize.of(4096, 16_384)));
        // the largest image and the most steps: the empirical mu stays inside the mu limits, the schedule finite
        double largest = Flux2.computeEmpiricalMu(Limits.MAX_IMAGE_TOKENS, 4);
        double mostSteps = Flux2.computeEmpiricalMu(1, Limits.MAX_STEPS);
        assertTrue(largest < Limits.MAX_MU && mostSteps > Limits.MIN_MU, largest + " " + mostSteps);
        requireFinite(Schedules.compute(KLEIN, flux2(4, largest)));
        requireFinite(Schedules.compute(KLEIN, flux2(Limits.MAX_STEPS, mostSteps)));
    }

    @Test
    void customSigmasAndTimestepsMustBeASchedule() {
        SchedulerConfig fixed = SchedulerConfig.builder().shift(3.0).build();
        refused("sigmas: element 0 is 2.0; each must lie in [0, 1]",
                () -> Schedules.compute(fixed, ScheduleRequest.ofSigmas(2, 1.5, 1)));
        refused("sigmas: element 0 is 0.0; the first must be above 0",
                () -> Schedules.compute(fixed, ScheduleRequest.ofSigmas(0, 0, 0)));
        refused("sigmas: element 2 is 0.8, above element 1 (0.5); they must not increase",
                () -> Schedules.compute(fixed, ScheduleRequest.ofSigmas(1, 0.5, 0.8)));
        refused("timesteps: element 0 is 2000.0; each must lie in [0, 1000]",
                () -> Schedules.compute(fixed, ScheduleRequest.ofTimesteps(2000, 1000)));
        refused("timesteps: element 1 is -1.0", () -> Schedules.compute(fixed, ScheduleRequest.ofTimesteps(999, -1)));
        // ending at 0 is a schedule; repeated values are too (diffusers' index rule takes the second)
        requireFinite(Schedules.compute(fixed, ScheduleRequest.ofSigmas(1, 0.5, 0)));
        requireFinite(Schedules.compute(fixed, ScheduleRequest.ofTimesteps(1000, 500, 500, 0)));
    }

    @Test
    void conversionsAndStretchesThatWouldBeNaNAreRefused() {
        SchedulerConfig exponential = SchedulerConfig.builder().useExponentialSigmas(true).build();
        refused("use_exponential_sigmas: true needs the last sigma above 0",
                () -> Schedules.compute(exponential, ScheduleRequest.ofSigmas(1, 0.5, 0)));
        SchedulerConfig terminal = SchedulerConfig.builder().shiftTerminal(0.1).build();
        refused("shift_terminal: 0.1 cannot stretch", () -> Schedules.compute(terminal, ScheduleRequest.ofSigmas(1)));
        refused("shift: 1.0E-9 must lie in [0.01, 1000]", () -> SchedulerConfig.builder().shift(1e-9).build());
        refused("shift: 1.0E30 must lie in [0.01, 1000]", () -> new FlowMatchScheduler(KLEIN).setShift(1e30));
        refused("num_train_timesteps: 2147483647 must lie in [1, 100000]",
                () -> SchedulerConfig.builder().numTrainTimesteps(Integer.MAX_VALUE).build());
    }

    @Test
    void configFilesNameTheirClassAndEndAfterTheObject() {
        refused("_class_name: 'EulerDiscreteScheduler' is not a scheduler flowmatch has",
                () -> SchedulerConfigJson.parse("{\"_class_name\": \"EulerDiscreteScheduler\"}"));
        refused("malformed scheduler config JSON at line 1, column", () -> SchedulerConfigJson.parse("{} x"));
        refused("malformed scheduler config JSON at line 1, column", () -> SchedulerConfigJson.parse("{}{}"));
        refused("malformed scheduler config JSON at line 1, column", () -> Schedulers.parseJson("{} []"));
        refused("scheduler config /no/such.json does not exist",
                () -> SchedulerConfigJson.read(java.nio.file.Path.of("/no/such.json")));
        assertEquals(KLEIN, SchedulerConfigJson.parse(SchedulerConfigJson.write(KLEIN)));
    }

    @Test
    void allocationsAboveTheCapFailBeforeAllocating() {
        JavaBackend backend = new JavaBackend();
        System.setProperty(Limits.MAX_ELEMENTS_PROPERTY, "1000");
        refused("elementwise result shape [1000, 1000] has 1000000 elements", () -> {
            try (Tensor a = backend.fromFloats(new float[1000], DType.FLOAT32, Shape.of(1000, 1));
                 Tensor b = backend.fromFloats(new float[1000], DType.FLOAT32, Shape.of(1, 1000))) {
                backend.elementwise(Expr.add(Expr.input(0), Expr.input(1), DType.FLOAT32), a, b).close();
            }
        });
        refused("-D" + Limits.MAX_ELEMENTS_PROPERTY, () -> Flux2.pipelineSigmas(2000));
        refused("noise shape [1, 128, 64, 64] has 524288 elements",
                () -> dev.flowmatch.noise.Flux2Latents.initLatents(backend, 1, ImageSize.square(1024), 0, DType.BFLOAT16));
        System.clearProperty(Limits.MAX_ELEMENTS_PROPERTY);
        refused("noise shape [1048576, 128, 256, 256] has", () -> dev.flowmatch.noise.Flux2Latents.initLatents(
                backend, 1 << 20, ImageSize.square(4096), 0, DType.FLOAT32));
    }

    private static void requireFinite(Schedule schedule) {
        for (float s : schedule.sigmas()) {
            assertTrue(Float.isFinite(s), schedule::toString);
        }
        for (float t : schedule.timesteps()) {
            assertTrue(Float.isFinite(t), schedule::toString);
        }
    }
}
