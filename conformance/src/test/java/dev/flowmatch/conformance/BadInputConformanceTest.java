package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each backend answers bad input with a clear exception, never a crash or a wrong number. */
class BadInputConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void badInputIsAnException(TensorBackend backend) {
        Conformance.use(backend);
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(4, 2.0);
        AffineSpec f32 = AffineSpec.float32(DType.FLOAT32);
        expect(IllegalArgumentException.class, "values given for shape",
                () -> backend.fromFloats(new float[3], DType.FLOAT32, Shape.of(4)));
        expect(IllegalArgumentException.class, "16-bit pattern",
                () -> backend.fromBits(new int[] {-1}, DType.BFLOAT16, Shape.of(1)));
        try (Tensor a = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4));
             Tensor b = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.BFLOAT16, Shape.of(2, 2))) {
            expect(IllegalArgumentException.class, "shape mismatch", () -> backend.affine(1, a, 1, b, f32));
            expect(IllegalArgumentException.class, "shape mismatch", () -> scheduler.step(b, a, 0));
            expect(IllegalArgumentException.class, "step index 4", () -> scheduler.step(a, a, 4));
            expect(IllegalArgumentException.class, "step index -1", () -> scheduler.step(a, a, -1));
            expect(IllegalArgumentException.class, "not in the schedule", () -> scheduler.step(a, 123.5f, a));
            Tensor closed = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4));
            closed.close();
            closed.close();
            expect(IllegalStateException.class, "closed", () -> backend.affine(1, a, 1, closed, f32));
            expect(IllegalStateException.class, "closed", () -> backend.toBits(closed));
            expect(IllegalStateException.class, "closed", () -> backend.convert(closed, DType.FLOAT16));
            expect(IllegalStateException.class, "closed", () -> scheduler.step(closed, a, 0));
            TensorBackend other = Conformance.backends().filter(o -> o != backend && o.isAvailable()).findFirst()
                    .orElse(null);
            if (other != null) {
                try (Tensor foreign = other.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4))) {
                    expect(IllegalArgumentException.class, "belongs to backend", () -> backend.affine(1, a, 1, foreign, f32));
                    expect(IllegalArgumentException.class, "backend", () -> scheduler.step(foreign, a, 0));
                }
            }
        }
    }

    private static void expect(Class<? extends Throwable> type, String text, Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(text),
                () -> "message '" + e.getMessage() + "' lacks '" + text + "'");
    }
}
