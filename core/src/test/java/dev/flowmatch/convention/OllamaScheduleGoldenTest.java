package dev.flowmatch.convention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.TimeShiftType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ollama's scheduler.go and flux2.go arithmetic against Ollama's own functions run as Go on amd64 and arm64
 * ({@code conventions-goldens.json}, sections {@code ollama_amd64} / {@code ollama_arm64}): every intermediate.
 */
class OllamaScheduleGoldenTest {
    record Case(String section, JsonNode node) {
        @Override
        public String toString() {
            return section + ": " + node.path("name").asText("seq=" + node.path("image_seq_len").asText()
                    + " steps=" + node.path("num_steps").asText());
        }

        OllamaSchedule engine() {
            return section.endsWith("arm64") ? OllamaSchedule.ARM64 : OllamaSchedule.AMD64;
        }
    }

    static List<Case> schedules() {
        return cases("schedules");
    }

    static List<Case> shifts() {
        return cases("calculate_shift");
    }

    private static List<Case> cases(String part) {
        List<Case> out = new ArrayList<>();
        JsonNode root = Goldens.bundled("conventions-goldens.json").root();
        for (String section : new String[] {"ollama_amd64", "ollama_arm64"}) {
            for (JsonNode n : root.path(section).path(part)) {
                out.add(new Case(section, n));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void schedule(Case c) {
        JsonNode n = c.node();
        JsonNode parsed = n.get("parsed_config");
        OllamaSchedule.Config config = new OllamaSchedule.Config(parsed.get("num_train_timesteps").asInt(),
                Float.intBitsToFloat(parsed.get("shift_bits").asInt()), parsed.get("use_dynamic_shifting").asBoolean(),
                TimeShiftType.parse(parsed.get("time_shift_type").asText()));
        assertEquals(config, OllamaSchedule.Config.of(SchedulerConfigJson.fromTree(n.get("config"))), "parsed config");

        JsonNode request = n.get("request");
        ImageSize requested = ImageSize.of(request.get("height").asInt(), request.get("width").asInt());
        assertEquals(ImageSize.of(n.get("height").asInt(), n.get("width").asInt()), OllamaSchedule.outputSize(requested),
                "output size");
        int seqLen = OllamaSchedule.imageSeqLen(requested);
        assertEquals(n.get("image_seq_len").asInt(), seqLen, "image_seq_len");

        int steps = request.get("num_steps").asInt();
        float mu = switch (request.get("mu").asText()) {
            case "calculate_shift" -> c.engine().calculateShift(seqLen, steps);
            case "zero" -> 0f;
            case "bits" -> Float.intBitsToFloat(request.get("mu_bits").asInt());
            default -> throw new IllegalArgumentException("mu mode " + request.get("mu"));
        };
        if (n.has("mu_bits")) {
            assertEquals(n.get("mu_bits").asInt(), Float.floatToRawIntBits(mu), "mu");
        }
        OllamaSchedule.Result result = c.engine().setTimestepsWithMu(config, steps, mu);
        assertEquals(n.get("branch").asText().toUpperCase(java.util.Locale.ROOT), result.branch().name(), "branch");
        if (n.has("exp_mu_bits") && !n.get("exp_mu_bits").isNull()) {
            assertEquals(n.get("exp_mu_bits").asInt(), Float.floatToRawIntBits(OllamaSchedule.expMu(mu)), "exp_mu");
        }
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits")), bits(result.sigmas()), "sigmas");
        assertArrayEquals(Goldens.ints(n.get("timesteps_bits")), bits(result.timesteps()), "timesteps");
        int[] modelT = Goldens.ints(n.get("model_t_f32_bits"));
        int[] modelBf16 = Goldens.ints(n.get("model_timestep_bf16_bits"));
        int[] transformerBf16 = Goldens.ints(n.get("transformer_timestep_bf16_bits"));
        float[] timesteps = result.timesteps();
        for (int i = 0; i < steps; i++) {
            assertEquals(modelT[i], Float.floatToRawIntBits(timesteps[i] / (float) config.numTrainTimesteps()),
                    "model t " + i);
            float model = OllamaSchedule.modelTimestep(timesteps[i], config.numTrainTimesteps());
            assertEquals(modelBf16[i], dev.flowmatch.tensor.DType.BFLOAT16.floatToBits(model), "model timestep " + i);
            assertEquals(transformerBf16[i],
                    dev.flowmatch.tensor.DType.BFLOAT16.floatToBits(OllamaSchedule.transformerTimestep(model)),
                    "transformer timestep " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shifts")
    void calculateShift(Case c) {
        JsonNode n = c.node();
        float mu = c.engine().calculateShift(n.get("image_seq_len").asInt(), n.get("num_steps").asInt());
        assertEquals(n.get("mu_bits").asInt(), Float.floatToRawIntBits(mu));
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
