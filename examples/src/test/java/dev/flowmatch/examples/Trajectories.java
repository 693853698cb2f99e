package dev.flowmatch.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference trajectories {@code golden/digits-trajectories.json}, written by
 * {@code tools/reference/digits_trajectories.py}: the bundled model run by torch 1.13 with diffusers v0.40.0's
 * schedulers. Float32 tensors are signed int32 bit patterns.
 */
final class Trajectories {
    static final String RESOURCE = "/golden/digits-trajectories.json";

    record Step(int index, JsonNode timestep, int modelTimeBits, int[] modelOutput, int[] noisePred,
                int[] prevSample) {}

    record Run(String name, String scheduler, JsonNode config, JsonNode setTimesteps, int[] labels, int nullLabel,
               float guidanceScale, long seed, Shape shape, JsonNode sigmas, JsonNode timesteps, int[] initialSample,
               List<Step> steps, boolean stepGenerator) {

        int[] finalSample() {
            return steps.getLast().prevSample();
        }

        /** The latents the model was called with at call {@code i}: the initial sample, then each step's result. */
        int[] input(int i) {
            return i == 0 ? initialSample : steps.get(i - 1).prevSample();
        }

        /** The recorded {@code set_timesteps} call: custom sigmas (their float64 values) or a number of steps. */
        ScheduleRequest request() {
            JsonNode sigmas = setTimesteps.get("sigmas");
            if (sigmas != null) {
                JsonNode values = sigmas.get("values");
                double[] out = new double[values.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = values.get(i).asDouble();
                }
                return ScheduleRequest.ofSigmas(out);
            }
            return ScheduleRequest.steps(setTimesteps.get("num_inference_steps").asInt());
        }

        /** {@code scheduler.timesteps} as float32 values (int64 timesteps are exact in float32). */
        float[] timestepValues() {
            return values(timesteps);
        }

        /** {@code scheduler.sigmas} as float32 values. */
        float[] sigmaValues() {
            return values(sigmas);
        }
    }

    private static JsonNode root;

    static synchronized JsonNode root() {
        if (root == null) {
            try (InputStream in = Trajectories.class.getResourceAsStream(RESOURCE)) {
                root = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    static List<Run> runs() {
        List<Run> runs = new ArrayList<>();
        for (JsonNode run : root().get("runs")) {
            runs.add(parse(run));
        }
        return runs;
    }

    static Run run(String name) {
        return runs().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no run " + name + " in " + RESOURCE));
    }

    private static Run parse(JsonNode run) {
        JsonNode initial = run.get("initial_sample");
        List<Step> steps = new ArrayList<>();
        for (JsonNode step : run.get("steps")) {
            steps.add(new Step(step.get("i").asInt(), step.get("timestep"), step.get("model_t").get("bits").asInt(),
                    bits(step.get("model_output")), bits(step.get("noise_pred")), bits(step.get("prev_sample"))));
        }
        return new Run(run.get("name").asText(), run.get("scheduler").asText(), run.get("config"),
                run.get("set_timesteps"), ints(run.get("labels")), run.get("null_label").asInt(),
                (float) run.get("guidance_scale").asDouble(), run.get("seed").asLong(), shape(initial),
                run.get("sigmas"), run.get("timesteps"), bits(initial), steps, run.has("step_generator"));
    }

    /** A float32 (bits) or int64 (values) tensor record as float32 values. */
    static float[] values(JsonNode tensor) {
        String dtype = tensor.get("dtype").asText();
        if (dtype.equals("float32")) {
            return floats(bits(tensor));
        }
        if (!dtype.equals("int64")) {
            throw new IllegalArgumentException("not float32 or int64: " + dtype);
        }
        JsonNode values = tensor.get("values");
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).asLong();
        }
        return out;
    }

    static int[] bits(JsonNode tensor) {
        if (!"float32".equals(tensor.get("dtype").asText())) {
            throw new IllegalArgumentException("not float32: " + tensor.get("dtype"));
        }
        return ints(tensor.get("bits"));
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static Shape shape(JsonNode tensor) {
        JsonNode dims = tensor.get("shape");
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i).asLong();
        }
        return Shape.of(out);
    }

    static float[] floats(int[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = Float.intBitsToFloat(bits[i]);
        }
        return out;
    }

    /** Elements {@code [from, to)} of {@code bits}. */
    static int[] rows(int[] bits, int from, int to) {
        return java.util.Arrays.copyOfRange(bits, from, to);
    }

    private Trajectories() {}
}
