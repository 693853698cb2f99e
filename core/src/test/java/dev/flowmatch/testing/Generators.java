package dev.flowmatch.testing;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.TimeShiftType;
import org.quicktheories.core.Gen;

/** QuickTheories generators shared by core's properties and the conformance suite. */
public final class Generators {
    private Generators() {}

    /** Random valid configs: every spacing, shift type, fixed or dynamic, with or without a terminal stretch. */
    public static Gen<SchedulerConfig> configs() {
        Gen<Integer> spacing = integers().between(0, 3);
        return doubles().between(0.2, 12).zip(booleans().all(), spacing, integers().between(0, 1),
                (shift, dynamic, sp, linear) -> SchedulerConfig.builder().shift(shift).useDynamicShifting(dynamic)
                        .useKarrasSigmas(sp == 1).useExponentialSigmas(sp == 2).useBetaSigmas(sp == 3)
                        .timeShiftType(linear == 1 ? TimeShiftType.LINEAR : TimeShiftType.EXPONENTIAL).build())
                .zip(integers().between(0, 2), doubles().between(0.01, 0.5), (c, terminal, value) ->
                        terminal == 0 ? c.toBuilder().shiftTerminal(value).build() : c);
    }

    /** A mu that suits the config's time shift: the linear shift needs mu > 0 to stay in [0, 1]. */
    public static double muFor(SchedulerConfig c, double raw) {
        return c.timeShiftType() == TimeShiftType.LINEAR ? Math.abs(raw) + 0.05 : raw;
    }
}
