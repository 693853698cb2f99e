package dev.flowmatch.examples;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link FlowModel} on ONNX Runtime's CPU execution provider, driving the pure-Java backend ({@code java}).
 *
 * <p><b>What is copied per call, and why.</b> The {@code java} backend keeps a tensor in a Java heap array and
 * ONNX Runtime reads and writes native memory, so values must cross once each way; this class moves nothing
 * else:
 * <ol>
 *   <li>latents to the host: {@link TensorBackend#toFloats} (the backend's only read API returns a fresh array:
 *       one copy of the batch);</li>
 *   <li>into the model's input: the latents are written into a direct buffer that an {@link OnnxTensor} was
 *       created over once ({@code OnnxTensor.createTensor} over a direct buffer uses that memory, no copy),
 *       twice when guiding (the batched conditional + unconditional input is two copies of the latents, which is
 *       what the batch is). {@code t} is written per row; the labels were written once;</li>
 *   <li>the output: ONNX Runtime writes into a pinned output tensor over another direct buffer
 *       ({@code OrtSession.run(inputs, pinnedOutputs)}), so the Java API copies nothing; the conditional and
 *       unconditional rows are then copied once into two heap arrays that the backend wraps without copying
 *       ({@link JavaBackend#wrapFloat32}).</li>
 * </ol>
 * (Reading the output with {@code OnnxTensor.getFloatBuffer()} instead would copy it into a new heap buffer,
 * and a heap {@code FloatBuffer} input would be copied into native memory by ONNX Runtime: the same number of
 * copies plus native allocations per call.) Guidance then runs on the {@code java} backend.
 *
 * <p>The session is thread-safe; each {@link GuidedVelocity} has its own buffers and is not.
 */
public final class OrtFlowModel implements FlowModel {
    private final ModelInfo info;
    private final JavaBackend backend;
    private final OrtEnvironment environment;
    private final OrtSession session;

    private OrtFlowModel(ModelInfo info, JavaBackend backend, OrtEnvironment environment, OrtSession session) {
        this.info = info;
        this.backend = backend;
        this.environment = environment;
        this.session = session;
    }

    /**
     * Loads the model's ONNX file with ONNX Runtime's defaults (CPU, all graph optimisations).
     *
     * @param files the model's files
     * @return the loaded model; close it when done
     */
    public static OrtFlowModel load(ModelFiles files) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return load(files, options);
        }
    }

    /**
     * Loads the model's ONNX file with these session options (threads, optimisation level, execution provider);
     * the options may be closed afterwards.
     *
     * @param files   the model's files
     * @param options the session options
     * @return the loaded model; close it when done
     */
    public static OrtFlowModel load(ModelFiles files, OrtSession.SessionOptions options) {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(options, "options");
        ModelInfo info = files.info();
        JavaBackend backend = (JavaBackend) Backends.named(JavaBackend.NAME);
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try {
            OrtSession session = environment.createSession(files.read(info.onnxFile()), options);
            return new OrtFlowModel(info, backend, environment, session);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + info.onnxFile() + " of " + files + ": " + e.getMessage(), e);
        } catch (OrtException e) {
            throw new BackendException("ONNX Runtime cannot load " + info.onnxFile() + " of " + files + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }

    /**
     * The ONNX Runtime session.
     *
     * @return the session running the model
     */
    public OrtSession session() {
        return session;
    }

    @Override
    public GuidedVelocity guided(int[] labels, float guidanceScale) {
        return new Calls(labels, guidanceScale);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new BackendException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer direct(long elements, int bytes) {
        return ByteBuffer.allocateDirect(Math.toIntExact(elements * bytes)).order(ByteOrder.nativeOrder());
    }

    private final class Calls extends ConditionalCalls {
        private final int batch;
        private final int rowSize;
        private final FloatBuffer x;
        private final FloatBuffer times;
        private final FloatBuffer out;
        private final OnnxTensor xTensor;
        private final OnnxTensor timeTensor;
        private final OnnxTensor labelTensor;
        private final OnnxTensor outTensor;
        private final Map<String, OnnxTensor> inputs;
        private final Map<String, OnnxTensor> pinnedOutputs;

        Calls(int[] labels, float guidanceScale) {
            super(info, backend, labels, guidanceScale);
            batch = labels.length;
            rowSize = info.sampleSize();
            int rows = modelBatch();
            long[] shape = info.batchShape(rows).dims();
            x = direct((long) rows * rowSize, Float.BYTES).asFloatBuffer();
            times = direct(rows, Float.BYTES).asFloatBuffer();
            out = direct((long) rows * rowSize, Float.BYTES).asFloatBuffer();
            LongBuffer labelBuffer = direct(rows, Long.BYTES).asLongBuffer();
            labelBuffer.put(modelLabels).rewind();
            OnnxTensor[] made = new OnnxTensor[4];
            try {
                made[0] = OnnxTensor.createTensor(environment, x, shape);
                made[1] = OnnxTensor.createTensor(environment, times, new long[] {rows});
                made[2] = OnnxTensor.createTensor(environment, labelBuffer, new long[] {rows});
                made[3] = OnnxTensor.createTensor(environment, out, shape);
            } catch (OrtException e) {
                for (OnnxTensor tensor : made) {
                    if (tensor != null) {
                        tensor.close();
                    }
                }
                throw new BackendException("ONNX Runtime: " + e.getMessage(), e);
            }
            xTensor = made[0];
            timeTensor = made[1];
            labelTensor = made[2];
            outTensor = made[3];
            inputs = Map.of("x", xTensor, "t", timeTensor, "label", labelTensor);
            pinnedOutputs = Map.of("velocity", outTensor);
        }

        @Override
        protected Outputs forward(Tensor latents, float t) {
            float[] values = backend.toFloats(latents);     // copy: the java backend's read API
            x.clear();
            x.put(values);                                  // copy into the native input: conditional rows
            if (guiding()) {
                x.put(values);                              // ... and the unconditional rows
            }
            for (int i = 0; i < modelBatch(); i++) {
                times.put(i, t);
            }
            try {
                // ONNX Runtime writes the velocity into `out` (the pinned output): the result holds nothing else.
                session.run(inputs, pinnedOutputs).close();
            } catch (OrtException e) {
                throw new BackendException("ONNX Runtime, model '" + info.name() + "': " + e.getMessage(), e);
            }
            Tensor cond = rows(0);
            return new Outputs(cond, guiding() ? rows(batch) : null);
        }

        /** Rows {@code first .. first + batch} of the output, copied once into a heap array the backend wraps. */
        private Tensor rows(int first) {
            float[] values = new float[batch * rowSize];
            out.get(first * rowSize, values);
            return backend.wrapFloat32(values, latentShape);
        }

        @Override
        protected void release() {
            xTensor.close();
            timeTensor.close();
            labelTensor.close();
            outTensor.close();
        }
    }
}
