package dev.flowmatch.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.golden.Goldens;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every schedule and empirical-mu case computed by diffusers itself, compared bit for bit. */
class ScheduleGoldenTest {

    static Stream<Goldens.ScheduleCase> schedules() {
        return Goldens.bundled().schedules().stream();
    }

    static Stream<Goldens.EmpiricalMuCase> empiricalMu() {
        return Goldens.bundled().empiricalMu().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void sigmasAndTimestepsAreBitIdenticalToDiffusers(Goldens.ScheduleCase c) {
        Schedule schedule = Schedules.compute(c.config(), c.request());
        assertArrayEquals(c.sigmasBits(), bits(schedule.sigmas()),
                () -> "sigmas\n expected " + Arrays.toString(floats(c.sigmasBits())) + "\n actual   "
                        + Arrays.toString(schedule.sigmas()));
        assertArrayEquals(c.timestepsBits(), bits(schedule.timesteps()),
                () -> "timesteps\n expected " + Arrays.toString(floats(c.timestepsBits())) + "\n actual   "
                        + Arrays.toString(schedule.timesteps()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("empiricalMu")
    void empiricalMuIsTheExactDouble(Goldens.EmpiricalMuCase c) {
        assertEquals(c.mu(), Flux2.computeEmpiricalMu(c.imageSeqLen(), c.numSteps()), 0.0);
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    static float[] floats(int[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = Float.intBitsToFloat(bits[i]);
        }
        return out;
    }
}
