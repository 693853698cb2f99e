package dev.flowmatch.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the Java side needs to know about a class-conditional flow model, read from its {@code model.json}
 * (written by {@code tools/model/train_digits.py}): the model is called as {@code velocity = f(x, t, label)} with
 * {@code x} float32 {@code [batch, ...sampleShape]}, {@code t} float32 {@code [batch]} (the scheduler's timestep
 * / 1000) and {@code label} int64 {@code [batch]}, where {@code nullLabel} asks for the unconditional velocity.
 *
 * @param name            the model's name
 * @param numClasses      labels {@code 0 .. numClasses - 1} are classes
 * @param nullLabel       the label of the unconditional prediction (classifier-free guidance)
 * @param sampleShape     the shape of one sample, without the batch dimension
 * @param torchScriptFile the TorchScript file name (for DJL), next to {@code model.json}
 * @param onnxFile        the ONNX file name (for ONNX Runtime), next to {@code model.json}
 */
public record ModelInfo(String name, int numClasses, int nullLabel, long[] sampleShape, String torchScriptFile,
                        String onnxFile) {

    /** Checks the values; the sample shape is copied. */
    public ModelInfo {
        Objects.requireNonNull(name, "name");
        sampleShape = sampleShape.clone();
        if (numClasses < 1) {
            throw new IllegalArgumentException("num_classes: " + numClasses + " must be >= 1");
        }
        if (sampleShape.length == 0) {
            throw new IllegalArgumentException("inputs.x.shape: needs at least one dimension after the batch");
        }
    }

    /**
     * The shape of one sample.
     *
     * @return the dimensions after the batch (a copy)
     */
    @Override
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    /**
     * Elements of one sample.
     *
     * @return the product of {@link #sampleShape()}
     */
    public int sampleSize() {
        return Math.toIntExact(Shape.of(sampleShape).numel());
    }

    /**
     * The latents' shape for a batch.
     *
     * @param batch the number of samples
     * @return {@code [batch, ...sampleShape]}
     */
    public Shape batchShape(int batch) {
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = batch;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        return Shape.of(dims);
    }

    /**
     * Checks a class label: {@code 0 <= label < numClasses}, or the null label.
     *
     * @param label the label
     * @param role  what to call it in the exception ({@code labels[3]})
     * @return {@code label}
     * @throws IllegalArgumentException naming the role, the value and the accepted range
     */
    public int requireLabel(int label, String role) {
        if ((label < 0 || label >= numClasses) && label != nullLabel) {
            throw new IllegalArgumentException(role + ": " + label + " is not a label of model '" + name + "' (0.."
                    + (numClasses - 1) + ", or " + nullLabel + " for none)");
        }
        return label;
    }

    /**
     * Parses a {@code model.json}.
     *
     * @param json the file's contents
     * @return the interface it describes
     * @throws IOException if it is not JSON
     * @throws IllegalArgumentException naming a missing key
     */
    public static ModelInfo read(InputStream json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        JsonNode shape = required(root, "inputs", "x", "shape");
        long[] sample = new long[shape.size() - 1];
        for (int i = 1; i < shape.size(); i++) {
            sample[i - 1] = shape.get(i).asLong();
        }
        return new ModelInfo(required(root, "name").asText(), required(root, "num_classes").asInt(),
                required(root, "null_label").asInt(), sample, required(root, "files", "torchscript").asText(),
                required(root, "files", "onnx").asText());
    }

    private static JsonNode required(JsonNode root, String... path) {
        JsonNode node = root;
        for (String key : path) {
            node = node.get(key);
            if (node == null || node.isNull()) {
                throw new IllegalArgumentException("model.json: missing " + String.join(".", path));
            }
        }
        return node;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelInfo m && name.equals(m.name) && numClasses == m.numClasses
                && nullLabel == m.nullLabel && Arrays.equals(sampleShape, m.sampleShape)
                && torchScriptFile.equals(m.torchScriptFile) && onnxFile.equals(m.onnxFile);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, numClasses, nullLabel, Arrays.hashCode(sampleShape), torchScriptFile, onnxFile);
    }

    @Override
    public String toString() {
        return "ModelInfo[" + name + ", " + numClasses + " classes, null label " + nullLabel + ", sample "
                + Arrays.toString(sampleShape) + "]";
    }
}
