package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.SolverType;
import dev.flowmatch.scheduler.DpmSolverMultistepScheduler;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Order of convergence of DPM-Solver++ on every backend, on the analytic Gaussian flow ({@link GaussianFlow}: data
 * {@code N(m, s^2 I)}, exact trajectory {@code x_sigma = (1 - sigma) m + sqrt((1 - sigma)^2 s^2 + sigma^2) z}, exact
 * endpoint {@code m + s z}). The flow sigmas start at {@code 1 - 1/1000}, so the run starts on the exact trajectory
 * there; the uniform schedule ({@code flow_shift} 1) ends at sigma 0. The slope of log error against log steps
 * (64 to 512 steps, least squares) must lie in the stated bounds: DPM-Solver++ 1 (DDIM) in (0.9, 1.1), measured
 * 1.00; 2M midpoint and heun in (1.65, 2.3), measured 1.76 and 1.80; 3M in (2.0, 3.3), measured 2.22 (the same on
 * java, djl and mlx, and in a float64 re-computation of the formulas). Why 2M shows 1.8 rather than 2: DPM-Solver
 * steps in {@code lambda = log((1 - sigma) / sigma)}, and near sigma 0 a schedule uniform in sigma takes
 * lambda steps {@code log((k + 1) / k)} that do not shrink with N, so the error is {@code O(log N / N^2)} (ratios
 * 3.3, 3.4, 3.5 per doubling, approaching 4 slowly); the first steps from sigma 0.999 are also large in lambda until
 * N nears 1000. 3M's third order shows only asymptotically (ratios 4.5 to 4.8 here).
 *
 * <p>The model is evaluated at each step's sigma. (diffusers' DPM-Solver passes the model an int64 timestep,
 * {@code sigma * 1000} truncated; a pipeline's model sees that, an {@code O(1/1000)} perturbation of its time that
 * would put a floor under the error and hide the solver's order.)
 */
class DpmSolverOrderConformanceTest {
    private static final int ELEMENTS = 2048;
    private static final int[] STEPS = {64, 128, 256, 512};

    static Stream<Arguments> cases() {
        return Conformance.backends().flatMap(backend -> Stream.of(
                Arguments.of(backend, "DPM-Solver++ 1", 1, SolverType.MIDPOINT, 0.9, 1.1),
                Arguments.of(backend, "DPM-Solver++ 2M midpoint", 2, SolverType.MIDPOINT, 1.65, 2.3),
                Arguments.of(backend, "DPM-Solver++ 2M heun", 2, SolverType.HEUN, 1.65, 2.3),
                Arguments.of(backend, "DPM-Solver++ 3M", 3, SolverType.MIDPOINT, 2.0, 3.3)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void convergesAtItsOrder(TensorBackend backend, String name, int order, SolverType solverType, double minSlope,
                             double maxSlope) {
        Conformance.use(backend);
        float[] mean = Data.values(11, ELEMENTS, 0.8, 0);
        float[] noise = Data.values(12, ELEMENTS, 1.0, 0);
        double std = 0.5;
        GaussianFlow flow = new GaussianFlow(mean, std);
        double[] exact = flow.exactEndpoint(noise);
        DpmSolverMultistepConfig defaults = DpmSolverMultistepConfig.flowDefaults();
        DpmSolverMultistepConfig config = new DpmSolverMultistepConfig(defaults.numTrainTimesteps(),
                defaults.betaSchedule(), defaults.betaStart(), defaults.betaEnd(), null, order,
                defaults.algorithmType(), solverType, defaults.lowerOrderFinal(), defaults.eulerAtFinal(), 1.0,
                defaults.finalSigmasType(), defaults.timestepSpacing(), false, defaults.timeShiftType());
        double[] errors = new double[STEPS.length];
        for (int k = 0; k < STEPS.length; k++) {
            errors[k] = error(backend, config, STEPS[k], flow, mean, noise, std, exact);
        }
        double slope = slope(errors);
        assertTrue(slope > minSlope && slope < maxSlope, name + ": slope " + slope + " outside (" + minSlope + ", "
                + maxSlope + "); errors at " + Arrays.toString(STEPS) + " steps: " + Arrays.toString(errors));
    }

    private static double error(TensorBackend backend, DpmSolverMultistepConfig config, int steps, GaussianFlow flow,
                                float[] mean, float[] noise, double std, double[] exact) {
        try (DpmSolverMultistepScheduler scheduler = new DpmSolverMultistepScheduler(config)) {
            scheduler.setTimesteps(ScheduleRequest.steps(steps));
            float[] sigmas = scheduler.sigmas();
            float[] timesteps = scheduler.timesteps();
            // The start on the exact trajectory at the first sigma.
            double sigma0 = sigmas[0];
            double scale = Math.sqrt((1 - sigma0) * (1 - sigma0) * std * std + sigma0 * sigma0);
            float[] start = new float[noise.length];
            for (int i = 0; i < start.length; i++) {
                start[i] = (float) ((1 - sigma0) * mean[i] + scale * noise[i]);
            }
            Tensor x = backend.fromFloats(start, DType.FLOAT32, Shape.of(1, ELEMENTS / 128, 128));
            for (int i = 0; i < steps; i++) {
                try (Tensor v = flow.velocity(x, sigmas[i]); Tensor previous = x) {
                    x = scheduler.step(v, timesteps[i], previous);
                }
            }
            try (Tensor result = x) {
                return GaussianFlow.relativeL2(backend.toFloats(result), exact);
            }
        }
    }

    /** The least-squares slope of {@code -log(error)} against {@code log(steps)}. */
    private static double slope(double[] errors) {
        double mx = 0;
        double my = 0;
        for (int k = 0; k < STEPS.length; k++) {
            mx += Math.log(STEPS[k]) / STEPS.length;
            my += -Math.log(errors[k]) / STEPS.length;
        }
        double sxy = 0;
        double sxx = 0;
        for (int k = 0; k < STEPS.length; k++) {
            double dx = Math.log(STEPS[k]) - mx;
            sxy += dx * (-Math.log(errors[k]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }
}
