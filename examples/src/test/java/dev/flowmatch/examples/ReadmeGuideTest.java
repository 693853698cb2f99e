package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.flowmatch.djl.DjlBackend;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.VelocityModel;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's "Plug in your model" code, as written there (the model read from the bundled resources instead of a
 * file), run through the sampler: it gives the same bits as {@link DjlFlowModel} / {@link OrtFlowModel}.
 */
class ReadmeGuideTest {
    static final long NULL_LABEL = 10;
    static final int[] CLASSES = {3, 8};
    static final float GUIDANCE = 4.0f;

    @Test
    void djlSnippet() throws Exception {
        DjlBackend djl = (DjlBackend) TestBackends.backend("djl");
        ModelFiles files = ModelFiles.bundled(ModelFiles.DIGITS);
        try (Model model = Model.newInstance("mine", djl.device(), "PyTorch")) {
            try (InputStream in = files.open("digits.pt")) {
                model.load(in);
            }
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                long[] labels = {3, 8, NULL_LABEL, NULL_LABEL};

                VelocityModel velocity = (latents, t) -> {
                    NDArray x = DjlBackend.ndArray(latents);
                    try (NDManager call = model.getNDManager().newSubManager(x.getDevice())) {
                        NDArray both = x.concat(x, 0);
                        both.attach(call);
                        NDArray out = predictor.predict(new NDList(both, call.full(new Shape(4), t), call.create(labels)))
                                .singletonOrThrow();
                        NDList halves = out.split(2, 0);
                        try (Tensor cond = djl.wrap(halves.get(0)); Tensor uncond = djl.wrap(halves.get(1))) {
                            return Guidance.combine(cond, uncond, 4.0f);
                        }
                    } catch (TranslateException e) {
                        throw new IllegalStateException(e);
                    }
                };

                try (DjlFlowModel library = DjlFlowModel.load(files)) {
                    assertSameSamples(djl, velocity, library);
                }
            }
        }
    }

    @Test
    void onnxRuntimeSnippet() throws Exception {
        ModelFiles files = ModelFiles.bundled(ModelFiles.DIGITS);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(files.read("digits.onnx"), new OrtSession.SessionOptions())) {
            JavaBackend java = (JavaBackend) Backends.named("java");
            int n = 2 * 256;
            FloatBuffer x = direct(2 * n), times = direct(4), out = direct(2 * n);
            long[] shape = {4, 1, 16, 16};
            Map<String, OnnxTensor> inputs = Map.of(
                    "x", OnnxTensor.createTensor(env, x, shape),
                    "t", OnnxTensor.createTensor(env, times, new long[] {4}),
                    "label", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {3, 8, NULL_LABEL, NULL_LABEL}), new long[] {4}));
            Map<String, OnnxTensor> pinned = Map.of("velocity", OnnxTensor.createTensor(env, out, shape));

            VelocityModel velocity = (latents, t) -> {
                float[] values = java.toFloats(latents);
                x.clear();
                x.put(values).put(values);
                for (int i = 0; i < 4; i++) times.put(i, t);
                try {
                    session.run(inputs, pinned).close();
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
                float[] c = new float[n], u = new float[n];
                out.get(0, c).get(n, u);
                try (Tensor cond = java.wrapFloat32(c, latents.shape()); Tensor uncond = java.wrapFloat32(u, latents.shape())) {
                    return Guidance.combine(cond, uncond, 4.0f);
                }
            };

            // Tensors over direct buffers use that memory: ONNX Runtime made no copy of its own.
            assertFalse(inputs.get("x").ownsBuffer());
            assertFalse(pinned.get("velocity").ownsBuffer());
            FloatBuffer seen = (FloatBuffer) inputs.get("x").getBufferRef().orElseThrow();
            x.put(0, 42f);
            assertEquals(42f, seen.get(0), "the tensor's buffer is x's memory");
            try (OrtFlowModel library = OrtFlowModel.load(files)) {
                assertSameSamples(java, velocity, library);
            } finally {
                inputs.values().forEach(OnnxTensor::close);
                pinned.values().forEach(OnnxTensor::close);
            }
        }
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void assertSameSamples(TensorBackend backend, VelocityModel snippet, FlowModel library) {
        Sampler sampler = Sampler.builder().config(SchedulerConfig.builder().shift(1.0).build()).numSteps(4).build();
        float[] expected = ClassSampler.sample(library, CLASSES, GUIDANCE, 7, sampler);
        try (Tensor noise = Noise.initNoise(backend, library.info().batchShape(2), 7, DType.FLOAT32);
             Tensor result = sampler.run(noise, snippet)) {
            assertArrayEquals(expected, backend.toFloats(result));
        }
    }
}
