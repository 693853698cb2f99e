package dev.flowmatch.conformance;

import static dev.flowmatch.testing.Properties.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Generators;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Step equivalence: for random shapes, dtypes, schedules, step indices and data (corner values included), a
 * backend's step equals the java backend's bit for bit (one ulp for a backend that fuses multiply-adds).
 */
class StepConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    private static FlowMatchScheduler scheduler(SchedulerConfig config, int steps, double mu) {
        FlowMatchScheduler s = new FlowMatchScheduler(config);
        ScheduleRequest r = ScheduleRequest.ofSigmas(dev.flowmatch.schedule.Flux2.pipelineSigmas(steps));
        s.setTimesteps(config.useDynamicShifting() ? r.withMu(Generators.muFor(config, mu)) : r);
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void stepEqualsTheReference(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        qt().forAll(Generators.configs().zip(integers().between(2, 50), doubles().between(-1, 3),
                        (c, n, mu) -> scheduler(c, n, mu)),
                integers().between(0, 8), longs().all(), integers().between(0, 1))
                .checkAssert((scheduler, dtypes, seed, precision) -> {
                    DType sampleType = Data.dtype(dtypes / 3);
                    DType outputType = Data.dtype(dtypes % 3);
                    scheduler.setPrecision(precision == 0 ? Precision.FP32 : Precision.DIFFUSERS);
                    int index = (int) Math.floorMod(seed, (long) scheduler.numSteps());
                    Shape shape = Data.shape(seed, 2048);
                    int n = shape.numelAsInt();
                    float[] x = Data.values(seed, n, 1.0, 0.02);
                    float[] v = Data.values(~seed, n, 1.5, 0.02);
                    int[] expected;
                    try (Tensor xs = reference.fromFloats(x, sampleType, shape);
                         Tensor vs = reference.fromFloats(v, outputType, shape);
                         Tensor out = scheduler.step(vs, xs, index)) {
                        expected = reference.toBits(out);
                    }
                    try (Tensor xs = backend.fromFloats(x, sampleType, shape);
                         Tensor vs = backend.fromFloats(v, outputType, shape);
                         Tensor out = scheduler.step(vs, xs, index)) {
                        Conformance.assertConforms(backend, outputType, expected, backend.toBits(out),
                                "step " + scheduler.precision() + " " + sampleType + "->" + outputType + " " + shape);
                    }
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void affineEqualsTheReferenceForEverySpec(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        qt().forAll(integers().between(0, 3 * 3 * 3 * 3 * 3 * 3 - 1), longs().all(),
                        doubles().between(-2, 2), doubles().between(-2, 2))
                .checkAssert((combo, seed, a, b) -> {
                    DType dx = Data.dtype(combo), dy = Data.dtype(combo / 3), px = Data.dtype(combo / 9);
                    DType py = Data.dtype(combo / 27), sum = Data.dtype(combo / 81), out = Data.dtype(combo / 243);
                    AffineSpec spec = new AffineSpec(px, py, sum, out);
                    Shape shape = Data.shape(seed, 512);
                    float[] x = Data.values(seed, shape.numelAsInt(), 2.0, 0.05);
                    float[] y = Data.values(seed + 1, shape.numelAsInt(), 2.0, 0.05);
                    float fa = (float) (double) a, fb = (float) (double) b;
                    int[] expected;
                    try (Tensor tx = reference.fromFloats(x, dx, shape); Tensor ty = reference.fromFloats(y, dy, shape);
                         Tensor r = reference.affine(fa, tx, fb, ty, spec)) {
                        expected = reference.toBits(r);
                    }
                    try (Tensor tx = backend.fromFloats(x, dx, shape); Tensor ty = backend.fromFloats(y, dy, shape);
                         Tensor r = backend.affine(fa, tx, fb, ty, spec)) {
                        Conformance.assertConforms(backend, out, expected, backend.toBits(r), "affine " + spec);
                    }
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void scaleNoiseAndStochasticStepsEqualTheReference(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        qt().forAll(integers().between(2, 30), integers().between(0, 8), longs().all(), integers().between(0, 1))
                .checkAssert((steps, dtypes, seed, precision) -> {
                    DType sampleType = Data.dtype(dtypes / 3);
                    DType otherType = Data.dtype(dtypes % 3);
                    Precision p = precision == 0 ? Precision.FP32 : Precision.DIFFUSERS;
                    Shape shape = Data.shape(seed, 1024);
                    int n = shape.numelAsInt();
                    float[] x = Data.values(seed, n, 1.0, 0.0);
                    float[] other = Data.values(seed ^ 0x5DEECE66DL, n, 1.0, 0.0);
                    int index = (int) Math.floorMod(seed, (long) steps);
                    NoiseSource noise = (target, sh, dt) -> target.fromFloats(Data.values(seed + 7, n, 1, 0), dt, sh);
                    int[][] expected = scaleAndStochasticStep(reference, steps, index, p, x, sampleType, other,
                            otherType, shape, noise);
                    int[][] actual = scaleAndStochasticStep(backend, steps, index, p, x, sampleType, other,
                            otherType, shape, noise);
                    Conformance.assertConforms(backend, DType.promote(sampleType, otherType), expected[0], actual[0],
                            "scaleNoise " + p);
                    Conformance.assertConforms(backend, otherType, expected[1], actual[1], "stochastic step " + p);
                });
    }

    /** {@code scaleNoise(x, t, other)} and a stochastic {@code step(other, t, x, noise)} on one backend. */
    private static int[][] scaleAndStochasticStep(TensorBackend b, int steps, int index, Precision p, float[] x,
                                                  DType sampleType, float[] other, DType otherType, Shape shape,
                                                  NoiseSource noise) {
        SchedulerConfig stochastic = SchedulerConfig.flux2Klein().toBuilder().stochasticSampling(true).build();
        FlowMatchScheduler s = scheduler(stochastic, steps, 2.0).setPrecision(p);
        try (Tensor xs = b.fromFloats(x, sampleType, shape);
             Tensor os = b.fromFloats(other, otherType, shape);
             Tensor scaled = s.scaleNoise(xs, s.timestep(index), os)) {
            s.setBeginIndex(index);
            try (Tensor stepped = s.step(os, s.timestep(index), xs, noise)) {
                return new int[][] {b.toBits(scaled), b.toBits(stepped)};
            }
        }
    }
}
