package dev.flowmatch.sampling;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.doubles;

import dev.flowmatch.Precision;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GaussianFlowTest {
    private final JavaBackend backend = new JavaBackend();

    @Test
    void velocityIsTheTimeDerivativeOfTheExactTrajectory() {
        // x_t = (1-t) m + sqrt((1-t)^2 s^2 + t^2) z solves dx/dt = v(x, t): compare v with a central difference.
        qt().forAll(doubles().between(-3, 3), doubles().between(0.05, 2), doubles().between(-3, 3),
                doubles().between(0.02, 0.98)).checkAssert((m, s, z, t) -> {
                    GaussianFlow flow = new GaussianFlow(new float[] {(float) (double) m}, s);
                    double mf = (float) (double) m;
                    double h = 1e-6;
                    double dxdt = (trajectory(mf, s, z, t + h) - trajectory(mf, s, z, t - h)) / (2 * h);
                    assertEquals(dxdt, flow.velocity(trajectory(mf, s, z, t), t, 0), 1e-6 * (1 + Math.abs(dxdt)));
                });
    }

    @Test
    void trajectoryStartsAtTheNoiseAndEndsAtTheExactEndpoint() {
        qt().forAll(doubles().between(-3, 3), doubles().between(0.05, 2), doubles().between(-3, 3))
                .checkAssert((m, s, z) -> {
                    GaussianFlow flow = new GaussianFlow(new float[] {(float) (double) m}, s);
                    assertEquals(z, trajectory((float) (double) m, s, z, 1.0), 1e-12);
                    assertEquals(flow.exactEndpoint(new float[] {(float) (double) z})[0],
                            trajectory((float) (double) m, s, (float) (double) z, 0.0), 1e-12);
                });
    }

    @Test
    void atTimeZeroTheVelocityIsItsLimitMinusX() {
        // v(x, t) = ((t - (1-t) s^2) x - t m) / ((1-t)^2 s^2 + t^2) (the class comment's closed form) equals the
        // quotient (x - E[x0 | x]) / t for t > 0 and tends to -x as t -> 0: the value returned at t = 0.
        qt().forAll(doubles().between(-3, 3), doubles().between(0.05, 2), doubles().between(-4, 4),
                doubles().between(1e-6, 1)).checkAssert((m, s, x, t) -> {
                    GaussianFlow flow = new GaussianFlow(new float[] {(float) (double) m}, s);
                    double mf = (float) (double) m;
                    double closedForm = ((t - (1 - t) * s * s) * x - t * mf) / ((1 - t) * (1 - t) * s * s + t * t);
                    assertEquals(closedForm, flow.velocity(x, t, 0), 1e-7 * (1 + Math.abs(closedForm)));
                    assertEquals(-x, flow.velocity(x, 0, 0), 0.0);
                    // continuity at 0: |v(x, t) + x| = O(t)
                    double small = 1e-7;
                    assertEquals(-x, flow.velocity(x, small, 0), 1e-5 * (1 + Math.abs(x) + Math.abs(mf)) / (s * s));
                });
        try (Tensor x = backend.fromFloats(new float[] {0.5f, -1.25f, 3f, 0f}, DType.FLOAT32, Shape.of(1, 4));
             Tensor v = new GaussianFlow(new float[] {1f, 2f}, 0.5).velocity(x, 0f)) {
            assertEquals(java.util.List.of(-0.5f, 1.25f, -3f, -0f), floats(backend.toFloats(v)));
        }
    }

    @Test
    void timesOutsideZeroToOneAreRefused() {
        GaussianFlow flow = new GaussianFlow(new float[] {1f}, 0.5);
        try (Tensor x = backend.fromFloats(new float[] {1f}, DType.FLOAT32, Shape.of(1, 1))) {
            for (float t : new float[] {-1e-6f, 1.0001f, Float.NaN}) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class, () -> flow.velocity(x, t));
                assertTrue(e.getMessage().startsWith("t: ") && e.getMessage().contains("[0, 1]"), e.getMessage());
            }
        }
    }

    private static java.util.List<Float> floats(float[] values) {
        java.util.List<Float> list = new java.util.ArrayList<>();
        for (float v : values) {
            list.add(v);
        }
        return list;
    }

    private static double trajectory(double m, double s, double z, double t) {
        return (1 - t) * m + Math.sqrt((1 - t) * (1 - t) * s * s + t * t) * z;
    }

    @Test
    void eulerConvergesAtFirstOrder() {
        // Uniform sigmas (shift 1, no dynamic shifting): the error of Euler halves when the steps double.
        SchedulerConfig uniform = SchedulerConfig.builder().shift(1.0).build();
        Random random = new Random(7);
        int n = 4096;
        float[] mean = new float[n];
        float[] noise = new float[n];
        for (int i = 0; i < n; i++) {
            mean[i] = (float) (random.nextGaussian() * 0.8);
            noise[i] = (float) random.nextGaussian();
        }
        GaussianFlow flow = new GaussianFlow(mean, 0.5);
        double[] exact = flow.exactEndpoint(noise);
        double previous = Double.NaN;
        for (int steps : new int[] {8, 16, 32, 64}) {
            Sampler sampler = Sampler.builder().config(uniform).numSteps(steps).precision(Precision.FP32).build();
            try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, n));
                 Tensor out = sampler.run(z, flow)) {
                double error = GaussianFlow.relativeL2(backend.toFloats(out), exact);
                if (!Double.isNaN(previous)) {
                    double ratio = previous / error;
                    assertTrue(ratio > 1.7 && ratio < 2.3, "error ratio " + ratio + " at " + steps + " steps");
                }
                previous = error;
            }
        }
        assertTrue(previous < 0.05, "error at 64 steps: " + previous);
    }
}
