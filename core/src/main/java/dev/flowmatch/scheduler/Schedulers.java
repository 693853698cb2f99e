package dev.flowmatch.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.SchedulerConfigJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Builds schedulers from diffusers' {@code scheduler_config.json}, as {@code from_config} does: by the config's
 * {@code _class_name}, or as another class of the family (pipelines load a compatible class from a model's config,
 * e.g. DPM-Solver from a FlowMatchEuler config). Keys the class does not take are ignored with one warning line;
 * an unknown class, a bad value, or a key the class cannot honour is an {@link IllegalArgumentException} naming it.
 */
public final class Schedulers {
    private static final System.Logger LOG = System.getLogger(Schedulers.class.getName());
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Schedulers() {}

    /**
     * A scheduler of {@code type} with all of diffusers' defaults ({@code SchedulerClass()}).
     *
     * @param type the class
     * @return a new scheduler
     */
    public static Scheduler create(SchedulerType type) {
        return fromConfig(MAPPER.createObjectNode(), type);
    }

    /**
     * The scheduler the config's {@code _class_name} names.
     *
     * @throws IllegalArgumentException when {@code _class_name} is missing or names a class flowmatch does not have
     *
     * @param config a parsed {@code scheduler_config.json}
     * @return a new scheduler
     */
    public static Scheduler fromConfig(JsonNode config) {
        Objects.requireNonNull(config, "config");
        JsonNode name = config.get("_class_name");
        if (name == null || !name.isTextual()) {
            throw new IllegalArgumentException("_class_name: " + name + " must name the scheduler class (e.g. "
                    + SchedulerType.FLOW_MATCH_EULER.className() + "); or choose the class with fromConfig(config, type)");
        }
        return fromConfig(config, SchedulerType.parse(name.textValue()));
    }

    /**
     * A scheduler of {@code type} built from {@code config}, whatever class the config was written for.
     *
     * @param config a parsed {@code scheduler_config.json}
     * @param type   the class to build
     * @return a new scheduler
     * @throws IllegalArgumentException naming a key the class cannot honour, or a bad value
     */
    public static Scheduler fromConfig(JsonNode config, SchedulerType type) {
        Objects.requireNonNull(type, "type");
        ConfigKeys keys = new ConfigKeys(Objects.requireNonNull(config, "config"), type.className());
        Scheduler scheduler = type.create(keys);
        List<String> unused = keys.unusedKeys();
        if (!unused.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "scheduler config keys not used by " + type.className()
                    + " (ignored): " + String.join(", ", unused));
        }
        return scheduler;
    }

    /**
     * Parses JSON text that must be exactly one JSON object ({@link SchedulerConfigJson#parseTree}): malformed JSON,
     * or text after the object, is an error with the parser's line and column.
     *
     * @param json the text
     * @return the JSON object
     * @throws IllegalArgumentException for malformed JSON or anything but an object
     */
    public static JsonNode parseJson(String json) {
        return SchedulerConfigJson.parseTree(json);
    }

    /**
     * Reads a {@code scheduler_config.json} file and builds the class its {@code _class_name} names.
     *
     * @param file a {@code scheduler_config.json}
     * @return a new scheduler
     * @throws IllegalArgumentException naming the file and what is wrong
     */
    public static Scheduler read(Path file) {
        return fromConfig(readJson(file));
    }

    /**
     * Reads a {@code scheduler_config.json} file as {@code type}.
     *
     * @param file a {@code scheduler_config.json}
     * @param type the class to build
     * @return a new scheduler
     * @throws IllegalArgumentException naming the file and what is wrong
     */
    public static Scheduler read(Path file, SchedulerType type) {
        return fromConfig(readJson(file), type);
    }

    private static JsonNode readJson(Path file) {
        return SchedulerConfigJson.readTree(file);
    }
}
