package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input is an exception naming the argument and its value; the three kinds of call and the ownership rules. */
class FlowModelArgumentsTest {
    private static OrtFlowModel ort;

    @BeforeAll
    static void load() {
        ort = OrtFlowModel.load(ModelFiles.bundled(ModelFiles.DIGITS));
    }

    @AfterAll
    static void close() {
        ort.close();
    }

    private static void assertMessage(String expected, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void labelsAreChecked() {
        assertMessage("labels[1]: 11", () -> ort.withLabels(new int[] {3, 11}));
        assertMessage("labels[0]: -1", () -> ort.withLabels(new int[] {-1}));
        assertMessage("labels", () -> ort.withLabels(new int[0]));
        assertMessage("model: 'cats' is not bundled", () -> ModelFiles.bundled("cats"));
    }

    @Test
    void latentsAndTimeAreCheckedByEveryKindOfCall() {
        TensorBackend java = ort.backend();
        try (LabelledModel v = ort.withLabels(new int[] {3, 8});
             Tensor wrongShape = java.fromFloats(new float[256], DType.FLOAT32, Shape.of(1, 1, 16, 16));
             Tensor bf16 = java.fromFloats(new float[512], DType.BFLOAT16, Shape.of(2, 1, 16, 16));
             Tensor ok = java.fromFloats(new float[512], DType.FLOAT32, Shape.of(2, 1, 16, 16))) {
            for (CallKind call : CallKind.values()) {
                assertMessage("latents: shape [1, 1, 16, 16]", () -> call.run(v, wrongShape, 0.5f));
                assertMessage("latents: dtype bfloat16", () -> call.run(v, bf16, 0.5f));
                assertMessage("t: 1.5", () -> call.run(v, ok, 1.5f));
                assertMessage("t: -0.25", () -> call.run(v, ok, -0.25f));
                assertMessage("t: NaN", () -> call.run(v, ok, Float.NaN));
            }
            v.close();
            for (CallKind call : CallKind.values()) {
                assertThrows(IllegalStateException.class, () -> call.run(v, ok, 0.5f));
            }
        }
    }

    /** The three calls of a {@link LabelledModel}, each closing what it returns. */
    enum CallKind {
        CONDITIONAL(v -> v::velocity),
        UNCONDITIONAL(v -> v::unconditionalVelocity),
        BOTH(v -> (latents, t) -> {
            v.velocities(latents, t).close();
            return null;
        });

        private final Function<LabelledModel, dev.flowmatch.sampling.VelocityModel> call;

        CallKind(Function<LabelledModel, dev.flowmatch.sampling.VelocityModel> call) {
            this.call = call;
        }

        void run(LabelledModel model, Tensor latents, float t) {
            Tensor out = call.apply(model).velocity(latents, t);
            if (out != null) {
                out.close();
            }
        }
    }

    /**
     * The batched call's halves are the conditional and the unconditional predictions: close to the calls of
     * {@code B} rows (batch 2B and batch B may sum differently inside the runtime), and the t = 0 that DPM-Solver's
     * last int64 timestep and LTX's terminal sigma give is accepted.
     */
    @Test
    void batchedHalvesAreTheConditionalAndUnconditionalPredictions() {
        TensorBackend java = ort.backend();
        float[] x = new float[512];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        for (float t : new float[] {0.4f, 0f}) {
            try (LabelledModel model = ort.withLabels(new int[] {3, 8});
                 Tensor latents = java.fromFloats(x, DType.FLOAT32, Shape.of(2, 1, 16, 16));
                 Tensor cond = model.velocity(latents, t);
                 Tensor uncond = model.unconditionalVelocity(latents, t);
                 GuidedModel.Predictions both = model.velocities(latents, t)) {
                assertClose(java.toFloats(cond), java.toFloats(both.conditional()));
                assertClose(java.toFloats(uncond), java.toFloats(both.unconditional()));
                float[] c = java.toFloats(cond);
                float[] u = java.toFloats(uncond);
                double apart = 0;
                for (int i = 0; i < c.length; i++) {
                    assertTrue(Float.isFinite(c[i]) && Float.isFinite(u[i]), "finite at t = " + t);
                    apart = Math.max(apart, Math.abs(c[i] - u[i]));
                }
                assertTrue(apart > 1e-2, "the labels change the prediction at t = " + t + ": " + apart);
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5, "element " + i);
        }
    }

    /**
     * DJL: each output is lent (wrapped) until the next call of the same method, which frees it; calls of the other
     * methods leave it alone; {@code close()} frees everything.
     */
    @Test
    void djlLendsEachOutputUntilTheNextCallOfItsMethod() {
        TensorBackend djlBackend = TestBackends.backend("djl");
        try (DjlFlowModel djl = DjlFlowModel.load(ModelFiles.bundled(ModelFiles.DIGITS));
             LabelledModel v = djl.withLabels(new int[] {3});
             Tensor latents = djlBackend.fromFloats(new float[256], DType.FLOAT32, Shape.of(1, 1, 16, 16))) {
            Tensor first = v.velocity(latents, 0.5f);
            float[] values = djlBackend.toFloats(first);
            Tensor uncond = v.unconditionalVelocity(latents, 0.5f);
            GuidedModel.Predictions both = v.velocities(latents, 0.5f);
            assertFalse(uncond.isClosed(), "another method's call leaves it alone");
            Tensor second = v.velocity(latents, 0.5f);
            assertTrue(first.isClosed(), "the next velocity call freed the first one's arrays");
            assertFalse(second.isClosed());
            assertFalse(both.conditional().isClosed());
            assertArrayEquals(values, djlBackend.toFloats(second));
            v.close();
            assertTrue(second.isClosed(), "close() frees the lent outputs");
            assertTrue(uncond.isClosed());
            assertTrue(both.conditional().isClosed() && both.unconditional().isClosed());
            assertFalse(latents.isClosed(), "the model never closes the latents");
        }
    }
}
