package dev.flowmatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.scheduler.SchedulerType;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code --scheduler NAME} and {@code --config FILE} of {@code schedule} and {@code sample}: which class of the family
 * ({@link SchedulerType}) and its {@code scheduler_config.json}. Errors name the option.
 */
final class SchedulerChoice {
    private SchedulerChoice() {}

    /** The CLI names of the family, for help texts ({@code ${COMPLETION-CANDIDATES}}). */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Arrays.stream(SchedulerType.values()).map(SchedulerType::cliName).iterator();
        }
    }

    /** {@code --scheduler}: a CLI name or a diffusers class name. */
    static SchedulerType parse(String name) {
        try {
            return SchedulerType.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage(), e);
        }
    }

    /** {@code --config}: the file's JSON object. */
    static JsonNode readConfig(Path file) {
        try {
            return SchedulerConfigJson.readTree(file); // says whether the file is missing, a directory, not JSON, ...
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--config: " + e.getMessage(), e);
        }
    }

    /**
     * The class to build: {@code given} ({@code --scheduler}), else the class the config's {@code _class_name} names,
     * else Euler (a config without {@code _class_name} is read as FLUX.2's {@code FlowMatchEulerDiscreteScheduler}).
     */
    static SchedulerType resolve(SchedulerType given, JsonNode config) {
        if (given != null) {
            return given;
        }
        JsonNode name = config == null ? null : config.get("_class_name");
        if (name == null || name.isNull()) {
            return SchedulerType.FLOW_MATCH_EULER;
        }
        if (!name.isTextual()) {
            throw new IllegalArgumentException("--config: _class_name: " + name + " must be a class name");
        }
        try {
            return SchedulerType.parse(name.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--config: _class_name: " + e.getMessage().replaceFirst("^scheduler: ", ""),
                    e);
        }
    }
}
