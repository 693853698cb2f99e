package dev.flowmatch.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigJsonTest {

    /** A FLUX.2 [klein] scheduler_config.json as published, bookkeeping keys and explicit nulls included. */
    static final String KLEIN = """
            {
              "_class_name": "FlowMatchEulerDiscreteScheduler",
              "_diffusers_version": "0.36.0.dev0",
              "base_image_seq_len": 256,
              "base_shift": 0.5,
              "invert_sigmas": false,
              "max_image_seq_len": 4096,
              "max_shift": 1.15,
              "num_train_timesteps": 1000,
              "shift": 3.0,
              "shift_terminal": null,
              "stochastic_sampling": false,
              "time_shift_type": "exponential",
              "use_beta_sigmas": false,
              "use_dynamic_shifting": true,
              "use_exponential_sigmas": false,
              "use_karras_sigmas": false
            }
            """;

    @Test
    void defaultsAreDiffusers() {
        SchedulerConfig d = SchedulerConfig.defaults();
        assertEquals(1000, d.numTrainTimesteps());
        assertEquals(1.0, d.shift());
        assertFalse(d.useDynamicShifting());
        assertEquals(0.5, d.baseShift());
        assertEquals(1.15, d.maxShift());
        assertEquals(256, d.baseImageSeqLen());
        assertEquals(4096, d.maxImageSeqLen());
        assertNull(d.shiftTerminal());
        assertEquals(TimeShiftType.EXPONENTIAL, d.timeShiftType());
        assertEquals(d, SchedulerConfigJson.parse("{}"));
    }

    @Test
    void publishedKleinConfigIsThePreset() {
        assertEquals(SchedulerConfig.flux2Klein(), SchedulerConfigJson.parse(KLEIN));
    }

    @Test
    void writesAndReadsBack(@TempDir Path dir) throws Exception {
        SchedulerConfig c = SchedulerConfig.flux2Klein().toBuilder().shiftTerminal(0.1).useBetaSigmas(true)
                .timeShiftType(TimeShiftType.LINEAR).numTrainTimesteps(500).baseShift(null).build();
        Path file = dir.resolve("scheduler_config.json");
        SchedulerConfigJson.write(c, file);
        String text = Files.readString(file);
        assertTrue(text.contains("\"_class_name\" : \"FlowMatchEulerDiscreteScheduler\""), text);
        assertTrue(text.contains("\"time_shift_type\" : \"linear\""), text);
        assertEquals(c, SchedulerConfigJson.read(file));
    }

    @Test
    void unknownKeysAreIgnoredWithAWarning() {
        List<LogRecord> records = new ArrayList<>();
        Logger logger = Logger.getLogger(SchedulerConfigJson.class.getName());
        Handler handler = new Handler() {
            @Override public void publish(LogRecord r) { records.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        logger.addHandler(handler);
        try {
            SchedulerConfig c = SchedulerConfigJson.parse("{\"shift\": 2, \"use_flow_sigmas\": true}");
            assertEquals(2.0, c.shift());
        } finally {
            logger.removeHandler(handler);
        }
        assertEquals(1, records.size());
        String message = java.text.MessageFormat.format(records.get(0).getMessage(), records.get(0).getParameters());
        assertTrue(message.contains("use_flow_sigmas"), message);
    }

    @Test
    void unknownKeysCanGoToTheCallerAsOneLineEach() {
        List<String> warnings = new ArrayList<>();
        SchedulerConfig c = SchedulerConfigJson.parse("{\"shift\": 2, \"use_flow_sigmas\": true, \"flow_shift\": 3,"
                + " \"_class_name\": \"FlowMatchEulerDiscreteScheduler\"}", warnings::add);
        assertEquals(2.0, c.shift());
        assertEquals(List.of(
                "scheduler config key 'use_flow_sigmas' is not used by FlowMatchEulerDiscreteScheduler; ignored",
                "scheduler config key 'flow_shift' is not used by FlowMatchEulerDiscreteScheduler; ignored"), warnings);
    }

    @Test
    void nullFlagsAreFalseAndNullRequiredValuesAreErrors() {
        assertFalse(SchedulerConfigJson.parse("{\"use_karras_sigmas\": null}").useKarrasSigmas());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchedulerConfigJson.parse("{\"shift\": null}"));
        assertTrue(e.getMessage().startsWith("shift:"), e.getMessage());
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchedulerConfigJson.parse("{\n  \"shift\": 3.0,\n  oops\n}"));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("column"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SchedulerConfigJson.parse("[1, 2]"));
    }

    @Test
    void validationNamesKeyAndValue() {
        assertMessage("{\"use_karras_sigmas\": true, \"use_beta_sigmas\": true}", "use_karras_sigmas=true");
        assertMessage("{\"time_shift_type\": \"cosine\"}", "time_shift_type: 'cosine'");
        assertMessage("{\"shift\": -1}", "shift: -1.0");
        assertMessage("{\"shift\": 0}", "shift: 0.0");
        assertMessage("{\"num_train_timesteps\": 0}", "num_train_timesteps: 0");
        assertMessage("{\"num_train_timesteps\": 2.5}", "num_train_timesteps: 2.5");
        assertMessage("{\"shift_terminal\": 1.0}", "shift_terminal: 1.0");
        assertMessage("{\"shift_terminal\": 0}", "shift_terminal: 0.0");
        assertMessage("{\"use_dynamic_shifting\": \"yes\"}", "use_dynamic_shifting: \"yes\"");
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> SchedulerConfig.builder().shift(Double.NaN).build());
        assertTrue(nan.getMessage().contains("shift: NaN"), nan.getMessage());
    }

    private static void assertMessage(String json, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfigJson.parse(json));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    }
}
