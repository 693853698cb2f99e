package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/**
 * Every scheduler of the family ({@link SchedulerType#values()}: a class added there is fuzzed with no change here):
 * built from any config, {@code set_timesteps} with any request (or the FLUX.2 pipeline's), any begin index, then
 * every step with arbitrary scalars as model output and sample. The schedule is finite and monotone; a step of
 * finite, moderate inputs is never NaN, and finite in float32 (bfloat16 and float16 may overflow as in torch); a refusal is an {@link IllegalArgumentException}, or the documented
 * {@link IllegalStateException} of a stochastic step called without a generator.
 */
class SchedulerFuzzTest {
    private static final TensorBackend BACKEND = new JavaBackend();
    private static final DType[] DTYPES = {DType.FLOAT32, DType.BFLOAT16, DType.FLOAT16};

    @FuzzTest(maxDuration = "5m")
    void setTimestepsAndStep(FuzzedDataProvider data) {
        SchedulerType type = data.pickValue(SchedulerType.values());
        Scheduler scheduler;
        try {
            scheduler = data.consumeBoolean() ? Schedulers.create(type)
                    : Schedulers.fromConfig(Configs.anyConfig(data), type);
        } catch (IllegalArgumentException e) {
            Fuzz.requireGoodMessage(e);
            return;
        }
        ScheduleRequest request;
        try {
            request = data.consumeBoolean()
                    ? scheduler.flux2PipelineRequest(Fuzz.anySteps(data), data.consumeBoolean() ? 2.0 : Fuzz.anyDouble(data))
                    : new ScheduleRequest(data.consumeBoolean() ? Fuzz.anySteps(data) : null,
                            data.consumeInt(0, 2) == 0 ? Fuzz.anyDoubles(data, 10) : null,
                            data.consumeBoolean() ? Fuzz.anyDouble(data) : null,
                            data.consumeInt(0, 3) == 0 ? Fuzz.anyDoubles(data, 10) : null);
            scheduler.setTimesteps(request);
        } catch (IllegalArgumentException e) {
            Fuzz.requireGoodMessage(e);
            return;
        }
        String context = type + " " + request;
        float[] timesteps = scheduler.timesteps();
        Fuzz.requireValidSchedule(scheduler.sigmas(), timesteps, context);
        if (type == SchedulerType.FLOW_MATCH_EULER) {
            Fuzz.requireFlowRange(scheduler.sigmas(), context);
        }
        int start = 0;
        if (data.consumeInt(0, 3) == 0) {
            int begin = data.consumeBoolean() ? data.consumeInt(0, timesteps.length) : Fuzz.anyInt(data);
            try {
                scheduler.setBeginIndex(begin);
                start = begin;
            } catch (IllegalArgumentException e) {
                Fuzz.requireGoodMessage(e);
            }
        }
        DType dtype = data.pickValue(DTYPES);
        int elements = data.consumeInt(1, 4);
        boolean moderate = data.consumeInt(0, 4) != 0;
        TorchGenerator generator = new TorchGenerator(data.consumeLong());
        Tensor sample = BACKEND.fromFloats(values(data, elements, moderate), dtype, Shape.of(1, elements));
        try {
            for (int i = start; i < Math.min(timesteps.length, start + 64); i++) {
                float t = data.consumeInt(0, 20) == 0 ? (float) Fuzz.anyDouble(data) : timesteps[i];
                Tensor next;
                try (Tensor modelOutput = BACKEND.fromFloats(values(data, elements, moderate), dtype,
                        Shape.of(1, elements))) {
                    boolean withGenerator = scheduler.isStochastic() || data.consumeBoolean();
                    try {
                        next = withGenerator ? scheduler.step(modelOutput, t, sample, generator)
                                : scheduler.step(modelOutput, t, sample);
                    } catch (IllegalArgumentException e) {
                        Fuzz.requireGoodMessage(e);
                        return;
                    }
                }
                if (moderate && t == timesteps[i]) {
                    for (float v : BACKEND.toFloats(next)) {
                        // never NaN; an infinity only where a 16-bit dtype overflows (the reference's arithmetic)
                        if (Float.isNaN(v) || (dtype == DType.FLOAT32 && Float.isInfinite(v))) {
                            next.close();
                            throw new AssertionError(context + ": step " + i + " of finite inputs gave " + v);
                        }
                    }
                }
                sample.close();
                sample = next;
            }
            // the forward process for image-to-image, at a timestep of the schedule
            float t = timesteps[data.consumeInt(0, timesteps.length - 1)];
            Tensor current = sample;
            try (Tensor noise = BACKEND.fromFloats(values(data, elements, true), dtype, Shape.of(1, elements))) {
                Fuzz.expectValidOrIllegalArgument(() -> {
                    try {
                        scheduler.scaleNoise(current, t, noise).close();
                    } catch (UnsupportedOperationException documented) {
                        // Scheduler.scaleNoise: a class with no forward process in diffusers (LTX) says so
                    }
                });
            }
        } finally {
            sample.close();
        }
    }

    /** Values for a tensor: moderate (|v| <= 1000, what a model gives) or any float. */
    private static float[] values(FuzzedDataProvider data, int n, boolean moderate) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = moderate ? (float) data.consumeRegularDouble(-1000, 1000) : data.consumeFloat();
        }
        return out;
    }
}
