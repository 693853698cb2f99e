package dev.flowmatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.FlowSchedulers;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.List;

/**
 * {@code flowmatch sample --plot}: the error of the family's deterministic samplers against the number of steps on
 * the analytic Gaussian flow, one log-log chart, where each sampler's order shows as the slope of its line.
 *
 * <p>The setting that lets the orders show: float32 latents; each class's own spacing, {@code set_timesteps(N)},
 * without a shift; the run started on the exact trajectory at the schedule's first sigma
 * ({@code (1 - sigma) m + sqrt((1 - sigma)^2 s^2 + sigma^2) z}; DPM-Solver's and UniPC's flow sigmas start at
 * 0.999, not 1); and the model evaluated at each step's sigma rather than at {@code timestep / 1000}. (A pipeline
 * calls the model at {@code timestep / 1000}: for DPM-Solver and UniPC that is the int64 timestep, {@code sigma * 1000}
 * truncated, a time error that does not shrink with the steps and would put a floor under their lines; the
 * conformance suite's order tests use the same setting.) The stochastic samplers (LCM, Euler-ancestral RF) do not
 * follow the ODE and are not drawn.
 */
final class OrderChart {
    /** One line of the chart: a config of one class. */
    record Line(String label, SchedulerType type, ObjectNode config) {}

    /** The samplers drawn. */
    static final List<Line> LINES = List.of(
            new Line("Euler (order 1)", SchedulerType.FLOW_MATCH_EULER, flow(SchedulerType.FLOW_MATCH_EULER)),
            new Line("Heun (order 2, 2 model calls per step)", SchedulerType.FLOW_MATCH_HEUN,
                    flow(SchedulerType.FLOW_MATCH_HEUN)),
            new Line("DPM++ 2M", SchedulerType.DPM_SOLVER_MULTISTEP, flow(SchedulerType.DPM_SOLVER_MULTISTEP)),
            new Line("DPM++ 3M", SchedulerType.DPM_SOLVER_MULTISTEP,
                    flow(SchedulerType.DPM_SOLVER_MULTISTEP).put("solver_order", 3)),
            new Line("UniPC-2 (bh2)", SchedulerType.UNIPC, flow(SchedulerType.UNIPC)),
            new Line("UniPC-3 (bh2)", SchedulerType.UNIPC, flow(SchedulerType.UNIPC).put("solver_order", 3)));

    /** The step counts, about evenly spaced on the log axis. */
    static final int[] STEPS = {4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
    /**
     * The image size of the chart's runs, whatever the sample's: 256 tokens of 128 channels (32768 values) give the
     * same relative errors as larger latents, in seconds.
     */
    static final dev.flowmatch.schedule.ImageSize SIZE = dev.flowmatch.schedule.ImageSize.square(256);

    /** The fewest steps of the slope fit: the lower-order warm-up and final steps matter less from here on. */
    static final int SLOPE_FROM = 32;

    private OrderChart() {}

    /**
     * The least-squares slope of {@code log(errors)} against {@code log(steps)} over the points with at least
     * {@code from} steps.
     *
     * @param steps  the step counts
     * @param errors the errors, same length
     * @param from   the fewest steps used
     * @return the slope (about {@code -order})
     */
    static double slope(double[] steps, double[] errors, int from) {
        double sx = 0;
        double sy = 0;
        int m = 0;
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] >= from) {
                sx += Math.log(steps[i]);
                sy += Math.log(errors[i]);
                m++;
            }
        }
        double mx = sx / m;
        double my = sy / m;
        double num = 0;
        double den = 0;
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] >= from) {
                double dx = Math.log(steps[i]) - mx;
                num += dx * (Math.log(errors[i]) - my);
                den += dx * dx;
            }
        }
        return num / den;
    }

    private static ObjectNode flow(SchedulerType type) {
        return FlowSchedulers.flowConfig(type, 1.0);
    }

    /**
     * The relative L2 error of {@code line} after {@code steps} steps from {@code noise}.
     *
     * @param backend the backend
     * @param line    the sampler
     * @param steps   {@code num_inference_steps}
     * @param flow    the analytic flow
     * @param noise   the starting noise {@code z} (one mean pattern per batch item)
     * @param shape   the latents' shape
     * @param exact   the exact endpoint {@code m + s z}
     * @return the relative L2 error
     */
    static double error(TensorBackend backend, Line line, int steps, GaussianFlow flow, float[] noise, Shape shape,
                        double[] exact) {
        try (Scheduler scheduler = Schedulers.fromConfig(line.config(), line.type())) {
            scheduler.setTimesteps(ScheduleRequest.steps(steps));
            float[] sigmas = scheduler.sigmas();
            float[] timesteps = scheduler.timesteps();
            double sigma0 = sigmas[0];
            double s = flow.std();
            double scale = Math.sqrt((1 - sigma0) * (1 - sigma0) * s * s + sigma0 * sigma0);
            float[] mean = flow.mean();
            float[] start = new float[noise.length];
            for (int i = 0; i < start.length; i++) {
                start[i] = (float) ((1 - sigma0) * mean[i % mean.length] + scale * noise[i]);
            }
            Tensor x = backend.fromFloats(start, DType.FLOAT32, shape);
            for (int i = 0; i < timesteps.length; i++) {
                // sigmas[i] is the sigma of timesteps[i] in every class (Heun interleaves both alike)
                try (Tensor v = flow.velocity(x, sigmas[i]); Tensor previous = x) {
                    x = scheduler.step(v, timesteps[i], previous);
                }
            }
            try (Tensor result = x) {
                return GaussianFlow.relativeL2(backend.toFloats(result), exact);
            }
        }
    }
}
