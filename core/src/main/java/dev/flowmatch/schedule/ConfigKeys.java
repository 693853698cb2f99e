package dev.flowmatch.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The keys of one {@code scheduler_config.json} object as a scheduler class reads them, with diffusers'
 * {@code from_config} rules: keys starting with {@code _} are bookkeeping; a key the class does not take is
 * ignored (and listed by {@link #unusedKeys()}, so the caller can warn once); an absent key takes the class's
 * default. A value of the wrong type is an {@link IllegalArgumentException} naming the key and the value.
 *
 * <p>An explicit JSON {@code null} means Python's {@code None}: "unset" for optional values (the {@code nullable...}
 * readers) and false for flags (diffusers tests them for truth).
 */
public final class ConfigKeys {
    private final JsonNode object;
    private final String className;
    private final Set<String> read = new LinkedHashSet<>();

    /**
     * Reads {@code object} for {@code className}.
     *
     * @param object    a parsed {@code scheduler_config.json} object
     * @param className the diffusers class being built (named in messages)
     */
    public ConfigKeys(JsonNode object, String className) {
        this.object = Objects.requireNonNull(object, "object");
        this.className = Objects.requireNonNull(className, "className");
        if (!object.isObject()) {
            throw new IllegalArgumentException("scheduler config: must be a JSON object, got "
                    + object.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
    }

    /**
     * The whole config object (for classes that hand it on, as LTX's builds a FlowMatchEuler config from it).
     *
     * @return the object, as given
     */
    public JsonNode object() {
        return object;
    }

    /**
     * The class being built.
     *
     * @return the diffusers class name
     */
    public String className() {
        return className;
    }

    /**
     * Whether the config has {@code key} (even as null).
     *
     * @param key the diffusers key
     * @return whether it is present
     */
    public boolean has(String key) {
        return object.has(key);
    }

    private JsonNode take(String key) {
        read.add(key);
        return object.get(key);
    }

    /**
     * An integer key; absent gives {@code defaultValue}.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @return the value
     * @throws IllegalArgumentException naming the key, if the value is not an integer
     */
    public int integer(String key, int defaultValue) {
        JsonNode v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                && Math.abs(v.doubleValue()) < Integer.MAX_VALUE) {
            return (int) v.doubleValue();
        }
        throw new IllegalArgumentException(key + ": " + v + " must be an integer");
    }

    /**
     * A number key; absent gives {@code defaultValue}. {@code "inf"}, {@code "-inf"}, {@code "nan"} strings are read as Python writes them.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @return the value
     * @throws IllegalArgumentException naming the key, if the value is not a number
     */
    public double number(String key, double defaultValue) {
        JsonNode v = take(key);
        if (v == null) {
            return defaultValue;
        }
        Double d = numberOrNull(key, v);
        if (d == null) {
            throw new IllegalArgumentException(key + ": null is not accepted (a number is required)");
        }
        return d;
    }

    /**
     * A number key that may be null (None); absent gives {@code defaultValue}, which may be null.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @return the value, or null for an explicit null
     * @throws IllegalArgumentException naming the key, if the value is not a number or null
     */
    public Double nullableNumber(String key, Double defaultValue) {
        JsonNode v = take(key);
        return v == null ? defaultValue : numberOrNull(key, v);
    }

    private static Double numberOrNull(String key, JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            switch (v.textValue().toLowerCase(Locale.ROOT)) {
                case "inf", "infinity" -> { return Double.POSITIVE_INFINITY; }
                case "-inf", "-infinity" -> { return Double.NEGATIVE_INFINITY; }
                case "nan" -> { return Double.NaN; }
                default -> { }
            }
        }
        throw new IllegalArgumentException(key + ": " + v + " must be a number");
    }

    /**
     * A boolean key; null is false; absent gives {@code defaultValue}.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @return the value
     * @throws IllegalArgumentException naming the key, if the value is not a boolean or null
     */
    public boolean flag(String key, boolean defaultValue) {
        JsonNode v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (v.isNull()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        throw new IllegalArgumentException(key + ": " + v + " must be true or false");
    }

    /**
     * A string key that may be null; absent gives {@code defaultValue}.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @return the value, or null for an explicit null
     * @throws IllegalArgumentException naming the key, if the value is not a string or null
     */
    public String nullableText(String key, String defaultValue) {
        JsonNode v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        throw new IllegalArgumentException(key + ": " + v + " must be a string");
    }

    /**
     * A string key that must be one of {@code allowed}; absent gives {@code defaultValue}.
     *
     * @throws IllegalArgumentException naming the key, the value and the accepted values otherwise
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent
     * @param allowed      the accepted values
     * @return the value
     */
    public String choice(String key, String defaultValue, String... allowed) {
        String value = nullableText(key, defaultValue);
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException(key + ": '" + value + "' is not supported by " + className
                + "; accepted: " + String.join(", ", allowed));
    }

    /**
     * A list of integers (e.g. UniPC's {@code disable_corrector}); null or absent gives {@code defaultValue}.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent (or null)
     * @return the values
     * @throws IllegalArgumentException naming the key, if the value is not a list of integers
     */
    public List<Integer> integers(String key, List<Integer> defaultValue) {
        JsonNode v = take(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(key + ": " + v + " must be a list of integers");
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw new IllegalArgumentException(key + ": element " + e + " must be an integer");
            }
            out.add(e.intValue());
        }
        return List.copyOf(out);
    }

    /**
     * A list of numbers (e.g. LCM's {@code scale_factors}); null or absent gives {@code defaultValue}.
     *
     * @param key          the diffusers key
     * @param defaultValue the value when the key is absent (or null)
     * @return the values
     * @throws IllegalArgumentException naming the key, if the value is not a list of numbers
     */
    public double[] numbers(String key, double[] defaultValue) {
        JsonNode v = take(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(key + ": " + v + " must be a list of numbers");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            Double d = numberOrNull(key, v.get(i));
            if (d == null) {
                throw new IllegalArgumentException(key + ": element " + i + " is null; numbers are required");
            }
            out[i] = d;
        }
        return out;
    }

    /**
     * Requires that {@code key}, when present, has exactly the value {@code accepted} (a key the class has but
     * flowmatch only supports in one setting, e.g. DPM-Solver's {@code thresholding}: false).
     *
     * @param why the reason the other values are refused, ending the message
     *
     * @param key      the diffusers key
     * @param accepted the one value flowmatch supports
     */
    public void requireValue(String key, Object accepted, String why) {
        JsonNode v = take(key);
        if (v == null) {
            return;
        }
        Object value = v.isNull() ? null : v.isBoolean() ? v.booleanValue() : v.isNumber() ? (Object) v.doubleValue()
                : v.isTextual() ? v.textValue() : v.toString();
        Object acceptedValue = accepted instanceof Number n ? (Object) n.doubleValue() : accepted;
        if (!Objects.equals(value, acceptedValue)) {
            throw new IllegalArgumentException(key + ": " + v + " is not supported by flowmatch's " + className
                    + " (only " + accepted + "): " + why);
        }
    }

    /**
     * Keys present in the object that the class never read, bookkeeping ({@code _...}) keys left out.
     *
     * @return the unread keys, in the object's order
     */
    public List<String> unusedKeys() {
        List<String> unused = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = object.properties().iterator();
        while (fields.hasNext()) {
            String key = fields.next().getKey();
            if (!key.startsWith("_") && !read.contains(key)) {
                unused.add(key);
            }
        }
        return unused;
    }
}
