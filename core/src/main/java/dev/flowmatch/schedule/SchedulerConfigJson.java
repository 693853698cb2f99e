package dev.flowmatch.schedule;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.scheduler.SchedulerType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Reads and writes diffusers' {@code scheduler_config.json} for {@link SchedulerConfig}.
 *
 * <p>As diffusers' {@code ConfigMixin.from_config} does: keys are snake_case; keys starting with {@code _}
 * ({@code _diffusers_version}) are bookkeeping and ignored, except {@code _class_name}, which must name this class
 * when present (a departure: diffusers loads any class's config); unknown keys are ignored with
 * a logged warning; absent keys take diffusers' defaults. An explicit {@code null} means what Python's
 * {@code None} means in diffusers: "unset" for {@code base_shift}, {@code max_shift}, {@code shift_terminal},
 * false for the boolean flags (diffusers tests them for truth), and an error for the other keys, which
 * diffusers would fail on later.
 */
public final class SchedulerConfigJson {
    private static final System.Logger LOG = System.getLogger(SchedulerConfigJson.class.getName());
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** diffusers' class name, written as {@code _class_name}. */
    public static final String CLASS_NAME = "FlowMatchEulerDiscreteScheduler";

    private SchedulerConfigJson() {}

    /**
     * Parses a config from a file; unknown keys are logged ({@link System.Logger}, level WARNING).
     *
     * @param file a {@code scheduler_config.json}
     * @return the config
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, not JSON, or a bad config
     */
    public static SchedulerConfig read(Path file) {
        return read(file, SchedulerConfigJson::logUnknownKey);
    }

    /**
     * Parses a config from a file, giving each warning (one per unknown key) to {@code warnings} instead of the
     * log: a command line prints them as it prints its other messages.
     *
     * @param file     a {@code scheduler_config.json}
     * @param warnings receives one line per unknown key, e.g. {@code scheduler config key 'foo' is not used by
     *                 FlowMatchEulerDiscreteScheduler; ignored}
     * @return the config
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, not JSON, or a bad config
     */
    public static SchedulerConfig read(Path file, Consumer<String> warnings) {
        Objects.requireNonNull(warnings, "warnings");
        JsonNode root = readTree(file);
        try {
            return fromTree(root, warnings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses a config from JSON text: one JSON object and nothing after it. Malformed JSON is an error with the
     * parser's line and column. Unknown keys are logged.
     *
     * @param json the text of a {@code scheduler_config.json}
     * @return the config
     * @throws IllegalArgumentException naming the key, for malformed JSON or a bad value
     */
    public static SchedulerConfig parse(String json) {
        return parse(json, SchedulerConfigJson::logUnknownKey);
    }

    /**
     * Parses a config from JSON text, giving each warning (one per unknown key) to {@code warnings}.
     *
     * @param json     the text of a {@code scheduler_config.json}
     * @param warnings receives one line per unknown key
     * @return the config
     * @throws IllegalArgumentException naming the key, for malformed JSON or a bad value
     */
    public static SchedulerConfig parse(String json, Consumer<String> warnings) {
        Objects.requireNonNull(warnings, "warnings");
        return fromTree(parseTree(json), warnings);
    }

    /**
     * Reads a {@code scheduler_config.json} file as a JSON object ({@link #parseTree}).
     *
     * @param file the file
     * @return the object
     * @throws IllegalArgumentException naming the file when it is missing, a directory, unreadable, not UTF-8, or
     *     not one JSON object
     */
    public static JsonNode readTree(Path file) {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("scheduler config " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("scheduler config " + file + " cannot be read: permission denied", e);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("scheduler config " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            String why = Files.isDirectory(file) ? "it is a directory" : e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage());
            throw new IllegalArgumentException("scheduler config " + file + " cannot be read: " + why, e);
        }
        try {
            return parseTree(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses JSON text that must be exactly one JSON object: anything after it (a second value, stray text) is an
     * error, as in Python's {@code json.loads}. Malformed JSON is an error with the parser's line and column.
     *
     * @param json the text
     * @return the object
     * @throws IllegalArgumentException when the text is not one JSON object
     */
    public static JsonNode parseTree(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            // Jackson's trailing-token message names its own classes and feature: say what is wrong instead
            String what = e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException
                    && String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")
                    ? "text after the JSON object (one object and nothing after it, as Python's json.loads reads it)"
                    : oneLine(e.getOriginalMessage());
            throw new IllegalArgumentException("malformed scheduler config JSON" + where + ": " + what, e);
        }
        if (root == null || root.isMissingNode() || !root.isObject()) {
            throw new IllegalArgumentException("scheduler config JSON must be an object, got "
                    + (root == null || root.isMissingNode() ? "nothing"
                    : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return root;
    }

    /** Jackson's messages may quote the input over several lines; a message here is one line. */
    private static String oneLine(String message) {
        String m = message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ");
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    /**
     * Builds a config from a parsed JSON object (for embedding in larger documents such as golden files); unknown
     * keys are logged.
     *
     * @param object a JSON object with diffusers' keys
     * @return the config
     * @throws IllegalArgumentException naming the key, for a bad value or a {@code _class_name} of another class
     */
    public static SchedulerConfig fromTree(JsonNode object) {
        return fromTree(object, SchedulerConfigJson::logUnknownKey);
    }

    /**
     * Builds a config from a parsed JSON object, giving each warning (one per unknown key) to {@code warnings}.
     *
     * @param object   a JSON object with diffusers' keys
     * @param warnings receives one line per unknown key
     * @return the config
     * @throws IllegalArgumentException naming the key, for a bad value or a {@code _class_name} of another class
     */
    public static SchedulerConfig fromTree(JsonNode object, Consumer<String> warnings) {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(warnings, "warnings");
        requireEulerClass(object.get("_class_name"));
        ConfigKeys keys = new ConfigKeys(object, CLASS_NAME);
        SchedulerConfig config = fromKeys(keys);
        for (String key : keys.unusedKeys()) {
            warnings.accept("scheduler config key '" + key + "' is not used by " + CLASS_NAME + "; ignored");
        }
        return config;
    }

    /**
     * {@code _class_name}, when present, must name this class: a config of an unknown class is refused with the
     * family's names ({@link SchedulerType#parse}), and one of another class of the family is refused too (its
     * schedule differs: build it with {@code Schedulers.fromConfig}).
     */
    private static void requireEulerClass(JsonNode className) {
        if (className == null || className.isNull()) {
            return;
        }
        if (!className.isTextual()) {
            throw new IllegalArgumentException("_class_name: " + className + " must be a string naming the scheduler"
                    + " class (" + CLASS_NAME + ")");
        }
        SchedulerType type;
        try {
            type = SchedulerType.parse(className.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("_class_name: '" + className.textValue() + "' is not a scheduler"
                    + " flowmatch has (" + knownClasses() + "); this reader builds " + CLASS_NAME, e);
        }
        if (type != SchedulerType.FLOW_MATCH_EULER || !className.textValue().equals(CLASS_NAME)) {
            throw new IllegalArgumentException("_class_name: '" + className.textValue() + "' is not " + CLASS_NAME
                    + "; this reader builds " + CLASS_NAME + " (build another class of the family with"
                    + " Schedulers.fromConfig)");
        }
    }

    private static String knownClasses() {
        return java.util.Arrays.stream(SchedulerType.values()).map(SchedulerType::className)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * Reads the keys of diffusers' {@code FlowMatchEulerDiscreteScheduler.__init__}, each with diffusers' default
     * when absent; other keys are left unread (see {@link ConfigKeys#unusedKeys()}).
     *
     * @param keys the config's keys (each key read here is marked used)
     * @return the config
     * @throws IllegalArgumentException naming the key, for a bad value
     */
    public static SchedulerConfig fromKeys(ConfigKeys keys) {
        SchedulerConfig schedule = scheduleFromKeys(keys);
        return schedule.toBuilder()
                .stochasticSampling(keys.flag("stochastic_sampling", schedule.stochasticSampling()))
                .build();
    }

    /**
     * Reads the schedule keys that diffusers' flow-match classes share with {@code FlowMatchEulerDiscreteScheduler}
     * (every key of its {@code __init__} but {@code stochastic_sampling}; {@code FlowMatchLCMScheduler} takes exactly
     * these), each with diffusers' default when absent. {@code stochastic_sampling} is left unread and false.
     *
     * @param keys the config's keys (each key read here is marked used)
     * @return the config
     * @throws IllegalArgumentException naming the key, for a bad value
     */
    public static SchedulerConfig scheduleFromKeys(ConfigKeys keys) {
        SchedulerConfig d = SchedulerConfig.defaults();
        String timeShiftType = keys.nullableText("time_shift_type", d.timeShiftType().configValue());
        return SchedulerConfig.builder()
                .numTrainTimesteps(keys.integer("num_train_timesteps", d.numTrainTimesteps()))
                .shift(keys.number("shift", d.shift()))
                .useDynamicShifting(keys.flag("use_dynamic_shifting", d.useDynamicShifting()))
                .baseShift(keys.nullableNumber("base_shift", d.baseShift()))
                .maxShift(keys.nullableNumber("max_shift", d.maxShift()))
                .baseImageSeqLen(keys.integer("base_image_seq_len", d.baseImageSeqLen()))
                .maxImageSeqLen(keys.integer("max_image_seq_len", d.maxImageSeqLen()))
                .invertSigmas(keys.flag("invert_sigmas", d.invertSigmas()))
                .shiftTerminal(keys.nullableNumber("shift_terminal", d.shiftTerminal()))
                .useKarrasSigmas(keys.flag("use_karras_sigmas", d.useKarrasSigmas()))
                .useExponentialSigmas(keys.flag("use_exponential_sigmas", d.useExponentialSigmas()))
                .useBetaSigmas(keys.flag("use_beta_sigmas", d.useBetaSigmas()))
                .timeShiftType(TimeShiftType.parse(timeShiftType))
                .build();
    }

    /**
     * The config as diffusers writes it: {@code _class_name} first, then every key.
     *
     * @param c the config
     * @return a JSON object with every key
     */
    public static ObjectNode toTree(SchedulerConfig c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("_class_name", CLASS_NAME);
        o.put("num_train_timesteps", c.numTrainTimesteps());
        o.put("shift", c.shift());
        o.put("use_dynamic_shifting", c.useDynamicShifting());
        o.put("base_shift", c.baseShift());
        o.put("max_shift", c.maxShift());
        o.put("base_image_seq_len", c.baseImageSeqLen());
        o.put("max_image_seq_len", c.maxImageSeqLen());
        o.put("invert_sigmas", c.invertSigmas());
        o.put("shift_terminal", c.shiftTerminal());
        o.put("use_karras_sigmas", c.useKarrasSigmas());
        o.put("use_exponential_sigmas", c.useExponentialSigmas());
        o.put("use_beta_sigmas", c.useBetaSigmas());
        o.put("time_shift_type", c.timeShiftType().configValue());
        o.put("stochastic_sampling", c.stochasticSampling());
        return o;
    }

    /**
     * The config as pretty-printed JSON text.
     *
     * @param c the config
     * @return the JSON text, {@code _class_name} first
     */
    public static String write(SchedulerConfig c) {
        try {
            return MAPPER.writeValueAsString(toTree(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a scheduler config", e);
        }
    }

    /**
     * Writes the config to a file.
     *
     * @param c    the config
     * @param file the file to write (replaced if it exists)
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public static void write(SchedulerConfig c, Path file) {
        try {
            Files.writeString(file, write(c) + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write scheduler config " + file + ": " + e.getMessage(), e);
        }
    }

    private static void logUnknownKey(String warning) {
        LOG.log(System.Logger.Level.WARNING, warning);
    }
}
