package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.DiffusersRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.schedule.TimeShiftType;

/**
 * Schedule computation from arbitrary requests: {@link Schedules#compute} ({@code set_timesteps}) on any config and
 * request, the seed's {@link FlowMatchScheduler#setTimestepsWithMu}, and the FLUX.2 helpers ({@link Flux2}). A
 * result is a finite, monotone schedule in [0, 1]; a refusal is an {@link IllegalArgumentException}.
 */
class ScheduleFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void schedule(FuzzedDataProvider data) {
        SchedulerConfig.Builder builder = SchedulerConfig.builder()
                .numTrainTimesteps(data.consumeBoolean() ? 1000 : Fuzz.anyInt(data))
                .shift(data.consumeBoolean() ? 3.0 : Fuzz.anyDouble(data))
                .useDynamicShifting(data.consumeBoolean())
                .invertSigmas(data.consumeInt(0, 4) == 0)
                .shiftTerminal(data.consumeInt(0, 3) == 0 ? Fuzz.anyDouble(data) : null)
                .timeShiftType(data.consumeBoolean() ? TimeShiftType.EXPONENTIAL : TimeShiftType.LINEAR)
                .stochasticSampling(data.consumeBoolean());
        switch (data.consumeInt(0, 4)) {
            case 0 -> builder.useKarrasSigmas(true);
            case 1 -> builder.useExponentialSigmas(true);
            case 2 -> builder.useBetaSigmas(true);
            case 3 -> builder.useKarrasSigmas(true).useBetaSigmas(data.consumeBoolean());
            default -> { }
        }
        Integer steps = data.consumeBoolean() ? Fuzz.anySteps(data) : null;
        double[] sigmas = data.consumeInt(0, 2) == 0 ? Fuzz.anyDoubles(data, 12) : null;
        double[] timesteps = data.consumeInt(0, 3) == 0 ? scaled(Fuzz.anyDoubles(data, 12), data) : null;
        Double mu = data.consumeBoolean() ? Fuzz.anyDouble(data) : null;
        double shift = data.consumeBoolean() ? 3.0 : Fuzz.anyDouble(data);
        DiffusersRelease release = data.pickValue(DiffusersRelease.values());
        int width = data.consumeBoolean() ? 1024 : Fuzz.anyInt(data);
        int height = data.consumeBoolean() ? 1024 : Fuzz.anyInt(data);

        Fuzz.expectValidOrIllegalArgument(() -> {
            SchedulerConfig config = builder.build();
            ScheduleRequest request = new ScheduleRequest(steps, sigmas, mu, timesteps);
            Schedule schedule = Schedules.compute(config, shift, request, release);
            check(schedule, config + " " + request);
        });
        Fuzz.expectValidOrIllegalArgument(() -> {
            SchedulerConfig config = builder.build();
            int n = steps == null ? 4 : steps;
            double empirical = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.of(height, width)), n);
            FlowMatchScheduler scheduler = new FlowMatchScheduler(config);
            scheduler.setTimestepsWithMu(n, mu == null ? empirical : mu);
            check(scheduler.schedule(), config + " setTimestepsWithMu(" + n + ", " + mu + ")");
        });
    }

    /** Timesteps on the scale of num_train_timesteps, sometimes. */
    private static double[] scaled(double[] values, FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            for (int i = 0; i < values.length; i++) {
                values[i] *= 1000;
            }
        }
        return values;
    }

    private static void check(Schedule schedule, String context) {
        Fuzz.requireValidSchedule(schedule.sigmas(), schedule.timesteps(), context);
        Fuzz.requireFlowRange(schedule.sigmas(), context);
        if (schedule.sigmas().length != schedule.timesteps().length + 1) {
            throw new AssertionError(context + ": sigma and timestep counts do not match");
        }
    }
}
