package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import com.fasterxml.jackson.databind.JsonNode;
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
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void djlSnippet() throws Exception {
        DjlBackend djl = (DjlBackend) TestBackends.backend("djl");
        ModelFiles files = ModelFiles.bundled(ModelFiles.DIGITS);
        try (Model model = Model.newInstance("mine", djl.device(), "PyTorch")) {
            try (InputStream in = files.open("digits.pt")) {
                model.load(in);
            }
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                long[] labels = {3, 8}, nullLabels = {NULL_LABEL, NULL_LABEL}, both = {3, 8, NULL_LABEL, NULL_LABEL};

                GuidedModel digits = new GuidedModel() {
                    NDManager call;                                             // the last call's arrays, lent out

                    NDArray predict(Tensor latents, long[] rowLabels, float t) {
                        if (call != null) call.close();                         // the sampler is done with them
                        NDArray x = DjlBackend.ndArray(latents);                // the latents' own array: no copy
                        call = model.getNDManager().newSubManager(x.getDevice());
                        NDArray input = x;
                        if (rowLabels.length > x.getShape().get(0)) {
                            input = x.concat(x, 0);                             // [x; x] on the device: 2B rows
                            input.attach(call);
                        }
                        try {
                            NDArray out = predictor.predict(new NDList(input, call.full(new Shape(rowLabels.length), t),
                                    call.create(rowLabels))).singletonOrThrow();
                            out.attach(call);                                   // DJL put it in the first input's manager
                            return out;
                        } catch (TranslateException e) {
                            throw new IllegalStateException(e);
                        }
                    }

                    @Override
                    public Tensor velocity(Tensor latents, float t) {           // unguided: B rows with the labels
                        return djl.wrap(predict(latents, labels, t));
                    }

                    @Override
                    public Tensor unconditionalVelocity(Tensor latents, float t) {
                        return djl.wrap(predict(latents, nullLabels, t));
                    }

                    @Override
                    public Predictions velocities(Tensor latents, float t) {    // guided: one call of 2B rows
                        NDList halves = predict(latents, both, t).split(2, 0);  // views, no copy
                        return new Predictions(djl.wrap(halves.get(0)), djl.wrap(halves.get(1)));
                    }
                };

                try (DjlFlowModel library = DjlFlowModel.load(files)) {
                    assertSameSamples(djl, digits, library);
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

            GuidedModel digits = new GuidedModel() {
                @Override
                public Predictions velocities(Tensor latents, float t) {        // one call of 2B rows
                    float[] values = java.toFloats(latents);                    // copy 1: the backend's read API
                    x.clear();
                    x.put(values).put(values);                                  // copy 2: into native memory, [x; x]
                    for (int i = 0; i < 4; i++) times.put(i, t);
                    try {
                        session.run(inputs, pinned).close();                    // writes into `out`: no copy
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                    float[] c = new float[n], u = new float[n];
                    out.get(0, c).get(n, u);                                    // copy 3: rows to heap arrays
                    return new Predictions(java.wrapFloat32(c, latents.shape()), java.wrapFloat32(u, latents.shape()));
                }

                @Override
                public Tensor velocity(Tensor latents, float t) {               // unguided: the conditional half here
                    Predictions halves = velocities(latents, t);                // (OrtFlowModel runs B rows instead)
                    halves.unconditional().close();
                    return halves.conditional();
                }

                @Override
                public Tensor unconditionalVelocity(Tensor latents, float t) {
                    Predictions halves = velocities(latents, t);
                    halves.conditional().close();
                    return halves.unconditional();
                }
            };

            // Tensors over direct buffers use that memory: ONNX Runtime made no copy of its own.
            assertFalse(inputs.get("x").ownsBuffer());
            assertFalse(pinned.get("velocity").ownsBuffer());
            FloatBuffer seen = (FloatBuffer) inputs.get("x").getBufferRef().orElseThrow();
            x.put(0, 42f);
            assertEquals(42f, seen.get(0), "the tensor's buffer is x's memory");
            try (OrtFlowModel library = OrtFlowModel.load(files)) {
                assertSameSamples(java, digits, library);
            } finally {
                inputs.values().forEach(OnnxTensor::close);
                pinned.values().forEach(OnnxTensor::close);
            }
        }
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Every code line of the README's guide (comments aside) is a line of this test, except the lines that load the
     * model from a file, which the test reads from the bundled resources: the guide shows what runs here.
     */
    @Test
    void theGuideInTheReadmeIsThisTestsCode() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String guide = readme.substring(readme.indexOf("## Plug in your model"), readme.indexOf("**Who owns and closes what**"));
        Set<String> here = new HashSet<>();
        for (String line : Files.readAllLines(Path.of("src/test/java/dev/flowmatch/examples/ReadmeGuideTest.java"))) {
            here.add(code(line));
        }
        Set<String> loadedFromFiles = Set.of(
                "DjlBackend djl = DjlBackend.instance();",
                "Model model = Model.newInstance(\"mine\", djl.device(), \"PyTorch\");",
                "model.load(Files.newInputStream(Path.of(\"model.pt\")));",
                "Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());",
                "OrtSession session = env.createSession(\"model.onnx\", new OrtSession.SessionOptions());");
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(guide);
        int lines = 0;
        while (block.find()) {
            for (String line : block.group(1).split("\n")) {
                String code = code(line);
                if (!code.isEmpty() && !loadedFromFiles.contains(code)) {
                    assertTrue(here.contains(code), "README guide line not in ReadmeGuideTest: " + line);
                    lines++;
                }
            }
        }
        assertTrue(lines > 70, "the guide's code was found: " + lines + " lines");
    }

    /** A line without its comment and surrounding blanks. */
    private static String code(String line) {
        int comment = line.indexOf("//");
        return (comment < 0 ? line : line.substring(0, comment)).strip();
    }

    /** The README's sampling lines, for the snippet; the library's model through {@link ClassSampler}. */
    private static void assertSameSamples(TensorBackend backend, GuidedModel digits, FlowModel library) {
        JsonNode schedulerConfigJson = Schedulers.parseJson("""
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 1.0, "use_dynamic_shifting": false}""");
        long seed = 7;
        dev.flowmatch.tensor.Shape latentShape = library.info().batchShape(2);   // [2, 1, 16, 16]

        TorchGenerator generator = new TorchGenerator(seed);           // torch's CPU generator, bit for bit
        Tensor noise = generator.normal(backend, latentShape, DType.FLOAT32);  // torch.randn(..., generator=generator)
        Sampler sampler = Sampler.builder().scheduler(() -> Schedulers.fromConfig(schedulerConfigJson)).numSteps(20)
                .guidanceScale(4.0).distilled(false).build();
        Tensor result = sampler.run(noise, digits, generator);          // the generator continues into stochastic steps

        try (noise; result) {
            float[] expected = ClassSampler.sample(library, CLASSES, seed, sampler);
            assertArrayEquals(expected, backend.toFloats(result));
        }
    }
}
