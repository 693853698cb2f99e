package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The order of convergence of each deterministic scheduler of the family, on every backend: on the analytic Gaussian
 * flow ({@link GaussianFlow}, exact ODE endpoint known in closed form) the relative L2 error after N steps must fall
 * like {@code N^-order}. The slope of {@code log(error)} against {@code log(N)} over N = 8, 16, 32, 64 (least
 * squares) must lie within {@link Case#tolerance} of {@code -order}, and the error must fall at every doubling.
 *
 * <p>Each scheduler runs through {@link Sampler} (the FLUX.2 pipeline loop: the model called with
 * {@code timestep / 1000}, begin index 0) from its config, with {@code set_timesteps(num_inference_steps=N)}. Adding
 * a scheduler is one line in {@link #CASES}. (DPM-Solver and UniPC keep int64 timesteps, {@code sigma * 1000}
 * truncated: a model called at {@code timestep / 1000} sees a time error that does not shrink with N, so their order
 * tests call the model at each step's sigma: {@link DpmSolverOrderConformanceTest}, {@link UniPCConformanceTest}.)
 */
class OrderOfConvergenceConformanceTest {

    /**
     * One scheduler whose order is checked.
     *
     * @param name      the name shown in the test report
     * @param config    its {@code scheduler_config.json} (the class by {@code _class_name})
     * @param order     the expected order: the error falls like {@code N^-order}
     * @param tolerance how far the measured slope may lie from {@code -order}
     */
    record Case(String name, String config, double order, double tolerance) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The schedulers checked, one line each (schedule: the class's default spacing, shift 1). */
    static final List<Case> CASES = List.of(
            new Case("FlowMatchEuler", "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\"}", 1, 0.15),
            new Case("FlowMatchHeun", "{\"_class_name\": \"FlowMatchHeunDiscreteScheduler\"}", 2, 0.25),
            new Case("LTXEulerAncestralRF eta=0",
                    "{\"_class_name\": \"LTXEulerAncestralRFScheduler\", \"eta\": 0.0}", 1, 0.15));

    /** The step counts: each doubles the last. */
    private static final int[] STEPS = {8, 16, 32, 64};

    static Stream<Arguments> casesOnBackends() {
        return CASES.stream().flatMap(c -> Conformance.backends().map(b -> Arguments.of(c, b)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesOnBackends")
    void errorFallsAtTheSchedulersOrder(Case c, TensorBackend backend) {
        Conformance.use(backend);
        int n = 2048;
        float[] mean = Data.values(11, n, 0.8, 0);
        float[] noise = Data.values(12, n, 1.0, 0);
        GaussianFlow flow = new GaussianFlow(mean, 0.5);
        double[] exact = flow.exactEndpoint(noise);
        double[] errors = new double[STEPS.length];
        for (int k = 0; k < STEPS.length; k++) {
            Sampler sampler = Sampler.builder()
                    .scheduler(() -> Schedulers.fromConfig(Schedulers.parseJson(c.config())))
                    .schedule(ScheduleRequest.steps(STEPS[k]))
                    .build();
            try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, n / 128, 128));
                 Tensor out = sampler.run(z, flow)) {
                errors[k] = GaussianFlow.relativeL2(backend.toFloats(out), exact);
            }
            if (k > 0) {
                assertTrue(errors[k] < errors[k - 1], c + ": the error grew from " + errors[k - 1] + " at "
                        + STEPS[k - 1] + " steps to " + errors[k] + " at " + STEPS[k] + " steps");
            }
        }
        double slope = slope(STEPS, errors);
        System.out.printf("order of convergence %s on %s: slope %.3f (expected %.1f +- %.2f), errors %s%n", c,
                backend.name(), slope, -c.order(), c.tolerance(), Arrays.toString(errors));
        assertTrue(Math.abs(slope + c.order()) <= c.tolerance(), c + " on " + backend.name()
                + ": log-log slope " + slope + ", expected " + (-c.order()) + " +- " + c.tolerance() + " (errors "
                + Arrays.toString(errors) + " at steps " + Arrays.toString(STEPS) + ")");
    }

    /** The least-squares slope of {@code log(errors)} against {@code log(steps)}. */
    static double slope(int[] steps, double[] errors) {
        int m = steps.length;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < m; i++) {
            sx += Math.log(steps[i]);
            sy += Math.log(errors[i]);
        }
        double mx = sx / m;
        double my = sy / m;
        double num = 0;
        double den = 0;
        for (int i = 0; i < m; i++) {
            double dx = Math.log(steps[i]) - mx;
            num += dx * (Math.log(errors[i]) - my);
            den += dx * dx;
        }
        return num / den;
    }
}
