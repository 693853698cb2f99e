package dev.flowmatch.bench;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.List;
import java.util.function.Supplier;

/**
 * One scheduler of the sampler family, mid-schedule, ready to take steps on {@code [1, tokens, 128]} latents: the
 * fixture of {@link SamplerFamilyBenchmark}, and of the byte count of its report ({@link #bytesPerStep}).
 *
 * <p>The schedule has {@value #STEPS} steps; {@link #reset} runs the first {@value #FIRST} (so a multistep
 * scheduler's history is full and every timed step is a full-order one) and the benchmark steps on until
 * {@value #LAST}, then resets (untimed). The sample and model output stay the same tensors: a step's cost does not
 * depend on their values. A stochastic step draws its noise as a copy of one pre-drawn tensor (one
 * {@code convert}: the generator is {@code NoiseBenchmark}'s subject, not this one's).
 */
final class FamilyStep implements AutoCloseable {
    /** Steps in the schedule. */
    static final int STEPS = 50;
    /** Steps taken before the first timed one. */
    static final int FIRST = 10;
    /** The step index at which the schedule starts again. */
    static final int LAST = 40;

    /** The schedulers of the family, by the names the report uses. */
    static final List<String> SCHEDULERS =
            List.of("euler", "heun", "dpm++2m", "sde-dpm++2m", "unipc-bh2", "lcm", "euler-ancestral-rf");

    private static final String FLOW = "\"num_train_timesteps\": 1000, ";
    private static final String MULTISTEP = FLOW
            + "\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0";

    private final TensorBackend backend;
    private final Scheduler scheduler;
    private final Tensor sample;
    private final Tensor modelOutput;
    private final Tensor noise;
    /** Model calls per step: 2 for Heun (its predictor and corrector), 1 otherwise. */
    private final int calls;

    FamilyStep(TensorBackend backend, String name, DType dtype, int tokens) {
        this.backend = backend;
        this.scheduler = create(name).get();
        this.calls = scheduler.order();
        Shape shape = Shape.of(1, tokens, 128);
        int n = tokens * 128;
        this.sample = backend.fromFloats(StepBenchmark.randomValues(1, n), dtype, shape);
        this.modelOutput = backend.fromFloats(StepBenchmark.randomValues(2, n), dtype, shape);
        this.noise = backend.fromFloats(StepBenchmark.randomValues(3, n), dtype, shape);
        reset();
    }

    /**
     * The scheduler {@code name} with a flow-matching config: FLUX.2 [klein]'s for Euler, a fixed shift of 3 and
     * flow sigmas / flow prediction for the others (as {@code examples/FlowSchedulers} sets them up); DPM-Solver++
     * and UniPC keep their default order 2 (UniPC's default solver is {@code bh2}).
     */
    static Supplier<Scheduler> create(String name) {
        return switch (name) {
            case "euler" -> () -> new FlowMatchScheduler(SchedulerConfig.flux2Klein());
            case "heun" -> json(SchedulerType.FLOW_MATCH_HEUN, FLOW + "\"shift\": 3.0");
            case "dpm++2m" -> json(SchedulerType.DPM_SOLVER_MULTISTEP, MULTISTEP);
            case "sde-dpm++2m" -> json(SchedulerType.DPM_SOLVER_MULTISTEP,
                    MULTISTEP + ", \"algorithm_type\": \"sde-dpmsolver++\"");
            case "unipc-bh2" -> json(SchedulerType.UNIPC, MULTISTEP + ", \"solver_type\": \"bh2\"");
            case "lcm" -> json(SchedulerType.FLOW_MATCH_LCM, FLOW + "\"shift\": 3.0, \"use_dynamic_shifting\": false");
            case "euler-ancestral-rf" -> json(SchedulerType.LTX_EULER_ANCESTRAL_RF,
                    FLOW + "\"eta\": 1.0, \"s_noise\": 1.0, \"shift\": 3.0, \"use_dynamic_shifting\": false");
            default -> throw new IllegalArgumentException("scheduler: '" + name + "' is not one of " + SCHEDULERS);
        };
    }

    private static Supplier<Scheduler> json(SchedulerType type, String keys) {
        return () -> Schedulers.fromConfig(Schedulers.parseJson("{" + keys + "}"), type);
    }

    /** Sets the timesteps again and takes the first {@value #FIRST} steps (whole steps: both of Heun's calls). */
    void reset() {
        ScheduleRequest request = scheduler instanceof dev.flowmatch.scheduler.LTXEulerAncestralRFScheduler
                ? ScheduleRequest.steps(STEPS) // ComfyUI-style explicit sigmas would need the terminal 0
                : scheduler.flux2PipelineRequest(STEPS, 2.29);
        scheduler.setTimesteps(request);
        scheduler.setBeginIndex(0);
        for (int i = 0; i < FIRST; i++) {
            step();
        }
    }

    /** Whether the schedule has room for another timed step. */
    boolean exhausted() {
        Integer index = scheduler.stepIndex();
        return index != null && index >= LAST * calls;
    }

    /** One step of the scheduler (both model calls for Heun), evaluated; the result closed. */
    void step() {
        for (int call = 0; call < calls; call++) {
            Integer index = scheduler.stepIndex();
            float timestep = scheduler.timesteps()[index == null ? 0 : index];
            try (Tensor out = scheduler.isStochastic()
                    ? scheduler.step(modelOutput, timestep, sample, (b, shape, dtype) -> b.convert(noise, dtype))
                    : scheduler.step(modelOutput, timestep, sample)) {
                backend.evaluate(out);
            }
        }
    }

    /**
     * The bytes one step moves, counted on {@link CountingBackend} over {@code reference}: the sum, over the
     * backend calls of the step, of each call's tensor arguments and result at their dtype's width.
     */
    static long bytesPerStep(TensorBackend reference, String name, DType dtype, int tokens) {
        CountingBackend counting = new CountingBackend(reference);
        try (FamilyStep fixture = new FamilyStep(counting, name, dtype, tokens)) {
            counting.reset();
            fixture.step();
            return counting.bytes();
        }
    }

    @Override
    public void close() {
        sample.close();
        modelOutput.close();
        noise.close();
    }
}
