package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input is an exception naming the argument and its value; the unguided path and the ownership rules. */
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
    void labelsAndGuidanceAreChecked() {
        assertMessage("labels[1]: 11", () -> ort.guided(new int[] {3, 11}, 2f));
        assertMessage("labels[0]: -1", () -> ort.guided(new int[] {-1}, 2f));
        assertMessage("labels", () -> ort.guided(new int[0], 2f));
        assertMessage("guidanceScale: -1.0", () -> ort.guided(new int[] {3}, -1f));
        assertMessage("guidanceScale: NaN", () -> ort.guided(new int[] {3}, Float.NaN));
        assertMessage("guidanceScale: Infinity", () -> ort.guided(new int[] {3}, Float.POSITIVE_INFINITY));
        assertMessage("model: 'cats' is not bundled", () -> ModelFiles.bundled("cats"));
    }

    @Test
    void latentsAndTimeAreChecked() {
        TensorBackend java = ort.backend();
        try (GuidedVelocity v = ort.guided(new int[] {3, 8}, 2f);
             Tensor wrongShape = java.fromFloats(new float[256], DType.FLOAT32, Shape.of(1, 1, 16, 16));
             Tensor bf16 = java.fromFloats(new float[512], DType.BFLOAT16, Shape.of(2, 1, 16, 16));
             Tensor ok = java.fromFloats(new float[512], DType.FLOAT32, Shape.of(2, 1, 16, 16))) {
            assertMessage("latents: shape [1, 1, 16, 16]", () -> v.velocity(wrongShape, 0.5f));
            assertMessage("latents: dtype bfloat16", () -> v.velocity(bf16, 0.5f));
            assertMessage("t: 1.5", () -> v.velocity(ok, 1.5f));
            assertMessage("t: NaN", () -> v.velocity(ok, Float.NaN));
            v.close();
            assertThrows(IllegalStateException.class, () -> v.velocity(ok, 0.5f));
        }
    }

    @Test
    void guidanceChecksItsInputs() {
        TensorBackend java = ort.backend();
        try (Tensor a = java.fromFloats(new float[4], DType.FLOAT32, Shape.of(4));
             Tensor b = java.fromFloats(new float[2], DType.FLOAT32, Shape.of(2));
             Tensor c = java.fromFloats(new float[4], DType.FLOAT16, Shape.of(4))) {
            assertMessage("shape mismatch", () -> Guidance.combine(a, b, 2f));
            assertMessage("uncond: dtype float16", () -> Guidance.combine(a, c, 2f));
            assertMessage("guidanceScale: -2.0", () -> Guidance.combine(a, a, -2f));
        }
    }

    /** At scale <= 1 diffusers calls the model once, conditionally: the output is the conditional rows' own. */
    @Test
    void unguidedIsTheConditionalPrediction() {
        TensorBackend java = ort.backend();
        float[] x = new float[512];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        float[] doubled = new float[1024];
        System.arraycopy(x, 0, doubled, 0, 512);
        System.arraycopy(x, 0, doubled, 512, 512);
        try (GuidedVelocity unguided = ort.guided(new int[] {3, 8}, 1f);
             GuidedVelocity both = ort.guided(new int[] {3, 8, 10, 10}, 1f);
             Tensor latents = java.fromFloats(x, DType.FLOAT32, Shape.of(2, 1, 16, 16));
             Tensor latents2 = java.fromFloats(doubled, DType.FLOAT32, Shape.of(4, 1, 16, 16));
             Tensor v = unguided.velocity(latents, 0.4f);
             Tensor w = both.velocity(latents2, 0.4f)) {
            float[] rows = java.toFloats(w);
            float[] cond = java.toFloats(v);
            assertEquals(512, cond.length);
            // Batch 2 and batch 4 may sum differently inside the runtime: close, not necessarily equal.
            for (int i = 0; i < cond.length; i++) {
                assertEquals(rows[i], cond[i], 1e-5, "element " + i);
            }
        }
    }

    /** DJL, unguided: the model's output is lent (wrapped) until the next call, which frees it. */
    @Test
    void djlLendsAnUnguidedOutputUntilTheNextCall() {
        TensorBackend djlBackend = TestBackends.backend("djl");
        try (DjlFlowModel djl = DjlFlowModel.load(ModelFiles.bundled(ModelFiles.DIGITS));
             GuidedVelocity v = djl.guided(new int[] {3}, 1f);
             Tensor latents = djlBackend.fromFloats(new float[256], DType.FLOAT32, Shape.of(1, 1, 16, 16))) {
            Tensor first = v.velocity(latents, 0.5f);
            float[] values = djlBackend.toFloats(first);
            first.close(); // harmless: the tensor borrows
            Tensor second = v.velocity(latents, 0.5f);
            assertTrue(first.isClosed());
            assertFalse(second.isClosed());
            assertArrayEquals(values, djlBackend.toFloats(second));
            v.close();
            assertTrue(second.isClosed(), "close() frees the last lent output");
            assertFalse(latents.isClosed(), "the model never closes the latents");
        }
    }
}
