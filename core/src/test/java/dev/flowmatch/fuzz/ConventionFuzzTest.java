package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flowmatch.convention.ComfyUiSchedule;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.convention.TorchLinspace;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.TimeShiftType;

/**
 * Every numeric convention ({@code dev.flowmatch.convention}): {@link Convention#flux2Schedule},
 * {@link Convention#imageSeqLen}, {@link Convention#empiricalMu}, Ollama's and ComfyUI's own entry points and
 * torch's {@code linspace}, on any arguments. Schedules are finite, monotone and in [0, 1]; a refusal is an
 * {@link IllegalArgumentException}.
 */
class ConventionFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void convention(FuzzedDataProvider data) {
        Convention convention = data.pickValue(Convention.values());
        TorchBuild build = new TorchBuild(data.pickValue(TorchCpuKernel.values()),
                data.pickValue(TorchRelease.values()));
        int steps = Fuzz.anySteps(data);
        double mu = data.consumeBoolean() ? data.consumeRegularDouble(-5, 5) : Fuzz.anyDouble(data);
        int width = data.consumeBoolean() ? data.consumeInt(0, 3000) : Fuzz.anyInt(data);
        int height = data.consumeBoolean() ? data.consumeInt(0, 3000) : Fuzz.anyInt(data);
        double shift = data.consumeBoolean() ? 3.0 : Fuzz.anyDouble(data);
        boolean dynamic = data.consumeBoolean();
        TimeShiftType shiftType = data.consumeBoolean() ? TimeShiftType.EXPONENTIAL : TimeShiftType.LINEAR;
        switch (data.consumeInt(0, 6)) {
            case 0 -> Fuzz.expectValidOrIllegalArgument(() -> {
                SchedulerConfig config = SchedulerConfig.builder().shift(shift).useDynamicShifting(dynamic)
                        .timeShiftType(shiftType).build();
                check(convention.flux2Schedule(config, config.shift(), steps, mu, build), convention + " " + config
                        + " steps " + steps + " mu " + mu);
            });
            case 1 -> Fuzz.expectValidOrIllegalArgument(() -> {
                int seqLen = convention.imageSeqLen(ImageSize.of(height, width));
                double empirical = convention.empiricalMu(seqLen, steps);
                if (!Double.isFinite(empirical) || seqLen < 1) {
                    throw new AssertionError(convention + " " + width + "x" + height + ": " + seqLen + " tokens, mu "
                            + empirical);
                }
                SchedulerConfig config = SchedulerConfig.flux2Klein();
                check(convention.flux2Schedule(config, config.shift(), steps, empirical, build), convention + " "
                        + width + "x" + height + " steps " + steps);
            });
            case 2 -> Fuzz.expectValidOrIllegalArgument(() -> {
                OllamaSchedule ollama = data.consumeBoolean() ? OllamaSchedule.AMD64 : OllamaSchedule.ARM64;
                OllamaSchedule.Config config = new OllamaSchedule.Config(data.consumeBoolean() ? 1000 : Fuzz.anyInt(data),
                        (float) shift, dynamic, shiftType);
                check(ollama.setTimestepsWithMu(config, steps, (float) mu).schedule(), "ollama " + config + " steps "
                        + steps + " mu " + mu);
                int seqLen = OllamaSchedule.imageSeqLen(ImageSize.of(height, width));
                float calculated = ollama.calculateShift(seqLen, steps);
                if (!Float.isFinite(calculated)) {
                    throw new AssertionError("CalculateShift(" + seqLen + ", " + steps + ") = " + calculated);
                }
            });
            case 3 -> Fuzz.expectValidOrIllegalArgument(() ->
                    check(ComfyUiSchedule.flux2Scheduler(steps, ImageSize.of(height, width), build), "comfyui " + width + "x" + height
                            + " steps " + steps));
            case 4 -> Fuzz.expectValidOrIllegalArgument(() ->
                    check(ComfyUiSchedule.simpleFlux(mu, steps), "simpleFlux shift " + mu + " steps " + steps));
            case 5 -> Fuzz.expectValidOrIllegalArgument(() -> {
                float start = (float) Fuzz.anyDouble(data);
                float end = (float) Fuzz.anyDouble(data);
                float[] values = TorchLinspace.linspace(start, end, data.consumeBoolean() ? steps : Fuzz.anyInt(data),
                        build);
                for (float v : values) {
                    if (!Float.isFinite(v) && Float.isFinite(end - start)) {
                        throw new AssertionError("linspace(" + start + ", " + end + ") gave " + v);
                    }
                }
            });
            default -> Fuzz.expectValidOrIllegalArgument(() -> {
                float t = (float) Fuzz.anyDouble(data);
                float time = OllamaSchedule.modelTimestep(t, data.consumeBoolean() ? 1000 : Fuzz.anyInt(data));
                if (Float.isFinite(t) && !Float.isFinite(time)) {
                    throw new AssertionError("modelTimestep(" + t + ") = " + time);
                }
            });
        }
    }

    private static void check(Schedule schedule, String context) {
        Fuzz.requireValidSchedule(schedule.sigmas(), schedule.timesteps(), context);
        Fuzz.requireFlowRange(schedule.sigmas(), context);
    }
}
