package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.scheduler.SchedulerType;
import java.util.List;

/** Fuzzed {@code scheduler_config.json} objects: the keys of the family's classes with any values. */
final class Configs {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Keys of diffusers' flow-matching family (Euler, Heun, LCM, DPM-Solver, UniPC, LTX). */
    private static final List<String> KEYS = List.of("num_train_timesteps", "shift", "use_dynamic_shifting",
            "base_shift", "max_shift", "base_image_seq_len", "max_image_seq_len", "invert_sigmas", "shift_terminal",
            "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "time_shift_type", "stochastic_sampling",
            "use_flow_sigmas", "flow_shift", "prediction_type", "solver_order", "algorithm_type", "solver_type",
            "final_sigmas_type", "lower_order_final", "euler_at_final", "thresholding", "timestep_spacing",
            "steps_offset", "predict_x0", "disable_corrector", "beta_schedule", "beta_start", "beta_end",
            "scale_factors", "upscale_mode", "s_noise", "eta", "sigma_min", "sigma_max", "rescale_betas_zero_snr",
            "variance_type", "lambda_min_clipped", "use_lu_lambdas", "trained_betas", "unknown_key");
    private static final List<String> TEXT = List.of("exponential", "linear", "flow_prediction", "epsilon",
            "v_prediction", "dpmsolver++", "sde-dpmsolver++", "dpmsolver", "midpoint", "heun", "bh1", "bh2", "zero",
            "sigma_min", "linspace", "leading", "trailing", "scaled_linear", "squaredcos_cap_v2", "bicubic", "",
            "inf", "-inf", "nan", "FlowMatchEulerDiscreteScheduler", "x");

    private Configs() {}

    /** A config object: sometimes with a {@code _class_name} of the family (or another), then fuzzed keys. */
    static ObjectNode anyConfig(FuzzedDataProvider data) {
        ObjectNode config = MAPPER.createObjectNode();
        switch (data.consumeInt(0, 3)) {
            case 0 -> config.put("_class_name", data.pickValue(SchedulerType.values()).className());
            case 1 -> config.put("_class_name", data.consumeString(40));
            default -> { }
        }
        int keys = data.consumeInt(0, 8);
        for (int i = 0; i < keys; i++) {
            String key = data.consumeInt(0, 9) == 0 ? data.consumeString(20) : data.pickValue(KEYS);
            switch (data.consumeInt(0, 6)) {
                case 0 -> config.put(key, data.consumeBoolean());
                case 1 -> config.putNull(key);
                case 2 -> config.put(key, data.pickValue(TEXT));
                case 3 -> config.put(key, Fuzz.anyInt(data));
                case 4 -> {
                    ArrayNode array = config.putArray(key);
                    int n = data.consumeInt(0, 4);
                    for (int j = 0; j < n; j++) {
                        array.add(Fuzz.anyDouble(data));
                    }
                }
                default -> {
                    double v = Fuzz.anyDouble(data);
                    if (Double.isFinite(v)) {
                        config.put(key, v);
                    } else {
                        config.put(key, Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"); // as Python writes them
                    }
                }
            }
        }
        return config;
    }
}
