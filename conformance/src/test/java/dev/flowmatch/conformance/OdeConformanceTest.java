package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.Precision;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ODE accuracy on each backend: Euler on the analytic Gaussian flow (exact endpoint known in closed form) is
 * first order, so doubling the steps of a uniform schedule halves the error.
 */
class OdeConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void eulerConvergesAtFirstOrder(TensorBackend backend) {
        Conformance.use(backend);
        int n = 2048;
        float[] mean = Data.values(11, n, 0.8, 0);
        float[] noise = Data.values(12, n, 1.0, 0);
        GaussianFlow flow = new GaussianFlow(mean, 0.5);
        double[] exact = flow.exactEndpoint(noise);
        SchedulerConfig uniform = SchedulerConfig.builder().shift(1.0).build();
        double previous = Double.NaN;
        for (int steps : new int[] {8, 16, 32, 64}) {
            Sampler sampler = Sampler.builder().config(uniform).numSteps(steps).precision(Precision.FP32).build();
            try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, n / 128, 128));
                 Tensor out = sampler.run(z, flow)) {
                double error = GaussianFlow.relativeL2(backend.toFloats(out), exact);
                if (!Double.isNaN(previous)) {
                    double ratio = previous / error;
                    assertTrue(ratio > 1.7 && ratio < 2.3,
                            "error " + previous + " -> " + error + " (ratio " + ratio + ") at " + steps + " steps");
                }
                previous = error;
            }
        }
    }
}
