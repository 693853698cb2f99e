package dev.flowmatch.examples;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.EnumMap;
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
 *       twice for {@link LabelledModel#velocities} (the batched conditional + unconditional input is two copies of
 *       the latents, which is what the batch is). {@code t} is written per row; the labels were written once;</li>
 *   <li>the output: ONNX Runtime writes into a pinned output tensor over another direct buffer
 *       ({@code OrtSession.run(inputs, pinnedOutputs)}), so the Java API copies nothing; its rows (for
 *       {@code velocities}: the conditional and the unconditional rows) are then copied once into heap arrays
 *       that the backend wraps without copying ({@link JavaBackend#wrapFloat32}).</li>
 * </ol>
 * (Reading the output with {@code OnnxTensor.getFloatBuffer()} instead would copy it into a new heap buffer,
 * and a heap {@code FloatBuffer} input would be copied into native memory by ONNX Runtime: the same number of
 * copies plus native allocations per call.) Guidance then runs on the {@code java} backend (flowmatch's
 * {@code Sampler}).
 *
 * <p>The session is thread-safe; each {@link LabelledModel} has its own buffers (made on its first call of each
 * kind: {@code B} rows with the labels, {@code B} with the null label, {@code 2B} with both) and is not.
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
    public LabelledModel withLabels(int[] labels) {
        return new Calls(labels);
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

    /** The native buffers of one kind of call, and the ONNX Runtime tensors over them (created once). */
    private final class Binding implements AutoCloseable {
        private final int rows;
        private final FloatBuffer x;
        private final FloatBuffer times;
        private final FloatBuffer out;
        private final OnnxTensor[] tensors = new OnnxTensor[4];
        private final Map<String, OnnxTensor> inputs;
        private final Map<String, OnnxTensor> pinnedOutputs;

        Binding(long[] labels) {
            rows = labels.length;
            int rowSize = info.sampleSize();
            long[] shape = info.batchShape(rows).dims();
            x = direct((long) rows * rowSize, Float.BYTES).asFloatBuffer();
            times = direct(rows, Float.BYTES).asFloatBuffer();
            out = direct((long) rows * rowSize, Float.BYTES).asFloatBuffer();
            LongBuffer labelBuffer = direct(rows, Long.BYTES).asLongBuffer();
            labelBuffer.put(labels).rewind();
            try {
                tensors[0] = OnnxTensor.createTensor(environment, x, shape);
                tensors[1] = OnnxTensor.createTensor(environment, times, new long[] {rows});
                tensors[2] = OnnxTensor.createTensor(environment, labelBuffer, new long[] {rows});
                tensors[3] = OnnxTensor.createTensor(environment, out, shape);
            } catch (OrtException e) {
                close();
                throw new BackendException("ONNX Runtime: " + e.getMessage(), e);
            }
            inputs = Map.of("x", tensors[0], "t", tensors[1], "label", tensors[2]);
            pinnedOutputs = Map.of("velocity", tensors[3]);
        }

        /** Runs the model on {@code copies} copies of {@code values} stacked, at {@code t}; the output is in {@link #out}. */
        void run(float[] values, int copies, float t) {
            x.clear();
            for (int i = 0; i < copies; i++) {
                x.put(values);                               // copy into the native input (per copy of the latents)
            }
            for (int i = 0; i < rows; i++) {
                times.put(i, t);
            }
            try {
                // ONNX Runtime writes the velocity into `out` (the pinned output): the result holds nothing else.
                session.run(inputs, pinnedOutputs).close();
            } catch (OrtException e) {
                throw new BackendException("ONNX Runtime, model '" + info.name() + "': " + e.getMessage(), e);
            }
        }

        /** Elements {@code [from, from + length)} of the output, copied once into a heap array the backend wraps. */
        Tensor rows(int from, int length, Shape shape) {
            float[] values = new float[length];
            out.get(from, values);
            return backend.wrapFloat32(values, shape);
        }

        @Override
        public void close() {
            for (OnnxTensor tensor : tensors) {
                if (tensor != null) {
                    tensor.close();
                }
            }
        }
    }

    private final class Calls extends ConditionalCalls {
        private final Map<Rows, Binding> bindings = new EnumMap<>(Rows.class);

        Calls(int[] labels) {
            super(info, backend, labels);
        }

        private Binding binding(Rows rows) {
            return bindings.computeIfAbsent(rows, r -> new Binding(modelLabels(r)));
        }

        @Override
        protected Tensor forward(Rows rows, Tensor latents, float t) {
            Binding binding = binding(rows);
            float[] values = backend.toFloats(latents);     // copy: the java backend's read API
            binding.run(values, 1, t);
            return binding.rows(0, values.length, latents.shape());
        }

        @Override
        protected GuidedModel.Predictions forwardBoth(Tensor latents, float t) {
            Binding binding = binding(Rows.BOTH);
            float[] values = backend.toFloats(latents);     // copy: the java backend's read API
            binding.run(values, 2, t);                      // [x; x]: conditional rows, then unconditional rows
            return new GuidedModel.Predictions(binding.rows(0, values.length, latents.shape()),
                    binding.rows(values.length, values.length, latents.shape()));
        }

        @Override
        protected void release() {
            bindings.values().forEach(Binding::close);
            bindings.clear();
        }
    }
}
