package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.GuidedGaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.Strength;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The klein pipelines on the analytic flows, on each backend: guided sampling converges to the closed-form guided
 * endpoint at the scheduler's order; guidance scale 1 is no guidance, bit for bit; strength 1 is text-to-image, bit
 * for bit; inpainting keeps the image exactly where the mask is 0 and reaches the exact endpoint where it is 1.
 */
class PipelineConformanceTest {
    private static final int N = 2048;
    private static final Shape SHAPE = Shape.of(1, N / 128, 128);
    /** Uniform sigmas (no shift), where Euler's first order shows cleanly. */
    private static final SchedulerConfig UNIFORM = SchedulerConfig.builder().shift(1.0).build();

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    private static GuidedGaussianFlow guidedFlow() {
        return new GuidedGaussianFlow(Data.values(21, N, 0.8, 0), Data.values(22, N, 0.8, 0), 0.5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void guidedEulerConvergesToTheGuidedEndpointAtFirstOrder(TensorBackend backend) {
        Conformance.use(backend);
        GuidedGaussianFlow flow = guidedFlow();
        float[] noise = Data.values(23, N, 1.0, 0);
        double[] exact = flow.exactEndpoint(noise, 3.0);
        double previous = Double.NaN;
        for (int steps : new int[] {8, 16, 32, 64}) {
            Sampler sampler = Sampler.builder().config(UNIFORM).numSteps(steps).guidanceScale(3.0).distilled(false)
                    .build();
            try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, SHAPE); Tensor out = sampler.run(z, flow)) {
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void guidanceScaleOneIsNoGuidanceBitForBit(TensorBackend backend) {
        Conformance.use(backend);
        GuidedGaussianFlow flow = guidedFlow();
        AtomicInteger unconditionalCalls = new AtomicInteger();
        float[] noise = Data.values(24, N, 1.0, 0);
        for (DType dtype : new DType[] {DType.FLOAT32, DType.BFLOAT16}) {
            Sampler scaleOne = Sampler.builder().numSteps(6).guidanceScale(1.0).distilled(false).build();
            Sampler distilled = Sampler.builder().numSteps(6).build();
            try (Tensor z = backend.fromFloats(noise, dtype, SHAPE);
                 Tensor a = scaleOne.run(z, dev.flowmatch.sampling.GuidedModel.of(flow, (x, t) -> {
                     unconditionalCalls.incrementAndGet();
                     return flow.unconditionalVelocity(x, t);
                 }));
                 Tensor b = distilled.run(z, flow)) {
                assertArrayEquals(backend.toBits(b), backend.toBits(a), dtype.torchName());
            }
        }
        assertEquals(0, unconditionalCalls.get(), "the unconditional model must not be called at scale 1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void strengthOneIsTextToImageBitForBit(TensorBackend backend) {
        Conformance.use(backend);
        GaussianFlow flow = new GaussianFlow(Data.values(31, N, 0.8, 0), 0.5);
        float[] noise = Data.values(32, N, 1.0, 0);
        float[] image = Data.values(33, N, 0.8, 0);
        for (DType dtype : new DType[] {DType.FLOAT32, DType.BFLOAT16}) {
            Sampler sampler = Sampler.builder().numSteps(5).build();
            try (Tensor z = backend.fromFloats(noise, dtype, SHAPE);
                 Tensor x0 = backend.fromFloats(image, dtype, SHAPE);
                 Tensor fromImage = sampler.imageToImage(x0, z, 1.0, flow, null);
                 Tensor fromNoise = sampler.run(z, flow)) {
                assertArrayEquals(backend.toBits(fromNoise), backend.toBits(fromImage), dtype.torchName());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inpaintingKeepsTheImageAndReachesTheExactEndpoint(TensorBackend backend) {
        Conformance.use(backend);
        GaussianFlow flow = new GaussianFlow(Data.values(41, N, 0.8, 0), 0.5);
        float[] noise = Data.values(42, N, 1.0, 0);
        float[] image = Data.values(43, N, 0.8, 0);
        int tokens = N / 128;
        float[] mask = new float[tokens];
        for (int i = 0; i < tokens; i++) {
            mask[i] = i % 3 == 0 ? 0f : 1f; // a binary mask: painted tokens and kept tokens
        }
        double strength = 0.6;
        double previous = Double.NaN;
        for (int steps : new int[] {10, 20, 40, 80}) {
            Sampler sampler = Sampler.builder().config(UNIFORM).numSteps(steps).build();
            try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, SHAPE);
                 Tensor x0 = backend.fromFloats(image, DType.FLOAT32, SHAPE);
                 Tensor m = backend.fromFloats(mask, DType.FLOAT32, Shape.of(1, tokens, 1));
                 Tensor out = sampler.inpaint(x0, z, m, strength, flow, null)) {
                float[] result = backend.toFloats(out);
                // Where the image is kept the loop ends on the image latents themselves.
                for (int i = 0; i < N; i++) {
                    if (mask[i / 128] == 0f) {
                        assertEquals(Float.floatToIntBits(image[i]), Float.floatToIntBits(result[i]), "kept element " + i);
                    }
                }
                // Where the model paints, the exact endpoint of the ODE from the start latents.
                Scheduler scheduler = sampler.newScheduler();
                Strength start = Strength.of(steps, strength, scheduler.order());
                scheduler.setBeginIndex(start.beginIndex());
                float sigma = scheduler.sigmas()[start.beginIndex()];
                float[] startLatents;
                try (Tensor s = scheduler.scaleNoise(x0, scheduler.timesteps()[start.beginIndex()], z)) {
                    startLatents = backend.toFloats(s);
                }
                double[] exact = flow.exactEndpointFrom(startLatents, sigma);
                double error = paintedError(result, exact, mask);
                if (!Double.isNaN(previous)) {
                    double ratio = previous / error;
                    assertTrue(ratio > 1.6 && ratio < 2.4,
                            "error " + previous + " -> " + error + " (ratio " + ratio + ") at " + steps + " steps");
                }
                previous = error;
            }
        }
    }

    /** The relative L2 error over the painted elements only. */
    private static double paintedError(float[] result, double[] exact, float[] mask) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < result.length; i++) {
            if (mask[i / 128] == 1f) {
                double d = result[i] - exact[i];
                diff += d * d;
                norm += exact[i] * exact[i];
            }
        }
        return Math.sqrt(diff / norm);
    }
}
