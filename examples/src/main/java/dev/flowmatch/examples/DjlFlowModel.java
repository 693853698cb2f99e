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
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * A {@link FlowModel} on DJL's PyTorch engine (TorchScript), driving the {@code djl} backend: the latents are
 * NDArrays from the first step to the last, the model's output NDArray is wrapped without a copy
 * ({@link DjlBackend#wrap}), and guidance runs on the device.
 *
 * <p>Per call: the latents' array is read in place ({@link DjlBackend#ndArray}); when guiding it is stacked
 * twice ({@code concat}, on the device: that batch is the model's input); {@code t} and the labels are uploaded
 * (one float and one long per row); the output's conditional and unconditional halves are views
 * ({@code split}) wrapped without a copy, and {@link Guidance#combine} writes the guided velocity as a new
 * array owned by the backend. Nothing is copied to or from the host.
 *
 * <p>Ownership: each call's arrays (the stacked input, {@code t}, labels, the output and its views) live in one
 * sub-manager owned by the {@link GuidedVelocity}. A guided call closes it before returning (the result belongs
 * to the backend and to the caller, who closes it). An unguided call returns the model's output itself,
 * wrapped: the tensor borrows the array, so the sub-manager stays open until the next call or {@code close()}.
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
    public GuidedVelocity guided(int[] labels, float guidanceScale) {
        return new Calls(labels, guidanceScale);
    }

    @Override
    public void close() {
        model.close();
    }

    private final class Calls extends ConditionalCalls {
        /** A predictor per generation: DJL predictors are not thread-safe, the model is. */
        private final Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
        /** The arrays of the last call whose output is still lent to the caller (unguided calls), else null. */
        private NDManager lent;
        private NDManager current;

        Calls(int[] labels, float guidanceScale) {
            super(info, backend, labels, guidanceScale);
        }

        @Override
        protected Outputs forward(Tensor latents, float t) {
            closeLent();
            NDArray x = DjlBackend.ndArray(latents);
            NDManager call = model.getNDManager().newSubManager(x.getDevice());
            current = call;
            try {
                NDArray input = x;
                if (guiding()) {
                    input = x.concat(x, 0); // [x; x]: the batched conditional + unconditional input, on the device
                    input.attach(call);
                }
                int rows = modelBatch();
                NDArray times = call.full(new Shape(rows), t);
                NDArray labelArray = call.create(modelLabels);
                NDArray output;
                try {
                    output = predictor.predict(new NDList(input, times, labelArray)).singletonOrThrow();
                } catch (TranslateException e) {
                    throw new BackendException("djl model '" + info.name() + "': " + e.getMessage(), e);
                }
                output.attach(call); // DJL attaches outputs to the first input's manager: the backend's when unguided
                if (!guiding()) {
                    lent = call;
                    current = null;
                    return new Outputs(backend.wrap(output), null);
                }
                NDList halves = output.split(2, 0); // views of the rows [0, B) and [B, 2B)
                return new Outputs(backend.wrap(halves.get(0)), backend.wrap(halves.get(1)));
            } catch (RuntimeException | Error e) {
                call.close();
                current = null;
                throw e;
            }
        }

        @Override
        protected void afterGuidance() {
            if (current != null) {
                current.close();
                current = null;
            }
        }

        private void closeLent() {
            if (lent != null) {
                lent.close();
                lent = null;
            }
        }

        @Override
        protected void release() {
            closeLent();
            afterGuidance();
            predictor.close();
        }
    }
}
