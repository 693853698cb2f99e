package dev.flowmatch.examples;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.flowmatch.djl.DjlBackend;
import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link FlowModel} on DJL's PyTorch engine (TorchScript), driving the {@code djl} backend: the latents are
 * NDArrays from the first step to the last, the model's output NDArray is wrapped without a copy
 * ({@link DjlBackend#wrap}), and guidance (flowmatch's {@code Sampler}) runs on the device.
 *
 * <p>Per call: the latents' array is read in place ({@link DjlBackend#ndArray}); for
 * {@link LabelledModel#velocities} it is stacked twice ({@code concat}, on the device: that batch of {@code 2B} rows
 * is the model's input); {@code t} and the labels are uploaded (one float and one long per row); the output (for
 * {@code velocities}: its conditional and unconditional halves, views made by {@code split}) is wrapped without a
 * copy. Nothing is copied to or from the host.
 *
 * <p>Ownership: each call's arrays (the stacked input, {@code t}, labels, the output and its views) live in one
 * sub-manager owned by the {@link LabelledModel}. The returned tensors borrow the output, so that sub-manager is
 * kept (lent) until the next call of the same method ({@code velocity}, {@code unconditionalVelocity} or
 * {@code velocities}) or {@code close()}, which free it: at most one call's arrays per method are alive.
 */
public final class DjlFlowModel implements FlowModel {
    private final ModelInfo info;
    private final DjlBackend backend;
    private final Model model;

    private DjlFlowModel(ModelInfo info, DjlBackend backend, Model model) {
        this.info = info;
        this.backend = backend;
        this.model = model;
    }

    /**
     * Loads the model's TorchScript file on the {@code djl} backend's device.
     *
     * @param files the model's files
     * @return the loaded model; close it when done
     * @throws IllegalStateException if the {@code djl} backend (DJL's PyTorch engine) is unavailable here
     */
    public static DjlFlowModel load(ModelFiles files) {
        Objects.requireNonNull(files, "files");
        DjlBackend backend = DjlBackend.instance();
        if (!backend.isAvailable()) { // loads the engine offline, as the backend does, before DJL is used here
            throw new IllegalStateException("backend 'djl' is " + backend.availability().describe(),
                    backend.availability().cause());
        }
        ModelInfo info = files.info();
        Model model = Model.newInstance(info.name(), backend.device(), "PyTorch");
        try (InputStream in = files.open(info.torchScriptFile())) {
            model.load(in);
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException("cannot read " + info.torchScriptFile() + " of " + files + ": "
                    + e.getMessage(), e);
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new BackendException("DJL cannot load " + info.torchScriptFile() + " of " + files + ": "
                    + e.getMessage(), e);
        }
        return new DjlFlowModel(info, backend, model);
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
     * The DJL model.
     *
     * @return the model, whose block is the TorchScript module
     */
    public Model model() {
        return model;
    }

    @Override
    public LabelledModel withLabels(int[] labels) {
        return new Calls(labels);
    }

    @Override
    public void close() {
        model.close();
    }

    private final class Calls extends ConditionalCalls {
        /** A predictor per generation: DJL predictors are not thread-safe, the model is. */
        private final Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
        /** Per kind of call, the arrays of the last call, which its returned tensors borrow (else absent). */
        private final Map<Rows, NDManager> lent = new EnumMap<>(Rows.class);

        Calls(int[] labels) {
            super(info, backend, labels);
        }

        @Override
        protected Tensor forward(Rows rows, Tensor latents, float t) {
            NDManager call = newCall(rows, latents);
            try {
                // The latents' own array is the input: B rows.
                return backend.wrap(predict(call, DjlBackend.ndArray(latents), rows, t));
            } catch (RuntimeException | Error e) {
                release(rows);
                throw e;
            }
        }

        @Override
        protected GuidedModel.Predictions forwardBoth(Tensor latents, float t) {
            NDManager call = newCall(Rows.BOTH, latents);
            try {
                NDArray x = DjlBackend.ndArray(latents);
                NDArray both = x.concat(x, 0); // [x; x]: the batched conditional + unconditional input, on the device
                both.attach(call);
                NDList halves = predict(call, both, Rows.BOTH, t).split(2, 0); // views of rows [0, B) and [B, 2B)
                return new GuidedModel.Predictions(backend.wrap(halves.get(0)), backend.wrap(halves.get(1)));
            } catch (RuntimeException | Error e) {
                release(Rows.BOTH);
                throw e;
            }
        }

        /** Frees the previous call of this kind and opens the manager of this one. */
        private NDManager newCall(Rows rows, Tensor latents) {
            release(rows);
            NDManager call = model.getNDManager().newSubManager(DjlBackend.ndArray(latents).getDevice());
            lent.put(rows, call);
            return call;
        }

        private NDArray predict(NDManager call, NDArray input, Rows rows, float t) {
            long[] labels = modelLabels(rows);
            NDArray times = call.full(new Shape(labels.length), t);
            NDArray output;
            try {
                output = predictor.predict(new NDList(input, times, call.create(labels))).singletonOrThrow();
            } catch (TranslateException e) {
                throw new BackendException("djl model '" + info.name() + "': " + e.getMessage(), e);
            }
            output.attach(call); // DJL attaches outputs to the first input's manager: the backend's for B rows
            return output;
        }

        private void release(Rows rows) {
            NDManager previous = lent.remove(rows);
            if (previous != null) {
                previous.close();
            }
        }

        @Override
        protected void release() {
            for (Rows rows : Rows.values()) {
                release(rows);
            }
            predictor.close();
        }
    }
}
