package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;

/**
 * The {@code scheduler_config.json} readers ({@link SchedulerConfigJson}, {@link Schedulers}) on any text: a
 * config, or an {@link IllegalArgumentException} with a message; a config read back from what it writes is the same.
 */
class ConfigJsonFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void configJson(FuzzedDataProvider data) {
        String text = switch (data.consumeInt(0, 2)) {
            case 0 -> data.consumeString(400); // any text
            case 1 -> Configs.anyConfig(data) + data.consumeString(8); // an object, maybe followed by something
            default -> Configs.anyConfig(data).toString();
        };
        Fuzz.expectValidOrIllegalArgument(() -> {
            SchedulerConfig config = SchedulerConfigJson.parse(text);
            SchedulerConfig again = SchedulerConfigJson.parse(SchedulerConfigJson.write(config));
            if (!again.equals(config)) {
                throw new AssertionError("written and read back differs: " + config + " vs " + again);
            }
        });
        Fuzz.expectValidOrIllegalArgument(() -> {
            JsonNode tree = Schedulers.parseJson(text);
            Fuzz.expectValidOrIllegalArgument(() -> Schedulers.fromConfig(tree));
            for (SchedulerType type : SchedulerType.values()) {
                Fuzz.expectValidOrIllegalArgument(() -> {
                    Scheduler scheduler = Schedulers.fromConfig(tree, type);
                    if (!scheduler.className().equals(type.className())) {
                        throw new AssertionError(type + " built " + scheduler.className());
                    }
                });
            }
        });
    }
}
